//! Hostile programs (`tests/hostile/*.c`), each through `dokeru run` only, each with the
//! outcome it must get (also stated at the top of its source). The fork bomb and the memory
//! bomb run only in the cgroup-v2 VM (CG2VM=1) or with DOKERU_TEST_DANGEROUS=1; everywhere
//! else they print why they are skipped. Needs root (skipped with a printed reason).

mod common;
use common::*;
use std::io::Read;
use std::net::TcpListener;

/// A listener on the host's 127.0.0.1; `accepted()` tells whether anything connected.
struct HostListener(TcpListener);

impl HostListener {
    fn new() -> HostListener {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind a host listener");
        l.set_nonblocking(true).unwrap();
        HostListener(l)
    }
    fn port(&self) -> String {
        self.0.local_addr().unwrap().port().to_string()
    }
    fn accepted(&self) -> Option<String> {
        match self.0.accept() {
            Ok((mut s, addr)) => {
                let mut buf = String::new();
                s.set_nonblocking(false).ok();
                s.set_read_timeout(Some(std::time::Duration::from_millis(200))).ok();
                let _ = s.read_to_string(&mut buf);
                Some(format!("{addr}: {buf:?}"))
            }
            Err(_) => None,
        }
    }
}

/// net_connect to a host listener, default seccomp: syscall_denied, denied_syscall "socket";
/// the listener sees nothing.
#[test]
fn hostile_net_connect_is_denied_socket() {
    if !require_root() {
        return;
    }
    let l = HostListener::new();
    let out = sandbox(&[], "net_connect", &[&l.port()]);
    out.expect_result().expect_status("syscall_denied");
    assert_eq!(out.json["denied_syscall"], "socket", "{}", out.ctx());
    assert_eq!(l.accepted(), None, "the sandbox reached the host listener{}", out.ctx());
}

/// net_connect with `--seccomp off`: the connect fails (no route to the host's loopback),
/// status nonzero_exit with exit_code 1; the listener sees nothing.
#[test]
fn hostile_net_connect_seccomp_off_cannot_reach_host() {
    if !require_root() {
        return;
    }
    let l = HostListener::new();
    for net in ["none", "loopback"] {
        let out = sandbox(&["--seccomp", "off", "--net", net], "net_connect", &[&l.port()]);
        out.expect_result().expect_status("nonzero_exit");
        assert_eq!(out.json["exit_code"], 1, "{}", out.ctx());
        assert!(out.text("stdout").contains("connect failed"), "{}", out.ctx());
        assert_eq!(l.accepted(), None, "the sandbox reached the host listener{}", out.ctx());
    }
}

/// read_host_file on canaries in /root and /var/tmp, by absolute path, /proc/1/root/...,
/// /proc/self/root/... and ../..: it runs (ok) and the secret never appears.
#[test]
fn hostile_read_host_file_never_sees_the_secret() {
    if !require_root() {
        return;
    }
    let canaries: Vec<Canary> = ["/root", "/var/tmp"]
        .iter()
        .filter(|d| std::path::Path::new(d).is_dir())
        .map(|d| Canary::new(d))
        .collect();
    let mut paths = Vec::new();
    for c in &canaries {
        let p = c.path.display().to_string();
        paths.push(p.clone());
        paths.push(format!("/proc/1/root{p}"));
        paths.push(format!("/proc/self/root{p}"));
        paths.push(format!("../../../..{p}"));
    }
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let out = sandbox(&[], "read_host_file", &args);
    out.expect_result().expect_status("ok");
    let (o, e) = (out.text("stdout"), out.text("stderr"));
    assert_eq!(o.lines().count(), paths.len(), "it must have tried every path{}", out.ctx());
    for c in &canaries {
        assert!(!o.contains(&c.secret) && !e.contains(&c.secret), "host secret {} leaked{}", c.path.display(), out.ctx());
    }
}

/// mount, default seccomp: syscall_denied "mount".
#[test]
fn hostile_mount_is_denied_mount() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "mount", &[]);
    out.expect_result().expect_status("syscall_denied");
    assert_eq!(out.json["denied_syscall"], "mount", "{}", out.ctx());
}

/// mount with `--seccomp off`: the kernel refuses (no capability): nonzero_exit, "mount failed".
#[test]
fn hostile_mount_seccomp_off_fails() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--seccomp", "off"], "mount", &[]);
    out.expect_result().expect_status("nonzero_exit");
    assert!(out.text("stdout").contains("mount failed"), "{}", out.ctx());
}

/// ptrace(PTRACE_TRACEME): syscall_denied "ptrace".
#[test]
fn hostile_ptrace_is_denied_ptrace() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "ptrace", &[]);
    out.expect_result().expect_status("syscall_denied");
    assert_eq!(out.json["denied_syscall"], "ptrace", "{}", out.ctx());
}

/// int 0x80 (i386 ABI): syscall_denied, denied_syscall starting with "i386".
#[test]
fn hostile_int80_is_denied_i386() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "int80", &[]);
    out.expect_result().expect_status("syscall_denied");
    let name = out.json["denied_syscall"].as_str().unwrap_or("");
    assert!(name.starts_with("i386"), "denied_syscall {name:?}{}", out.ctx());
}

/// output_flood with `--output-limit 1M`: output_limit_exceeded, exactly 1 MiB kept across
/// stdout and stderr, truncated.
#[test]
fn hostile_output_flood_is_cut_at_the_limit() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--output-limit", "1M"], "output_flood", &[]);
    out.expect_result().expect_status("output_limit_exceeded");
    let kept = out.text("stdout").len() + out.text("stderr").len();
    assert_eq!(kept as u64, MIB, "{}", out.ctx());
    assert!(out.truncated("stdout") || out.truncated("stderr"), "{}", out.ctx());
}

/// ignore_signals spinning under `--time 1`: killed anyway, time_limit_exceeded.
#[test]
fn hostile_ignore_signals_is_killed_tle() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--time", "1"], "ignore_signals", &[]);
    out.expect_result().expect_status("time_limit_exceeded");
    out.in_range("cpu_time_ms", 1000.0, 1050.0);
}

/// sigstop (stops itself) under `--wall-time 1`: wall_time_limit_exceeded, killed and reaped.
#[test]
fn hostile_sigstop_is_killed_wtle() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--wall-time", "1"], "sigstop", &[]);
    out.expect_result().expect_status("wall_time_limit_exceeded");
    assert_eq!(out.text("stdout"), "stopping\n", "{}", out.ctx());
}

/// daemon (double fork + setsid + sleep 100 holding stdout): dokeru does not wait for it:
/// ok, wall_time_ms far below the daemon's 100 s; the daemon is gone after the run.
#[test]
fn hostile_orphaned_daemon_does_not_hold_the_run() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--wall-time", "90"], "daemon", &[]);
    out.expect_result().expect_status("ok");
    assert!(out.text("stdout").contains("parent done"), "{}", out.ctx());
    let limit = 20_000.0 * slow_factor() as f64;
    assert!(out.num("wall_time_ms") < limit.min(80_000.0), "{}", out.ctx());
    assert!(out.elapsed.as_secs() < 85, "dokeru waited for the daemon{}", out.ctx());
}

/// spin_threads 8 under `--time 1 --pids 4`: thread creation is capped too; still TLE.
#[test]
fn hostile_spin_threads_under_pids_limit_is_tle() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--time", "1", "--pids", "4"], "spin_threads", &["8"]);
    out.expect_result().expect_status("time_limit_exceeded");
    out.in_range("cpu_time_ms", 1000.0, 1050.0);
}

/// memory_bomb with `--mem 64M --time 10`: memory_limit_exceeded, oom_killed; host unaffected.
#[test]
fn hostile_memory_bomb_is_mle() {
    if !require_root() || !dangerous_allowed() {
        return;
    }
    let out = sandbox(&["--mem", "64M", "--time", "10"], "memory_bomb", &[]);
    out.expect_result().expect_status("memory_limit_exceeded");
    assert_eq!(out.json["oom_killed"], true, "{}", out.ctx());
    assert!(out.num("memory_peak_bytes") <= 1.05 * (64 * MIB) as f64, "{}", out.ctx());
}

/// fork_bomb with `--pids 32 --time 2`: time_limit_exceeded or wall_time_limit_exceeded (never
/// ok), dokeru returns, nothing is left on the host (checked by `sandbox`).
#[test]
fn hostile_fork_bomb_is_contained() {
    if !require_root() || !dangerous_allowed() {
        return;
    }
    let out = sandbox(&["--pids", "32", "--time", "2"], "fork_bomb", &[]);
    out.expect_result();
    let st = out.status();
    assert!(st == "time_limit_exceeded" || st == "wall_time_limit_exceeded", "status {st}{}", out.ctx());
    expect_limit(&out, Q::Pids, 32.0);
}
