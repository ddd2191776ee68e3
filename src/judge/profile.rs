//! Language profiles: `profiles/*.toml`, data that says how to compile and run a language.
//!
//! ```toml
//! name = "cpp"                      # defaults to the file stem
//! description = "C++17 (GNU g++)"
//! extensions = ["cpp", "cc"]        # without the dot; how submissions find the profile
//! requires = ["g++"]                # binaries that must exist (default: argv[0]s)
//! binds = ["/root/.rustup:/opt/rustup"] # read-only binds, SRC or SRC:DST
//! [env]                             # on top of PATH, HOME=/box, LANG=C.UTF-8
//! RUSTUP_HOME = "/root/.rustup"
//! [compile]                         # absent: nothing to compile
//! command = ["g++", "-O2", "-o", "main", "{sources}"]
//! artifacts = ["main"]              # files copied out of /box into the program dir
//! time_secs = 20.0                  # compile limits: CPU, wall, memory, output, pids
//! [run]
//! command = ["/prog/main"]          # the program dir is bound read-only at /prog
//! memory_extra_mib = 0              # runtime headroom added to the problem's memory
//! pids = 16
//! seccomp = "default"               # a policy of profiles/seccomp/, or "off"
//! ```
//! Placeholders: `{sources}` (every source, one argument each), `{main}` (the entry
//! file), `{stem}` (its name without extension), `{memory_mib}` (the problem's memory
//! limit), `{prog}` (`/prog`).

use super::{JudgeArgs, JudgeError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the compiled (or copied) program is bound, read-only, in every run.
pub const PROG_DIR: &str = "/prog";
/// PATH inside the sandbox unless a profile sets another.
pub const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

const PLACEHOLDERS: [&str; 5] = ["{sources}", "{main}", "{stem}", "{memory_mib}", "{prog}"];

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Option<String>,
    description: Option<String>,
    extensions: Vec<String>,
    #[serde(default)]
    requires: Option<Vec<String>>,
    #[serde(default)]
    binds: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    compile: Option<RawCompile>,
    run: RawRun,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompile {
    command: Vec<String>,
    #[serde(default)]
    artifacts: Vec<String>,
    time_secs: Option<f64>,
    wall_time_secs: Option<f64>,
    memory_mib: Option<u64>,
    output_kib: Option<u64>,
    pids: Option<u64>,
    disk_mib: Option<u64>,
    seccomp: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    command: Vec<String>,
    #[serde(default)]
    memory_extra_mib: u64,
    pids: Option<u64>,
    seccomp: Option<String>,
}

/// Limits of a compile sandbox.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileLimits {
    pub cpu_time: Duration,
    pub wall_time: Duration,
    pub memory_bytes: u64,
    pub output_bytes: u64,
    pub pids: u64,
    pub disk_bytes: u64,
}

impl Default for CompileLimits {
    /// Generous enough for javac and rustc, small enough that a compiler bomb ends fast.
    fn default() -> Self {
        CompileLimits {
            cpu_time: Duration::from_secs(30),
            wall_time: Duration::from_secs(60),
            memory_bytes: 2048 << 20,
            output_bytes: 1 << 20,
            pids: 64,
            disk_bytes: 256 << 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compile {
    pub command: Vec<String>,
    pub artifacts: Vec<String>,
    pub limits: CompileLimits,
    pub seccomp: Option<String>,
}

/// A validated language profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    pub extensions: Vec<String>,
    pub requires: Vec<String>,
    /// Read-only binds `(host path, path inside)`.
    pub binds: Vec<(PathBuf, PathBuf)>,
    pub env: BTreeMap<String, String>,
    pub compile: Option<Compile>,
    pub run_command: Vec<String>,
    pub memory_extra_bytes: u64,
    pub run_pids: u64,
    /// `None`: no seccomp filter (`"off"`).
    pub seccomp: Option<String>,
}

fn perr(path: &Path, field: &str, message: impl Into<String>) -> JudgeError {
    JudgeError::Profile {
        path: path.to_path_buf(),
        field: field.to_string(),
        message: message.into(),
    }
}

fn check_command(path: &Path, field: &str, cmd: &[String]) -> Result<(), JudgeError> {
    if cmd.is_empty() || cmd[0].is_empty() {
        return Err(perr(path, field, "must be a non-empty list of strings"));
    }
    for arg in cmd {
        let mut rest = arg.as_str();
        while let Some(i) = rest.find('{') {
            let tail = &rest[i..];
            let Some(j) = tail.find('}') else { break };
            let ph = &tail[..=j];
            if !PLACEHOLDERS.contains(&ph) {
                return Err(perr(
                    path,
                    field,
                    format!(
                        "unknown placeholder {ph} (known: {})",
                        PLACEHOLDERS.join(" ")
                    ),
                ));
            }
            rest = &tail[j + 1..];
        }
        if arg.contains("{sources}") && arg != "{sources}" {
            return Err(perr(
                path,
                field,
                "{sources} must be an argument of its own",
            ));
        }
    }
    Ok(())
}

fn secs(
    path: &Path,
    field: &str,
    v: Option<f64>,
    default: Duration,
) -> Result<Duration, JudgeError> {
    match v {
        None => Ok(default),
        // At least a millisecond: a smaller positive value would round to a zero limit.
        Some(x) if x.is_finite() && x >= 0.001 && x < 86400.0 => Ok(Duration::from_secs_f64(x)),
        Some(x) => Err(perr(
            path,
            field,
            format!("{x} is not a number of seconds in [0.001, 86400)"),
        )),
    }
}

fn positive(
    path: &Path,
    field: &str,
    v: Option<u64>,
    default: u64,
    unit: u64,
) -> Result<u64, JudgeError> {
    match v {
        None => Ok(default),
        Some(0) => Err(perr(path, field, "must be > 0")),
        Some(x) => x
            .checked_mul(unit)
            .ok_or_else(|| perr(path, field, "too large")),
    }
}

fn seccomp_name(s: Option<String>) -> Option<String> {
    match s.as_deref() {
        Some("off") => None,
        Some(name) => Some(name.to_string()),
        None => Some("default".to_string()),
    }
}

impl Profile {
    /// Parse and validate one profile file's text.
    ///
    /// # Errors
    /// Bad TOML, an unknown key, a bad value; the error names the file and the field.
    pub fn parse(path: &Path, text: &str) -> Result<Profile, JudgeError> {
        let raw: RawProfile = toml::from_str(text).map_err(|e| {
            let field = e
                .span()
                .map(|s| format!("at byte {}", s.start))
                .unwrap_or_default();
            perr(path, &field, e.message().to_string())
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let name = raw.name.unwrap_or(stem);
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '+')
        {
            return Err(perr(
                path,
                "name",
                format!("{name:?} must be non-empty [A-Za-z0-9_+-]"),
            ));
        }
        if raw.extensions.is_empty() {
            return Err(perr(path, "extensions", "must list at least one extension"));
        }
        for e in &raw.extensions {
            if e.is_empty() || e.starts_with('.') || e.contains('/') {
                return Err(perr(
                    path,
                    "extensions",
                    format!("{e:?}: give the extension without the dot"),
                ));
            }
        }
        check_command(path, "run.command", &raw.run.command)?;
        let mut binds = Vec::new();
        for b in &raw.binds {
            // `SRC` or `SRC:DST`: the sandbox user cannot traverse /root (0700), so a
            // toolchain under /root is bound elsewhere (`/root/.rustup:/opt/rustup`).
            let (src, dst) = b.split_once(':').unwrap_or((b, b));
            let (src, dst) = (PathBuf::from(src), PathBuf::from(dst));
            if !src.is_absolute() || !dst.is_absolute() {
                return Err(perr(
                    path,
                    "binds",
                    format!("{b:?}: give absolute SRC or SRC:DST"),
                ));
            }
            binds.push((src, dst));
        }
        for k in raw.env.keys() {
            if k.is_empty() || k.contains('=') || k.contains('\0') {
                return Err(perr(path, "env", format!("bad variable name {k:?}")));
            }
        }
        let compile = match raw.compile {
            None => None,
            Some(c) => {
                check_command(path, "compile.command", &c.command)?;
                for a in &c.artifacts {
                    if a.is_empty() || a.contains('/') || a.starts_with('.') {
                        return Err(perr(
                            path,
                            "compile.artifacts",
                            format!("{a:?} must be a plain file name"),
                        ));
                    }
                }
                let d = CompileLimits::default();
                let cpu_time = secs(path, "compile.time_secs", c.time_secs, d.cpu_time)?;
                let limits = CompileLimits {
                    cpu_time,
                    wall_time: secs(
                        path,
                        "compile.wall_time_secs",
                        c.wall_time_secs,
                        cpu_time * 2,
                    )?,
                    memory_bytes: positive(
                        path,
                        "compile.memory_mib",
                        c.memory_mib,
                        d.memory_bytes,
                        1 << 20,
                    )?,
                    output_bytes: positive(
                        path,
                        "compile.output_kib",
                        c.output_kib,
                        d.output_bytes,
                        1 << 10,
                    )?,
                    pids: positive(path, "compile.pids", c.pids, d.pids, 1)?,
                    disk_bytes: positive(
                        path,
                        "compile.disk_mib",
                        c.disk_mib,
                        d.disk_bytes,
                        1 << 20,
                    )?,
                };
                Some(Compile {
                    command: c.command,
                    artifacts: c.artifacts,
                    limits,
                    seccomp: c.seccomp,
                })
            }
        };
        let requires = match raw.requires {
            Some(r) => r,
            None => {
                let mut r = Vec::new();
                for cmd in compile
                    .iter()
                    .map(|c| &c.command)
                    .chain(std::iter::once(&raw.run.command))
                {
                    let bin = &cmd[0];
                    if !bin.contains('{') && !bin.starts_with(PROG_DIR) && !r.contains(bin) {
                        r.push(bin.clone());
                    }
                }
                r
            }
        };
        let run_seccomp = seccomp_name(raw.run.seccomp);
        let compile = compile.map(|mut c| {
            c.seccomp = match c.seccomp.take() {
                Some(s) => seccomp_name(Some(s)),
                None => run_seccomp.clone(),
            };
            c
        });
        Ok(Profile {
            description: raw.description.unwrap_or_else(|| name.clone()),
            name,
            path: path.to_path_buf(),
            extensions: raw
                .extensions
                .into_iter()
                .map(|e| e.to_ascii_lowercase())
                .collect(),
            requires,
            binds,
            env: raw.env,
            compile,
            run_command: raw.run.command,
            memory_extra_bytes: raw.run.memory_extra_mib.saturating_mul(1 << 20),
            run_pids: positive(path, "run.pids", raw.run.pids, 64, 1)?,
            seccomp: run_seccomp,
        })
    }

    /// PATH inside the sandbox for this profile.
    pub fn search_path(&self) -> &str {
        self.env
            .get("PATH")
            .map(String::as_str)
            .unwrap_or(DEFAULT_PATH)
    }

    /// The environment of a run: PATH, HOME, LANG, then the profile's variables.
    pub fn environment(&self) -> Vec<(String, String)> {
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        env.insert("PATH".into(), DEFAULT_PATH.into());
        env.insert("HOME".into(), "/box".into());
        env.insert("LANG".into(), "C.UTF-8".into());
        for (k, v) in &self.env {
            env.insert(k.clone(), v.clone());
        }
        env.into_iter().collect()
    }

    /// Each required binary and where it was found, looked up on the host along the
    /// sandbox's PATH mapped back through the binds (system dirs are the same inside).
    pub fn toolchain(&self) -> Vec<(String, Option<PathBuf>)> {
        let host_path: Vec<String> = self
            .search_path()
            .split(':')
            .map(|d| {
                for (src, dst) in &self.binds {
                    if let Ok(rest) = Path::new(d).strip_prefix(dst) {
                        return src.join(rest).to_string_lossy().into_owned();
                    }
                }
                d.to_string()
            })
            .collect();
        let host_path = host_path.join(":");
        self.requires
            .iter()
            .map(|b| (b.clone(), find_binary(b, &host_path)))
            .collect()
    }

    /// # Errors
    /// [`JudgeError::ToolchainMissing`] naming the profile and the first missing binary.
    pub fn check_toolchain(&self) -> Result<(), JudgeError> {
        for (bin, found) in self.toolchain() {
            if found.is_none() {
                return Err(JudgeError::ToolchainMissing {
                    profile: self.name.clone(),
                    binary: bin,
                    search_path: self.search_path().to_string(),
                });
            }
        }
        Ok(())
    }

    pub fn matches_extension(&self, file: &Path) -> bool {
        file.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| self.extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
    }
}

/// Look a binary up along `path_var` (or check it directly when it has a `/`).
pub fn find_binary(bin: &str, path_var: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let is_exec = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if bin.contains('/') {
        let p = PathBuf::from(bin);
        return is_exec(&p).then_some(p);
    }
    path_var
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(bin))
        .find(|p| is_exec(p))
}

/// All profiles found, by name, and where the seccomp policies live.
#[derive(Debug, Clone)]
pub struct ProfileSet {
    pub profiles: Vec<Profile>,
    pub seccomp_dir: PathBuf,
}

/// The shipped profile directory: `$DOKERU_PROFILES`, else `./profiles`, else the
/// source tree's (for a build that runs where it was built).
pub fn default_profiles_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("DOKERU_PROFILES") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("profiles");
    if local.join("c.toml").is_file() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

impl ProfileSet {
    /// Load the shipped profiles, then each extra directory; a later file with the same
    /// `name` replaces an earlier one, so users can override a shipped profile.
    ///
    /// # Errors
    /// An unreadable directory or file, or any invalid profile (never skipped silently).
    pub fn load(extra_dirs: &[PathBuf]) -> Result<ProfileSet, JudgeError> {
        let base = default_profiles_dir();
        let mut profiles: Vec<Profile> = Vec::new();
        let mut dirs = vec![base.clone()];
        dirs.extend(extra_dirs.iter().cloned());
        let mut seccomp_dir = base.join("seccomp");
        for dir in &dirs {
            let rd = std::fs::read_dir(dir).map_err(|source| JudgeError::ReadFile {
                path: dir.clone(),
                source,
            })?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
                .collect();
            files.sort();
            for f in files {
                let p = Profile::parse(&f, &super::read_to_string(&f)?)?;
                profiles.retain(|q| q.name != p.name);
                profiles.push(p);
            }
            if dir != &base && dir.join("seccomp").is_dir() {
                seccomp_dir = dir.join("seccomp");
            }
        }
        profiles.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ProfileSet {
            profiles,
            seccomp_dir,
        })
    }

    pub fn by_name(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The profile of a submission: `--lang`, else the extension of its source files.
    ///
    /// # Errors
    /// Unknown `--lang`, no matching extension, or sources of several languages.
    pub fn detect(
        &self,
        lang: Option<&str>,
        sources: &[PathBuf],
        what: &Path,
    ) -> Result<&Profile, JudgeError> {
        if let Some(l) = lang {
            return self.by_name(l).ok_or_else(|| JudgeError::UnknownLanguage {
                path: what.to_path_buf(),
                message: format!("no profile named {l:?}"),
            });
        }
        let mut found: Vec<&Profile> = Vec::new();
        for s in sources {
            for p in &self.profiles {
                if p.matches_extension(s) && !found.iter().any(|q| q.name == p.name) {
                    found.push(p);
                }
            }
        }
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(JudgeError::UnknownLanguage {
                path: what.to_path_buf(),
                message: "no source file has an extension of a profile".into(),
            }),
            many => Err(JudgeError::UnknownLanguage {
                path: what.to_path_buf(),
                message: format!(
                    "sources match several profiles: {}",
                    many.iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
}

/// `dokeru profiles`: one line per profile with its toolchain's presence.
///
/// # Errors
/// A profile directory or file that cannot be read or is invalid.
pub fn profiles_command(args: &super::ProfilesArgs) -> Result<i32, JudgeError> {
    let set = ProfileSet::load(&args.profiles)?;
    if args.json {
        let list: Vec<serde_json::Value> = set
            .profiles
            .iter()
            .map(|p| {
                let tc = p.toolchain();
                serde_json::json!({
                    "name": p.name,
                    "description": p.description,
                    "extensions": p.extensions,
                    "file": p.path,
                    "installed": tc.iter().all(|(_, f)| f.is_some()),
                    "toolchain": tc.iter().map(|(b, f)| serde_json::json!({"binary": b, "found": f})).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        return Ok(0);
    }
    println!(
        "{:<12} {:<22} {:<26} TOOLCHAIN",
        "NAME", "EXTENSIONS", "DESCRIPTION"
    );
    for p in &set.profiles {
        let tc = p.toolchain();
        let status = if let Some((b, _)) = tc.iter().find(|(_, f)| f.is_none()) {
            format!("missing: {b} (not on {})", p.search_path())
        } else {
            let list: Vec<String> = tc
                .iter()
                .filter_map(|(_, f)| f.as_ref().map(|f| f.display().to_string()))
                .collect();
            format!("installed ({})", list.join(", "))
        };
        println!(
            "{:<12} {:<22} {:<26} {}",
            p.name,
            p.extensions.join(","),
            p.description,
            status
        );
    }
    Ok(0)
}

/// Profiles as configured by a judge command line.
pub(crate) fn load_for(args: &JudgeArgs) -> Result<ProfileSet, JudgeError> {
    ProfileSet::load(&args.profiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPP: &str = r#"
        description = "C++"
        extensions = ["cpp", "cc"]
        [compile]
        command = ["g++", "-O2", "-o", "main", "{sources}"]
        artifacts = ["main"]
        time_secs = 10
        memory_mib = 512
        [run]
        command = ["/prog/main"]
        pids = 4
    "#;

    #[test]
    fn parses_a_profile_with_defaults() {
        let p = Profile::parse(Path::new("profiles/cpp.toml"), CPP).unwrap();
        assert_eq!(p.name, "cpp");
        let c = p.compile.as_ref().unwrap();
        assert_eq!(c.limits.cpu_time, Duration::from_secs(10));
        assert_eq!(c.limits.wall_time, Duration::from_secs(20));
        assert_eq!(c.limits.memory_bytes, 512 << 20);
        assert_eq!(c.seccomp.as_deref(), Some("default"));
        assert_eq!(p.requires, vec!["g++".to_string()]);
        assert_eq!(p.run_pids, 4);
        assert!(p.matches_extension(Path::new("a.CC")));
        assert!(!p.matches_extension(Path::new("a.c")));
    }

    #[test]
    fn errors_name_file_and_field() {
        let bad = CPP.replace("time_secs = 10", "time_secs = -1");
        let e = Profile::parse(Path::new("p/cpp.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("p/cpp.toml") && e.contains("compile.time_secs"),
            "{e}"
        );
        let bad = CPP.replace("\"/prog/main\"", "\"/prog/{exe}\"");
        let e = Profile::parse(Path::new("p/cpp.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("run.command") && e.contains("{exe}"), "{e}");
        let bad = CPP.replace("pids = 4", "pids = 4\nthreads = 3");
        let e = Profile::parse(Path::new("p/cpp.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("p/cpp.toml") && e.contains("threads"), "{e}");
        let bad = CPP.replace("[\"cpp\", \"cc\"]", "[\".cpp\"]");
        let e = Profile::parse(Path::new("p/cpp.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("extensions"), "{e}");
    }

    #[test]
    fn seccomp_off_means_no_filter() {
        let p = Profile::parse(
            Path::new("sh.toml"),
            "extensions=[\"sh\"]\n[run]\ncommand=[\"sh\",\"{prog}/{main}\"]\nseccomp=\"off\"\n",
        )
        .unwrap();
        assert_eq!(p.seccomp, None);
        assert!(p.compile.is_none());
        assert_eq!(p.requires, vec!["sh".to_string()]);
    }

    #[test]
    fn toolchain_lookup_reports_missing_binary() {
        let mut p = Profile::parse(Path::new("x.toml"), CPP).unwrap();
        p.requires = vec!["sh".into(), "surely-not-a-binary-dokeru".into()];
        let tc = p.toolchain();
        assert!(tc[0].1.is_some());
        assert!(tc[1].1.is_none());
        let e = p.check_toolchain().unwrap_err().to_string();
        assert!(
            e.contains("\"x\"") && e.contains("surely-not-a-binary-dokeru"),
            "{e}"
        );
    }

    #[test]
    fn shipped_profiles_are_valid_and_cover_the_languages() {
        let set = ProfileSet::load(&[]).unwrap();
        for name in ["c", "cpp", "python3", "rust", "java", "javascript", "shell"] {
            assert!(set.by_name(name).is_some(), "missing profile {name}");
        }
        let src = [PathBuf::from("a.py")];
        assert_eq!(
            set.detect(None, &src, Path::new("a.py")).unwrap().name,
            "python3"
        );
        let mixed = [PathBuf::from("a.c"), PathBuf::from("b.cpp")];
        assert!(set.detect(None, &mixed, Path::new("d")).is_err());
        assert!(set.detect(Some("cobol"), &src, Path::new("a.py")).is_err());
    }
}
