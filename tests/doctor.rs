//! `dokeru doctor`: reports the kernel features and proves a full sandboxed run works.

use std::process::Command;

#[test]
fn doctor_reports_features_and_a_working_sandbox() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: doctor_reports_features_and_a_working_sandbox: needs root");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_dokeru")).args(["doctor", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("doctor --json prints JSON");
    let items = v.as_array().expect("a list of findings");
    let find = |name: &str| items.iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("no {name:?} in {v}"));
    for name in ["kernel", "root", "user namespaces", "seccomp user notification", "fsopen/fsmount", "openat2", "sandboxed run"] {
        assert_eq!(find(name)["ok"], true, "{name}: {}", find(name));
    }
    let version = if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() { "v2" } else { "v1" };
    let cg = find("cgroup version");
    assert!(cg["detail"].as_str().unwrap().starts_with(version), "{cg}");
    // Every missing feature comes with a hint the user can act on.
    for i in items.iter().filter(|i| i["ok"] == false) {
        assert!(i["hint"].as_str().is_some_and(|h| !h.is_empty()), "no hint for {i}");
    }
    // The table form names the same things.
    let out = Command::new(env!("CARGO_BIN_EXE_dokeru")).arg("doctor").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sandboxed run") && text.contains("cgroup version"), "{text}");
}
