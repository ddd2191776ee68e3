//! `dokeru run` settings: CLI values checked and turned into a [`SandboxSpec`].

use super::units::{host_memory_bytes, parse_duration, parse_size};
use super::ConfigError;
use crate::cli::RunArgs;
use crate::sandbox::{seccomp, Bind, CopyIn, Limits, Net, Output, SandboxSpec, Stdin};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Defaults of `run.md`.
pub const DEFAULT_PIDS: u64 = 64;
pub const DEFAULT_FSIZE_BYTES: u64 = 64 << 20;
pub const DEFAULT_DISK_BYTES: u64 = 64 << 20;
pub const DEFAULT_OUTPUT_BYTES: u64 = 64 << 20;
pub const DEFAULT_PERIOD_US: u64 = 100_000;
/// PATH inside the sandbox.
pub const SANDBOX_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Everything `dokeru run` needs, validated.
#[derive(Debug)]
pub struct RunSettings {
    pub spec: SandboxSpec,
    pub result_path: Option<PathBuf>,
}

fn size(option: &str, value: &Option<String>, default: Option<u64>) -> Result<Option<u64>, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => parse_size(v, host_memory_bytes()).map_err(|e| ConfigError::invalid(option, v, e.0)),
    }
}

fn secs(option: &str, value: &Option<String>) -> Result<Option<Duration>, ConfigError> {
    value
        .as_ref()
        .map(|v| parse_duration(v).map_err(|e| ConfigError::invalid(option, v, e.0)))
        .transpose()
}

fn integer(option: &str, value: &Option<String>, min: u64, max: u64) -> Result<Option<u64>, ConfigError> {
    let Some(v) = value else { return Ok(None) };
    let n: u64 = v
        .trim()
        .parse()
        .map_err(|_| ConfigError::invalid(option, v, format!("expected a whole number from {min} to {max}")))?;
    if n < min || n > max {
        return Err(ConfigError::invalid(option, v, format!("expected a whole number from {min} to {max}")));
    }
    Ok(Some(n))
}

/// Check a cpuset list like `0`, `0-1`, `1,3` against the host's CPUs.
pub fn parse_cpus(option: &str, text: &str) -> Result<String, ConfigError> {
    let bad = |why: &str| ConfigError::invalid(option, text, format!("expected a CPU list like 0, 0-1 or 1,3 ({why})"));
    let ncpu = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as u64;
    let host_max = online_cpu_max().unwrap_or(ncpu.saturating_sub(1));
    if text.trim().is_empty() {
        return Err(bad("empty"));
    }
    for part in text.trim().split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a, b),
            None => (part, part),
        };
        let a: u64 = a.trim().parse().map_err(|_| bad("not a number"))?;
        let b: u64 = b.trim().parse().map_err(|_| bad("not a number"))?;
        if a > b {
            return Err(bad("range runs backwards"));
        }
        if b > host_max {
            return Err(bad(&format!("this host's CPUs are 0-{host_max}")));
        }
    }
    Ok(text.trim().to_owned())
}

fn online_cpu_max() -> Option<u64> {
    let s = std::fs::read_to_string("/sys/devices/system/cpu/online").ok()?;
    s.trim().split([',', '-']).filter_map(|x| x.parse().ok()).max()
}

/// Parse `SRC[:DST][:rw]`.
pub fn parse_bind(text: &str) -> Result<Bind, ConfigError> {
    let mut parts: Vec<&str> = text.split(':').collect();
    let writable = match parts.last() {
        Some(&"rw") if parts.len() > 1 => {
            parts.pop();
            true
        }
        Some(&"ro") if parts.len() > 1 => {
            parts.pop();
            false
        }
        _ => false,
    };
    let (src, dst) = match parts.as_slice() {
        [src] => (*src, *src),
        [src, dst] => (*src, *dst),
        _ => return Err(ConfigError::invalid("--bind", text, "expected SRC[:DST][:rw]")),
    };
    if !src.starts_with('/') || !dst.starts_with('/') {
        return Err(ConfigError::invalid("--bind", text, "SRC and DST must be absolute paths"));
    }
    if Path::new(dst).components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return Err(ConfigError::invalid("--bind", text, "DST must not contain .."));
    }
    let meta = std::fs::metadata(src).map_err(|e| ConfigError::BadPath {
        option: "--bind".into(),
        path: src.into(),
        reason: e.to_string(),
    })?;
    if !(meta.is_dir() || meta.is_file()) {
        return Err(ConfigError::BadPath { option: "--bind".into(), path: src.into(), reason: "not a file or directory".into() });
    }
    Ok(Bind { src: PathBuf::from(src), dst: PathBuf::from(dst), writable })
}

/// Build the environment: `PATH`, `HOME=/box`, `LANG=C.UTF-8`, then `--env` entries.
pub fn build_env(entries: &[String]) -> Result<Vec<(String, String)>, ConfigError> {
    let mut env: Vec<(String, String)> =
        vec![("PATH".into(), SANDBOX_PATH.into()), ("HOME".into(), "/box".into()), ("LANG".into(), "C.UTF-8".into())];
    for e in entries {
        let (k, v) = match e.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => match std::env::var(e) {
                Ok(v) => (e.clone(), v),
                Err(_) => continue, // passing an unset variable passes nothing
            },
        };
        if k.is_empty() || k.contains('\0') || v.contains('\0') || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ConfigError::invalid("--env", e, "expected KEY=VALUE or KEY, KEY made of letters, digits and _"));
        }
        env.retain(|(ek, _)| *ek != k);
        env.push((k, v));
    }
    Ok(env)
}

/// Where shipped profiles live: `--profiles`/`DOKERU_PROFILES`, else next to the
/// binary's checkout, else the source tree it was built from.
pub fn profiles_dir(arg: Option<&Path>) -> PathBuf {
    if let Some(p) = arg {
        return p.to_path_buf();
    }
    if let Ok(exe) = std::env::current_exe() {
        for anc in exe.ancestors().skip(1).take(4) {
            let cand = anc.join("profiles");
            if cand.join("seccomp").is_dir() {
                return cand;
            }
        }
        if let Some(dir) = exe.parent() {
            let cand = dir.join("../share/dokeru/profiles");
            if cand.is_dir() {
                return cand;
            }
        }
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/profiles"))
}

/// Load a seccomp policy by name/path, or `None` for `off`.
pub fn load_seccomp(value: &str, profiles: &Path) -> Result<Option<Arc<seccomp::Policy>>, ConfigError> {
    if value == "off" {
        return Ok(None);
    }
    Ok(Some(Arc::new(seccomp::Policy::load(value, &profiles.join("seccomp"))?)))
}

/// Check `dokeru run` arguments and build the sandbox spec.
///
/// # Errors
/// A [`ConfigError`] naming the option and the accepted forms.
pub fn build_run(args: &RunArgs) -> Result<RunSettings, ConfigError> {
    let cpu_time = secs("--time", &args.time)?;
    let wall_time = match secs("--wall-time", &args.wall_time)? {
        Some(w) => Some(w),
        None => cpu_time.map(|t| t * 3 + Duration::from_secs(1)),
    };
    let memory_bytes = match (&args.mem, &args.memlimit) {
        (Some(_), _) => size("--mem", &args.mem, None)?,
        (None, Some(_)) => size("--memlimit", &args.memlimit, None)?,
        _ => None,
    };
    if let Some(m) = memory_bytes {
        if m < (1 << 20) {
            return Err(ConfigError::invalid("--mem", args.mem.as_deref().or(args.memlimit.as_deref()).unwrap_or(""), "must be at least 1M"));
        }
    }
    let memory_soft_bytes = size("--mem-soft", &args.mem_soft, None)?;
    let cpu_percent = integer("--percent", &args.percent, 1, 100_000)?.map(|p| p as u32);
    let cpu_period_us = integer("--period", &args.period, 1000, 1_000_000)?.unwrap_or(DEFAULT_PERIOD_US);
    if args.period.is_some() && cpu_percent.is_none() {
        return Err(ConfigError::invalid("--period", args.period.as_deref().unwrap_or(""), "only meaningful with --percent"));
    }
    let cpu_shares = integer("--shares", &args.shares, 2, 262_144)?;
    let cpus = args.cpus.as_deref().map(|c| parse_cpus("--cpus", c)).transpose()?;
    let pids = integer("--pids", &args.pids, 1, 4_194_304)?.or(Some(DEFAULT_PIDS));
    let fsize_bytes = size("--fsize", &args.fsize, Some(DEFAULT_FSIZE_BYTES))?;
    let disk_bytes = size("--disk", &args.disk, Some(DEFAULT_DISK_BYTES))?
        .ok_or_else(|| ConfigError::invalid("--disk", "unlimited", "the box needs a size; give a SIZE such as 64M"))?;
    if disk_bytes < 4096 {
        return Err(ConfigError::invalid("--disk", args.disk.as_deref().unwrap_or(""), "must be at least 4K"));
    }
    let output_bytes = size("--output-limit", &args.output_limit, Some(DEFAULT_OUTPUT_BYTES))?;
    let net = match args.net.as_str() {
        "none" => Net::None,
        "loopback" => Net::Loopback,
        other => return Err(ConfigError::invalid("--net", other, "expected none or loopback")),
    };
    let stdin = match &args.stdin {
        None => Stdin::Null,
        Some(p) => {
            let meta = std::fs::metadata(p).map_err(|e| ConfigError::BadPath {
                option: "--stdin".into(),
                path: p.display().to_string(),
                reason: e.to_string(),
            })?;
            if !meta.is_file() {
                return Err(ConfigError::BadPath { option: "--stdin".into(), path: p.display().to_string(), reason: "not a regular file".into() });
            }
            Stdin::File(p.clone())
        }
    };
    let out = |p: &Option<PathBuf>| p.as_ref().map_or(Output::Capture, |p| Output::File(p.clone()));
    let mut copy_in = Vec::new();
    for p in &args.copy {
        let meta = std::fs::symlink_metadata(p).map_err(|e| ConfigError::BadPath {
            option: "--copy".into(),
            path: p.display().to_string(),
            reason: e.to_string(),
        })?;
        if !(meta.is_file() || meta.is_dir()) {
            return Err(ConfigError::BadPath { option: "--copy".into(), path: p.display().to_string(), reason: "not a regular file or directory".into() });
        }
        let name = p.file_name().ok_or_else(|| ConfigError::BadPath {
            option: "--copy".into(),
            path: p.display().to_string(),
            reason: "has no file name".into(),
        })?;
        copy_in.push(CopyIn { src: p.clone(), dst: PathBuf::from(name) });
    }
    let binds = args.bind.iter().map(|b| parse_bind(b)).collect::<Result<Vec<_>, _>>()?;
    let env = build_env(&args.env)?;
    if args.program.is_empty() || args.program[0].is_empty() {
        return Err(ConfigError::invalid("PROGRAM", "", "give the program after --"));
    }
    if args.program.iter().any(|a| a.contains('\0')) {
        return Err(ConfigError::invalid("PROGRAM", &args.program.join(" "), "arguments must not contain NUL bytes"));
    }
    let profiles = profiles_dir(args.profiles.as_deref());
    // `default` makes inet sockets fail; with a loopback network the shipped
    // `loopback` policy (same deny list, inet sockets allowed) is the sensible default.
    let policy = args.seccomp.clone().unwrap_or_else(|| if net == Net::Loopback { "loopback".into() } else { "default".into() });
    let seccomp = load_seccomp(&policy, &profiles)?;
    let limits = Limits {
        cpu_time,
        wall_time,
        memory_bytes,
        memory_soft_bytes,
        cpu_percent,
        cpu_period_us,
        cpu_shares,
        cpus,
        pids,
        fsize_bytes,
        disk_bytes,
        output_bytes,
    };
    Ok(RunSettings {
        spec: SandboxSpec {
            argv: args.program.clone(),
            env,
            limits,
            stdin,
            stdout: out(&args.stdout),
            stderr: out(&args.stderr),
            binds,
            system_binds: true,
            copy_in,
            copy_out: Vec::new(),
            net,
            seccomp,
        },
        result_path: args.result.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_forms() {
        let b = parse_bind("/usr").unwrap();
        assert_eq!((b.src.to_str().unwrap(), b.dst.to_str().unwrap(), b.writable), ("/usr", "/usr", false));
        let b = parse_bind("/tmp:/data:rw").unwrap();
        assert_eq!((b.src.to_str().unwrap(), b.dst.to_str().unwrap(), b.writable), ("/tmp", "/data", true));
        let b = parse_bind("/tmp:rw").unwrap();
        assert_eq!((b.dst.to_str().unwrap(), b.writable), ("/tmp", true));
        assert!(parse_bind("relative").is_err());
        assert!(parse_bind("/tmp:/a/../b").is_err());
        assert!(parse_bind("/nonexistent-dokeru-path").is_err());
    }

    #[test]
    fn env_is_clean_with_overrides() {
        let env = build_env(&["A=1".into(), "LANG=en_US.UTF-8".into(), "DOKERU_SURELY_UNSET_VAR".into()]).unwrap();
        assert_eq!(env.iter().find(|(k, _)| k == "LANG").unwrap().1, "en_US.UTF-8");
        assert_eq!(env.iter().find(|(k, _)| k == "A").unwrap().1, "1");
        assert_eq!(env.len(), 4);
        assert!(build_env(&["=x".into()]).is_err());
        assert!(build_env(&["A-B=x".into()]).is_err());
    }

    #[test]
    fn cpus_checked_against_host() {
        assert_eq!(parse_cpus("--cpus", "0").unwrap(), "0");
        assert!(parse_cpus("--cpus", "1-0").is_err());
        assert!(parse_cpus("--cpus", "x").is_err());
        assert!(parse_cpus("--cpus", "0-100000").is_err());
    }
}
