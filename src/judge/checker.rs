//! The two checker protocols a package can use, chosen by the package (see [`Protocol`]):
//! the format's output validator (exit 42/43, feedback directory) and testlib's checker
//! (exit 0/1/2/3/7, message on stderr). Both map a finished checker run to a
//! [`CheckResult`] and a message for the report.

use super::verdict::CheckResult;
use crate::sandbox::{Outcome, Status, Termination};

/// How the package's checker program is called and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// The format's output validator: `prog input answer feedback_dir/ [args] < output`,
    /// 42 accepted, 43 wrong answer, anything else a judge error.
    /// Found in `output_validators/<name>/` (legacy, 2023-07) or `output_validator/` (2025-09).
    Kattis,
    /// testlib: `prog input output answer`, 0 ok, 1 wrong answer, 2 presentation error,
    /// 3 fail, 4 dirt, 7 points, 8 unexpected eof, 16+n partial; the message on stderr.
    /// Found in `checker/` (a program directory) or as `check.cpp` / `checker.cpp` at the
    /// package root (the Polygon names).
    Testlib,
}

/// What the feedback directory held after a 42/43 validator ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Feedback {
    pub judgemessage: Option<String>,
    pub teammessage: Option<String>,
    pub score: Option<String>,
    pub score_multiplier: Option<String>,
}

/// The conclusion about one checker run, with its message for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub result: CheckResult,
    pub message: String,
    /// Set when `result` is `Failed`: why the checker is considered broken.
    pub failure: Option<String>,
    /// `score_multiplier.txt` of an accepted test (2025-09), in `[0, 1]`.
    pub score_multiplier: Option<f64>,
}

fn failed(why: String, message: String) -> Checked {
    Checked {
        result: CheckResult::Failed,
        message,
        failure: Some(why),
        score_multiplier: None,
    }
}

fn checked(result: CheckResult, message: String) -> Checked {
    Checked {
        result,
        message,
        failure: None,
        score_multiplier: None,
    }
}

/// A checker run that did not end by itself with an exit code is the package's fault.
fn exit_code_or_failure(status: Status, outcome: &Outcome) -> Result<i32, String> {
    match (status, outcome.termination) {
        (Status::Ok | Status::NonzeroExit, Termination::Exited(c)) => Ok(c),
        (s, Termination::Signaled(sig)) => Err(format!("checker {} (signal {sig})", s.as_str())),
        (s, _) => Err(format!("checker {}", s.as_str())),
    }
}

/// Map a finished 42/43 validator run.
pub fn map_kattis(status: Status, outcome: &Outcome, feedback: &Feedback) -> Checked {
    let message = feedback
        .judgemessage
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| String::from_utf8_lossy(&outcome.stderr.bytes).into_owned());
    let message = truncate(message.trim_end(), 4096);
    let code = match exit_code_or_failure(status, outcome) {
        Ok(c) => c,
        Err(why) => return failed(why, message),
    };
    match code {
        42 => {
            if feedback.score.is_some() && feedback.score_multiplier.is_some() {
                return failed(
                    "validator wrote both score.txt and score_multiplier.txt".into(),
                    message,
                );
            }
            // The score is interpreted by the scoring code, which knows the maximum; here
            // it is only parsed.
            let parse = |s: &str| match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                _ => Err(format!("invalid score file content {:?}", truncate(s, 60))),
            };
            let score = match feedback.score.as_deref().map(parse).transpose() {
                Ok(s) => s,
                Err(why) => return failed(why, message),
            };
            let multiplier = match feedback.score_multiplier.as_deref().map(parse).transpose() {
                Ok(Some(m)) if m > 1.0 => {
                    return failed(
                        format!("score_multiplier.txt {m} is not in [0, 1]"),
                        message,
                    );
                }
                Ok(m) => m,
                Err(why) => return failed(why, message),
            };
            Checked {
                result: CheckResult::Accepted { score },
                message,
                failure: None,
                score_multiplier: multiplier,
            }
        }
        43 => {
            if feedback.score.is_some() || feedback.score_multiplier.is_some() {
                return failed("validator rejected but wrote a score file".into(), message);
            }
            checked(CheckResult::WrongAnswer, message)
        }
        other => failed(
            format!("validator exited with {other} (expected 42 or 43)"),
            message,
        ),
    }
}

/// testlib's exit codes (its defaults, without `EJUDGE`/`CONTESTER`/`TESTSYS`).
pub mod testlib_codes {
    pub const OK: i32 = 0;
    pub const WA: i32 = 1;
    pub const PE: i32 = 2;
    pub const FAIL: i32 = 3;
    pub const DIRT: i32 = 4;
    pub const POINTS: i32 = 7;
    pub const UNEXPECTED_EOF: i32 = 8;
    /// `_pc(n)` exits with 16 + n (`PC_BASE_EXIT_CODE` is 0 outside TESTSYS).
    pub const PARTIALLY: i32 = 16;
}

/// Map a finished testlib checker run. The format has no presentation-error verdict, so
/// PE, dirt and unexpected EOF are wrong answers; FAIL (the checker found the answer file
/// or itself wrong) and anything unknown are judge errors; points and partial credit are
/// accepted with a score (`quitp(x, ...)` writes `points x ...`, `_pc(n)` exits `16+n`).
pub fn map_testlib(status: Status, outcome: &Outcome) -> Checked {
    use testlib_codes::*;
    let message = truncate(
        String::from_utf8_lossy(&outcome.stderr.bytes).trim_end(),
        4096,
    );
    let code = match exit_code_or_failure(status, outcome) {
        Ok(c) => c,
        Err(why) => return failed(why, message),
    };
    match code {
        OK => checked(CheckResult::Accepted { score: None }, message),
        WA | PE | DIRT | UNEXPECTED_EOF => checked(CheckResult::WrongAnswer, message),
        FAIL => failed("testlib checker failed (exit 3, FAIL)".into(), message),
        POINTS => match parse_points(&message) {
            Some(p) => checked(CheckResult::Accepted { score: Some(p) }, message),
            None => failed(
                "testlib checker exited with points but no `points X` message".into(),
                message,
            ),
        },
        c if (PARTIALLY..PARTIALLY + 200).contains(&c) => checked(
            CheckResult::Accepted {
                score: Some(f64::from(c - PARTIALLY)),
            },
            message,
        ),
        other => failed(
            format!("testlib checker exited with unknown code {other}"),
            message,
        ),
    }
}

/// The number after `points` at the start of a testlib message.
fn parse_points(message: &str) -> Option<f64> {
    let mut words = message.split_whitespace();
    if words.next()? != "points" {
        return None;
    }
    words
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
}

/// Cut a message to at most `max` bytes on a char boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[... truncated, {} bytes in all]", &s[..end], s.len())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sandbox::{Captured, Enforced, Facts, Limits};
    use std::time::Duration;

    pub(crate) fn outcome(term: Termination, stderr: &str) -> Outcome {
        Outcome {
            termination: term,
            enforced: Enforced::default(),
            denied_syscall: None,
            cpu_time: Duration::from_millis(5),
            user_time: Duration::from_millis(4),
            sys_time: Duration::from_millis(1),
            wall_time: Duration::from_millis(6),
            exited_at: std::time::Instant::now(),
            memory_peak_bytes: 1 << 20,
            oom_killed: false,
            memory_limit_hit: false,
            stdout: Captured::default(),
            stderr: Captured {
                bytes: stderr.as_bytes().to_vec(),
                truncated: false,
            },
            facts: Facts::default(),
            limits: Limits::default(),
        }
    }

    fn kattis(code: i32, fb: &Feedback) -> Checked {
        let o = outcome(Termination::Exited(code), "debug on stderr");
        let status = if code == 0 {
            Status::Ok
        } else {
            Status::NonzeroExit
        };
        map_kattis(status, &o, fb)
    }

    #[test]
    fn kattis_42_43_and_everything_else() {
        let fb = Feedback::default();
        assert_eq!(
            kattis(42, &fb).result,
            CheckResult::Accepted { score: None }
        );
        assert_eq!(kattis(43, &fb).result, CheckResult::WrongAnswer);
        // 0 is explicitly a judge error in the format.
        assert_eq!(kattis(0, &fb).result, CheckResult::Failed);
        assert_eq!(kattis(1, &fb).result, CheckResult::Failed);
        let crashed = outcome(Termination::Signaled(libc::SIGSEGV), "");
        assert_eq!(
            map_kattis(Status::Signaled, &crashed, &fb).result,
            CheckResult::Failed
        );
        let slow = outcome(Termination::Killed, "");
        assert_eq!(
            map_kattis(Status::TimeLimitExceeded, &slow, &fb).result,
            CheckResult::Failed
        );
    }

    #[test]
    fn kattis_message_prefers_judgemessage_and_scores_are_checked() {
        let fb = Feedback {
            judgemessage: Some("line 3 wrong\n".into()),
            ..Feedback::default()
        };
        let c = kattis(43, &fb);
        assert_eq!(c.message, "line 3 wrong");
        assert_eq!(kattis(43, &Feedback::default()).message, "debug on stderr");
        let fb = Feedback {
            score: Some("12.5\n".into()),
            ..Feedback::default()
        };
        assert_eq!(
            kattis(42, &fb).result,
            CheckResult::Accepted { score: Some(12.5) }
        );
        assert_eq!(kattis(43, &fb).result, CheckResult::Failed);
        let fb = Feedback {
            score: Some("lots".into()),
            ..Feedback::default()
        };
        assert_eq!(kattis(42, &fb).result, CheckResult::Failed);
        let fb = Feedback {
            score: Some("1".into()),
            score_multiplier: Some("1".into()),
            ..Feedback::default()
        };
        assert_eq!(kattis(42, &fb).result, CheckResult::Failed);
        let fb = Feedback {
            score_multiplier: Some("0.25".into()),
            ..Feedback::default()
        };
        let c = kattis(42, &fb);
        assert_eq!(
            (c.result, c.score_multiplier),
            (CheckResult::Accepted { score: None }, Some(0.25))
        );
        let fb = Feedback {
            score_multiplier: Some("1.5".into()),
            ..Feedback::default()
        };
        assert_eq!(kattis(42, &fb).result, CheckResult::Failed);
    }

    fn testlib(code: i32, msg: &str) -> CheckResult {
        let o = outcome(Termination::Exited(code), msg);
        map_testlib(
            if code == 0 {
                Status::Ok
            } else {
                Status::NonzeroExit
            },
            &o,
        )
        .result
    }

    #[test]
    fn testlib_exit_codes() {
        assert_eq!(
            testlib(0, "ok 3 numbers"),
            CheckResult::Accepted { score: None }
        );
        assert_eq!(
            testlib(1, "wrong answer 2nd differs"),
            CheckResult::WrongAnswer
        );
        assert_eq!(testlib(2, "wrong output format"), CheckResult::WrongAnswer);
        assert_eq!(testlib(4, "extra"), CheckResult::WrongAnswer);
        assert_eq!(testlib(8, "unexpected eof"), CheckResult::WrongAnswer);
        assert_eq!(testlib(3, "FAIL answer is wrong"), CheckResult::Failed);
        assert_eq!(
            testlib(7, "points 42.5 good"),
            CheckResult::Accepted { score: Some(42.5) }
        );
        assert_eq!(testlib(7, "good"), CheckResult::Failed);
        assert_eq!(
            testlib(16 + 30, "partially"),
            CheckResult::Accepted { score: Some(30.0) }
        );
        assert_eq!(testlib(5, ""), CheckResult::Failed);
        let o = outcome(Termination::Signaled(libc::SIGABRT), "");
        assert_eq!(
            map_testlib(Status::Signaled, &o).result,
            CheckResult::Failed
        );
    }

    #[test]
    fn testlib_message_is_kept() {
        let o = outcome(Termination::Exited(1), "wrong answer expected 3, found 4\n");
        assert_eq!(
            map_testlib(Status::NonzeroExit, &o).message,
            "wrong answer expected 3, found 4"
        );
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("abc", 10), "abc");
        let t = truncate("ééé", 3);
        assert!(t.starts_with("é\n[... truncated, 6 bytes"), "{t}");
    }
}
