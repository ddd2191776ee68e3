//! Property tests of the problem-package loader (`judge::problem::Problem::load`):
//! `problem.yaml`, `.timelimit`, `testdata.yaml`, `test_group.yaml` and per-test `.yaml`
//! files, as arbitrary bytes and as valid packages with one field set to a random value
//! of a random type. Never a panic; an error names the file, and the field it was given.

#[path = "fuzz_support.rs"]
mod support;

use dokeru::judge::JudgeError;
use dokeru::judge::default_validator::Flags;
use dokeru::judge::problem::Problem;
use proptest::prelude::*;
use std::path::Path;
use support::{config, nasty_bytes, nasty_string, number_text};

/// Write `(relative path, bytes)` under a fresh temporary directory.
fn package(files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    // /dev/shm when there is one: a package per case on a disk-backed /tmp is the
    // slowest part of these tests.
    let shm = Path::new("/dev/shm");
    let d = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    for (p, c) in files {
        let path = d.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
    d
}

fn data_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("data/sample/1.in", b"1\n".to_vec()),
        ("data/sample/1.ans", b"1\n".to_vec()),
        ("data/secret/g1/1.in", b"2\n".to_vec()),
        ("data/secret/g1/1.ans", b"2\n".to_vec()),
        ("data/secret/g2/1.in", b"3\n".to_vec()),
        ("data/secret/g2/1.ans", b"3\n".to_vec()),
    ]
}

/// The error's file, or `None` for an error kind a loader must not return.
fn error_path(e: &JudgeError) -> Option<(&Path, Option<&str>)> {
    match e {
        JudgeError::Package { path, field, .. } => Some((path, Some(field))),
        JudgeError::ParseYaml { path, .. } | JudgeError::ReadFile { path, .. } => {
            Some((path, None))
        }
        _ => None,
    }
}

/// Invariants of a loaded package.
fn check_problem(p: &Problem) -> Result<(), TestCaseError> {
    let l = &p.limits;
    if let Some(t) = l.time_limit_s {
        prop_assert!(t.is_finite() && t > 0.0, "time limit {t}");
    }
    prop_assert!(l.memory_mib > 0 && l.output_mib > 0 && l.validation_memory_mib > 0);
    for x in [
        l.time_multiplier,
        l.time_safety_margin,
        l.time_resolution,
        l.validation_time_s,
    ] {
        prop_assert!(x.is_finite() && x > 0.0, "{l:?}");
    }
    prop_assert!(l.ac_to_time_limit >= 1.0 && l.time_limit_to_tle >= 1.0);
    prop_assert!(!p.tests.is_empty());
    for t in &p.tests {
        if let Some(f) = &t.default_flags {
            // The flags kept are exactly the parse of the arguments kept.
            prop_assert_eq!(&Flags::parse(&t.validator_args).unwrap(), f);
        }
        prop_assert!(t.input.is_file() && t.answer.is_file());
    }
    Ok(())
}

/// YAML scalars and small collections of every type, as text.
fn yaml_value() -> BoxedStrategy<String> {
    let scalar = prop_oneof![
        3 => proptest::sample::select(vec![
            "~", "null", "true", "false", "yes", "no", "0", "-1", "1", "2.5", ".inf", "-.inf",
            ".nan", "1e400", "-0.0", "0x10", "0o17", "1_000", "18446744073709551616", "1e-400",
            "''", "\"\"", "\" \"", "'\\0'", "\"\\0\"", "\"\\u00e9\"", "!!binary aGk=", "!tag x",
            "&a 1", "*a", "\"2025-09\"", "2023-07-draft", "legacy", "pass-fail", "scoring",
            "interactive", "custom", "default", "custom interactive", "custom score",
            "float_tolerance 1e-6", "case_sensitive space_change_sensitive", "float_tolerance",
            "float_tolerance -1", "float_tolerance nan", "float_absolute_tolerance 1e999",
            "sum", "min", "max", "unbounded", "break", "continue", "first_error", "avg",
            "\"inf -inf\"", "\"0 1e400\"", "\"1 2 3\"", "2020-01-01", "12:30:00",
        ])
        .prop_map(String::from),
        2 => number_text().prop_map(|n| format!("{n:?}")),
        1 => number_text(),
        1 => nasty_string(10).prop_map(|s| format!("{s:?}")),
    ];
    scalar
        .prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                proptest::collection::vec(
                    (
                        proptest::sample::select(vec![
                            "en",
                            "objective",
                            "interactive",
                            "scoring",
                            "score",
                            "multipass",
                            "flags",
                            "ac_to_time_limit",
                            "time_limit_to_tle",
                            "x",
                            "1",
                        ]),
                        inner
                    ),
                    0..3,
                )
                .prop_map(|kv| format!(
                    "{{{}}}",
                    kv.iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ]
        })
        .boxed()
}

proptest! {
    #![proptest_config(config("problem_yaml_arbitrary_bytes", 1.0))]
    #[test]
    fn problem_yaml_arbitrary_bytes(
        text in prop_oneof![
            nasty_bytes(80),
            nasty_string(80).prop_map(String::into_bytes),
            proptest::collection::vec(
                (proptest::sample::select(vec![
                    "name", "problem_format_version", "type", "validation", "validator_flags",
                    "limits", "grading", "  time_limit", "  memory", "- x", "? k", "---", "...",
                ]), yaml_value()),
                0..6,
            ).prop_map(|l| l.iter().map(|(k, v)| format!("{k}: {v}\n")).collect::<String>().into_bytes()),
        ],
        timelimit in proptest::option::of(prop_oneof![number_text().prop_map(String::into_bytes), nasty_bytes(12)]),
    ) {
        let mut files = data_files();
        files.push(("problem.yaml", text));
        if let Some(t) = &timelimit {
            files.push((".timelimit", t.clone()));
        }
        let d = package(&files);
        match Problem::load(d.path()) {
            Ok(p) => {
                check_problem(&p)?;
                if p.limits.time_limit_source == ".timelimit" {
                    let t = String::from_utf8(timelimit.clone().unwrap()).unwrap();
                    prop_assert_eq!(p.limits.time_limit_s, t.trim().parse::<f64>().ok());
                }
            }
            Err(e) => {
                let Some((path, _)) = error_path(&e) else {
                    return Err(TestCaseError::fail(format!("unexpected error kind {e:?}")));
                };
                prop_assert!(path.starts_with(d.path()), "{e}");
                prop_assert!(e.to_string().contains(&path.display().to_string()));
            }
        }
    }
}

proptest! {
    #![proptest_config(config("timelimit_file_is_a_positive_number", 1.0))]
    #[test]
    fn timelimit_file_is_a_positive_number(t in prop_oneof![
        number_text(),
        number_text().prop_map(|n| format!("  {n}\n")),
        nasty_string(10),
    ]) {
        let mut files = data_files();
        files.push(("problem.yaml", b"name: t\n".to_vec()));
        files.push((".timelimit", t.clone().into_bytes()));
        let d = package(&files);
        let want = t.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0);
        match (Problem::load(d.path()), want) {
            (Ok(p), Some(x)) => {
                prop_assert_eq!(p.limits.time_limit_s, Some(x));
                prop_assert_eq!(p.limits.time_limit_source, ".timelimit");
            }
            (Err(JudgeError::Package { path, field, .. }), None) => {
                prop_assert_eq!(path, d.path().join(".timelimit"));
                prop_assert_eq!(field, "(content)");
            }
            (got, want) => return Err(TestCaseError::fail(format!("{t:?}: {got:?}, expected {want:?}"))),
        }
    }
}

/// Keys of problem.yaml, `limits` ones dotted.
const META_TARGETS: &[&str] = &[
    "problem_format_version",
    "type",
    "validation",
    "validator_flags",
    "grading",
    "name",
    "limits",
    "limits.time_limit",
    "limits.memory",
    "limits.output",
    "limits.time_multiplier",
    "limits.time_safety_margin",
    "limits.time_resolution",
    "limits.time_multipliers",
    "limits.compilation_time",
    "limits.compilation_memory",
    "limits.validation_time",
    "limits.validation_memory",
    "limits.validation_output",
    "limits.code",
    "limits.bogus",
    "author",
    "uuid",
    "unknown_key",
];

proptest! {
    #![proptest_config(config("problem_yaml_field_errors_name_the_field", 1.0))]
    #[test]
    fn problem_yaml_field_errors_name_the_field(
        target in proptest::sample::select(META_TARGETS.to_vec()),
        value in yaml_value(),
        base_flags in proptest::sample::select(vec!["", "case_sensitive", "float_tolerance 1e-6"]),
        base_limits in any::<bool>(),
    ) {
        // A valid legacy problem.yaml, then `target` set to `value`.
        let mut top: Vec<(String, String)> = vec![("name".into(), "\"Fuzz\"".into())];
        if !base_flags.is_empty() {
            top.push(("validator_flags".into(), format!("{base_flags:?}")));
        }
        let mut limits: Vec<(String, String)> = Vec::new();
        if base_limits {
            limits.push(("memory".into(), "256".into()));
            limits.push(("time_limit".into(), "2".into()));
        }
        match target.split_once('.') {
            Some((_, sub)) => {
                limits.retain(|(k, _)| k != sub);
                limits.push((sub.into(), value.clone()));
            }
            None => {
                top.retain(|(k, _)| k != target);
                top.push((target.into(), value.clone()));
            }
        }
        if !limits.is_empty() && !top.iter().any(|(k, _)| k == "limits") {
            let l = limits.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
            top.push(("limits".into(), format!("{{{l}}}")));
        }
        let yaml: String = top.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let mut files = data_files();
        files.push(("problem.yaml", yaml.clone().into_bytes()));
        let d = package(&files);
        let head = target.split('.').next().unwrap();
        match Problem::load(d.path()) {
            Ok(p) => check_problem(&p)?,
            Err(JudgeError::Package { path, field, message }) => {
                prop_assert_eq!(&path, &d.path().join("problem.yaml"), "{}: {}", field, message);
                let named = field.starts_with(head)
                    || (head == "validator_flags" && field == "validator flags")
                    || (head == "validation" && field == "type");
                prop_assert!(named, "{target} = {value}: error names {field:?}: {message}\n{yaml}");
            }
            Err(JudgeError::ParseYaml { path, .. }) => prop_assert_eq!(path, d.path().join("problem.yaml")),
            Err(e) => return Err(TestCaseError::fail(format!("unexpected error kind {e:?}"))),
        }
    }
}

const TESTDATA_TARGETS: &[&str] = &[
    "on_reject",
    "grading",
    "grader_flags",
    "output_validator_flags",
    "output_validator_args",
    "input_validator_flags",
    "args",
    "accept_score",
    "reject_score",
    "range",
    "bogus",
];

proptest! {
    #![proptest_config(config("testdata_yaml_field_errors_name_the_field", 1.0))]
    #[test]
    fn testdata_yaml_field_errors_name_the_field(
        fields in proptest::collection::vec((proptest::sample::select(TESTDATA_TARGETS.to_vec()), yaml_value()), 1..3),
        at in proptest::sample::select(vec!["data/testdata.yaml", "data/secret/testdata.yaml", "data/secret/g1/testdata.yaml", "data/secret/g2/test_group.yaml"]),
        raw in proptest::option::weighted(0.15, nasty_bytes(40)),
    ) {
        let yaml: String = fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let mut files = data_files();
        files.push(("problem.yaml", b"name: t\n".to_vec()));
        files.push((at, raw.clone().unwrap_or_else(|| yaml.clone().into_bytes())));
        let d = package(&files);
        let file = d.path().join(at);
        match Problem::load(d.path()) {
            Ok(p) => {
                check_problem(&p)?;
                for g in p.root.children.iter() {
                    if let dokeru::judge::problem::Node::Group(g) = g {
                        prop_assert!(g.legacy.accept_score.is_finite() && g.legacy.reject_score.is_finite());
                        prop_assert!(!g.legacy.range.0.is_nan() && !g.legacy.range.1.is_nan());
                    }
                }
            }
            Err(JudgeError::Package { path, field, message }) => {
                if path == file {
                    let named = fields.iter().any(|(k, _)| field.starts_with(k)) || field == "(top level)";
                    prop_assert!(named, "error names {field:?}: {message}\n{yaml}");
                } else {
                    // Flags that the default validator refuses are reported per test.
                    prop_assert_eq!(path, d.path().join("problem.yaml"), "{}: {}", field, message);
                    prop_assert_eq!(field, "validator flags");
                }
            }
            Err(JudgeError::ParseYaml { path, .. } | JudgeError::ReadFile { path, .. }) => prop_assert_eq!(path, file),
            Err(e) => return Err(TestCaseError::fail(format!("unexpected error kind {e:?}"))),
        }
    }
}

const GROUP_TARGETS: &[&str] = &[
    "max_score",
    "score_aggregation",
    "require_pass",
    "args",
    "output_validator_args",
    "input_validator_args",
    "full_feedback",
    "static_validation_score",
    "bogus",
];
const CASE_TARGETS: &[&str] = &[
    "args",
    "output_validator_args",
    "hint",
    "description",
    "full_feedback",
    "bogus",
];

proptest! {
    #![proptest_config(config("test_group_and_case_yaml_2025", 1.0))]
    #[test]
    fn test_group_and_case_yaml_2025(
        group in proptest::collection::vec((proptest::sample::select(GROUP_TARGETS.to_vec()), yaml_value()), 0..3),
        case in proptest::collection::vec((proptest::sample::select(CASE_TARGETS.to_vec()), yaml_value()), 0..2),
        at in proptest::sample::select(vec!["data/secret/test_group.yaml", "data/secret/g1/test_group.yaml", "data/sample/test_group.yaml"]),
        scoring in any::<bool>(),
    ) {
        let mut files = data_files();
        let ty = if scoring { "scoring" } else { "pass-fail" };
        files.push(("problem.yaml", format!("problem_format_version: 2025-09\ntype: {ty}\n").into_bytes()));
        let gy: String = group.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let cy: String = case.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        files.push((at, gy.clone().into_bytes()));
        files.push(("data/secret/g2/1.yaml", cy.clone().into_bytes()));
        let d = package(&files);
        match Problem::load(d.path()) {
            Ok(p) => check_problem(&p)?,
            Err(JudgeError::Package { path, field, message }) => {
                let ok = if path == d.path().join(at) || path.ends_with("test_group.yaml") {
                    group.iter().any(|(k, _)| field.starts_with(k))
                        || ["max_score", "score_aggregation", "require_pass", "(top level)"].contains(&field.as_str())
                } else if path == d.path().join("data/secret/g2/1.yaml") {
                    case.iter().any(|(k, _)| field.starts_with(k))
                        || field == "validator flags" || field == "(top level)"
                } else {
                    // Group validator arguments refused by the default validator.
                    path == d.path().join("data") && field == "validator flags"
                };
                prop_assert!(ok, "{}: {field:?}: {message}\ngroup:\n{gy}case:\n{cy}", path.display());
            }
            Err(JudgeError::ParseYaml { path, .. }) => {
                prop_assert!(path == d.path().join(at) || path == d.path().join("data/secret/g2/1.yaml"));
            }
            Err(e) => return Err(TestCaseError::fail(format!("unexpected error kind {e:?}"))),
        }
    }
}
