//! `dokeru verify PROBLEM...`: judge every submission under `submissions/<expected>/`
//! and compare the verdict with the folder.

use super::exec::Sandboxes;
use super::judging::{Context, Settings};
use super::problem::{FormatVersion, Problem};
use super::profile::ProfileSet;
use super::report::Report;
use super::verdict::Verdict;
use super::{JudgeError, VerifyArgs};
use std::path::{Path, PathBuf};

/// Does a verdict satisfy a `submissions/` folder? The format's folders count memory and
/// output limits as run-time errors (`judge.md`); this project's own folders
/// `memory_limit_exceeded` / `output_limit_exceeded` / `compile_error` want exactly that,
/// and `judge_error` holds submissions that exercise a deliberate fault of the package
/// (a validator that crashes on a marker), so that `verify` checks that path too.
pub fn folder_accepts(folder: &str, v: Verdict, score_below_max: bool) -> Option<bool> {
    Some(match folder {
        "accepted" => v == Verdict::Accepted && !score_below_max,
        "partially_accepted" => v == Verdict::Accepted && score_below_max,
        "wrong_answer" => v == Verdict::WrongAnswer,
        "time_limit_exceeded" => v == Verdict::TimeLimitExceeded,
        "run_time_error" => v.format_code() == "RTE",
        "rejected" => !matches!(
            v,
            Verdict::Accepted | Verdict::JudgeError | Verdict::CompileError
        ),
        "brute_force" => matches!(v, Verdict::TimeLimitExceeded) || v.format_code() == "RTE",
        "memory_limit_exceeded" => v == Verdict::MemoryLimitExceeded,
        "output_limit_exceeded" => v == Verdict::OutputLimitExceeded,
        "compile_error" => v == Verdict::CompileError,
        "judge_error" => v == Verdict::JudgeError,
        _ => return None,
    })
}

/// The time limit derived from the slowest accepted run, as the format says:
/// 2023-07 / 2025-09: the smallest multiple of `time_resolution` that is at least
/// `T_ac x ac_to_time_limit`; legacy (problemtools): `T_ac x time_multiplier`, rounded
/// to whole seconds, at least 1 s.
pub fn derive_time_limit(problem: &Problem, slowest_ac_s: f64) -> f64 {
    let l = &problem.limits;
    match problem.version {
        FormatVersion::Legacy => (slowest_ac_s * l.time_multiplier + 0.5).floor().max(1.0),
        _ => {
            let need = slowest_ac_s * l.ac_to_time_limit;
            let k = (need / l.time_resolution - 1e-9).ceil().max(1.0);
            k * l.time_resolution
        }
    }
}

struct Entry {
    folder: String,
    path: PathBuf,
}

fn submissions(dir: &Path) -> Result<Vec<Entry>, JudgeError> {
    let root = dir.join("submissions");
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir(&root) else {
        return Ok(v);
    };
    let mut folders: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for f in folders {
        let folder = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let subs = super::problem::visible_entries(&f)?;
        v.extend(subs.into_iter().map(|path| Entry {
            folder: folder.clone(),
            path,
        }));
    }
    Ok(v)
}

fn max_cpu_s(r: &Report) -> f64 {
    r.totals.max_cpu_time_ms / 1000.0
}

/// Verify one package; returns the number of mismatches.
fn verify_one(dir: &Path, args: &VerifyArgs, profiles: &ProfileSet) -> Result<usize, JudgeError> {
    let problem = Problem::load(dir)?;
    let entries = submissions(dir)?;
    let mut warnings = problem.warnings.clone();
    let derive = problem.limits.time_limit_s.is_none();
    // Without a time limit, accepted submissions first run under a generous probe limit.
    let probe = derive.then_some(10.0);
    let mut settings = Settings::new(&problem, probe, None, args.jobs, false, &mut warnings)?;
    let mut ctx = Context::new(
        problem,
        profiles.clone(),
        Sandboxes::new(profiles.seccomp_dir.clone()),
        settings.clone(),
        warnings,
    )?;
    let mut results: Vec<(usize, Report)> = Vec::new();
    let mut order: Vec<usize> = (0..entries.len()).collect();
    if derive {
        order.sort_by_key(|i| entries[*i].folder != "accepted");
    }
    let mut derived = false;
    for i in order {
        let e = &entries[i];
        if derive && !derived && e.folder != "accepted" {
            let slowest = results
                .iter()
                .map(|(_, r)| max_cpu_s(r))
                .fold(0.0, f64::max);
            let tl = derive_time_limit(&ctx.problem, slowest);
            println!(
                "{}: time limit derived from accepted submissions: {tl} s (slowest {slowest:.3} s)",
                dir.display()
            );
            settings.time_limit = std::time::Duration::from_secs_f64(tl);
            settings.wall_time_limit =
                settings.time_limit.mul_f64(1.5) + std::time::Duration::from_secs(1);
            settings.time_limit_source = "derived".into();
            ctx.settings = settings.clone();
            derived = true;
        }
        if folder_accepts(&e.folder, Verdict::Accepted, false).is_none() {
            println!(
                "  skip {} (unknown folder {:?})",
                e.path.display(),
                e.folder
            );
            continue;
        }
        let r = match ctx.judge(&e.path, None, i) {
            Ok(r) => r,
            Err(err) => {
                println!("  ERROR {}: {err}", e.path.display());
                results.push((i, error_report(&ctx, &e.path)));
                continue;
            }
        };
        results.push((i, r));
    }
    let mut mismatches = 0;
    println!("{} ({} submissions)", dir.display(), results.len());
    for (i, r) in &results {
        let e = &entries[*i];
        let below = r
            .score
            .as_ref()
            .is_some_and(|s| s.max_score.is_some_and(|m| s.score < m - 1e-9));
        let ok = folder_accepts(&e.folder, r.verdict, below).unwrap_or(false);
        if !ok {
            mismatches += 1;
        }
        if !ok || args.verbose {
            println!(
                "  {:<8} {:<48} expected {:<22} got {:<22} {:>7.0} ms{}",
                if ok { "ok" } else { "MISMATCH" },
                e.path.strip_prefix(dir).unwrap_or(&e.path).display(),
                e.folder,
                r.verdict.as_str(),
                r.totals.max_cpu_time_ms,
                r.score
                    .as_ref()
                    .map(|s| format!("  score {}", s.score))
                    .unwrap_or_default()
            );
            if !ok {
                println!("           {}", r.message);
                if let Some(why) = r.tests.iter().find_map(|t| t.judge_error.as_deref()) {
                    println!(
                        "           judge error: {}",
                        why.lines().next().unwrap_or("")
                    );
                }
            }
        }
    }
    Ok(mismatches)
}

fn error_report(ctx: &Context, path: &Path) -> Report {
    Report {
        schema: super::report::SCHEMA_VERSION,
        problem: super::report::ProblemInfo {
            name: ctx.problem.name.clone(),
            path: ctx.problem.dir.display().to_string(),
            format_version: String::new(),
            kind: Vec::new(),
            time_limit_s: 0.0,
            time_limit_source: String::new(),
            wall_time_limit_s: 0.0,
            memory_limit_bytes: 0,
            output_limit_bytes: 0,
            checker: String::new(),
        },
        submission: super::report::SubmissionInfo {
            path: path.display().to_string(),
            files: Vec::new(),
        },
        language: String::new(),
        verdict: Verdict::JudgeError,
        compile: None,
        tests: Vec::new(),
        totals: Default::default(),
        score: None,
        warnings: Vec::new(),
        message: "could not judge".into(),
    }
}

/// `dokeru verify`: 0 when every submission got the verdict of its folder, 1 otherwise.
///
/// # Errors
/// A package or profile that cannot be loaded; host or sandbox failures.
pub fn verify_command(args: &VerifyArgs) -> Result<i32, JudgeError> {
    let profiles = ProfileSet::load(&args.profiles)?;
    let mut total = 0;
    for p in &args.problems {
        total += verify_one(p, args, &profiles)?;
    }
    if total > 0 {
        println!("{total} mismatch(es)");
        Ok(1)
    } else {
        println!("all submissions got the verdict of their folder");
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::problem::tests::package;

    #[test]
    fn folders_and_the_formats_rte() {
        assert_eq!(
            folder_accepts("run_time_error", Verdict::MemoryLimitExceeded, false),
            Some(true)
        );
        assert_eq!(
            folder_accepts("run_time_error", Verdict::OutputLimitExceeded, false),
            Some(true)
        );
        assert_eq!(
            folder_accepts("memory_limit_exceeded", Verdict::RunTimeError, false),
            Some(false)
        );
        assert_eq!(
            folder_accepts("accepted", Verdict::Accepted, true),
            Some(false)
        );
        assert_eq!(
            folder_accepts("wrong_answer", Verdict::JudgeError, false),
            Some(false)
        );
        assert_eq!(
            folder_accepts("judge_error", Verdict::JudgeError, false),
            Some(true)
        );
        assert_eq!(
            folder_accepts("judge_error", Verdict::WrongAnswer, false),
            Some(false)
        );
        assert_eq!(folder_accepts("misc", Verdict::Accepted, false), None);
    }

    #[test]
    fn time_limit_derivation() {
        let d = package(&[
            ("problem.yaml", ""),
            ("data/secret/1.in", ""),
            ("data/secret/1.ans", ""),
        ]);
        let p = Problem::load(d.path()).unwrap();
        assert_eq!(derive_time_limit(&p, 0.05), 1.0);
        assert_eq!(derive_time_limit(&p, 0.5), 3.0);
        let d = package(&[
            (
                "problem.yaml",
                "problem_format_version: 2025-09\nlimits:\n  time_resolution: 0.5\n",
            ),
            ("data/secret/1.in", ""),
            ("data/secret/1.ans", ""),
        ]);
        let p = Problem::load(d.path()).unwrap();
        assert_eq!(derive_time_limit(&p, 0.3), 1.0);
        assert_eq!(derive_time_limit(&p, 0.01), 0.5);
        assert_eq!(derive_time_limit(&p, 0.25), 0.5);
    }

    /// Every shipped package loads, and its accepted / wrong_answer / time-limit
    /// submissions get their folder's verdict through the host-only fake runner (which
    /// enforces wall time only; memory, output and seccomp cases need the real sandbox
    /// and are covered by the integration tests).
    #[test]
    fn shipped_packages_load_and_judge_with_the_fake_runner() {
        use crate::judge::exec;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("judges");
        let profiles = ProfileSet::load(&[]).unwrap();
        let mut checked = 0;
        for name in [
            "hello",
            "average",
            "squares",
            "permutation",
            "guess",
            "subtasks",
        ] {
            let dir = root.join(name);
            let problem = Problem::load(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut w = problem.warnings.clone();
            assert!(w.is_empty(), "{name}: {w:?}");
            let settings = Settings::new(&problem, None, None, Some(2), true, &mut w).unwrap();
            let ctx = Context::new(
                problem,
                profiles.clone(),
                exec::fake::sandboxes(),
                settings,
                w,
            )
            .unwrap();
            for (i, e) in submissions(&dir).unwrap().iter().enumerate() {
                if !matches!(e.folder.as_str(), "accepted" | "wrong_answer") {
                    continue;
                }
                let ext = e.path.extension().and_then(|x| x.to_str()).unwrap_or("");
                if matches!(ext, "rs" | "java") {
                    continue; // slow to compile on a shared 2-core machine; the sandbox tests run them
                }
                let r = ctx.judge(&e.path, None, i).unwrap();
                let below = r
                    .score
                    .as_ref()
                    .is_some_and(|s| s.max_score.is_some_and(|m| s.score < m));
                assert_eq!(
                    folder_accepts(&e.folder, r.verdict, below),
                    Some(true),
                    "{}: {}",
                    e.path.display(),
                    serde_json::to_string_pretty(&r).unwrap()
                );
                checked += 1;
            }
        }
        assert!(checked >= 15, "{checked}");
    }
}
