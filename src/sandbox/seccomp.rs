//! Seccomp policies as data, compiled before fork, applied last before exec.
//!
//! (interface; implementation by the seccomp work item)

use std::path::Path;

/// Errors loading or compiling a policy.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("seccomp policy {name:?} not found (looked in {dir})")]
    NotFound { name: String, dir: String },
    #[error("read seccomp policy {path}")]
    Read { path: String, #[source] source: std::io::Error },
    #[error("compile seccomp policy {path}: {message}")]
    Compile { path: String, message: String },
}

/// A compiled policy: BPF programs ready to load, in load order.
#[derive(Debug)]
pub struct Policy {
    pub name: String,
}

impl Policy {
    /// Load a shipped policy by name (from `dir`) or a policy file by path.
    pub fn load(name_or_path: &str, dir: &Path) -> Result<Policy, SeccompError> {
        let _ = (name_or_path, dir);
        todo!()
    }
}
