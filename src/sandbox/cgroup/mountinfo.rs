//! Which cgroup hierarchy the host uses, decided from `/proc/self/mountinfo`.
//!
//! Pure parsing: no file is opened here except by the caller, so every layout (pure v2,
//! hybrid, legacy with co-mounted `cpu,cpuacct`) is tested from sample texts.
//! Format: proc(5), "/proc/pid/mountinfo".

use std::path::{Path, PathBuf};

/// One cgroup or cgroup2 mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    pub mount_point: PathBuf,
    /// `cgroup` (v1) or `cgroup2`.
    pub fs_type: String,
    /// v1 controllers bound to this mount, from the super options (`cpu`, `cpuacct`...).
    pub controllers: Vec<String>,
}

/// v1 controllers dokeru uses and where each is mounted (several may share a mount,
/// e.g. `cpu,cpuacct`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V1Mounts {
    pub memory: Option<PathBuf>,
    pub cpu: Option<PathBuf>,
    pub cpuacct: Option<PathBuf>,
    pub cpuset: Option<PathBuf>,
    pub pids: Option<PathBuf>,
}

/// The result of detection, before any cgroup file is touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// cgroup2 mounted at this path.
    V2 { root: PathBuf },
    V1(V1Mounts),
}

/// Known v1 controller names. Super options also carry flags (`rw`, `noprefix`,
/// `clone_children`, `xattr`, `release_agent=...`) and `name=systemd` (a named
/// hierarchy without a controller), which are not controllers.
const V1_CONTROLLERS: &[&str] = &[
    "cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer", "blkio", "net_cls", "net_prio",
    "perf_event", "hugetlb", "rdma", "misc",
];

/// Where cgroup2 lives on a unified host (and where systemd puts it).
pub const UNIFIED_MOUNT_POINT: &str = "/sys/fs/cgroup";

/// Undo the octal escapes of mountinfo paths (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let value = bytes[i + 1..i + 4].iter().fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
            // The kernel only escapes single bytes; \400 and above would not be one.
            out.push(u8::try_from(value).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every cgroup/cgroup2 mount in a mountinfo text, in order. Malformed lines are skipped:
/// the kernel writes this file, and one odd line must not hide the others.
pub fn cgroup_mounts(mountinfo: &str) -> Vec<CgroupMount> {
    let mut mounts = Vec::new();
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // id parent maj:min root mount_point options [optional...] - fs_type source super_options
        let Some(sep) = fields.iter().skip(6).position(|f| *f == "-").map(|p| p + 6) else {
            continue;
        };
        let (Some(fs_type), Some(super_options)) = (fields.get(sep + 1), fields.get(sep + 3)) else {
            continue;
        };
        if *fs_type != "cgroup" && *fs_type != "cgroup2" {
            continue;
        }
        let controllers = if *fs_type == "cgroup" {
            super_options.split(',').filter(|o| V1_CONTROLLERS.contains(o)).map(str::to_string).collect()
        } else {
            Vec::new()
        };
        mounts.push(CgroupMount { mount_point: PathBuf::from(unescape(fields[4])), fs_type: fs_type.to_string(), controllers });
    }
    mounts
}

/// Decide the hierarchy.
///
/// 1. cgroup2 mounted at `/sys/fs/cgroup` is a unified host: v2.
/// 2. Otherwise, if the v1 memory controller is mounted: v1. This is the hybrid case
///    (systemd's default before 2021): controllers live on v1 mounts and the cgroup2
///    mount at `/sys/fs/cgroup/unified` holds none, so it must not be picked.
/// 3. Otherwise any other cgroup2 mount whose root has controllers (`has_controllers`
///    reads its `cgroup.controllers`): v2 mounted somewhere unusual.
///
/// Paths in the result are `sysroot` + mount point, so that tests can point the whole
/// thing at a fake tree.
pub fn decide(mounts: &[CgroupMount], sysroot: &Path, has_controllers: &dyn Fn(&Path) -> bool) -> Option<Detected> {
    let at_sysroot = |p: &Path| sysroot.join(p.strip_prefix("/").unwrap_or(p));
    if let Some(m) = mounts.iter().find(|m| m.fs_type == "cgroup2" && m.mount_point == Path::new(UNIFIED_MOUNT_POINT)) {
        return Some(Detected::V2 { root: at_sysroot(&m.mount_point) });
    }
    // The first mount of a controller wins; later ones are bind mounts of the same hierarchy.
    let find = |controller: &str| {
        mounts
            .iter()
            .find(|m| m.fs_type == "cgroup" && m.controllers.iter().any(|c| c == controller))
            .map(|m| at_sysroot(&m.mount_point))
    };
    if let Some(memory) = find("memory") {
        return Some(Detected::V1(V1Mounts {
            memory: Some(memory),
            cpu: find("cpu"),
            cpuacct: find("cpuacct"),
            cpuset: find("cpuset"),
            pids: find("pids"),
        }));
    }
    mounts
        .iter()
        .filter(|m| m.fs_type == "cgroup2")
        .map(|m| at_sysroot(&m.mount_point))
        .find(|root| has_controllers(root))
        .map(|root| Detected::V2 { root })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This development host: hybrid, every v1 controller on its own mount, and an
    /// empty cgroup2 at /sys/fs/cgroup/unified.
    const HYBRID_SEPARATE: &str = include_str!("testdata/mountinfo-hybrid-v1.txt");

    /// A systemd hybrid host with co-mounted `cpu,cpuacct` and `net_cls,net_prio`.
    const HYBRID_COMOUNTED: &str = "\
25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
33 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
35 33 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
38 33 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
39 33 0:34 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,net_cls,net_prio
40 33 0:35 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory
41 33 0:36 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,cpuset,clone_children
42 33 0:37 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,pids
";

    /// A current distribution: unified cgroup2 at /sys/fs/cgroup.
    const PURE_V2: &str = "\
24 29 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
27 24 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";

    fn never(_: &Path) -> bool {
        panic!("v2 fallback must not be consulted here")
    }

    #[test]
    fn this_host_hybrid_picks_v1_not_the_empty_unified_mount() {
        let detected = decide(&cgroup_mounts(HYBRID_SEPARATE), Path::new("/"), &never).unwrap();
        assert_eq!(
            detected,
            Detected::V1(V1Mounts {
                memory: Some("/sys/fs/cgroup/memory".into()),
                cpu: Some("/sys/fs/cgroup/cpu".into()),
                cpuacct: Some("/sys/fs/cgroup/cpuacct".into()),
                cpuset: Some("/sys/fs/cgroup/cpuset".into()),
                pids: Some("/sys/fs/cgroup/pids".into()),
            })
        );
    }

    #[test]
    fn comounted_cpu_cpuacct_share_one_mount() {
        let Some(Detected::V1(m)) = decide(&cgroup_mounts(HYBRID_COMOUNTED), Path::new("/"), &never) else {
            panic!("expected v1");
        };
        assert_eq!(m.cpu, Some(PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")));
        assert_eq!(m.cpuacct, m.cpu);
        assert_eq!(m.memory, Some(PathBuf::from("/sys/fs/cgroup/memory")));
    }

    #[test]
    fn named_hierarchies_and_flags_are_not_controllers() {
        let mounts = cgroup_mounts(HYBRID_COMOUNTED);
        let systemd = mounts.iter().find(|m| m.mount_point.ends_with("systemd")).unwrap();
        assert!(systemd.controllers.is_empty());
        let cpuset = mounts.iter().find(|m| m.mount_point.ends_with("cpuset")).unwrap();
        assert_eq!(cpuset.controllers, vec!["cpuset".to_string()]);
    }

    #[test]
    fn unified_host_picks_v2_under_sysroot() {
        let detected = decide(&cgroup_mounts(PURE_V2), Path::new("/tmp/fake"), &never).unwrap();
        assert_eq!(detected, Detected::V2 { root: "/tmp/fake/sys/fs/cgroup".into() });
    }

    #[test]
    fn cgroup2_elsewhere_is_used_only_when_it_has_controllers() {
        let text = "50 1 0:40 / /mnt/cg2 rw,relatime - cgroup2 cgroup2 rw\n";
        let mounts = cgroup_mounts(text);
        assert_eq!(decide(&mounts, Path::new("/"), &|_| false), None);
        assert_eq!(decide(&mounts, Path::new("/"), &|_| true), Some(Detected::V2 { root: "/mnt/cg2".into() }));
    }

    #[test]
    fn no_cgroup_mounts_detects_nothing() {
        let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n";
        assert_eq!(decide(&cgroup_mounts(text), Path::new("/"), &|_| true), None);
    }

    #[test]
    fn optional_fields_and_escaped_mount_points_are_parsed() {
        let text = "60 1 0:50 / /mnt/my\\040cg rw shared:3 master:1 - cgroup cgroup rw,memory\n";
        let mounts = cgroup_mounts(text);
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].mount_point, PathBuf::from("/mnt/my cg"));
        assert_eq!(mounts[0].controllers, vec!["memory".to_string()]);
    }
}
