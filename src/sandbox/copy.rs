//! The box, and host-side file handling that a hostile program cannot fool.
//!
//! The box is a tmpfs created with fsopen(2)/fsmount(2) and never attached to
//! the host's tree: the parent holds it by fd, copies files in through that fd
//! before the run, and reads files back through it afterwards with openat2(2)
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV`
//! and `O_NOFOLLOW | O_NONBLOCK`, then checks the file is regular with one link.
//! A symlink, FIFO, device or hard link planted by the program is refused, never
//! followed (the Judge0 CVE-2024-28185 / CVE-2024-28189 class of bug). When the
//! fd is closed the tmpfs vanishes: a killed dokeru leaves no mount behind.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// Errors of host-side file handling.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("create the box tmpfs ({op})")]
    CreateBox { op: &'static str, #[source] source: std::io::Error },
    #[error("copy {src} into the box as {dst}")]
    CopyIn { src: PathBuf, dst: PathBuf, #[source] source: std::io::Error },
    #[error("read {src} from the box")]
    OpenOut { src: PathBuf, #[source] source: std::io::Error },
    #[error("refuse to copy {src} out of the box: {why}")]
    Refused { src: PathBuf, why: String },
    #[error("write {dst}")]
    WriteOut { dst: PathBuf, #[source] source: std::io::Error },
    #[error("path {0} must be relative, without ..")]
    BadPath(PathBuf),
}

fn last_err() -> std::io::Error {
    std::io::Error::last_os_error()
}

fn c(s: &str) -> CString {
    CString::new(s).expect("no NUL in constant")
}

/// A detached tmpfs: the box of one run.
#[derive(Debug)]
pub struct BoxFs {
    fd: OwnedFd,
}

impl BoxFs {
    /// Create a tmpfs of `size_bytes`, root owned by `uid:gid` with mode 0755.
    ///
    /// # Errors
    /// The kernel refused fsopen/fsconfig/fsmount (needs Linux ≥ 5.2 and root).
    pub fn create(size_bytes: u64, uid: u32, gid: u32) -> Result<BoxFs, CopyError> {
        let err = |op| move |e| CopyError::CreateBox { op, source: e };
        // SAFETY: plain syscalls on C strings that live across each call.
        unsafe {
            let fsfd = libc::syscall(libc::SYS_fsopen, c"tmpfs".as_ptr(), 1u32 /* FSOPEN_CLOEXEC */);
            if fsfd < 0 {
                return Err(err("fsopen")(last_err()));
            }
            let fsfd = OwnedFd::from_raw_fd(fsfd as RawFd);
            let opts = [
                ("size", size_bytes.to_string()),
                ("nr_inodes", "16384".to_string()),
                ("mode", "0755".to_string()),
                ("uid", uid.to_string()),
                ("gid", gid.to_string()),
            ];
            for (k, v) in opts {
                let (k, v) = (c(k), c(&v));
                let r = libc::syscall(libc::SYS_fsconfig, fsfd.as_raw_fd(), 1u32 /* FSCONFIG_SET_STRING */, k.as_ptr(), v.as_ptr(), 0);
                if r < 0 {
                    return Err(err("fsconfig")(last_err()));
                }
            }
            let r = libc::syscall(libc::SYS_fsconfig, fsfd.as_raw_fd(), 6u32 /* FSCONFIG_CMD_CREATE */, 0usize, 0usize, 0);
            if r < 0 {
                return Err(err("fsconfig create")(last_err()));
            }
            // MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV: nothing in the box can gain privileges.
            let mfd = libc::syscall(libc::SYS_fsmount, fsfd.as_raw_fd(), 1u32 /* FSMOUNT_CLOEXEC */, 0x2u32 | 0x4u32);
            if mfd < 0 {
                return Err(err("fsmount")(last_err()));
            }
            Ok(BoxFs { fd: OwnedFd::from_raw_fd(mfd as RawFd) })
        }
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Copy a host file or directory tree into the box at `dst` (relative),
    /// keeping modes, owned by `uid:gid`. Symlinks in the source are copied as
    /// symlinks (they can only point inside the sandbox's view).
    ///
    /// # Errors
    /// The source cannot be read or the box is full.
    pub fn copy_in(&self, src: &Path, dst: &Path, uid: u32, gid: u32) -> Result<(), CopyError> {
        check_relative(dst)?;
        let wrap = |e| CopyError::CopyIn { src: src.to_path_buf(), dst: dst.to_path_buf(), source: e };
        // Create missing parent directories of dst.
        let mut acc = PathBuf::new();
        if let Some(parent) = dst.parent() {
            for comp in parent.components() {
                acc.push(comp);
                mkdirat(self.raw_fd(), &acc, 0o755, uid, gid, true).map_err(wrap)?;
            }
        }
        self.copy_tree(src, dst, uid, gid).map_err(wrap)
    }

    fn copy_tree(&self, src: &Path, dst: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
        let meta = std::fs::symlink_metadata(src)?;
        let ft = meta.file_type();
        let mode = meta.permissions().mode() & 0o7777 & !0o6000; // never setuid/setgid
        if ft.is_dir() {
            mkdirat(self.raw_fd(), dst, mode | 0o700, uid, gid, false)?;
            let mut entries: Vec<_> = std::fs::read_dir(src)?.collect::<Result<_, _>>()?;
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                self.copy_tree(&e.path(), &dst.join(e.file_name()), uid, gid)?;
            }
            Ok(())
        } else if ft.is_file() {
            let mut input = File::open(src)?;
            let out = create_at(self.raw_fd(), dst, mode, uid, gid)?;
            let mut out = File::from(out);
            std::io::copy(&mut input, &mut out)?;
            Ok(())
        } else if ft.is_symlink() {
            let target = std::fs::read_link(src)?;
            let t = CString::new(target.as_os_str().as_bytes()).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
            let d = path_c(dst)?;
            // SAFETY: C strings alive for the call.
            if unsafe { libc::symlinkat(t.as_ptr(), self.raw_fd(), d.as_ptr()) } < 0 {
                return Err(last_err());
            }
            // SAFETY: as above; AT_SYMLINK_NOFOLLOW changes the link itself.
            unsafe { libc::fchownat(self.raw_fd(), d.as_ptr(), uid, gid, libc::AT_SYMLINK_NOFOLLOW) };
            Ok(())
        } else {
            Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file, directory or symlink"))
        }
    }

    /// Write `bytes` as a new file in the box.
    ///
    /// # Errors
    /// The box is full or the name exists.
    pub fn write_file(&self, dst: &Path, bytes: &[u8], mode: u32, uid: u32, gid: u32) -> Result<(), CopyError> {
        check_relative(dst)?;
        let wrap = |e| CopyError::CopyIn { src: PathBuf::from("(bytes)"), dst: dst.to_path_buf(), source: e };
        let fd = create_at(self.raw_fd(), dst, mode, uid, gid).map_err(wrap)?;
        File::from(fd).write_all(bytes).map_err(wrap)
    }

    /// Read a regular file of the box, at most `max_bytes`, refusing links,
    /// FIFOs, devices, sockets and hard links.
    ///
    /// # Errors
    /// The file is missing, is not a plain regular file, or is too big.
    pub fn read_file(&self, src: &Path, max_bytes: u64) -> Result<Vec<u8>, CopyError> {
        check_relative(src)?;
        let f = open_beneath(self.raw_fd(), src).map_err(|e| CopyError::OpenOut { src: src.to_path_buf(), source: e })?;
        let meta = f.metadata().map_err(|e| CopyError::OpenOut { src: src.to_path_buf(), source: e })?;
        if !meta.file_type().is_file() {
            return Err(CopyError::Refused { src: src.to_path_buf(), why: "not a regular file".into() });
        }
        if meta.nlink() != 1 {
            return Err(CopyError::Refused { src: src.to_path_buf(), why: format!("{} hard links", meta.nlink()) });
        }
        if meta.len() > max_bytes {
            return Err(CopyError::Refused { src: src.to_path_buf(), why: format!("{} bytes, more than {max_bytes}", meta.len()) });
        }
        // Allocated size, not apparent size, is what a sparse file hides; the
        // length bound above already caps what we read.
        let mut buf = Vec::with_capacity(meta.len() as usize);
        f.take(max_bytes).read_to_end(&mut buf).map_err(|e| CopyError::OpenOut { src: src.to_path_buf(), source: e })?;
        Ok(buf)
    }

    /// Copy a regular file out of the box into a new host file `dst` (created
    /// with O_EXCL|O_NOFOLLOW: an existing file or link there is an error).
    ///
    /// # Errors
    /// As [`BoxFs::read_file`], or the host file cannot be created.
    pub fn copy_out(&self, src: &Path, dst: &Path, max_bytes: u64, mode: u32) -> Result<(), CopyError> {
        let bytes = self.read_file(src, max_bytes)?;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(mode)
            .open(dst)
            .map_err(|e| CopyError::WriteOut { dst: dst.to_path_buf(), source: e })?;
        out.write_all(&bytes).map_err(|e| CopyError::WriteOut { dst: dst.to_path_buf(), source: e })
    }
}

use std::os::unix::fs::OpenOptionsExt;

fn check_relative(p: &Path) -> Result<(), CopyError> {
    let ok = !p.as_os_str().is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if ok { Ok(()) } else { Err(CopyError::BadPath(p.to_path_buf())) }
}

fn path_c(p: &Path) -> std::io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
}

fn mkdirat(dirfd: RawFd, p: &Path, mode: u32, uid: u32, gid: u32, exist_ok: bool) -> std::io::Result<()> {
    let cp = path_c(p)?;
    // SAFETY: C string alive for the call.
    if unsafe { libc::mkdirat(dirfd, cp.as_ptr(), mode) } < 0 {
        let e = last_err();
        if exist_ok && e.raw_os_error() == Some(libc::EEXIST) {
            return Ok(());
        }
        return Err(e);
    }
    // SAFETY: as above; the directory was just created by us (nothing ran yet).
    if unsafe { libc::fchownat(dirfd, cp.as_ptr(), uid, gid, libc::AT_SYMLINK_NOFOLLOW) } < 0 {
        return Err(last_err());
    }
    // SAFETY: as above (mkdir applies the umask; set the mode we meant).
    unsafe { libc::fchmodat(dirfd, cp.as_ptr(), mode, 0) };
    Ok(())
}

fn create_at(dirfd: RawFd, p: &Path, mode: u32, uid: u32, gid: u32) -> std::io::Result<OwnedFd> {
    let cp = path_c(p)?;
    // SAFETY: C string alive for the call; O_EXCL|O_NOFOLLOW never follows a link.
    let fd = unsafe {
        libc::openat(dirfd, cp.as_ptr(), libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC, mode)
    };
    if fd < 0 {
        return Err(last_err());
    }
    // SAFETY: fd was just returned by openat and is ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: fchown/fchmod on our own fd.
    unsafe {
        if libc::fchown(fd.as_raw_fd(), uid, gid) < 0 {
            return Err(last_err());
        }
        libc::fchmod(fd.as_raw_fd(), mode);
    }
    Ok(fd)
}

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}
const RESOLVE_NO_XDEV: u64 = 0x01;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;

/// Open `p` below `dirfd` for reading without following any link, without
/// blocking on a FIFO and without leaving the directory's filesystem.
pub fn open_beneath(dirfd: RawFd, p: &Path) -> std::io::Result<File> {
    let cp = path_c(p)?;
    let how = OpenHow {
        flags: (libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY) as u64,
        mode: 0,
        resolve: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    // SAFETY: how and cp are alive for the call; openat2 only reads them.
    let fd = unsafe { libc::syscall(libc::SYS_openat2, dirfd, cp.as_ptr(), &how as *const OpenHow, std::mem::size_of::<OpenHow>()) };
    if fd < 0 {
        return Err(last_err());
    }
    // SAFETY: a fresh fd returned by the kernel, owned by us now.
    Ok(unsafe { File::from_raw_fd(fd as RawFd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_only() {
        assert!(check_relative(Path::new("a/b")).is_ok());
        assert!(check_relative(Path::new("/a")).is_err());
        assert!(check_relative(Path::new("a/../b")).is_err());
        assert!(check_relative(Path::new("")).is_err());
    }

    #[test]
    fn open_beneath_refuses_links_fifos_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ok"), b"fine").unwrap();
        std::fs::write(d.join("secret-outside"), b"secret").unwrap();
        std::fs::create_dir(d.join("box")).unwrap();
        std::fs::write(d.join("box/out"), b"fine").unwrap();
        std::os::unix::fs::symlink(d.join("secret-outside"), d.join("box/link")).unwrap();
        std::os::unix::fs::symlink("/etc", d.join("box/dirlink")).unwrap();
        nix::unistd::mkfifo(&d.join("box/fifo"), nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        let boxdir = File::open(d.join("box")).unwrap();
        let fd = boxdir.as_raw_fd();
        let mut s = String::new();
        open_beneath(fd, Path::new("out")).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "fine");
        assert!(open_beneath(fd, Path::new("link")).is_err());
        assert!(open_beneath(fd, Path::new("dirlink/passwd")).is_err());
        assert!(open_beneath(fd, Path::new("../secret-outside")).is_err());
        // A FIFO opens (non-blocking) but is not a regular file: callers check.
        let f = open_beneath(fd, Path::new("fifo")).unwrap();
        assert!(!f.metadata().unwrap().is_file());
    }
}
