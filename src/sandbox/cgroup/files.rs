//! File-level helpers shared by v1 and v2.
//!
//! Every cgroup file access goes through here, so that every error names the path (and
//! the value, for writes) and so that both versions kill, wait and remove the same way.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::CgroupError;

/// How long `destroy` waits for the cgroup to empty after SIGKILL. Generous because an
/// emulated VM (our cgroup-v2 test rig) is ~20x slower; a real host empties in < 10 ms.
pub(super) const EMPTY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `rmdir` is retried on EBUSY: the last task may still be in `do_exit`
/// (a "dying task") after it has vanished from `cgroup.procs`.
pub(super) const RMDIR_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// Poll interval while waiting for a cgroup to empty.
pub(super) const POLL_INTERVAL: Duration = Duration::from_millis(1);

/// Write `value` to an existing cgroup file (one write(2), as cgroupfs expects).
///
/// Never creates the file: on cgroupfs a missing file means a missing feature, and
/// creating a regular file would hide that (and would litter a fake test tree).
pub(super) fn write_value(path: &Path, value: &str) -> Result<(), CgroupError> {
    let err = |source| CgroupError::WriteFile { path: path.to_path_buf(), value: value.to_string(), source };
    let mut file = OpenOptions::new().write(true).truncate(true).open(path).map_err(err)?;
    file.write_all(value.as_bytes()).map_err(err)
}

pub(super) fn read_string(path: &Path) -> Result<String, CgroupError> {
    std::fs::read_to_string(path).map_err(|source| CgroupError::ReadFile { path: path.to_path_buf(), source })
}

/// Read a file that holds one unsigned number (`max` is not accepted here).
pub(super) fn read_u64(path: &Path) -> Result<u64, CgroupError> {
    let content = read_string(path)?;
    parse_u64(content.as_bytes()).ok_or_else(|| CgroupError::Parse { path: path.to_path_buf(), content })
}

/// Parse one unsigned decimal number surrounded by optional whitespace, without allocating.
pub(super) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in trimmed {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

/// The value of `key` in a flat keyed file (`key value` per line: cpu.stat,
/// memory.events, memory.oom_control, cpuacct.stat), without allocating.
pub(super) fn keyed_value(content: &[u8], key: &str) -> Option<u64> {
    content.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(key.as_bytes())?;
        // The key must be followed by a separator: `max` must not match `max_usage`.
        if !rest.first().is_some_and(|b| b.is_ascii_whitespace()) {
            return None;
        }
        parse_u64(rest)
    })
}

/// Like [`keyed_value`], but a missing key or a bad number is an error naming the file.
pub(super) fn require_keyed(path: &Path, content: &[u8], key: &str) -> Result<u64, CgroupError> {
    keyed_value(content, key).ok_or_else(|| CgroupError::Parse {
        path: path.to_path_buf(),
        content: String::from_utf8_lossy(content).into_owned(),
    })
}

/// A counter file kept open and re-read with `pread(fd, buf, 0)`.
///
/// `cpu_total` runs every few milliseconds while a CPU limit is enforced; keeping the fd
/// avoids a path walk and an allocation per sample. cgroupfs regenerates the content on
/// every read at offset 0 (seq_file), so the value is always fresh.
#[derive(Debug)]
pub(super) struct CounterFile {
    file: File,
    path: PathBuf,
}

impl CounterFile {
    pub(super) fn open(path: PathBuf) -> Result<CounterFile, CgroupError> {
        match File::open(&path) {
            Ok(file) => Ok(CounterFile { file, path }),
            Err(source) => Err(CgroupError::ReadFile { path, source }),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Read the whole (small) file into `buf` and return the filled part.
    pub(super) fn read<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], CgroupError> {
        let n = self
            .file
            .read_at(buf, 0)
            .map_err(|source| CgroupError::ReadFile { path: self.path.clone(), source })?;
        Ok(&buf[..n])
    }
}

/// `mkdir`, where an existing directory is fine (concurrent dokeru processes race to
/// create the shared parent). Returns whether this call created it.
pub(super) fn mkdir_idempotent(path: &Path) -> Result<bool, CgroupError> {
    match std::fs::create_dir(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && path.is_dir() => Ok(false),
        Err(source) => Err(CgroupError::Create { path: path.to_path_buf(), source }),
    }
}

/// `mkdir` that fails when the directory exists: a run cgroup must be fresh, or it could
/// carry a stale run's processes and counters.
pub(super) fn mkdir_fresh(path: &Path) -> Result<(), CgroupError> {
    std::fs::create_dir(path).map_err(|source| CgroupError::Create { path: path.to_path_buf(), source })
}

/// Pids listed in a `cgroup.procs` file. A missing file (cgroup already removed) is empty.
pub(super) fn read_pids(procs: &Path) -> Result<Vec<i32>, CgroupError> {
    let content = match std::fs::read_to_string(procs) {
        Ok(c) => c,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CgroupError::ReadFile { path: procs.to_path_buf(), source }),
    };
    content
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim()
                .parse::<i32>()
                .map_err(|_| CgroupError::Parse { path: procs.to_path_buf(), content: content.clone() })
        })
        .collect()
}

/// SIGKILL every process listed in `procs` until the list is empty (the fallback where
/// there is no `cgroup.kill`: v1, and v2 before Linux 5.14).
///
/// A process may fork between our read and our kill, so we repeat until the list is
/// empty (`pids.max` bounds how long that can go on). A pid read from the file may also
/// exit and be reused by an unrelated host process before we signal it; to never kill
/// a stranger, each pid is pinned with `pidfd_open(2)` first, and signalled only if it is
/// still listed in `procs` after pinning (while it lives, its pid cannot be reused, so
/// the listing then refers to the pinned process).
pub(super) fn kill_loop(procs: &Path, timeout: Duration) -> Result<(), CgroupError> {
    let deadline = Instant::now() + timeout;
    loop {
        let pids = read_pids(procs)?;
        if pids.is_empty() {
            return Ok(());
        }
        let pinned: Vec<(i32, OwnedFd)> = pids.iter().filter_map(|&pid| pidfd_open(pid).map(|fd| (pid, fd))).collect();
        let still_listed = read_pids(procs)?;
        for (pid, fd) in &pinned {
            if still_listed.contains(pid) {
                pidfd_kill(fd);
            }
        }
        if Instant::now() >= deadline {
            return Err(CgroupError::StillPopulated { path: procs.to_path_buf(), pids: still_listed });
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Poll `procs` until it is empty. The processes have been sent SIGKILL already; this
/// waits for the kernel to finish tearing them down.
pub(super) fn wait_empty(procs: &Path, timeout: Duration) -> Result<(), CgroupError> {
    let deadline = Instant::now() + timeout;
    loop {
        let pids = read_pids(procs)?;
        if pids.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(CgroupError::StillPopulated { path: procs.to_path_buf(), pids });
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// `rmdir` a cgroup, retrying EBUSY for a short while (dying tasks). A cgroup that is
/// already gone is fine: destroy must be idempotent (sweep and a normal exit may race).
pub(super) fn rmdir_retry(path: &Path, timeout: Duration) -> Result<(), CgroupError> {
    let deadline = Instant::now() + timeout;
    loop {
        match std::fs::remove_dir(path) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                std::thread::sleep(POLL_INTERVAL);
            }
            Err(source) => return Err(CgroupError::Remove { path: path.to_path_buf(), source }),
        }
    }
}

/// `rmdir` a cgroup that is expected to be empty already (the run's init reaped
/// everything and exited): true if it is gone. The kernel refuses (EBUSY) a
/// cgroup with tasks or sub-cgroups, so a false means: kill, wait, remove.
pub(super) fn rmdir_if_empty(path: &Path, fake_files: &[String]) -> bool {
    if !fake_files.is_empty() {
        return false; // a fake tree holds plain files: the full path removes them
    }
    match std::fs::remove_dir(path) {
        Ok(()) => true,
        Err(e) => e.kind() == ErrorKind::NotFound,
    }
}

/// Remove a directory of a FAKE cgroup tree: there the "interface files" are plain files
/// that must go first. On real cgroupfs, `rmdir` alone is right (and unlinking is refused).
pub(super) fn remove_fake_files(dir: &Path, fake_files: &[String]) {
    for name in fake_files {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

/// Create the plain files a fake tree needs to mimic cgroupfs populating a new directory.
pub(super) fn create_fake_files(dir: &Path, fake_files: &[String]) -> Result<(), CgroupError> {
    for name in fake_files {
        let path = dir.join(name);
        if !path.exists() {
            std::fs::write(&path, "").map_err(|source| CgroupError::Create { path, source })?;
        }
    }
    Ok(())
}

/// Names of the subdirectories of `dir` (an absent `dir` has none).
pub(super) fn child_dirs(dir: &Path) -> Result<Vec<String>, CgroupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CgroupError::ReadFile { path: dir.to_path_buf(), source }),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| CgroupError::ReadFile { path: dir.to_path_buf(), source })?;
        // file_type() does not follow symlinks; cgroupfs has none, a fake tree might.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if let (true, Some(name)) = (is_dir, entry.file_name().to_str()) {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and a flags word and returns a new fd or -1; it
    // touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        // ESRCH: already gone; nothing to kill.
        return None;
    }
    // SAFETY: the kernel just returned this fd to us; nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn pidfd_kill(fd: &OwnedFd) {
    // SAFETY: fd is a live pidfd; a null siginfo is allowed (kill(2)-like semantics).
    // ESRCH (exited meanwhile) is the outcome we want anyway, so the result is ignored.
    unsafe {
        libc::syscall(libc::SYS_pidfd_send_signal, fd.as_raw_fd(), libc::SIGKILL, std::ptr::null::<libc::siginfo_t>(), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_u64_accepts_trailing_newline_and_rejects_garbage() {
        assert_eq!(parse_u64(b"67108864\n"), Some(67108864));
        assert_eq!(parse_u64(b" 0 "), Some(0));
        assert_eq!(parse_u64(b"max\n"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"99999999999999999999999"), None);
    }

    #[test]
    fn keyed_value_matches_whole_keys_only() {
        let events = b"low 0\nhigh 3\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(keyed_value(events, "max"), Some(7));
        assert_eq!(keyed_value(events, "oom"), Some(1));
        assert_eq!(keyed_value(events, "oom_kill"), Some(1));
        assert_eq!(keyed_value(events, "oom_group"), None);
        assert_eq!(keyed_value(events, "absent"), None);
    }

    #[test]
    fn read_pids_of_missing_file_is_empty_and_garbage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_pids(&dir.path().join("cgroup.procs")).unwrap().is_empty());
        std::fs::write(dir.path().join("cgroup.procs"), "12\n34\n").unwrap();
        assert_eq!(read_pids(&dir.path().join("cgroup.procs")).unwrap(), vec![12, 34]);
        std::fs::write(dir.path().join("cgroup.procs"), "12\nx\n").unwrap();
        assert!(matches!(read_pids(&dir.path().join("cgroup.procs")), Err(CgroupError::Parse { .. })));
    }

    #[test]
    fn write_value_never_creates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.max");
        let err = write_value(&path, "1").unwrap_err();
        assert!(matches!(&err, CgroupError::WriteFile { value, .. } if value == "1"), "{err:?}");
        assert!(!path.exists());
    }

    #[test]
    fn counter_file_rereads_from_offset_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cpuacct.usage");
        std::fs::write(&path, "100\n").unwrap();
        let counter = CounterFile::open(path.clone()).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(parse_u64(counter.read(&mut buf).unwrap()), Some(100));
        std::fs::write(&path, "250\n").unwrap();
        assert_eq!(parse_u64(counter.read(&mut buf).unwrap()), Some(250));
    }
}
