//! Property tests of the language-profile parser (`judge::profile::Profile::parse`):
//! arbitrary text, and the shipped profiles with fields dropped, retyped or set to odd
//! values. Never a panic; an error names the profile file, and the field when the
//! value (not the TOML syntax or type) is wrong.

#[path = "fuzz_support.rs"]
mod support;

use dokeru::judge::JudgeError;
use dokeru::judge::profile::Profile;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{config, nasty_string};
use toml::{Table, Value};

fn shipped() -> Vec<(PathBuf, Table)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut v: Vec<(PathBuf, Table)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let t: Table = toml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, t)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        v.len() >= 5,
        "shipped profiles not found in {}",
        dir.display()
    );
    v
}

/// Every invariant a parsed profile promises its users.
fn check_profile(p: &Profile) -> Result<(), TestCaseError> {
    prop_assert!(!p.name.is_empty());
    prop_assert!(
        p.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c)),
        "{:?}",
        p.name
    );
    prop_assert!(!p.extensions.is_empty());
    for e in &p.extensions {
        prop_assert!(!e.is_empty() && !e.starts_with('.') && !e.contains('/'));
        prop_assert_eq!(e.to_ascii_lowercase(), e.clone());
    }
    prop_assert!(!p.run_command.is_empty() && !p.run_command[0].is_empty());
    for (src, dst) in &p.binds {
        prop_assert!(src.is_absolute() && dst.is_absolute(), "{src:?}:{dst:?}");
    }
    for k in p.env.keys() {
        prop_assert!(
            !k.is_empty() && !k.contains('=') && !k.contains('\0'),
            "{k:?}"
        );
    }
    prop_assert!(p.run_pids > 0);
    if let Some(c) = &p.compile {
        prop_assert!(!c.command.is_empty() && !c.command[0].is_empty());
        for a in &c.artifacts {
            prop_assert!(
                !a.is_empty() && !a.contains('/') && !a.starts_with('.'),
                "{a:?}"
            );
        }
        let l = &c.limits;
        // Limits below a millisecond are refused (regression:
        // `compile_time_secs_rounding_to_zero_is_rejected`).
        prop_assert!(l.cpu_time > Duration::ZERO && l.wall_time > Duration::ZERO, "{l:?}");
        prop_assert!(l.cpu_time < Duration::from_secs(86400));
        prop_assert!(l.memory_bytes > 0 && l.output_bytes > 0 && l.pids > 0 && l.disk_bytes > 0);
    }
    Ok(())
}

fn check_error(e: &JudgeError, path: &Path) -> Result<String, TestCaseError> {
    let m = e.to_string();
    let JudgeError::Profile { path: p, field, .. } = e else {
        return Err(TestCaseError::fail(format!("not a profile error: {e:?}")));
    };
    prop_assert_eq!(p.as_path(), path);
    prop_assert!(m.contains(&path.display().to_string()), "{m}");
    Ok(field.clone())
}

proptest! {
    #![proptest_config(config("profile_parse_never_panics_on_text", 2.0))]
    #[test]
    fn profile_parse_never_panics_on_text(
        text in prop_oneof![
            nasty_string(60),
            // TOML-ish lines.
            proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "name", "extensions", "description", "requires", "binds", "[env]",
                        "[compile]", "[run]", "command", "artifacts", "time_secs", "pids",
                        "seccomp", "memory_extra_mib", "[[run]]", "run.command", "\"\\u0000\"",
                    ]),
                    nasty_string(12),
                ).prop_map(|(k, v)| if k.starts_with('[') { k.to_string() } else { format!("{k} = {v}") }),
                0..8,
            ).prop_map(|l| l.join("\n")),
        ],
        stem in prop_oneof![Just("c".to_string()), nasty_string(6)],
    ) {
        let path = PathBuf::from(format!("/profiles/{stem}.toml"));
        match Profile::parse(&path, &text) {
            Ok(p) => check_profile(&p)?,
            Err(e) => { check_error(&e, &path)?; }
        }
    }
}

/// A TOML value of any type, including the ones no field takes.
fn any_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        nasty_string(10).prop_map(Value::String),
        proptest::sample::select(vec![
            "",
            "off",
            "default",
            "{sources}",
            "{main}",
            "{unknown}",
            "{",
            "}",
            "x{sources}",
            "/prog/main",
            "/",
            "/a:/b",
            "rel:/b",
            ".o",
            "a/b",
            "main",
            "é",
            "\0",
        ])
        .prop_map(|s| Value::String(s.into())),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(86400),
            any::<i64>()
        ]
        .prop_map(Value::Integer),
        prop_oneof![
            Just(0.0f64),
            Just(-0.0),
            Just(1e-300),
            Just(86399.9),
            Just(86400.0),
            Just(1e308),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::NAN),
            any::<f64>(),
        ]
        .prop_map(Value::Float),
        any::<bool>().prop_map(Value::Boolean),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    "[a-z_]{1,6}".boxed(),
                    proptest::sample::select(vec!["PATH", "\0", "=", ""])
                        .prop_map(String::from)
                        .boxed(),
                ],
                inner,
                0..3,
            )
            .prop_map(|m| Value::Table(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Values of the types a field expects, but odd: `(array, table, integer)`; the one
/// matching the old value's type is used.
fn typed_odd() -> BoxedStrategy<(Value, Value, Value)> {
    (
        proptest::collection::vec(any_value(), 0..4).prop_map(Value::Array),
        proptest::collection::btree_map(
            prop_oneof![
                Just("".to_string()),
                Just("A=B".to_string()),
                Just("PATH".to_string()),
                "[A-Z_]{1,5}",
                nasty_string(4)
            ],
            nasty_string(8).prop_map(Value::String),
            0..3,
        )
        .prop_map(|m| Value::Table(m.into_iter().collect())),
        prop_oneof![Just(0i64), Just(1), Just(-5), Just(i64::MAX), any::<i64>()]
            .prop_map(Value::Integer),
    )
        .boxed()
}

#[derive(Debug, Clone)]
enum Mutation {
    Drop,
    Retype,
    Odd,
    AddUnknown,
}

/// Dotted keys of a table, tables included.
fn keys(t: &Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        out.push(key.clone());
        if let Value::Table(sub) = v {
            keys(sub, &key, out);
        }
    }
}

fn slot<'t>(t: &'t mut Table, dotted: &str) -> Option<(&'t mut Table, String)> {
    let mut parts: Vec<&str> = dotted.split('.').collect();
    let last = parts.pop()?.to_string();
    let mut cur = t;
    for p in parts {
        cur = cur.get_mut(p)?.as_table_mut()?;
    }
    Some((cur, last))
}

proptest! {
    #![proptest_config(config("profile_parse_mutated_shipped", 2.0))]
    #[test]
    fn profile_parse_mutated_shipped(
        which in any::<prop::sample::Index>(),
        muts in proptest::collection::vec(
            (any::<prop::sample::Index>(),
             proptest::sample::select(vec![Mutation::Drop, Mutation::Retype, Mutation::Odd, Mutation::AddUnknown]),
             any_value(),
             typed_odd()),
            1..3,
        ),
    ) {
        let profiles = shipped();
        let (path, mut table) = profiles[which.index(profiles.len())].clone();
        let mut touched = Vec::new();
        for (idx, m, value, odd) in muts {
            let mut all = Vec::new();
            keys(&table, "", &mut all);
            if all.is_empty() { break; }
            let key = all[idx.index(all.len())].clone();
            let Some((t, last)) = slot(&mut table, &key) else { continue };
            match m {
                Mutation::Drop => { t.remove(&last); }
                Mutation::Retype => { t.insert(last, value); }
                Mutation::Odd => {
                    let (arr, tab, int) = odd.clone();
                    let v = match t.get(&last) {
                        Some(Value::Array(_)) => arr,
                        Some(Value::Table(_)) => tab,
                        Some(Value::Integer(_)) => int,
                        _ => value,
                    };
                    t.insert(last, v);
                }
                Mutation::AddUnknown => { t.insert(format!("{last}_x"), value); }
            }
            touched.push(key);
        }
        // toml refuses to write some tables (NaN keys are fine, but e.g. a table after an
        // array of tables is reordered); what it writes is what the user could write.
        let Ok(text) = toml::to_string(&table) else { return Ok(()) };
        match Profile::parse(&path, &text) {
            Ok(p) => check_profile(&p)?,
            Err(e) => {
                let field = check_error(&e, &path)?;
                // A value error names a field; a TOML or type error gives its position.
                prop_assert!(field.starts_with("at byte") || field.is_empty()
                    || ["name", "extensions", "binds", "env", "run.command", "run.pids",
                        "compile.command", "compile.artifacts", "compile.time_secs",
                        "compile.wall_time_secs", "compile.memory_mib", "compile.output_kib",
                        "compile.pids", "compile.disk_mib"].contains(&field.as_str()),
                    "field {field:?} after touching {touched:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config("profile_numbers_are_checked", 2.0))]
    #[test]
    fn profile_numbers_are_checked(
        field in proptest::sample::select(vec!["time_secs", "wall_time_secs", "memory_mib", "output_kib", "pids", "disk_mib"]),
        value in prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            Just("0".to_string()), Just("-1".to_string()), Just("18446744073709551615".to_string()),
            Just("17592186044416".to_string()),
            any::<f64>().prop_map(|x| format!("{x:?}")),
            Just("inf".to_string()), Just("nan".to_string()), Just("-inf".to_string()),
            Just("86400.0".to_string()), Just("1e-320".to_string()),
        ],
    ) {
        let path = PathBuf::from("/profiles/c.toml");
        let text = format!(
            "extensions = [\"c\"]\n[compile]\ncommand = [\"gcc\", \"{{sources}}\"]\n{field} = {value}\n[run]\ncommand = [\"/prog/main\"]\n"
        );
        match Profile::parse(&path, &text) {
            Ok(p) => {
                check_profile(&p)?;
                let l = p.compile.unwrap().limits;
                match field {
                    "time_secs" => prop_assert_eq!(Some(l.cpu_time.as_secs_f64()), value.parse::<f64>().ok().map(|x| Duration::from_secs_f64(x).as_secs_f64())),
                    "memory_mib" => prop_assert_eq!(Some(l.memory_bytes), value.parse::<u64>().ok().map(|m| m << 20)),
                    "pids" => prop_assert_eq!(Some(l.pids), value.parse::<u64>().ok()),
                    _ => {}
                }
            }
            Err(e) => {
                let f = check_error(&e, &path)?;
                let full = format!("compile.{field}");
                prop_assert!(f == full || f.starts_with("at byte"), "{f:?} for {field} = {value}");
            }
        }
    }
}

#[test]
fn compile_time_secs_rounding_to_zero_is_rejected() {
    let text = "extensions = [\"c\"]\n[compile]\ncommand = [\"gcc\"]\ntime_secs = 1e-12\n[run]\ncommand = [\"/prog/main\"]\n";
    let got = Profile::parse(Path::new("/profiles/c.toml"), text);
    assert!(
        got.is_err(),
        "accepted with limits {:?}",
        got.unwrap().compile.unwrap().limits
    );
}
