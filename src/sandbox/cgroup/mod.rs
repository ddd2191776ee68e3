//! cgroups v1 and v2 behind one interface.
//!
//! [`Hierarchy::detect`] finds which version the host uses (never configured);
//! [`Hierarchy::create_run`] makes one cgroup for one run under dokeru's own
//! parent (`dokeru/`), applies the limits, and returns a [`RunCgroup`].
//! dokeru never touches a cgroup it did not create: everything it writes, kills or
//! removes lies under its own parent (`dokeru/`, or `$DOKERU_CGROUP_PARENT`), except for
//! enabling controllers in the v2 root's `cgroup.subtree_control`, which the parent needs.
//!
//! Layout: v1 `<controller mount>/dokeru/<run>` in each controller a run joins
//! (memory, cpuacct and pids always; cpu and cpuset only when a limit needs them);
//! v2 `<cgroup2 mount>/dokeru/<run>`.
//!
//! Every constructor takes its mount paths as arguments ([`Hierarchy::detect_at`],
//! [`v1::V1Hierarchy::new`], [`v2::V2Hierarchy::new`]), so the unit tests run against a
//! fake tree of plain files in a temporary directory; tests that need the real kernel
//! live in `tests.rs` here and skip, saying why, without root or the matching version.

mod files;
pub mod mountinfo;
pub mod v1;
pub mod v2;

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Limits applied to one run's cgroup. `None` leaves the kernel default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupLimits {
    pub memory_max_bytes: Option<u64>,
    pub memory_soft_bytes: Option<u64>,
    /// (quota_us, period_us)
    pub cpu_quota: Option<(u64, u64)>,
    /// v1 shares units (2..=262144); mapped to v2 `cpu.weight`.
    pub cpu_shares: Option<u64>,
    pub cpus: Option<String>,
    pub pids_max: Option<u64>,
}

/// Errors of cgroup operations, named after the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("no usable cgroup hierarchy found under {root}")]
    NoHierarchy { root: PathBuf },
    #[error("cgroup controller {controller} is not available")]
    MissingController { controller: &'static str },
    #[error("create cgroup {path}")]
    Create { path: PathBuf, #[source] source: std::io::Error },
    #[error("write {value:?} to {path}")]
    WriteFile { path: PathBuf, value: String, #[source] source: std::io::Error },
    #[error("read {path}")]
    ReadFile { path: PathBuf, #[source] source: std::io::Error },
    #[error("parse {path}: unexpected content {content:?}")]
    Parse { path: PathBuf, content: String },
    #[error("remove cgroup {path}")]
    Remove { path: PathBuf, #[source] source: std::io::Error },
    #[error("cgroup {path} still holds processes {pids:?} after SIGKILL")]
    StillPopulated { path: PathBuf, pids: Vec<i32> },
    #[error("invalid cgroup name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
}

impl CgroupError {
    /// What the user can do about it, where there is something to do.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CgroupError::NoHierarchy { .. } => Some("mount cgroup2 at /sys/fs/cgroup (or the v1 controllers); `dokeru doctor` lists what is missing"),
            CgroupError::MissingController { .. } => Some("`dokeru doctor` shows which controllers the kernel offers and how to enable them"),
            CgroupError::Create { source, .. } | CgroupError::WriteFile { source, .. }
                if matches!(source.raw_os_error(), Some(libc::EACCES | libc::EPERM | libc::EROFS)) =>
            {
                Some("run dokeru as root with a writable cgroup mount, or delegate a cgroup subtree and set DOKERU_CGROUP_PARENT")
            }
            CgroupError::WriteFile { source, .. } if source.raw_os_error() == Some(libc::EBUSY) => {
                Some("cgroup v2 cannot enable controllers for a cgroup that holds processes (no internal processes rule); put dokeru's parent elsewhere with DOKERU_CGROUP_PARENT")
            }
            _ => None,
        }
    }
}

/// Which cgroup version the host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1 => "v1",
            Version::V2 => "v2",
        }
    }
}

/// CPU time of the run's cgroup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuUsage {
    pub total: Duration,
    pub user: Duration,
    pub system: Duration,
}

/// Peak memory and where the number came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryPeak {
    pub bytes: u64,
    /// e.g. `cgroup:memory.peak`, `cgroup:memory.max_usage_in_bytes`, `sampled:memory.current`.
    pub source: String,
}

/// Memory events of the run's cgroup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryEvents {
    /// Processes killed by the OOM killer in this cgroup.
    pub oom_kills: u64,
    /// Times the limit was hit (v2 `max` event, v1 `memory.failcnt`).
    pub limit_hits: u64,
}

/// One run's cgroup. Dropping it does not remove it: call [`RunCgroup::destroy`].
pub trait RunCgroup: Send + Sync + std::fmt::Debug {
    /// Move a process (by host pid) into the cgroup (every controller on v1).
    fn add_pid(&self, pid: i32) -> Result<(), CgroupError>;
    /// An open fd of the cgroup directory for `CLONE_INTO_CGROUP` (v2 only).
    fn clone_into_fd(&self) -> Option<std::os::fd::RawFd>;
    /// v1: move the calling thread (only it) into the cgroup, so that what it
    /// clones is born inside; `false` (nothing done) where `CLONE_INTO_CGROUP`
    /// serves instead. A thread moving itself skips the global lock a
    /// `cgroup.procs` write takes (see `spawner.rs`).
    fn enter_thread(&self) -> Result<bool, CgroupError>;
    /// v1: move the calling thread back out, to dokeru's parent cgroup.
    fn leave_thread(&self) -> Result<(), CgroupError>;
    /// Total/user/system CPU time of every process ever in the cgroup.
    fn cpu_usage(&self) -> Result<CpuUsage, CgroupError>;
    /// Only the total, as cheaply as possible (called while enforcing the limit).
    fn cpu_total(&self) -> Result<Duration, CgroupError>;
    /// Peak memory; falls back to a sampled value where the kernel has no peak counter.
    fn memory_peak(&self) -> Result<MemoryPeak, CgroupError>;
    /// Current memory usage (used for sampling when there is no peak counter).
    fn memory_current(&self) -> Result<u64, CgroupError>;
    fn memory_events(&self) -> Result<MemoryEvents, CgroupError>;
    /// Pids of processes currently in the cgroup.
    fn pids(&self) -> Result<Vec<i32>, CgroupError>;
    /// SIGKILL every process in the cgroup (`cgroup.kill` where present, else a loop over pids).
    fn kill_all(&self) -> Result<(), CgroupError>;
    /// Kill what is left, wait until empty, remove the cgroup (all controllers on v1).
    fn destroy(&self) -> Result<(), CgroupError>;
    /// The cgroup path(s), for messages.
    fn describe(&self) -> String;
    /// Whether the kernel keeps a peak counter (v1 `memory.max_usage_in_bytes`, v2
    /// `memory.peak`). When false, the caller should call [`RunCgroup::memory_current`]
    /// every few ms; [`RunCgroup::memory_peak`] then reports the highest value seen,
    /// with source `sampled:memory.current`.
    fn has_peak_counter(&self) -> bool;
}

/// One line of `dokeru doctor`: a kernel feature dokeru uses, whether it works, and if
/// not, what that costs the user and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub hint: Option<String>,
}

impl Feature {
    pub(crate) fn ok(name: &str, detail: String) -> Feature {
        Feature { name: name.to_string(), ok: true, detail, hint: None }
    }

    pub(crate) fn missing(name: &str, detail: String, hint: &str) -> Feature {
        Feature { name: name.to_string(), ok: false, detail, hint: Some(hint.to_string()) }
    }
}

/// Environment variable that overrides the name of dokeru's parent cgroup.
pub const PARENT_ENV: &str = "DOKERU_CGROUP_PARENT";
/// Default name of dokeru's parent cgroup under each mount.
pub const DEFAULT_PARENT: &str = "dokeru";

/// Check a parent name (from the environment, so untrusted): a relative path of plain
/// components, never `..`, never a cgroup that belongs to someone else.
///
/// # Errors
/// `InvalidName` saying what is wrong.
pub fn validate_parent_name(name: &str) -> Result<(), CgroupError> {
    let invalid = |reason| Err(CgroupError::InvalidName { name: name.to_string(), reason });
    if name.is_empty() {
        return invalid("empty");
    }
    if Path::new(name).is_absolute() {
        return invalid("must be relative to the cgroup mount");
    }
    for component in Path::new(name).components() {
        match component {
            Component::Normal(c) if c == "process_api" => {
                // The cgroup of the session hosting this machine's tooling lives there;
                // dokeru must never write to it or sweep it.
                return invalid("process_api is not dokeru's to use");
            }
            Component::Normal(_) => {}
            _ => return invalid("only plain path components are allowed (no `.` or `..`)"),
        }
    }
    Ok(())
}

/// A run name is one plain path component (the caller builds `run-<pid>-<start>-<seq>`).
///
/// # Errors
/// `InvalidName` saying what is wrong.
pub fn validate_run_name(name: &str) -> Result<(), CgroupError> {
    let invalid = |reason| Err(CgroupError::InvalidName { name: name.to_string(), reason });
    if name.is_empty() || name == "." || name == ".." {
        return invalid("must be a plain, non-empty name");
    }
    if name.contains('/') || name.contains('\0') {
        return invalid("must not contain '/' or NUL");
    }
    Ok(())
}

/// The detected hierarchy and dokeru's parent cgroup in it.
#[derive(Debug, Clone)]
pub enum Hierarchy {
    V1(v1::V1Hierarchy),
    V2(v2::V2Hierarchy),
}

impl Hierarchy {
    /// Detect the host's cgroup version from `/proc/self/mountinfo`. The parent is
    /// `$DOKERU_CGROUP_PARENT` or `dokeru`; it is created lazily by the first run.
    ///
    /// # Errors
    /// `NoHierarchy` when no usable cgroup mount exists; `InvalidName` for a bad parent name.
    pub fn detect() -> Result<Hierarchy, CgroupError> {
        let parent = std::env::var(PARENT_ENV).unwrap_or_else(|_| DEFAULT_PARENT.to_string());
        Hierarchy::detect_with_parent(&parent)
    }

    /// [`Hierarchy::detect`] with an explicit parent name.
    pub fn detect_with_parent(parent: &str) -> Result<Hierarchy, CgroupError> {
        let path = Path::new("/proc/self/mountinfo");
        let text = std::fs::read_to_string(path).map_err(|source| CgroupError::ReadFile { path: path.to_path_buf(), source })?;
        Hierarchy::detect_at(&text, Path::new("/"), parent)
    }

    /// Detect from a mountinfo text whose mount points are taken relative to `sysroot`
    /// (`/` on a real host; a temporary directory holding a fake tree in tests).
    ///
    /// # Errors
    /// `NoHierarchy` when no usable cgroup mount exists; `InvalidName` for a bad parent name.
    pub fn detect_at(mountinfo_text: &str, sysroot: &Path, parent: &str) -> Result<Hierarchy, CgroupError> {
        validate_parent_name(parent)?;
        let mounts = mountinfo::cgroup_mounts(mountinfo_text);
        let has_controllers = |root: &Path| {
            std::fs::read_to_string(root.join("cgroup.controllers")).is_ok_and(|c| c.split_whitespace().any(|c| c == "memory"))
        };
        match mountinfo::decide(&mounts, sysroot, &has_controllers) {
            Some(mountinfo::Detected::V2 { root }) => Ok(Hierarchy::V2(v2::V2Hierarchy::new(root, parent)?)),
            Some(mountinfo::Detected::V1(v1_mounts)) => Ok(Hierarchy::V1(v1::V1Hierarchy::new(v1_mounts, parent)?)),
            None => Err(CgroupError::NoHierarchy { root: sysroot.join("sys/fs/cgroup") }),
        }
    }

    pub fn version(&self) -> Version {
        match self {
            Hierarchy::V1(_) => Version::V1,
            Hierarchy::V2(_) => Version::V2,
        }
    }

    /// Create the cgroup of one run, named `name`, and apply `limits`. The parent is
    /// created first if needed. On error nothing of the run is left behind.
    ///
    /// # Errors
    /// `InvalidName`, `MissingController` for a limit the host cannot apply, `Create` when
    /// the run cgroup already exists or cannot be made, `WriteFile` naming path and value.
    pub fn create_run(&self, name: &str, limits: &CgroupLimits) -> Result<Box<dyn RunCgroup>, CgroupError> {
        Ok(match self {
            Hierarchy::V1(h) => Box::new(h.create_run(name, limits)?),
            Hierarchy::V2(h) => Box::new(h.create_run(name, limits)?),
        })
    }

    /// Remove run cgroups whose owner is dead (`alive(name)` is false), killing what they
    /// hold. Returns how many were removed. Only children of dokeru's parent are looked at.
    pub fn sweep_stale(&self, alive: &dyn Fn(&str) -> bool) -> Result<usize, CgroupError> {
        match self {
            Hierarchy::V1(h) => h.sweep_stale(alive),
            Hierarchy::V2(h) => h.sweep_stale(alive),
        }
    }

    /// What the host offers and what each missing piece costs, for `dokeru doctor`.
    /// On v2 this creates dokeru's parent (as the first run would), because the files it
    /// looks for do not exist in the root cgroup.
    pub fn features(&self) -> Vec<Feature> {
        match self {
            Hierarchy::V1(h) => h.features(),
            Hierarchy::V2(h) => h.features(),
        }
    }
}

#[cfg(test)]
mod tests;
