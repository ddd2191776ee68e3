//! The judge: problem packages, language profiles, checkers, interactive runs, verdicts.
//!
//! # Theory of operation
//! `dokeru judge PROBLEM SUBMISSION` goes through these steps, in order:
//! 1. [`profile`]: the language profiles (`profiles/*.toml`) are parsed and validated;
//!    the submission's language comes from its extension (or `--lang`).
//! 2. [`problem`]: the package is loaded and checked completely (problem.yaml of any
//!    version, `.timelimit`, test data in judging order, groups, validator flags) before
//!    anything runs; a malformed or unsupported package is an error naming file and field.
//! 3. [`exec`]: the submission (and a custom validator or testlib checker, if any) is
//!    compiled once, each in a compile sandbox of its own limits; the result is a
//!    read-only program directory bound at `/prog` in every later run.
//! 4. [`judging`]: tests run concurrently on `--jobs` workers, every test in a fresh
//!    sandbox; the output goes to a host file and is checked by [`default_validator`]
//!    (in-process: it is our code and only compares bytes) or by the package's program
//!    in a sandbox of its own ([`checker`]). Interactive problems use [`interactive`].
//! 5. [`verdict`] turns run statuses and checker results into verdicts (a limit hit is
//!    never rescued by a correct output), [`scoring`] computes scores, and [`report`] is
//!    the JSON of `judge.md`.
//!
//! Everything that needs the sandbox goes through [`exec::run_sandboxed`].

pub mod args;
pub mod checker;
pub mod default_validator;
pub mod exec;
pub mod interactive;
pub mod judging;
pub mod problem;
pub mod profile;
pub mod report;
pub mod scoring;
pub mod verdict;
pub mod verify;

use std::path::PathBuf;

pub use args::{JudgeArgs, ProfilesArgs, VerifyArgs};
pub use judging::judge_command;
pub use profile::profiles_command;
pub use verify::verify_command;

/// The judge could not do its job (as opposed to a verdict about the submission).
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("read {path}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    ParseYaml { path: PathBuf, message: String },
    /// The package is malformed or asks for something unsupported.
    #[error("problem package {path}: {field}: {message}")]
    Package {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error("language profile {path}: {field}: {message}")]
    Profile {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error(
        "no language profile for {path}: {message}\nhint: pass --lang NAME (see `dokeru profiles`)"
    )]
    UnknownLanguage { path: PathBuf, message: String },
    #[error(
        "language profile {profile:?}: toolchain binary {binary:?} not found (searched {search_path})\nhint: install it, or remove the profile"
    )]
    ToolchainMissing {
        profile: String,
        binary: String,
        search_path: String,
    },
    #[error("submission {path}: {message}")]
    Submission { path: PathBuf, message: String },
    #[error("{step} {path}")]
    Io {
        step: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("sandbox failed during {step}")]
    Sandbox {
        step: String,
        #[source]
        source: crate::sandbox::SandboxError,
    },
    #[error("load seccomp policy for {profile:?}")]
    Seccomp {
        profile: String,
        #[source]
        source: crate::sandbox::seccomp::SeccompError,
    },
    #[error("write report")]
    WriteReport(#[source] std::io::Error),
    #[error("bad argument {option}: {message}")]
    BadArgument {
        option: &'static str,
        message: String,
    },
}

impl JudgeError {
    /// The exit code of `dokeru` for this error: `2` for a bad command line, package or
    /// profile (the user can fix it), `125` when the sandbox or the host failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            JudgeError::Sandbox { .. } | JudgeError::Io { .. } | JudgeError::WriteReport(_) => 125,
            _ => 2,
        }
    }
}

/// Shorthand used by the loaders.
pub(crate) fn package_err(
    path: impl Into<PathBuf>,
    field: impl Into<String>,
    message: impl Into<String>,
) -> JudgeError {
    JudgeError::Package {
        path: path.into(),
        field: field.into(),
        message: message.into(),
    }
}

/// Read a whole file, mapping the error to [`JudgeError::ReadFile`].
pub(crate) fn read_to_string(path: &std::path::Path) -> Result<String, JudgeError> {
    std::fs::read_to_string(path).map_err(|source| JudgeError::ReadFile {
        path: path.to_path_buf(),
        source,
    })
}
