//! clap definitions only: a mirror of argv, no logic.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "dokeru", version, about = "A sandbox and judge for untrusted programs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one program in a fresh sandbox and print a JSON result
    Run(RunArgs),
    /// Judge a submission against a problem package and print a JSON report
    Judge(crate::judge::JudgeArgs),
    /// Judge every submission of a package and compare with its folder's verdict
    Verify(crate::judge::VerifyArgs),
    /// List the language profiles and whether each toolchain is installed
    Profiles(crate::judge::ProfilesArgs),
    /// Report which kernel features dokeru can use on this host
    Doctor(DoctorArgs),
}

/// `dokeru run [OPTIONS] -- PROGRAM [ARGS...]` (see run.md).
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// CPU-time limit of the whole process tree, seconds (decimals allowed)
    #[arg(long, value_name = "SECS")]
    pub time: Option<String>,
    /// Wall-clock limit, seconds [default: 3 x --time + 1 when --time is set]
    #[arg(long = "wall-time", value_name = "SECS")]
    pub wall_time: Option<String>,
    /// Hard memory limit of the whole tree (SIZE: 64M, 1G, 10%, unlimited)
    #[arg(long, value_name = "SIZE")]
    pub mem: Option<String>,
    /// Same as --mem (the historical name)
    #[arg(long, value_name = "SIZE", conflicts_with = "mem")]
    pub memlimit: Option<String>,
    /// Soft memory limit: reclaim/throttle above it, never kill
    #[arg(long = "mem-soft", value_name = "SIZE")]
    pub mem_soft: Option<String>,
    /// Hard CPU bandwidth cap, percent of one CPU (may exceed 100)
    #[arg(long, value_name = "N")]
    pub percent: Option<String>,
    /// CFS period used with --percent, microseconds
    #[arg(long, value_name = "USECS")]
    pub period: Option<String>,
    /// Soft CPU weight (cgroup v1 shares, 2-262144)
    #[arg(long, value_name = "N")]
    pub shares: Option<String>,
    /// cpuset, e.g. 0, 0-1, 1,3
    #[arg(long, value_name = "LIST")]
    pub cpus: Option<String>,
    /// Max processes + threads alive at once [default: 64]
    #[arg(long, value_name = "N")]
    pub pids: Option<String>,
    /// Max size of any one file the program writes [default: 64M]
    #[arg(long, value_name = "SIZE")]
    pub fsize: Option<String>,
    /// Size of the writable box filesystem [default: 64M]
    #[arg(long, value_name = "SIZE")]
    pub disk: Option<String>,
    /// Max bytes of stdout + stderr together [default: 64M]
    #[arg(long = "output-limit", value_name = "SIZE")]
    pub output_limit: Option<String>,
    /// Host file fed to stdin [default: empty]
    #[arg(long, value_name = "FILE")]
    pub stdin: Option<PathBuf>,
    /// Write stdout to this host file instead of the JSON
    #[arg(long, value_name = "FILE")]
    pub stdout: Option<PathBuf>,
    /// Write stderr to this host file instead of the JSON
    #[arg(long, value_name = "FILE")]
    pub stderr: Option<PathBuf>,
    /// Copy a host file or directory into the box (repeatable)
    #[arg(long, value_name = "PATH")]
    pub copy: Vec<PathBuf>,
    /// Bind a host path into the sandbox: SRC[:DST][:rw] (repeatable)
    #[arg(long, value_name = "SRC[:DST][:rw]")]
    pub bind: Vec<String>,
    /// Set KEY=VALUE, or pass KEY from the caller (repeatable)
    #[arg(long, value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// none: no interface at all; loopback: a private lo only
    #[arg(long, value_name = "none|loopback", default_value = "none")]
    pub net: String,
    /// Syscall policy by name or path, or off [default: default; loopback with --net loopback]
    #[arg(long, value_name = "POLICY|off")]
    pub seccomp: Option<String>,
    /// Write the JSON result to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub result: Option<PathBuf>,
    /// Directory of shipped profiles (seccomp policies under seccomp/)
    #[arg(long, value_name = "DIR", env = "DOKERU_PROFILES")]
    pub profiles: Option<PathBuf>,
    /// The program and its arguments
    #[arg(last = true, required = true, value_name = "PROGRAM [ARGS...]")]
    pub program: Vec<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct DoctorArgs {
    /// Print the findings as JSON
    #[arg(long)]
    pub json: bool,
}
