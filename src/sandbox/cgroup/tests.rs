//! Tests of the whole layer: detection into a fake tree, names, and real-kernel tests.
//!
//! The real-kernel tests need root and a given cgroup version. Elsewhere they print
//! `skipped: <reason>` and return. The v1 ones run on our hybrid development hosts, the v2
//! ones in the cgroup-v2 VM (`shared/vm/run-in-cgroup2-vm.sh`). They use their own parent
//! (`dokeru-test`) so that a concurrent `dokeru` sweeping `dokeru/` never sees them, and
//! only harmless children (`sleep`, a short shell loop): never a fork or memory bomb.

use super::*;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};

const HYBRID_V1: &str = include_str!("testdata/mountinfo-hybrid-v1.txt");
const TEST_PARENT: &str = "dokeru-test";

#[test]
fn detect_at_points_v1_mounts_into_the_sysroot() {
    let tmp = tempfile::tempdir().unwrap();
    let h = Hierarchy::detect_at(HYBRID_V1, tmp.path(), "dokeru").unwrap();
    assert_eq!(h.version(), Version::V1);
    let Hierarchy::V1(v1) = &h else { unreachable!() };
    assert_eq!(v1.mounts().memory, Some(tmp.path().join("sys/fs/cgroup/memory")));
    assert_eq!(v1.parent_in(&tmp.path().join("sys/fs/cgroup/pids")), tmp.path().join("sys/fs/cgroup/pids/dokeru"));
}

#[test]
fn detect_at_finds_v2_and_reports_no_hierarchy() {
    let tmp = tempfile::tempdir().unwrap();
    let v2 = "27 24 0:25 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
    let h = Hierarchy::detect_at(v2, tmp.path(), "dokeru").unwrap();
    let Hierarchy::V2(v2h) = &h else { panic!("expected v2") };
    assert_eq!(v2h.parent(), tmp.path().join("sys/fs/cgroup/dokeru"));
    let none = "22 27 0:21 / /proc rw - proc proc rw\n";
    assert!(matches!(Hierarchy::detect_at(none, tmp.path(), "dokeru"), Err(CgroupError::NoHierarchy { .. })));
}

#[test]
fn parent_names_that_escape_or_trespass_are_refused() {
    for bad in ["", "/abs", "../up", "a/../b", "./x", "process_api", "x/process_api"] {
        assert!(matches!(validate_parent_name(bad), Err(CgroupError::InvalidName { .. })), "{bad:?} accepted");
    }
    for good in ["dokeru", "grader.slice/dokeru"] {
        validate_parent_name(good).unwrap();
    }
    assert!(Hierarchy::detect_at(HYBRID_V1, Path::new("/nonexistent"), "../etc").is_err());
}

#[test]
fn run_names_are_one_plain_component() {
    for bad in ["", ".", "..", "a/b", "a\0b"] {
        assert!(validate_run_name(bad).is_err(), "{bad:?} accepted");
    }
    validate_run_name("run-123-456-7").unwrap();
}

#[test]
fn permission_errors_carry_a_hint() {
    let err = CgroupError::Create { path: "/sys/fs/cgroup/dokeru".into(), source: std::io::Error::from_raw_os_error(libc::EACCES) };
    assert!(err.hint().unwrap().contains("root"));
    let err = CgroupError::Parse { path: "x".into(), content: String::new() };
    assert!(err.hint().is_none());
}

// ---- real kernel ----

/// The host's hierarchy when it is `want` and we are root; otherwise why not.
fn real_hierarchy(want: Version) -> Result<Hierarchy, String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err("needs root".into());
    }
    match Hierarchy::detect_with_parent(TEST_PARENT) {
        Ok(h) if h.version() == want => Ok(h),
        Ok(h) => Err(format!("host runs cgroup {}, this test is for {}", h.version().as_str(), want.as_str())),
        Err(e) => Err(format!("no cgroup hierarchy: {e}")),
    }
}

macro_rules! real_or_skip {
    ($want:expr) => {
        match real_hierarchy($want) {
            Ok(h) => h,
            Err(reason) => {
                eprintln!("skipped: {reason}");
                return;
            }
        }
    };
}

fn run_name(label: &str) -> String {
    format!("test-{}-{label}", std::process::id())
}

/// Every directory of run `name` (v1: one per controller mount that has it).
fn run_dirs(h: &Hierarchy, name: &str) -> Vec<PathBuf> {
    match h {
        Hierarchy::V1(v1) => {
            let m = v1.mounts();
            [&m.memory, &m.cpuacct, &m.cpu, &m.cpuset, &m.pids]
                .into_iter()
                .flatten()
                .map(|mount| v1.parent_in(mount).join(name))
                .collect()
        }
        Hierarchy::V2(v2) => vec![v2.parent().join(name)],
    }
}

fn memory_dir(h: &Hierarchy, name: &str) -> PathBuf {
    match h {
        Hierarchy::V1(v1) => v1.parent_in(v1.mounts().memory.as_ref().unwrap()).join(name),
        Hierarchy::V2(v2) => v2.parent().join(name),
    }
}

fn spawn_sleep() -> Child {
    Command::new("sleep").arg("5").stdin(Stdio::null()).spawn().expect("spawn sleep")
}

fn read_trimmed(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())).trim().to_string()
}

fn lifecycle(want: Version) {
    let h = real_or_skip!(want);
    let name = run_name(&format!("life-{}", want.as_str()));
    let limits = CgroupLimits { memory_max_bytes: Some(64 << 20), pids_max: Some(16), ..Default::default() };
    let run = h.create_run(&name, &limits).unwrap();

    let mem = memory_dir(&h, &name);
    match want {
        Version::V1 => {
            assert_eq!(read_trimmed(&mem.join("memory.limit_in_bytes")), "67108864");
            if mem.join("memory.memsw.limit_in_bytes").exists() {
                assert_eq!(read_trimmed(&mem.join("memory.memsw.limit_in_bytes")), "67108864");
            }
            assert!(run.clone_into_fd().is_none());
        }
        Version::V2 => {
            assert_eq!(read_trimmed(&mem.join("memory.max")), "67108864");
            if mem.join("memory.swap.max").exists() {
                assert_eq!(read_trimmed(&mem.join("memory.swap.max")), "0");
            }
            assert_eq!(read_trimmed(&mem.join("pids.max")), "16");
            let fd = run.clone_into_fd().expect("v2 has a cgroup fd");
            // SAFETY: an all-zero stat is a valid value to be overwritten; fd is owned by `run`, alive here.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            // SAFETY: fd is valid and st is a writable stat buffer.
            assert_eq!(unsafe { libc::fstat(fd, &mut st) }, 0);
            assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFDIR);
        }
    }
    assert!(run.has_peak_counter(), "this kernel should have a peak counter");

    let mut child = spawn_sleep();
    let pid = child.id() as i32;
    run.add_pid(pid).unwrap();
    assert!(run.pids().unwrap().contains(&pid), "{pid} not in {:?}", run.pids());

    run.kill_all().unwrap();
    // The child is not reaped yet (a zombie): destroy must still succeed.
    run.destroy().unwrap();
    for dir in run_dirs(&h, &name) {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    // Destroy is idempotent: a sweep and a normal exit may both try.
    run.destroy().unwrap();
}

fn cpu_usage_counts_a_busy_child(want: Version) {
    let h = real_or_skip!(want);
    let name = run_name(&format!("cpu-{}", want.as_str()));
    let run = h.create_run(&name, &CgroupLimits { pids_max: Some(16), ..Default::default() }).unwrap();
    // The loop waits for a line on stdin, so all of its CPU time is spent after add_pid.
    let mut child = Command::new("sh")
        .args(["-c", "read x; i=0; while [ $i -lt 120000 ]; do i=$((i+1)); done"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    run.add_pid(child.id() as i32).unwrap();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let usage = run.cpu_usage().unwrap();
    let total = run.cpu_total().unwrap();
    eprintln!("cgroup {}: {usage:?}", want.as_str());
    assert!(usage.total >= Duration::from_millis(30), "too little CPU time: {usage:?}");
    assert!(total >= usage.total, "cpu_total {total:?} went backwards from {usage:?}");
    let split = usage.user + usage.system;
    let slack = usage.total / 10 + Duration::from_millis(20);
    assert!(split.abs_diff(usage.total) <= slack, "user+system {split:?} far from total {usage:?}");
    let peak = run.memory_peak().unwrap();
    let expected = if want == Version::V1 { "cgroup:memory.max_usage_in_bytes" } else { "cgroup:memory.peak" };
    assert_eq!(peak.source, expected);
    assert_eq!(run.memory_events().unwrap().oom_kills, 0);
    run.destroy().unwrap();
}

fn sweep_kills_and_removes_a_dead_run(want: Version) {
    let h = real_or_skip!(want);
    let name = run_name(&format!("sweep-{}", want.as_str()));
    let run = h.create_run(&name, &CgroupLimits { memory_max_bytes: Some(32 << 20), ..Default::default() }).unwrap();
    let mut child = spawn_sleep();
    run.add_pid(child.id() as i32).unwrap();
    drop(run);
    // Everything else under the test parent belongs to tests running right now.
    assert_eq!(h.sweep_stale(&|n| n != name).unwrap(), 1);
    for dir in run_dirs(&h, &name) {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
}

fn every_limit_is_accepted_by_the_kernel(want: Version) {
    let h = real_or_skip!(want);
    let name = run_name(&format!("limits-{}", want.as_str()));
    let limits = CgroupLimits {
        memory_max_bytes: Some(64 << 20),
        memory_soft_bytes: Some(32 << 20),
        cpu_quota: Some((50_000, 100_000)),
        cpu_shares: Some(1024),
        cpus: Some("0".into()),
        pids_max: Some(16),
    };
    let run = h.create_run(&name, &limits).unwrap();
    match &h {
        Hierarchy::V1(v1) => {
            let m = v1.mounts();
            let cpu = v1.parent_in(m.cpu.as_ref().unwrap()).join(&name);
            assert_eq!(read_trimmed(&cpu.join("cpu.cfs_quota_us")), "50000");
            assert_eq!(read_trimmed(&cpu.join("cpu.cfs_period_us")), "100000");
            assert_eq!(read_trimmed(&cpu.join("cpu.shares")), "1024");
            let cpuset = v1.parent_in(m.cpuset.as_ref().unwrap()).join(&name);
            assert_eq!(read_trimmed(&cpuset.join("cpuset.cpus")), "0");
            assert!(!read_trimmed(&cpuset.join("cpuset.mems")).is_empty(), "mems not copied");
            let mem = memory_dir(&h, &name);
            assert_eq!(read_trimmed(&mem.join("memory.soft_limit_in_bytes")), "33554432");
            assert_eq!(read_trimmed(&mem.join("memory.swappiness")), "0");
        }
        Hierarchy::V2(v2) => {
            let dir = v2.parent().join(&name);
            assert_eq!(read_trimmed(&dir.join("cpu.max")), "50000 100000");
            assert_eq!(read_trimmed(&dir.join("cpu.weight")), "39");
            assert_eq!(read_trimmed(&dir.join("cpuset.cpus")), "0");
            assert_eq!(read_trimmed(&dir.join("memory.high")), "33554432");
        }
    }
    // Joining proves the cpuset is usable (v1 refuses tasks while cpus or mems is empty).
    let mut child = spawn_sleep();
    run.add_pid(child.id() as i32).unwrap();
    run.destroy().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
}

/// The pidfd kill loop used where `cgroup.kill` is absent (v1 always, v2 before 5.14),
/// exercised on v2 too, where `kill_all` would otherwise use `cgroup.kill`.
fn kill_loop_empties_a_real_cgroup(want: Version) {
    let h = real_or_skip!(want);
    let name = run_name(&format!("killloop-{}", want.as_str()));
    let run = h.create_run(&name, &CgroupLimits { pids_max: Some(16), ..Default::default() }).unwrap();
    let mut children = [spawn_sleep(), spawn_sleep()];
    for child in &children {
        run.add_pid(child.id() as i32).unwrap();
    }
    let procs = memory_dir(&h, &name).join("cgroup.procs");
    files::kill_loop(&procs, files::EMPTY_TIMEOUT).unwrap();
    assert!(run.pids().unwrap().is_empty());
    for child in &mut children {
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    }
    run.destroy().unwrap();
}

fn features_on_this_host(want: Version) {
    let h = real_or_skip!(want);
    let features = h.features();
    for f in &features {
        eprintln!("{:<22} {:<3} {} {}", f.name, if f.ok { "ok" } else { "NO" }, f.detail, f.hint.as_deref().unwrap_or(""));
    }
    for name in ["cgroup version", "controller memory", "controller pids", "controller cpuset"] {
        assert!(features.iter().any(|f| f.name == name && f.ok), "{name} not ok");
    }
}

#[test]
fn real_v1_lifecycle() {
    lifecycle(Version::V1);
}

#[test]
fn real_v2_lifecycle() {
    lifecycle(Version::V2);
}

#[test]
fn real_v1_cpu_usage() {
    cpu_usage_counts_a_busy_child(Version::V1);
}

#[test]
fn real_v2_cpu_usage() {
    cpu_usage_counts_a_busy_child(Version::V2);
}

#[test]
fn real_v1_sweep() {
    sweep_kills_and_removes_a_dead_run(Version::V1);
}

#[test]
fn real_v2_sweep() {
    sweep_kills_and_removes_a_dead_run(Version::V2);
}

#[test]
fn real_v1_features() {
    features_on_this_host(Version::V1);
}

#[test]
fn real_v2_features() {
    features_on_this_host(Version::V2);
}

#[test]
fn real_v1_limits() {
    every_limit_is_accepted_by_the_kernel(Version::V1);
}

#[test]
fn real_v2_limits() {
    every_limit_is_accepted_by_the_kernel(Version::V2);
}

#[test]
fn real_v1_kill_loop() {
    kill_loop_empties_a_real_cgroup(Version::V1);
}

#[test]
fn real_v2_kill_loop() {
    kill_loop_empties_a_real_cgroup(Version::V2);
}
