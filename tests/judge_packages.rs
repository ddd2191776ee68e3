//! `dokeru verify judges/*` and a verdict-precedence case, end to end through the real
//! sandbox. Needs root and the sandbox core; skipped with a printed reason otherwise.

use dokeru::judge::{JudgeArgs, VerifyArgs, judge_command, verify_command};
use std::path::PathBuf;

fn judges() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("judges")
}

fn can_run() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: the sandbox needs root");
        return false;
    }
    true
}

#[test]
#[ignore = "needs the sandbox core (sandbox::run) and root: cargo test --test judge_packages -- --ignored"]
fn verify_passes_on_every_shipped_package() {
    if !can_run() {
        return;
    }
    let mut problems: Vec<PathBuf> = std::fs::read_dir(judges())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("problem.yaml").is_file())
        .collect();
    problems.sort();
    assert!(problems.len() >= 6);
    let code = verify_command(&VerifyArgs {
        problems,
        jobs: Some(2),
        profiles: Vec::new(),
        verbose: true,
    })
    .unwrap();
    assert_eq!(
        code, 0,
        "some submission did not get its folder's verdict (see the table above)"
    );
}

#[test]
#[ignore = "needs the sandbox core (sandbox::run) and root: cargo test --test judge_packages -- --ignored"]
fn correct_output_then_cpu_loop_is_time_limit_exceeded() {
    if !can_run() {
        return;
    }
    let out = tempfile::NamedTempFile::new().unwrap();
    let args = JudgeArgs {
        problem: judges().join("hello"),
        submission: judges().join("hello/submissions/time_limit_exceeded/correct_then_spin.c"),
        jobs: Some(2),
        report: Some(out.path().to_path_buf()),
        quiet: true,
        ..JudgeArgs::default()
    };
    assert_eq!(judge_command(&args).unwrap(), 0);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path()).unwrap()).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["verdict"], "time_limit_exceeded");
    assert_eq!(v["tests"][0]["status"], "time_limit_exceeded");
    // The checker is not consulted: a limit hit is never rescued by a correct output.
    assert!(v["tests"][0]["checker"].is_null());
    let cpu = v["tests"][0]["cpu_time_ms"].as_f64().unwrap();
    assert!((1000.0..1100.0).contains(&cpu), "cpu {cpu}");
}
