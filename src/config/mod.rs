//! Validated, typed settings built from the command line.
//!
//! Every check of user input happens here, once: what reaches the sandbox is
//! already known to be well formed.

pub mod run;
pub mod units;

pub use run::{build_run, RunSettings};
pub use units::{parse_duration, parse_size, SizeError};

/// A configuration problem: bad flag value, malformed file, missing toolchain.
/// Maps to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid value {value:?} for {option}: {reason}")]
    InvalidValue { option: String, value: String, reason: String },
    #[error("{option}: {path}: {reason}")]
    BadPath { option: String, path: String, reason: String },
    #[error(transparent)]
    Seccomp(#[from] crate::sandbox::seccomp::SeccompError),
}

impl ConfigError {
    pub fn invalid(option: &str, value: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::InvalidValue { option: option.to_owned(), value: value.to_owned(), reason: reason.into() }
    }
}
