//! Property tests of the SIZE and SECS parsers (`config::units`, run.md): arbitrary
//! text never panics, and the accepted forms mean what run.md says.

#[path = "fuzz_support.rs"]
mod support;

use dokeru::config::{parse_duration, parse_size};
use proptest::prelude::*;
use support::{config, nasty_string, number_text};

const GIB: u64 = 1 << 30;

fn unit() -> impl Strategy<Value = (&'static str, u32)> {
    proptest::sample::select(vec![
        ("", 0),
        ("B", 0),
        ("b", 0),
        ("K", 10),
        ("k", 10),
        ("KB", 10),
        ("KiB", 10),
        ("kib", 10),
        ("M", 20),
        ("m", 20),
        ("MB", 20),
        ("MiB", 20),
        ("G", 30),
        ("g", 30),
        ("GB", 30),
        ("GiB", 30),
        ("T", 40),
        ("TiB", 40),
    ])
}

fn ascii_ws() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(vec![" ", "\t", "\n", "\r"]), 0..3)
        .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config("parse_size_never_panics", 1.0))]
    #[test]
    fn parse_size_never_panics(text in nasty_string(24), host in any::<u64>()) {
        match parse_size(&text, host) {
            Ok(Some(n)) => {
                // Anything accepted is a percentage of the host or a count in binary units.
                let t = text.trim();
                prop_assert!(t.ends_with('%') || t.bytes().next().is_some_and(|b| b.is_ascii_digit()),
                    "{text:?} accepted as {n}");
                if t.ends_with('%') {
                    prop_assert!(n <= host, "{text:?} of {host} gave {n}");
                }
            }
            Ok(None) => prop_assert!(text.trim().eq_ignore_ascii_case("unlimited")),
            Err(e) => prop_assert!(!e.0.is_empty()),
        }
    }
}

proptest! {
    #![proptest_config(config("parse_size_units_are_binary", 1.0))]
    #[test]
    fn parse_size_units_are_binary(
        n in prop_oneof![0u64..100_000, any::<u64>()],
        (suffix, shift) in unit(),
        lead in ascii_ws(),
        trail in ascii_ws(),
        zeros in 0usize..3,
    ) {
        let text = format!("{lead}{}{n}{suffix}{trail}", "0".repeat(zeros));
        let got = parse_size(&text, 0);
        match n.checked_mul(1u64 << shift) {
            Some(bytes) => prop_assert_eq!(got, Ok(Some(bytes)), "{:?}", text),
            None => prop_assert!(got.is_err(), "{text:?} overflows but gave {got:?}"),
        }
    }
}

proptest! {
    #![proptest_config(config("parse_size_rejects_signs_fractions_and_junk", 1.0))]
    #[test]
    fn parse_size_rejects_signs_fractions_and_junk(
        n in 0u64..1_000_000,
        (suffix, _) in unit(),
        junk in proptest::sample::select(vec![
            "-", "+", ".5", ",5", "_0", "e3", "x", "Q", "é", "\0", "K K", "%%", "ii", "iB",
            "Ｍ",
        ]),
        before in any::<bool>(),
    ) {
        let text = if before { format!("{junk}{n}{suffix}") } else { format!("{n}{junk}{suffix}") };
        // U+00A0 is not in the list: `str::trim` strips Unicode whitespace around a
        // value, which is harmless. `{n}%` is a valid percentage form; `{n}iB` after a bare number is `{n}` then
        // `iB`, which is not a unit, so every text here is malformed.
        let got = parse_size(&text, GIB);
        prop_assert!(got.is_err(), "{text:?} accepted as {got:?}");
    }
}

proptest! {
    #![proptest_config(config("parse_size_percent_is_monotone", 1.0))]
    #[test]
    fn parse_size_percent_is_monotone(
        a in 0.0f64..=100.0,
        b in 0.0f64..=100.0,
        host in prop_oneof![Just(0u64), 1u64..(1 << 40), Just(u64::MAX)],
        spaced in any::<bool>(),
    ) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let fmt = |p: f64| if spaced { format!(" {p}% ") } else { format!("{p}%") };
        let (l, h) = (parse_size(&fmt(lo), host), parse_size(&fmt(hi), host));
        if lo > 0.0 {
            let (Ok(Some(l)), Ok(Some(h))) = (l.clone(), h.clone()) else {
                return Err(TestCaseError::fail(format!("{lo}%/{hi}% of {host}: {l:?} {h:?}")));
            };
            prop_assert!(l <= h && h <= host, "{lo}% -> {l}, {hi}% -> {h} of {host}");
        } else {
            prop_assert!(l.is_err(), "0% accepted");
        }
        prop_assert_eq!(parse_size("100%", host), Ok(Some(host)));
    }
}

proptest! {
    #![proptest_config(config("parse_size_percent_out_of_range", 1.0))]
    #[test]
    fn parse_size_percent_out_of_range(p in number_text()) {
        let v: Option<f64> = p.parse().ok();
        let got = parse_size(&format!("{p}%"), GIB);
        match v {
            Some(x) if x.is_finite() && x > 0.0 && x <= 100.0 => prop_assert!(got.is_ok(), "{p}% refused: {got:?}"),
            _ => prop_assert!(got.is_err(), "{p}% accepted as {got:?}"),
        }
    }
}

proptest! {
    #![proptest_config(config("parse_duration_never_panics", 1.0))]
    #[test]
    fn parse_duration_never_panics(text in prop_oneof![nasty_string(24), number_text()]) {
        match parse_duration(&text) {
            Ok(d) => {
                prop_assert!(d > std::time::Duration::ZERO, "{text:?} gave {d:?}");
                prop_assert!(d.as_secs_f64() <= 1e7, "{text:?} gave {d:?}");
                // Only digits, one dot and an optional `s` are accepted.
                let t = text.trim();
                let t = t.strip_suffix('s').unwrap_or(t);
                prop_assert!(t.bytes().all(|b| b.is_ascii_digit() || b == b'.'), "{text:?}");
            }
            Err(e) => prop_assert!(!e.0.is_empty()),
        }
    }
}

proptest! {
    #![proptest_config(config("parse_duration_decimals_round_trip", 1.0))]
    #[test]
    fn parse_duration_decimals_round_trip(
        whole in 0u64..10_000_000,
        frac in proptest::option::of(0u32..1_000_000),
        s in any::<bool>(),
        lead in ascii_ws(),
        trail in ascii_ws(),
    ) {
        let num = match frac {
            Some(f) => format!("{whole}.{f:06}"),
            None => whole.to_string(),
        };
        let text = format!("{lead}{num}{}{trail}", if s { "s" } else { "" });
        let expect: f64 = num.parse().unwrap();
        match parse_duration(&text) {
            Ok(d) => {
                prop_assert!(expect > 0.0);
                // Within a microsecond (f64 seconds up to 1e7 keep ~1e-9 s).
                prop_assert!((d.as_secs_f64() - expect).abs() < 1e-6, "{text:?} gave {d:?}");
            }
            Err(_) => prop_assert!(expect == 0.0, "{text:?} refused"),
        }
    }
}

proptest! {
    #![proptest_config(config("parse_duration_refuses_what_run_md_does_not_allow", 1.0))]
    #[test]
    fn parse_duration_refuses_what_run_md_does_not_allow(
        n in 1u32..1000,
        bad in proptest::sample::select(vec![
            "-", "+", "e3", "E-1", "ms", "m", "h", "..", ",", "_", "inf", "nan", "\0", "x", "ss",
        ]),
        before in any::<bool>(),
    ) {
        let text = if before { format!("{bad}{n}") } else { format!("{n}{bad}") };
        prop_assert!(parse_duration(&text).is_err(), "{text:?} accepted");
    }
}
