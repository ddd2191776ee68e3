//! Property tests of the default output validator (`judge::default_validator`): its flag
//! parser (`validator_flags` / `output_validator_args`), its float grammar, and the
//! comparison of team output with the answer on arbitrary bytes.

#[path = "fuzz_support.rs"]
mod support;

use dokeru::judge::default_validator::{FlagError, Flags, Judgement, parse_float, validate};
use proptest::prelude::*;
use support::{config, nasty_bytes, nasty_string, number_text};

const FLAG_NAMES: [&str; 5] = [
    "case_sensitive",
    "space_change_sensitive",
    "float_tolerance",
    "float_relative_tolerance",
    "float_absolute_tolerance",
];

fn flag_token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(FLAG_NAMES.to_vec()).prop_map(String::from),
        3 => number_text(),
        1 => proptest::sample::select(vec![
            "", " ", "CASE_SENSITIVE", "case_sensitive ", "float-tolerance", "ignore_case",
            "1e-6", "0", "-0", "1e309", "-1e-9", "inf", "nan", "1e-400",
        ])
        .prop_map(String::from),
        1 => nasty_string(10),
    ]
}

fn flag_list() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(flag_token(), 0..7)
}

proptest! {
    #![proptest_config(config("flags_parse_never_panics", 4.0))]
    #[test]
    fn flags_parse_never_panics(args in flag_list()) {
        match Flags::parse(&args) {
            Ok(f) => {
                for t in [f.float_absolute_tolerance, f.float_relative_tolerance].into_iter().flatten() {
                    prop_assert!(t.is_finite() && t >= 0.0, "{args:?} -> {f:?}");
                }
                // Every token is a flag or the value right after a tolerance flag.
                let mut i = 0;
                while i < args.len() {
                    prop_assert!(FLAG_NAMES.contains(&args[i].as_str()), "{args:?}: {:?} accepted", args[i]);
                    i += if args[i].starts_with("float_") { 2 } else { 1 };
                }
                prop_assert_eq!(f.case_sensitive, args.iter().any(|a| a == "case_sensitive"));
                prop_assert_eq!(f.space_change_sensitive, args.iter().any(|a| a == "space_change_sensitive"));
            }
            Err(e) => {
                let m = e.to_string();
                prop_assert!(!m.is_empty());
                match &e {
                    FlagError::Unknown(t) => prop_assert!(args.contains(t)),
                    FlagError::MissingValue(f) | FlagError::Repeated(f) => {
                        prop_assert!(FLAG_NAMES.contains(&f.as_str()) && m.contains(f.as_str()));
                    }
                    FlagError::BadValue { flag, value } => {
                        prop_assert!(m.contains(flag.as_str()), "{m}");
                        prop_assert!(args.contains(value), "{value:?} not among {args:?}");
                        let x = parse_float(value.as_bytes());
                        prop_assert!(!x.is_some_and(|x| x.is_finite() && x >= 0.0), "{value:?} is a fine tolerance");
                    }
                    FlagError::Conflicting => {
                        prop_assert!(args.iter().any(|a| a == "float_tolerance"));
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config("flags_parse_takes_every_tolerance_number", 2.0))]
    #[test]
    fn flags_parse_takes_every_tolerance_number(
        which in proptest::sample::select(FLAG_NAMES[2..].to_vec()),
        tol in float_text(),
        case in any::<bool>(),
        space in any::<bool>(),
    ) {
        let mut args = vec![which.to_string(), tol.clone()];
        if case { args.insert(0, "case_sensitive".into()); }
        if space { args.push("space_change_sensitive".into()); }
        let x = parse_float(tol.as_bytes()).expect("grammar-valid");
        let got = Flags::parse(&args);
        if x.is_finite() && x >= 0.0 {
            let f = got.map_err(|e| TestCaseError::fail(format!("{args:?}: {e}")))?;
            let (abs, rel) = (f.float_absolute_tolerance, f.float_relative_tolerance);
            match which {
                "float_tolerance" => prop_assert_eq!((abs, rel), (Some(x), Some(x))),
                "float_absolute_tolerance" => prop_assert_eq!((abs, rel), (Some(x), None)),
                _ => prop_assert_eq!((abs, rel), (None, Some(x))),
            }
            prop_assert_eq!((f.case_sensitive, f.space_change_sensitive), (case, space));
        } else {
            prop_assert!(matches!(got, Err(FlagError::BadValue { .. })), "{args:?} -> {got:?}");
        }
    }
}

/// A number in the format's float grammar, with huge and tiny exponents.
fn float_text() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(vec!["", "+", "-"]),
        "[0-9]{0,25}",
        proptest::option::of("[0-9]{0,25}"),
        proptest::option::of((
            proptest::sample::select(vec!["e", "E"]),
            proptest::sample::select(vec!["", "+", "-"]),
            prop_oneof![0u32..40, 280u32..330, Just(99_999), Just(u32::MAX)],
        )),
    )
        .prop_filter_map("no digits", |(sign, int, frac, exp)| {
            let has_digits = !int.is_empty() || frac.as_ref().is_some_and(|f| !f.is_empty());
            has_digits.then(|| {
                let mut s = format!("{sign}{int}");
                if let Some(f) = frac {
                    s.push('.');
                    s.push_str(&f);
                }
                if let Some((e, es, n)) = exp {
                    s.push_str(&format!("{e}{es}{n}"));
                }
                s
            })
        })
}

proptest! {
    #![proptest_config(config("parse_float_grammar", 4.0))]
    #[test]
    fn parse_float_grammar(good in float_text(), junk in nasty_bytes(16)) {
        let x = parse_float(good.as_bytes());
        prop_assert!(x.is_some(), "{good:?} is in the grammar");
        prop_assert_eq!(x, good.parse::<f64>().ok(), "{:?}", good);
        prop_assert!(!x.unwrap().is_nan());
        // Arbitrary bytes: never panics, and whatever parses is what Rust parses and is
        // made of grammar characters only.
        if let Some(y) = parse_float(&junk) {
            prop_assert!(junk.iter().all(|b| b.is_ascii_digit() || b".+-eE".contains(b)), "{junk:?}");
            let s = std::str::from_utf8(&junk).unwrap();
            prop_assert_eq!(Some(y), s.parse::<f64>().ok());
            prop_assert!(!s.to_ascii_lowercase().contains("inf") && !y.is_nan());
        }
    }
}

/// A team output or answer: tokens (numbers, words, NUL, invalid UTF-8) and whitespace.
fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => float_text().prop_map(String::into_bytes),
        2 => number_text().prop_map(String::into_bytes),
        2 => "[a-zA-Z]{1,8}".prop_map(String::into_bytes),
        1 => proptest::sample::select(vec![
            "YES", "yes", "Yes", "inf", "INF", "nan", "NaN", "é", "É", "\0", "a\0b", "1e400",
            "-1e400", "0x1p3", "1,5",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 1..6)
            .prop_map(|v| v.into_iter().filter(|b| !b" \t\n\r\x0b\x0c".contains(b)).collect::<Vec<u8>>())
            .prop_filter("empty", |v| !v.is_empty()),
    ]
}

fn space() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::sample::select(b" \t\n\r\x0b\x0c".to_vec()), 1..4)
}

fn document() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    proptest::collection::vec((token(), space()), 0..8)
}

fn join(doc: &[(Vec<u8>, Vec<u8>)], lead: &[u8]) -> Vec<u8> {
    let mut out = lead.to_vec();
    for (t, s) in doc {
        out.extend_from_slice(t);
        out.extend_from_slice(s);
    }
    out
}

fn flags() -> impl Strategy<Value = Flags> {
    let tol = proptest::option::of(prop_oneof![
        Just(0.0),
        Just(1e-9),
        Just(1e-6),
        Just(0.5),
        Just(1e300),
        0.0f64..10.0
    ]);
    (any::<bool>(), any::<bool>(), tol.clone(), tol).prop_map(|(c, s, a, r)| Flags {
        case_sensitive: c,
        space_change_sensitive: s,
        float_absolute_tolerance: a,
        float_relative_tolerance: r,
    })
}

fn accepted(out: &[u8], ans: &[u8], f: &Flags) -> bool {
    match validate(out, ans, f) {
        Judgement::Accepted => true,
        Judgement::WrongAnswer(m) => {
            // The message is for a report: present, and bounded whatever the input.
            assert!(
                !m.is_empty() && m.len() < 4096,
                "message of {} bytes",
                m.len()
            );
            false
        }
    }
}

proptest! {
    #![proptest_config(config("validate_accepts_itself", 4.0))]
    #[test]
    fn validate_accepts_itself(doc in document(), raw in nasty_bytes(64), f in flags()) {
        let a = join(&doc, b"");
        prop_assert!(accepted(&a, &a, &f), "{:?} rejected against itself with {f:?}", String::from_utf8_lossy(&a));
        prop_assert!(accepted(&raw, &raw, &f), "{raw:?} rejected against itself with {f:?}");
    }
}

proptest! {
    #![proptest_config(config("validate_never_panics_on_bytes", 4.0))]
    #[test]
    fn validate_never_panics_on_bytes(out in nasty_bytes(80), ans in nasty_bytes(80), f in flags()) {
        let _ = accepted(&out, &ans, &f);
    }
}

/// A team output made from the answer: same tokens, some changed a little.
/// Tokens with the whitespace run after each.
type Doc = Vec<(Vec<u8>, Vec<u8>)>;

/// `(answer, output, answer's leading whitespace, output's leading whitespace)`.
fn mutated() -> impl Strategy<Value = (Doc, Doc, Vec<u8>, Vec<u8>)> {
    (
        document(),
        proptest::collection::vec((0u8..8, space(), any::<u64>()), 8),
        space(),
        space(),
    )
        .prop_map(|(ans, muts, lead_a, lead_o)| {
            let mut out = ans.clone();
            for (i, (t, s)) in out.iter_mut().enumerate() {
                let (kind, sp, r) = &muts[i % muts.len()];
                match kind {
                    0 => t.make_ascii_uppercase(),
                    1 => t.make_ascii_lowercase(),
                    2 => *s = sp.clone(),
                    3 => {
                        // Perturb a number by a tiny relative amount.
                        if let Some(x) = std::str::from_utf8(t)
                            .ok()
                            .and_then(|s| s.parse::<f64>().ok())
                        {
                            let eps = (*r % 1000) as f64 * 1e-12;
                            *t = format!("{:e}", x * (1.0 + eps)).into_bytes();
                        }
                    }
                    4 => t.push(b'0' + (*r % 10) as u8),
                    _ => {}
                }
            }
            let lead_a = if lead_a.len() > 1 { lead_a } else { Vec::new() };
            let lead_o = if lead_o.len() > 1 { lead_o } else { Vec::new() };
            (ans, out, lead_a, lead_o)
        })
}

proptest! {
    #![proptest_config(config("validate_flags_are_monotone", 4.0))]
    #[test]
    fn validate_flags_are_monotone((ans, out, la, lo) in mutated(), f in flags(), bigger in 1.0f64..1e6) {
        let (a, o) = (join(&ans, &la), join(&out, &lo));
        let ok = accepted(&o, &a, &f);
        // Dropping case or space sensitivity only accepts more.
        if ok {
            for looser in [
                Flags { case_sensitive: false, ..f.clone() },
                Flags { space_change_sensitive: false, ..f.clone() },
            ] {
                prop_assert!(accepted(&o, &a, &looser), "accepted with {f:?} but not {looser:?}");
            }
            // A larger tolerance only accepts more, and a tolerance accepts whatever the
            // plain string comparison accepts.
            let scale = |t: Option<f64>| t.map(|t| t * bigger);
            let wider = Flags {
                float_absolute_tolerance: scale(f.float_absolute_tolerance),
                float_relative_tolerance: scale(f.float_relative_tolerance),
                ..f.clone()
            };
            prop_assert!(accepted(&o, &a, &wider), "accepted with {f:?} but not {wider:?}");
            if f.float_absolute_tolerance.is_none() && f.float_relative_tolerance.is_none() {
                let with_tol = Flags { float_absolute_tolerance: Some(0.0), ..f.clone() };
                prop_assert!(accepted(&o, &a, &with_tol), "accepted as strings but not as numbers");
            }
        }
        // Without space sensitivity, only the tokens matter: how they are spaced does not.
        let ns = Flags { space_change_sensitive: false, ..f.clone() };
        let respaced: Vec<u8> = {
            let toks: Vec<&[u8]> = o.split(|b| b" \t\n\r\x0b\x0c".contains(b)).filter(|t| !t.is_empty()).collect();
            toks.join(&b"\r\n"[..])
        };
        prop_assert_eq!(accepted(&o, &a, &ns), accepted(&respaced, &a, &ns));
        // With space sensitivity, one more newline at the end is always a rejection
        // (a longer last whitespace run, or a run the answer does not have).
        if f.space_change_sensitive && accepted(&o, &a, &f) {
            let mut extra = o.clone();
            extra.push(b'\n');
            prop_assert!(!accepted(&extra, &a, &f), "an added newline accepted with {f:?}");
        }
    }
}
