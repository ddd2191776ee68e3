//! Shared settings and input generators of the `fuzz_*` property tests (issue #4).
//!
//! Every `tests/fuzz_*.rs` target includes this file with
//! `#[path = "fuzz_support.rs"] mod support;`; cargo also builds it as a target of its
//! own, which checks the settings below.
//!
//! Bounded and reproducible by default, so that plain `cargo test` in CI runs them:
//! - `DOKERU_FUZZ_CASES` (default [`DEFAULT_CASES`]): cases per property; raise it for a
//!   longer local run (`DOKERU_FUZZ_CASES=20000 cargo test --test fuzz_units`);
//! - `DOKERU_FUZZ_SEED` (default [`DEFAULT_SEED`]): the RNG seed. It is printed by every
//!   property (shown by the harness when one fails), so a failure found with a random
//!   seed (`DOKERU_FUZZ_SEED=random`) can be replayed exactly.
//!
//! Generators return boxed strategies: deeply nested strategy types overflow the 2 MiB
//! test-thread stack in debug builds.
//!
//! No failure-persistence files are written: a fixed seed already replays a failure,
//! and the tests must not write into the source tree.

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

pub const DEFAULT_CASES: u32 = 256;
pub const DEFAULT_SEED: u64 = 0x646f_6b65_7275; // "dokeru"

/// Cases per property: `DOKERU_FUZZ_CASES` or [`DEFAULT_CASES`], scaled by `weight`
/// (a property that writes files or builds BPF runs fewer cases than a pure one).
pub fn cases(weight: f64) -> u32 {
    let base = std::env::var("DOKERU_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(DEFAULT_CASES);
    ((f64::from(base) * weight).ceil() as u32).max(1)
}

/// The seed of this run: `DOKERU_FUZZ_SEED` (a number, or `random`) or the default.
pub fn seed() -> u64 {
    match std::env::var("DOKERU_FUZZ_SEED")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("") => DEFAULT_SEED,
        Some("random") => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1);
            t ^ u64::from(std::process::id()).rotate_left(32)
        }
        Some(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("DOKERU_FUZZ_SEED={s:?}: expected a number or `random`")),
    }
}

/// The proptest configuration of one property.
pub fn config(name: &str, weight: f64) -> Config {
    let cases = cases(weight);
    let seed = seed();
    eprintln!("{name}: {cases} cases, DOKERU_FUZZ_SEED={seed}");
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        // Shrinking is bounded too, so a failing CI run still ends quickly.
        max_shrink_iters: 2048,
        max_global_rejects: cases.saturating_mul(16).max(1024),
        ..Config::default()
    }
}

/// Any string, biased towards the characters parsers care about: ASCII digits and
/// letters, signs, dots, whitespace of every kind, NUL, and multi-byte characters
/// (to catch byte-index slicing on a non-char boundary).
pub fn nasty_string(max_len: usize) -> BoxedStrategy<String> {
    let piece = prop_oneof![
        4 => proptest::char::range('0', '9').prop_map(String::from),
        2 => proptest::sample::select(vec![
            ".", "-", "+", "e", "E", "%", "_", ":", "=", ",", "/", "{", "}", "\"", "'", "#",
            "[", "]", "k", "K", "m", "M", "g", "G", "t", "T", "i", "I", "b", "B", "s",
            "inf", "nan", "NaN", "unlimited", "0x", "1e308", "1e999", "-0", "..",
        ])
        .prop_map(String::from),
        1 => proptest::sample::select(vec![
            " ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\0", "\u{a0}", "\u{2028}",
            "\u{3000}", "\u{feff}",
        ])
        .prop_map(String::from),
        1 => proptest::sample::select(vec![
            "é", "İ", "ß", "K", "Ｍ", "١", "𝟙", "😀", "\u{301}", "ﬃ",
        ])
        .prop_map(String::from),
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..max_len)
        .prop_map(|v| v.concat())
        .boxed()
}

/// Arbitrary bytes biased towards whitespace, digits, NUL, high bytes and invalid UTF-8.
pub fn nasty_bytes(max_len: usize) -> BoxedStrategy<Vec<u8>> {
    let byte = prop_oneof![
        3 => proptest::sample::select(b"0123456789".to_vec()),
        2 => proptest::sample::select(b" \t\n\r\x0b\x0c".to_vec()),
        1 => proptest::sample::select(b".-+eEaAzZ".to_vec()),
        1 => proptest::sample::select(vec![0u8, 0x80, 0xc3, 0xa9, 0xff, 0xfe, 0xed, 0xa0]),
        1 => any::<u8>(),
    ];
    proptest::collection::vec(byte, 0..max_len).boxed()
}

/// Numbers written the ways users (and hostile files) write them.
pub fn number_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u32..100_000).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        any::<f64>().prop_map(|x| format!("{x:e}")),
        (any::<i32>(), any::<i16>()).prop_map(|(m, e)| format!("{m}e{e}")),
        (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        proptest::sample::select(vec![
            "0",
            "-0",
            "+0",
            "0.0",
            ".5",
            "5.",
            ".",
            "1e",
            "1e+",
            "1e-400",
            "1e400",
            "-1e400",
            "inf",
            "-inf",
            "+inf",
            "Infinity",
            "nan",
            "NaN",
            "-nan",
            "0x10",
            "1_000",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999999999",
            "4.9e-324",
            "1.7976931348623157e308",
        ])
        .prop_map(String::from),
    ]
    .boxed()
}

#[test]
fn settings_are_bounded_and_deterministic_by_default() {
    if std::env::var_os("DOKERU_FUZZ_CASES").is_none() {
        assert_eq!(cases(1.0), DEFAULT_CASES);
        assert_eq!(cases(0.25), DEFAULT_CASES / 4);
    }
    assert!(cases(0.0) >= 1);
    if std::env::var_os("DOKERU_FUZZ_SEED").is_none() {
        assert_eq!(seed(), DEFAULT_SEED);
        assert_eq!(
            config("settings", 1.0).rng_seed,
            RngSeed::Fixed(DEFAULT_SEED)
        );
    }
}
