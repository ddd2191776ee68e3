//! clap argument structs of `dokeru judge`, `dokeru verify` and `dokeru profiles`;
//! a mirror of argv, no logic (checks happen in the commands, once).

use std::path::PathBuf;

/// `dokeru judge PROBLEM_DIR SUBMISSION`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JudgeArgs {
    /// Problem package directory (legacy or 2025-09 layout).
    pub problem: PathBuf,
    /// A source file or a directory of sources.
    pub submission: PathBuf,
    /// Language profile name (default: from the file extension).
    #[arg(long)]
    pub lang: Option<String>,
    /// Tests run at once (default: the number of CPUs).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// CPU time limit per test in seconds (overrides the package).
    #[arg(long, value_name = "SECS")]
    pub time: Option<f64>,
    /// Wall-clock limit per test in seconds (default: 1.5 x time + 1).
    #[arg(long, value_name = "SECS")]
    pub wall_time: Option<f64>,
    /// Stop starting tests after the first one that is not accepted.
    #[arg(long)]
    pub fail_fast: bool,
    /// Extra directory of language profiles (repeatable; later files override).
    #[arg(long, value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
    /// Write the JSON report there instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// No progress bar or summary even on a terminal.
    #[arg(long)]
    pub quiet: bool,
}

/// `dokeru verify PROBLEM_DIR`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VerifyArgs {
    /// Problem package directories.
    #[arg(required = true)]
    pub problems: Vec<PathBuf>,
    /// Tests run at once (default: the number of CPUs).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Extra directory of language profiles.
    #[arg(long, value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
    /// Print every submission's result, not only the mismatches.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// `dokeru profiles`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProfilesArgs {
    /// Extra directory of language profiles.
    #[arg(long, value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}
