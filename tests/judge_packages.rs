//! Issue #3's "Done when", end to end through the real sandbox: `dokeru verify` on every
//! package in `judges/`, an accepted submission in every shipped language, the verdict
//! precedence cases of `judge.md`, compiler bombs, and third-party packages (a legacy
//! 42/43 validator, a Polygon-style testlib checker) judged without any change to them.
//!
//! Needs root (the sandbox); without it every test prints `skipped: <test>: <reason>`
//! and returns. A missing toolchain is skipped by name, never passed silently.
//!
//! The cgroup-v2 VM (`scripts/test-vm.sh`, ~20x slower under TCG) runs the tests whose
//! names start with `vm_`: they use small C / Python programs only. There (`CG2VM` set)
//! CPU limits are raised (x5) for runs that must be accepted or must reach another limit
//! first, never for runs that must hit the CPU limit, and the compile limits of `profiles/` are raised by [`vm_profiles`] so that
//! a normal compile fits while a compiler bomb still ends at its limit.

use dokeru::judge::exec::{COMPILE_MESSAGES_MAX, Sandboxes};
use dokeru::judge::judging::{Context, Settings};
use dokeru::judge::problem::Problem;
use dokeru::judge::profile::ProfileSet;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn judges() -> PathBuf {
    root().join("judges")
}

fn thirdparty() -> PathBuf {
    root().join("tests/fixtures/thirdparty")
}

fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unknown test>")
        .to_string()
}

/// `skipped: <test>: <reason>` straight to stderr (libtest does not capture it) and to
/// `$DOKERU_TEST_SKIP_LOG`, as the other integration tests do.
fn skip(reason: &str) {
    let line = format!("skipped: {}: {reason}\n", test_name());
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

fn require_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        true
    } else {
        skip("needs root (the sandbox)");
        false
    }
}

fn in_vm() -> bool {
    std::env::var_os("CG2VM").is_some()
}

/// Profiles as shipped; in the VM, a copy with compile CPU/wall limits x5 (TCG runs gcc
/// ~20x slower than the host; the memory and output limits that stop the bombs stay).
fn vm_profiles() -> (Vec<PathBuf>, Option<tempfile::TempDir>) {
    if !in_vm() {
        return (Vec::new(), None);
    }
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(root().join("profiles")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let scaled: Vec<String> = text
                .lines()
                .map(|l| {
                    for key in ["time_secs = ", "wall_time_secs = "] {
                        if let Some(v) = l.strip_prefix(key) {
                            if let Ok(n) = v.trim().parse::<u64>() {
                                return format!("{key}{}", n * 5);
                            }
                        }
                    }
                    l.to_string()
                })
                .collect();
            std::fs::write(dir.path().join(p.file_name().unwrap()), scaled.join("\n")).unwrap();
        }
    }
    (vec![dir.path().to_path_buf()], Some(dir))
}

/// A package loaded once, its checker compiled once, ready to judge submissions.
struct Judge {
    ctx: Context,
    /// Each submission gets its own work directory, as in `verify`.
    next_id: std::sync::atomic::AtomicUsize,
    _profiles: Option<tempfile::TempDir>,
}

impl Judge {
    /// `time`: a CPU-limit override in seconds (`--time`).
    fn new(problem: &Path, time: Option<f64>) -> Judge {
        let (extra, keep) = vm_profiles();
        let profiles = ProfileSet::load(&extra).unwrap();
        let p = Problem::load(problem).unwrap_or_else(|e| panic!("{}: {e}", problem.display()));
        let mut warnings = p.warnings.clone();
        let settings = Settings::new(&p, time, None, Some(2), false, &mut warnings).unwrap();
        let sandboxes = Sandboxes::new(profiles.seccomp_dir.clone());
        let ctx = Context::new(p, profiles, sandboxes, settings, warnings).unwrap();
        Judge {
            ctx,
            next_id: std::sync::atomic::AtomicUsize::new(0),
            _profiles: keep,
        }
    }

    /// The JSON report of `judge.md` for one submission (relative to the package).
    fn judge(&self, submission: &str) -> Value {
        let path = self.ctx.problem.dir.join(submission);
        let r = self
            .ctx
            .judge(
                &path,
                None,
                self.next_id
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            )
            .unwrap_or_else(|e| panic!("{submission}: {e}"));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["schema"], 1);
        v
    }
}

/// A CPU limit for runs that must be accepted: the package's on the host, x5 in the VM.
fn accepted_time(package_limit_s: f64) -> Option<f64> {
    in_vm().then_some(package_limit_s * 5.0)
}

fn brief(v: &Value) -> String {
    let mut v = v.clone();
    if let Some(t) = v["compile"]["messages"]["text"].as_str() {
        let cut: String = t.chars().take(2000).collect();
        v["compile"]["messages"]["text"] = Value::String(cut);
    }
    serde_json::to_string_pretty(&v).unwrap()
}

fn first_rejected(v: &Value) -> &Value {
    v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["verdict"] != "accepted")
        .unwrap_or_else(|| panic!("no rejected test: {}", brief(v)))
}

/// Every file of a directory with its content: judging must change none of them.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else {
                m.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    m
}

/// `dokeru verify` through the real binary; returns its stdout after asserting exit 0.
fn verify(problems: &[PathBuf]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dokeru"))
        .arg("verify")
        .arg("--verbose")
        .args(["--jobs", "2"])
        .args(problems)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "some submission did not get its folder's verdict (table above)"
    );
    assert!(!stdout.contains("MISMATCH"), "{stdout}");
    assert!(
        !stdout.contains("skip "),
        "a submission was not judged:\n{stdout}"
    );
    stdout
}

// ---------- dokeru verify on every shipped package ----------

#[test]
fn verify_passes_on_every_shipped_package() {
    if !require_root() {
        return;
    }
    let mut problems: Vec<PathBuf> = std::fs::read_dir(judges())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("problem.yaml").is_file())
        .collect();
    problems.sort();
    assert!(problems.len() >= 6, "{problems:?}");
    let before: Vec<_> = problems.iter().map(|p| snapshot(p)).collect();
    let out = verify(&problems);
    // Every submission file in every package was judged and listed as ok.
    let listed = out
        .lines()
        .filter(|l| l.trim_start().starts_with("ok "))
        .count();
    let files: usize = problems
        .iter()
        .map(|p| {
            std::fs::read_dir(p.join("submissions"))
                .unwrap()
                .map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(listed, files, "{out}");
    for (p, b) in problems.iter().zip(before) {
        assert!(snapshot(p) == b, "verify changed files in {}", p.display());
    }
}

// ---------- one accepted submission per shipped language ----------

#[test]
fn accepted_in_every_shipped_language() {
    if !require_root() {
        return;
    }
    let j = Judge::new(&judges().join("hello"), None);
    let cases = [
        ("c", "hello.c"),
        ("cpp", "hello.cpp"),
        ("python3", "hello.py"),
        ("rust", "hello.rs"),
        ("java", "Hello.java"),
        ("javascript", "hello.js"),
        ("shell", "hello.sh"),
    ];
    let mut judged = 0;
    for (lang, file) in cases {
        let profile = j
            .ctx
            .profiles
            .by_name(lang)
            .unwrap_or_else(|| panic!("no shipped profile {lang}"));
        if let Err(e) = profile.check_toolchain() {
            skip(&format!(
                "{lang}: {}",
                e.to_string().lines().next().unwrap_or("")
            ));
            continue;
        }
        let v = j.judge(&format!("submissions/accepted/{file}"));
        assert_eq!(v["language"], lang, "{file}");
        assert_eq!(v["verdict"], "accepted", "{file}: {}", brief(&v));
        assert_eq!(v["compile"]["result"], "ok", "{file}");
        let tests = v["tests"].as_array().unwrap();
        assert_eq!(tests.len(), 3, "{file}: samples and secret tests");
        for t in tests {
            assert_eq!(t["status"], "ok", "{file}: {t}");
            assert_eq!(t["checker"]["verdict"], "accepted", "{file}: {t}");
        }
        judged += 1;
    }
    assert!(judged >= 1, "no toolchain at all");
}

// ---------- verdict precedence (judge.md) ----------

fn tle_then_correct(j: &Judge) {
    let v = j.judge("submissions/time_limit_exceeded/correct_then_spin.c");
    assert_eq!(v["verdict"], "time_limit_exceeded", "{}", brief(&v));
    let t = &v["tests"][0];
    // A limit hit is never rescued by a correct output: the checker is not consulted.
    assert!(t["checker"].is_null(), "{t}");
    let cpu = t["cpu_time_ms"].as_f64().unwrap();
    let limit = v["problem"]["time_limit_s"].as_f64().unwrap() * 1000.0;
    // On a loaded machine the spinner can get so little CPU that the wall limit
    // (1.5 x + 1 s) comes first: the same verdict, and then no CPU figure to check.
    match t["status"].as_str() {
        Some("time_limit_exceeded") => assert!(cpu >= limit && cpu < limit * 1.1, "cpu {cpu} ms, limit {limit} ms"),
        Some("wall_time_limit_exceeded") => eprintln!("note: the wall limit came first (loaded machine), cpu {cpu} ms"),
        other => panic!("status {other:?}: {t}"),
    }
}

fn mle_then_correct(j: &Judge) {
    let v = j.judge("submissions/memory_limit_exceeded/correct_then_alloc.c");
    assert_eq!(v["verdict"], "memory_limit_exceeded", "{}", brief(&v));
    let t = &v["tests"][0];
    assert_eq!(t["status"], "memory_limit_exceeded");
    assert!(t["checker"].is_null(), "{t}");
    let peak = t["memory_peak_bytes"].as_u64().unwrap();
    let limit = v["problem"]["memory_limit_bytes"].as_u64().unwrap();
    assert!(peak >= limit * 9 / 10, "peak {peak} limit {limit}");
}

#[test]
fn vm_correct_output_then_cpu_loop_is_time_limit_exceeded() {
    if !require_root() {
        return;
    }
    tle_then_correct(&Judge::new(&judges().join("hello"), None));
}

#[test]
fn vm_correct_output_then_memory_is_memory_limit_exceeded() {
    if !require_root() {
        return;
    }
    // In the VM, 1 GiB of memset takes longer than 1 s of emulated CPU: the CPU limit is
    // raised there so that the memory limit is what the run meets (it rescues nothing).
    mle_then_correct(&Judge::new(&judges().join("hello"), accepted_time(1.0)));
}

#[test]
fn vm_interactor_rejects_first_then_submission_hangs_is_wrong_answer() {
    if !require_root() {
        return;
    }
    let j = Judge::new(&judges().join("guess"), accepted_time(1.0));
    // The sample: the answer is 1, found at once; the rejection comes on a secret test.
    for (sub, sub_status) in [
        // Sleeps after the rejection: killed at the wall-time limit.
        (
            "submissions/wrong_answer/linear_then_hang.py",
            "wall_time_limit_exceeded",
        ),
        // Burns CPU after the rejection: killed at the CPU limit (or, on the emulated
        // VM's shared vCPUs, at the wall limit first).
        (
            "submissions/wrong_answer/linear_then_spin.c",
            "time_limit_exceeded|wall_time_limit_exceeded",
        ),
    ] {
        let v = j.judge(sub);
        assert_eq!(v["verdict"], "wrong_answer", "{sub}: {}", brief(&v));
        let t = first_rejected(&v);
        assert_eq!(t["verdict"], "wrong_answer", "{sub}");
        // The submission did hit its limit, and the verdict is still wrong_answer.
        let status = t["status"].as_str().unwrap_or("");
        assert!(sub_status.split('|').any(|s| s == status), "{sub}: {t}");
        assert_eq!(t["interactor"]["exit_code"], 43, "{sub}: {t}");
        assert_eq!(t["checker"]["message"], "10 guesses used", "{sub}: {t}");
    }
    // The other order: a deadlock ends at the submission's wall limit, as a time limit.
    let v = j.judge("submissions/time_limit_exceeded/never_guesses.py");
    assert_eq!(v["verdict"], "time_limit_exceeded", "{}", brief(&v));
}

#[test]
fn vm_crashed_validator_is_judge_error() {
    if !require_root() {
        return;
    }
    let j = Judge::new(&judges().join("squares"), accepted_time(1.0));
    let v = j.judge("submissions/judge_error/crashes_the_validator.py");
    assert_eq!(v["verdict"], "judge_error", "{}", brief(&v));
    let t = &v["tests"][0];
    assert_eq!(t["status"], "ok", "the submission itself ran fine: {t}");
    assert_eq!(t["checker"]["verdict"], "judge_error", "{t}");
    assert_eq!(t["checker"]["run"]["status"], "signaled", "{t}");
    assert_eq!(t["checker"]["run"]["signal"], libc::SIGABRT, "{t}");
    assert!(
        t["judge_error"]
            .as_str()
            .is_some_and(|m| m.contains("signal")),
        "{t}"
    );
    // The same validator accepts a correct submission: the fault is the marker's only.
    let v = j.judge("submissions/accepted/search.py");
    assert_eq!(v["verdict"], "accepted", "{}", brief(&v));
}

// ---------- compiler bombs ----------

#[test]
fn vm_compiler_bombs_are_compile_error_within_the_compile_limits() {
    if !require_root() {
        return;
    }
    let j = Judge::new(&judges().join("hello"), None);
    for (file, lang, status) in [
        ("dev_zero.c", "c", None),
        ("template_explosion.cpp", "cpp", None),
        ("error_stream.c", "c", Some("output_limit_exceeded")),
    ] {
        let profile = j.ctx.profiles.by_name(lang).unwrap();
        if let Err(e) = profile.check_toolchain() {
            skip(&format!(
                "{lang}: {}",
                e.to_string().lines().next().unwrap_or("")
            ));
            continue;
        }
        let lim = &profile.compile.as_ref().unwrap().limits;
        let started = std::time::Instant::now();
        let v = j.judge(&format!("submissions/compile_error/{file}"));
        let elapsed = started.elapsed();
        assert_eq!(v["verdict"], "compile_error", "{file}: {}", brief(&v));
        assert!(
            v["tests"].as_array().unwrap().is_empty(),
            "{file}: nothing ran"
        );
        let c = &v["compile"];
        assert_eq!(c["result"], "compile_error", "{file}");
        if let Some(s) = status {
            assert_eq!(c["status"], s, "{file}: {}", brief(&v));
        } else {
            // Stopped by a limit, not by a compiler that gave up by itself.
            assert!(
                matches!(
                    c["status"].as_str(),
                    Some(
                        "memory_limit_exceeded"
                            | "time_limit_exceeded"
                            | "wall_time_limit_exceeded"
                            | "output_limit_exceeded"
                    )
                ),
                "{file}: {}",
                brief(&v)
            );
        }
        let cpu_ms = c["cpu_time_ms"].as_f64().unwrap();
        let wall_ms = c["wall_time_ms"].as_f64().unwrap();
        let cpu_limit_ms = lim.cpu_time.as_secs_f64() * 1000.0;
        let wall_limit_ms = lim.wall_time.as_secs_f64() * 1000.0;
        assert!(
            cpu_ms <= cpu_limit_ms * 1.05,
            "{file}: cpu {cpu_ms} ms > {cpu_limit_ms} ms"
        );
        assert!(
            wall_ms <= wall_limit_ms + 1000.0,
            "{file}: wall {wall_ms} ms > {wall_limit_ms} ms"
        );
        assert!(
            elapsed.as_secs_f64() * 1000.0 <= wall_limit_ms + 10_000.0,
            "{file}: judging took {elapsed:?}"
        );
        assert!(
            c["memory_peak_bytes"].as_u64().unwrap() <= lim.memory_bytes,
            "{file}"
        );
        // The messages are cut: never more than the report's bound (plus dokeru's note).
        let text = c["messages"]["text"].as_str().unwrap();
        assert!(
            text.len() <= COMPILE_MESSAGES_MAX + 256,
            "{file}: {} bytes",
            text.len()
        );
        assert!(
            text.contains("[dokeru: compiler"),
            "{file}: {}",
            &text[text.len().saturating_sub(300)..]
        );
        if status == Some("output_limit_exceeded") {
            assert_eq!(c["messages"]["truncated"], true, "{file}");
            assert!(
                text.len() >= COMPILE_MESSAGES_MAX / 2,
                "{file}: the stream was kept"
            );
        }
    }
}

// ---------- third-party packages, judged as they are ----------

/// `(submission, verdict, text expected in the first rejected test's checker message)`.
type Expect<'a> = (&'a str, &'a str, Option<&'a str>);

fn judge_thirdparty(name: &str, time: Option<f64>, cases: &[Expect]) {
    let dir = thirdparty().join(name);
    let before = snapshot(&dir);
    let j = Judge::new(&dir, time);
    for (sub, verdict, message) in cases {
        let v = j.judge(sub);
        assert_eq!(v["verdict"], *verdict, "{sub}: {}", brief(&v));
        if let Some(m) = message {
            let t = first_rejected(&v);
            let got = t["checker"]["message"].as_str().unwrap_or("");
            assert!(
                got.contains(m),
                "{sub}: checker message {got:?}, want {m:?}"
            );
        }
        if *verdict == "accepted" {
            let n = v["tests"].as_array().unwrap().len();
            assert_eq!(n, j.ctx.problem.tests.len(), "{sub}: every test ran");
        }
    }
    assert!(
        snapshot(&dir) == before,
        "judging changed files in {}",
        dir.display()
    );
}

#[test]
fn thirdparty_legacy_package_with_its_own_validator() {
    if !require_root() {
        return;
    }
    let dir = thirdparty().join("divisor");
    let before = snapshot(&dir);
    // verify: legacy problem.yaml without a time limit, derived from the accepted runs.
    let out = verify(std::slice::from_ref(&dir));
    assert!(out.contains("time limit derived"), "{out}");
    assert!(
        snapshot(&dir) == before,
        "verify changed files in {}",
        dir.display()
    );
    judge_thirdparty(
        "divisor",
        Some(2.0),
        &[
            // "PRIME" is accepted only through validator_flags: case_insensitive.
            ("submissions/accepted/smallest_factor.py", "accepted", None),
            ("submissions/accepted/trial.c", "accepted", None),
            (
                "submissions/wrong_answer/n_itself.c",
                "wrong_answer",
                Some("is not a proper divisor"),
            ),
            (
                "submissions/wrong_answer/even_is_composite.py",
                "wrong_answer",
                Some("is not prime: 999983 divides it"),
            ),
        ],
    );
}

#[test]
fn thirdparty_polygon_package_with_a_testlib_checker() {
    if !require_root() {
        return;
    }
    let dir = thirdparty().join("goldbach");
    let before = snapshot(&dir);
    verify(std::slice::from_ref(&dir));
    assert!(
        snapshot(&dir) == before,
        "verify changed files in {}",
        dir.display()
    );
    judge_thirdparty(
        "goldbach",
        None,
        &[
            ("submissions/accepted/sieve.cpp", "accepted", None),
            ("submissions/accepted/largest_first.py", "accepted", None),
            // quitf(_wa, ...)
            (
                "submissions/wrong_answer/odd_pairs_with_one.py",
                "wrong_answer",
                Some("wrong answer case 3: 1 is not prime"),
            ),
            // quitf(_ok) with output left: testlib's presentation error (exit 2).
            (
                "submissions/wrong_answer/extra_line.py",
                "wrong_answer",
                Some("wrong output format Extra information in the output file"),
            ),
            // ouf.readToken at the end of the output: testlib's unexpected eof (exit 8).
            (
                "submissions/wrong_answer/truncated.c",
                "wrong_answer",
                Some("unexpected eof"),
            ),
            (
                "submissions/run_time_error/sieve_too_small.cpp",
                "run_time_error",
                None,
            ),
        ],
    );
}

/// The VM's share of the third-party proof: the legacy validator (C++, compiled once)
/// and the testlib checker, each on a C submission.
#[test]
fn vm_thirdparty_validator_and_testlib_checker() {
    if !require_root() {
        return;
    }
    judge_thirdparty(
        "divisor",
        accepted_time(2.0),
        &[
            ("submissions/accepted/trial.c", "accepted", None),
            (
                "submissions/wrong_answer/n_itself.c",
                "wrong_answer",
                Some("is not a proper divisor"),
            ),
        ],
    );
    judge_thirdparty(
        "goldbach",
        accepted_time(1.0),
        &[(
            "submissions/wrong_answer/truncated.c",
            "wrong_answer",
            Some("unexpected eof"),
        )],
    );
}
