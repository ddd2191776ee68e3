//! prepare -> spawn -> wait: the parent's side of one run.
//!
//! # Theory of operation
//! Processes: `dokeru` (host, this code, and its spawner thread, `spawner.rs`)
//! → `init` (pid 1 of fresh user, mount, pid, ipc and uts namespaces and of the
//! network namespace the spawner made for it; then its own cgroup namespace) →
//! the program (pid 2, uid 1000 inside, no capabilities, seccomp).
//!
//! Before the clone the parent prepares everything ([`prepare`]): the box (a
//! detached tmpfs held by fd, see `copy.rs`), the mount plan (`rootfs.rs`),
//! argv/envp as C strings, the compiled seccomp policy, the run's cgroup with
//! its limits, and these fds:
//! - sync socket (SOCK_SEQPACKET): message 1 ("go") once the parent has written
//!   the uid/gid maps and init is in its cgroup (born there: `CLONE_INTO_CGROUP`
//!   on v2, the spawner's own cgroup step on v1) — so the program is in its
//!   cgroup before its first instruction; message 2 carries the run's stdin,
//!   stdout and stderr (SCM_RIGHTS) and starts the program. Between the two, a
//!   sandbox prepared ahead waits, its root already built;
//! - error pipe (close-on-exec): a fixed-size record (step, errno, index) if a
//!   setup step fails; end-of-file means the program was exec'd;
//! - status pipe: init's setup CPU time (and the program process's work before
//!   its exec) once the program is started, the program's wait status and exit
//!   instant when it ends, and "all reaped" when the namespace is empty;
//! - stdout/stderr pipes: read here, counted against the output limit;
//! - a socketpair over which the program sends its seccomp listener fd, on
//!   which the parent learns the exact syscall a filter denied.
//!
//! Messages in order: clone (by the spawner) → parent writes maps, sends "go" →
//! init mounts, pivots, waits → [`execute`]: parent sends the stdio → init
//! starts the program (`CLONE_VM | CLONE_VFORK`) → program drops privileges,
//! applies seccomp, sends the listener, execs (error pipe EOF: the clock
//! starts) → parent polls pipes, the listener, init's pidfd, the status pipe
//! and the clock, enforcing the wall limit, the CPU limit (paced by the CPU
//! left, never a fixed 100 ms poll) and the output limit by killing the cgroup
//! and init, which kills the whole pid namespace → init reports the program's
//! status, kills what is left (kill(-1)), reaps everything, says so, exits →
//! the parent reads the cgroup's counters (final from "all reaped" on), copies
//! files out of the box; the teardown ([`Leftover::finish`]: reap init, remove
//! the cgroup, release the box) follows, on a reaper thread for prepared runs.
//! The parent owns the cgroup from creation to removal.

use super::cgroup::{CgroupLimits, Hierarchy, RunCgroup};
use super::copy::BoxFs;
use super::rootfs::{self, SANDBOX_GID, SANDBOX_UID};
use super::spawn::{self, status_record, ChildError, ChildPlan, Rlimit, Step};
use super::spawner::{Cloned, Spawner};
use super::{seccomp, Bind, Captured, CopyIn, CopyOut, Enforced, Facts, Limits, Net, Outcome, Output, SandboxSpec, Stdin, Termination};
use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Timestamps of the parent's steps, printed to stderr when `DOKERU_TRACE` is
/// set (to see where a run's time goes).
pub(super) struct Trace {
    on: bool,
    start: Instant,
    last: Instant,
    /// Shared page the children stamp (see `spawn::TracePoint`).
    page: *mut u64,
    clone_ns: u64,
}

impl Trace {
    pub(super) fn new() -> Trace {
        let now = Instant::now();
        let on = std::env::var_os("DOKERU_TRACE").is_some();
        let mut page = std::ptr::null_mut();
        if on {
            // SAFETY: a fresh anonymous shared mapping; checked for failure.
            let p = unsafe {
                libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1, 0)
            };
            if p != libc::MAP_FAILED {
                page = p.cast();
            }
        }
        Trace { on, start: now, last: now, page, clone_ns: 0 }
    }

    /// Print the children's stamps relative to the clone.
    fn children(&self) {
        if !self.on || self.page.is_null() {
            return;
        }
        for (point, name) in spawn::TRACE_POINTS {
            // SAFETY: page has 512 u64 slots; the children are gone or only write.
            let t = unsafe { self.page.add(point as usize).read_volatile() };
            if t != 0 {
                eprintln!("dokeru trace:   child {:>9.3} ms after clone: {name}", (t as f64 - self.clone_ns as f64) / 1e6);
            }
        }
    }

    /// Print an instant (CLOCK_MONOTONIC ns) relative to the clone.
    fn at(&self, what: &str, ns: u64) {
        if self.on {
            eprintln!("dokeru trace:   parent{:>8.3} ms after clone: {what}", (ns as f64 - self.clone_ns as f64) / 1e6);
        }
    }

    fn step(&mut self, what: &str) {
        if self.on {
            let now = Instant::now();
            eprintln!(
                "dokeru trace: {:>9.3} ms (+{:>8.3}) {what}",
                (now - self.start).as_secs_f64() * 1e3,
                (now - self.last).as_secs_f64() * 1e3
            );
            self.last = now;
        }
    }
}

// SAFETY: the page is a shared mapping owned by this Trace: it moves with it
// between threads (a sandbox prepared by the spawner), never shared.
unsafe impl Send for Trace {}

impl Drop for Trace {
    fn drop(&mut self) {
        if !self.page.is_null() {
            // SAFETY: unmapping the page we mapped in new().
            unsafe { libc::munmap(self.page.cast(), 4096) };
        }
    }
}

/// Host uid/gid the sandbox user (uid 1000 inside) maps to.
pub const HOST_UID: u32 = 65534;
pub const HOST_GID: u32 = 65534;

/// The sandbox could not do its job; `step` names what failed.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {message}")]
pub struct SandboxError {
    pub step: String,
    pub message: String,
}

impl SandboxError {
    pub(super) fn new(step: impl Into<String>, err: impl std::fmt::Display) -> SandboxError {
        SandboxError { step: step.into(), message: err.to_string() }
    }
}

fn fail<E: std::error::Error>(step: &'static str) -> impl Fn(E) -> SandboxError {
    move |e| SandboxError { step: step.into(), message: crate::error_chain(&e) }
}

/// Per-process state shared by all runs: the cgroup hierarchy, the new-root
/// mountpoint, a unique prefix for cgroup names.
struct Context {
    hierarchy: Hierarchy,
    root_dir: PathBuf,
    kernel: String,
    ident: String,
    seq: AtomicU64,
}

static CONTEXT: OnceLock<Result<Context, SandboxError>> = OnceLock::new();

fn proc_start_time(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22 (starttime); the command name in parentheses may hold spaces.
    let rest = &s[s.rfind(')')? + 2..];
    rest.split(' ').nth(19)?.parse().ok()
}

/// Is the dokeru process that named a cgroup `run-<pid>-<start>-<seq>` still alive?
pub fn owner_alive(name: &str) -> bool {
    let mut it = name.split('-');
    let (Some("run"), Some(pid), Some(start)) = (it.next(), it.next(), it.next()) else {
        return true; // not ours by name: never touch it
    };
    match (pid.parse::<u32>(), start.parse::<u64>()) {
        (Ok(pid), Ok(start)) => proc_start_time(pid) == Some(start),
        _ => true,
    }
}

/// Where the new root is mounted (inside each run's private mount namespace;
/// on the host the directory stays empty).
fn root_mountpoint() -> Result<PathBuf, SandboxError> {
    let base = if Path::new("/run").is_dir() { PathBuf::from("/run/dokeru") } else { std::env::temp_dir().join("dokeru") };
    let dir = base.join("root");
    std::fs::create_dir_all(&dir).map_err(|e| SandboxError::new("create the root mountpoint", format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

fn context() -> Result<&'static Context, SandboxError> {
    let ctx = CONTEXT.get_or_init(|| {
        let hierarchy = Hierarchy::detect().map_err(fail("detect cgroups"))?;
        let pid = std::process::id();
        let start = proc_start_time(pid).unwrap_or(0);
        let kernel = nix::sys::utsname::uname().map(|u| u.release().to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Context { hierarchy, root_dir: root_mountpoint()?, kernel, ident: format!("run-{pid}-{start}"), seq: AtomicU64::new(0) })
    });
    ctx.as_ref().map_err(|e| SandboxError { step: e.step.clone(), message: e.message.clone() })
}

/// Remove the leftovers of killed dokerus once per process: cgroups whose owner
/// is gone. (Boxes are fd-held tmpfs and mounts live in dead namespaces: nothing
/// else leaks.) Run by the spawner thread, in parallel with the first run's
/// preparation: a stale cgroup has a name no live run uses, so nothing waits on it.
pub(super) fn sweep_stale_once() {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        if let Ok(ctx) = context() {
            if let Err(e) = ctx.hierarchy.sweep_stale(&owner_alive) {
                eprintln!("dokeru: warning: sweeping the cgroups of killed runs: {}", crate::error_chain(&e));
            }
        }
    });
}

/// Number of CPUs the run can use at once (paces the CPU-limit checks).
fn usable_cpus(limits: &Limits) -> u32 {
    // The affinity mask only: std's available_parallelism also reads the caller's
    // cgroup quota files, which is slow and not the sandbox's quota anyway.
    // SAFETY: cpu_set_t is plain old data; sched_getaffinity writes at most its size.
    let host = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            (libc::CPU_COUNT(&set) as u32).max(1)
        } else {
            1
        }
    };
    let mut n = host;
    if let Some(list) = &limits.cpus {
        let mut count = 0;
        for part in list.split(',') {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            if let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
                count += b.saturating_sub(a) + 1;
            }
        }
        n = n.min(count.max(1));
    }
    if let Some(p) = limits.cpu_percent {
        n = n.min(p.div_ceil(100).max(1));
    }
    n.max(1)
}

fn cgroup_limits(l: &Limits) -> CgroupLimits {
    CgroupLimits {
        memory_max_bytes: l.memory_bytes,
        memory_soft_bytes: l.memory_soft_bytes,
        cpu_quota: l.cpu_percent.map(|p| (l.cpu_period_us * p as u64 / 100, l.cpu_period_us)),
        cpu_shares: l.cpu_shares,
        cpus: l.cpus.clone(),
        pids_max: l.pids,
    }
}

fn rlimits(l: &Limits) -> Vec<Rlimit> {
    let mut v = vec![Rlimit { resource: libc::RLIMIT_CORE, soft: 0, hard: 0 }];
    if let Some(t) = l.cpu_time {
        // A backstop only: the cgroup-based check kills much sooner. SIGXCPU at
        // the soft limit, SIGKILL at the hard one.
        let s = t.as_secs() + 2;
        v.push(Rlimit { resource: libc::RLIMIT_CPU, soft: s, hard: s + 1 });
    }
    if let Some(f) = l.fsize_bytes {
        v.push(Rlimit { resource: libc::RLIMIT_FSIZE, soft: f, hard: f });
    }
    if let Some(m) = l.memory_bytes {
        // Deep recursion is normal in contest code: let the stack grow to the
        // memory limit (the cgroup still bounds the total).
        v.push(Rlimit { resource: libc::RLIMIT_STACK, soft: m, hard: m });
    }
    v
}

fn cstring(step: &'static str, s: &str) -> Result<CString, SandboxError> {
    CString::new(s).map_err(|_| SandboxError::new(step, format!("{s:?} contains a NUL byte")))
}

fn exec_paths(argv: &[String], env: &[(String, String)]) -> Result<Vec<CString>, SandboxError> {
    let prog = &argv[0];
    if prog.contains('/') {
        return Ok(vec![cstring("prepare argv", prog)?]);
    }
    let path = env.iter().find(|(k, _)| k == "PATH").map_or(crate::config::run::SANDBOX_PATH, |(_, v)| v.as_str());
    path.split(':').filter(|d| d.starts_with('/')).map(|d| cstring("prepare argv", &format!("{d}/{prog}"))).collect()
}

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(fail("create a pipe"))
}

fn open_null(write: bool) -> Result<OwnedFd, SandboxError> {
    let f = std::fs::OpenOptions::new().read(!write).write(write).open("/dev/null").map_err(fail("open /dev/null"))?;
    Ok(f.into())
}

/// One output stream as the parent sees it.
struct Stream {
    reader: Option<File>,
    sink: Option<File>,
    captured: Vec<u8>,
    truncated: bool,
    capture: bool,
}

impl Stream {
    /// Read what is available; returns false at EOF. `budget` is the output
    /// limit left for both streams together.
    fn pump(&mut self, budget: &mut Option<u64>, over: &mut bool) -> bool {
        let Some(r) = self.reader.as_mut() else { return false };
        let mut buf = [0u8; 65536];
        match r.read(&mut buf) {
            Ok(0) => {
                self.reader = None;
                false
            }
            Ok(n) => {
                let mut keep = n;
                if let Some(b) = budget.as_mut() {
                    if n as u64 > *b {
                        keep = *b as usize;
                        *over = true;
                        self.truncated = true;
                    }
                    *b -= keep as u64;
                }
                if let Some(s) = self.sink.as_mut() {
                    let _ = s.write_all(&buf[..keep]);
                }
                if self.capture {
                    self.captured.extend_from_slice(&buf[..keep]);
                }
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => true,
            // Empty for now (a drain stops here: every writer of the run is gone).
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(_) => {
                self.reader = None;
                false
            }
        }
    }
}

/// Prepare the child's end of an output stream and the parent's [`Stream`].
fn output(o: Output, step: &'static str) -> Result<(OwnedFd, Stream), SandboxError> {
    let empty = |reader, sink, capture| Stream { reader, sink, captured: Vec::new(), truncated: false, capture };
    match o {
        Output::Capture => {
            let (r, w) = pipe()?;
            Ok((w, empty(Some(File::from(r)), None, true)))
        }
        Output::File(path) => {
            let f = File::create(&path).map_err(|e| SandboxError::new(step, format!("{}: {e}", path.display())))?;
            let (r, w) = pipe()?;
            Ok((w, empty(Some(File::from(r)), Some(f), false)))
        }
        Output::Fd(fd) => Ok((fd, empty(None, None, false))),
        Output::Null => Ok((open_null(true)?, empty(None, None, false))),
    }
}

/// Raises the calling thread's priority (nice -10) for its lifetime, as root.
struct MonitorPriority {
    tid: libc::id_t,
    old: Option<libc::c_int>,
}

impl MonitorPriority {
    fn raise() -> MonitorPriority {
        // SAFETY: gettid/getpriority/setpriority have no memory-safety preconditions.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            *libc::__errno_location() = 0;
            let old = libc::getpriority(libc::PRIO_PROCESS, tid);
            let ok = *libc::__errno_location() == 0 && old > -10 && libc::setpriority(libc::PRIO_PROCESS, tid, -10) == 0;
            MonitorPriority { tid, old: ok.then_some(old) }
        }
    }
}

impl Drop for MonitorPriority {
    fn drop(&mut self) {
        if let Some(old) = self.old {
            // SAFETY: as above, on our own thread id.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, self.tid, old) };
        }
    }
}

/// Kills and reaps init and removes the cgroup on every exit path.
pub(super) struct Guard {
    pid: Option<i32>,
    cgroup: Option<Arc<dyn RunCgroup>>,
}

impl Guard {
    fn kill(&self) {
        if let Some(pid) = self.pid {
            // SAFETY: pid is our unreaped child, so it cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }

    fn reap(&mut self) -> Option<i32> {
        let pid = self.pid.take()?;
        let mut status = 0;
        loop {
            // SAFETY: waiting for our own child.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
            if r == pid || (r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR)) {
                return Some(status);
            }
        }
    }

    fn finish(&mut self) -> Result<(), SandboxError> {
        self.kill();
        self.reap();
        if let Some(cg) = self.cgroup.take() {
            cg.destroy().map_err(fail("remove the run's cgroup"))?;
        }
        Ok(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn write_id_maps(pid: i32) -> Result<(), SandboxError> {
    // inside 0 = host root (only init, which sets up mounts), inside 1000 = an
    // unprivileged host uid for the program.
    let uid_map = format!("0 0 1\n{SANDBOX_UID} {HOST_UID} 1\n");
    let gid_map = format!("0 0 1\n{SANDBOX_GID} {HOST_GID} 1\n");
    std::fs::write(format!("/proc/{pid}/uid_map"), uid_map).map_err(fail("write uid_map"))?;
    std::fs::write(format!("/proc/{pid}/gid_map"), gid_map).map_err(fail("write gid_map"))?;
    Ok(())
}

fn poll_fds(fds: &mut [libc::pollfd], timeout: Option<Duration>) {
    let ms = timeout.map_or(-1, |t| t.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32);
    // SAFETY: fds is a valid slice of pollfd for the call.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
}

fn recv_fd(sock: RawFd) -> Option<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut iov = [std::io::IoSliceMut::new(&mut byte)];
    let mut cmsg = nix::cmsg_space!(RawFd);
    let msg = nix::sys::socket::recvmsg::<()>(sock, &mut iov, Some(&mut cmsg), nix::sys::socket::MsgFlags::MSG_CMSG_CLOEXEC).ok()?;
    for c in msg.cmsgs().ok()? {
        if let nix::sys::socket::ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: the kernel just installed this fd in our table for us.
            return fds.first().map(|&fd| unsafe { OwnedFd::from_raw_fd(fd) });
        }
    }
    None
}

fn seqpacket_pair(step: &'static str) -> Result<(OwnedFd, OwnedFd), SandboxError> {
    nix::sys::socket::socketpair(
        nix::sys::socket::AddressFamily::Unix,
        nix::sys::socket::SockType::SeqPacket,
        None,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
    )
    .map_err(fail(step))
}

/// The second go: the program's stdin, stdout and stderr, as SCM_RIGHTS.
fn send_stdio(sock: &OwnedFd, fds: [RawFd; 3]) -> Result<(), SandboxError> {
    let iov = [std::io::IoSlice::new(b"r")];
    let cmsg = [nix::sys::socket::ControlMessage::ScmRights(&fds)];
    nix::sys::socket::sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsg, nix::sys::socket::MsgFlags::MSG_NOSIGNAL, None)
        .map_err(fail("hand the stdio to the sandbox"))?;
    Ok(())
}

/// A spec without the run's own stdio and copy-out: what a sandbox is prepared
/// from, and what decides whether a prepared one fits a run.
#[derive(Debug, Clone)]
pub(super) struct Template {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    limits: Limits,
    binds: Vec<Bind>,
    system_binds: bool,
    copy_in: Vec<CopyIn>,
    net: Net,
    seccomp: Option<Arc<seccomp::Policy>>,
}

impl Template {
    /// Would a sandbox prepared from `self` be exactly the one `other` asks for?
    pub(super) fn fits(&self, other: &Template) -> bool {
        let same_policy = match (&self.seccomp, &other.seccomp) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a.same_filters(b),
            _ => false,
        };
        same_policy
            && self.argv == other.argv
            && self.env == other.env
            && self.limits == other.limits
            && self.binds == other.binds
            && self.system_binds == other.system_binds
            && self.copy_in == other.copy_in
            && self.net == other.net
    }

    /// Only a sandbox with nothing copied in may be prepared ahead: a copy is
    /// taken when the box is made, and the host file could change before the run.
    pub(super) fn preparable_ahead(&self) -> bool {
        self.copy_in.is_empty()
    }

    pub(super) fn loopback(&self) -> bool {
        self.net == Net::Loopback
    }
}

/// The run's own part of a spec.
struct Io {
    stdin: Stdin,
    stdout: Output,
    stderr: Output,
    copy_out: Vec<CopyOut>,
}

fn split(spec: SandboxSpec) -> (Template, Io) {
    let SandboxSpec { argv, env, limits, stdin, stdout, stderr, binds, system_binds, copy_in, copy_out, net, seccomp } = spec;
    (Template { argv, env, limits, binds, system_binds, copy_in, net, seccomp }, Io { stdin, stdout, stderr, copy_out })
}

/// A sandbox set up up to the program's fork: init waits in its fresh
/// namespaces with the root filesystem built, inside its cgroup, for the run's
/// stdio (see `spawn::ChildPlan::sync_fd`).
pub(super) struct Prepared {
    pub(super) template: Template,
    ctx: &'static Context,
    boxfs: BoxFs,
    /// What the mount operations were, to name a failed one.
    plan: rootfs::Plan,
    guard: Guard,
    cg: Arc<dyn RunCgroup>,
    pidfd: OwnedFd,
    sync: OwnedFd,
    error_r: File,
    status_r: File,
    seccomp_sock: OwnedFd,
    /// CPU time the spawner spent inside the cgroup (v1), not the program's.
    cpu_in_cgroup: Duration,
    trace: Trace,
}

impl Prepared {
    /// Give up on this sandbox: what is left to tear down.
    pub(super) fn discard(self) -> Leftover {
        Leftover { guard: self.guard, boxfs: self.boxfs, trace: self.trace, init_exit_seen_ns: 0 }
    }
}

/// What is left of a run once its result is known: init (exiting or to be
/// killed) to reap, the cgroup to remove, the box to release.
pub(super) struct Leftover {
    guard: Guard,
    boxfs: BoxFs,
    trace: Trace,
    init_exit_seen_ns: u64,
}

impl Leftover {
    /// Kill and reap init, remove the cgroup, release the box.
    ///
    /// # Errors
    /// The cgroup could not be removed.
    pub(super) fn finish(mut self) -> Result<(), SandboxError> {
        self.guard.finish()?;
        self.trace.step("init reaped, cgroup removed");
        drop(self.boxfs);
        self.trace.step("box released");
        self.trace.children();
        if self.init_exit_seen_ns != 0 {
            self.trace.at("parent saw the run end", self.init_exit_seen_ns);
        }
        Ok(())
    }
}

/// Build everything of a sandbox up to the program's fork (see [`Prepared`]).
/// `clone` makes init from the [`ChildPlan`] (the spawner thread does it).
///
/// # Errors
/// Any failed step; what was made is undone.
pub(super) fn prepare(
    template: Template,
    mut trace: Trace,
    clone: &mut dyn FnMut(&ChildPlan<'_>, Arc<dyn RunCgroup>) -> Result<Cloned, SandboxError>,
) -> Result<Prepared, SandboxError> {
    let ctx = context()?;
    trace.step("context");
    if template.argv.is_empty() {
        return Err(SandboxError::new("prepare argv", "no program given"));
    }
    let limits = &template.limits;
    let boxfs = BoxFs::create(limits.disk_bytes, HOST_UID, HOST_GID).map_err(fail("create the box"))?;
    for c in &template.copy_in {
        boxfs.copy_in(&c.src, &c.dst, HOST_UID, HOST_GID).map_err(fail("copy into the box"))?;
    }
    trace.step("box created and filled");
    let plan = rootfs::build_plan(&rootfs::PlanInput {
        root: &ctx.root_dir,
        system_binds: template.system_binds,
        binds: &template.binds,
        box_fd: boxfs.raw_fd(),
        disk_bytes: limits.disk_bytes,
    })
    .map_err(fail("plan the root filesystem"))?;
    let exec = exec_paths(&template.argv, &template.env)?;
    let (error_r, error_w) = pipe()?;
    let (status_r, status_w) = pipe()?;
    let (seccomp_sock, seccomp_sock_child) = seqpacket_pair("create the seccomp socket")?;
    let (sync, sync_child) = seqpacket_pair("create the sync socket")?;
    let argv = template.argv.iter().map(|a| cstring("prepare argv", a)).collect::<Result<Vec<_>, _>>()?;
    let envp = template.env.iter().map(|(k, v)| cstring("prepare the environment", &format!("{k}={v}"))).collect::<Result<Vec<_>, _>>()?;
    let mut child = ChildPlan {
        mounts: &plan,
        hostname: CString::new("dokeru").expect("no NUL"),
        exec_paths: exec,
        argv,
        envp,
        argv_ptrs: Vec::new(),
        envp_ptrs: Vec::new(),
        rlimits: rlimits(limits),
        uid: SANDBOX_UID,
        gid: SANDBOX_GID,
        sync_fd: sync_child.as_raw_fd(),
        error_write_fd: error_w.as_raw_fd(),
        status_write_fd: status_w.as_raw_fd(),
        seccomp_sock_fd: seccomp_sock_child.as_raw_fd(),
        seccomp: template.seccomp.as_deref(),
        trace: trace.page,
        program_stack: spawn::program_stack_top().map_err(fail("map the program's start-up stack"))?,
    };
    child.finish();
    trace.step("fds, argv, plan");
    let seq = ctx.seq.fetch_add(1, Ordering::Relaxed);
    let name = format!("{}-{seq}", ctx.ident);
    let cg: Arc<dyn RunCgroup> = Arc::from(ctx.hierarchy.create_run(&name, &cgroup_limits(limits)).map_err(fail("create the run's cgroup"))?);
    let mut guard = Guard { pid: None, cgroup: Some(cg.clone()) };
    trace.step("cgroup created");

    trace.clone_ns = spawn::monotonic_ns();
    let cloned = clone(&child, cg.clone())?;
    let spawned = cloned.spawned;
    guard.pid = Some(spawned.pid);
    trace.step("clone3");
    drop(child);
    // SAFETY: the kernel returned this pidfd to us (CLONE_PIDFD).
    let pidfd = unsafe { OwnedFd::from_raw_fd(spawned.pidfd) };
    drop((error_w, status_w, seccomp_sock_child, sync_child));
    write_id_maps(spawned.pid)?;
    trace.step("id maps");
    if !spawned.in_cgroup {
        cg.add_pid(spawned.pid).map_err(fail("move the sandbox into its cgroup"))?;
    }
    trace.step("joined cgroup");
    nix::unistd::write(&sync, b"g").map_err(fail("release the sandbox"))?;
    Ok(Prepared {
        template,
        ctx,
        boxfs,
        plan,
        guard,
        cg,
        pidfd,
        sync,
        error_r: File::from(error_r),
        status_r: File::from(status_r),
        seccomp_sock,
        cpu_in_cgroup: cloned.cpu_in_cgroup,
        trace,
    })
}

/// Run one program in a fresh sandbox.
///
/// # Errors
/// Any failed isolation or measurement step: nothing ran, or the run was stopped.
pub fn run(spec: SandboxSpec) -> Result<Outcome, SandboxError> {
    run_with(spec, false)
}

/// [`run`], and then prepare, in the background, a fresh sandbox exactly like
/// this one for this thread's next run (the judge runs one program on many
/// tests). The next call on this thread with a spec that differs only in
/// stdin, stdout, stderr and copy-out uses it; any other call discards it.
/// Each run still gets its own namespaces, root, box and cgroup, made for it
/// and never used before; only the time of their making moves off the path.
/// Call [`release_prepared`] when the thread is done with runs.
///
/// # Errors
/// As [`run`].
pub fn run_and_prepare_next(spec: SandboxSpec) -> Result<Outcome, SandboxError> {
    run_with(spec, true)
}

static PREPARED_USED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many runs of this process used a sandbox prepared ahead (for tests and
/// diagnostics: a spec that never fits its predecessor's shows up as 0).
pub fn prepared_runs() -> u64 {
    PREPARED_USED.load(Ordering::Relaxed)
}

/// Tear down the sandbox prepared ahead for this thread, if any, and wait for
/// every teardown this thread handed off (the judge calls it when a worker ends).
pub fn release_prepared() {
    Spawner::release_this_thread();
}

fn run_with(spec: SandboxSpec, prepare_next: bool) -> Result<Outcome, SandboxError> {
    let (template, io) = split(spec);
    let spawner = Spawner::for_this_thread()?;
    let next = (prepare_next && template.preparable_ahead()).then(|| template.clone());
    let prepared = match spawner.take_prepared(&template) {
        Some(p) => {
            let p = p?;
            PREPARED_USED.fetch_add(1, Ordering::Relaxed);
            p
        }
        None => {
            // The spawner makes the network namespace while this thread builds
            // the box, the plan and the cgroup.
            let loopback = template.loopback();
            spawner.prepare_net(loopback);
            let prepared = prepare(template, Trace::new(), &mut |plan, cg| {
                // SAFETY: `plan` lives on prepare's stack until the clone returns.
                unsafe { spawner.clone_init(plan, cg, loopback) }
            })?;
            // After the clone, not before: the sweep must not delay it.
            spawner.sweep_stale_once();
            prepared
        }
    };
    finish_run(prepared, io, &spawner, next)
}

fn finish_run(prepared: Prepared, io: Io, spawner: &Spawner, next: Option<Template>) -> Result<Outcome, SandboxError> {
    let async_teardown = next.is_some();
    let (outcome, leftover) = execute(prepared, io, || {
        if let Some(t) = next {
            spawner.prepare_ahead(t);
        }
    })?;
    if async_teardown {
        spawner.teardown(leftover);
    } else {
        leftover.finish()?;
    }
    Ok(outcome)
}

/// Start the program in a prepared sandbox, enforce the limits, measure.
/// `started` is called once the program is on its way (the spawner may then
/// prepare the next sandbox in parallel).
fn execute(prepared: Prepared, io: Io, started: impl FnOnce()) -> Result<(Outcome, Leftover), SandboxError> {
    let Prepared { template, ctx, boxfs, plan, guard, cg, pidfd, sync, mut error_r, status_r, seccomp_sock, cpu_in_cgroup, mut trace } =
        prepared;
    let limits = template.limits.clone();
    let stdin_fd: OwnedFd = match io.stdin {
        Stdin::Null => open_null(false)?,
        Stdin::File(ref p) => File::open(p).map_err(|e| SandboxError::new("open stdin", format!("{}: {e}", p.display())))?.into(),
        Stdin::Fd(ref fd) => fd.try_clone().map_err(fail("duplicate stdin"))?,
    };
    let cpus = usable_cpus(&limits);
    let (out_w, mut out) = output(io.stdout, "open the stdout file")?;
    let (err_w, mut err) = output(io.stderr, "open the stderr file")?;
    // Our copies go as soon as init has its own: the pipes must see EOF when
    // the program's tree is gone.
    // A failed send means init is gone: its error record, if it left one, says why.
    let sent = send_stdio(&sync, [stdin_fd.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()]);
    drop((stdin_fd, out_w, err_w, sync));
    trace.step("stdio sent");
    started();
    let mut guard = guard;

    // --- wait for exec (error pipe EOF) or a setup failure ---
    let mut rec = [0u8; ChildError::SIZE];
    let mut got = 0;
    loop {
        let mut pfd = [libc::pollfd { fd: error_r.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        poll_fds(&mut pfd, Some(Duration::from_secs(30)));
        if pfd[0].revents == 0 {
            return Err(SandboxError::new("set up the sandbox", "no answer from the sandbox within 30 s"));
        }
        match error_r.read(&mut rec[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SandboxError::new("read the setup result", e)),
        }
        if got == rec.len() {
            break;
        }
    }
    if got == 0 {
        sent?;
    }
    if got > 0 {
        let mut full = [0u8; ChildError::SIZE];
        full[..got].copy_from_slice(&rec[..got]);
        let e = ChildError::from_bytes(&full);
        let step = Step::from_u32(e.step).map_or("unknown step", Step::name);
        let mut what = step.to_owned();
        if Step::from_u32(e.step) == Some(Step::MountOp) {
            if let Some(op) = plan.ops.get(e.index as usize) {
                what = format!("{step}: {}", op.describe());
            }
        }
        let os = std::io::Error::from_raw_os_error(e.errno);
        let msg = if Step::from_u32(e.step) == Some(Step::Exec) {
            format!("{}: {os}", template.argv[0])
        } else {
            os.to_string()
        };
        return Err(SandboxError { step: what, message: msg });
    }
    let started = Instant::now();
    trace.step("program exec'd");

    // --- monitor ---
    // The sandbox may keep every CPU busy (a spinner per core): the thread that
    // enforces its limits must still wake up on time. A higher priority for this
    // thread only (nice is per thread on Linux); the sandbox, cloned before, keeps
    // the normal one. Restored when the run ends.
    let _priority = MonitorPriority::raise();
    let wall_deadline = limits.wall_time.map(|w| started + w);
    let has_peak = cg.has_peak_counter();
    let mut sampled_peak = 0u64;
    let mut enforced = Enforced::default();
    let mut denied: Option<String> = None;
    let mut listener: Option<OwnedFd> = None;
    let mut budget = limits.output_bytes;
    let mut over_output = false;
    let mut setup_user_us = 0u64;
    let mut setup_sys_us = 0u64;
    let mut program_status: Option<(i32, u64)> = None;
    let mut all_reaped = false;
    let mut status_r = status_r;
    nix::fcntl::fcntl(&status_r, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK)).map_err(fail("set up the status pipe"))?;
    let mut status_buf: Vec<u8> = Vec::new();
    let mut sock_parent = Some(seccomp_sock);
    let mut killed = false;
    // When we killed the run: its end, if init could not report the program's.
    let killed_at: std::cell::Cell<Option<Instant>> = std::cell::Cell::new(None);
    let atomic_kill = ctx.hierarchy.version() == super::cgroup::Version::V2;
    let kill = |guard: &Guard, killed: &mut bool| {
        if !*killed {
            killed_at.set(Some(Instant::now()));
            // cgroup.kill (v2) stops the whole tree in one step, so a fork bomb
            // gets no more CPU while the pid namespace is being torn down.
            if atomic_kill {
                let _ = cg.kill_all();
            }
            guard.kill();
            *killed = true;
        }
    };
    let mut program_exit_ns: Option<u64> = None;
    let read_status = |status_r: &mut File, buf: &mut Vec<u8>, program_status: &mut Option<(i32, u64)>, su: &mut u64, ss: &mut u64, reaped: &mut bool| {
        let mut tmp = [0u8; 64];
        while let Ok(n) = status_r.read(&mut tmp) {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        while buf.len() >= status_record::SIZE {
            let (tag, a, b) = status_record::decode(&buf[..status_record::SIZE]);
            match tag {
                status_record::SETUP_RUSAGE => {
                    *su = a as u64;
                    *ss = b;
                }
                status_record::PROGRAM_STATUS => *program_status = Some((a as i32, b)),
                status_record::ALL_REAPED => *reaped = true,
                _ => {}
            }
            buf.drain(..status_record::SIZE);
        }
    };
    let run_ended_at: Instant;
    let mut init_gone = false;
    loop {
        let now = Instant::now();
        let mut timeout: Option<Duration> = None;
        let mut tighten = |d: Duration| timeout = Some(timeout.map_or(d, |t: Duration| t.min(d)));
        if !killed {
            if let Some(dl) = wall_deadline {
                if now >= dl {
                    enforced.wall_time = true;
                    kill(&guard, &mut killed);
                } else {
                    tighten(dl - now);
                }
            }
        }
        if !killed {
            if let Some(limit) = limits.cpu_time {
                let total = cg.cpu_total().map_err(fail("read the cgroup's CPU time"))?;
                let used = total.saturating_sub(Duration::from_micros(setup_user_us + setup_sys_us) + cpu_in_cgroup);
                if used >= limit {
                    enforced.cpu_time = true;
                    kill(&guard, &mut killed);
                } else {
                    // At most `cpus` CPUs burn the rest in parallel: checking
                    // again after rest/cpus cannot overshoot by more than the
                    // wake-up latency, and the checks get denser near the limit.
                    let rest = (limit - used) / cpus;
                    tighten(rest.clamp(Duration::from_micros(500), Duration::from_millis(250)));
                }
            }
        }
        if !has_peak {
            if let Ok(cur) = cg.memory_current() {
                sampled_peak = sampled_peak.max(cur);
            }
            tighten(Duration::from_millis(5));
        }
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(6);
        let mut kinds: Vec<u8> = Vec::with_capacity(6);
        let mut add = |fd: RawFd, kind: u8| {
            fds.push(libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
            kinds.push(kind);
        };
        add(pidfd.as_raw_fd(), 0);
        if let Some(r) = &out.reader {
            add(r.as_raw_fd(), 1);
        }
        if let Some(r) = &err.reader {
            add(r.as_raw_fd(), 2);
        }
        if let Some(s) = &sock_parent {
            add(s.as_raw_fd(), 3);
        }
        if let Some(l) = &listener {
            add(l.as_raw_fd(), 4);
        }
        add(status_r.as_raw_fd(), 5);
        poll_fds(&mut fds, timeout);
        for (p, kind) in fds.iter().zip(kinds) {
            if p.revents == 0 {
                continue;
            }
            match kind {
                0 => init_gone = true,
                1 => {
                    out.pump(&mut budget, &mut over_output);
                }
                2 => {
                    err.pump(&mut budget, &mut over_output);
                }
                3 => {
                    if let Some(fd) = sock_parent.as_ref().and_then(|s| recv_fd(s.as_raw_fd())) {
                        listener = Some(fd);
                    }
                    sock_parent = None; // one listener per run; EOF or error ends it too
                }
                4 if p.revents & (libc::POLLHUP | libc::POLLERR) != 0 => {
                    // Every task using the filter is gone. (Some kernels, 6.1
                    // among them, would block in NOTIF_RECV here forever.)
                    listener = None;
                }
                4 => {
                    if let Some(l) = &listener {
                        match seccomp::recv_notification(l.as_fd()) {
                            Ok(n) => {
                                if denied.is_none() {
                                    denied = Some(seccomp::syscall_name(n.arch, n.nr));
                                }
                                kill(&guard, &mut killed);
                            }
                            Err(_) => listener = None, // filter gone (POLLHUP) or the task died
                        }
                    }
                }
                _ => read_status(&mut status_r, &mut status_buf, &mut program_status, &mut setup_user_us, &mut setup_sys_us, &mut all_reaped),
            }
        }
        if over_output && !killed {
            enforced.output = true;
            kill(&guard, &mut killed);
        }
        // The run is over when init has reaped every process of the namespace
        // (it exits next; its exit, the namespaces' teardown, is not the
        // program's time), or when init is gone (killed).
        if init_gone || all_reaped {
            run_ended_at = Instant::now();
            break;
        }
    }
    trace.step(if init_gone { "init exited" } else { "init reaped everything" });
    let run_end_seen_ns = spawn::monotonic_ns();
    if init_gone {
        guard.reap();
    }
    // Every process of the run is dead now: what is left in the pipes is all
    // there will be. (Read until EOF, or until empty: another sandbox's init,
    // cloned while this run's pipes were open, may hold a write end for the
    // instant before it closes every fd it does not need.)
    for s in [&mut out, &mut err] {
        if let Some(r) = &s.reader {
            let _ = nix::fcntl::fcntl(r, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK));
        }
        while s.reader.is_some() {
            if !s.pump(&mut budget, &mut over_output) {
                break;
            }
        }
    }
    if over_output && !killed {
        enforced.output = true;
    }
    read_status(&mut status_r, &mut status_buf, &mut program_status, &mut setup_user_us, &mut setup_sys_us, &mut all_reaped);

    trace.step("pipes drained");
    // --- measure ---
    let usage = cg.cpu_usage().map_err(fail("read the cgroup's CPU time"))?;
    let setup_user = Duration::from_micros(setup_user_us);
    // init's setup, and on v1 the spawner's clone made inside the cgroup.
    let setup_sys = Duration::from_micros(setup_sys_us) + cpu_in_cgroup;
    let cpu_total = usage.total.saturating_sub(setup_user + setup_sys);
    // The total is precise (scheduler nanoseconds); the user/system split is
    // tick-sampled on some kernels and may not add up to it: keep the split's
    // proportion, scaled to the precise total.
    let user_raw = usage.user.saturating_sub(setup_user).as_secs_f64();
    let sys_raw = usage.system.saturating_sub(setup_sys).as_secs_f64();
    let (user, sys) = if user_raw + sys_raw > 0.0 {
        let u = cpu_total.as_secs_f64() * user_raw / (user_raw + sys_raw);
        (Duration::from_secs_f64(u), cpu_total.saturating_sub(Duration::from_secs_f64(u)))
    } else {
        (Duration::ZERO, cpu_total)
    };
    let peak = cg.memory_peak().map_err(fail("read the cgroup's peak memory"))?;
    let (memory_peak_bytes, memory_source) = if has_peak { (peak.bytes, peak.source) } else { (sampled_peak.max(peak.bytes), "sampled:memory.current".to_owned()) };
    let events = cg.memory_events().map_err(fail("read the cgroup's memory events"))?;
    if let Some((_, ns)) = program_status {
        program_exit_ns = Some(ns);
    }
    let termination = match program_status.map(|(st, _)| st) {
        Some(st) if libc::WIFEXITED(st) => Termination::Exited(libc::WEXITSTATUS(st)),
        Some(st) if libc::WIFSIGNALED(st) => Termination::Signaled(libc::WTERMSIG(st)),
        _ => Termination::Killed,
    };
    // Instant is CLOCK_MONOTONIC on Linux: place init's stamp on it. Killed
    // with init, the program ended when we killed it, not when we noticed (an
    // interactor reading its EOF must not seem to have ended first).
    let exited_at = match program_exit_ns {
        Some(ns) => {
            let now_ns = spawn::monotonic_ns();
            Instant::now().checked_sub(Duration::from_nanos(now_ns.saturating_sub(ns))).unwrap_or(run_ended_at)
        }
        None => killed_at.get().unwrap_or(run_ended_at),
    };
    // The main process was killed by a signal we sent: that is the limit, not a crash.
    let termination = match termination {
        Termination::Signaled(libc::SIGKILL) if killed => Termination::Killed,
        t => t,
    };
    for c in &io.copy_out {
        let mode = 0o644;
        if let Err(e) = boxfs.copy_out(&c.src, &c.dst, c.max_bytes, mode) {
            // A missing or refused output file is the program's doing, not a
            // sandbox failure: the caller sees the file is absent.
            let _ = e;
        }
    }
    trace.step("measured, files copied out");
    let facts = Facts {
        cgroup: ctx.hierarchy.version().as_str().to_owned(),
        cpu_time_source: "cgroup".to_owned(),
        memory_source,
        seccomp: template.seccomp.as_ref().map(|p| p.name().to_owned()),
        net: match template.net {
            Net::None => "none".to_owned(),
            Net::Loopback => "loopback".to_owned(),
        },
        kernel: ctx.kernel.clone(),
    };
    let outcome = Outcome {
        termination,
        enforced,
        denied_syscall: denied,
        cpu_time: cpu_total,
        user_time: user,
        sys_time: sys,
        wall_time: run_ended_at.saturating_duration_since(started),
        exited_at,
        memory_peak_bytes,
        oom_killed: events.oom_kills > 0,
        memory_limit_hit: events.limit_hits > 0,
        stdout: Captured { bytes: out.captured, truncated: out.truncated },
        stderr: Captured { bytes: err.captured, truncated: err.truncated },
        facts,
        limits,
    };
    Ok((outcome, Leftover { guard, boxfs, trace, init_exit_seen_ns: run_end_seen_ns }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str]) -> SandboxSpec {
        SandboxSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![("PATH".into(), "/bin".into())],
            limits: Limits { cpu_time: Some(Duration::from_secs(1)), disk_bytes: 1 << 20, ..Limits::default() },
            stdin: Stdin::Null,
            stdout: Output::Capture,
            stderr: Output::Capture,
            binds: Vec::new(),
            system_binds: true,
            copy_in: Vec::new(),
            copy_out: Vec::new(),
            net: Net::None,
            seccomp: None,
        }
    }

    #[test]
    fn a_prepared_sandbox_fits_only_the_same_spec_whatever_its_stdio() {
        let (a, _) = split(spec(&["/prog/a"]));
        let mut other_io = spec(&["/prog/a"]);
        other_io.stdin = Stdin::File("/tmp/in".into());
        other_io.stdout = Output::File("/tmp/out".into());
        other_io.copy_out.push(CopyOut { src: "x".into(), dst: "/tmp/x".into(), max_bytes: 1 });
        assert!(a.fits(&split(other_io).0), "stdio and copy-out are the run's own");
        assert!(!a.fits(&split(spec(&["/prog/b"])).0), "argv");
        let mut s = spec(&["/prog/a"]);
        s.limits.cpu_time = Some(Duration::from_secs(2));
        assert!(!a.fits(&split(s).0), "limits");
        let mut s = spec(&["/prog/a"]);
        s.net = Net::Loopback;
        assert!(!a.fits(&split(s).0), "net");
        let mut s = spec(&["/prog/a"]);
        s.binds.push(Bind { src: "/tmp".into(), dst: "/data".into(), writable: false });
        assert!(!a.fits(&split(s).0), "binds");
        let mut s = spec(&["/prog/a"]);
        s.copy_in.push(CopyIn { src: "/tmp/f".into(), dst: "f".into() });
        let (t, _) = split(s);
        assert!(!a.fits(&t), "copy-in");
        assert!(!t.preparable_ahead(), "a copy is taken at preparation: never ahead");
        assert!(a.preparable_ahead());
    }
}
