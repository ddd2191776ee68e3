//! Verdicts: from a run status and a checker result, and over a list of tests.

use crate::sandbox::Status;

/// The verdicts of `judge.md`, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accepted,
    WrongAnswer,
    TimeLimitExceeded,
    MemoryLimitExceeded,
    RunTimeError,
    OutputLimitExceeded,
    CompileError,
    JudgeError,
}

impl Verdict {
    pub const ALL: [Verdict; 8] = [
        Verdict::Accepted,
        Verdict::WrongAnswer,
        Verdict::TimeLimitExceeded,
        Verdict::MemoryLimitExceeded,
        Verdict::RunTimeError,
        Verdict::OutputLimitExceeded,
        Verdict::CompileError,
        Verdict::JudgeError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::WrongAnswer => "wrong_answer",
            Verdict::TimeLimitExceeded => "time_limit_exceeded",
            Verdict::MemoryLimitExceeded => "memory_limit_exceeded",
            Verdict::RunTimeError => "run_time_error",
            Verdict::OutputLimitExceeded => "output_limit_exceeded",
            Verdict::CompileError => "compile_error",
            Verdict::JudgeError => "judge_error",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The short code of the format (`AC`, `WA`, `TLE`, `RTE`), used by the
    /// `submissions/` folders: the format has no memory or output verdict, so both
    /// count as `RTE` there (judge.md).
    pub fn format_code(self) -> &'static str {
        match self {
            Verdict::Accepted => "AC",
            Verdict::WrongAnswer => "WA",
            Verdict::TimeLimitExceeded => "TLE",
            Verdict::MemoryLimitExceeded | Verdict::OutputLimitExceeded | Verdict::RunTimeError => {
                "RTE"
            }
            Verdict::CompileError => "CE",
            Verdict::JudgeError => "JE",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict a run status gives by itself, before any checker looks at the output.
///
/// `None` means the run ended cleanly and the output decides. Any limit hit is a verdict
/// here, so a correct output can never rescue it: the checker is not even consulted.
pub fn from_run_status(status: Status) -> Option<Verdict> {
    match status {
        Status::Ok => None,
        Status::TimeLimitExceeded | Status::WallTimeLimitExceeded => {
            Some(Verdict::TimeLimitExceeded)
        }
        Status::MemoryLimitExceeded => Some(Verdict::MemoryLimitExceeded),
        Status::OutputLimitExceeded => Some(Verdict::OutputLimitExceeded),
        Status::Signaled | Status::NonzeroExit | Status::SyscallDenied => {
            Some(Verdict::RunTimeError)
        }
        Status::InternalError => Some(Verdict::JudgeError),
    }
}

/// What a checker (default validator, 42/43 validator, testlib checker) concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckResult {
    Accepted {
        score: Option<f64>,
    },
    WrongAnswer,
    /// The checker itself failed: crashed, hit a limit, exited with an unknown code,
    /// wrote an invalid score. Never the submission's fault.
    Failed,
}

/// The test verdict of a non-interactive run: the run status first, then the checker.
pub fn test_verdict(status: Status, check: Option<&CheckResult>) -> Verdict {
    if let Some(v) = from_run_status(status) {
        return v;
    }
    match check {
        Some(CheckResult::Accepted { .. }) => Verdict::Accepted,
        Some(CheckResult::WrongAnswer) => Verdict::WrongAnswer,
        Some(CheckResult::Failed) | None => Verdict::JudgeError,
    }
}

/// The overall verdict: the first non-accepted test in judging order (`judge.md`);
/// accepted when every test was accepted (and there was at least one).
pub fn overall<I: IntoIterator<Item = Verdict>>(verdicts: I) -> Verdict {
    verdicts
        .into_iter()
        .find(|v| *v != Verdict::Accepted)
        .unwrap_or(Verdict::Accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_verdicts_of_judge_md() {
        assert_eq!(from_run_status(Status::Ok), None);
        assert_eq!(
            from_run_status(Status::TimeLimitExceeded),
            Some(Verdict::TimeLimitExceeded)
        );
        assert_eq!(
            from_run_status(Status::WallTimeLimitExceeded),
            Some(Verdict::TimeLimitExceeded)
        );
        assert_eq!(
            from_run_status(Status::MemoryLimitExceeded),
            Some(Verdict::MemoryLimitExceeded)
        );
        assert_eq!(
            from_run_status(Status::OutputLimitExceeded),
            Some(Verdict::OutputLimitExceeded)
        );
        assert_eq!(
            from_run_status(Status::Signaled),
            Some(Verdict::RunTimeError)
        );
        assert_eq!(
            from_run_status(Status::NonzeroExit),
            Some(Verdict::RunTimeError)
        );
        assert_eq!(
            from_run_status(Status::SyscallDenied),
            Some(Verdict::RunTimeError)
        );
        assert_eq!(
            from_run_status(Status::InternalError),
            Some(Verdict::JudgeError)
        );
    }

    #[test]
    fn a_limit_hit_is_never_rescued_by_a_correct_output() {
        let ac = CheckResult::Accepted { score: None };
        assert_eq!(
            test_verdict(Status::TimeLimitExceeded, Some(&ac)),
            Verdict::TimeLimitExceeded
        );
        assert_eq!(
            test_verdict(Status::WallTimeLimitExceeded, Some(&ac)),
            Verdict::TimeLimitExceeded
        );
        assert_eq!(
            test_verdict(Status::MemoryLimitExceeded, Some(&ac)),
            Verdict::MemoryLimitExceeded
        );
        assert_eq!(
            test_verdict(Status::OutputLimitExceeded, Some(&ac)),
            Verdict::OutputLimitExceeded
        );
        assert_eq!(
            test_verdict(Status::NonzeroExit, Some(&ac)),
            Verdict::RunTimeError
        );
        assert_eq!(test_verdict(Status::Ok, Some(&ac)), Verdict::Accepted);
    }

    #[test]
    fn a_failed_checker_is_judge_error_not_the_submissions_fault() {
        assert_eq!(
            test_verdict(Status::Ok, Some(&CheckResult::Failed)),
            Verdict::JudgeError
        );
        assert_eq!(test_verdict(Status::Ok, None), Verdict::JudgeError);
        assert_eq!(
            test_verdict(Status::Ok, Some(&CheckResult::WrongAnswer)),
            Verdict::WrongAnswer
        );
    }

    #[test]
    fn overall_is_first_non_accepted_in_order() {
        use Verdict::*;
        assert_eq!(
            overall([Accepted, WrongAnswer, TimeLimitExceeded]),
            WrongAnswer
        );
        assert_eq!(
            overall([Accepted, TimeLimitExceeded, WrongAnswer]),
            TimeLimitExceeded
        );
        assert_eq!(overall([Accepted, Accepted]), Accepted);
    }

    #[test]
    fn names_round_trip_and_memory_counts_as_rte_in_the_format() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.as_str())
            );
        }
        assert_eq!(Verdict::MemoryLimitExceeded.format_code(), "RTE");
        assert_eq!(Verdict::OutputLimitExceeded.format_code(), "RTE");
    }
}
