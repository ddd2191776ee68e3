//! Shared helpers of the `dokeru run` integration tests.
//!
//! - [`dokeru`] runs the binary built by cargo with a timeout guard and parses the JSON.
//! - [`prog`] compiles `tests/programs/*.c` and `tests/hostile/*.c` once (cached in
//!   `CARGO_TARGET_TMPDIR`, so the cgroup-v2 VM reuses what the host compiled).
//! - [`sandbox`] is the way every root test runs a program: it serialises sandbox runs
//!   (timings on a loaded 2-core machine, and the leftover check needs to know that every
//!   new process/mount/cgroup is ours), takes a [`HostSnapshot`] before and checks it after.
//! - [`require_root`] / [`skip`] print `skipped: <test>: <reason>` straight to the terminal
//!   (not through libtest's capture), so a skip is never silent.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime};

pub const MIB: u64 = 1 << 20;

/// The `dokeru` binary under test.
pub fn dokeru_bin() -> &'static str {
    env!("CARGO_BIN_EXE_dokeru")
}

/// Name of the running test (libtest names each test's thread after it).
pub fn test_name() -> String {
    std::thread::current().name().unwrap_or("<unknown test>").to_string()
}

/// Print a skip line that libtest does not capture (it only captures `print!`).
pub fn skip(reason: &str) {
    let line = format!("skipped: {}: {}\n", test_name(), reason);
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    if let Ok(path) = std::env::var("DOKERU_TEST_SKIP_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// Print a note that libtest does not capture (for retries of load-dependent checks).
pub fn note(text: &str) {
    let line = format!("note: {}: {}\n", test_name(), text);
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// True when the test may go on; otherwise prints `skipped: <test>: needs root`.
pub fn require_root() -> bool {
    if is_root() {
        true
    } else {
        skip("needs root");
        false
    }
}

/// `v2` when `/sys/fs/cgroup` is the unified hierarchy, else `v1` (legacy or hybrid).
pub fn cgroup_version() -> &'static str {
    if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() { "v2" } else { "v1" }
}

/// Inside the cgroup-v2 VM (TCG emulation, ~20x slower, but a run is mostly boot-free):
/// scale guard timeouts (120 s -> 600 s), never the
/// asserted limits.
pub fn in_vm() -> bool {
    std::env::var_os("CG2VM").is_some()
}

pub fn slow_factor() -> u32 {
    if in_vm() { 5 } else { 1 }
}

pub fn host_cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// The fork bomb and the memory bomb run only where a failure cannot hurt a shared host:
/// in the cgroup-v2 VM, or when the operator opts in with `DOKERU_TEST_DANGEROUS=1`.
pub fn dangerous_allowed() -> bool {
    if in_vm() || std::env::var("DOKERU_TEST_DANGEROUS").as_deref() == Ok("1") {
        true
    } else {
        skip("dangerous hostile program: runs only in the cgroup-v2 VM (CG2VM=1) or with DOKERU_TEST_DANGEROUS=1");
        false
    }
}

// ---------------------------------------------------------------------------------------
// Test programs

fn progs() -> &'static Result<PathBuf, String> {
    static PROGS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PROGS.get_or_init(compile_all)
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn compile_all() -> Result<PathBuf, String> {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-programs");
    std::fs::create_dir_all(&out).map_err(|e| format!("create {}: {e}", out.display()))?;
    for dir in ["programs", "hostile"] {
        let entries = std::fs::read_dir(tests.join(dir)).map_err(|e| format!("read tests/{dir}: {e}"))?;
        for entry in entries {
            let src = entry.map_err(|e| e.to_string())?.path();
            let name = src.file_name().unwrap().to_string_lossy().to_string();
            let (dst, is_c) = match name.strip_suffix(".c") {
                Some(stem) => (out.join(stem), true),
                None => (out.join(&name), false),
            };
            if let (Some(s), Some(d)) = (mtime(&src), mtime(&dst)) {
                if d >= s {
                    continue;
                }
            }
            // Build under a private name and rename: several test binaries may compile at once.
            let tmp = out.join(format!(".{name}.{}", std::process::id()));
            if is_c {
                let cc = |extra: &[&str]| {
                    Command::new("gcc")
                        .args(["-O2", "-pthread", "-w"])
                        .args(extra)
                        .arg("-o")
                        .arg(&tmp)
                        .arg(&src)
                        .output()
                };
                let res = cc(&["-static"]).map_err(|e| format!("gcc not runnable: {e}"))?;
                if !res.status.success() {
                    // Dynamic fallback: the default system binds provide libc in the sandbox.
                    let res = cc(&[]).map_err(|e| format!("gcc not runnable: {e}"))?;
                    if !res.status.success() {
                        return Err(format!("gcc {}: {}", src.display(), String::from_utf8_lossy(&res.stderr)));
                    }
                }
            } else {
                std::fs::copy(&src, &tmp).map_err(|e| format!("copy {}: {e}", src.display()))?;
            }
            let mode = if is_c || name.ends_with(".sh") { 0o755 } else { 0o644 };
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &dst).map_err(|e| format!("rename to {}: {e}", dst.display()))?;
        }
    }
    Ok(out)
}

/// Host path of a compiled test program (`spin_threads`) or script (`hello.sh`).
pub fn prog(name: &str) -> PathBuf {
    match progs() {
        Ok(dir) => {
            let p = dir.join(name);
            assert!(p.exists(), "no test program {name} in {}", dir.display());
            p
        }
        Err(e) => panic!("compiling the test programs failed: {e}"),
    }
}

// ---------------------------------------------------------------------------------------
// Running dokeru

/// One invocation of `dokeru`.
#[derive(Debug)]
pub struct Out {
    pub args: Vec<String>,
    pub code: i32,
    /// The JSON result parsed from stdout (`Value::Null` when stdout is not JSON).
    pub json: Value,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Extra settings of one invocation.
#[derive(Default)]
pub struct Opts {
    /// Set in dokeru's own environment (for `--env KEY` passthrough).
    pub env: Vec<(String, String)>,
    /// Run dokeru as this uid (for the non-root case).
    pub uid: Option<u32>,
    /// Guard timeout; default 120 s x slow_factor.
    pub timeout: Option<Duration>,
}

/// dokeru's `$TMPDIR` in the tests: a directory of this test process only, so that the
/// leftover check attributes every entry in it to our runs (on a shared dev host, other tools
/// create `/tmp/dokeru-*` entries of their own at any time). Stale ones of dead test processes
/// are removed.
pub fn private_tmpdir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let prefix = if in_vm() { "tmpdir-vm-" } else { "tmpdir-" };
        if let Ok(rd) = std::fs::read_dir(base) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                // The cgroup-v2 VM shares this directory with the host while both may run: each
                // side only sweeps its own (`tmpdir-vm-<pid>` in the VM), by its own pids.
                if let Some(pid) = name.strip_prefix(prefix).and_then(|p| p.parse::<u32>().ok()) {
                    if !Path::new(&format!("/proc/{pid}")).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let dir = base.join(format!("{prefix}{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the private TMPDIR");
        dir
    })
}

/// Run `dokeru ARGS...` with the default options.
pub fn dokeru(args: &[&str]) -> Out {
    dokeru_with(args, &Opts::default())
}

/// Run `dokeru ARGS...`: stdin is /dev/null; if it does not return within the guard timeout
/// it is killed (by its pid) and the test fails.
pub fn dokeru_with(args: &[&str], opts: &Opts) -> Out {
    let mut cmd = Command::new(dokeru_bin());
    cmd.env("TMPDIR", private_tmpdir());
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    if let Some(uid) = opts.uid {
        use std::os::unix::process::CommandExt;
        cmd.uid(uid).gid(uid);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", dokeru_bin()));
    our_dokeru_pids().lock().unwrap_or_else(|e| e.into_inner()).push(child.id());
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let limit = opts.timeout.unwrap_or(Duration::from_secs(120)) * slow_factor();
    let status = match wait_timeout::ChildExt::wait_timeout(&mut child, limit).expect("wait for dokeru") {
        Some(s) => s,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dokeru {args:?} did not return within {limit:?} (killed)");
        }
    };
    let elapsed = start.elapsed();
    let stdout = t_out.join().unwrap();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).to_string();
    let code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    });
    let json = serde_json::from_slice(&stdout).unwrap_or(Value::Null);
    Out { args: args.iter().map(|s| s.to_string()).collect(), code, json, stdout, stderr, elapsed }
}

/// `dokeru run ARGS...` -> (exit code of dokeru, JSON result).
pub fn run(args: &[&str]) -> (i32, Value) {
    let mut full = vec!["run"];
    full.extend_from_slice(args);
    let out = dokeru(&full);
    (out.code, out.json)
}

impl Out {
    /// Everything useful for a failure message.
    pub fn ctx(&self) -> String {
        let json = if self.json.is_null() {
            format!("stdout (not JSON): {}", String::from_utf8_lossy(&self.stdout[..self.stdout.len().min(2000)]))
        } else {
            let mut s = serde_json::to_string_pretty(&self.json).unwrap();
            s.truncate(6000);
            s
        };
        format!("\n  args: {:?}\n  dokeru exit code: {}\n  stderr: {}\n  result: {}", self.args, self.code, self.stderr.trim(), json)
    }

    pub fn status(&self) -> &str {
        self.json["status"].as_str().unwrap_or_else(|| panic!("no status in the result{}", self.ctx()))
    }

    pub fn expect_status(&self, want: &str) -> &Self {
        assert_eq!(self.status(), want, "wrong status{}", self.ctx());
        self
    }

    /// A numeric field (e.g. `cpu_time_ms`).
    pub fn num(&self, key: &str) -> f64 {
        self.json[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number{}", self.ctx()))
    }

    pub fn in_range(&self, key: &str, lo: f64, hi: f64) -> f64 {
        let v = self.num(key);
        assert!(v >= lo && v <= hi, "{key} = {v}, expected in [{lo}, {hi}]{}", self.ctx());
        v
    }

    /// Captured text of `stdout` / `stderr` in the result (`""` when absent).
    pub fn text(&self, stream: &str) -> String {
        let s = &self.json[stream];
        if let Some(t) = s["text"].as_str() {
            return t.to_string();
        }
        if let Some(b) = s["base64"].as_str() {
            use base64::Engine;
            let raw = base64::engine::general_purpose::STANDARD.decode(b).expect("valid base64");
            return String::from_utf8_lossy(&raw).to_string();
        }
        String::new()
    }

    pub fn truncated(&self, stream: &str) -> bool {
        self.json[stream]["truncated"]
            .as_bool()
            .unwrap_or_else(|| panic!("{stream}.truncated is not a boolean{}", self.ctx()))
    }

    /// Parse `KEY=VALUE` lines of the captured stdout.
    pub fn kv(&self) -> BTreeMap<String, String> {
        self.text("stdout")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The checks every produced result must pass: dokeru exit 0, schema 1, every field the
    /// contract requires with its type, and `sandbox.cgroup` = the detected version.
    pub fn expect_result(&self) -> &Self {
        assert_eq!(self.code, 0, "dokeru must exit 0 when a result was produced{}", self.ctx());
        check_result_shape(self);
        self
    }
}

pub fn check_result_shape(out: &Out) {
    let j = &out.json;
    assert!(j.is_object(), "no JSON object on stdout{}", out.ctx());
    assert_eq!(j["schema"], 1, "schema{}", out.ctx());
    let statuses = [
        "ok",
        "nonzero_exit",
        "signaled",
        "time_limit_exceeded",
        "wall_time_limit_exceeded",
        "memory_limit_exceeded",
        "output_limit_exceeded",
        "syscall_denied",
        "internal_error",
    ];
    assert!(statuses.contains(&out.status()), "unknown status{}", out.ctx());
    for k in ["exit_code", "signal"] {
        assert!(j.get(k).is_some() && (j[k].is_null() || j[k].is_i64()), "{k} must be present, integer or null{}", out.ctx());
    }
    for k in ["cpu_time_ms", "user_time_ms", "sys_time_ms", "wall_time_ms", "memory_peak_bytes"] {
        let v = out.num(k);
        assert!(v >= 0.0, "{k} negative{}", out.ctx());
    }
    assert!(j["oom_killed"].is_boolean(), "oom_killed{}", out.ctx());
    for s in ["stdout", "stderr"] {
        let o = &j[s];
        // With --stdout FILE the stream may be absent or null; captured streams are objects.
        if o.is_object() {
            assert!(o["text"].is_string() || o["base64"].is_string(), "{s} has neither text nor base64{}", out.ctx());
            assert!(o["truncated"].is_boolean(), "{s}.truncated{}", out.ctx());
        } else {
            assert!(o.is_null(), "{s} must be an object{}", out.ctx());
        }
    }
    assert!(j["limits"].is_object(), "limits{}", out.ctx());
    assert!(j["message"].is_string(), "message{}", out.ctx());
    assert_eq!(j["sandbox"]["cgroup"], cgroup_version(), "sandbox.cgroup must be the detected version{}", out.ctx());
    if out.status() == "syscall_denied" {
        assert!(j["denied_syscall"].is_string(), "denied_syscall{}", out.ctx());
    }
}

// ---------------------------------------------------------------------------------------
// `limits` echo

/// The quantities of `limits`; values compared in a base unit (ms, bytes, us, plain).
#[derive(Clone, Copy, Debug)]
pub enum Q {
    CpuTime,
    WallTime,
    Mem,
    MemSoft,
    Percent,
    Period,
    Shares,
    Cpus,
    Pids,
    Fsize,
    Disk,
    Output,
}

impl Q {
    /// Alternatives of tokens that must all appear in the key, and tokens that must not.
    fn matcher(self) -> (&'static [&'static [&'static str]], &'static [&'static str]) {
        match self {
            Q::CpuTime => (&[&["cpu", "time"], &["time"]], &["wall", "source"]),
            Q::WallTime => (&[&["wall"]], &[]),
            Q::Mem => (&[&["mem"]], &["soft", "high", "swap", "source"]),
            Q::MemSoft => (&[&["mem", "soft"], &["soft"], &["memory_high"]], &[]),
            Q::Percent => (&[&["percent"]], &[]),
            Q::Period => (&[&["period"]], &[]),
            Q::Shares => (&[&["shares"], &["weight"]], &[]),
            Q::Cpus => (&[&["cpus"], &["cpuset"]], &["percent", "time", "shares", "period"]),
            Q::Pids => (&[&["pids"], &["processes"]], &[]),
            Q::Fsize => (&[&["fsize"], &["file", "size"]], &[]),
            Q::Disk => (&[&["disk"]], &[]),
            Q::Output => (&[&["output"]], &[]),
        }
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        _ => out.push((prefix.to_string(), v.clone())),
    }
}

/// Find the `limits` entry for `q`: (key, value converted to the base unit by the key's suffix).
pub fn limit(out: &Out, q: Q) -> Option<(String, Value)> {
    let mut flat = Vec::new();
    flatten("", &out.json["limits"], &mut flat);
    let (alts, exclude) = q.matcher();
    for alt in alts {
        for (k, v) in &flat {
            let lk = k.to_lowercase();
            if alt.iter().all(|t| lk.contains(t)) && !exclude.iter().any(|t| lk.contains(t)) {
                let conv = match v.as_f64() {
                    Some(n) => {
                        let n = if lk.ends_with("_ms") {
                            n
                        } else if lk.ends_with("_us") || lk.ends_with("_usecs") {
                            n
                        } else if lk.ends_with("_s") || lk.ends_with("_secs") || lk.ends_with("_seconds") {
                            n * 1000.0
                        } else {
                            n
                        };
                        serde_json::json!(n)
                    }
                    None => v.clone(),
                };
                return Some((k.clone(), conv));
            }
        }
    }
    None
}

/// Assert that `limits` echoes `q` with this value (base units: ms, bytes, us, plain).
pub fn expect_limit(out: &Out, q: Q, want: f64) {
    let (k, v) = limit(out, q).unwrap_or_else(|| panic!("limits has no entry for {q:?}{}", out.ctx()));
    let got = v.as_f64().unwrap_or_else(|| panic!("limits.{k} = {v} is not a number{}", out.ctx()));
    assert!((got - want).abs() <= want.abs() * 1e-6 + 1e-6, "limits.{k} = {got}, expected {want}{}", out.ctx());
}

pub fn expect_limit_str(out: &Out, q: Q, want: &str) {
    let (k, v) = limit(out, q).unwrap_or_else(|| panic!("limits has no entry for {q:?}{}", out.ctx()));
    assert_eq!(v.as_str(), Some(want), "limits.{k}{}", out.ctx());
}

// ---------------------------------------------------------------------------------------
// Serialised sandbox runs with the leftover check

/// One lock for every dokeru invocation of this test binary (see the module doc).
pub fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    static SUBREAPER: OnceLock<()> = OnceLock::new();
    SUBREAPER.get_or_init(|| {
        // Orphans of dokeru's run (a daemon that escaped) are re-parented to us instead of
        // init, so the leftover check sees them as our descendants.
        // SAFETY: prctl with integer arguments only.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    });
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A sandbox run as root tests do it: compile, lock, snapshot, `dokeru run OPTS --copy PROG
/// -- /box/PROG ARGS`, check the result shape and that the host is unchanged.
pub fn sandbox(opts: &[&str], program: &str, args: &[&str]) -> Out {
    sandbox_with(opts, program, args, &Opts::default())
}

pub fn sandbox_with(opts: &[&str], program: &str, args: &[&str], extra: &Opts) -> Out {
    let copied;
    let mut full: Vec<&str> = vec!["run"];
    full.extend_from_slice(opts);
    // A compiled test program is copied into the box; anything else (`sh`, `cat`) is
    // resolved on the sandbox's PATH.
    let target = if program.starts_with('/') || !has_prog(program) {
        program.to_string()
    } else {
        copied = prog(program).to_string_lossy().to_string();
        full.push("--copy");
        full.push(&copied);
        format!("/box/{program}")
    };
    full.push("--");
    full.push(&target);
    full.extend_from_slice(args);
    let _g = lock();
    let snap = HostSnapshot::take();
    let out = dokeru_with(&full, extra);
    snap.assert_unchanged(&out.ctx());
    out
}

fn has_prog(name: &str) -> bool {
    matches!(progs(), Ok(dir) if dir.join(name).exists())
}

// ---------------------------------------------------------------------------------------
// Leftover check

/// Pids of every dokeru this test process started.
fn our_dokeru_pids() -> &'static Mutex<Vec<u32>> {
    static PIDS: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    &PIDS
}

/// A run cgroup named `run-<pid>-...` (dokeru's naming) belongs to another, live dokeru that
/// this test process did not start: another test suite on a shared dev host. Not ours.
fn foreign_run(cgroup_name: &str) -> bool {
    let Some(pid) = cgroup_name.strip_prefix("run-").and_then(|r| r.split('-').next()).and_then(|p| p.parse::<u32>().ok())
    else {
        return false;
    };
    !our_dokeru_pids().lock().unwrap_or_else(|e| e.into_inner()).contains(&pid) && Path::new(&format!("/proc/{pid}")).exists()
}

#[derive(Debug, Clone)]
struct Proc {
    ppid: i32,
    uid: u32,
    state: char,
    comm: String,
    in_dokeru_cgroup: bool,
    /// The run cgroup's name (the path component after `dokeru`), if in one.
    run_cgroup: String,
}

fn procs() -> BTreeMap<i32, Proc> {
    let mut m = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir("/proc") else { return m };
    for e in rd.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { continue };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        let paths: Vec<&str> = cg.lines().filter_map(|l| l.splitn(3, ':').nth(2)).collect();
        let in_dokeru_cgroup = paths.iter().any(|path| path.split('/').any(|c| c == "dokeru"));
        let run_cgroup = paths
            .iter()
            .find_map(|path| {
                let mut it = path.split('/').skip_while(|c| *c != "dokeru");
                it.next();
                it.next().map(String::from)
            })
            .unwrap_or_default();
        m.insert(
            pid,
            Proc {
                ppid: field("PPid:").parse().unwrap_or(0),
                uid: field("Uid:").split_whitespace().next().and_then(|u| u.parse().ok()).unwrap_or(0),
                state: field("State:").chars().next().unwrap_or('?'),
                comm: field("Name:"),
                in_dokeru_cgroup,
                run_cgroup,
            },
        );
    }
    m
}

fn cgroup_dirs() -> BTreeSet<PathBuf> {
    let mut parents = vec![PathBuf::from("/sys/fs/cgroup/dokeru")];
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
        for e in rd.flatten() {
            parents.push(e.path().join("dokeru"));
        }
    }
    let mut s = BTreeSet::new();
    for p in parents {
        if let Ok(rd) = std::fs::read_dir(&p) {
            for e in rd.flatten() {
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    s.insert(e.path());
                }
            }
        }
    }
    s
}

/// dokeru's shared, persistent mount point for new roots (`/run/dokeru/root`, or
/// `$TMPDIR/dokeru/root` without /run): created once, empty on the host. It and its parent are
/// not a run's leftovers while empty; anything inside them is.
fn is_shared_mountpoint(p: &Path) -> bool {
    let empty = std::fs::read_dir(p).map(|mut d| d.next().is_none()).unwrap_or(false);
    let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    (name == "root" && empty) || (name == "dokeru" && p.join("root").is_dir() && std::fs::read_dir(p).map(|d| d.count() == 1).unwrap_or(false))
}

fn temp_entries() -> BTreeSet<PathBuf> {
    let mut s = BTreeSet::new();
    let tmps = vec![PathBuf::from("/tmp"), private_tmpdir().to_path_buf()];
    // Everything dokeru leaves in its (private) TMPDIR is ours.
    if let Ok(rd) = std::fs::read_dir(private_tmpdir()) {
        s.extend(rd.flatten().filter(|e| !is_shared_mountpoint(&e.path())).map(|e| e.path()));
    }
    for base in std::iter::once(PathBuf::from("/run/dokeru")).chain(tmps.iter().map(|t| t.join("dokeru"))) {
        if let Ok(rd) = std::fs::read_dir(&base) {
            for e in rd.flatten() {
                // The compiled seccomp policy cache stays by design (README, "Performance");
                // only a half-written entry in it would be a leftover.
                if e.file_name() == "seccomp" {
                    if let Ok(cache) = std::fs::read_dir(e.path()) {
                        s.extend(cache.flatten().map(|c| c.path()).filter(|c| !c.extension().is_some_and(|x| x == "bpf")));
                    }
                    continue;
                }
                if !is_shared_mountpoint(&e.path()) {
                    s.insert(e.path());
                }
            }
        }
        if let Ok(rd) = std::fs::read_dir(base.join("root")) {
            s.extend(rd.flatten().map(|e| e.path()));
        }
    }
    // The host-wide temp dirs: `dokeru*` entries. `dokeru-judge*` / `dokeru-bench*` are made by
    // other tools' tests running on shared dev hosts at the same time, never by `dokeru run`.
    let foreign = |n: &str| n.starts_with("dokeru-judge") || n.starts_with("dokeru-bench");
    for d in ["/tmp", "/var/tmp", "/dev/shm"] {
        if let Ok(rd) = std::fs::read_dir(d) {
            s.extend(
                rd.flatten()
                    .filter(|e| {
                        let n = e.file_name().to_string_lossy().to_string();
                        n.starts_with("dokeru") && !foreign(&n) && !is_shared_mountpoint(&e.path())
                    })
                    .map(|e| e.path()),
            );
        }
    }
    s
}

fn mounts() -> BTreeSet<String> {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default().lines().map(String::from).collect()
}

/// What the host looked like before a run.
pub struct HostSnapshot {
    procs: BTreeMap<i32, Proc>,
    mounts: BTreeSet<String>,
    cgroups: BTreeSet<PathBuf>,
    temps: BTreeSet<PathBuf>,
}

fn descendants_of(me: i32, procs: &BTreeMap<i32, Proc>) -> Vec<i32> {
    procs
        .keys()
        .copied()
        .filter(|&pid| {
            let mut p = pid;
            for _ in 0..64 {
                match procs.get(&p) {
                    Some(pr) if pr.ppid == me => return true,
                    Some(pr) if pr.ppid > 1 => p = pr.ppid,
                    _ => return false,
                }
            }
            false
        })
        .collect()
}

impl HostSnapshot {
    pub fn take() -> HostSnapshot {
        HostSnapshot { procs: procs(), mounts: mounts(), cgroups: cgroup_dirs(), temps: temp_entries() }
    }

    /// Everything new since the snapshot, as printable lines.
    fn leftovers(&self) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let me = std::process::id() as i32;
        let now = procs();
        for pid in descendants_of(me, &now) {
            let p = &now[&pid];
            if self.procs.contains_key(&pid) {
                // Started by the test before the snapshot (a canary process it watches).
                continue;
            }
            if p.state == 'Z' {
                // A zombie re-parented to us (we are the subreaper): reap it, it does not count.
                // SAFETY: waitpid on one specific pid with WNOHANG; it is our child.
                unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
                continue;
            }
            found.insert(format!("process {pid} ({}) still running under the test process", p.comm));
        }
        for (pid, p) in &now {
            if self.procs.contains_key(pid) || p.state == 'Z' {
                continue;
            }
            if foreign_run(&p.run_cgroup) {
                continue;
            }
            if p.in_dokeru_cgroup {
                found.insert(format!("process {pid} ({}) in a dokeru cgroup", p.comm));
            } else if p.uid == 65534 {
                found.insert(format!("process {pid} ({}) of uid 65534", p.comm));
            }
        }
        for m in mounts().difference(&self.mounts) {
            found.insert(format!("new mount: {m}"));
        }
        for m in self.mounts.difference(&mounts()) {
            found.insert(format!("mount gone: {m}"));
        }
        for c in cgroup_dirs().difference(&self.cgroups) {
            if foreign_run(&c.file_name().unwrap_or_default().to_string_lossy()) {
                continue;
            }
            found.insert(format!("cgroup left: {}", c.display()));
        }
        for t in temp_entries().difference(&self.temps) {
            found.insert(format!("temporary entry left: {}", t.display()));
        }
        found
    }

    /// Fail if the run left anything behind. Something new that disappears within 3 s is
    /// another run on this machine, not ours (the sandbox runs of this binary are serialised):
    /// only what is still there after that is reported.
    pub fn assert_unchanged(&self, ctx: &str) {
        let first = self.leftovers();
        if first.is_empty() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut still = first.clone();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            still = self.leftovers().intersection(&first).cloned().collect();
            if still.is_empty() {
                return;
            }
        }
        // Leave the host clean for the next tests: kill live descendants (ours, by pid).
        let me = std::process::id() as i32;
        for pid in descendants_of(me, &procs()) {
            // SAFETY: kill with a specific pid that is our descendant.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        panic!("the run left things behind on the host:\n  {}{ctx}", still.into_iter().collect::<Vec<_>>().join("\n  "));
    }
}

// ---------------------------------------------------------------------------------------
// Files on the host

/// A temporary host directory for a test (not named `dokeru*`, so the leftover check ignores it).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("dkt-").tempdir().expect("tempdir")
}

/// A canary file with a secret; removed on drop.
pub struct Canary {
    pub path: PathBuf,
    pub secret: String,
}

impl Canary {
    pub fn new(dir: &str) -> Canary {
        let secret = format!("dkt-secret-{}-{:?}", std::process::id(), SystemTime::now());
        let path = Path::new(dir).join(format!("dkt-canary-{}", std::process::id()));
        std::fs::write(&path, &secret).expect("write canary");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Canary { path, secret }
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
