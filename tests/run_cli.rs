//! `dokeru run` command line: exit codes of dokeru itself, rejection of bad values before
//! anything runs (exit 2, a message naming the option), and the sandbox-failed exit 125.

mod common;
use common::*;

/// A bad value: exit 2, no result, and stderr names the option.
fn rejected(args: &[&str], option: &str) {
    let _g = lock();
    let mut full = vec!["run"];
    full.extend_from_slice(args);
    let out = dokeru(&full);
    assert_eq!(out.code, 2, "a bad command line must exit 2{}", out.ctx());
    assert!(out.stderr.contains(option), "the message must name {option}{}", out.ctx());
    assert!(out.json.is_null(), "nothing may run for a bad command line{}", out.ctx());
}

#[test]
fn bad_size_suffix_is_rejected_naming_mem() {
    rejected(&["--mem", "12Q", "--", "true"], "--mem");
}

#[test]
fn bad_size_is_rejected_for_every_size_option() {
    for opt in ["--memlimit", "--mem-soft", "--fsize", "--disk", "--output-limit"] {
        rejected(&[opt, "12Q", "--", "true"], opt);
        rejected(&[&format!("{opt}=-1"), "--", "true"], opt);
    }
}

#[test]
fn bad_seconds_are_rejected() {
    rejected(&["--time", "abc", "--", "true"], "--time");
    rejected(&["--time=-1", "--", "true"], "--time");
    rejected(&["--wall-time", "1x", "--", "true"], "--wall-time");
}

#[test]
fn bad_numbers_are_rejected() {
    rejected(&["--pids", "many", "--", "true"], "--pids");
    rejected(&["--percent=-5", "--", "true"], "--percent");
    rejected(&["--period", "zero", "--", "true"], "--period");
    // cgroup-v1 shares are 2..=262144.
    rejected(&["--shares", "1", "--", "true"], "--shares");
    rejected(&["--shares", "262145", "--", "true"], "--shares");
    rejected(&["--cpus", "a-b", "--", "true"], "--cpus");
}

#[test]
fn bad_net_mode_is_rejected() {
    rejected(&["--net", "wifi", "--", "true"], "--net");
}

#[test]
fn unknown_flag_exits_2() {
    let _g = lock();
    let out = dokeru(&["run", "--no-such-flag", "--", "true"]);
    assert_eq!(out.code, 2, "{}", out.ctx());
    assert!(out.json.is_null(), "{}", out.ctx());
}

#[test]
fn missing_program_exits_2() {
    let _g = lock();
    let out = dokeru(&["run", "--time", "1"]);
    assert_eq!(out.code, 2, "{}", out.ctx());
}

#[test]
fn help_exits_0() {
    let _g = lock();
    let out = dokeru(&["run", "--help"]);
    assert_eq!(out.code, 0, "{}", out.ctx());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--time", "--wall-time", "--mem", "--mem-soft", "--percent", "--period", "--shares", "--cpus", "--pids",
        "--fsize", "--disk", "--output-limit", "--stdin", "--stdout", "--stderr", "--copy", "--bind", "--env",
        "--net", "--seccomp", "--result",
    ] {
        assert!(help.contains(opt), "--help does not mention {opt}{}", out.ctx());
    }
}

/// Not root: the sandbox cannot be built, so dokeru exits 125; if it printed a result, it says
/// internal_error with a message naming the step.
#[test]
fn not_root_is_internal_error_125() {
    if !require_root() {
        return; // we need root to switch to uid 65534 for this one
    }
    let _g = lock();
    let snap = HostSnapshot::take();
    let out = dokeru_with(&["run", "--", "true"], &Opts { uid: Some(65534), ..Opts::default() });
    snap.assert_unchanged(&out.ctx());
    assert_eq!(out.code, 125, "a sandbox that cannot be built exits 125{}", out.ctx());
    if !out.json.is_null() {
        assert_eq!(out.status(), "internal_error", "{}", out.ctx());
        assert!(!out.json["message"].as_str().unwrap_or("").is_empty(), "{}", out.ctx());
    }
}

/// The test programs compile (tests/programs, tests/hostile). scripts/test-vm.sh runs this on
/// the host first, so the VM finds them compiled in CARGO_TARGET_TMPDIR.
#[test]
fn test_programs_compile() {
    for p in ["exit_code", "info", "spin_threads", "fork_bomb", "memory_bomb", "int80", "hello.sh", "env_dump.py"] {
        assert!(prog(p).is_file(), "{p}");
    }
}

/// The leftover check can fail: a stray process under the test and a stray `dokeru*` temp
/// directory are both reported.
#[test]
fn leftover_check_detects_strays() {
    let _g = lock();
    let snap = HostSnapshot::take();
    let dir = std::env::temp_dir().join(format!("dokeru-dkt-selftest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    let res = std::panic::catch_unwind(|| snap.assert_unchanged(""));
    let _ = child.kill();
    let _ = child.wait();
    std::fs::remove_dir_all(&dir).unwrap();
    let msg = match res {
        Ok(()) => panic!("the leftover check saw nothing"),
        Err(e) => e.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    assert!(msg.contains("sleep") && msg.contains("dokeru-dkt-selftest"), "{msg}");
    HostSnapshot::take().assert_unchanged("after the self-test");
}
