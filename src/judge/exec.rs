//! Everything the judge asks of the sandbox: compiling a program once into a host
//! directory, and building the [`SandboxSpec`]s of runs that bind it read-only at
//! `/prog`. The one call into the sandbox is [`run_sandboxed`].

use super::JudgeError;
use super::checker::truncate;
use super::profile::{PROG_DIR, Profile};
use super::report::{CompileReport, RunFields, Text};
use crate::sandbox::{
    self, Bind, CopyIn, CopyOut, Limits, Outcome, Output, SandboxError, SandboxSpec, Stdin,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The one place the judge calls the sandbox.
///
/// # Errors
/// The sandbox could not do its job; the caller turns it into `judge_error`.
pub fn run_sandboxed(spec: SandboxSpec) -> Result<Outcome, SandboxError> {
    sandbox::run(spec)
}

/// How runs are executed: [`run_sandboxed`] in production; unit tests plug in a fake.
pub type Runner = Arc<dyn Fn(SandboxSpec) -> Result<Outcome, SandboxError> + Send + Sync>;

/// The sandbox runner plus the seccomp policies, loaded once per name and shared.
pub struct Sandboxes {
    pub runner: Runner,
    seccomp_dir: PathBuf,
    /// `false` only in unit tests whose fake runner has no seccomp.
    seccomp_enabled: bool,
    /// Test runs go through [`sandbox::run_and_prepare_next`] (the real sandbox
    /// only; a fake runner is called as is).
    prepare_ahead: bool,
    cache: Mutex<HashMap<String, Arc<sandbox::seccomp::Policy>>>,
}

impl Sandboxes {
    pub fn new(seccomp_dir: PathBuf) -> Sandboxes {
        Sandboxes {
            runner: Arc::new(run_sandboxed),
            seccomp_dir,
            seccomp_enabled: true,
            prepare_ahead: true,
            cache: Mutex::new(HashMap::new()),
        }
    }

    #[cfg(test)]
    pub(crate) fn fake(runner: Runner) -> Sandboxes {
        Sandboxes {
            runner,
            seccomp_dir: PathBuf::new(),
            seccomp_enabled: false,
            prepare_ahead: false,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The compiled policy `name` (`None` for no filter).
    ///
    /// # Errors
    /// The policy does not exist or does not compile.
    pub fn policy(
        &self,
        name: Option<&str>,
        profile: &str,
    ) -> Result<Option<Arc<sandbox::seccomp::Policy>>, JudgeError> {
        let Some(name) = name else { return Ok(None) };
        if !self.seccomp_enabled {
            return Ok(None);
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(name) {
            return Ok(Some(p.clone()));
        }
        let p = Arc::new(
            sandbox::seccomp::Policy::load(name, &self.seccomp_dir).map_err(|source| {
                JudgeError::Seccomp {
                    profile: profile.to_string(),
                    source,
                }
            })?,
        );
        cache.insert(name.to_string(), p.clone());
        Ok(Some(p))
    }

    pub fn run(&self, spec: SandboxSpec) -> Result<Outcome, SandboxError> {
        (self.runner)(spec)
    }

    /// A run this thread will repeat with other stdio (a submission on test after
    /// test): the next identical sandbox is prepared while this one runs.
    pub fn run_repeated(&self, spec: SandboxSpec) -> Result<Outcome, SandboxError> {
        if self.prepare_ahead {
            sandbox::run_and_prepare_next(spec)
        } else {
            (self.runner)(spec)
        }
    }

    /// The calling thread is done with runs: tear down what it prepared ahead.
    pub fn release_thread(&self) {
        if self.prepare_ahead {
            sandbox::release_prepared();
        }
    }
}

/// Source files of a program: the file itself, or the visible regular files of a
/// directory (sorted; hidden files and subdirectories are not part of it).
///
/// # Errors
/// Unreadable path, or no file at all.
pub fn collect_sources(path: &Path) -> Result<Vec<PathBuf>, JudgeError> {
    let meta = std::fs::metadata(path).map_err(|source| JudgeError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let rd = std::fs::read_dir(path).map_err(|source| JudgeError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    v.sort();
    if v.is_empty() {
        return Err(JudgeError::Submission {
            path: path.to_path_buf(),
            message: "no source files".into(),
        });
    }
    Ok(v)
}

/// The entry file among a profile's sources: the only one, else one named like an
/// entry point (`main`, `Main`, `__main__`), else the first in name order.
fn pick_main(sources: &[String]) -> Option<String> {
    if sources.len() == 1 {
        return sources.first().cloned();
    }
    let stem = |s: &String| {
        Path::new(s)
            .file_stem()
            .and_then(|x| x.to_str())
            .unwrap_or("")
            .to_string()
    };
    sources
        .iter()
        .find(|s| matches!(stem(s).as_str(), "main" | "Main" | "__main__"))
        .or_else(|| sources.first())
        .cloned()
}

/// A program ready to run: its host directory is bound read-only at `/prog`.
#[derive(Debug, Clone)]
pub struct Program {
    pub dir: PathBuf,
    pub profile: Profile,
    pub main: String,
    pub sources: Vec<String>,
}

/// Substitute the placeholders of a profile command.
pub fn expand(cmd: &[String], sources: &[String], main: &str, memory_mib: u64) -> Vec<String> {
    let stem = Path::new(main)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(main);
    let mut out = Vec::new();
    for a in cmd {
        if a == "{sources}" {
            out.extend(sources.iter().cloned());
            continue;
        }
        out.push(
            a.replace("{main}", main)
                .replace("{stem}", stem)
                .replace("{memory_mib}", &memory_mib.to_string())
                .replace("{prog}", PROG_DIR),
        );
    }
    out
}

impl Program {
    /// argv of a run; `memory_mib` is the problem's limit (for `-Xmx` and the like).
    pub fn argv(&self, memory_mib: u64, extra: &[String]) -> Vec<String> {
        let mut v = expand(
            &self.profile.run_command,
            &self.sources,
            &self.main,
            memory_mib,
        );
        v.extend(extra.iter().cloned());
        v
    }

    /// The binds of a run: the program dir at `/prog`, then the profile's own.
    pub fn binds(&self) -> Vec<Bind> {
        let mut b = vec![Bind {
            src: self.dir.clone(),
            dst: PathBuf::from(PROG_DIR),
            writable: false,
        }];
        b.extend(self.profile.binds.iter().map(|(s, d)| Bind {
            src: s.clone(),
            dst: d.clone(),
            writable: false,
        }));
        b
    }
}

/// Result of building a program.
pub struct Build {
    pub program: Option<Program>,
    pub report: CompileReport,
}

/// How many bytes of compiler messages a report keeps.
pub const COMPILE_MESSAGES_MAX: usize = 64 << 10;

/// Copy the sources (and `include/` files, which win on a name clash, as the format
/// says) into `work/prog`, and compile there in a sandbox of the profile's compile
/// limits. A compiler that fails, crashes or hits a limit is a compile error; only
/// a sandbox failure is an `Err`.
///
/// # Errors
/// Host file operations or the sandbox failed; a seccomp policy is missing.
pub fn build(
    sb: &Sandboxes,
    profile: &Profile,
    sources: &[PathBuf],
    include: Option<&Path>,
    work: &Path,
    overrides: &CompileOverrides,
) -> Result<Build, JudgeError> {
    let dir = work.join("prog");
    std::fs::create_dir_all(&dir).map_err(|source| JudgeError::Io {
        step: "create program dir",
        path: dir.clone(),
        source,
    })?;
    let mut files: Vec<PathBuf> = sources.to_vec();
    if let Some(inc) = include {
        for f in collect_sources(inc)? {
            files.retain(|s| s.file_name() != f.file_name());
            files.push(f);
        }
    }
    let mut names = Vec::new();
    for f in &files {
        let name = f.file_name().map(PathBuf::from).unwrap_or_default();
        let dst = dir.join(&name);
        std::fs::copy(f, &dst).map_err(|source| JudgeError::Io {
            step: "copy source",
            path: f.clone(),
            source,
        })?;
        names.push(name.to_string_lossy().into_owned());
    }
    let lang_sources: Vec<String> = names
        .iter()
        .filter(|n| profile.matches_extension(Path::new(n)))
        .cloned()
        .collect();
    let main = pick_main(&lang_sources).ok_or_else(|| JudgeError::Submission {
        path: sources.first().cloned().unwrap_or_default(),
        message: format!("no file with an extension of profile {}", profile.name),
    })?;
    let program = Program {
        dir: dir.clone(),
        profile: profile.clone(),
        main: main.clone(),
        sources: lang_sources.clone(),
    };
    let Some(compile) = &profile.compile else {
        return Ok(Build {
            program: Some(program),
            report: CompileReport {
                result: "ok".into(),
                run: None,
                messages: Text::default(),
            },
        });
    };
    let mut lim = compile.limits.clone();
    if let Some(t) = overrides.time {
        lim.cpu_time = lim.cpu_time.max(t);
        lim.wall_time = lim.wall_time.max(t * 2);
    }
    if let Some(m) = overrides.memory_bytes {
        lim.memory_bytes = lim.memory_bytes.max(m);
    }
    let spec = SandboxSpec {
        argv: expand(&compile.command, &lang_sources, &main, 0),
        env: profile.environment(),
        limits: Limits {
            cpu_time: Some(lim.cpu_time),
            wall_time: Some(lim.wall_time),
            memory_bytes: Some(lim.memory_bytes),
            cpu_period_us: 100_000,
            pids: Some(lim.pids),
            fsize_bytes: Some(lim.disk_bytes),
            disk_bytes: lim.disk_bytes,
            output_bytes: Some(lim.output_bytes),
            ..Limits::default()
        },
        stdin: Stdin::Null,
        stdout: Output::Capture,
        stderr: Output::Capture,
        binds: profile
            .binds
            .iter()
            .map(|(s, d)| Bind {
                src: s.clone(),
                dst: d.clone(),
                writable: false,
            })
            .collect(),
        system_binds: true,
        copy_in: names
            .iter()
            .map(|n| CopyIn {
                src: dir.join(n),
                dst: PathBuf::from(n),
            })
            .collect(),
        copy_out: compile
            .artifacts
            .iter()
            .map(|a| CopyOut {
                src: PathBuf::from(a),
                dst: dir.join(a),
                max_bytes: 512 << 20,
            })
            .collect(),
        net: sandbox::Net::None,
        seccomp: sb.policy(compile.seccomp.as_deref(), &profile.name)?,
    };
    let outcome = sb.run(spec).map_err(|source| JudgeError::Sandbox {
        step: format!("compile with {}", profile.name),
        source,
    })?;
    let status = sandbox::classify(&outcome);
    let mut msg = outcome.stdout.bytes.clone();
    msg.extend_from_slice(&outcome.stderr.bytes);
    let mut messages = Text::from_bytes(
        &msg,
        outcome.stdout.truncated || outcome.stderr.truncated,
        COMPILE_MESSAGES_MAX,
    );
    let missing: Vec<&String> = compile
        .artifacts
        .iter()
        .filter(|a| !dir.join(a).is_file())
        .collect();
    // copy_out brings back plain data (it never trusts modes set inside the box): the
    // artifacts are made executable and world-readable here, for the sandbox user.
    for a in &compile.artifacts {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(a);
        if p.is_file() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).map_err(
                |source| JudgeError::Io {
                    step: "chmod artifact",
                    path: p.clone(),
                    source,
                },
            )?;
        }
    }
    let ok = status == sandbox::Status::Ok && missing.is_empty();
    if status != sandbox::Status::Ok {
        let why = match status {
            sandbox::Status::TimeLimitExceeded | sandbox::Status::WallTimeLimitExceeded => {
                "compiler ran out of time"
            }
            sandbox::Status::MemoryLimitExceeded => "compiler ran out of memory",
            sandbox::Status::OutputLimitExceeded => "compiler wrote too many messages",
            _ => "compiler failed",
        };
        messages.text = format!(
            "{}\n[dokeru: {why} ({})]",
            truncate(&messages.text, COMPILE_MESSAGES_MAX),
            status.as_str()
        );
    } else if !missing.is_empty() {
        messages.text.push_str(&format!(
            "\n[dokeru: the compiler did not produce {missing:?}]"
        ));
    }
    Ok(Build {
        program: ok.then_some(program),
        report: CompileReport {
            result: if ok {
                "ok".into()
            } else {
                "compile_error".into()
            },
            run: Some(RunFields::from_outcome(status, &outcome)),
            messages,
        },
    })
}

/// Package limits that raise a profile's compile limits (`compilation_time`/`_memory`).
#[derive(Debug, Clone, Default)]
pub struct CompileOverrides {
    pub time: Option<Duration>,
    pub memory_bytes: Option<u64>,
}

/// A fake runner for unit tests: runs argv directly on the host (no isolation), with
/// `/box` and `/prog` rewritten to temp dirs, a wall-clock limit only. It lets the
/// orchestration be tested before and independently of the real sandbox.
#[cfg(test)]
pub(crate) mod fake {
    use super::*;
    use crate::sandbox::{Captured, Enforced, Facts, Termination};
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    use std::time::Instant;

    fn rewrite(s: &str, boxdir: &Path, prog: Option<&Path>) -> String {
        let mut s = s.replace("/box", &boxdir.to_string_lossy());
        if let Some(p) = prog {
            s = s.replace(PROG_DIR, &p.to_string_lossy());
        }
        s
    }

    fn copy_rec(src: &Path, dst: &Path) {
        if src.is_dir() {
            std::fs::create_dir_all(dst).unwrap();
            for e in std::fs::read_dir(src).unwrap() {
                let e = e.unwrap();
                copy_rec(&e.path(), &dst.join(e.file_name()));
            }
        } else {
            std::fs::copy(src, dst).unwrap();
        }
    }

    pub(crate) fn run(spec: SandboxSpec) -> Result<Outcome, SandboxError> {
        let boxdir = tempfile::tempdir().unwrap();
        let prog = spec
            .binds
            .iter()
            .find(|b| b.dst == Path::new(PROG_DIR))
            .map(|b| b.src.clone());
        for c in &spec.copy_in {
            copy_rec(&c.src, &boxdir.path().join(&c.dst));
        }
        let argv: Vec<String> = spec
            .argv
            .iter()
            .map(|a| rewrite(a, boxdir.path(), prog.as_deref()))
            .collect();
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).current_dir(boxdir.path()).env_clear();
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        cmd.stdin(match spec.stdin {
            Stdin::Null => Stdio::null(),
            Stdin::File(p) => Stdio::from(std::fs::File::open(p).unwrap()),
            Stdin::Fd(fd) => Stdio::from(fd),
        });
        let mut out_file = None;
        cmd.stdout(match spec.stdout {
            Output::Capture => Stdio::piped(),
            Output::File(p) => {
                out_file = Some(p);
                Stdio::piped()
            }
            Output::Fd(fd) => Stdio::from(fd),
            Output::Null => Stdio::null(),
        });
        cmd.stderr(match spec.stderr {
            Output::Fd(fd) => Stdio::from(fd),
            Output::Null => Stdio::null(),
            _ => Stdio::piped(),
        });
        let start = Instant::now();
        let mut child = cmd.spawn().map_err(|e| SandboxError {
            step: "spawn".into(),
            message: e.to_string(),
        })?;
        drop(cmd);
        let mut so = child.stdout.take();
        let mut se = child.stderr.take();
        let t1 = std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(s) = so.as_mut() {
                let _ = s.read_to_end(&mut b);
            }
            b
        });
        let t2 = std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(s) = se.as_mut() {
                let _ = s.read_to_end(&mut b);
            }
            b
        });
        let wall = spec.limits.wall_time.unwrap_or(Duration::from_secs(30));
        let mut enforced = Enforced::default();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if start.elapsed() >= wall {
                let _ = child.kill();
                enforced.wall_time = true;
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = start.elapsed();
        let stdout = t1.join().unwrap();
        let stderr = t2.join().unwrap();
        let mut enforced_out = false;
        if let Some(limit) = spec.limits.output_bytes {
            enforced_out = (stdout.len() + stderr.len()) as u64 > limit;
        }
        enforced.output = enforced_out;
        let captured_stdout = if let Some(p) = out_file {
            std::fs::write(p, &stdout).unwrap();
            Captured::default()
        } else {
            Captured {
                bytes: stdout,
                truncated: false,
            }
        };
        for c in &spec.copy_out {
            let src = boxdir.path().join(&c.src);
            if src.is_file() {
                std::fs::copy(&src, &c.dst).unwrap();
            }
        }
        let termination = if enforced.wall_time {
            Termination::Killed
        } else if let Some(sig) = status.signal() {
            Termination::Signaled(sig)
        } else {
            Termination::Exited(status.code().unwrap_or(-1))
        };
        Ok(Outcome {
            termination,
            enforced,
            denied_syscall: None,
            cpu_time: elapsed,
            user_time: elapsed,
            sys_time: Duration::ZERO,
            wall_time: elapsed,
            exited_at: std::time::Instant::now(),
            memory_peak_bytes: 1 << 20,
            oom_killed: false,
            memory_limit_hit: false,
            stdout: captured_stdout,
            stderr: Captured {
                bytes: stderr,
                truncated: false,
            },
            facts: Facts::default(),
            limits: Limits {
                wall_time: spec.limits.wall_time,
                ..Limits::default()
            },
        })
    }

    pub(crate) fn sandboxes() -> Sandboxes {
        Sandboxes::fake(Arc::new(run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_placeholders() {
        let cmd: Vec<String> = [
            "java",
            "-Xmx{memory_mib}m",
            "-cp",
            "{prog}/main.jar",
            "{stem}",
            "{sources}",
        ]
        .map(String::from)
        .to_vec();
        let v = expand(
            &cmd,
            &["A.java".into(), "Main.java".into()],
            "Main.java",
            256,
        );
        assert_eq!(
            v,
            [
                "java",
                "-Xmx256m",
                "-cp",
                "/prog/main.jar",
                "Main",
                "A.java",
                "Main.java"
            ]
        );
    }

    #[test]
    fn pick_main_prefers_entry_names() {
        assert_eq!(pick_main(&["x.py".into()]).as_deref(), Some("x.py"));
        assert_eq!(
            pick_main(&["a.py".into(), "__main__.py".into()]).as_deref(),
            Some("__main__.py")
        );
        assert_eq!(
            pick_main(&["b.c".into(), "a.c".into()]).as_deref(),
            Some("b.c")
        );
        assert_eq!(pick_main(&[]), None);
    }
}
