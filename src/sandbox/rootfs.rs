//! The sandbox's root filesystem: planned in the parent, executed in the child.
//!
//! The parent turns the binds into a flat list of [`MountOp`]s with every path
//! already a `CString` under the new-root mountpoint, so that the child (forked
//! from a possibly multi-threaded process) only makes syscalls: no allocation.
//!
//! Order, and why:
//! 1. `/` is made recursively private first, so nothing we mount propagates back
//!    to the host (mount_namespaces(7), "shared subtrees").
//! 2. A fresh tmpfs is mounted on the (host-empty) mountpoint: the new root.
//! 3. System directories are bound read-only with `nosuid`/`nodev`; the flags a
//!    user namespace may not clear (locked flags, mount(2) EPERM) are kept.
//! 4. The box (a detached tmpfs made by the parent with fsmount(2)) is attached
//!    at `/box`; `/proc` (this pid namespace's own), a minimal `/dev`, and fresh
//!    `/tmp` and `/dev/shm` follow.
//! 5. pivot_root(".", ".") then umount2(".", MNT_DETACH) drops the host root
//!    (pivot_root(2), "pivot_root(".", ".")"); a bare chroot would leave it reachable.
//! 6. The new root is remounted read-only: the program can write only where we said.

use super::Bind;
use std::ffi::CString;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Directories bound read-only when `system_binds` is on (those that exist).
pub const SYSTEM_DIRS: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/opt"];
/// Files and directories of `/etc` that programs need (dynamic loader, Java's
/// alternatives and config, time zone); `/etc` itself is not exposed.
pub const ETC_ENTRIES: &[&str] = &[
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/mime.types",
    "/etc/ssl",
    "/etc/ca-certificates",
];
/// Device nodes of the sandbox's `/dev` (run.md: only these).
pub const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom"];

/// uid and gid of the program inside the sandbox.
pub const SANDBOX_UID: u32 = 1000;
pub const SANDBOX_GID: u32 = 1000;

/// One step of the child's mount setup. Paths are absolute host-side paths
/// under the new-root mountpoint (before pivot_root) unless noted.
#[derive(Debug, Clone)]
pub enum MountOp {
    Mkdir { path: CString, mode: u32 },
    /// Create an empty regular file as a bind target.
    Touch { path: CString },
    Symlink { target: CString, path: CString },
    Bind { src: CString, dst: CString, remount_flags: libc::c_ulong },
    Tmpfs { dst: CString, data: CString, flags: libc::c_ulong },
    /// Attach the detached box mount (an fd inherited from the parent).
    AttachBox { fd: RawFd, dst: CString },
    Proc { dst: CString },
    WriteFile { path: CString, content: Vec<u8>, mode: u32 },
}

impl MountOp {
    /// For error messages in the parent.
    pub fn describe(&self) -> String {
        let s = |c: &CString| c.to_string_lossy().into_owned();
        match self {
            MountOp::Mkdir { path, .. } => format!("mkdir {}", s(path)),
            MountOp::Touch { path } => format!("create bind target {}", s(path)),
            MountOp::Symlink { target, path } => format!("symlink {} -> {}", s(path), s(target)),
            MountOp::Bind { src, dst, .. } => format!("bind {} -> {}", s(src), s(dst)),
            MountOp::Tmpfs { dst, .. } => format!("mount tmpfs on {}", s(dst)),
            MountOp::AttachBox { dst, .. } => format!("attach the box on {}", s(dst)),
            MountOp::Proc { dst } => format!("mount proc on {}", s(dst)),
            MountOp::WriteFile { path, .. } => format!("write {}", s(path)),
        }
    }
}

/// The whole mount plan of one run.
#[derive(Debug)]
pub struct Plan {
    /// Mountpoint of the new root (exists on the host, stays empty there).
    pub root: CString,
    /// tmpfs options of the new root.
    pub root_data: CString,
    pub ops: Vec<MountOp>,
}

/// Error building the plan (parent side).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("bind source {path}")]
    BindSource { path: PathBuf, #[source] source: std::io::Error },
    #[error("path {0:?} contains a NUL byte")]
    Nul(PathBuf),
    #[error("bind destination {0} must be an absolute path without ..")]
    BadDestination(PathBuf),
}

fn cstr(p: &Path) -> Result<CString, PlanError> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| PlanError::Nul(p.to_path_buf()))
}

#[derive(Clone)]
struct Builder {
    root: PathBuf,
    ops: Vec<MountOp>,
    made: std::collections::HashSet<PathBuf>,
}

impl Builder {
    fn under(&self, inside: &Path) -> PathBuf {
        self.root.join(inside.strip_prefix("/").unwrap_or(inside))
    }

    /// mkdir -p of `inside` (a sandbox path), recording each level once.
    fn mkdir_p(&mut self, inside: &Path, mode: u32) -> Result<(), PlanError> {
        let mut acc = PathBuf::from("/");
        for comp in inside.components().skip(1) {
            acc.push(comp);
            if self.made.insert(acc.clone()) {
                let path = cstr(&self.under(&acc))?;
                self.ops.push(MountOp::Mkdir { path, mode });
            }
        }
        Ok(())
    }

    fn bind(&mut self, src: &Path, dst: &Path, writable: bool, dev: bool) -> Result<(), PlanError> {
        if !dst.is_absolute() || dst.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return Err(PlanError::BadDestination(dst.to_path_buf()));
        }
        let meta = std::fs::metadata(src).map_err(|e| PlanError::BindSource { path: src.to_path_buf(), source: e })?;
        let locked = locked_flags(src).map_err(|e| PlanError::BindSource { path: src.to_path_buf(), source: e })?;
        if let Some(parent) = dst.parent() {
            self.mkdir_p(parent, 0o755)?;
        }
        let target = cstr(&self.under(dst))?;
        if meta.is_dir() {
            if self.made.insert(dst.to_path_buf()) {
                self.ops.push(MountOp::Mkdir { path: target.clone(), mode: 0o755 });
            }
        } else {
            self.made.insert(dst.to_path_buf());
            self.ops.push(MountOp::Touch { path: target.clone() });
        }
        let mut flags = libc::MS_NOSUID | locked;
        if !dev {
            flags |= libc::MS_NODEV;
        }
        if !writable {
            flags |= libc::MS_RDONLY;
        }
        self.ops.push(MountOp::Bind { src: cstr(src)?, dst: target, remount_flags: flags });
        Ok(())
    }

    /// A host path that is a symlink (usr-merged `/bin -> usr/bin`) becomes the
    /// same symlink inside; anything else is bound.
    fn system_entry(&mut self, host: &Path) -> Result<(), PlanError> {
        match std::fs::symlink_metadata(host) {
            Err(_) => Ok(()), // absent on this host: nothing to expose
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(host).map_err(|e| PlanError::BindSource { path: host.to_path_buf(), source: e })?;
                if let Some(parent) = host.parent() {
                    self.mkdir_p(parent, 0o755)?;
                }
                self.made.insert(host.to_path_buf());
                self.ops.push(MountOp::Symlink { target: cstr(&target)?, path: cstr(&self.under(host))? });
                Ok(())
            }
            Ok(_) => self.bind(host, host, false, false),
        }
    }
}

/// The mount flags a user namespace must keep when remounting a bind of `src`.
fn locked_flags(src: &Path) -> std::io::Result<libc::c_ulong> {
    let st = nix::sys::statvfs::statvfs(src).map_err(std::io::Error::from)?;
    let f = st.flags();
    use nix::sys::statvfs::FsFlags;
    let mut out = 0;
    if f.contains(FsFlags::ST_NOSUID) {
        out |= libc::MS_NOSUID;
    }
    if f.contains(FsFlags::ST_NODEV) {
        out |= libc::MS_NODEV;
    }
    if f.contains(FsFlags::ST_NOEXEC) {
        out |= libc::MS_NOEXEC;
    }
    if f.contains(FsFlags::ST_RDONLY) {
        out |= libc::MS_RDONLY;
    }
    Ok(out)
}

/// Inputs of [`build_plan`].
pub struct PlanInput<'a> {
    pub root: &'a Path,
    pub system_binds: bool,
    pub binds: &'a [Bind],
    pub box_fd: RawFd,
    pub disk_bytes: u64,
}

/// The part of the plan that does not change from run to run (system binds,
/// `/etc`, `/dev`), built once per process: it costs a stat of every entry.
fn fixed_part(root: &Path, system_binds: bool) -> Result<Builder, PlanError> {
    type Cache = std::sync::Mutex<std::collections::HashMap<(PathBuf, bool), Builder>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (root.to_path_buf(), system_binds);
    if let Some(b) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(b.clone());
    }
    let b = build_fixed_part(root, system_binds)?;
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, b.clone());
    Ok(b)
}

fn build_fixed_part(root: &Path, system_binds: bool) -> Result<Builder, PlanError> {
    let mut b = Builder { root: root.to_path_buf(), ops: Vec::new(), made: Default::default() };
    if system_binds {
        for d in SYSTEM_DIRS {
            b.system_entry(Path::new(d))?;
        }
        b.mkdir_p(Path::new("/etc"), 0o755)?;
        for e in ETC_ENTRIES {
            b.system_entry(Path::new(e))?;
        }
        // Java reads its configuration through /etc/java-<N>-openjdk.
        if let Ok(rd) = std::fs::read_dir("/etc") {
            let mut javas: Vec<PathBuf> =
                rd.flatten().map(|e| e.path()).filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("java"))).collect();
            javas.sort();
            for j in javas {
                b.system_entry(&j)?;
            }
        }
        let passwd = format!("root:x:0:0:root:/root:/bin/sh\nbox:x:{SANDBOX_UID}:{SANDBOX_GID}:box:/box:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        let group = format!("root:x:0:\nbox:x:{SANDBOX_GID}:\nnogroup:x:65534:\n");
        b.ops.push(MountOp::WriteFile { path: cstr(&b.under(Path::new("/etc/passwd")))?, content: passwd.into_bytes(), mode: 0o644 });
        b.ops.push(MountOp::WriteFile { path: cstr(&b.under(Path::new("/etc/group")))?, content: group.into_bytes(), mode: 0o644 });
        b.ops.push(MountOp::WriteFile {
            path: cstr(&b.under(Path::new("/etc/hosts")))?,
            content: b"127.0.0.1 localhost\n::1 localhost\n".to_vec(),
            mode: 0o644,
        });
    }
    // Minimal /dev: a tmpfs with only the harmless devices bound in (mknod is not
    // allowed in a user namespace, and binding the host's nodes is what bwrap does).
    b.mkdir_p(Path::new("/dev"), 0o755)?;
    let dev_data = CString::new("mode=0755,size=64k,nr_inodes=64").expect("no NUL");
    b.ops.push(MountOp::Tmpfs { dst: cstr(&b.under(Path::new("/dev")))?, data: dev_data, flags: libc::MS_NOSUID | libc::MS_NOEXEC });
    for d in DEVICES {
        let p = Path::new("/dev").join(d);
        b.bind(&p, &p, true, true)?;
    }
    for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
        b.ops.push(MountOp::Symlink { target: CString::new(target).expect("no NUL"), path: cstr(&b.under(&Path::new("/dev").join(name)))? });
    }
    Ok(b)
}

/// Build the mount plan of one run (parent side).
///
/// # Errors
/// A bind source that cannot be inspected, or a bad destination.
pub fn build_plan(input: &PlanInput<'_>) -> Result<Plan, PlanError> {
    let mut b = fixed_part(input.root, input.system_binds)?;
    // The box: the program's working directory, writable, size --disk.
    b.mkdir_p(Path::new("/box"), 0o755)?;
    b.ops.push(MountOp::AttachBox { fd: input.box_fd, dst: cstr(&b.under(Path::new("/box")))? });
    // Own /proc of the new pid namespace.
    b.mkdir_p(Path::new("/proc"), 0o555)?;
    b.ops.push(MountOp::Proc { dst: cstr(&b.under(Path::new("/proc")))? });
    // Fresh /tmp and /dev/shm per run, capped like the box (and charged to the cgroup).
    let tmp_data = CString::new(format!("mode=1777,size={},nr_inodes=16384", input.disk_bytes)).expect("no NUL");
    for d in ["/tmp", "/dev/shm"] {
        b.mkdir_p(Path::new(d), 0o1777)?;
        b.ops.push(MountOp::Tmpfs { dst: cstr(&b.under(Path::new(d)))?, data: tmp_data.clone(), flags: libc::MS_NOSUID | libc::MS_NODEV });
    }
    for bind in input.binds {
        b.bind(&bind.src, &bind.dst, bind.writable, false)?;
    }
    Ok(Plan {
        root: cstr(input.root)?,
        root_data: CString::new("mode=0755,size=1m,nr_inodes=4096").expect("no NUL"),
        ops: b.ops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_has_box_proc_dev_and_private_tmp() {
        let plan = build_plan(&PlanInput { root: Path::new("/r"), system_binds: true, binds: &[], box_fd: 7, disk_bytes: 1 << 20 }).unwrap();
        let d: Vec<String> = plan.ops.iter().map(|o| o.describe()).collect();
        assert!(d.contains(&"attach the box on /r/box".to_string()), "{d:?}");
        assert!(d.contains(&"mount proc on /r/proc".to_string()));
        assert!(d.contains(&"bind /dev/null -> /r/dev/null".to_string()));
        assert!(d.contains(&"mount tmpfs on /r/tmp".to_string()));
        assert!(d.contains(&"mount tmpfs on /r/dev/shm".to_string()));
        assert!(!d.iter().any(|x| x.contains("ptmx") || x.contains("tty")));
        // /usr is bound read-only, nosuid, nodev
        let usr = plan.ops.iter().find_map(|o| match o {
            MountOp::Bind { src, remount_flags, .. } if src.as_bytes() == b"/usr" => Some(*remount_flags),
            _ => None,
        });
        let f = usr.expect("/usr bound");
        assert_ne!(f & libc::MS_RDONLY, 0);
        assert_ne!(f & libc::MS_NOSUID, 0);
        assert_ne!(f & libc::MS_NODEV, 0);
        // /dev/null must keep device access
        let null = plan.ops.iter().find_map(|o| match o {
            MountOp::Bind { src, remount_flags, .. } if src.as_bytes() == b"/dev/null" => Some(*remount_flags),
            _ => None,
        });
        assert_eq!(null.unwrap() & libc::MS_NODEV, 0);
    }

    #[test]
    fn user_binds_make_parents_once_and_reject_dotdot() {
        let binds = vec![Bind { src: "/usr".into(), dst: "/opt/x/y".into(), writable: true }];
        let plan = build_plan(&PlanInput { root: Path::new("/r"), system_binds: false, binds: &binds, box_fd: 3, disk_bytes: 4096 }).unwrap();
        let d: Vec<String> = plan.ops.iter().map(|o| o.describe()).collect();
        assert_eq!(d.iter().filter(|x| *x == "mkdir /r/opt/x").count(), 1);
        let f = plan.ops.iter().find_map(|o| match o {
            MountOp::Bind { dst, remount_flags, .. } if dst.as_bytes() == b"/r/opt/x/y" => Some(*remount_flags),
            _ => None,
        });
        assert_eq!(f.unwrap() & libc::MS_RDONLY & !locked_flags(Path::new("/usr")).unwrap(), 0);
        let bad = vec![Bind { src: "/usr".into(), dst: "/a/../b".into(), writable: false }];
        assert!(build_plan(&PlanInput { root: Path::new("/r"), system_binds: false, binds: &bad, box_fd: 3, disk_bytes: 4096 }).is_err());
    }
}
