//! The sandbox: one untrusted program, one fresh set of namespaces, one cgroup.
//!
//! This module knows nothing of profiles, problems, verdicts or JSON. It takes a
//! [`SandboxSpec`] and returns an [`Outcome`] (what the program did) or a
//! [`SandboxError`] (the sandbox itself could not do its job).
//!
//! # Theory of operation
//! See `run.rs` for the full walk-through of processes, fds and messages.

pub mod cgroup;
pub mod copy;
pub mod rootfs;
pub mod run;
pub mod seccomp;
pub mod spawn;
mod spawner;
pub mod status;

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::Duration;

pub use run::{prepared_runs, release_prepared, run, run_and_prepare_next, SandboxError};
pub use status::{classify, Status};

/// Resource limits of one run. `None` means unlimited.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    /// CPU time of the whole tree (user + sys, all threads and children).
    pub cpu_time: Option<Duration>,
    /// Wall-clock time, monotonic clock.
    pub wall_time: Option<Duration>,
    /// Hard memory limit of the cgroup; swap is never used.
    pub memory_bytes: Option<u64>,
    /// Soft memory limit (`memory.high` / `memory.soft_limit_in_bytes`).
    pub memory_soft_bytes: Option<u64>,
    /// Hard CPU bandwidth: percent of one CPU per period.
    pub cpu_percent: Option<u32>,
    /// CFS period used with `cpu_percent`, microseconds.
    pub cpu_period_us: u64,
    /// Soft CPU weight in cgroup-v1 shares units (2..=262144).
    pub cpu_shares: Option<u64>,
    /// cpuset, e.g. `0-1`.
    pub cpus: Option<String>,
    /// Max processes + threads alive at once.
    pub pids: Option<u64>,
    /// Max size of any one file written (RLIMIT_FSIZE).
    pub fsize_bytes: Option<u64>,
    /// Size of the box tmpfs (and of `/tmp` and `/dev/shm`).
    pub disk_bytes: u64,
    /// Max bytes of captured stdout + stderr together.
    pub output_bytes: Option<u64>,
}

/// Where the program's stdin comes from.
#[derive(Debug)]
pub enum Stdin {
    /// An empty stdin (`/dev/null`).
    Null,
    /// A host file, opened by the parent (read-only).
    File(PathBuf),
    /// An already open fd (a pipe from another sandbox, for interactive runs).
    Fd(OwnedFd),
}

/// Where one of the program's output streams goes.
#[derive(Debug)]
pub enum Output {
    /// Read by the parent through a pipe, counted against the output limit, kept.
    Capture,
    /// Read by the parent through a pipe, counted, and written to this host file.
    File(PathBuf),
    /// Passed through as is (a pipe to another sandbox); not counted.
    Fd(OwnedFd),
    /// Discarded (`/dev/null`).
    Null,
}

/// A host path made visible inside the sandbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Bind {
    pub src: PathBuf,
    /// Absolute path inside the sandbox.
    pub dst: PathBuf,
    pub writable: bool,
}

/// A host file or directory copied into the box before the run.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyIn {
    pub src: PathBuf,
    /// Path relative to the box (`/box`).
    pub dst: PathBuf,
}

/// A regular file read back from the box after the run into a host path.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyOut {
    /// Path relative to the box.
    pub src: PathBuf,
    /// Host path; created, never overwritten through a link.
    pub dst: PathBuf,
    /// Largest file accepted.
    pub max_bytes: u64,
}

/// Network of the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Net {
    /// No interface at all.
    #[default]
    None,
    /// A private loopback interface, up.
    Loopback,
}

/// Everything one run needs.
#[derive(Debug)]
pub struct SandboxSpec {
    /// argv; `argv[0]` is resolved inside the sandbox on PATH when it has no `/`.
    pub argv: Vec<String>,
    /// The complete environment of the program.
    pub env: Vec<(String, String)>,
    pub limits: Limits,
    pub stdin: Stdin,
    pub stdout: Output,
    pub stderr: Output,
    /// Extra binds, on top of [`default_system_binds`].
    pub binds: Vec<Bind>,
    /// Whether to bind the default system directories (read-only).
    pub system_binds: bool,
    pub copy_in: Vec<CopyIn>,
    pub copy_out: Vec<CopyOut>,
    pub net: Net,
    /// Compiled seccomp policy; `None` means no filter (`--seccomp off`).
    pub seccomp: Option<std::sync::Arc<seccomp::Policy>>,
}

/// How the main process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    Exited(i32),
    Signaled(i32),
    /// The sandbox killed the tree before the main process ended by itself.
    Killed,
}

/// Which limit the sandbox itself enforced by killing the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Enforced {
    pub cpu_time: bool,
    pub wall_time: bool,
    pub output: bool,
}

/// Bytes captured from one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    pub bytes: Vec<u8>,
    pub truncated: bool,
}

/// What the program did, as measured by the sandbox.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub termination: Termination,
    pub enforced: Enforced,
    /// Name of the syscall the seccomp filter denied, if any.
    pub denied_syscall: Option<String>,
    pub cpu_time: Duration,
    pub user_time: Duration,
    pub sys_time: Duration,
    pub wall_time: Duration,
    /// When the main process ended (or the run was stopped), on the monotonic clock.
    pub exited_at: std::time::Instant,
    pub memory_peak_bytes: u64,
    /// The kernel's OOM killer killed a process of the run.
    pub oom_killed: bool,
    /// The cgroup hit its memory limit at least once (allocation failed or reclaim).
    pub memory_limit_hit: bool,
    pub stdout: Captured,
    pub stderr: Captured,
    /// Facts about the sandbox for the report (`cgroup`, `cpu_time_source`...).
    pub facts: Facts,
    /// Set when the run was stopped by a failure of the sandbox after the program started.
    pub limits: Limits,
}

/// What the sandbox used to measure, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// `v1` or `v2`.
    pub cgroup: String,
    pub cpu_time_source: String,
    pub memory_source: String,
    pub seccomp: Option<String>,
    pub net: String,
    pub kernel: String,
}
