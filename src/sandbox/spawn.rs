//! clone with the namespace flags, and the children's step-by-step setup.
//!
//! Everything here that runs after the clone runs in a child of a possibly
//! multi-threaded parent: only async-signal-safe work (raw syscalls on data
//! prepared before the clone), no allocation, no locks, no logging. A failure
//! travels to the parent as a fixed-size [`ChildError`] record over a
//! close-on-exec pipe; end-of-file on that pipe means the program was exec'd.

use super::rootfs::{MountOp, Plan};
use std::ffi::{c_char, CString};
use std::os::fd::RawFd;
use std::ptr;

/// The setup step a child failed at (sent to the parent as a `u32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Step {
    WaitForParent = 1,
    DeathSignal,
    UnshareCgroup,
    MakeRootPrivate,
    MountRoot,
    MountOp,
    PivotRoot,
    DetachOldRoot,
    RemountRootReadOnly,
    SetHostname,
    ForkProgram,
    Setsid,
    RedirectStdio,
    SetRlimit,
    SetGroups,
    SetGid,
    SetUid,
    ChdirBox,
    CloseFds,
    NoNewPrivs,
    DropCapabilities,
    Seccomp,
    SendSeccompListener,
    Exec,
    DisableUserNamespaces,
}

impl Step {
    pub fn from_u32(v: u32) -> Option<Step> {
        use Step::*;
        const ALL: [Step; 25] = [
            WaitForParent, DeathSignal, UnshareCgroup, MakeRootPrivate, MountRoot, MountOp, PivotRoot, DetachOldRoot,
            RemountRootReadOnly, SetHostname, ForkProgram, Setsid, RedirectStdio, SetRlimit, SetGroups,
            SetGid, SetUid, ChdirBox, CloseFds, NoNewPrivs, DropCapabilities, Seccomp, SendSeccompListener, Exec,
            DisableUserNamespaces,
        ];
        ALL.into_iter().find(|s| *s as u32 == v)
    }

    pub fn name(self) -> &'static str {
        use Step::*;
        match self {
            WaitForParent => "wait for the parent's go",
            DeathSignal => "set the parent-death signal",
            UnshareCgroup => "unshare the cgroup namespace",
            MakeRootPrivate => "make mounts private",
            MountRoot => "mount the tmpfs root",
            MountOp => "mount setup",
            PivotRoot => "pivot_root",
            DetachOldRoot => "detach the old root",
            RemountRootReadOnly => "remount the root read-only",
            SetHostname => "set the hostname",
            ForkProgram => "fork the program",
            Setsid => "setsid",
            RedirectStdio => "redirect stdin/stdout/stderr",
            SetRlimit => "set rlimits",
            SetGroups => "setgroups",
            SetGid => "setresgid",
            SetUid => "setresuid",
            ChdirBox => "chdir /box",
            CloseFds => "close inherited fds",
            NoNewPrivs => "set no_new_privs",
            DropCapabilities => "drop capabilities",
            Seccomp => "apply the seccomp filter",
            SendSeccompListener => "send the seccomp listener to the parent",
            Exec => "exec the program",
            DisableUserNamespaces => "forbid nested user namespaces",
        }
    }
}

/// A failure record: step, errno, index of the mount op (or 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildError {
    pub step: u32,
    pub errno: i32,
    pub index: u32,
}

impl ChildError {
    pub const SIZE: usize = 12;

    pub fn to_bytes(self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[0..4].copy_from_slice(&self.step.to_ne_bytes());
        b[4..8].copy_from_slice(&self.errno.to_ne_bytes());
        b[8..12].copy_from_slice(&self.index.to_ne_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; 12]) -> ChildError {
        let w = |i: usize| [b[i], b[i + 1], b[i + 2], b[i + 3]];
        ChildError { step: u32::from_ne_bytes(w(0)), errno: i32::from_ne_bytes(w(4)), index: u32::from_ne_bytes(w(8)) }
    }
}

/// Messages from init to the parent on the status pipe: 16-byte records.
pub mod status_record {
    /// Init's own CPU use (setup), sent when the program has been forked.
    pub const SETUP_RUSAGE: u32 = 1;
    /// The main program's wait status, sent when it ended.
    pub const PROGRAM_STATUS: u32 = 2;
    /// Every process in the namespace has been reaped; init exits next. From
    /// here the run's counters are final (init's own exit, the namespaces'
    /// teardown, is not the program's) and no writer of its pipes is left.
    pub const ALL_REAPED: u32 = 3;
    pub const SIZE: usize = 16;

    pub fn encode(tag: u32, a: u32, b: u64) -> [u8; SIZE] {
        let mut r = [0u8; SIZE];
        r[0..4].copy_from_slice(&tag.to_ne_bytes());
        r[4..8].copy_from_slice(&a.to_ne_bytes());
        r[8..16].copy_from_slice(&b.to_ne_bytes());
        r
    }

    pub fn decode(r: &[u8]) -> (u32, u32, u64) {
        let tag = u32::from_ne_bytes([r[0], r[1], r[2], r[3]]);
        let a = u32::from_ne_bytes([r[4], r[5], r[6], r[7]]);
        let mut b8 = [0u8; 8];
        b8.copy_from_slice(&r[8..16]);
        (tag, a, u64::from_ne_bytes(b8))
    }
}

/// An rlimit to set in the program child.
#[derive(Debug, Clone, Copy)]
pub struct Rlimit {
    pub resource: libc::__rlimit_resource_t,
    pub soft: u64,
    pub hard: u64,
}

/// Everything the two children need, prepared before the clone.
pub struct ChildPlan<'a> {
    pub mounts: &'a Plan,
    pub hostname: CString,
    /// Absolute candidate paths of the program inside the sandbox, tried in order.
    pub exec_paths: Vec<CString>,
    pub argv: Vec<CString>,
    pub envp: Vec<CString>,
    pub argv_ptrs: Vec<*const c_char>,
    pub envp_ptrs: Vec<*const c_char>,
    pub rlimits: Vec<Rlimit>,
    pub uid: u32,
    pub gid: u32,
    /// init's end of a SOCK_SEQPACKET pair. First message (one byte): go, the
    /// uid maps and the cgroup are set, build the root. Second: one byte with the
    /// program's stdin, stdout and stderr as SCM_RIGHTS: fork it. Between the two a
    /// prepared sandbox waits for its run (see `spawner.rs`).
    pub sync_fd: RawFd,
    /// Write end of the close-on-exec error pipe.
    pub error_write_fd: RawFd,
    /// Write end of init's status pipe.
    pub status_write_fd: RawFd,
    /// Our end of the socketpair that carries the seccomp listener fd.
    pub seccomp_sock_fd: RawFd,
    pub seccomp: Option<&'a super::seccomp::Policy>,
    /// A MAP_SHARED page where the children stamp CLOCK_MONOTONIC times of
    /// their steps (slot per [`TracePoint`]); null when tracing is off.
    pub trace: *mut u64,
    /// Top of the stack the program's process runs on until its exec
    /// ([`program_stack_top`]).
    pub program_stack: *mut libc::c_void,
}

/// Bytes of stack for the program's process between its clone and its exec
/// (`program_in_child` uses a few KiB), above one guard page.
const PROGRAM_STACK_BYTES: usize = 256 << 10;

/// The top of a stack for the program's process, the same address for every run.
///
/// Init starts the program with `CLONE_VM | CLONE_VFORK` (as `posix_spawn` does):
/// a `fork` would copy the page tables of init's address space, which is a
/// copy of dokeru's, only for the exec to throw them away; with `CLONE_VM` the
/// program's process runs on this stack, in init's memory, while init waits for
/// its exec. The region is mapped once per dokeru process and never touched
/// by it: every init has its own copy-on-write copy, so concurrent runs never
/// share one, and the clone of init copies no page of it.
///
/// # Errors
/// The mapping failed (first call only).
pub fn program_stack_top() -> std::io::Result<*mut libc::c_void> {
    static TOP: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if let Some(top) = TOP.get() {
        return Ok(*top as *mut libc::c_void);
    }
    let page = 4096;
    // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
    let base = unsafe {
        libc::mmap(
            ptr::null_mut(),
            PROGRAM_STACK_BYTES + page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the lowest page of our own mapping becomes the guard page.
    unsafe { libc::mprotect(base, page, libc::PROT_NONE) };
    let top = base as usize + page + PROGRAM_STACK_BYTES;
    match TOP.set(top) {
        Ok(()) => Ok(top as *mut libc::c_void),
        Err(_) => {
            // Another thread mapped one first: use it, drop ours.
            // SAFETY: our mapping, never handed out.
            unsafe { libc::munmap(base, PROGRAM_STACK_BYTES + page) };
            Ok(*TOP.get().expect("set") as *mut libc::c_void)
        }
    }
}

/// What the program's process gets from init (on init's stack, which the
/// `CLONE_VFORK` keeps in place until the exec).
struct ProgramStart<'a, 'p> {
    plan: &'a ChildPlan<'p>,
    stdio: [RawFd; 3],
    /// The program's process CPU time just before its exec (ns), written by it
    /// into init's memory (CLONE_VM), 0 if unread: dokeru's work in that process
    /// (credentials, the seccomp filter) is setup, not the program's time.
    pre_exec_cpu_ns: std::sync::atomic::AtomicU64,
}

extern "C" fn program_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the ProgramStart init passed to clone, alive while init
    // is suspended by CLONE_VFORK.
    unsafe {
        let start = &*(arg as *const ProgramStart<'_, '_>);
        program_in_child(start.plan, start.stdio, &start.pre_exec_cpu_ns)
    }
}

/// Steps the children timestamp when tracing (`DOKERU_TRACE`).
#[derive(Debug, Clone, Copy)]
#[repr(usize)]
pub enum TracePoint {
    InitStart = 0,
    GotGo,
    MountsDone,
    RootReady,
    GotStdio,
    ProgramForked,
    ProgramStart,
    CredsDropped,
    SeccompApplied,
    ProgramExited,
    InitExiting,
}

pub const TRACE_POINTS: [(TracePoint, &str); 11] = [
    (TracePoint::InitStart, "init started"),
    (TracePoint::GotGo, "init got go"),
    (TracePoint::MountsDone, "mount ops done"),
    (TracePoint::RootReady, "pivot_root done"),
    (TracePoint::GotStdio, "init got the stdio (run starts)"),
    (TracePoint::ProgramForked, "program forked (init side)"),
    (TracePoint::ProgramStart, "program process started"),
    (TracePoint::CredsDropped, "credentials dropped"),
    (TracePoint::SeccompApplied, "seccomp applied (exec next)"),
    (TracePoint::ProgramExited, "init saw the program exit"),
    (TracePoint::InitExiting, "init reaped everything, exiting"),
];

/// Nanoseconds of CLOCK_MONOTONIC (async-signal-safe).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes only into ts.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn stamp(plan: &ChildPlan<'_>, point: TracePoint) {
    if !plan.trace.is_null() {
        // SAFETY: trace points at a shared page of at least TRACE_POINTS u64 slots.
        unsafe { plan.trace.add(point as usize).write_volatile(monotonic_ns()) };
    }
}

impl ChildPlan<'_> {
    /// Fill the NULL-terminated pointer arrays (after the CStrings are in place).
    pub fn finish(&mut self) {
        self.argv_ptrs = self.argv.iter().map(|a| a.as_ptr()).chain(std::iter::once(ptr::null())).collect();
        self.envp_ptrs = self.envp.iter().map(|a| a.as_ptr()).chain(std::iter::once(ptr::null())).collect();
    }
}

fn errno() -> i32 {
    // SAFETY: __errno_location returns this thread's errno slot; reading it is always valid.
    unsafe { *libc::__errno_location() }
}

/// Report a failure to the parent and exit. Never returns.
fn fail_in_child(plan: &ChildPlan<'_>, step: Step, err: i32, index: u32) -> ! {
    let rec = ChildError { step: step as u32, errno: err, index }.to_bytes();
    // SAFETY: writing a stack buffer to an fd we own; _exit is always safe here.
    unsafe {
        libc::write(plan.error_write_fd, rec.as_ptr().cast(), rec.len());
        libc::_exit(127)
    }
}

macro_rules! check {
    ($plan:expr, $step:expr, $call:expr) => {
        if $call < 0 {
            fail_in_child($plan, $step, errno(), 0);
        }
    };
}

#[repr(C)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_PIDFD: u64 = 0x1000;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// The namespaces the clone creates. The network namespace is not among them:
/// the cloning thread sits in a fresh one it made ahead (see `spawner.rs`),
/// which the child inherits; the cgroup namespace is entered by init after it
/// sits in its cgroup, so that the namespace's root is the run's cgroup.
pub const NAMESPACE_FLAGS: u64 =
    (libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS) as u64;

/// Result of [`clone_init_from_parent`].
pub struct Spawned {
    pub pid: i32,
    pub pidfd: RawFd,
    /// The child was born inside its cgroup (CLONE_INTO_CGROUP).
    pub in_cgroup: bool,
}

/// Clone the sandbox's init with fresh namespaces; it runs [`init_in_child`].
///
/// # Safety
/// `plan` must stay valid and unchanged; the caller must not hold locks the
/// child could need (the child only makes raw syscalls).
pub unsafe fn clone_init_from_parent(plan: &ChildPlan<'_>, cgroup_fd: Option<RawFd>) -> std::io::Result<Spawned> {
    let mut pidfd: i32 = -1;
    let mut args = CloneArgs {
        flags: NAMESPACE_FLAGS | CLONE_PIDFD,
        pidfd: &mut pidfd as *mut i32 as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: 0,
    };
    if let Some(fd) = cgroup_fd {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = fd as u64;
    }
    // SAFETY: clone3 without CLONE_VM gives the child a copy-on-write copy of
    // our memory and this thread only, like fork; args is a valid clone_args.
    let mut ret = unsafe { libc::syscall(libc::SYS_clone3, &mut args as *mut CloneArgs, std::mem::size_of::<CloneArgs>()) };
    let mut in_cgroup = cgroup_fd.is_some();
    if ret < 0 && cgroup_fd.is_some() && matches!(errno(), libc::EINVAL | libc::E2BIG | libc::ENOSYS) {
        // Kernel without CLONE_INTO_CGROUP (< 5.7): the parent moves the child
        // in before letting it go, which is as good for a child that waits.
        args.flags &= !CLONE_INTO_CGROUP;
        args.cgroup = 0;
        in_cgroup = false;
        // SAFETY: as above.
        ret = unsafe { libc::syscall(libc::SYS_clone3, &mut args as *mut CloneArgs, 64usize) };
    }
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if ret == 0 {
        // SAFETY: we are the child; init_in_child never returns.
        unsafe { init_in_child(plan) }
    }
    Ok(Spawned { pid: ret as i32, pidfd, in_cgroup })
}

/// pid 1 of the sandbox: set up the filesystem, start the program, reap, report.
unsafe fn init_in_child(plan: &ChildPlan<'_>) -> ! {
    // SAFETY (whole function): raw syscalls on buffers prepared before clone.
    unsafe {
        // Die with the parent thread: a killed dokeru must not leave a sandbox
        // running. (Checked again below by the sync read: if the parent died
        // before this prctl, the pipe reads EOF.)
        stamp(plan, TracePoint::InitStart);
        check!(plan, Step::DeathSignal, libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0));
        // The clone copied every fd of the process, including other runs' pipe
        // ends (other threads prepare and run sandboxes too). A prepared init may
        // wait long for its run: holding another run's error pipe open would
        // stall that run's exec detection. Keep only our own.
        let mut keep = [plan.sync_fd, plan.error_write_fd, plan.status_write_fd, plan.seccomp_sock_fd, box_fd(plan)];
        close_all_but_in_child(&mut keep);
        let mut go = 0u8;
        let n = loop {
            let n = libc::read(plan.sync_fd, (&mut go as *mut u8).cast(), 1);
            if n < 0 && errno() == libc::EINTR {
                continue;
            }
            break n;
        };
        if n != 1 {
            libc::_exit(126);
        }
        stamp(plan, TracePoint::GotGo);
        check!(plan, Step::UnshareCgroup, libc::unshare(libc::CLONE_NEWCGROUP));
        setup_mounts_in_child(plan);
        let h = plan.hostname.as_bytes();
        check!(plan, Step::SetHostname, libc::sethostname(h.as_ptr().cast(), h.len()));
        // The run's stdio, which also says the run starts now. EOF: the parent
        // dropped this prepared sandbox (or died).
        let stdio = match recv_stdio_in_child(plan.sync_fd) {
            Some(fds) => fds,
            None => libc::_exit(126),
        };
        stamp(plan, TracePoint::GotStdio);
        // The program's process shares init's memory until its exec (init is
        // suspended meanwhile: CLONE_VFORK), on its own stack; see program_stack_top.
        let start = ProgramStart { plan, stdio, pre_exec_cpu_ns: std::sync::atomic::AtomicU64::new(0) };
        let pid = libc::clone(
            program_entry,
            plan.program_stack,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&start as *const ProgramStart<'_, '_>).cast_mut().cast(),
        );
        if pid < 0 {
            fail_in_child(plan, Step::ForkProgram, errno(), 0);
        }
        let program = pid as libc::pid_t;
        stamp(plan, TracePoint::ProgramForked);
        // Keep only the status pipe: the error pipe must see EOF once the
        // program execs, and stdout/stderr must close with the program.
        let sfd = plan.status_write_fd as u32;
        if sfd > 0 {
            libc::syscall(libc::SYS_close_range, 0u32, sfd - 1, 0u32);
        }
        libc::syscall(libc::SYS_close_range, sfd + 1, u32::MAX, 0u32);
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        let user_us = ru.ru_utime.tv_sec as u64 * 1_000_000 + ru.ru_utime.tv_usec as u64;
        // The program process's pre-exec work counts as setup too (with init's
        // system time: it is almost all kernel work).
        let pre_exec_us = start.pre_exec_cpu_ns.load(std::sync::atomic::Ordering::Acquire) / 1000;
        let sys_us = ru.ru_stime.tv_sec as u64 * 1_000_000 + ru.ru_stime.tv_usec as u64 + pre_exec_us;
        let rec = status_record::encode(status_record::SETUP_RUSAGE, user_us.min(u32::MAX as u64) as u32, sys_us);
        libc::write(plan.status_write_fd, rec.as_ptr().cast(), rec.len());
        loop {
            let mut status = 0;
            let r = libc::waitpid(-1, &mut status, libc::__WALL);
            if r < 0 {
                if errno() == libc::EINTR {
                    continue;
                }
                stamp(plan, TracePoint::InitExiting);
                let rec = status_record::encode(status_record::ALL_REAPED, 0, monotonic_ns());
                libc::write(plan.status_write_fd, rec.as_ptr().cast(), rec.len());
                libc::_exit(0); // ECHILD: everything reaped
            }
            if r == program {
                stamp(plan, TracePoint::ProgramExited);
                // The exit instant (CLOCK_MONOTONIC) goes along: which side of an
                // interactive pair ended first is decided on it.
                let rec = status_record::encode(status_record::PROGRAM_STATUS, status as u32, monotonic_ns());
                libc::write(plan.status_write_fd, rec.as_ptr().cast(), rec.len());
                // The run ends with its main process: kill everything left in
                // the namespace (daemons, orphans holding stdout open).
                libc::kill(-1, libc::SIGKILL);
            }
        }
    }
}

unsafe fn setup_mounts_in_child(plan: &ChildPlan<'_>) {
    let m = plan.mounts;
    let none = c"none".as_ptr();
    let tmpfs = c"tmpfs".as_ptr();
    // SAFETY: all pointers come from CStrings in `plan`, alive for the call.
    unsafe {
        check!(plan, Step::MakeRootPrivate, libc::mount(none, c"/".as_ptr(), ptr::null(), libc::MS_REC | libc::MS_PRIVATE, ptr::null()));
        check!(
            plan,
            Step::MountRoot,
            libc::mount(tmpfs, m.root.as_ptr(), tmpfs, libc::MS_NOSUID | libc::MS_NODEV, m.root_data.as_ptr().cast())
        );
        for (i, op) in m.ops.iter().enumerate() {
            let r = match op {
                MountOp::Mkdir { path, mode } => {
                    let r = libc::mkdir(path.as_ptr(), *mode);
                    if r < 0 && errno() == libc::EEXIST { 0 } else if r == 0 { libc::chmod(path.as_ptr(), *mode) } else { r }
                }
                MountOp::Touch { path } => {
                    let fd = libc::open(path.as_ptr(), libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW, 0o644);
                    if fd >= 0 { libc::close(fd) } else if errno() == libc::EEXIST { 0 } else { fd }
                }
                MountOp::Symlink { target, path } => libc::symlink(target.as_ptr(), path.as_ptr()),
                MountOp::Bind { src, dst, remount_flags } => {
                    let r = libc::mount(src.as_ptr(), dst.as_ptr(), ptr::null(), libc::MS_BIND | libc::MS_REC, ptr::null());
                    if r < 0 {
                        r
                    } else {
                        libc::mount(none, dst.as_ptr(), ptr::null(), libc::MS_REMOUNT | libc::MS_BIND | *remount_flags, ptr::null())
                    }
                }
                MountOp::Tmpfs { dst, data, flags } => libc::mount(tmpfs, dst.as_ptr(), tmpfs, *flags, data.as_ptr().cast()),
                MountOp::AttachBox { fd, dst } => {
                    libc::syscall(libc::SYS_move_mount, *fd, c"".as_ptr(), libc::AT_FDCWD, dst.as_ptr(), 0x4u32 /* MOVE_MOUNT_F_EMPTY_PATH */)
                        as i32
                }
                MountOp::Proc { dst } => libc::mount(
                    c"proc".as_ptr(),
                    dst.as_ptr(),
                    c"proc".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                    // hidepid=2: the program (uid 1000) cannot see init (uid 0),
                    // whose command line is dokeru's own (proc(5)).
                    c"hidepid=2".as_ptr().cast(),
                ),
                MountOp::WriteFile { path, content, mode } => {
                    let fd = libc::open(path.as_ptr(), libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW, *mode);
                    if fd < 0 {
                        fd
                    } else {
                        let w = libc::write(fd, content.as_ptr().cast(), content.len());
                        libc::close(fd);
                        if w < 0 { -1 } else { 0 }
                    }
                }
            };
            if r < 0 {
                fail_in_child(plan, Step::MountOp, errno(), i as u32);
            }
        }
        stamp(plan, TracePoint::MountsDone);
        check!(plan, Step::PivotRoot, libc::chdir(m.root.as_ptr()));
        check!(plan, Step::PivotRoot, libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) as i32);
        check!(plan, Step::DetachOldRoot, libc::umount2(c".".as_ptr(), libc::MNT_DETACH));
        check!(plan, Step::DetachOldRoot, libc::chdir(c"/".as_ptr()));
        check!(
            plan,
            Step::RemountRootReadOnly,
            libc::mount(none, c"/".as_ptr(), ptr::null(), libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV, ptr::null())
        );
        // No nested user namespaces, whatever the seccomp policy allows: a nested
        // one would hand the program a full capability set over namespaces of its
        // own (kernel attack surface). user.* limits are per user namespace and
        // hierarchical; 0 here makes unshare/clone(CLONE_NEWUSER) fail with ENOSPC
        // (user_namespaces(7), "/proc/sys/user"; bubblewrap's --disable-userns).
        let fd = libc::open(c"/proc/sys/user/max_user_namespaces".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            fail_in_child(plan, Step::DisableUserNamespaces, errno(), 0);
        }
        let w = libc::write(fd, c"0".as_ptr().cast(), 1);
        let e = errno();
        libc::close(fd);
        if w != 1 {
            fail_in_child(plan, Step::DisableUserNamespaces, e, 0);
        }
        stamp(plan, TracePoint::RootReady);
    }
}

/// The program's process: drop everything, then exec.
unsafe fn program_in_child(plan: &ChildPlan<'_>, stdio: [RawFd; 3], pre_exec_cpu_ns: &std::sync::atomic::AtomicU64) -> ! {
    // SAFETY (whole function): raw syscalls on data prepared before clone.
    unsafe {
        // If init dies the whole namespace dies anyway; this also covers the
        // window before the program's own exec.
        stamp(plan, TracePoint::ProgramStart);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        check!(plan, Step::Setsid, libc::setsid());
        for (from, to) in [(stdio[0], 0), (stdio[1], 1), (stdio[2], 2)] {
            if from != to {
                check!(plan, Step::RedirectStdio, libc::dup2(from, to));
            } else {
                check!(plan, Step::RedirectStdio, libc::fcntl(from, libc::F_SETFD, 0));
            }
        }
        for rl in &plan.rlimits {
            let lim = libc::rlimit { rlim_cur: rl.soft, rlim_max: rl.hard };
            check!(plan, Step::SetRlimit, libc::setrlimit(rl.resource, &lim));
        }
        // Empty the bounding set while we still hold CAP_SETPCAP (in our user
        // namespace): with no_new_privs nothing could be gained by exec anyway,
        // this is defence in depth against a setuid file on a bind.
        let mut cap = 0;
        while cap < 64 {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) < 0 && errno() == libc::EINVAL {
                break; // past the last capability this kernel knows
            }
            cap += 1;
        }
        // Raw syscalls, not glibc's wrappers: glibc's set*id broadcast the change
        // to every thread it believes exists (nptl "setxid") and wait on a futex
        // for them; in a child cloned from a multi-threaded parent those threads
        // do not exist and the wait never ends (seen as a hung run).
        let groups = [plan.gid];
        check!(plan, Step::SetGroups, libc::syscall(libc::SYS_setgroups, 1usize, groups.as_ptr()) as i32);
        check!(plan, Step::SetGid, libc::syscall(libc::SYS_setresgid, plan.gid, plan.gid, plan.gid) as i32);
        // setresuid from 0 to non-zero clears the permitted, effective and
        // ambient capability sets (capabilities(7), "Effect of user ID changes").
        check!(plan, Step::SetUid, libc::syscall(libc::SYS_setresuid, plan.uid, plan.uid, plan.uid) as i32);
        stamp(plan, TracePoint::CredsDropped);
        check!(plan, Step::ChdirBox, libc::chdir(c"/box".as_ptr()));
        // Nothing but 0/1/2 may survive the exec; the pipes we still need here
        // are close-on-exec already.
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 4u32 /* CLOSE_RANGE_CLOEXEC */) < 0 {
            let mut fd = 3;
            while fd < 65536 {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                fd += 1;
            }
        }
        check!(plan, Step::NoNewPrivs, libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
        // Clear the bounding set's effect too: with no_new_privs and a non-zero
        // uid, exec can grant nothing; capget verifies we hold none.
        let mut hdr = CapHeader { version: 0x2008_0522, pid: 0 };
        let mut data = [CapData::default(); 2];
        check!(plan, Step::DropCapabilities, libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()) as i32);
        if data.iter().any(|d| d.effective != 0 || d.permitted != 0 || d.inheritable != 0) {
            let zero = [CapData::default(); 2];
            check!(plan, Step::DropCapabilities, libc::syscall(libc::SYS_capset, &mut hdr, zero.as_ptr()) as i32);
        }
        // Our CPU time so far, for init to report as setup: read after the filters
        // when they surely allow clock_gettime (their installation is most of it),
        // else before them (a denied call must not end the run). The thread clock,
        // not the process clock: this process has one thread, and once RLIMIT_CPU
        // is set the process clock reads the group CPU timer, which advances only
        // at scheduler ticks (up to 4 ms stale at HZ=250); the thread clock is
        // read from the scheduler exactly.
        let read_cpu = || {
            let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            if libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) == 0 {
                pre_exec_cpu_ns.store(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64, std::sync::atomic::Ordering::Release);
            }
        };
        let read_after_filters = plan.seccomp.is_none_or(|p| p.allows_clock_gettime());
        if !read_after_filters {
            read_cpu();
        }
        // Seccomp is the very last step: after it, only the exec remains.
        if let Some(policy) = plan.seccomp {
            let listener = match policy.apply_in_child() {
                Ok(fd) => fd,
                Err(e) => fail_in_child(plan, Step::Seccomp, e, 0),
            };
            if send_fd_in_child(plan.seccomp_sock_fd, listener) < 0 {
                fail_in_child(plan, Step::SendSeccompListener, errno(), 0);
            }
            libc::close(listener);
        }
        stamp(plan, TracePoint::SeccompApplied);
        if read_after_filters {
            read_cpu();
        }
        let mut last = libc::ENOENT;
        for path in &plan.exec_paths {
            libc::execve(path.as_ptr(), plan.argv_ptrs.as_ptr(), plan.envp_ptrs.as_ptr());
            let e = errno();
            // Keep the most telling error: a found-but-unrunnable file beats "not found".
            if e != libc::ENOENT && e != libc::ENOTDIR {
                last = e;
            }
        }
        fail_in_child(plan, Step::Exec, last, 0)
    }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The box's mount fd, which init attaches (or -1).
fn box_fd(plan: &ChildPlan<'_>) -> RawFd {
    for op in &plan.mounts.ops {
        if let MountOp::AttachBox { fd, .. } = op {
            return *fd;
        }
    }
    -1
}

/// Close every fd but those in `keep` (negative entries ignored), without allocating.
fn close_all_but_in_child(keep: &mut [RawFd]) {
    keep.sort_unstable(); // in place: no allocation
    let mut next: u32 = 0;
    for &fd in keep.iter() {
        if fd < 0 || (fd as u32) < next {
            continue;
        }
        if fd as u32 > next {
            // SAFETY: close_range on a range of our own fd table.
            unsafe { libc::syscall(libc::SYS_close_range, next, fd as u32 - 1, 0u32) };
        }
        next = fd as u32 + 1;
    }
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_close_range, next, u32::MAX, 0u32) };
}

/// Receive the second go message: exactly three fds (stdin, stdout, stderr),
/// close-on-exec, without allocating. None on EOF or anything malformed.
unsafe fn recv_stdio_in_child(sock: RawFd) -> Option<[RawFd; 3]> {
    // SAFETY: the control buffer is aligned and large enough for three ints;
    // msghdr points only at stack data alive for the call.
    unsafe {
        #[repr(C, align(8))]
        struct Cmsg([u8; 64]);
        let mut cbuf = Cmsg([0; 64]);
        let mut byte = [0u8; 1];
        let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.0.as_mut_ptr().cast();
        msg.msg_controllen = cbuf.0.len();
        let n = loop {
            let n = libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC);
            if n < 0 && errno() == libc::EINTR {
                continue;
            }
            break n;
        };
        let want = libc::CMSG_LEN(3 * std::mem::size_of::<RawFd>() as u32) as usize;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if n != 1 || cmsg.is_null() || (*cmsg).cmsg_level != libc::SOL_SOCKET || (*cmsg).cmsg_type != libc::SCM_RIGHTS || (*cmsg).cmsg_len != want {
            return None;
        }
        let mut fds = [0 as RawFd; 3];
        ptr::copy_nonoverlapping(libc::CMSG_DATA(cmsg), fds.as_mut_ptr().cast::<u8>(), 3 * std::mem::size_of::<RawFd>());
        Some(fds)
    }
}

/// Send one fd over a unix socket with SCM_RIGHTS, without allocating.
unsafe fn send_fd_in_child(sock: RawFd, fd: RawFd) -> isize {
    // SAFETY: the control buffer is sized with CMSG_SPACE for one int and aligned;
    // msghdr points only at stack data alive for the call.
    unsafe {
        #[repr(C, align(8))]
        struct Cmsg([u8; 64]);
        let mut cbuf = Cmsg([0; 64]);
        let mut byte = [0u8; 1];
        let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.0.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as usize;
        ptr::copy_nonoverlapping(&fd as *const RawFd as *const u8, libc::CMSG_DATA(cmsg), std::mem::size_of::<RawFd>());
        libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_record_roundtrip() {
        let e = ChildError { step: Step::PivotRoot as u32, errno: libc::EPERM, index: 7 };
        assert_eq!(ChildError::from_bytes(&e.to_bytes()), e);
        assert_eq!(Step::from_u32(Step::Exec as u32), Some(Step::Exec));
        assert_eq!(Step::from_u32(Step::WaitForParent as u32), Some(Step::WaitForParent));
        assert_eq!(Step::from_u32(999), None);
    }

    #[test]
    fn status_record_roundtrip() {
        let r = status_record::encode(status_record::PROGRAM_STATUS, 0x0b00, 42);
        assert_eq!(status_record::decode(&r), (status_record::PROGRAM_STATUS, 0x0b00, 42));
    }
}
