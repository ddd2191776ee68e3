//! Fault tolerance (issue #4, part 2): a dokeru killed at random points of a run
//! leaves nothing behind once the next dokeru starts; an exhausted pid space and a
//! full box give `internal_error` with a clear message, never a hang; many runs in a
//! row leave the host's fds, memory, cgroups and mounts as they were.
//!
//! All of these need root; they print `skipped: <reason>` otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn dokeru() -> &'static str {
    env!("CARGO_BIN_EXE_dokeru")
}

fn root_or_skip(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    eprintln!("skipped: {test}: needs root");
    false
}

/// Every run cgroup directory under dokeru's parent (all v1 controllers, or v2).
fn run_cgroups() -> Vec<PathBuf> {
    let mut parents = vec![PathBuf::from("/sys/fs/cgroup/dokeru")];
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
        for e in rd.flatten() {
            parents.push(e.path().join("dokeru"));
        }
    }
    let mut out = Vec::new();
    for p in parents {
        if let Ok(rd) = std::fs::read_dir(&p) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().starts_with("run-") {
                    out.push(e.path());
                }
            }
        }
    }
    out
}

fn mounts() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

/// Processes whose parent is `pid` (direct children).
fn children_of(pid: u32) -> Vec<u32> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
            if let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) {
                if rest.split(' ').nth(1).and_then(|x| x.parse::<u32>().ok()) == Some(pid) {
                    v.push(p);
                }
            }
        }
    }
    v
}

fn wait_gone(pid: u32, within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[test]
fn sigkill_at_random_points_leaves_nothing_after_the_next_start() {
    if !root_or_skip("sigkill_at_random_points_leaves_nothing_after_the_next_start") {
        return;
    }
    let mounts_before = mounts();
    // Deterministic "random" points spread over setup, run and teardown.
    let delays_us = [0u64, 300, 700, 1200, 2000, 3500, 5000, 8000, 15000, 40000];
    for &d in &delays_us {
        let mut child = Command::new(dokeru())
            .args(["run", "--wall-time", "20", "--", "/bin/sh", "-c", "sleep 100 & sleep 100"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        std::thread::sleep(Duration::from_micros(d));
        // Note the sandbox's init (our child's child) before the kill, if it exists yet.
        let grandchildren = children_of(pid);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // init dies with its parent (PR_SET_PDEATHSIG), and the pid namespace with init.
        for g in grandchildren {
            assert!(wait_gone(g, Duration::from_secs(10)), "delay {d} us: sandbox process {g} outlived the killed dokeru");
        }
        // The next dokeru sweeps the killed one's cgroup.
        let out = Command::new(dokeru()).args(["run", "--", "/bin/true"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "delay {d} us: {}", String::from_utf8_lossy(&out.stderr));
        let prefix = format!("run-{pid}-");
        let left: Vec<_> = run_cgroups().into_iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&prefix)).collect();
        assert!(left.is_empty(), "delay {d} us: cgroups left after the next start: {left:?}");
    }
    assert_eq!(mounts(), mounts_before, "the host's mount table changed");
}

fn run_json(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = Command::new(dokeru()).arg("run").args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), v, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn exhausted_pid_space_is_an_internal_error_naming_the_step() {
    if !root_or_skip("exhausted_pid_space_is_an_internal_error_naming_the_step") {
        return;
    }
    // --pids 1 leaves room for init only: forking the program must fail.
    let started = Instant::now();
    let (code, v, err) = run_json(&["--pids", "1", "--wall-time", "5", "--", "/bin/true"]);
    assert_eq!(code, Some(125), "{v} {err}");
    assert_eq!(v["status"], "internal_error");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("fork the program"), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
}

#[test]
fn full_box_is_an_internal_error_naming_the_file() {
    if !root_or_skip("full_box_is_an_internal_error_naming_the_file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 2 << 20]).unwrap();
    let (code, v, _) = run_json(&["--disk", "1M", "--copy", big.to_str().unwrap(), "--", "/bin/true"]);
    assert_eq!(code, Some(125));
    assert_eq!(v["status"], "internal_error");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("copy into the box") && msg.contains("big.bin"), "{msg}");
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|x| x.parse().ok()).unwrap()
}

/// Runs in-process through the library, so the test process itself is what must
/// not leak: fds, memory, cgroups, mounts. `DOKERU_SOAK_RUNS` sets the count
/// (default 300; CI's `--soak` run uses 1000).
#[test]
fn many_runs_leave_fds_memory_cgroups_and_mounts_as_they_were() {
    if !root_or_skip("many_runs_leave_fds_memory_cgroups_and_mounts_as_they_were") {
        return;
    }
    let runs: usize = std::env::var("DOKERU_SOAK_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let spec = || {
        let args = dokeru::cli::RunArgs {
            time: Some("1".into()),
            mem: Some("64M".into()),
            net: "none".into(),
            program: vec!["/bin/sh".into(), "-c".into(), "echo hi; echo err >&2".into()],
            ..Default::default()
        };
        dokeru::config::build_run(&args).unwrap().spec
    };
    // Warm up (per-process caches, the cgroup parent), then measure.
    for _ in 0..20 {
        dokeru::sandbox::run(spec()).unwrap();
    }
    let (fds, rss, mounts_before) = (open_fds(), rss_kib(), mounts());
    let own: Vec<PathBuf> = run_cgroups();
    for i in 0..runs {
        let o = dokeru::sandbox::run(spec()).unwrap_or_else(|e| panic!("run {i}: {e}"));
        assert_eq!(dokeru::sandbox::classify(&o), dokeru::sandbox::Status::Ok, "run {i}");
        assert_eq!(o.stdout.bytes, b"hi\n");
    }
    assert_eq!(open_fds(), fds, "file descriptors leaked");
    let grown = rss_kib().saturating_sub(rss);
    assert!(grown < 4096, "RSS grew by {grown} KiB over {runs} runs");
    assert_eq!(mounts(), mounts_before, "mounts changed");
    let pid_prefix = format!("run-{}-", std::process::id());
    let left: Vec<_> = run_cgroups()
        .into_iter()
        .filter(|p| !own.contains(p) && p.file_name().unwrap().to_string_lossy().starts_with(&pid_prefix))
        .collect();
    assert!(left.is_empty(), "cgroups left: {left:?}");
}
