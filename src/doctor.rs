//! `dokeru doctor`: what this host's kernel gives dokeru, what is missing,
//! what that costs the user, and how to fix it.

use crate::cli::DoctorArgs;
use crate::sandbox::cgroup::{Feature, Hierarchy};

fn feature(name: &str, ok: bool, detail: String, hint: Option<&str>) -> Feature {
    Feature { name: name.to_owned(), ok, detail, hint: if ok { None } else { hint.map(str::to_owned) } }
}

fn kernel_version() -> (String, (u32, u32)) {
    let release = nix::sys::utsname::uname().map(|u| u.release().to_string_lossy().into_owned()).unwrap_or_default();
    let mut it = release.split(|c: char| !c.is_ascii_digit()).filter_map(|x| x.parse::<u32>().ok());
    let v = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (release, v)
}

/// Whether a syscall exists: called with bad arguments it fails, but not with ENOSYS.
fn syscall_exists(nr: libc::c_long) -> bool {
    // SAFETY: every argument is invalid (-1 fds, null pointers), so the kernel
    // rejects the call before acting on anything.
    let r = unsafe { libc::syscall(nr, -1, 0usize, 0usize, 0usize, 0usize) };
    !(r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS))
}

/// Collect every check, cgroup features included.
pub fn checks() -> Vec<Feature> {
    let mut v = Vec::new();
    let (release, ver) = kernel_version();
    v.push(feature("kernel", ver >= (5, 10), format!("Linux {release}"), Some("dokeru needs Linux 5.10 or newer")));
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    v.push(feature("root", root, if root { "running as root".into() } else { "not running as root".into() }, Some("run dokeru as root (sudo)")));
    let userns = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").ok().and_then(|s| s.trim().parse::<u64>().ok());
    v.push(feature(
        "user namespaces",
        userns.is_some_and(|n| n > 0),
        format!("max_user_namespaces = {}", userns.map_or("unknown".into(), |n| n.to_string())),
        Some("enable them: sysctl -w user.max_user_namespaces=15000 (and kernel.unprivileged_userns_clone where present)"),
    ));
    let actions = std::fs::read_to_string("/proc/sys/kernel/seccomp/actions_avail").unwrap_or_default();
    v.push(feature(
        "seccomp user notification",
        actions.split_whitespace().any(|a| a == "user_notif"),
        format!("actions: {}", actions.trim()),
        Some("a kernel with CONFIG_SECCOMP_FILTER (5.0+) is needed to name denied syscalls"),
    ));
    v.push(feature("fsopen/fsmount", syscall_exists(libc::SYS_fsopen) && syscall_exists(libc::SYS_fsmount), "detached box tmpfs".into(), Some("needs Linux 5.2+")));
    v.push(feature("openat2", syscall_exists(libc::SYS_openat2), "safe reads from the box".into(), Some("needs Linux 5.6+")));
    v.push(feature("clone3", syscall_exists(libc::SYS_clone3), "namespaces, pidfd and CLONE_INTO_CGROUP in one call".into(), Some("needs Linux 5.3+")));
    v.push(feature("close_range", syscall_exists(libc::SYS_close_range), "no fd leaks into the sandbox".into(), Some("needs Linux 5.9+ (a slower fallback is used)")));
    match Hierarchy::detect() {
        Ok(h) => {
            let into = h.version() == crate::sandbox::cgroup::Version::V2 && ver >= (5, 7);
            v.push(feature(
                "CLONE_INTO_CGROUP",
                into || h.version() == crate::sandbox::cgroup::Version::V1,
                if h.version() == crate::sandbox::cgroup::Version::V1 {
                    "cgroup v1: init is moved into its cgroup before it may run (same guarantee)".into()
                } else {
                    format!("available: {into}")
                },
                Some("needs Linux 5.7+ on cgroup v2; without it init is moved in before it runs"),
            ));
            v.extend(h.features());
        }
        Err(e) => v.push(feature("cgroups", false, e.to_string(), e.hint())),
    }
    v
}

/// Run the checks and a real sandboxed `/bin/true`; print the findings.
pub fn doctor_command(args: &DoctorArgs) -> u8 {
    let mut found = checks();
    let probe = crate::config::build_run(&crate::cli::RunArgs {
        time: Some("5".into()),
        mem: Some("64M".into()),
        net: "none".into(),
        program: vec!["/bin/true".into()],
        ..Default::default()
    })
    .map_err(|e| e.to_string())
    .and_then(|s| crate::sandbox::run(s.spec).map_err(|e| e.to_string()));
    found.push(match probe {
        Ok(o) => feature(
            "sandboxed run",
            crate::sandbox::classify(&o) == crate::sandbox::Status::Ok,
            format!("/bin/true in a full sandbox: {}", crate::sandbox::classify(&o).as_str()),
            Some("see the failed check above"),
        ),
        Err(e) => feature("sandboxed run", false, format!("/bin/true in a full sandbox failed: {e}"), Some("see the failed check above")),
    });
    if args.json {
        let j: Vec<_> = found
            .iter()
            .map(|f| serde_json::json!({"name": f.name, "ok": f.ok, "detail": f.detail, "hint": f.hint}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&j).expect("serializes"));
    } else {
        for f in &found {
            println!("{:<8} {:<28} {}", if f.ok { "ok" } else { "MISSING" }, f.name, f.detail);
            if let Some(h) = &f.hint {
                println!("{:<8} {:<28} hint: {h}", "", "");
            }
        }
    }
    if found.iter().any(|f| !f.ok && f.name == "sandboxed run") { 1 } else { 0 }
}
