//! The run status of `run.md`, derived from an [`Outcome`] alone.

use super::{Limits, Outcome, Termination};

/// `status` of the JSON result; exactly the names of `run.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    NonzeroExit,
    Signaled,
    TimeLimitExceeded,
    WallTimeLimitExceeded,
    MemoryLimitExceeded,
    OutputLimitExceeded,
    SyscallDenied,
    InternalError,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NonzeroExit => "nonzero_exit",
            Status::Signaled => "signaled",
            Status::TimeLimitExceeded => "time_limit_exceeded",
            Status::WallTimeLimitExceeded => "wall_time_limit_exceeded",
            Status::MemoryLimitExceeded => "memory_limit_exceeded",
            Status::OutputLimitExceeded => "output_limit_exceeded",
            Status::SyscallDenied => "syscall_denied",
            Status::InternalError => "internal_error",
        }
    }
}

/// Classify an outcome. When several statuses apply, the first in the order of
/// `run.md` wins: syscall_denied, memory, time, wall time, output, signaled,
/// nonzero_exit, ok (`internal_error` never reaches here: it is an `Err`).
pub fn classify(outcome: &Outcome) -> Status {
    classify_parts(outcome.termination, outcome, &outcome.limits)
}

fn classify_parts(term: Termination, o: &Outcome, limits: &Limits) -> Status {
    let signal = match term {
        Termination::Signaled(s) => Some(s),
        _ => None,
    };
    let failed = !matches!(term, Termination::Exited(0));
    if o.denied_syscall.is_some() || signal == Some(libc::SIGSYS) {
        return Status::SyscallDenied;
    }
    // The memory limit rests on evidence: an OOM kill, or a failure while the
    // cgroup was at its limit (an allocation that failed made the program die).
    if limits.memory_bytes.is_some() && (o.oom_killed || (o.memory_limit_hit && failed)) {
        return Status::MemoryLimitExceeded;
    }
    let over_cpu = limits.cpu_time.is_some_and(|l| o.cpu_time >= l);
    if o.enforced.cpu_time || over_cpu || signal == Some(libc::SIGXCPU) {
        return Status::TimeLimitExceeded;
    }
    let over_wall = limits.wall_time.is_some_and(|l| o.wall_time >= l);
    if o.enforced.wall_time || over_wall {
        return Status::WallTimeLimitExceeded;
    }
    if o.enforced.output || signal == Some(libc::SIGXFSZ) {
        return Status::OutputLimitExceeded;
    }
    match term {
        Termination::Signaled(_) => Status::Signaled,
        // Killed by the sandbox without a limit being the reason can only come
        // from a failed step, which is an Err; report it as a signal if it happens.
        Termination::Killed => Status::Signaled,
        Termination::Exited(0) => Status::Ok,
        Termination::Exited(_) => Status::NonzeroExit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{Captured, Enforced, Facts};
    use std::time::Duration;

    fn outcome(term: Termination) -> Outcome {
        Outcome {
            termination: term,
            enforced: Enforced::default(),
            denied_syscall: None,
            cpu_time: Duration::from_millis(10),
            user_time: Duration::from_millis(8),
            sys_time: Duration::from_millis(2),
            wall_time: Duration::from_millis(12),
            exited_at: std::time::Instant::now(),
            memory_peak_bytes: 1 << 20,
            oom_killed: false,
            memory_limit_hit: false,
            stdout: Captured::default(),
            stderr: Captured::default(),
            facts: Facts::default(),
            limits: Limits { memory_bytes: Some(64 << 20), cpu_time: Some(Duration::from_secs(1)), ..Limits::default() },
        }
    }

    #[test]
    fn exit_codes_map_to_ok_and_nonzero() {
        assert_eq!(classify(&outcome(Termination::Exited(0))), Status::Ok);
        assert_eq!(classify(&outcome(Termination::Exited(3))), Status::NonzeroExit);
        assert_eq!(classify(&outcome(Termination::Signaled(libc::SIGSEGV))), Status::Signaled);
    }

    #[test]
    fn sigsys_and_denied_name_are_syscall_denied() {
        assert_eq!(classify(&outcome(Termination::Signaled(libc::SIGSYS))), Status::SyscallDenied);
        let mut o = outcome(Termination::Killed);
        o.denied_syscall = Some("mount".into());
        o.oom_killed = true;
        assert_eq!(classify(&o), Status::SyscallDenied);
    }

    #[test]
    fn memory_beats_time_and_needs_evidence() {
        let mut o = outcome(Termination::Signaled(libc::SIGKILL));
        o.oom_killed = true;
        o.enforced.cpu_time = true;
        assert_eq!(classify(&o), Status::MemoryLimitExceeded);
        // limit hit (reclaim) but the program succeeded: not a memory verdict
        let mut o = outcome(Termination::Exited(0));
        o.memory_limit_hit = true;
        assert_eq!(classify(&o), Status::Ok);
        // limit hit and the program failed (malloc returned NULL): memory verdict
        let mut o = outcome(Termination::Exited(1));
        o.memory_limit_hit = true;
        assert_eq!(classify(&o), Status::MemoryLimitExceeded);
    }

    #[test]
    fn cpu_over_limit_is_tle_even_if_exited_cleanly() {
        let mut o = outcome(Termination::Exited(0));
        o.cpu_time = Duration::from_millis(1000);
        assert_eq!(classify(&o), Status::TimeLimitExceeded);
        assert_eq!(classify(&outcome(Termination::Signaled(libc::SIGXCPU))), Status::TimeLimitExceeded);
    }

    #[test]
    fn time_beats_wall_beats_output_beats_signal() {
        let mut o = outcome(Termination::Killed);
        o.enforced = Enforced { cpu_time: true, wall_time: true, output: true };
        assert_eq!(classify(&o), Status::TimeLimitExceeded);
        o.enforced.cpu_time = false;
        assert_eq!(classify(&o), Status::WallTimeLimitExceeded);
        o.enforced.wall_time = false;
        assert_eq!(classify(&o), Status::OutputLimitExceeded);
        assert_eq!(classify(&outcome(Termination::Signaled(libc::SIGXFSZ))), Status::OutputLimitExceeded);
    }
}
