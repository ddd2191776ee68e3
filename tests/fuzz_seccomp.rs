//! Property tests of the seccomp policy loader (`sandbox::seccomp::Policy::load`): any
//! file text, and the shipped policies with rules, conditions and actions mutated.
//! Never a panic; an error names the file; a loaded policy is two-filter shaped and
//! fits the kernel. Compiling needs no privilege (nothing is installed).

#[path = "fuzz_support.rs"]
mod support;

use dokeru::sandbox::seccomp::{Policy, SeccompError, syscall_name};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::Path;
use support::{config, nasty_string};

fn shipped(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles/seccomp")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn load_text(text: &str) -> (tempfile::TempDir, Result<Policy, SeccompError>) {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("policy.json");
    std::fs::write(&path, text).unwrap();
    let r = Policy::load(path.to_str().unwrap(), d.path());
    (d, r)
}

fn check(d: &Path, r: &Result<Policy, SeccompError>) -> Result<(), TestCaseError> {
    match r {
        Ok(p) => {
            let progs: Vec<(&str, usize)> = p.programs().map(|(f, i)| (f, i.len())).collect();
            prop_assert!(
                matches!(
                    progs.as_slice(),
                    [("deny", _)] | [("errno", _), ("deny", _)]
                ),
                "{progs:?}"
            );
            for (_, n) in progs {
                prop_assert!(n > 0 && n <= 4096, "{n} instructions");
            }
        }
        Err(SeccompError::UnsupportedArch { .. }) => {}
        Err(e) => {
            let m = e.to_string();
            prop_assert!(
                m.contains(&d.join("policy.json").display().to_string()),
                "error does not name the file: {m}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config("seccomp_policy_arbitrary_text", 1.0))]
    #[test]
    fn seccomp_policy_arbitrary_text(text in prop_oneof![
        nasty_string(60),
        proptest::collection::vec(
            proptest::sample::select(vec![
                "{", "}", "[", "]", ",", ":", "\"deny\"", "\"errno\"", "\"filter\"", "\"syscall\"",
                "\"mount\"", "\"allow\"", "\"trap\"", "\"mismatch_action\"", "\"match_action\"",
                "\"args\"", "\"index\"", "0", "7", "-1", "1e400", "null", "true", "\"\"",
            ]),
            0..40,
        ).prop_map(|v| v.concat()),
    ]) {
        let (d, r) = load_text(&text);
        check(d.path(), &r)?;
    }
}

fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(0u64),
            Just(5),
            Just(6),
            Just(38),
            Just(4095),
            Just(4096),
            Just(u32::MAX as u64),
            Just(u32::MAX as u64 + 1),
            Just(u64::MAX),
            any::<u64>()
        ]
        .prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|x| json!(x)),
        proptest::sample::select(vec![
            "allow",
            "trap",
            "kill",
            "kill_process",
            "log",
            "eq",
            "ne",
            "lt",
            "le",
            "gt",
            "ge",
            "masked_eq",
            "dword",
            "qword",
            "mount",
            "socket",
            "clone3",
            "umount",
            "mseal",
            "uretprobe",
            "",
            "read\0",
            "MOUNT",
            "deny",
            "errno",
        ])
        .prop_map(|s| json!(s)),
        nasty_string(8).prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "errno",
                    "syscall",
                    "args",
                    "index",
                    "type",
                    "op",
                    "val",
                    "masked_eq",
                    "comment",
                    "x"
                ])
                .prop_map(String::from),
                inner,
                0..3,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A condition in seccompiler's format with odd values.
fn condition() -> BoxedStrategy<Value> {
    (
        prop_oneof![8 => 0u64..6, 1 => Just(6u64), 1 => Just(u64::MAX)],
        proptest::sample::select(vec!["dword", "qword", "dword", "qword", "byte"]),
        prop_oneof![
            4 => proptest::sample::select(vec!["eq", "ne", "lt", "le", "gt", "ge"]).prop_map(|s| json!(s)),
            1 => Just(json!("in")),
            2 => any::<u64>().prop_map(|m| json!({ "masked_eq": m })),
        ],
        prop_oneof![any::<u64>(), Just(u32::MAX as u64 + 1), Just(0)],
    )
        .prop_map(|(index, ty, op, val)| json!({ "index": index, "type": ty, "op": op, "val": val }))
        .boxed()
}

#[derive(Debug, Clone)]
enum Edit {
    /// Replace a node anywhere in the tree with any JSON value.
    Replace(Value),
    /// Remove a key or an array element.
    Remove,
    /// Add a rule with a syscall name and conditions.
    AddRule(String, Vec<Value>),
}

/// Every node path of a JSON tree (object keys and array indices).
fn paths(v: &Value, cur: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                cur.push(json!(k));
                out.push(cur.clone());
                paths(c, cur, out);
                cur.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                cur.push(json!(i));
                out.push(cur.clone());
                paths(c, cur, out);
                cur.pop();
            }
        }
        _ => {}
    }
}

fn edit(v: &mut Value, path: &[Value], e: &Edit) {
    let (last, init) = path.split_last().unwrap();
    let mut node = v;
    for p in init {
        node = match p {
            Value::String(k) => node.get_mut(k.as_str()).unwrap(),
            _ => node.get_mut(p.as_u64().unwrap() as usize).unwrap(),
        };
    }
    match (node, last, e) {
        (Value::Object(m), Value::String(k), Edit::Remove) => {
            m.remove(k.as_str());
        }
        (Value::Array(a), Value::Number(i), Edit::Remove) => {
            a.remove(i.as_u64().unwrap() as usize);
        }
        (n, l, Edit::Replace(x)) => {
            let slot = match l {
                Value::String(k) => n.get_mut(k.as_str()).unwrap(),
                _ => n.get_mut(l.as_u64().unwrap() as usize).unwrap(),
            };
            *slot = x.clone();
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config("seccomp_policy_mutated_shipped", 1.0))]
    #[test]
    fn seccomp_policy_mutated_shipped(
        base in proptest::sample::select(vec!["default.json", "loopback.json"]),
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(),
             prop_oneof![
                 2 => any_json().prop_map(Edit::Replace),
                 1 => Just(Edit::Remove),
                 4 => (
                     prop_oneof![
                         4 => proptest::sample::select(vec!["mount", "read", "clone3", "mseal", "socket", "ptrace", "kexec_load"]).prop_map(String::from),
                         1 => proptest::sample::select(vec!["umount", "", "x86_64:1", "uretprobe"]).prop_map(String::from),
                         1 => nasty_string(6),
                     ],
                     proptest::collection::vec(condition(), 0..4),
                 ).prop_map(|(s, c)| Edit::AddRule(s, c)),
             ]),
            1..3,
        ),
        into_errno in any::<bool>(),
    ) {
        let mut v = shipped(base);
        for (idx, e) in &edits {
            match e {
                Edit::AddRule(name, conds) => {
                    let f = if into_errno { "errno" } else { "deny" };
                    if let Some(rules) = v.get_mut(f).and_then(|f| f.get_mut("filter")).and_then(Value::as_array_mut) {
                        let mut rule = json!({ "syscall": name });
                        if !conds.is_empty() {
                            rule["args"] = Value::Array(conds.clone());
                        }
                        rules.push(rule);
                    }
                }
                _ => {
                    let mut all = Vec::new();
                    paths(&v, &mut Vec::new(), &mut all);
                    if all.is_empty() { continue; }
                    let p = all[idx.index(all.len())].clone();
                    edit(&mut v, &p, e);
                }
            }
        }
        let (d, r) = load_text(&serde_json::to_string_pretty(&v).unwrap());
        check(d.path(), &r)?;
    }
}

proptest! {
    #![proptest_config(config("seccomp_syscall_name_never_panics", 4.0))]
    #[test]
    fn seccomp_syscall_name_never_panics(
        arch in prop_oneof![Just(0xc000_003eu32), Just(0x4000_0003u32), any::<u32>()],
        nr in prop_oneof![-2i32..600, Just(i32::MIN), Just(i32::MAX), Just(0x4000_0000), any::<i32>()],
    ) {
        let name = syscall_name(arch, nr);
        prop_assert!(!name.is_empty());
        if arch == 0xc000_003e && (0..=334).contains(&nr) {
            // Low x86_64 numbers have names (read=0 ... rseq=334), minus a few holes.
            prop_assert!(!name.contains(':') || name.starts_with("x86_64:"), "{nr} -> {name}");
        }
    }
}
