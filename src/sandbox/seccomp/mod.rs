//! Seccomp policies as data, compiled before fork, applied last before exec.
//!
//! A policy is a JSON file in seccompiler's format (`profiles/seccomp/README.md`) with
//! two named filters:
//! - `deny` (required): `mismatch_action: "allow"`, `match_action: "trap"`. Every match
//!   ends the run. The compiled program's `ret TRAP`s are rewritten into
//!   `ret USER_NOTIF` (`bpf::trap_to_user_notif` says why) and it is installed last,
//!   with SECCOMP_FILTER_FLAG_NEW_LISTENER, so the parent holds a listener fd and learns
//!   the exact syscall from [`recv_notification`].
//! - `errno` (optional): `mismatch_action: "allow"`, `match_action: {"errno": N}`, for
//!   syscalls that must fail softly (`clone3`, whose flags the filter cannot see).
//!
//! Both programs get a hand-written prefix (`bpf::abi_prefix`) for the i386 and x32
//! ABIs; the deny program also fails syscalls newer than the policy compiler knows with
//! ENOSYS (`bpf::unknown_nr_enosys`).
//!
//! Why the errno filter's prefix answers ALLOW for foreign ABIs: when several filters
//! are stacked the kernel runs all of them and keeps the highest-precedence action
//! (seccomp(2), "Filter return values": KILL_PROCESS > KILL_THREAD > TRAP > ERRNO >
//! USER_NOTIF > TRACE > LOG > ALLOW). seccompiler's own arch check answers KILL_PROCESS,
//! which would win over the deny filter's USER_NOTIF and kill an `int 0x80` caller with
//! SIGSYS before the parent learns anything. ALLOW there means "no opinion": the deny
//! filter, always installed, notifies.
//!
//! Why USER_NOTIF cannot be talked around by the program: it may stack filters of its
//! own, but a second listener anywhere in the chain is refused with EBUSY
//! (seccomp(2), SECCOMP_FILTER_FLAG_NEW_LISTENER), so nobody can answer
//! SECCOMP_USER_NOTIF_FLAG_CONTINUE but our parent. Its own filters can only turn a
//! denied call into ERRNO/TRAP/KILL, or into a listener-less USER_NOTIF (which the
//! kernel answers with ENOSYS): the parent may then not hear of it, but the syscall
//! still never runs.
//!
//! Only x86_64 hosts are supported; elsewhere [`Policy::load`] returns
//! [`SeccompError::UnsupportedArch`].

mod bpf;
mod cache;
mod x86_64_names;

#[cfg(all(test, target_arch = "x86_64"))]
mod live_tests;

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::path::{Path, PathBuf};

use seccompiler::{BpfProgram, TargetArch};

/// Highest syscall number a policy file can name: the end of seccompiler 0.5's x86_64
/// table (Linux 6.12, `mseal`). Anything above is answered ENOSYS by the deny program.
/// The names table ([`x86_64_names::NAMES`]) goes further, for naming notifications.
const LAST_POLICY_NR: u32 = 462;

/// The two filter names a policy file may hold, in load order.
const FILTER_ERRNO: &str = "errno";
const FILTER_DENY: &str = "deny";

/// Errors loading or compiling a policy.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("seccomp policy {name:?} not found (looked in {dir})")]
    NotFound { name: String, dir: String },
    #[error("read seccomp policy {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("parse seccomp policy {path}")]
    Parse {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("seccomp policy {path}: unknown syscall {name:?} in filter {filter:?}")]
    UnknownSyscall {
        path: String,
        filter: String,
        name: String,
    },
    #[error(
        "seccomp policy {path}: syscall {name:?} in filter {filter:?} is newer than the policy \
         compiler knows\nhint: every policy already fails it with ENOSYS"
    )]
    SyscallTooNew {
        path: String,
        filter: String,
        name: String,
    },
    #[error("seccomp policy {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("compile seccomp policy {path}: {message}")]
    Compile { path: String, message: String },
    #[error("seccomp policies are only supported on x86_64 hosts (this is {arch})")]
    UnsupportedArch { arch: &'static str },
}

/// One compiled program, ready for `seccomp(SECCOMP_SET_MODE_FILTER)`.
#[derive(Debug, Clone)]
struct Program {
    /// `errno` or `deny`.
    filter: &'static str,
    insns: BpfProgram,
}

/// A compiled policy: BPF programs ready to load, in load order (errno first, deny last).
#[derive(Debug)]
pub struct Policy {
    name: String,
    programs: Vec<Program>,
    /// The policy never names `clock_gettime`, so the filters allow it (every
    /// filter's mismatch action is allow): the program's process may read its CPU
    /// clock after installing them ([`Policy::allows_clock_gettime`]).
    allows_clock_gettime: bool,
}

impl Policy {
    /// The same filters, instruction for instruction (two loads of one policy file
    /// are the same policy: a sandbox prepared for one fits a run with the other).
    pub fn same_filters(&self, other: &Policy) -> bool {
        self.programs.len() == other.programs.len()
            && self.programs.iter().zip(&other.programs).all(|(a, b)| {
                a.filter == b.filter
                    && a.insns.len() == b.insns.len()
                    && a.insns.iter().zip(&b.insns).all(|(x, y)| (x.code, x.jt, x.jf, x.k) == (y.code, y.jt, y.jf, y.k))
            })
    }

    /// A shipped policy by name (`dir/<name>.json`) or a policy file by path (contains
    /// `/` or ends in `.json`). The compiled programs are kept for later processes of the
    /// same build, keyed by the exact policy text (module `cache`).
    ///
    /// # Errors
    /// The file is missing or unreadable, is not valid JSON, names an unknown syscall,
    /// breaks the two-filter shape described in the module docs, or the host is not
    /// x86_64.
    pub fn load(name_or_path: &str, dir: &Path) -> Result<Policy, SeccompError> {
        Self::load_with_cache(name_or_path, dir, cache::Cache::for_this_process().as_ref())
    }

    fn load_with_cache(
        name_or_path: &str,
        dir: &Path,
        cache: Option<&cache::Cache>,
    ) -> Result<Policy, SeccompError> {
        if !cfg!(target_arch = "x86_64") {
            return Err(SeccompError::UnsupportedArch {
                arch: std::env::consts::ARCH,
            });
        }
        let is_path = name_or_path.contains('/') || name_or_path.ends_with(".json");
        let path: PathBuf = if is_path {
            PathBuf::from(name_or_path)
        } else {
            dir.join(format!("{name_or_path}.json"))
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_path => {
                return Err(SeccompError::NotFound {
                    name: name_or_path.to_owned(),
                    dir: dir.display().to_string(),
                });
            }
            Err(source) => {
                return Err(SeccompError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        // Compiling is most of a run's start-up; `cache` says why a hit is never stale.
        let programs = match cache.and_then(|c| c.get(&text)) {
            Some(programs) => programs,
            None => {
                let programs = compile(&text, &path.display().to_string())?;
                if let Some(c) = cache {
                    c.put(&text, &programs);
                }
                programs
            }
        };
        Ok(Policy {
            name: name_or_path.to_owned(),
            programs,
            // A plain text search: any mention (a rule, an argument filter, even a
            // comment) counts as "might deny", which only costs precision.
            allows_clock_gettime: !text.contains("clock_gettime"),
        })
    }

    /// Whether `clock_gettime` is surely allowed by the filters (see the field).
    pub fn allows_clock_gettime(&self) -> bool {
        self.allows_clock_gettime
    }

    /// The name (or path) the policy was loaded by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Install the filters in the calling process, the deny filter last with
    /// SECCOMP_FILTER_FLAG_NEW_LISTENER; returns the listener fd (close-on-exec).
    ///
    /// Sets no_new_privs first: seccomp(2) requires it (or CAP_SYS_ADMIN) to install a
    /// filter, and it also keeps a setuid binary from shedding the filter's meaning.
    /// Async-signal-safe: no allocation, no locks; it only reads the programs compiled
    /// before the fork.
    ///
    /// # Errors
    /// The raw errno of the failed prctl(2)/seccomp(2). `EBUSY` means a filter with a
    /// listener is already installed above us (dokeru itself runs under a supervisor
    /// that uses seccomp notification, e.g. some container managers): the kernel allows
    /// one listener per filter chain.
    ///
    /// # Safety
    /// Call only in a forked child about to exec: the filters are permanent for the
    /// calling thread and everything it later forks or execs.
    pub unsafe fn apply_in_child(&self) -> Result<RawFd, i32> {
        // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) takes only integers.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            return Err(last_errno());
        }
        let mut listener: RawFd = -1;
        for (i, program) in self.programs.iter().enumerate() {
            let last = i + 1 == self.programs.len();
            let prog = libc::sock_fprog {
                // Fits: compile() refused programs longer than BPF_MAXINSNS (4096).
                len: program.insns.len() as u16,
                // seccompiler's sock_filter is #[repr(C)] {u16, u8, u8, u32} like the
                // kernel's struct sock_filter (checked by a const assertion below);
                // the kernel only reads through this pointer.
                filter: program.insns.as_ptr() as *mut libc::sock_filter,
            };
            let flags = if last {
                libc::SECCOMP_FILTER_FLAG_NEW_LISTENER
            } else {
                0
            };
            // SAFETY: `prog` points to `len` valid instructions that outlive the call;
            // seccomp(2) copies the program into the kernel before returning.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    flags,
                    &prog as *const libc::sock_fprog,
                )
            };
            if rc < 0 {
                return Err(last_errno());
            }
            if last {
                // With NEW_LISTENER the return value is the new fd, already O_CLOEXEC
                // (seccomp(2)), so the program never inherits it.
                listener = rc as RawFd;
            }
        }
        Ok(listener)
    }

    /// The compiled programs in load order with their filter names, for inspection.
    pub fn programs(&self) -> impl Iterator<Item = (&str, &[seccompiler::sock_filter])> {
        self.programs.iter().map(|p| (p.filter, p.insns.as_slice()))
    }
}

// The cast in apply_in_child relies on identical layouts.
const _: () = {
    assert!(size_of::<seccompiler::sock_filter>() == size_of::<libc::sock_filter>());
    assert!(align_of::<seccompiler::sock_filter>() == align_of::<libc::sock_filter>());
};

/// errno as left by the last failed libc call. Reading it allocates nothing.
fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Validate the policy's shape and names, then compile it with seccompiler and add the
/// hand-written parts. Returns the programs in load order.
fn compile(text: &str, path: &str) -> Result<Vec<Program>, SeccompError> {
    let invalid = |message: String| SeccompError::Invalid {
        path: path.to_owned(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|source| SeccompError::Parse {
            path: path.to_owned(),
            source,
        })?;
    let top = value
        .as_object()
        .ok_or_else(|| invalid("the top level must be an object of filters".into()))?;
    for key in top.keys() {
        if key != FILTER_DENY && key != FILTER_ERRNO {
            return Err(invalid(format!(
                "unknown filter {key:?}; a policy holds \"deny\" and optionally \"errno\""
            )));
        }
    }
    let Some(deny) = top.get(FILTER_DENY) else {
        return Err(invalid("no \"deny\" filter".into()));
    };
    check_filter(deny, FILTER_DENY, path)?;
    if let Some(errno) = top.get(FILTER_ERRNO) {
        check_filter(errno, FILTER_ERRNO, path)?;
    }

    // Names are checked above, so what seccompiler can still refuse is the form of a
    // rule (a bad "op", an argument index above 5...). Its error type is not public;
    // its message is kept as is.
    let mut compiled = seccompiler::compile_from_json(text.as_bytes(), TargetArch::x86_64)
        .map_err(|e| SeccompError::Compile {
            path: path.to_owned(),
            message: e.to_string(),
        })?;

    // Numbers each filter has rules for: everything else is allowed by a short tree
    // in front of seccompiler's linear program (see bpf::allow_fast_path).
    let listed = |filter: &str| -> Vec<u32> {
        top.get(filter)
            .and_then(|f| f.get("filter"))
            .and_then(|f| f.as_array())
            .map(|rules| rules.iter().filter_map(|r| r.get("syscall")?.as_str().and_then(syscall_nr)).collect())
            .unwrap_or_default()
    };
    let mut programs = Vec::with_capacity(2);
    if let Some(errno) = compiled.remove(FILTER_ERRNO) {
        let mut insns = bpf::abi_prefix(bpf::SECCOMP_RET_ALLOW);
        if let Some(fast) = bpf::allow_fast_path(&listed(FILTER_ERRNO)) {
            insns.extend(fast);
        }
        insns.extend(errno);
        programs.push(Program {
            filter: FILTER_ERRNO,
            insns,
        });
    }
    let mut deny = compiled.remove(FILTER_DENY).expect("checked above");
    bpf::trap_to_user_notif(&mut deny);
    let mut insns = bpf::abi_prefix(bpf::SECCOMP_RET_USER_NOTIF);
    insns.extend(bpf::unknown_nr_enosys(LAST_POLICY_NR));
    if let Some(fast) = bpf::allow_fast_path(&listed(FILTER_DENY)) {
        insns.extend(fast);
    }
    insns.extend(deny);
    programs.push(Program {
        filter: FILTER_DENY,
        insns,
    });

    for p in &programs {
        if p.insns.len() > bpf::MAX_INSNS {
            return Err(SeccompError::Compile {
                path: path.to_owned(),
                message: format!(
                    "filter {:?} compiles to {} instructions, more than the kernel's {}",
                    p.filter,
                    p.insns.len(),
                    bpf::MAX_INSNS
                ),
            });
        }
    }
    Ok(programs)
}

/// Check one filter's actions and syscall names. seccompiler accepts any action pair;
/// the rest of the sandbox depends on deny = allow/trap and errno = allow/errno.
fn check_filter(filter: &serde_json::Value, name: &str, path: &str) -> Result<(), SeccompError> {
    let invalid = |message: String| SeccompError::Invalid {
        path: path.to_owned(),
        message,
    };
    let action = |key: &str, alias: &str| filter.get(key).or_else(|| filter.get(alias));
    let mismatch = action("mismatch_action", "default_action");
    let matched = action("match_action", "filter_action");
    if mismatch != Some(&serde_json::json!("allow")) {
        return Err(invalid(format!(
            "filter {name:?} must have \"mismatch_action\": \"allow\""
        )));
    }
    let match_ok = match name {
        FILTER_DENY => matched == Some(&serde_json::json!("trap")),
        _ => matched
            .and_then(|m| m.get("errno"))
            .is_some_and(serde_json::Value::is_u64),
    };
    if !match_ok {
        let want = if name == FILTER_DENY {
            "\"trap\""
        } else {
            "{\"errno\": N}"
        };
        return Err(invalid(format!(
            "filter {name:?} must have \"match_action\": {want}"
        )));
    }
    let rules = filter
        .get("filter")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| invalid(format!("filter {name:?} has no \"filter\" list of rules")))?;
    for rule in rules {
        let Some(syscall) = rule.get("syscall").and_then(serde_json::Value::as_str) else {
            return Err(invalid(format!(
                "filter {name:?}: a rule without a \"syscall\" name"
            )));
        };
        match syscall_nr(syscall) {
            Some(nr) if nr <= LAST_POLICY_NR => {}
            Some(_) => {
                return Err(SeccompError::SyscallTooNew {
                    path: path.to_owned(),
                    filter: name.to_owned(),
                    name: syscall.to_owned(),
                });
            }
            None => {
                return Err(SeccompError::UnknownSyscall {
                    path: path.to_owned(),
                    filter: name.to_owned(),
                    name: syscall.to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// x86_64 number of a syscall name.
fn syscall_nr(name: &str) -> Option<u32> {
    if name.is_empty() {
        return None;
    }
    x86_64_names::NAMES
        .iter()
        .position(|n| *n == name)
        .map(|nr| nr as u32)
}

/// One seccomp user notification: a thread of the sandbox stopped in a denied syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification {
    /// Cookie for SECCOMP_IOCTL_NOTIF_SEND / NOTIF_ID_VALID.
    pub id: u64,
    /// Thread id of the caller, in the parent's pid namespace.
    pub pid: u32,
    /// AUDIT_ARCH_* of the call (x86_64 or i386).
    pub arch: u32,
    /// Syscall number as the filter saw it (x32 calls keep bit 30).
    pub nr: i32,
    pub args: [u64; 6],
}

impl Notification {
    /// The syscall's name, as [`syscall_name`] gives it.
    pub fn syscall_name(&self) -> String {
        syscall_name(self.arch, self.nr)
    }
}

/// Parent side: receive one notification from the listener.
///
/// Blocks until a notification is pending unless the fd is non-blocking. poll(2) on the
/// listener shows POLLIN when one is pending and POLLHUP once no task uses the filter
/// any more (the program and all its children are gone). The calling thread is left stopped inside the syscall until it
/// is answered or killed; the sandbox kills it. Retries on EINTR.
///
/// # Errors
/// `ENOENT` when the caller died (or was killed) between the notification and this
/// call (seccomp_unotify(2)); any other ioctl(2) error.
pub fn recv_notification(listener: BorrowedFd) -> std::io::Result<Notification> {
    loop {
        // The kernel refuses a non-zeroed struct with EINVAL since Linux 5.5
        // (seccomp_unotify(2), SECCOMP_IOCTL_NOTIF_RECV).
        // SAFETY: seccomp_notif is plain integers; all-zero is a valid value.
        let mut notif: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: `listener` is an open fd for the duration of the call and `notif` is
        // a writable seccomp_notif, the type SECCOMP_IOCTL_NOTIF_RECV is defined with.
        let rc = unsafe {
            libc::ioctl(
                listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &mut notif as *mut libc::seccomp_notif,
            )
        };
        if rc < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        return Ok(Notification {
            id: notif.id,
            pid: notif.pid,
            arch: notif.data.arch,
            nr: notif.data.nr,
            args: notif.data.args,
        });
    }
}

/// Name of a syscall as seen by the filter: `"mount"`, `"socket"` for x86_64 calls,
/// `"i386:11"` for `int 0x80` calls, `"x32:165"` for x32 calls, `"x86_64:<nr>"` for a
/// number the table does not know, `"arch-0x<arch>:<nr>"` for any other arch.
pub fn syscall_name(arch: u32, nr: i32) -> String {
    match arch {
        bpf::AUDIT_ARCH_X86_64 if nr >= 0 && (nr as u32) & bpf::X32_SYSCALL_BIT != 0 => {
            format!("x32:{}", nr as u32 & !bpf::X32_SYSCALL_BIT)
        }
        bpf::AUDIT_ARCH_X86_64 => match usize::try_from(nr)
            .ok()
            .and_then(|i| x86_64_names::NAMES.get(i))
        {
            Some(name) if !name.is_empty() => (*name).to_owned(),
            _ => format!("x86_64:{nr}"),
        },
        bpf::AUDIT_ARCH_I386 => format!("i386:{nr}"),
        other => format!("arch-{other:#x}:{nr}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The syscall names one filter of a policy file mentions.
    fn filter_syscalls(text: &str, filter: &str) -> BTreeSet<String> {
        let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        value[filter]["filter"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["syscall"].as_str().map(str::to_owned))
            .collect()
    }

    fn profiles_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/seccomp")
    }

    fn shipped() -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(profiles_dir())
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                (p.extension()? == "json")
                    .then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
            })
            .collect();
        names.sort();
        names
    }

    /// Run a whole program through the test interpreter.
    fn verdict(policy: &Policy, nr: i32, arch: u32, args: [u64; 6]) -> u32 {
        // The kernel keeps the highest-precedence action of all filters; for the
        // actions used here that order is KILL > ERRNO > USER_NOTIF > ALLOW.
        let rank = |a: u32| match a & libc::SECCOMP_RET_ACTION_FULL {
            libc::SECCOMP_RET_KILL_PROCESS | libc::SECCOMP_RET_KILL_THREAD => 0,
            libc::SECCOMP_RET_TRAP => 1,
            libc::SECCOMP_RET_ERRNO => 2,
            libc::SECCOMP_RET_USER_NOTIF => 3,
            libc::SECCOMP_RET_ALLOW => 9,
            other => panic!("unexpected action {other:#x}"),
        };
        policy
            .programs()
            .map(|(_, p)| bpf::tests::run(p, nr, arch, args))
            .min_by_key(|a| rank(*a))
            .unwrap()
    }

    const NOTIF: u32 = libc::SECCOMP_RET_USER_NOTIF;
    const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
    const ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
    const X86_64: u32 = bpf::AUDIT_ARCH_X86_64;

    fn nr(name: &str) -> i32 {
        syscall_nr(name).unwrap_or_else(|| panic!("{name}")) as i32
    }

    #[test]
    fn every_shipped_policy_compiles() {
        let names = shipped();
        assert!(names.contains(&"default".to_owned()), "{names:?}");
        for name in names {
            let policy =
                Policy::load(&name, &profiles_dir()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(policy.name(), name);
            let order: Vec<&str> = policy.programs().map(|(f, _)| f).collect();
            assert_eq!(order.last(), Some(&"deny"), "{name}: deny must load last");
        }
    }

    #[test]
    fn syscall_names_from_the_table() {
        for (nr, name) in [
            (0, "read"),
            (41, "socket"),
            (56, "clone"),
            (101, "ptrace"),
            (165, "mount"),
            (231, "exit_group"),
            (425, "io_uring_setup"),
            (435, "clone3"),
            (462, "mseal"),
            (469, "file_setattr"),
        ] {
            assert_eq!(syscall_name(X86_64, nr), name);
        }
        assert_eq!(syscall_name(X86_64, 400), "x86_64:400");
        assert_eq!(syscall_name(X86_64, 470), "x86_64:470");
        assert_eq!(syscall_name(X86_64, -1), "x86_64:-1");
        assert_eq!(syscall_name(X86_64, 0x4000_0000 | 165), "x32:165");
        assert_eq!(syscall_name(bpf::AUDIT_ARCH_I386, 11), "i386:11");
        assert_eq!(syscall_name(0xc000_00b7, 1), "arch-0xc00000b7:1");
        assert_eq!(syscall_nr("mount"), Some(165));
        assert_eq!(syscall_nr(""), None);
    }

    #[test]
    fn deny_program_starts_with_the_abi_prefix_then_seccompilers_arch_check() {
        let policy = Policy::load("default", &profiles_dir()).unwrap();
        let (_, deny) = policy.programs().last().unwrap();
        let expect: Vec<(u16, u8, u8, u32)> = vec![
            (0x20, 0, 0, 4),                              // ld [arch]
            (0x15, 1, 0, X86_64),                         // jeq AUDIT_ARCH_X86_64, +1
            (0x06, 0, 0, NOTIF),                          // ret USER_NOTIF
            (0x20, 0, 0, 0),                              // ld [nr]
            (0x35, 0, 1, 0x4000_0000),                    // jge X32_SYSCALL_BIT
            (0x06, 0, 0, NOTIF),                          // ret USER_NOTIF
            (0x25, 0, 1, LAST_POLICY_NR),                 // jgt 462
            (0x06, 0, 0, ENOSYS),                         // ret ERRNO(ENOSYS)
        ];
        let got: Vec<(u16, u8, u8, u32)> = deny[..expect.len()]
            .iter()
            .map(|i| (i.code, i.jt, i.jf, i.k))
            .collect();
        assert_eq!(got, expect);
        // Then the fast-path tree (jumps only), its `ret ALLOW`, then seccompiler's program.
        let tree_end = expect.len()
            + deny[expect.len()..].iter().position(|i| i.code == bpf::RET_K).expect("the tree ends in a return");
        assert!(deny[expect.len()..tree_end].iter().all(|i| i.code & 0x07 == 0x05), "the tree only jumps");
        assert_eq!((deny[tree_end].code, deny[tree_end].k), (bpf::RET_K, libc::SECCOMP_RET_ALLOW));
        let seccompiler_start: Vec<(u16, u8, u8, u32)> = vec![
            (0x20, 0, 0, 4),                              // seccompiler: ld [arch]
            (0x15, 1, 0, X86_64),                         //   jeq AUDIT_ARCH_X86_64, +1
            (0x06, 0, 0, libc::SECCOMP_RET_KILL_PROCESS), // unreachable after our prefix
            (0x20, 0, 0, 0),                              //   ld [nr]
        ];
        let got: Vec<(u16, u8, u8, u32)> = deny[tree_end + 1..tree_end + 5].iter().map(|i| (i.code, i.jt, i.jf, i.k)).collect();
        assert_eq!(got, seccompiler_start);
        assert!(
            !deny
                .iter()
                .any(|i| i.code == bpf::RET_K && i.k == libc::SECCOMP_RET_TRAP),
            "a TRAP survived"
        );

        let (name, errno) = policy.programs().next().unwrap();
        assert_eq!(name, "errno");
        assert_eq!(
            errno[2].k, ALLOW,
            "foreign ABIs: the errno filter has no opinion"
        );
        assert_eq!(errno[5].k, ALLOW);
    }

    #[test]
    fn default_policy_verdicts() {
        let p = Policy::load("default", &profiles_dir()).unwrap();
        let a = |x: u64| [x, 0, 0, 0, 0, 0];
        for name in [
            "mount",
            "umount2",
            "pivot_root",
            "chroot",
            "ptrace",
            "process_vm_readv",
            "process_vm_writev",
            "kexec_load",
            "kexec_file_load",
            "init_module",
            "finit_module",
            "delete_module",
            "bpf",
            "perf_event_open",
            "keyctl",
            "add_key",
            "request_key",
            "userfaultfd",
            "io_uring_setup",
            "io_uring_enter",
            "io_uring_register",
            "unshare",
            "setns",
            "reboot",
            "swapon",
            "swapoff",
            "settimeofday",
            "clock_settime",
            "clock_adjtime",
            "adjtimex",
            "open_by_handle_at",
            "name_to_handle_at",
            "acct",
            "quotactl",
            "lookup_dcookie",
            "vhangup",
            "syslog",
            "fanotify_init",
            "move_mount",
            "open_tree",
            "fsopen",
            "fsmount",
            "fsconfig",
            "fspick",
            "mount_setattr",
        ] {
            assert_eq!(verdict(&p, nr(name), X86_64, a(0)), NOTIF, "{name}");
        }
        for flag in [
            libc::CLONE_NEWNS,
            libc::CLONE_NEWCGROUP,
            libc::CLONE_NEWUTS,
            libc::CLONE_NEWIPC,
            libc::CLONE_NEWUSER,
            libc::CLONE_NEWPID,
            libc::CLONE_NEWNET,
            0x80, /* CLONE_NEWTIME */
        ] {
            let flags = (flag | libc::SIGCHLD) as u32 as u64;
            assert_eq!(
                verdict(&p, nr("clone"), X86_64, a(flags)),
                NOTIF,
                "clone {flag:#x}"
            );
        }
        // fork() and pthread_create() as glibc issues them
        let thread = (libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_FILES
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM
            | libc::CLONE_SETTLS
            | libc::CLONE_PARENT_SETTID
            | libc::CLONE_CHILD_CLEARTID) as u32 as u64;
        assert_eq!(verdict(&p, nr("clone"), X86_64, a(thread)), ALLOW);
        let fork = (libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID | libc::SIGCHLD) as u64;
        assert_eq!(verdict(&p, nr("clone"), X86_64, a(fork)), ALLOW);
        assert_eq!(verdict(&p, nr("clone3"), X86_64, a(0)), ENOSYS);
        assert_eq!(
            verdict(&p, nr("socket"), X86_64, a(libc::AF_UNIX as u64)),
            ALLOW
        );
        for domain in [libc::AF_INET, libc::AF_INET6] {
            assert_eq!(
                verdict(&p, nr("socket"), X86_64, a(domain as u64)),
                ENOSYS,
                "socket {domain}"
            );
        }
        for domain in [
            libc::AF_NETLINK,
            libc::AF_PACKET,
            libc::AF_VSOCK,
            libc::AF_BLUETOOTH,
            0,
            -1,
        ] {
            assert_eq!(
                verdict(&p, nr("socket"), X86_64, a(domain as u32 as u64)),
                NOTIF,
                "socket {domain}"
            );
        }
        for name in [
            "read",
            "write",
            "openat",
            "mmap",
            "execve",
            "wait4",
            "exit_group",
            "seccomp",
            "personality",
        ] {
            assert_eq!(verdict(&p, nr(name), X86_64, a(0)), ALLOW, "{name}");
        }
        assert_eq!(
            verdict(&p, 20, bpf::AUDIT_ARCH_I386, a(0)),
            NOTIF,
            "int 0x80 getpid"
        );
        assert_eq!(
            verdict(&p, 0x4000_0000 | 39, X86_64, a(0)),
            NOTIF,
            "x32 getpid"
        );
        assert_eq!(
            verdict(&p, 467, X86_64, a(0)),
            ENOSYS,
            "open_tree_attr: newer than the policy"
        );
    }

    #[test]
    fn loopback_policy_is_default_with_inet_sockets_allowed() {
        let read =
            |n: &str| std::fs::read_to_string(profiles_dir().join(format!("{n}.json"))).unwrap();
        let (default, loopback) = (read("default"), read("loopback"));
        assert_eq!(
            filter_syscalls(&default, "deny"),
            filter_syscalls(&loopback, "deny")
        );
        let mut soft = filter_syscalls(&loopback, "errno");
        soft.insert("socket".to_owned());
        assert_eq!(filter_syscalls(&default, "errno"), soft);
        let p = Policy::load("loopback", &profiles_dir()).unwrap();
        let s =
            |d: i32, proto: u64| verdict(&p, nr("socket"), X86_64, [d as u64, 0, proto, 0, 0, 0]);
        assert_eq!(s(libc::AF_UNIX, 0), ALLOW);
        assert_eq!(s(libc::AF_INET, 0), ALLOW);
        assert_eq!(s(libc::AF_INET6, 0), ALLOW);
        assert_eq!(s(libc::AF_NETLINK, libc::NETLINK_ROUTE as u64), ALLOW);
        assert_eq!(s(libc::AF_NETLINK, libc::NETLINK_NETFILTER as u64), NOTIF);
        assert_eq!(s(libc::AF_PACKET, 0), NOTIF);
        assert_eq!(s(libc::AF_VSOCK, 0), NOTIF);
    }

    fn load_text(text: &str) -> (String, Result<Policy, SeccompError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, text).unwrap();
        let path = path.display().to_string();
        let r = Policy::load(&path, Path::new("/nonexistent"));
        (path, r)
    }

    #[test]
    fn bad_syscall_name_names_file_and_syscall() {
        let (path, r) = load_text(
            r#"{"deny": {"mismatch_action": "allow", "match_action": "trap", "filter": [{"syscall": "mount"}, {"syscall": "mounty"}]}}"#,
        );
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains(&path) && msg.contains("\"mounty\""), "{msg}");
    }

    #[test]
    fn bad_json_names_file() {
        let (path, r) = load_text(r#"{"deny": {"#);
        let err = r.unwrap_err();
        assert!(matches!(err, SeccompError::Parse { .. }), "{err:?}");
        assert!(err.to_string().contains(&path), "{err}");
    }

    #[test]
    fn wrong_shape_is_refused() {
        let f = |m: &str, a: &str| {
            format!(r#"{{"mismatch_action": {m}, "match_action": {a}, "filter": []}}"#)
        };
        for text in [
            format!(r#"{{"errno": {}}}"#, f(r#""allow""#, r#"{"errno": 38}"#)), // no deny
            format!(r#"{{"deny": {}}}"#, f(r#""allow""#, r#""kill_process""#)),
            format!(r#"{{"deny": {}}}"#, f(r#""trap""#, r#""allow""#)),
            format!(
                r#"{{"deny": {}, "errno": {}}}"#,
                f(r#""allow""#, r#""trap""#),
                f(r#""allow""#, r#""trap""#)
            ),
            format!(
                r#"{{"deny": {}, "other": {}}}"#,
                f(r#""allow""#, r#""trap""#),
                f(r#""allow""#, r#""trap""#)
            ),
        ] {
            let (path, r) = load_text(&text);
            let err = r.expect_err(&text);
            assert!(
                matches!(err, SeccompError::Invalid { .. }),
                "{text}: {err:?}"
            );
            assert!(err.to_string().contains(&path));
        }
        // A rule seccompiler refuses (argument index 6 does not exist).
        let (path, r) = load_text(
            r#"{"deny": {"mismatch_action": "allow", "match_action": "trap", "filter": [{"syscall": "socket", "args": [{"index": 6, "type": "dword", "op": "eq", "val": 1}]}]}}"#,
        );
        let err = r.unwrap_err();
        assert!(
            matches!(err, SeccompError::Compile { .. }) && err.to_string().contains(&path),
            "{err:?}"
        );
        // A syscall newer than seccompiler's table.
        let (_, r) = load_text(
            r#"{"deny": {"mismatch_action": "allow", "match_action": "trap", "filter": [{"syscall": "open_tree_attr"}]}}"#,
        );
        assert!(matches!(r.unwrap_err(), SeccompError::SyscallTooNew { .. }));
    }

    /// The instructions of a policy, comparable.
    fn listing(p: &Policy) -> Vec<(String, Vec<(u16, u8, u8, u32)>)> {
        p.programs()
            .map(|(f, i)| (f.to_owned(), i.iter().map(|i| (i.code, i.jt, i.jf, i.k)).collect()))
            .collect()
    }

    #[test]
    fn clock_gettime_is_read_after_the_filters_only_when_no_filter_names_it() {
        let work = tempfile::tempdir().unwrap();
        let shipped = Policy::load_with_cache("default", &profiles_dir(), None).unwrap();
        assert!(shipped.allows_clock_gettime());
        assert!(shipped.same_filters(&Policy::load_with_cache("default", &profiles_dir(), None).unwrap()));
        let path = work.path().join("strict.json");
        std::fs::write(
            &path,
            r#"{"deny": {"mismatch_action": "allow", "match_action": "trap", "filter": [{"syscall": "clock_gettime"}]}}"#,
        )
        .unwrap();
        let strict = Policy::load_with_cache(&path.display().to_string(), Path::new("/nonexistent"), None).unwrap();
        assert!(!strict.allows_clock_gettime());
        assert!(!strict.same_filters(&shipped));
    }

    #[test]
    fn cached_policy_equals_a_fresh_compile_and_an_edit_recompiles() {
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = cache::Cache::at(cache_dir.path(), b"build-1");
        let work = tempfile::tempdir().unwrap();
        let path = work.path().join("p.json");
        let default = std::fs::read_to_string(profiles_dir().join("default.json")).unwrap();
        std::fs::write(&path, &default).unwrap();
        let path = path.display().to_string();
        let fresh = Policy::load_with_cache(&path, Path::new("/nonexistent"), None).unwrap();
        let first = Policy::load_with_cache(&path, Path::new("/nonexistent"), Some(&cache)).unwrap();
        let second = Policy::load_with_cache(&path, Path::new("/nonexistent"), Some(&cache)).unwrap();
        assert!(cache.get(&default).is_some(), "stored");
        assert_eq!(listing(&first), listing(&fresh));
        assert_eq!(listing(&second), listing(&fresh));
        assert_eq!(second.name(), path);

        // The same file edited: `mount` no longer denied. The cache must not answer
        // with the old program.
        let edited = default.replacen(r#""syscall": "mount","#, r#""syscall": "chown","#, 1);
        assert_ne!(edited, default, "default.json denies mount");
        std::fs::write(&path, &edited).unwrap();
        let reloaded = Policy::load_with_cache(&path, Path::new("/nonexistent"), Some(&cache)).unwrap();
        let recompiled = Policy::load_with_cache(&path, Path::new("/nonexistent"), None).unwrap();
        assert_eq!(listing(&reloaded), listing(&recompiled));
        assert_ne!(listing(&reloaded), listing(&fresh));
        let a = [0u64; 6];
        assert_eq!(verdict(&reloaded, nr("mount"), X86_64, a), ALLOW);
        assert_eq!(verdict(&reloaded, nr("chown"), X86_64, a), NOTIF);

        // An invalid edit is an error, whatever the cache holds.
        std::fs::write(&path, r#"{"deny": {"#).unwrap();
        let err = Policy::load_with_cache(&path, Path::new("/nonexistent"), Some(&cache)).unwrap_err();
        assert!(matches!(err, SeccompError::Parse { .. }), "{err:?}");
    }

    #[test]
    fn missing_shipped_policy_is_not_found() {
        let err = Policy::load("nope", &profiles_dir()).unwrap_err();
        assert!(matches!(err, SeccompError::NotFound { .. }), "{err:?}");
    }
}
