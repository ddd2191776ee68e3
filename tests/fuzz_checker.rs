//! Property tests of the checker-result readers (`judge::checker`): a 42/43 validator's
//! exit code, stderr and feedback files (`judgemessage.txt`, `score.txt`,
//! `score_multiplier.txt`), and a testlib checker's exit code and `points X` message.

#[path = "fuzz_support.rs"]
mod support;

use dokeru::judge::checker::{Checked, Feedback, map_kattis, map_testlib, truncate};
use dokeru::judge::report::Text;
use dokeru::judge::verdict::CheckResult;
use dokeru::sandbox::{Captured, Enforced, Facts, Limits, Outcome, Status, Termination};
use proptest::prelude::*;
use std::time::Duration;
use support::{config, nasty_bytes, nasty_string, number_text};

const STATUSES: [Status; 8] = [
    Status::Ok,
    Status::NonzeroExit,
    Status::Signaled,
    Status::TimeLimitExceeded,
    Status::WallTimeLimitExceeded,
    Status::MemoryLimitExceeded,
    Status::OutputLimitExceeded,
    Status::SyscallDenied,
];

fn outcome(termination: Termination, stderr: Vec<u8>, truncated: bool) -> Outcome {
    Outcome {
        termination,
        enforced: Enforced::default(),
        denied_syscall: None,
        cpu_time: Duration::from_millis(1),
        user_time: Duration::from_millis(1),
        sys_time: Duration::ZERO,
        wall_time: Duration::from_millis(2),
        exited_at: std::time::Instant::now(),
        memory_peak_bytes: 1 << 20,
        oom_killed: false,
        memory_limit_hit: false,
        stdout: Captured::default(),
        stderr: Captured {
            bytes: stderr,
            truncated,
        },
        facts: Facts::default(),
        limits: Limits::default(),
    }
}

fn termination() -> BoxedStrategy<Termination> {
    prop_oneof![
        4 => prop_oneof![
            proptest::sample::select(vec![0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 42, 43, 215, 216, 255]),
            any::<i32>(),
        ]
        .prop_map(Termination::Exited),
        1 => any::<i32>().prop_map(Termination::Signaled),
        1 => Just(Termination::Killed),
    ]
    .boxed()
}

/// The status the sandbox would give, or any status (a checker run that the sandbox
/// classified oddly must still map to something).
fn status_for(t: Termination) -> impl Strategy<Value = Status> {
    let natural = match t {
        Termination::Exited(0) => Status::Ok,
        Termination::Exited(_) => Status::NonzeroExit,
        Termination::Signaled(_) => Status::Signaled,
        Termination::Killed => Status::TimeLimitExceeded,
    };
    prop_oneof![3 => Just(natural), 1 => proptest::sample::select(STATUSES.to_vec())]
}

/// Contents of a feedback file as the judge reads it (bytes, lossily decoded).
fn file_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => number_text().prop_map(|n| format!("{n}\n")),
        1 => number_text(),
        1 => (number_text(), number_text()).prop_map(|(a, b)| format!("{a} {b}")),
        2 => nasty_bytes(40).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => nasty_string(40),
        1 => Just(String::new()),
        1 => Just("x".repeat(10_000)),
        1 => Just("é".repeat(3000)),
    ]
    .boxed()
}

fn feedback() -> BoxedStrategy<Feedback> {
    (
        proptest::option::of(file_text()),
        proptest::option::of(file_text()),
        proptest::option::weighted(0.3, file_text()),
        proptest::option::weighted(0.3, file_text()),
    )
        .prop_map(
            |(judgemessage, teammessage, score, score_multiplier)| Feedback {
                judgemessage,
                teammessage,
                score,
                score_multiplier,
            },
        )
        .boxed()
}

fn stderr_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        nasty_bytes(60),
        (
            prop_oneof![Just("points"), Just("POINTS"), Just("ok"), Just("")],
            number_text(),
            nasty_string(10)
        )
            .prop_map(|(w, n, rest)| format!("{w} {n} {rest}").into_bytes()),
        Just(vec![0xff; 5000]),
        Just("ü".repeat(2100).into_bytes()),
    ]
    .boxed()
}

/// What every conclusion must satisfy, whichever protocol produced it.
fn check_common(c: &Checked) -> Result<(), TestCaseError> {
    // The message is for a report: cut to 4096 bytes plus the marker.
    prop_assert!(
        c.message.len() <= 4096 + 64,
        "message of {} bytes",
        c.message.len()
    );
    prop_assert_eq!(c.message.trim_end(), c.message.as_str());
    match &c.result {
        CheckResult::Failed => prop_assert!(c.failure.as_ref().is_some_and(|f| !f.is_empty())),
        _ => prop_assert!(c.failure.is_none(), "{c:?}"),
    }
    if let CheckResult::Accepted { score: Some(s) } = c.result {
        prop_assert!(s.is_finite() && s >= 0.0, "score {s}");
    }
    if let Some(m) = c.score_multiplier {
        prop_assert!((0.0..=1.0).contains(&m), "multiplier {m}");
        let accepted = matches!(c.result, CheckResult::Accepted { .. });
        prop_assert!(accepted, "a multiplier on {:?}", c.result);
    }
    Ok(())
}

fn good_number(s: &str) -> Option<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
}

proptest! {
    #![proptest_config(config("map_kattis_never_panics", 4.0))]
    #[test]
    fn map_kattis_never_panics(
        (t, status) in termination().prop_flat_map(|t| (Just(t), status_for(t))),
        stderr in stderr_bytes(),
        truncated in any::<bool>(),
        fb in feedback(),
    ) {
        let c = map_kattis(status, &outcome(t, stderr, truncated), &fb);
        check_common(&c)?;
        let exited = matches!(status, Status::Ok | Status::NonzeroExit);
        match (exited, t) {
            (true, Termination::Exited(42)) => {
                let sane = !(fb.score.is_some() && fb.score_multiplier.is_some())
                    && fb.score.as_deref().is_none_or(|s| good_number(s).is_some())
                    && fb.score_multiplier.as_deref().is_none_or(|s| good_number(s).is_some_and(|m| m <= 1.0));
                if sane {
                    let score = fb.score.as_deref().and_then(good_number);
                    prop_assert_eq!(&c.result, &CheckResult::Accepted { score });
                    prop_assert_eq!(c.score_multiplier, fb.score_multiplier.as_deref().and_then(good_number));
                } else {
                    prop_assert_eq!(&c.result, &CheckResult::Failed);
                }
            }
            (true, Termination::Exited(43)) => {
                let want = if fb.score.is_none() && fb.score_multiplier.is_none() {
                    CheckResult::WrongAnswer
                } else {
                    CheckResult::Failed
                };
                prop_assert_eq!(&c.result, &want);
            }
            _ => prop_assert_eq!(&c.result, &CheckResult::Failed, "{:?} {:?}", status, t),
        }
        // The judge message is preferred over stderr when it has any text.
        if let Some(j) = fb.judgemessage.as_deref().filter(|j| !j.trim().is_empty()) {
            let j = j.trim_end();
            let keep = &j[..j.floor_char_boundary(j.len().min(4096))];
            prop_assert!(c.message.starts_with(keep), "judgemessage not kept");
        }
    }
}

proptest! {
    #![proptest_config(config("map_testlib_never_panics", 4.0))]
    #[test]
    fn map_testlib_never_panics(
        (t, status) in termination().prop_flat_map(|t| (Just(t), status_for(t))),
        stderr in stderr_bytes(),
        truncated in any::<bool>(),
    ) {
        let c = map_testlib(status, &outcome(t, stderr.clone(), truncated));
        check_common(&c)?;
        prop_assert_eq!(c.score_multiplier, None);
        let exited = matches!(status, Status::Ok | Status::NonzeroExit);
        let code = match t { Termination::Exited(c) if exited => Some(c), _ => None };
        let want = match code {
            None => CheckResult::Failed,
            Some(0) => CheckResult::Accepted { score: None },
            Some(1 | 2 | 4 | 8) => CheckResult::WrongAnswer,
            Some(7) => {
                let text = String::from_utf8_lossy(&stderr);
                let mut w = text.split_whitespace();
                match (w.next(), w.next().and_then(good_number)) {
                    (Some("points"), Some(p)) => CheckResult::Accepted { score: Some(p) },
                    _ => CheckResult::Failed,
                }
            }
            Some(c) if (16..216).contains(&c) => CheckResult::Accepted { score: Some(f64::from(c - 16)) },
            Some(_) => CheckResult::Failed,
        };
        prop_assert_eq!(c.result, want, "{:?} {:?}", status, t);
    }
}

proptest! {
    #![proptest_config(config("truncate_and_text_never_panic", 2.0))]
    #[test]
    fn truncate_and_text_never_panic(
        s in prop_oneof![nasty_string(40), Just("é".repeat(50)), Just("😀".repeat(30))],
        raw in nasty_bytes(80),
        max in prop_oneof![0usize..80, Just(usize::MAX)],
        already in any::<bool>(),
    ) {
        let t = truncate(&s, max);
        if s.len() <= max {
            prop_assert_eq!(&t, &s);
        } else {
            let cut = t.split("\n[... truncated").next().unwrap();
            prop_assert!(cut.len() <= max && s.starts_with(cut), "{s:?} cut to {max}: {t:?}");
            let marker = format!("{} bytes in all]", s.len());
            prop_assert!(t.ends_with(&marker), "{t:?}");
        }
        let text = Text::from_bytes(&raw, already, max);
        prop_assert_eq!(text.truncated, already || raw.len() > max);
        prop_assert!(text.text.len() <= raw.len().min(max).saturating_mul(3));
    }
}
