//! Property tests of the `dokeru run` option parsers (`config::run`): `--bind`, `--env`,
//! `--cpus`, and every SIZE/SECS/number option through `build_run`, whose errors must
//! name the option.

#[path = "fuzz_support.rs"]
mod support;

use dokeru::cli::RunArgs;
use dokeru::config::run::{build_env, parse_bind, parse_cpus};
use dokeru::config::{ConfigError, build_run, parse_duration, parse_size};
use proptest::prelude::*;
use support::{config, nasty_string, number_text};

fn path_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "/",
            "/tmp",
            "/usr",
            "/etc/hostname",
            "/nonexistent-dokeru",
            "/tmp/",
            "/a/../b",
            "..",
            ".",
            "rw",
            "ro",
            "",
            "/dev/null",
            "/proc/self",
            "relative",
            "/tmp/\0x",
            "/é",
            "//",
            "/tmp/./x",
        ])
        .prop_map(String::from),
        nasty_string(8),
    ]
}

fn bind_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(path_piece(), 1..5).prop_map(|v| v.join(":"))
}

proptest! {
    #![proptest_config(config("parse_bind_never_panics", 1.0))]
    #[test]
    fn parse_bind_never_panics(text in prop_oneof![bind_text(), nasty_string(20)]) {
        match parse_bind(&text) {
            Ok(b) => {
                prop_assert!(b.src.is_absolute() && b.dst.is_absolute(), "{text:?} -> {b:?}");
                prop_assert!(!b.dst.components().any(|c| c == std::path::Component::ParentDir));
                prop_assert!(b.src.exists(), "{text:?}: source must exist");
                prop_assert_eq!(b.writable, text.ends_with(":rw"));
            }
            Err(e) => {
                let m = e.to_string();
                prop_assert!(m.contains("--bind"), "error does not name the option: {m}");
            }
        }
    }
}

fn env_entry() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        proptest::sample::select(vec![
            "A",
            "PATH",
            "HOME",
            "LANG",
            "_",
            "A_1",
            "1A",
            "",
            "A-B",
            "A B",
            "Ä",
            "A\0",
            "DOKERU_SURELY_UNSET_VAR",
        ])
        .prop_map(String::from),
        "[A-Za-z_][A-Za-z0-9_]{0,6}",
        nasty_string(6),
    ];
    (key, proptest::option::of(nasty_string(8)), any::<bool>()).prop_map(|(k, v, eq)| match v {
        Some(v) => format!("{k}={v}"),
        None if eq => format!("{k}="),
        None => k,
    })
}

proptest! {
    #![proptest_config(config("build_env_never_panics", 1.0))]
    #[test]
    fn build_env_never_panics(entries in proptest::collection::vec(env_entry(), 0..6)) {
        match build_env(&entries) {
            Ok(env) => {
                let mut keys: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
                for k in &keys {
                    prop_assert!(!k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{k:?}");
                }
                for (_, v) in &env {
                    prop_assert!(!v.contains('\0'));
                }
                for must in ["PATH", "HOME", "LANG"] {
                    prop_assert!(keys.contains(&must), "{must} missing");
                }
                let n = keys.len();
                keys.sort_unstable();
                keys.dedup();
                prop_assert_eq!(keys.len(), n, "a variable set twice");
                // The last entry for a key wins, `KEY` taking the host's value if set.
                let mut want = std::collections::BTreeMap::new();
                for e in &entries {
                    match e.split_once('=') {
                        Some((k, v)) => { want.insert(k.to_string(), v.to_string()); }
                        None => if let Ok(v) = std::env::var(e) { want.insert(e.clone(), v); },
                    }
                }
                for (k, v) in &want {
                    let got = env.iter().find(|(ek, _)| ek == k).map(|(_, ev)| ev);
                    prop_assert_eq!(got, Some(v), "{:?}", entries);
                }
            }
            Err(e) => {
                let m = e.to_string();
                prop_assert!(m.contains("--env"), "error does not name the option: {m}");
            }
        }
    }
}

fn cpu_list() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        (0u64..4).prop_map(|a| a.to_string()),
        (0u64..4, 0u64..4).prop_map(|(a, b)| format!("{a}-{b}")),
        number_text(),
        proptest::sample::select(vec!["", " ", "-", "0-", "-0", "0--1", "a", "0 - 1", "٠"])
            .prop_map(String::from),
    ];
    proptest::collection::vec(item, 1..4).prop_map(|v| v.join(","))
}

proptest! {
    #![proptest_config(config("parse_cpus_never_panics", 1.0))]
    #[test]
    fn parse_cpus_never_panics(text in prop_oneof![cpu_list(), nasty_string(12)]) {
        match parse_cpus("--cpus", &text) {
            Ok(s) => {
                prop_assert_eq!(s.as_str(), text.trim());
                for part in s.split(',') {
                    let (a, b) = part.split_once('-').unwrap_or((part, part));
                    let (a, b): (u64, u64) = (a.trim().parse().unwrap(), b.trim().parse().unwrap());
                    prop_assert!(a <= b, "{text:?}");
                }
            }
            Err(e) => {
                let m = e.to_string();
                prop_assert!(m.contains("--cpus"), "error does not name the option: {m}");
            }
        }
    }
}

/// Which option of `dokeru run` gets the fuzzed value.
#[derive(Debug, Clone, Copy)]
enum Opt {
    Time,
    WallTime,
    Mem,
    Memlimit,
    MemSoft,
    Percent,
    Shares,
    Cpus,
    Pids,
    Fsize,
    Disk,
    OutputLimit,
    Net,
}

impl Opt {
    fn name(self) -> &'static str {
        match self {
            Opt::Time => "--time",
            Opt::WallTime => "--wall-time",
            Opt::Mem => "--mem",
            // build_run reports a too-small --memlimit under --mem's name (they are one
            // setting); its parse errors name --memlimit.
            Opt::Memlimit => "--mem",
            Opt::MemSoft => "--mem-soft",
            Opt::Percent => "--percent",
            Opt::Shares => "--shares",
            Opt::Cpus => "--cpus",
            Opt::Pids => "--pids",
            Opt::Fsize => "--fsize",
            Opt::Disk => "--disk",
            Opt::OutputLimit => "--output-limit",
            Opt::Net => "--net",
        }
    }
}

fn option_value() -> impl Strategy<Value = String> {
    prop_oneof![
        number_text(),
        nasty_string(16),
        (
            number_text(),
            proptest::sample::select(vec!["K", "M", "G", "T", "%", "s", "MiB", ""])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        proptest::sample::select(vec![
            "unlimited",
            "none",
            "loopback",
            "0",
            "1",
            "64M",
            "0.5"
        ])
        .prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(config("build_run_errors_name_the_option", 0.5))]
    #[test]
    fn build_run_errors_name_the_option(
        opt in proptest::sample::select(vec![
            Opt::Time, Opt::WallTime, Opt::Mem, Opt::Memlimit, Opt::MemSoft, Opt::Percent,
            Opt::Shares, Opt::Cpus, Opt::Pids, Opt::Fsize, Opt::Disk, Opt::OutputLimit, Opt::Net,
        ]),
        value in option_value(),
    ) {
        let mut args = RunArgs {
            net: "none".into(),
            seccomp: Some("off".into()),
            program: vec!["/bin/true".into()],
            ..RunArgs::default()
        };
        let v = Some(value.clone());
        match opt {
            Opt::Time => args.time = v,
            Opt::WallTime => args.wall_time = v,
            Opt::Mem => args.mem = v,
            Opt::Memlimit => args.memlimit = v,
            Opt::MemSoft => args.mem_soft = v,
            Opt::Percent => args.percent = v,
            Opt::Shares => args.shares = v,
            Opt::Cpus => args.cpus = v,
            Opt::Pids => args.pids = v,
            Opt::Fsize => args.fsize = v,
            Opt::Disk => args.disk = v,
            Opt::OutputLimit => args.output_limit = v,
            Opt::Net => args.net = value.clone(),
        }
        match build_run(&args) {
            Ok(s) => {
                let l = &s.spec.limits;
                // What was accepted is what the unit parsers give.
                match opt {
                    Opt::Time => prop_assert_eq!(l.cpu_time, parse_duration(&value).ok()),
                    Opt::Mem | Opt::Memlimit => {
                        let m = parse_size(&value, dokeru::config::units::host_memory_bytes()).unwrap();
                        prop_assert_eq!(l.memory_bytes, m);
                        prop_assert!(m.is_none_or(|m| m >= 1 << 20));
                    }
                    Opt::Disk => prop_assert!(l.disk_bytes >= 4096),
                    _ => {}
                }
            }
            Err(e) => {
                let m = e.to_string();
                let named = m.contains(opt.name()) || (matches!(opt, Opt::Memlimit) && m.contains("--memlimit"));
                prop_assert!(named, "{} {value:?}: error does not name the option: {m}", opt.name());
                prop_assert!(matches!(e, ConfigError::InvalidValue { .. }), "{e:?}");
                prop_assert!(m.contains(&format!("{value:?}")) || m.contains("unlimited"),
                    "error does not quote the value {value:?}: {m}");
            }
        }
    }
}
