//! The default output validator of the problem package format, with its exact semantics.
//!
//! Source of truth: the "Default output validator specification" of the 2025-09 format
//! (the legacy text says the same with less detail):
//! - both files are read as single-byte characters and split on runs of the whitespace
//!   bytes space, FF, LF, CR, HT, VT; a different number of tokens is a rejection;
//! - with a float tolerance, every *answer* token that parses as a float under the
//!   format's grammar is compared numerically: the output token must parse too (else
//!   rejected), and is accepted if `|s-a| <= abs` or `|s-a| <= rel*|a|` (either one
//!   when both are set); answer tokens that do not parse are compared as strings;
//! - the grammar has no `inf`/`nan`/hex, so such tokens are strings: an answer `inf` is
//!   matched as text, and an output `inf` against a numeric answer is rejected;
//! - strings are compared up to ASCII case unless `case_sensitive`;
//! - `space_change_sensitive` rejects any difference in the whitespace runs, leading and
//!   trailing included (so a missing final newline, or CRLF for LF, is rejected).
//!
//! It runs in-process: it is this project's code and only compares bytes.

/// The parsed `validator_flags` / `output_validator_args` of the default validator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flags {
    pub case_sensitive: bool,
    pub space_change_sensitive: bool,
    pub float_absolute_tolerance: Option<f64>,
    pub float_relative_tolerance: Option<f64>,
}

/// A flag list the default validator cannot accept.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlagError {
    #[error("unknown default validator flag {0:?}")]
    Unknown(String),
    #[error("{0} needs a value")]
    MissingValue(String),
    #[error("{flag}: {value:?} is not a non-negative number")]
    BadValue { flag: String, value: String },
    #[error("{0} given more than once")]
    Repeated(String),
    #[error(
        "float_tolerance cannot be combined with float_relative_tolerance or float_absolute_tolerance"
    )]
    Conflicting,
}

impl Flags {
    /// Parse the flags; every error of the format ("it is an error to provide any ... more
    /// than once, or ... float_tolerance alongside ...") is reported, never ignored.
    ///
    /// # Errors
    /// An unknown flag, a missing or bad number, a repeated or conflicting tolerance.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Flags, FlagError> {
        let mut f = Flags::default();
        let mut seen_tol = false;
        let mut it = args.iter().map(|s| s.as_ref());
        while let Some(a) = it.next() {
            match a {
                "case_sensitive" => f.case_sensitive = true,
                "space_change_sensitive" => f.space_change_sensitive = true,
                "float_tolerance" | "float_relative_tolerance" | "float_absolute_tolerance" => {
                    let v = it
                        .next()
                        .ok_or_else(|| FlagError::MissingValue(a.to_string()))?;
                    let x = parse_float(v.as_bytes())
                        .filter(|x| *x >= 0.0 && x.is_finite())
                        .ok_or_else(|| FlagError::BadValue {
                            flag: a.to_string(),
                            value: v.to_string(),
                        })?;
                    match a {
                        "float_tolerance" => {
                            if seen_tol {
                                return Err(FlagError::Repeated(a.into()));
                            }
                            if f.float_absolute_tolerance.is_some()
                                || f.float_relative_tolerance.is_some()
                            {
                                return Err(FlagError::Conflicting);
                            }
                            seen_tol = true;
                            f.float_absolute_tolerance = Some(x);
                            f.float_relative_tolerance = Some(x);
                        }
                        "float_relative_tolerance" | "float_absolute_tolerance" => {
                            if seen_tol {
                                return Err(FlagError::Conflicting);
                            }
                            let slot = if a == "float_relative_tolerance" {
                                &mut f.float_relative_tolerance
                            } else {
                                &mut f.float_absolute_tolerance
                            };
                            if slot.is_some() {
                                return Err(FlagError::Repeated(a.into()));
                            }
                            *slot = Some(x);
                        }
                        _ => unreachable!("matched above"),
                    }
                }
                other => return Err(FlagError::Unknown(other.to_string())),
            }
        }
        Ok(f)
    }

    fn has_float_tolerance(&self) -> bool {
        self.float_absolute_tolerance.is_some() || self.float_relative_tolerance.is_some()
    }
}

/// Result of the default validator: accepted, or rejected with a judge message.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement {
    Accepted,
    WrongAnswer(String),
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | 0x0c | b'\n' | b'\r' | b'\t' | 0x0b)
}

/// Alternating runs: `(is_whitespace, bytes)`.
fn runs(data: &[u8]) -> Vec<(bool, &[u8])> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let ws = is_space(data[start]);
        let mut end = start + 1;
        while end < data.len() && is_space(data[end]) == ws {
            end += 1;
        }
        out.push((ws, &data[start..end]));
        start = end;
    }
    out
}

/// Parse a float under the format's grammar:
/// `[+-]? ( digit* "." digit+ | digit+ "." | digit+ ) ([Ee] [+-]? digit+)?`.
/// Anything else (`inf`, `nan`, `0x1p3`, `1_000`, empty) is not a float.
pub fn parse_float(tok: &[u8]) -> Option<f64> {
    let mut i = 0;
    if i < tok.len() && (tok[i] == b'+' || tok[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < tok.len() && tok[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < tok.len() && tok[i] == b'.' {
        i += 1;
        let fs = i;
        while i < tok.len() && tok[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - fs;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if i < tok.len() && (tok[i] == b'e' || tok[i] == b'E') {
        i += 1;
        if i < tok.len() && (tok[i] == b'+' || tok[i] == b'-') {
            i += 1;
        }
        let es = i;
        while i < tok.len() && tok[i].is_ascii_digit() {
            i += 1;
        }
        if i == es {
            return None;
        }
    }
    if i != tok.len() {
        return None;
    }
    // The grammar is a subset of what Rust's parser accepts, so this cannot fail;
    // `1.` is accepted by both. Huge exponents give ±inf, which the format allows.
    std::str::from_utf8(tok).ok()?.parse::<f64>().ok()
}

fn show(tok: &[u8]) -> String {
    const MAX: usize = 60;
    let s = String::from_utf8_lossy(&tok[..tok.len().min(MAX)]).into_owned();
    let s = format!("{s:?}");
    if tok.len() > MAX {
        format!("{s}...")
    } else {
        s
    }
}

fn tokens_equal(out: &[u8], ans: &[u8], flags: &Flags) -> bool {
    if flags.case_sensitive {
        out == ans
    } else {
        out.eq_ignore_ascii_case(ans)
    }
}

/// Compare one output token with one answer token; `Err` carries why they differ.
fn compare_token(out: &[u8], ans: &[u8], flags: &Flags) -> Result<(), String> {
    if flags.has_float_tolerance()
        && let Some(a) = parse_float(ans)
    {
        let Some(s) = parse_float(out) else {
            return Err(format!(
                "expected a number {}, got {}",
                show(ans),
                show(out)
            ));
        };
        // Equal values (also equal infinities from huge exponents) have error 0.
        if s == a {
            return Ok(());
        }
        let diff = (s - a).abs();
        // An infinite difference is never within a tolerance (`ε·|inf|` would be).
        let diff = if diff.is_finite() {
            diff
        } else {
            f64::INFINITY
        };
        if diff.is_infinite() {
            return Err(format!("expected {}, got {}", show(ans), show(out)));
        }
        let abs_ok = flags.float_absolute_tolerance.is_some_and(|e| diff <= e);
        let rel_ok = flags
            .float_relative_tolerance
            .is_some_and(|e| diff <= e * a.abs());
        if abs_ok || rel_ok {
            return Ok(());
        }
        return Err(format!(
            "expected {}, got {} (difference {diff:e})",
            show(ans),
            show(out)
        ));
    }
    if tokens_equal(out, ans, flags) {
        Ok(())
    } else {
        Err(format!("expected {}, got {}", show(ans), show(out)))
    }
}

/// Judge `output` against `answer` with the default validator's semantics.
pub fn validate(output: &[u8], answer: &[u8], flags: &Flags) -> Judgement {
    if flags.space_change_sensitive {
        let o = runs(output);
        let a = runs(answer);
        let mut token_no = 0usize;
        for (i, (orun, arun)) in o.iter().zip(a.iter()).enumerate() {
            if orun.0 != arun.0 {
                return Judgement::WrongAnswer(format!(
                    "whitespace differs at run {}: expected {}, got {}",
                    i + 1,
                    show(arun.1),
                    show(orun.1)
                ));
            }
            if orun.0 {
                if orun.1 != arun.1 {
                    return Judgement::WrongAnswer(format!(
                        "whitespace differs after token {token_no}: expected {}, got {}",
                        show(arun.1),
                        show(orun.1)
                    ));
                }
            } else {
                token_no += 1;
                if let Err(m) = compare_token(orun.1, arun.1, flags) {
                    return Judgement::WrongAnswer(format!("token {token_no}: {m}"));
                }
            }
        }
        if o.len() != a.len() {
            let (which, extra) = if o.len() > a.len() {
                ("output", &o[a.len()])
            } else {
                ("answer", &a[o.len()])
            };
            return Judgement::WrongAnswer(format!(
                "{which} has more: {} {}",
                if extra.0 { "whitespace" } else { "token" },
                show(extra.1)
            ));
        }
        return Judgement::Accepted;
    }
    let o: Vec<&[u8]> = runs(output)
        .into_iter()
        .filter(|r| !r.0)
        .map(|r| r.1)
        .collect();
    let a: Vec<&[u8]> = runs(answer)
        .into_iter()
        .filter(|r| !r.0)
        .map(|r| r.1)
        .collect();
    for (i, (ot, at)) in o.iter().zip(a.iter()).enumerate() {
        if let Err(m) = compare_token(ot, at, flags) {
            return Judgement::WrongAnswer(format!("token {}: {m}", i + 1));
        }
    }
    if o.len() > a.len() {
        return Judgement::WrongAnswer(format!(
            "too much output: {} tokens, expected {}; first extra token {}",
            o.len(),
            a.len(),
            show(o[a.len()])
        ));
    }
    if o.len() < a.len() {
        return Judgement::WrongAnswer(format!(
            "too little output: {} tokens, expected {}; next expected {}",
            o.len(),
            a.len(),
            show(a[o.len()])
        ));
    }
    Judgement::Accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(out: &str, ans: &str, flags: &[&str]) -> bool {
        validate(
            out.as_bytes(),
            ans.as_bytes(),
            &Flags::parse(flags).unwrap(),
        ) == Judgement::Accepted
    }

    #[test]
    fn default_ignores_amount_and_kind_of_whitespace() {
        assert!(ok("1 2\n", "1 2\n", &[]));
        assert!(ok("  1\t\t2", "1 2\n", &[]));
        assert!(ok("1\r\n2\r\n", "1\n2\n", &[]));
        assert!(ok("1\x0b2\x0c", "1 2", &[]));
        assert!(ok("", "", &[]));
        assert!(ok("\n\n", "", &[]));
        assert!(!ok("1 2 3", "1 2", &[]));
        assert!(!ok("1", "1 2", &[]));
        assert!(!ok("12", "1 2", &[]));
    }

    #[test]
    fn case_is_ascii_only_and_off_by_default() {
        assert!(ok("YES", "yes", &[]));
        assert!(!ok("YES", "yes", &["case_sensitive"]));
        assert!(ok("yes", "yes", &["case_sensitive"]));
        // Non-ASCII letters are bytes, never folded.
        assert!(!ok("É", "é", &[]));
    }

    #[test]
    fn nul_and_other_bytes_are_token_bytes() {
        assert!(ok("a\0b\n", "a\0b", &[]));
        assert!(!ok("a\0b", "ab", &[]));
        assert!(!ok("\u{a0}", "", &[])); // non-breaking space is not whitespace
    }

    #[test]
    fn space_change_sensitive_compares_every_whitespace_run() {
        let f = ["space_change_sensitive"];
        assert!(ok("1 2\n", "1 2\n", &f));
        assert!(!ok("1 2", "1 2\n", &f)); // missing trailing newline
        assert!(!ok("1  2\n", "1 2\n", &f));
        assert!(!ok("1 2\r\n", "1 2\n", &f)); // CRLF is another type of whitespace
        assert!(!ok(" 1 2\n", "1 2\n", &f)); // leading
        assert!(ok("ABC\n", "abc\n", &f)); // still case-insensitive
        assert!(!ok("1 2\n3", "1 2\n", &f));
    }

    #[test]
    fn float_absolute_and_relative_tolerances() {
        assert!(ok("1.0005", "1", &["float_absolute_tolerance", "1e-3"]));
        assert!(!ok("1.002", "1", &["float_absolute_tolerance", "1e-3"]));
        assert!(ok("1000.5", "1000", &["float_relative_tolerance", "1e-3"]));
        assert!(!ok("1002", "1000", &["float_relative_tolerance", "1e-3"]));
        // Either of the two suffices when both are set.
        assert!(ok(
            "0.0005",
            "0",
            &[
                "float_relative_tolerance",
                "1e-6",
                "float_absolute_tolerance",
                "1e-3"
            ]
        ));
        assert!(ok(
            "1000.5",
            "1000",
            &[
                "float_relative_tolerance",
                "1e-3",
                "float_absolute_tolerance",
                "1e-9"
            ]
        ));
        // float_tolerance is both.
        assert!(ok("0.0005", "0", &["float_tolerance", "1e-3"]));
        assert!(ok("1000.5", "1000", &["float_tolerance", "1e-3"]));
        // Boundary is inclusive.
        assert!(ok("1.5", "1", &["float_absolute_tolerance", "0.5"]));
        // Relative tolerance against a zero answer only accepts exactly zero.
        assert!(!ok("1e-300", "0", &["float_relative_tolerance", "0.5"]));
        assert!(ok("-0.0", "0", &["float_relative_tolerance", "0.5"]));
    }

    #[test]
    fn any_valid_float_formatting_is_accepted_with_a_tolerance() {
        let f = ["float_tolerance", "1e-9"];
        assert!(ok("3.14000000e-2", "0.0314", &f));
        assert!(ok("+.5", "0.5", &f));
        assert!(ok("5.", "5", &f));
        assert!(ok("1E2", "100", &f));
        // Integers are parsed as floats too when a tolerance is set.
        assert!(ok("7.0", "7", &f));
        // Without a tolerance, floats are plain strings.
        assert!(!ok("7.0", "7", &[]));
        assert!(!ok("3.14000000e-2", "0.0314", &[]));
    }

    #[test]
    fn inf_nan_and_non_numeric_tokens() {
        let f = ["float_tolerance", "1e-6"];
        // Output token that does not parse against a numeric answer: rejected.
        assert!(!ok("abc", "1.0", &f));
        assert!(!ok("inf", "1.0", &f));
        assert!(!ok("nan", "1.0", &f));
        assert!(!ok("NaN", "1.0", &f));
        assert!(!ok("0x1p0", "1.0", &f));
        assert!(!ok("1,0", "1.0", &f));
        // Answer tokens that are not floats in the grammar are strings.
        assert!(ok("inf", "inf", &f));
        assert!(ok("INF", "inf", &f));
        assert!(!ok("1e999", "inf", &f));
        assert!(ok("nan", "nan", &f));
        assert!(ok("impossible", "IMPOSSIBLE", &f));
        assert!(!ok(
            "impossible",
            "IMPOSSIBLE",
            &["case_sensitive", "float_tolerance", "1e-6"]
        ));
        // Grammar-valid numbers that overflow are equal infinities.
        assert!(ok("1e400", "2e400", &f));
        assert!(!ok("-1e400", "1e400", &f));
    }

    #[test]
    fn float_grammar_is_the_formats() {
        for good in [
            "0", "-1", "+1", "1.", ".5", "1.5e3", "1E-3", "-0.0", "00012",
        ] {
            assert!(parse_float(good.as_bytes()).is_some(), "{good}");
        }
        for bad in [
            "", ".", "+", "e5", "1e", "1e+", "inf", "nan", "infinity", "0x10", "1_0", "1.2.3",
            " 1", "1f",
        ] {
            assert!(parse_float(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn flag_errors_of_the_format() {
        assert_eq!(
            Flags::parse(&["float_tolerance"]),
            Err(FlagError::MissingValue("float_tolerance".into()))
        );
        assert!(matches!(
            Flags::parse(&["float_tolerance", "x"]),
            Err(FlagError::BadValue { .. })
        ));
        assert!(matches!(
            Flags::parse(&["float_tolerance", "-1"]),
            Err(FlagError::BadValue { .. })
        ));
        assert_eq!(
            Flags::parse(&["float_tolerance", "1", "float_absolute_tolerance", "1"]),
            Err(FlagError::Conflicting)
        );
        assert_eq!(
            Flags::parse(&["float_absolute_tolerance", "1", "float_tolerance", "1"]),
            Err(FlagError::Conflicting)
        );
        assert_eq!(
            Flags::parse(&[
                "float_relative_tolerance",
                "1",
                "float_relative_tolerance",
                "1"
            ]),
            Err(FlagError::Repeated("float_relative_tolerance".into()))
        );
        assert_eq!(
            Flags::parse(&["ignore_case"]),
            Err(FlagError::Unknown("ignore_case".into()))
        );
        let f = Flags::parse(&["case_sensitive", "space_change_sensitive"]).unwrap();
        assert!(f.case_sensitive && f.space_change_sensitive);
    }

    #[test]
    fn messages_name_the_token() {
        match validate(b"1 3", b"1 2", &Flags::default()) {
            Judgement::WrongAnswer(m) => {
                assert!(m.contains("token 2") && m.contains("\"2\""), "{m}")
            }
            Judgement::Accepted => panic!("accepted"),
        }
    }
}
