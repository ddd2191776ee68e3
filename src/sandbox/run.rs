//! prepare -> spawn -> wait.

use super::{Outcome, SandboxSpec};

/// The sandbox could not do its job; `step` names what failed.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {message}")]
pub struct SandboxError {
    pub step: String,
    pub message: String,
}

/// Run one program in a fresh sandbox.
///
/// # Errors
/// Any failed isolation or measurement step: nothing ran, or the run was stopped.
pub fn run(spec: SandboxSpec) -> Result<Outcome, SandboxError> {
    let _ = spec;
    todo!()
}
