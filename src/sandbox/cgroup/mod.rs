//! cgroups v1 and v2 behind one interface.
//!
//! [`Hierarchy::detect`] finds which version the host uses (never configured);
//! [`Hierarchy::create_run`] makes one cgroup for one run under dokeru's own
//! parent (`dokeru/`), applies the limits, and returns a [`RunCgroup`].
//! dokeru never touches a cgroup it did not create.

pub mod v1;
pub mod v2;

use std::path::PathBuf;
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
    /// Total/user/system CPU time of every process ever in the cgroup.
    fn cpu_usage(&self) -> Result<CpuUsage, CgroupError>;
    /// Only the total, as cheaply as possible (called while enforcing the limit).
    fn cpu_total(&self) -> Result<Duration, CgroupError>;
    /// Peak memory; falls back to a sampled value where the kernel has no peak counter.
    fn memory_peak(&self) -> Result<MemoryPeak, CgroupError>;
    /// Whether the kernel keeps a peak counter (else the caller samples).
    fn has_peak_counter(&self) -> bool;
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
}

/// The detected hierarchy and dokeru's parent cgroup in it.
#[derive(Debug, Clone)]
pub enum Hierarchy {
    V1(v1::V1Hierarchy),
    V2(v2::V2Hierarchy),
}

impl Hierarchy {
    /// Detect the host's cgroup version from `/proc/self/mountinfo` and
    /// prepare dokeru's parent cgroup (`<root>/dokeru`).
    pub fn detect() -> Result<Hierarchy, CgroupError> {
        todo!("cgroup helper")
    }

    pub fn version(&self) -> Version {
        match self {
            Hierarchy::V1(_) => Version::V1,
            Hierarchy::V2(_) => Version::V2,
        }
    }

    /// Create the cgroup of one run, named `name`, and apply `limits`.
    pub fn create_run(&self, name: &str, limits: &CgroupLimits) -> Result<Box<dyn RunCgroup>, CgroupError> {
        let _ = (name, limits);
        todo!("cgroup helper")
    }

    /// Remove run cgroups whose owner is dead (`alive(name)` is false), killing what they hold.
    pub fn sweep_stale(&self, alive: &dyn Fn(&str) -> bool) -> Result<usize, CgroupError> {
        let _ = alive;
        todo!("cgroup helper")
    }
}
