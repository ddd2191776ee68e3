//! The JSON report of `dokeru judge` (`judge.md`, schema version 1).

use super::scoring::Score;
use super::verdict::Verdict;
use crate::sandbox::{Outcome, Status};

pub const SCHEMA_VERSION: u32 = 1;

/// The run-result fields of `run.md` that a report carries for each run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunFields {
    pub status: Status,
    pub cpu_time_ms: f64,
    pub wall_time_ms: f64,
    pub memory_peak_bytes: u64,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub denied_syscall: Option<String>,
}

fn ms(d: std::time::Duration) -> f64 {
    // Microsecond resolution, as run.md's examples.
    (d.as_secs_f64() * 1e6).round() / 1e3
}

impl RunFields {
    pub fn from_outcome(status: Status, o: &Outcome) -> RunFields {
        use crate::sandbox::Termination;
        let (exit_code, signal) = match o.termination {
            Termination::Exited(c) => (Some(c), None),
            Termination::Signaled(s) => (None, Some(s)),
            Termination::Killed => (None, Some(libc::SIGKILL)),
        };
        RunFields {
            status,
            cpu_time_ms: ms(o.cpu_time),
            wall_time_ms: ms(o.wall_time),
            memory_peak_bytes: o.memory_peak_bytes,
            exit_code,
            signal,
            denied_syscall: o.denied_syscall.clone(),
        }
    }

    /// The fields of a run the sandbox could not do.
    pub fn internal_error() -> RunFields {
        RunFields {
            status: Status::InternalError,
            cpu_time_ms: 0.0,
            wall_time_ms: 0.0,
            memory_peak_bytes: 0,
            exit_code: None,
            signal: None,
            denied_syscall: None,
        }
    }
}

/// Text kept from a stream, cut to a size that keeps the report readable.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Text {
    pub text: String,
    pub truncated: bool,
}

impl Text {
    pub fn from_bytes(bytes: &[u8], already_truncated: bool, max: usize) -> Text {
        let cut = bytes.len() > max;
        let b = &bytes[..bytes.len().min(max)];
        Text {
            text: String::from_utf8_lossy(b).into_owned(),
            truncated: cut || already_truncated,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompileReport {
    /// `accepted`-free view: `ok`, `compile_error` or `judge_error`.
    pub result: String,
    #[serde(flatten)]
    pub run: Option<RunFields>,
    /// The compiler's messages (stdout then stderr), truncated.
    pub messages: Text,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckerReport {
    /// `accepted`, `wrong_answer`, or `judge_error` when the checker failed.
    pub verdict: Verdict,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run: Option<RunFields>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TestReport {
    pub name: String,
    pub verdict: Verdict,
    #[serde(flatten)]
    pub run: RunFields,
    /// Absent when the checker was not consulted (the run hit a limit or crashed).
    pub checker: Option<CheckerReport>,
    /// Interactive problems: the interactor's own run and accounting.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interactor: Option<RunFields>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub score_multiplier: Option<f64>,
    /// The submission's stderr, truncated (for debugging).
    pub stderr: Text,
    /// Why the verdict is judge_error, when it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub judge_error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub tests: usize,
    pub run: usize,
    pub accepted: usize,
    pub max_cpu_time_ms: f64,
    pub max_wall_time_ms: f64,
    pub max_memory_peak_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProblemInfo {
    pub name: String,
    pub path: String,
    pub format_version: String,
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    pub time_limit_s: f64,
    pub time_limit_source: String,
    pub wall_time_limit_s: f64,
    pub memory_limit_bytes: u64,
    pub output_limit_bytes: u64,
    pub checker: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubmissionInfo {
    pub path: String,
    pub files: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub schema: u32,
    pub problem: ProblemInfo,
    pub submission: SubmissionInfo,
    pub language: String,
    pub verdict: Verdict,
    pub compile: Option<CompileReport>,
    pub tests: Vec<TestReport>,
    pub totals: Totals,
    pub score: Option<Score>,
    pub warnings: Vec<String>,
    /// Human-readable one line; not for machines.
    pub message: String,
}

impl Totals {
    pub fn of(tests: &[TestReport], total: usize) -> Totals {
        let mut t = Totals {
            tests: total,
            ..Totals::default()
        };
        for r in tests {
            t.run += 1;
            if r.verdict == Verdict::Accepted {
                t.accepted += 1;
            }
            t.max_cpu_time_ms = t.max_cpu_time_ms.max(r.run.cpu_time_ms);
            t.max_wall_time_ms = t.max_wall_time_ms.max(r.run.wall_time_ms);
            t.max_memory_peak_bytes = t.max_memory_peak_bytes.max(r.run.memory_peak_bytes);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::checker::tests::outcome;
    use crate::sandbox::Termination;

    #[test]
    fn run_fields_carry_units_and_exit_or_signal() {
        let o = outcome(Termination::Signaled(11), "");
        let r = RunFields::from_outcome(Status::Signaled, &o);
        assert_eq!((r.exit_code, r.signal), (None, Some(11)));
        assert_eq!(r.cpu_time_ms, 5.0);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"], "signaled");
        assert!(v.get("denied_syscall").is_none());
    }

    #[test]
    fn test_report_json_has_the_fields_of_judge_md() {
        let o = outcome(Termination::Exited(0), "");
        let t = TestReport {
            name: "secret/1".into(),
            verdict: Verdict::WrongAnswer,
            run: RunFields::from_outcome(Status::Ok, &o),
            checker: Some(CheckerReport {
                verdict: Verdict::WrongAnswer,
                message: "token 1".into(),
                run: None,
            }),
            interactor: None,
            score: None,
            score_multiplier: None,
            stderr: Text::default(),
            judge_error: None,
        };
        let v = serde_json::to_value(&t).unwrap();
        for k in [
            "name",
            "verdict",
            "status",
            "cpu_time_ms",
            "wall_time_ms",
            "memory_peak_bytes",
            "exit_code",
            "signal",
            "checker",
        ] {
            assert!(v.get(k).is_some(), "missing {k}: {v}");
        }
        assert_eq!(v["checker"]["message"], "token 1");
        let back: TestReport = serde_json::from_value(v).unwrap();
        assert_eq!(back, t);
        let totals = Totals::of(&[t], 3);
        assert_eq!((totals.tests, totals.run, totals.accepted), (3, 1, 0));
    }

    #[test]
    fn text_truncates() {
        let t = Text::from_bytes(b"abcdef", false, 3);
        assert_eq!((t.text.as_str(), t.truncated), ("abc", true));
    }
}
