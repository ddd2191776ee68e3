//! `dokeru run` isolation: identity, /proc, /dev, filesystems, binds, network, seccomp.
//! Each test states the outcome it asserts. Needs root (skipped with a printed reason).

mod common;
use common::*;

/// Inside: not uid 0, not pid 1, no capabilities, no_new_privs, a seccomp filter, the
/// hostname is not the host's, the working directory is /box.
#[test]
fn identity_inside_is_unprivileged() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "info", &[]);
    out.expect_result().expect_status("ok");
    let kv = out.kv();
    let get = |k: &str| kv.get(k).cloned().unwrap_or_else(|| panic!("no {k} in info output{}", out.ctx()));
    assert_ne!(get("uid"), "0", "uid inside must not be 0{}", out.ctx());
    assert_ne!(get("euid"), "0", "{}", out.ctx());
    assert_ne!(get("pid"), "1", "the program must not be pid 1{}", out.ctx());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_ne!(get("hostname"), host.trim(), "hostname inside must not be the host's{}", out.ctx());
    assert_eq!(get("CapEff"), "0000000000000000", "{}", out.ctx());
    assert_eq!(get("CapPrm"), "0000000000000000", "{}", out.ctx());
    assert_eq!(get("NoNewPrivs"), "1", "{}", out.ctx());
    assert_eq!(get("Seccomp"), "2", "the default seccomp filter must be on{}", out.ctx());
    assert_eq!(get("cwd"), "/box", "{}", out.ctx());
}

/// `--seccomp off`: no filter (Seccomp: 0), still no_new_privs and no capabilities.
#[test]
fn seccomp_off_has_no_filter() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--seccomp", "off"], "info", &[]);
    out.expect_result().expect_status("ok");
    let kv = out.kv();
    assert_eq!(kv.get("Seccomp").map(String::as_str), Some("0"), "{}", out.ctx());
    assert_eq!(kv.get("CapEff").map(String::as_str), Some("0000000000000000"), "{}", out.ctx());
}

/// `--seccomp NAME`: an unknown policy is rejected before anything runs.
#[test]
fn seccomp_unknown_policy_is_rejected() {
    if !require_root() {
        return;
    }
    let _g = lock();
    let out = dokeru(&["run", "--seccomp", "no-such-policy-dkt", "--", "true"]);
    assert!(out.code == 2 || out.code == 125, "unknown policy must not run{}", out.ctx());
    assert!(out.json.is_null() || out.status() == "internal_error", "{}", out.ctx());
}

/// /proc is the sandbox's own: only the sandbox's few processes.
#[test]
fn proc_shows_only_sandbox_processes() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "info", &[]);
    out.expect_result().expect_status("ok");
    let kv = out.kv();
    let pids: Vec<u32> = kv["proc_pids"].split(',').filter_map(|p| p.parse().ok()).collect();
    assert!(!pids.is_empty() && pids.len() <= 3, "/proc lists {pids:?}{}", out.ctx());
    assert!(pids.contains(&kv["pid"].parse::<u32>().unwrap()), "{}", out.ctx());
    assert!(pids.iter().all(|&p| p < 100), "{}", out.ctx());
}

/// /dev has null, zero, full, random, urandom; no terminal, no ptmx, no disks.
#[test]
fn dev_has_only_the_five_devices() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "info", &[]);
    out.expect_result().expect_status("ok");
    let kv = out.kv();
    let dev: Vec<&str> = kv["dev"].split(',').filter(|s| !s.is_empty()).collect();
    for want in ["null", "zero", "full", "random", "urandom"] {
        assert!(dev.contains(&want), "/dev/{want} missing: {dev:?}{}", out.ctx());
    }
    // Symlinks to /proc/self/fd and the per-run /dev/shm are fine; nothing else.
    let allowed = ["null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr", "shm"];
    let extra: Vec<&&str> = dev.iter().filter(|d| !allowed.contains(d)).collect();
    assert!(extra.is_empty(), "unexpected /dev entries {extra:?}{}", out.ctx());
}

/// The five devices work.
#[test]
fn dev_devices_work() {
    if !require_root() {
        return;
    }
    let out = sandbox(
        &[],
        "sh",
        &["-c", "echo x > /dev/null && head -c 3 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c && head -c 2 /dev/random | wc -c && (echo x > /dev/full) 2>/dev/null || echo full-refused"],
    );
    out.expect_result().expect_status("ok");
    let norm: Vec<String> = out.text("stdout").lines().map(|l| l.trim().to_string()).collect();
    assert_eq!(norm, ["3", "8", "2", "full-refused"], "{}", out.ctx());
}

/// System directories are read-only; the box is writable; nothing reaches the host.
#[test]
fn system_dirs_read_only_box_writable() {
    if !require_root() {
        return;
    }
    let out = sandbox(
        &[],
        "sh",
        &["-c", "touch /usr/dkt-probe 2>&1; touch /etc/dkt-probe 2>&1; touch /bin/dkt-probe 2>&1; touch /box/ok && echo box-writable"],
    );
    out.expect_result().expect_status("ok");
    let text = out.text("stdout");
    assert!(text.contains("box-writable"), "{}", out.ctx());
    assert!(text.matches("dkt-probe").count() >= 2, "writes to system dirs must fail{}", out.ctx());
    for p in ["/usr/dkt-probe", "/etc/dkt-probe", "/bin/dkt-probe"] {
        assert!(!std::path::Path::new(p).exists(), "{p} reached the host{}", out.ctx());
    }
}

/// /tmp and /dev/shm are writable and fresh per run; nothing is written on the host's.
#[test]
fn tmp_and_shm_are_fresh_per_run() {
    if !require_root() {
        return;
    }
    let mark = format!("dkt-mark-{}", std::process::id());
    let first = sandbox(&[], "sh", &["-c", &format!("echo 1 > /tmp/{mark} && echo 1 > /dev/shm/{mark} && echo written")]);
    first.expect_result().expect_status("ok");
    assert_eq!(first.text("stdout"), "written\n", "{}", first.ctx());
    let second = sandbox(&[], "sh", &["-c", &format!("ls -A /tmp /dev/shm /box; test -e /tmp/{mark} && echo STALE; true")]);
    second.expect_result().expect_status("ok");
    assert!(!second.text("stdout").contains("STALE"), "{}", second.ctx());
    assert!(!second.text("stdout").contains(&mark), "{}", second.ctx());
    assert!(!std::path::Path::new(&format!("/tmp/{mark}")).exists(), "written to the host's /tmp");
    assert!(!std::path::Path::new(&format!("/dev/shm/{mark}")).exists(), "written to the host's /dev/shm");
}

fn bind_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    std::fs::write(dir.path().join("f"), "bound\n").unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(dir.path().join("f"), std::fs::Permissions::from_mode(0o644)).unwrap();
    dir
}

/// `--bind SRC:DST` is read-only: reading works, writing fails and nothing reaches the host.
#[test]
fn bind_is_read_only_by_default() {
    if !require_root() {
        return;
    }
    let dir = bind_dir();
    let spec = format!("{}:/data", dir.path().display());
    let out = sandbox(&["--bind", &spec], "sh", &["-c", "cat /data/f; echo x > /data/g"]);
    out.expect_result().expect_status("nonzero_exit");
    assert_eq!(out.text("stdout"), "bound\n", "{}", out.ctx());
    assert!(out.text("stderr").contains("Read-only file system"), "{}", out.ctx());
    assert!(!dir.path().join("g").exists(), "{}", out.ctx());
}

/// `--bind SRC:DST:rw` is writable, and the write lands in the host directory.
#[test]
fn bind_rw_is_writable() {
    if !require_root() {
        return;
    }
    let dir = bind_dir();
    let spec = format!("{}:/data:rw", dir.path().display());
    let out = sandbox(&["--bind", &spec], "sh", &["-c", "echo written > /data/g && cat /data/f"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "bound\n", "{}", out.ctx());
    assert_eq!(std::fs::read_to_string(dir.path().join("g")).unwrap_or_default(), "written\n", "{}", out.ctx());
}

/// `--bind SRC` alone mounts at the same path inside.
#[test]
fn bind_without_dst_uses_the_same_path() {
    if !require_root() {
        return;
    }
    let dir = bind_dir();
    let path = dir.path().display().to_string();
    let out = sandbox(&["--bind", &path], "cat", &[&format!("{path}/f")]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "bound\n", "{}", out.ctx());
}

fn interfaces(proc_net_dev: &str) -> Vec<String> {
    proc_net_dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && !s.starts_with("---"))
        .take_while(|s| !s.contains("Main") && !s.contains("Local"))
        .collect()
}

/// `--net none` (the default): no interface but maybe a down `lo`; no address configured.
#[test]
fn net_none_has_no_usable_interface() {
    if !require_root() {
        return;
    }
    for opts in [&[][..], &["--net", "none"][..]] {
        let out = sandbox(opts, "sh", &["-c", "cat /proc/net/dev; echo ---; cat /proc/net/fib_trie"]);
        out.expect_result().expect_status("ok");
        let text = out.text("stdout");
        let (dev, fib) = text.split_once("---").unwrap_or((&text, ""));
        let ifs = interfaces(dev);
        assert!(ifs.iter().all(|i| i == "lo"), "interfaces {ifs:?}{}", out.ctx());
        assert!(!fib.contains("127.0.0.1"), "lo must be down under --net none{}", out.ctx());
    }
}

/// `--net none` with `--seccomp off`: a TCP round trip over 127.0.0.1 fails.
#[test]
fn net_none_blocks_even_loopback() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--net", "none", "--seccomp", "off"], "netloop", &[]);
    out.expect_result().expect_status("nonzero_exit");
    assert!(!out.text("stdout").contains("loopback ok"), "{}", out.ctx());
}

/// `--net loopback`: a private `lo` only, up; a TCP round trip over it works (seccomp off).
#[test]
fn net_loopback_has_a_private_lo() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--net", "loopback"], "cat", &["/proc/net/dev"]);
    out.expect_result().expect_status("ok");
    assert_eq!(interfaces(&out.text("stdout")), ["lo"], "{}", out.ctx());
    let out = sandbox(&["--net", "loopback", "--seccomp", "off"], "netloop", &[]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "loopback ok\n", "{}", out.ctx());
}
