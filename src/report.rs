//! serde types of the JSON outputs, and their schema version.

use crate::sandbox::{classify, Captured, Limits, Outcome, Status, Termination};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the JSON result format of `run.md`.
pub const SCHEMA: u32 = 1;

/// A captured stream: `{"text": ...}` when UTF-8, else `{"base64": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamReport {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base64: Option<String>,
    pub truncated: bool,
}

impl StreamReport {
    pub fn from_captured(c: &Captured) -> StreamReport {
        match std::str::from_utf8(&c.bytes) {
            Ok(s) => StreamReport { text: Some(s.to_owned()), base64: None, truncated: c.truncated },
            Err(_) => StreamReport {
                text: None,
                base64: Some(base64::engine::general_purpose::STANDARD.encode(&c.bytes)),
                truncated: c.truncated,
            },
        }
    }

    pub fn empty() -> StreamReport {
        StreamReport { text: Some(String::new()), base64: None, truncated: false }
    }
}

/// The result of `dokeru run` (`run.md`, "The JSON result").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub schema: u32,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub cpu_time_ms: f64,
    pub user_time_ms: f64,
    pub sys_time_ms: f64,
    pub wall_time_ms: f64,
    pub memory_peak_bytes: u64,
    pub oom_killed: bool,
    pub stdout: StreamReport,
    pub stderr: StreamReport,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub denied_syscall: Option<String>,
    pub limits: BTreeMap<String, serde_json::Value>,
    pub sandbox: BTreeMap<String, serde_json::Value>,
    pub message: String,
}

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Every limit actually applied, in the units its name says.
pub fn limits_json(l: &Limits) -> BTreeMap<String, serde_json::Value> {
    use serde_json::json;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: serde_json::Value| {
        m.insert(k.to_owned(), v);
    };
    put("cpu_time_ms", json!(l.cpu_time.map(ms)));
    put("wall_time_ms", json!(l.wall_time.map(ms)));
    put("memory_bytes", json!(l.memory_bytes));
    put("memory_soft_bytes", json!(l.memory_soft_bytes));
    put("cpu_percent", json!(l.cpu_percent));
    put("cpu_period_us", json!(l.cpu_percent.map(|_| l.cpu_period_us)));
    put("cpu_shares", json!(l.cpu_shares));
    put("cpus", json!(l.cpus));
    put("pids", json!(l.pids));
    put("fsize_bytes", json!(l.fsize_bytes));
    put("disk_bytes", json!(l.disk_bytes));
    put("output_bytes", json!(l.output_bytes));
    m
}

fn message(status: Status, o: &Outcome) -> String {
    match status {
        Status::Ok => "exited with code 0".to_owned(),
        Status::NonzeroExit => match o.termination {
            Termination::Exited(c) => format!("exited with code {c}"),
            _ => "exited with a non-zero code".to_owned(),
        },
        Status::Signaled => match o.termination {
            Termination::Signaled(s) => format!("killed by signal {s} ({})", signal_name(s)),
            _ => "killed by a signal".to_owned(),
        },
        Status::TimeLimitExceeded => "CPU time limit exceeded".to_owned(),
        Status::WallTimeLimitExceeded => "wall time limit exceeded".to_owned(),
        Status::MemoryLimitExceeded => {
            if o.oom_killed { "memory limit exceeded (OOM kill)".to_owned() } else { "memory limit exceeded (allocation failed at the limit)".to_owned() }
        }
        Status::OutputLimitExceeded => "output limit exceeded".to_owned(),
        Status::SyscallDenied => format!("syscall denied: {}", o.denied_syscall.as_deref().unwrap_or("unknown (SIGSYS)")),
        Status::InternalError => "internal error".to_owned(),
    }
}

/// Short name of a signal (`SIGSEGV`).
pub fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig).map(|s| s.as_str().to_owned()).unwrap_or_else(|_| format!("signal {sig}"))
}

impl RunResult {
    pub fn from_outcome(o: &Outcome) -> RunResult {
        let status = classify(o);
        let (exit_code, signal) = match o.termination {
            Termination::Exited(c) => (Some(c), None),
            Termination::Signaled(s) => (None, Some(s)),
            Termination::Killed => (None, Some(libc::SIGKILL)),
        };
        let mut sandbox = BTreeMap::new();
        sandbox.insert("cgroup".into(), serde_json::json!(o.facts.cgroup));
        sandbox.insert("cpu_time_source".into(), serde_json::json!(o.facts.cpu_time_source));
        sandbox.insert("memory_source".into(), serde_json::json!(o.facts.memory_source));
        sandbox.insert("seccomp".into(), serde_json::json!(o.facts.seccomp));
        sandbox.insert("net".into(), serde_json::json!(o.facts.net));
        sandbox.insert("kernel".into(), serde_json::json!(o.facts.kernel));
        sandbox.insert("namespaces".into(), serde_json::json!(["user", "mnt", "pid", "net", "ipc", "uts", "cgroup"]));
        RunResult {
            schema: SCHEMA,
            status,
            exit_code,
            signal,
            cpu_time_ms: ms(o.cpu_time),
            user_time_ms: ms(o.user_time),
            sys_time_ms: ms(o.sys_time),
            wall_time_ms: ms(o.wall_time),
            memory_peak_bytes: o.memory_peak_bytes,
            oom_killed: o.oom_killed,
            stdout: StreamReport::from_captured(&o.stdout),
            stderr: StreamReport::from_captured(&o.stderr),
            denied_syscall: o.denied_syscall.clone(),
            limits: limits_json(&o.limits),
            sandbox,
            message: message(status, o),
        }
    }

    /// The result when the sandbox itself failed: nothing ran (or the run was stopped).
    pub fn internal_error(limits: Option<&Limits>, message: String) -> RunResult {
        RunResult {
            schema: SCHEMA,
            status: Status::InternalError,
            exit_code: None,
            signal: None,
            cpu_time_ms: 0.0,
            user_time_ms: 0.0,
            sys_time_ms: 0.0,
            wall_time_ms: 0.0,
            memory_peak_bytes: 0,
            oom_killed: false,
            stdout: StreamReport::empty(),
            stderr: StreamReport::empty(),
            denied_syscall: None,
            limits: limits.map(limits_json).unwrap_or_default(),
            sandbox: BTreeMap::new(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_output_is_base64() {
        let r = StreamReport::from_captured(&Captured { bytes: vec![0xff, 0x00, b'a'], truncated: true });
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v, serde_json::json!({"base64": "/wBh", "truncated": true}));
        let r = StreamReport::from_captured(&Captured { bytes: b"hi\n".to_vec(), truncated: false });
        assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::json!({"text": "hi\n", "truncated": false}));
    }

    #[test]
    fn status_names_are_the_spec_names() {
        assert_eq!(serde_json::to_value(Status::WallTimeLimitExceeded).unwrap(), "wall_time_limit_exceeded");
        assert_eq!(serde_json::to_value(Status::NonzeroExit).unwrap(), "nonzero_exit");
        assert_eq!(serde_json::to_value(Status::SyscallDenied).unwrap(), "syscall_denied");
    }
}
