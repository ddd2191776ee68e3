//! Judging one submission: compile once, run the tests concurrently, each in a fresh
//! sandbox, check, aggregate, report.

use super::checker::{self, Feedback, Protocol};
use super::default_validator::{self, Judgement};
use super::exec::{self, Build, CompileOverrides, Program, Sandboxes};
use super::interactive;
use super::problem::{Checker, FormatVersion, Problem, TestCase};
use super::profile::ProfileSet;
use super::report::{
    CheckerReport, CompileReport, ProblemInfo, Report, RunFields, SubmissionInfo, TestReport, Text,
    Totals,
};
use super::scoring::{self, TestResult};
use super::verdict::{self, CheckResult, Verdict};
use super::{JudgeArgs, JudgeError};
use crate::sandbox::{self, CopyIn, CopyOut, Limits, Output, SandboxSpec, Stdin};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Stderr bytes of the submission kept per test.
const STDERR_MAX: usize = 4 << 10;
/// The box tmpfs of a test run.
const RUN_DISK_BYTES: u64 = 64 << 20;

/// The limits and options of one judging.
#[derive(Debug, Clone)]
pub struct Settings {
    pub time_limit: Duration,
    pub time_limit_source: String,
    pub wall_time_limit: Duration,
    pub memory_mib: u64,
    pub output_bytes: u64,
    pub jobs: usize,
    pub fail_fast: bool,
    /// CPUs each worker is pinned to (worker i gets `cpus[i]`), empty: no pinning.
    pub cpus: Vec<usize>,
    pub progress: bool,
}

/// CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    match nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)) {
        Ok(set) => (0..nix::sched::CpuSet::count())
            .filter(|i| set.is_set(*i).unwrap_or(false))
            .collect(),
        Err(_) => (0..std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1))
            .collect(),
    }
}

impl Settings {
    /// Limits per `judge.md`: CPU = the time limit; wall = 1.5 x + 1 s; memory and output
    /// from the package (the format's defaults otherwise).
    ///
    /// # Errors
    /// A bad `--time`, `--wall-time` or `--jobs`.
    pub fn new(
        problem: &Problem,
        time: Option<f64>,
        wall: Option<f64>,
        jobs: Option<usize>,
        fail_fast: bool,
        warnings: &mut Vec<String>,
    ) -> Result<Settings, JudgeError> {
        let check = |option: &'static str, v: f64| -> Result<Duration, JudgeError> {
            if v.is_finite() && v > 0.0 && v < 86400.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(JudgeError::BadArgument {
                    option,
                    message: format!("{v} is not a number of seconds in (0, 86400)"),
                })
            }
        };
        let (tl, source) = match (time, problem.limits.time_limit_s) {
            (Some(t), _) => (check("--time", t)?, "--time".to_string()),
            (None, Some(t)) => (
                Duration::from_secs_f64(t),
                problem.limits.time_limit_source.to_string(),
            ),
            (None, None) => {
                warnings.push(
                    "the package gives no time limit: using 1 s (pass --time, or run `dokeru verify` to derive one)".into(),
                );
                (Duration::from_secs(1), "default".to_string())
            }
        };
        let wall = match wall {
            Some(w) => check("--wall-time", w)?,
            None => tl.mul_f64(1.5) + Duration::from_secs(1),
        };
        let cpus = allowed_cpus();
        let jobs = match jobs {
            Some(0) => {
                return Err(JudgeError::BadArgument {
                    option: "--jobs",
                    message: "must be at least 1".into(),
                });
            }
            Some(j) => j,
            None => cpus.len().max(1),
        };
        // Pinning keeps timing fair only when every run can have a CPU of its own.
        let pin = if jobs <= cpus.len() { cpus } else { Vec::new() };
        Ok(Settings {
            time_limit: tl,
            time_limit_source: source,
            wall_time_limit: wall,
            memory_mib: problem.limits.memory_mib,
            output_bytes: problem.limits.output_mib << 20,
            jobs,
            fail_fast,
            cpus: pin,
            progress: false,
        })
    }
}

/// A package ready to judge submissions: loaded, its checker compiled once.
pub struct Context {
    pub problem: Problem,
    pub profiles: ProfileSet,
    pub sandboxes: Sandboxes,
    pub settings: Settings,
    pub work: tempfile::TempDir,
    /// The compiled checker program, or why it could not be built (then every test
    /// that needs it is a judge error).
    pub checker: Option<Result<Program, String>>,
    pub warnings: Vec<String>,
}

fn io(step: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> JudgeError {
    let path = path.to_path_buf();
    move |source| JudgeError::Io { step, path, source }
}

impl Context {
    /// # Errors
    /// Temp dir creation, a missing toolchain for the checker, sandbox failure.
    pub fn new(
        problem: Problem,
        profiles: ProfileSet,
        sandboxes: Sandboxes,
        settings: Settings,
        warnings: Vec<String>,
    ) -> Result<Context, JudgeError> {
        let work = tempfile::Builder::new()
            .prefix("dokeru-judge-")
            .tempdir()
            .map_err(io("create temp dir", &std::env::temp_dir()))?;
        let mut ctx = Context {
            problem,
            profiles,
            sandboxes,
            settings,
            work,
            checker: None,
            warnings,
        };
        ctx.build_checker()?;
        Ok(ctx)
    }

    fn compile_overrides(&self) -> CompileOverrides {
        CompileOverrides {
            time: self
                .problem
                .limits
                .compilation_time_s
                .map(Duration::from_secs_f64),
            memory_bytes: self.problem.limits.compilation_memory_mib.map(|m| m << 20),
        }
    }

    fn build_checker(&mut self) -> Result<(), JudgeError> {
        let Checker::Program { path, .. } = &self.problem.checker else {
            return Ok(());
        };
        if path.is_dir() && (path.join("build").exists() || path.join("run").exists()) {
            return Err(super::package_err(
                path,
                "build/run",
                "validator build/run scripts are not supported by dokeru; give the sources",
            ));
        }
        let mut sources = exec::collect_sources(path)?;
        if path.is_file() {
            // A checker at the package root (Polygon's `check.cpp`) includes
            // "testlib.h", which such packages ship beside it or in `files/` (Polygon's
            // place for it): it goes into the compile box with the checker.
            let root = path.parent().unwrap_or(Path::new("."));
            if let Some(h) = [root.join("testlib.h"), root.join("files/testlib.h")]
                .into_iter()
                .find(|p| p.is_file())
            {
                sources.push(h);
            }
        }
        let profile = self.profiles.detect(None, &sources, path)?.clone();
        profile.check_toolchain()?;
        let dir = self.work.path().join("checker");
        let b: Build = exec::build(
            &self.sandboxes,
            &profile,
            &sources,
            None,
            &dir,
            &self.compile_overrides(),
        )?;
        self.checker = Some(b.program.ok_or_else(|| {
            format!(
                "the package's checker {} does not compile:\n{}",
                path.display(),
                checker::truncate(&b.report.messages.text, 4096)
            )
        }));
        Ok(())
    }

    fn problem_info(&self) -> ProblemInfo {
        let p = &self.problem;
        let mut kind = vec![if p.scoring { "scoring" } else { "pass-fail" }.to_string()];
        if p.interactive {
            kind.push("interactive".into());
        }
        ProblemInfo {
            name: p.name.clone(),
            path: p.dir.display().to_string(),
            format_version: match p.version {
                FormatVersion::Legacy => "legacy",
                FormatVersion::Draft2023 => "2023-07-draft",
                FormatVersion::V2025 => "2025-09",
            }
            .into(),
            kind,
            time_limit_s: self.settings.time_limit.as_secs_f64(),
            time_limit_source: self.settings.time_limit_source.clone(),
            wall_time_limit_s: self.settings.wall_time_limit.as_secs_f64(),
            memory_limit_bytes: self.settings.memory_mib << 20,
            output_limit_bytes: self.settings.output_bytes,
            checker: match &p.checker {
                Checker::Default => "default".into(),
                Checker::Program { path, protocol } => format!(
                    "{} ({})",
                    path.strip_prefix(&p.dir).unwrap_or(path).display(),
                    match protocol {
                        Protocol::Kattis => "output validator, 42/43",
                        Protocol::Testlib => "testlib checker",
                    }
                ),
            },
        }
    }

    /// Judge one submission.
    ///
    /// # Errors
    /// Bad submission path, unknown language, missing toolchain, host or sandbox failure
    /// while compiling. Failures during tests are `judge_error` verdicts in the report.
    pub fn judge(
        &self,
        submission: &Path,
        lang: Option<&str>,
        id: usize,
    ) -> Result<Report, JudgeError> {
        let sources = exec::collect_sources(submission)?;
        let profile = self.profiles.detect(lang, &sources, submission)?.clone();
        profile.check_toolchain()?;
        let include = ["", "default"]
            .iter()
            .map(|s| {
                if s.is_empty() {
                    self.problem.dir.join("include").join(&profile.name)
                } else {
                    self.problem.dir.join("include").join(s)
                }
            })
            .find(|p| p.is_dir());
        let work = self.work.path().join(format!("sub{id}"));
        let build = exec::build(
            &self.sandboxes,
            &profile,
            &sources,
            include.as_deref(),
            &work,
            &self.compile_overrides(),
        )?;
        let mut report = Report {
            schema: super::report::SCHEMA_VERSION,
            problem: self.problem_info(),
            submission: SubmissionInfo {
                path: submission.display().to_string(),
                files: sources
                    .iter()
                    .map(|s| {
                        s.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    })
                    .collect(),
            },
            language: profile.name.clone(),
            verdict: Verdict::CompileError,
            compile: Some(build.report.clone()),
            tests: Vec::new(),
            totals: Totals {
                tests: self.problem.tests.len(),
                ..Totals::default()
            },
            score: None,
            warnings: self.warnings.clone(),
            message: String::new(),
        };
        let Some(program) = build.program else {
            report.message = "compile error".into();
            return Ok(report);
        };
        let (tests, results) = self.run_tests(&program, &work)?;
        report.verdict = verdict::overall(tests.iter().map(|t| t.verdict));
        if self.problem.scoring {
            let mut s = scoring::score(&self.problem, &results);
            if let Some(e) = s.judge_error.clone() {
                report.verdict = Verdict::JudgeError;
                report.warnings.push(e);
                s.score = 0.0;
            }
            report.score = Some(s);
        }
        report.totals = Totals::of(&tests, self.problem.tests.len());
        report.message = match tests.iter().find(|t| t.verdict != Verdict::Accepted) {
            None => format!("accepted: {} tests", tests.len()),
            Some(t) => format!("{} on test {}", t.verdict, t.name),
        };
        report.tests = tests;
        Ok(report)
    }

    /// Run all tests on `jobs` workers; results in judging order.
    fn run_tests(
        &self,
        program: &Program,
        work: &Path,
    ) -> Result<(Vec<TestReport>, Vec<Option<TestResult>>), JudgeError> {
        let n = self.problem.tests.len();
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let slots: Vec<Mutex<Option<(TestReport, TestResult)>>> =
            (0..n).map(|_| Mutex::new(None)).collect();
        let bar = self.settings.progress.then(|| {
            let b = indicatif::ProgressBar::with_draw_target(
                Some(n as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:30}] {pos}/{len} tests {msg}",
            ) {
                b.set_style(style.progress_chars("=> "));
            }
            b
        });
        let first_err: Mutex<Option<JudgeError>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for w in 0..self.settings.jobs.min(n).max(1) {
                let (next, stop, slots, bar, first_err) = (&next, &stop, &slots, &bar, &first_err);
                let cpu = self.settings.cpus.get(w).copied();
                scope.spawn(move || {
                    loop {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= n {
                            break;
                        }
                        match self.run_test(program, i, work, cpu) {
                            Ok((rep, res)) => {
                                if self.settings.fail_fast && rep.verdict != Verdict::Accepted {
                                    stop.store(true, Ordering::SeqCst);
                                }
                                if let Some(b) = bar {
                                    b.inc(1);
                                    if rep.verdict != Verdict::Accepted {
                                        b.set_message(format!("{} on {}", rep.verdict, rep.name));
                                    }
                                }
                                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) =
                                    Some((rep, res));
                            }
                            Err(e) => {
                                stop.store(true, Ordering::SeqCst);
                                first_err
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .get_or_insert(e);
                            }
                        }
                    }
                    // Before the scope ends: the sandbox prepared for a next
                    // test that will not come, and the teardowns handed off.
                    self.sandboxes.release_thread();
                });
            }
        });
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        if let Some(e) = first_err.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(e);
        }
        let mut reports = Vec::new();
        let mut results = Vec::new();
        for s in slots {
            match s.into_inner().unwrap_or_else(|e| e.into_inner()) {
                Some((rep, res)) => {
                    reports.push(rep);
                    results.push(Some(res));
                }
                None => results.push(None),
            }
        }
        Ok((reports, results))
    }

    fn run_limits(&self, program: &Program, cpu: Option<usize>) -> Limits {
        let mem = (self.settings.memory_mib << 20) + program.profile.memory_extra_bytes;
        Limits {
            cpu_time: Some(self.settings.time_limit),
            wall_time: Some(self.settings.wall_time_limit),
            memory_bytes: Some(mem),
            cpu_period_us: 100_000,
            cpus: cpu.map(|c| c.to_string()),
            pids: Some(program.profile.run_pids),
            fsize_bytes: Some(self.settings.output_bytes.max(RUN_DISK_BYTES)),
            disk_bytes: RUN_DISK_BYTES,
            output_bytes: Some(self.settings.output_bytes),
            ..Limits::default()
        }
    }

    fn checker_limits(&self) -> Limits {
        let l = &self.problem.limits;
        let t = Duration::from_secs_f64(l.validation_time_s);
        Limits {
            cpu_time: Some(t),
            wall_time: Some(t * 2 + Duration::from_secs(1)),
            memory_bytes: Some(l.validation_memory_mib << 20),
            cpu_period_us: 100_000,
            pids: Some(64),
            fsize_bytes: Some(64 << 20),
            disk_bytes: 128 << 20,
            output_bytes: Some(l.validation_output_mib << 20),
            ..Limits::default()
        }
    }

    fn files_copy_in(test: &TestCase) -> Vec<CopyIn> {
        let Some(d) = &test.files_dir else {
            return Vec::new();
        };
        std::fs::read_dir(d)
            .map(|rd| {
                let mut v: Vec<CopyIn> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| CopyIn {
                        src: e.path(),
                        dst: PathBuf::from(e.file_name()),
                    })
                    .collect();
                v.sort_by(|a, b| a.dst.cmp(&b.dst));
                v
            })
            .unwrap_or_default()
    }

    fn checker_program(&self) -> Result<&Program, String> {
        match &self.checker {
            Some(Ok(p)) => Ok(p),
            Some(Err(e)) => Err(e.clone()),
            None => Err("no checker program was built".into()),
        }
    }

    /// The feedback files of a 42/43 validator, copied out of its box.
    fn feedback_io(dir: &Path) -> (Vec<CopyOut>, impl Fn() -> Feedback) {
        let names = [
            "judgemessage.txt",
            "teammessage.txt",
            "score.txt",
            "score_multiplier.txt",
        ];
        let outs = names
            .iter()
            .map(|n| CopyOut {
                src: Path::new("feedback").join(n),
                dst: dir.join(format!("fb-{n}")),
                max_bytes: 1 << 20,
            })
            .collect();
        let dir = dir.to_path_buf();
        let read = move || {
            let r = |n: &str| {
                std::fs::read(dir.join(format!("fb-{n}")))
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            Feedback {
                judgemessage: r("judgemessage.txt"),
                teammessage: r("teammessage.txt"),
                score: r("score.txt"),
                score_multiplier: r("score_multiplier.txt"),
            }
        };
        (outs, read)
    }

    /// Run the package's checker on a finished run's output file.
    fn run_checker(
        &self,
        test: &TestCase,
        output: &Path,
        dir: &Path,
    ) -> Result<(checker::Checked, Option<RunFields>), JudgeError> {
        let Checker::Program { protocol, .. } = &self.problem.checker else {
            unreachable!("run_checker is only called for program checkers")
        };
        let prog = match self.checker_program() {
            Ok(p) => p,
            Err(e) => {
                return Ok((
                    checker::Checked {
                        result: CheckResult::Failed,
                        message: String::new(),
                        failure: Some(e),
                        score_multiplier: None,
                    },
                    None,
                ));
            }
        };
        let fb_dir = dir.join("feedback");
        std::fs::create_dir_all(&fb_dir).map_err(io("create feedback dir", &fb_dir))?;
        let (copy_out, read_fb) = Self::feedback_io(dir);
        let (argv, stdin, copy_in, copy_out) = match protocol {
            Protocol::Kattis => {
                let mut extra = vec![
                    "/box/judge.in".to_string(),
                    "/box/judge.ans".to_string(),
                    "/box/feedback/".to_string(),
                ];
                extra.extend(test.validator_args.iter().cloned());
                (
                    prog.argv(self.problem.limits.validation_memory_mib, &extra),
                    Stdin::File(output.to_path_buf()),
                    validator_files(test, &fb_dir),
                    copy_out,
                )
            }
            Protocol::Testlib => (
                prog.argv(
                    self.problem.limits.validation_memory_mib,
                    &[
                        "/box/input.txt".into(),
                        "/box/output.txt".into(),
                        "/box/answer.txt".into(),
                    ],
                ),
                Stdin::Null,
                vec![
                    CopyIn {
                        src: test.input.clone(),
                        dst: "input.txt".into(),
                    },
                    CopyIn {
                        src: output.to_path_buf(),
                        dst: "output.txt".into(),
                    },
                    CopyIn {
                        src: test.answer.clone(),
                        dst: "answer.txt".into(),
                    },
                ],
                Vec::new(),
            ),
        };
        let spec = SandboxSpec {
            argv,
            env: prog.profile.environment(),
            limits: self.checker_limits(),
            stdin,
            stdout: Output::Capture,
            stderr: Output::Capture,
            binds: prog.binds(),
            system_binds: true,
            copy_in,
            copy_out,
            net: sandbox::Net::None,
            seccomp: self
                .sandboxes
                .policy(prog.profile.seccomp.as_deref(), &prog.profile.name)?,
        };
        let outcome = match self.sandboxes.run(spec) {
            Ok(o) => o,
            Err(e) => {
                return Ok((
                    checker::Checked {
                        result: CheckResult::Failed,
                        message: String::new(),
                        failure: Some(format!("checker sandbox failed: {e}")),
                        score_multiplier: None,
                    },
                    None,
                ));
            }
        };
        let status = sandbox::classify(&outcome);
        let checked = match protocol {
            Protocol::Kattis => checker::map_kattis(status, &outcome, &read_fb()),
            Protocol::Testlib => checker::map_testlib(status, &outcome),
        };
        Ok((checked, Some(RunFields::from_outcome(status, &outcome))))
    }

    fn default_check(
        &self,
        test: &TestCase,
        output: &Path,
    ) -> Result<checker::Checked, JudgeError> {
        let out = std::fs::read(output).map_err(io("read output", output))?;
        let ans = std::fs::read(&test.answer).map_err(io("read answer", &test.answer))?;
        let flags = test.default_flags.clone().unwrap_or_default();
        let (result, message) = match default_validator::validate(&out, &ans, &flags) {
            Judgement::Accepted => (CheckResult::Accepted { score: None }, String::new()),
            Judgement::WrongAnswer(m) => (CheckResult::WrongAnswer, m),
        };
        Ok(checker::Checked {
            result,
            message,
            failure: None,
            score_multiplier: None,
        })
    }

    /// The sandbox of one (non-interactive) test run: the program at `/prog`, the test's
    /// input on stdin, stdout to the host file `output`. Public so that the speed test can
    /// time `sandbox::run` on exactly the spec the judge uses.
    ///
    /// # Errors
    /// The profile's seccomp policy cannot be loaded.
    pub fn test_spec(
        &self,
        program: &Program,
        test: &TestCase,
        output: &Path,
        cpu: Option<usize>,
    ) -> Result<SandboxSpec, JudgeError> {
        Ok(SandboxSpec {
            argv: program.argv(self.settings.memory_mib, &test.args),
            env: program.profile.environment(),
            limits: self.run_limits(program, cpu),
            stdin: Stdin::File(test.input.clone()),
            stdout: Output::File(output.to_path_buf()),
            stderr: Output::Capture,
            binds: program.binds(),
            system_binds: true,
            copy_in: Self::files_copy_in(test),
            copy_out: Vec::new(),
            net: sandbox::Net::None,
            seccomp: self
                .sandboxes
                .policy(program.profile.seccomp.as_deref(), &program.profile.name)?,
        })
    }

    /// One test: a fresh sandbox for the submission, then the checker.
    fn run_test(
        &self,
        program: &Program,
        i: usize,
        work: &Path,
        cpu: Option<usize>,
    ) -> Result<(TestReport, TestResult), JudgeError> {
        let test = &self.problem.tests[i];
        let dir = work.join(format!("test{i}"));
        std::fs::create_dir_all(&dir).map_err(io("create test dir", &dir))?;
        if self.problem.interactive {
            return self.run_interactive(program, test, &dir, cpu);
        }
        let output = dir.join("output");
        let spec = self.test_spec(program, test, &output, cpu)?;
        let outcome = match self.sandboxes.run_repeated(spec) {
            Ok(o) => o,
            Err(e) => return Ok(judge_error_test(test, format!("sandbox failed: {e}"))),
        };
        let status = sandbox::classify(&outcome);
        let run = RunFields::from_outcome(status, &outcome);
        let stderr = Text::from_bytes(&outcome.stderr.bytes, outcome.stderr.truncated, STDERR_MAX);
        // A run that hit a limit or crashed gets its verdict without consulting the
        // checker: a correct output never rescues it.
        let (checked, checker_run) = if verdict::from_run_status(status).is_some() {
            (None, None)
        } else if self.problem.checker == Checker::Default {
            (Some(self.default_check(test, &output)?), None)
        } else {
            let (c, r) = self.run_checker(test, &output, &dir)?;
            (Some(c), r)
        };
        let v = verdict::test_verdict(status, checked.as_ref().map(|c| &c.result));
        Ok(make_test(test, v, run, None, checked, checker_run, stderr))
    }

    fn run_interactive(
        &self,
        program: &Program,
        test: &TestCase,
        dir: &Path,
        cpu: Option<usize>,
    ) -> Result<(TestReport, TestResult), JudgeError> {
        let inter = match self.checker_program() {
            Ok(p) => p,
            Err(e) => return Ok(judge_error_test(test, e)),
        };
        let fb_dir = dir.join("feedback");
        std::fs::create_dir_all(&fb_dir).map_err(io("create feedback dir", &fb_dir))?;
        let (copy_out, read_fb) = Self::feedback_io(dir);
        let sub_seccomp = self
            .sandboxes
            .policy(program.profile.seccomp.as_deref(), &program.profile.name)?;
        let int_seccomp = self
            .sandboxes
            .policy(inter.profile.seccomp.as_deref(), &inter.profile.name)?;
        let mut int_limits = self.checker_limits();
        // The interactor outlives the submission's wall limit, so that a deadlock ends
        // at the submission's limit (time_limit_exceeded), not at the interactor's.
        int_limits.wall_time = Some(self.settings.wall_time_limit + Duration::from_secs(2));
        let mut extra = vec![
            "/box/judge.in".to_string(),
            "/box/judge.ans".to_string(),
            "/box/feedback/".to_string(),
        ];
        extra.extend(test.validator_args.iter().cloned());
        let pair = interactive::run_pair(&*self.sandboxes.runner, |ends| {
            let sub = SandboxSpec {
                argv: program.argv(self.settings.memory_mib, &test.args),
                env: program.profile.environment(),
                limits: self.run_limits(program, cpu),
                stdin: Stdin::Fd(ends.submission_stdin),
                stdout: Output::Fd(ends.submission_stdout),
                stderr: Output::Capture,
                binds: program.binds(),
                system_binds: true,
                copy_in: Self::files_copy_in(test),
                copy_out: Vec::new(),
                net: sandbox::Net::None,
                seccomp: sub_seccomp,
            };
            let int = SandboxSpec {
                argv: inter.argv(self.problem.limits.validation_memory_mib, &extra),
                env: inter.profile.environment(),
                limits: int_limits,
                stdin: Stdin::Fd(ends.interactor_stdin),
                stdout: Output::Fd(ends.interactor_stdout),
                stderr: Output::Capture,
                binds: inter.binds(),
                system_binds: true,
                copy_in: validator_files(test, &fb_dir),
                copy_out,
                net: sandbox::Net::None,
                seccomp: int_seccomp,
            };
            (sub, int)
        })
        .map_err(io("create pipes", dir))?;
        let sub = match pair.submission {
            Ok(o) => o,
            Err(e) => {
                return Ok(judge_error_test(
                    test,
                    format!("sandbox failed (submission): {e}"),
                ));
            }
        };
        let int = match pair.interactor {
            Ok(o) => o,
            Err(e) => {
                return Ok(judge_error_test(
                    test,
                    format!("sandbox failed (interactor): {e}"),
                ));
            }
        };
        let sub_status = sandbox::classify(&sub);
        let int_status = sandbox::classify(&int);
        let checked = interactive::check(int_status, &int, &read_fb());
        let v = interactive::verdict(sub_status, &checked, pair.interactor_first);
        let stderr = Text::from_bytes(&sub.stderr.bytes, sub.stderr.truncated, STDERR_MAX);
        Ok(make_test(
            test,
            v,
            RunFields::from_outcome(sub_status, &sub),
            Some(RunFields::from_outcome(int_status, &int)),
            Some(checked),
            None,
            stderr,
        ))
    }
}

/// What a validator or interactor gets in its box: the test's input and answer, and
/// the (empty) feedback directory of the format's protocol.
fn validator_files(test: &TestCase, fb_dir: &Path) -> Vec<CopyIn> {
    vec![
        CopyIn { src: test.input.clone(), dst: "judge.in".into() },
        CopyIn { src: test.answer.clone(), dst: "judge.ans".into() },
        CopyIn { src: fb_dir.to_path_buf(), dst: "feedback".into() },
    ]
}

fn judge_error_test(test: &TestCase, why: String) -> (TestReport, TestResult) {
    (
        TestReport {
            name: test.name.clone(),
            verdict: Verdict::JudgeError,
            run: RunFields::internal_error(),
            checker: None,
            interactor: None,
            score: None,
            score_multiplier: None,
            stderr: Text::default(),
            judge_error: Some(why),
        },
        TestResult {
            verdict: Verdict::JudgeError,
            score: None,
            multiplier: None,
        },
    )
}

fn make_test(
    test: &TestCase,
    v: Verdict,
    run: RunFields,
    interactor: Option<RunFields>,
    checked: Option<checker::Checked>,
    checker_run: Option<RunFields>,
    stderr: Text,
) -> (TestReport, TestResult) {
    let (score, mult) = match &checked {
        Some(c) if v == Verdict::Accepted => match c.result {
            CheckResult::Accepted { score } => (score, c.score_multiplier),
            _ => (None, None),
        },
        _ => (None, None),
    };
    let judge_error = checked.as_ref().and_then(|c| c.failure.clone());
    let checker = checked.map(|c| CheckerReport {
        verdict: match c.result {
            CheckResult::Accepted { .. } => Verdict::Accepted,
            CheckResult::WrongAnswer => Verdict::WrongAnswer,
            CheckResult::Failed => Verdict::JudgeError,
        },
        message: c.message,
        run: checker_run,
    });
    (
        TestReport {
            name: test.name.clone(),
            verdict: v,
            run,
            checker,
            interactor,
            score,
            score_multiplier: mult,
            stderr,
            judge_error: if v == Verdict::JudgeError {
                judge_error
            } else {
                None
            },
        },
        TestResult {
            verdict: v,
            score,
            multiplier: mult,
        },
    )
}

/// A one-screen summary for a terminal.
pub fn summary(r: &Report) -> String {
    let mut s = format!(
        "{} [{}] {}: {}\n",
        r.submission.path,
        r.language,
        r.problem.name,
        r.verdict.as_str().to_uppercase()
    );
    if let Some(c) = &r.compile
        && c.result != "ok"
    {
        let first: Vec<&str> = c.messages.text.lines().take(10).collect();
        s.push_str(&format!(
            "  compile: {}\n    {}\n",
            c.result,
            first.join("\n    ")
        ));
    }
    for t in &r.tests {
        s.push_str(&format!(
            "  {:<32} {:<22} {:>8.0} ms {:>8.1} MiB{}\n",
            t.name,
            t.verdict.as_str(),
            t.run.cpu_time_ms,
            t.run.memory_peak_bytes as f64 / 1048576.0,
            t.checker
                .as_ref()
                .filter(|c| !c.message.is_empty())
                .map(|c| format!("  {}", c.message.lines().next().unwrap_or("")))
                .unwrap_or_default()
        ));
    }
    if let Some(sc) = &r.score {
        s.push_str(&format!(
            "  score: {}{}\n",
            sc.score,
            sc.max_score.map(|m| format!(" / {m}")).unwrap_or_default()
        ));
    }
    s.push_str(&format!(
        "  {}/{} tests accepted, max CPU {:.0} ms, max memory {:.1} MiB\n",
        r.totals.accepted,
        r.totals.tests,
        r.totals.max_cpu_time_ms,
        r.totals.max_memory_peak_bytes as f64 / 1048576.0
    ));
    for w in &r.warnings {
        s.push_str(&format!("  warning: {w}\n"));
    }
    s
}

/// `dokeru judge`: returns the exit code (0 when a report was produced, whatever the
/// verdict).
///
/// # Errors
/// Bad arguments, package or profile; a host or sandbox failure.
pub fn judge_command(args: &JudgeArgs) -> Result<i32, JudgeError> {
    let profiles = super::profile::load_for(args)?;
    let problem = Problem::load(&args.problem)?;
    let mut warnings = problem.warnings.clone();
    let mut settings = Settings::new(
        &problem,
        args.time,
        args.wall_time,
        args.jobs,
        args.fail_fast,
        &mut warnings,
    )?;
    let terminal = std::io::stderr().is_terminal() && !args.quiet;
    settings.progress = terminal;
    let sandboxes = Sandboxes::new(profiles.seccomp_dir.clone());
    let ctx = Context::new(problem, profiles, sandboxes, settings, warnings)?;
    let report = ctx.judge(&args.submission, args.lang.as_deref(), 0)?;
    let json =
        serde_json::to_string_pretty(&report).map_err(|e| JudgeError::WriteReport(e.into()))?;
    match &args.report {
        Some(p) => std::fs::write(p, json + "\n").map_err(JudgeError::WriteReport)?,
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}").map_err(JudgeError::WriteReport)?;
        }
    }
    if terminal {
        eprint!("{}", summary(&report));
    }
    Ok(0)
}

/// Compile-error report body, shared with verify's table.
pub fn compile_failed(r: &Report) -> Option<&CompileReport> {
    r.compile.as_ref().filter(|c| c.result != "ok")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::problem::tests::package;
    use std::sync::Arc;

    fn ctx_for(dir: &Path, time: f64) -> Context {
        let problem = Problem::load(dir).unwrap();
        let profiles = ProfileSet::load(&[]).unwrap();
        let mut w = Vec::new();
        let settings = Settings::new(&problem, Some(time), None, Some(2), false, &mut w).unwrap();
        Context::new(problem, profiles, exec::fake::sandboxes(), settings, w).unwrap()
    }

    fn hello() -> tempfile::TempDir {
        package(&[
            ("problem.yaml", "name: Hello\n"),
            ("data/sample/1.in", "world\n"),
            ("data/sample/1.ans", "Hello, world!\n"),
            ("data/secret/1.in", "moon\n"),
            ("data/secret/1.ans", "Hello, moon!\n"),
            ("sub/ok.py", "print('Hello, ' + input() + '!')\n"),
            ("sub/wa.py", "print('Hello, world!')\n"),
            (
                "sub/rte.py",
                "import sys\nprint('Hello, ' + input() + '!')\nsys.exit(3)\n",
            ),
            ("sub/syntax.py", "print(\n"),
            ("sub/slow.sh", "read x; echo \"Hello, $x!\"; sleep 5\n"),
        ])
    }

    #[test]
    fn orchestration_with_the_fake_runner() {
        let d = hello();
        let ctx = ctx_for(d.path(), 0.5);
        let r = ctx.judge(&d.path().join("sub/ok.py"), None, 0).unwrap();
        assert_eq!(
            r.verdict,
            Verdict::Accepted,
            "{}",
            serde_json::to_string_pretty(&r).unwrap()
        );
        assert_eq!(r.tests.len(), 2);
        assert_eq!(r.tests[0].name, "sample/1");
        let r = ctx.judge(&d.path().join("sub/wa.py"), None, 1).unwrap();
        assert_eq!(r.verdict, Verdict::WrongAnswer);
        assert_eq!(r.tests[0].verdict, Verdict::Accepted);
        assert!(
            r.tests[1]
                .checker
                .as_ref()
                .unwrap()
                .message
                .contains("moon")
        );
        // Correct output, then a non-zero exit: never rescued.
        let r = ctx.judge(&d.path().join("sub/rte.py"), None, 2).unwrap();
        assert_eq!(r.verdict, Verdict::RunTimeError);
        assert!(r.tests[0].checker.is_none());
        let r = ctx.judge(&d.path().join("sub/syntax.py"), None, 3).unwrap();
        assert_eq!(r.verdict, Verdict::CompileError);
        assert!(r.compile.unwrap().messages.text.contains("SyntaxError"));
        // Correct output, then sleeps past the wall limit (0.5 * 1.5 + 1 s).
        let r = ctx.judge(&d.path().join("sub/slow.sh"), None, 4).unwrap();
        assert_eq!(r.verdict, Verdict::TimeLimitExceeded);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["schema"], 1);
        assert_eq!(v["tests"][0]["status"], "wall_time_limit_exceeded");
    }

    #[test]
    fn fail_fast_stops_starting_tests() {
        let d = hello();
        let problem = Problem::load(d.path()).unwrap();
        let mut w = Vec::new();
        let settings = Settings::new(&problem, Some(1.0), None, Some(1), true, &mut w).unwrap();
        let ctx = Context::new(
            problem,
            ProfileSet::load(&[]).unwrap(),
            exec::fake::sandboxes(),
            settings,
            w,
        )
        .unwrap();
        let r = ctx.judge(&d.path().join("sub/rte.py"), None, 0).unwrap();
        assert_eq!(r.tests.len(), 1);
        assert_eq!(r.totals.tests, 2);
    }

    #[test]
    fn custom_validator_and_crashing_validator() {
        let d = package(&[
            ("problem.yaml", "validation: custom\n"),
            ("data/secret/1.in", "3\n"),
            ("data/secret/1.ans", "9\n"),
            (
                "output_validators/v/v.py",
                concat!(
                    "import sys\n",
                    "inp, ans, fb = sys.argv[1], sys.argv[2], sys.argv[3]\n",
                    "n = int(open(inp).read())\n",
                    "out = sys.stdin.read().split()\n",
                    "if out == ['crash']: raise SystemExit(1)\n",
                    "ok = len(out) == 1 and int(out[0]) == n * n\n",
                    "open(fb + 'judgemessage.txt', 'w').write('got %s' % out)\n",
                    "sys.exit(42 if ok else 43)\n"
                ),
            ),
            ("sub/ok.sh", "read n; echo $((n*n))\n"),
            ("sub/wa.sh", "echo 10\n"),
            ("sub/crash.sh", "echo crash\n"),
        ]);
        let ctx = ctx_for(d.path(), 2.0);
        let r = ctx.judge(&d.path().join("sub/ok.sh"), None, 0).unwrap();
        assert_eq!(
            r.verdict,
            Verdict::Accepted,
            "{}",
            serde_json::to_string_pretty(&r).unwrap()
        );
        let r = ctx.judge(&d.path().join("sub/wa.sh"), None, 1).unwrap();
        assert_eq!(r.verdict, Verdict::WrongAnswer);
        assert_eq!(r.tests[0].checker.as_ref().unwrap().message, "got ['10']");
        let r = ctx.judge(&d.path().join("sub/crash.sh"), None, 2).unwrap();
        assert_eq!(r.verdict, Verdict::JudgeError);
        assert!(
            r.tests[0]
                .judge_error
                .as_ref()
                .unwrap()
                .contains("exited with 1")
        );
    }

    #[test]
    fn interactive_pipes_and_precedence() {
        let d = package(&[
            ("problem.yaml", "validation: custom interactive\n"),
            ("data/secret/1.in", "42\n"),
            ("data/secret/1.ans", "42\n"),
            (
                "output_validators/i/i.py",
                concat!(
                    "import sys\n",
                    "secret = int(open(sys.argv[1]).read())\n",
                    "for _ in range(10):\n",
                    "    line = sys.stdin.readline()\n",
                    "    if not line: sys.exit(43)\n",
                    "    g = int(line)\n",
                    "    if g == secret:\n",
                    "        print('correct', flush=True); sys.exit(42)\n",
                    "    print('higher' if g < secret else 'lower', flush=True)\n",
                    "sys.exit(43)\n"
                ),
            ),
            (
                "sub/ok.py",
                concat!(
                    "lo, hi = 1, 100\n",
                    "while True:\n",
                    "    m = (lo + hi) // 2\n",
                    "    print(m, flush=True)\n",
                    "    r = input()\n",
                    "    if r == 'correct': break\n",
                    "    if r == 'higher': lo = m + 1\n",
                    "    else: hi = m - 1\n"
                ),
            ),
            (
                "sub/wrong_then_hang.sh",
                "for i in 1 2 3 4 5 6 7 8 9 10 11; do echo 1; done; exec sleep 30\n",
            ),
            ("sub/deadlock.sh", "exec sleep 30\n"),
        ]);
        let ctx = ctx_for(d.path(), 0.5);
        let r = ctx.judge(&d.path().join("sub/ok.py"), None, 0).unwrap();
        assert_eq!(
            r.verdict,
            Verdict::Accepted,
            "{}",
            serde_json::to_string_pretty(&r).unwrap()
        );
        assert!(r.tests[0].interactor.is_some());
        let r = ctx
            .judge(&d.path().join("sub/wrong_then_hang.sh"), None, 1)
            .unwrap();
        assert_eq!(
            r.verdict,
            Verdict::WrongAnswer,
            "{}",
            serde_json::to_string_pretty(&r).unwrap()
        );
        let r = ctx
            .judge(&d.path().join("sub/deadlock.sh"), None, 2)
            .unwrap();
        assert_eq!(
            r.verdict,
            Verdict::TimeLimitExceeded,
            "{}",
            serde_json::to_string_pretty(&r).unwrap()
        );
    }

    #[test]
    fn settings_follow_judge_md() {
        let d = hello();
        let p = Problem::load(d.path()).unwrap();
        let mut w = Vec::new();
        let s = Settings::new(&p, Some(2.0), None, Some(1), false, &mut w).unwrap();
        assert_eq!(s.wall_time_limit, Duration::from_secs(4));
        assert_eq!(s.memory_mib, 2048);
        assert_eq!(s.output_bytes, 8 << 20);
        let s = Settings::new(&p, None, None, Some(1), false, &mut w).unwrap();
        assert_eq!(s.time_limit, Duration::from_secs(1));
        assert!(w[0].contains("no time limit"));
        assert!(Settings::new(&p, Some(-1.0), None, None, false, &mut w).is_err());
        assert!(Settings::new(&p, None, None, Some(0), false, &mut w).is_err());
        let _ = Arc::new(());
    }
}
