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

impl Policy {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// # Safety
    /// Only in a forked child about to exec.
    pub unsafe fn apply_in_child(&self) -> Result<std::os::fd::RawFd, i32> {
        Err(libc::ENOSYS)
    }
}

/// One seccomp user notification.
#[derive(Debug, Clone, Copy)]
pub struct Notification {
    pub id: u64,
    pub pid: u32,
    pub arch: u32,
    pub nr: i32,
    pub args: [u64; 6],
}

pub fn recv_notification(listener: std::os::fd::BorrowedFd) -> std::io::Result<Notification> {
    let _ = listener;
    Err(std::io::Error::from_raw_os_error(libc::ENOSYS))
}

pub fn syscall_name(arch: u32, nr: i32) -> String {
    format!("{arch:#x}:{nr}")
}
