//! Interactive problems: the submission and the interactor (the package's output
//! validator) in two sandboxes, joined by two pipes, each with its own limits and its
//! own accounting. Neither side sees the other's files: the input, the answer and the
//! feedback dir are copied into the interactor's box only.
//!
//! The pipes are made with `O_CLOEXEC`: while one side's sandbox forks, the other
//! side's ends must not leak into it past exec, or a side would never see EOF when
//! its peer exits.

use super::checker::{self, Checked};
use super::verdict::{CheckResult, Verdict, from_run_status};
use crate::sandbox::{Outcome, SandboxError, SandboxSpec, Status};
use std::time::{Duration, Instant};

/// The verdict of an interactive test, following the format's precedence:
/// 1. the interactor rejected (43) before the submission ended: wrong answer, whatever
///    the submission did afterwards (it may hang or die of SIGPIPE);
/// 2. the interactor failed (crash, bad exit code, limit) before the submission ended:
///    judge error;
/// 3. the submission hit a limit or crashed: that verdict (a deadlock ends here, at the
///    submission's wall-time limit, as time limit exceeded);
/// 4. otherwise the interactor decides: 42 accepted, 43 wrong answer, else judge error.
pub fn verdict(sub_status: Status, interactor: &Checked, interactor_first: bool) -> Verdict {
    match (&interactor.result, interactor_first) {
        (CheckResult::WrongAnswer, true) => return Verdict::WrongAnswer,
        (CheckResult::Failed, true) => return Verdict::JudgeError,
        _ => {}
    }
    if let Some(v) = from_run_status(sub_status) {
        return v;
    }
    match interactor.result {
        CheckResult::Accepted { .. } => Verdict::Accepted,
        CheckResult::WrongAnswer => Verdict::WrongAnswer,
        CheckResult::Failed => Verdict::JudgeError,
    }
}

/// Both sides' results.
pub struct Pair {
    pub submission: Result<Outcome, SandboxError>,
    pub interactor: Result<Outcome, SandboxError>,
    /// The interactor's run ended strictly before the submission's.
    pub interactor_first: bool,
}

/// Run both specs at once. `make` receives the four pipe ends and must put
/// (submission stdin, submission stdout) into the submission's spec and
/// (interactor stdin, interactor stdout) into the interactor's; both specs own their
/// ends, so the parent keeps no copy that could hold a pipe open.
///
/// # Errors
/// Creating the pipes failed.
pub fn run_pair<F>(
    run: &(dyn Fn(SandboxSpec) -> Result<Outcome, SandboxError> + Sync),
    make: F,
) -> Result<Pair, std::io::Error>
where
    F: FnOnce(Ends) -> (SandboxSpec, SandboxSpec),
{
    use nix::fcntl::OFlag;
    let (to_sub_r, to_sub_w) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(std::io::Error::from)?;
    let (from_sub_r, from_sub_w) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(std::io::Error::from)?;
    let (sub, int) = make(Ends {
        submission_stdin: to_sub_r,
        submission_stdout: from_sub_w,
        interactor_stdin: from_sub_r,
        interactor_stdout: to_sub_w,
    });
    let (s, i) = std::thread::scope(|scope| {
        // When each side ended, on one clock: the sandbox's `exited_at` (init stamps
        // the main process's exit on the monotonic clock). Not `start + wall_time`:
        // wall_time counts from exec, after a sandbox setup whose length differs
        // between the two sides (by hundreds of ms on a slow VM). A run that failed
        // has no outcome: the moment it returned stands in.
        let hs = scope.spawn(|| {
            let r = run(sub);
            (r, Instant::now())
        });
        let hi = scope.spawn(|| {
            let r = run(int);
            (r, Instant::now())
        });
        let join =
            |h: std::thread::ScopedJoinHandle<'_, (Result<Outcome, SandboxError>, Instant)>| {
                h.join().unwrap_or_else(|_| {
                    (
                        Err(SandboxError {
                            step: "run thread".into(),
                            message: "panicked".into(),
                        }),
                        Instant::now(),
                    )
                })
            };
        (join(hs), join(hi))
    });
    // A margin so that "ended at the same time" (the submission died of EOF because
    // the interactor exited) still counts the interactor as first.
    let ended = |r: &(Result<Outcome, SandboxError>, Instant)| r.0.as_ref().map_or(r.1, |o| o.exited_at);
    let interactor_first = ended(&i) <= ended(&s) + Duration::from_millis(1);
    Ok(Pair {
        submission: s.0,
        interactor: i.0,
        interactor_first,
    })
}

/// The pipe ends of an interactive run.
pub struct Ends {
    pub submission_stdin: std::os::fd::OwnedFd,
    pub submission_stdout: std::os::fd::OwnedFd,
    pub interactor_stdin: std::os::fd::OwnedFd,
    pub interactor_stdout: std::os::fd::OwnedFd,
}

/// Map the interactor's run with the 42/43 protocol.
pub fn check(status: Status, outcome: &Outcome, feedback: &checker::Feedback) -> Checked {
    checker::map_kattis(status, outcome, feedback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(r: CheckResult) -> Checked {
        Checked {
            result: r,
            message: String::new(),
            failure: None,
            score_multiplier: None,
        }
    }
    const AC: CheckResult = CheckResult::Accepted { score: None };

    #[test]
    fn interactor_rejects_first_then_submission_hangs_is_wa() {
        assert_eq!(
            verdict(
                Status::WallTimeLimitExceeded,
                &c(CheckResult::WrongAnswer),
                true
            ),
            Verdict::WrongAnswer
        );
        assert_eq!(
            verdict(Status::Signaled, &c(CheckResult::WrongAnswer), true),
            Verdict::WrongAnswer
        );
    }

    #[test]
    fn submission_limit_first_wins_over_a_later_rejection() {
        // Deadlock: the submission is killed at its wall limit, then the interactor
        // sees EOF and rejects.
        assert_eq!(
            verdict(
                Status::WallTimeLimitExceeded,
                &c(CheckResult::WrongAnswer),
                false
            ),
            Verdict::TimeLimitExceeded
        );
        assert_eq!(
            verdict(Status::TimeLimitExceeded, &c(AC), false),
            Verdict::TimeLimitExceeded
        );
        assert_eq!(
            verdict(Status::MemoryLimitExceeded, &c(AC), false),
            Verdict::MemoryLimitExceeded
        );
        assert_eq!(
            verdict(Status::NonzeroExit, &c(CheckResult::WrongAnswer), false),
            Verdict::RunTimeError
        );
    }

    #[test]
    fn a_crashed_interactor_is_judge_error() {
        assert_eq!(
            verdict(Status::Ok, &c(CheckResult::Failed), false),
            Verdict::JudgeError
        );
        assert_eq!(
            verdict(Status::Signaled, &c(CheckResult::Failed), true),
            Verdict::JudgeError
        );
    }

    #[test]
    fn clean_runs_follow_the_interactor() {
        assert_eq!(verdict(Status::Ok, &c(AC), true), Verdict::Accepted);
        assert_eq!(
            verdict(Status::Ok, &c(CheckResult::WrongAnswer), false),
            Verdict::WrongAnswer
        );
    }
}
