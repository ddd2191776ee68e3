//! What the judge adds per test on top of `sandbox::run`: a generated package of many
//! tiny tests, judged with `--jobs 1`, against a loop of `sandbox::run` on exactly the
//! specs the judge builds (`Context::test_spec`). Prints tests/s and the overhead; fails
//! when the harness costs more than a generous bound per test (it should be a fraction
//! of a millisecond: an in-process compare, no host process, the package read once).
//!
//! Needs root; not part of the cgroup-v2 VM subset (timing there means nothing).

use dokeru::judge::exec::{self, CompileOverrides, Sandboxes};
use dokeru::judge::judging::{Context, Settings};
use dokeru::judge::problem::Problem;
use dokeru::judge::profile::ProfileSet;
use std::io::Write;
use std::time::Instant;

const TESTS: usize = 300;

fn skip(reason: &str) {
    let name = std::thread::current().name().unwrap_or("?").to_string();
    let line = format!("skipped: {name}: {reason}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    if let Some(path) = std::env::var_os("DOKERU_TEST_SKIP_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

// A timing comparison: a benchmark, not part of the default test run (the machines are
// shared and noisy). `cargo test --release --test judge_speed -- --ignored`.
#[test]
#[ignore = "benchmark: run with --ignored on a quiet machine"]
fn judge_adds_little_to_sandbox_run_per_test() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return skip("needs root (the sandbox)");
    }
    if std::env::var_os("CG2VM").is_some() {
        return skip("timing in the emulated VM means nothing");
    }
    let profiles = ProfileSet::load(&[]).unwrap();
    let c = profiles.by_name("c").unwrap();
    if let Err(e) = c.check_toolchain() {
        return skip(&format!(
            "c: {}",
            e.to_string().lines().next().unwrap_or("")
        ));
    }
    let pkg = tempfile::tempdir().unwrap();
    let p = pkg.path();
    std::fs::write(
        p.join("problem.yaml"),
        "name: Double\nlimits:\n  memory: 256\n",
    )
    .unwrap();
    std::fs::write(p.join(".timelimit"), "1\n").unwrap();
    std::fs::create_dir_all(p.join("data/secret")).unwrap();
    for i in 0..TESTS {
        std::fs::write(p.join(format!("data/secret/{i:04}.in")), format!("{i}\n")).unwrap();
        std::fs::write(
            p.join(format!("data/secret/{i:04}.ans")),
            format!("{}\n", 2 * i),
        )
        .unwrap();
    }
    let sub = p.join("double.c");
    std::fs::write(
        &sub,
        "#include <stdio.h>\nint main(void){long x; scanf(\"%ld\",&x); printf(\"%ld\\n\", 2*x); return 0;}\n",
    )
    .unwrap();

    let problem = Problem::load(p).unwrap();
    let mut w = Vec::new();
    let settings = Settings::new(&problem, None, None, Some(1), false, &mut w).unwrap();
    let ctx = Context::new(
        problem,
        profiles.clone(),
        Sandboxes::new(profiles.seccomp_dir.clone()),
        settings,
        w,
    )
    .unwrap();

    // The baseline: the same program, the same specs, sandbox::run alone.
    let work = tempfile::tempdir().unwrap();
    let build = exec::build(
        &ctx.sandboxes,
        c,
        std::slice::from_ref(&sub),
        None,
        work.path(),
        &CompileOverrides::default(),
    )
    .unwrap();
    let program = build.program.expect("double.c compiles");
    let cpu = ctx.settings.cpus.first().copied();
    let out = work.path().join("output");
    let bare = |n: usize| {
        let t = Instant::now();
        for test in ctx.problem.tests.iter().take(n) {
            let o = exec::run_sandboxed(ctx.test_spec(&program, test, &out, cpu).unwrap()).unwrap();
            assert_eq!(dokeru::sandbox::classify(&o), dokeru::sandbox::Status::Ok);
        }
        t.elapsed().as_secs_f64() / n as f64
    };
    let judged = || {
        let t = Instant::now();
        let r = ctx.judge(&sub, None, 1).unwrap();
        assert_eq!(r.verdict.as_str(), "accepted");
        assert_eq!(r.tests.len(), TESTS);
        t.elapsed().as_secs_f64() / TESTS as f64
    };
    bare(20); // warm caches
    // Interleaved rounds; the best of each side, as a shared machine only adds noise.
    let mut b = f64::MAX;
    let mut j = f64::MAX;
    for _ in 0..2 {
        b = b.min(bare(TESTS));
        j = j.min(judged());
    }
    let overhead_ms = (j - b) * 1000.0;
    println!(
        "sandbox::run alone: {:.1} runs/s ({:.2} ms); judge --jobs 1: {:.1} tests/s ({:.2} ms, compile included); judge overhead {overhead_ms:.2} ms/test",
        1.0 / b,
        b * 1000.0,
        1.0 / j,
        j * 1000.0
    );
    assert!(
        overhead_ms < 2.0,
        "the judge adds {overhead_ms:.2} ms per test on top of sandbox::run"
    );
}
