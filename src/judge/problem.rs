//! Problem packages: `problem.yaml` of every version in use, `.timelimit`, test data in
//! judging order with nested groups, `testdata.yaml` / `test_group.yaml`, validator
//! flags, and which checker the package uses. Everything is checked here, before any
//! run; an error names the file and the field.

use super::checker::Protocol;
use super::default_validator::Flags;
use super::{JudgeError, package_err, read_to_string};
use serde_yaml::Value;
use std::path::{Path, PathBuf};

/// `problem_format_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FormatVersion {
    /// No version, `legacy` or `legacy-icpc`.
    #[serde(rename = "legacy")]
    Legacy,
    #[serde(rename = "2023-07-draft")]
    Draft2023,
    #[serde(rename = "2025-09")]
    V2025,
}

/// The limits of the package, with the format's defaults filled in.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Limits {
    /// Seconds; `None` when neither `problem.yaml` nor `.timelimit` gives one.
    pub time_limit_s: Option<f64>,
    /// Where the time limit came from: `problem.yaml`, `.timelimit`, or `none`.
    pub time_limit_source: &'static str,
    pub memory_mib: u64,
    pub output_mib: u64,
    pub compilation_time_s: Option<f64>,
    pub compilation_memory_mib: Option<u64>,
    pub validation_time_s: f64,
    pub validation_memory_mib: u64,
    pub validation_output_mib: u64,
    /// legacy `time_multiplier` (time limit = slowest accepted x this).
    pub time_multiplier: f64,
    pub time_safety_margin: f64,
    /// 2023-07 / 2025-09 `time_multipliers`.
    pub ac_to_time_limit: f64,
    pub time_limit_to_tle: f64,
    pub time_resolution: f64,
}

impl Default for Limits {
    /// The "typical system defaults" of the format's limits table.
    fn default() -> Self {
        Limits {
            time_limit_s: None,
            time_limit_source: "none",
            memory_mib: 2048,
            output_mib: 8,
            compilation_time_s: None,
            compilation_memory_mib: None,
            validation_time_s: 60.0,
            validation_memory_mib: 2048,
            validation_output_mib: 8,
            time_multiplier: 5.0,
            time_safety_margin: 2.0,
            ac_to_time_limit: 2.0,
            time_limit_to_tle: 1.5,
            time_resolution: 1.0,
        }
    }
}

/// Which checker judges outputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Checker {
    /// The default validator (flags are per test, see [`TestCase::validator_args`]).
    Default,
    /// A program of the package: its path (a file or a directory) and its protocol.
    Program { path: PathBuf, protocol: Protocol },
}

/// Legacy default-grader settings of one group (`testdata.yaml`, inherited).
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyGrading {
    pub on_reject_continue: bool,
    pub grader_flags: Vec<String>,
    pub accept_score: f64,
    pub reject_score: f64,
    pub range: (f64, f64),
}

impl Default for LegacyGrading {
    fn default() -> Self {
        LegacyGrading {
            on_reject_continue: false,
            grader_flags: Vec::new(),
            accept_score: 1.0,
            reject_score: 0.0,
            range: (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

/// 2025-09 `score_aggregation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aggregation {
    PassFail,
    Sum,
    Min,
}

/// 2025-09 scoring settings of `secret` or a group.
#[derive(Debug, Clone, PartialEq)]
pub struct ModernGrading {
    /// `None`: unbounded.
    pub max_score: Option<f64>,
    pub aggregation: Aggregation,
    pub require_pass: Vec<String>,
}

/// One test data group (a directory under `data/`), its children in judging order.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Path under `data/`: `""` for the root, `sample`, `secret`, `secret/group1`...
    pub name: String,
    pub children: Vec<Node>,
    pub legacy: LegacyGrading,
    /// Set for `secret` and its groups in 2025-09 scoring problems.
    pub modern: Option<ModernGrading>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Index into [`Problem::tests`].
    Test(usize),
    Group(Group),
}

/// One test case.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// Path under `data/` without `.in`: `sample/1`, `secret/group1/05-big`.
    pub name: String,
    pub input: PathBuf,
    pub answer: PathBuf,
    /// `<name>.files/`: copied into the submission's working directory (2025-09).
    pub files_dir: Option<PathBuf>,
    /// Extra command-line arguments of the submission (2025-09 `args`).
    pub args: Vec<String>,
    /// Arguments of the output validator (legacy `validator_flags` + group flags, or
    /// 2025-09 `output_validator_args`).
    pub validator_args: Vec<String>,
    /// The parsed flags when the default validator is used (checked at load time).
    pub default_flags: Option<Flags>,
    pub sample: bool,
}

/// A loaded, checked package.
#[derive(Debug, Clone)]
pub struct Problem {
    pub dir: PathBuf,
    pub name: String,
    pub version: FormatVersion,
    pub scoring: bool,
    pub interactive: bool,
    pub limits: Limits,
    pub checker: Checker,
    pub tests: Vec<TestCase>,
    /// The root of the group tree (`data/`).
    pub root: Group,
    /// Things that do not stop judging but that a problem setter wants to know.
    pub warnings: Vec<String>,
}

// ---------- YAML helpers: every error names the file and the field ----------

struct Ctx<'a> {
    file: &'a Path,
}

impl Ctx<'_> {
    fn err(&self, field: &str, msg: impl Into<String>) -> JudgeError {
        package_err(self.file, field, msg)
    }
    fn f64(&self, field: &str, v: &Value) -> Result<f64, JudgeError> {
        v.as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.err(field, format!("expected a number, got {}", show(v))))
    }
    fn pos_f64(&self, field: &str, v: &Value) -> Result<f64, JudgeError> {
        let x = self.f64(field, v)?;
        if x > 0.0 {
            Ok(x)
        } else {
            Err(self.err(field, format!("must be > 0, got {x}")))
        }
    }
    fn pos_u64(&self, field: &str, v: &Value) -> Result<u64, JudgeError> {
        match v.as_u64() {
            Some(x) if x > 0 => Ok(x),
            // Some packages write `memory: 1024.0`; accept integral floats.
            _ => match v.as_f64() {
                Some(x) if x >= 1.0 && x.fract() == 0.0 && x < 1e12 => Ok(x as u64),
                _ => Err(self.err(
                    field,
                    format!("expected a positive integer, got {}", show(v)),
                )),
            },
        }
    }
    fn string(&self, field: &str, v: &Value) -> Result<String, JudgeError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.err(field, format!("expected a string, got {}", show(v)))),
        }
    }
    fn string_list(&self, field: &str, v: &Value) -> Result<Vec<String>, JudgeError> {
        match v {
            Value::Sequence(items) => items.iter().map(|i| self.string(field, i)).collect(),
            Value::Null => Ok(Vec::new()),
            _ => Ok(vec![self.string(field, v)?]),
        }
    }
    fn bool(&self, field: &str, v: &Value) -> Result<bool, JudgeError> {
        v.as_bool()
            .ok_or_else(|| self.err(field, format!("expected true or false, got {}", show(v))))
    }
    fn map<'v>(&self, field: &str, v: &'v Value) -> Result<&'v serde_yaml::Mapping, JudgeError> {
        match v {
            Value::Mapping(m) => Ok(m),
            _ => Err(self.err(field, format!("expected a map, got {}", show(v)))),
        }
    }
}

fn show(v: &Value) -> String {
    let s = serde_yaml::to_string(v).unwrap_or_default();
    let s = s.trim();
    if s.len() > 60 {
        format!("{}...", &s[..s.floor_char_boundary(60)])
    } else {
        s.to_string()
    }
}

fn load_yaml(path: &Path) -> Result<Value, JudgeError> {
    let text = read_to_string(path)?;
    if text.trim().is_empty() {
        return Ok(Value::Mapping(Default::default()));
    }
    let v: Value = serde_yaml::from_str(&text).map_err(|e| JudgeError::ParseYaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    match v {
        Value::Mapping(_) => Ok(v),
        Value::Null => Ok(Value::Mapping(Default::default())),
        other => Err(package_err(
            path,
            "(top level)",
            format!("expected a map, got {}", show(&other)),
        )),
    }
}

fn keys(m: &serde_yaml::Mapping) -> impl Iterator<Item = (String, &Value)> {
    m.iter()
        .map(|(k, v)| (k.as_str().map(str::to_string).unwrap_or_else(|| show(k)), v))
}

/// Split a flag string the way the format's tools do: on whitespace.
fn split_flags(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

// ---------- problem.yaml ----------

struct Meta {
    name: String,
    version: FormatVersion,
    scoring: bool,
    interactive: bool,
    custom_validation: bool,
    validator_flags: Vec<String>,
    limits: Limits,
}

const KNOWN_KEYS: &[&str] = &[
    "problem_format_version",
    "type",
    "name",
    "uuid",
    "version",
    "author",
    "credits",
    "source",
    "source_url",
    "license",
    "rights_owner",
    "embargo_until",
    "limits",
    "validation",
    "validator_flags",
    "grading",
    "scoring",
    "keywords",
    "languages",
    "allow_file_writing",
    "constants",
    "plainproblemname",
];

fn parse_meta(dir: &Path, warnings: &mut Vec<String>) -> Result<Meta, JudgeError> {
    let file = dir.join("problem.yaml");
    if !file.is_file() {
        return Err(package_err(
            &file,
            "(file)",
            "missing: every package needs problem.yaml",
        ));
    }
    let c = Ctx { file: &file };
    let doc = load_yaml(&file)?;
    let m = c.map("(top level)", &doc)?;
    let get = |k: &str| m.get(Value::String(k.to_string()));
    for (k, _) in keys(m) {
        if !KNOWN_KEYS.contains(&k.as_str()) {
            // The format says unknown keys "should be treated as an error"; a key that
            // does not change judging is reported instead, so third-party packages with
            // a tool's extra metadata still judge.
            warnings.push(format!("{}: unknown key {k:?} ignored", file.display()));
        }
    }
    let version = match get("problem_format_version") {
        None => FormatVersion::Legacy,
        Some(v) => {
            match c.string("problem_format_version", v)?.as_str() {
                "legacy" | "legacy-icpc" => FormatVersion::Legacy,
                "2023-07-draft" | "2023-07" | "draft" => FormatVersion::Draft2023,
                "2025-09" | "2025-09-draft" => FormatVersion::V2025,
                other => {
                    return Err(c.err(
                    "problem_format_version",
                    format!("unsupported version {other:?} (supported: legacy, 2023-07-draft, 2025-09)"),
                ));
                }
            }
        }
    };
    let name = match get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Mapping(mm)) => mm
            .get(Value::String("en".into()))
            .or_else(|| mm.iter().next().map(|(_, v)| v))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    };
    let name = if name.is_empty() {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        name
    };

    let mut scoring = false;
    let mut interactive = false;
    if let Some(t) = get("type") {
        for ty in c.string_list("type", t)? {
            match ty.as_str() {
                "pass-fail" => {}
                "scoring" => scoring = true,
                "interactive" if version != FormatVersion::Legacy => interactive = true,
                "multi-pass" | "submit-answer" => {
                    return Err(c.err(
                        "type",
                        format!("problem type {ty:?} is not supported by dokeru"),
                    ));
                }
                other => return Err(c.err("type", format!("unknown problem type {other:?}"))),
            }
        }
    }
    let mut custom_validation = false;
    if let Some(v) = get("validation") {
        match v {
            Value::Mapping(vm) => {
                // 2023-07-draft: `validation: {interactive: true, scoring: true}`.
                for (k, val) in keys(vm) {
                    let on = c.bool(&format!("validation.{k}"), val)?;
                    match k.as_str() {
                        "interactive" => interactive |= on,
                        "scoring" | "score" => custom_validation |= on,
                        "multipass" | "multi-pass" if on => {
                            return Err(c.err(
                                "validation.multipass",
                                "multi-pass validation is not supported by dokeru",
                            ));
                        }
                        "multipass" | "multi-pass" => {}
                        other => return Err(c.err("validation", format!("unknown key {other:?}"))),
                    }
                }
                custom_validation |= interactive;
            }
            _ => {
                let s = c.string("validation", v)?;
                let words: Vec<&str> = s.split_whitespace().collect();
                match words.first().copied() {
                    Some("default") if words.len() == 1 => {}
                    Some("custom") => {
                        custom_validation = true;
                        for w in &words[1..] {
                            match *w {
                                "interactive" => interactive = true,
                                "score" => {}
                                other => {
                                    return Err(c.err(
                                        "validation",
                                        format!("unknown option {other:?} after custom"),
                                    ));
                                }
                            }
                        }
                    }
                    _ => {
                        return Err(c.err(
                            "validation",
                            format!("{s:?} must be `default` or `custom` [score] [interactive]"),
                        ));
                    }
                }
            }
        }
    }
    let validator_flags = match get("validator_flags") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => split_flags(&c.string("validator_flags", v)?),
    };
    if let Some(g) = get("grading")
        && let Some(obj) = g.get("objective").and_then(|o| o.as_str())
        && obj != "max"
    {
        return Err(c.err(
            "grading.objective",
            format!("{obj:?}: only `max` is supported"),
        ));
    }

    let mut limits = Limits::default();
    if let Some(l) = get("limits") {
        let lm = c.map("limits", l)?;
        for (k, v) in keys(lm) {
            let f = format!("limits.{k}");
            match k.as_str() {
                "time_limit" => {
                    limits.time_limit_s = Some(c.pos_f64(&f, v)?);
                    limits.time_limit_source = "problem.yaml";
                }
                "time_multiplier" => limits.time_multiplier = c.pos_f64(&f, v)?,
                "time_safety_margin" => limits.time_safety_margin = c.pos_f64(&f, v)?,
                "time_resolution" => limits.time_resolution = c.pos_f64(&f, v)?,
                "time_multipliers" => {
                    for (mk, mv) in keys(c.map(&f, v)?) {
                        let mf = format!("{f}.{mk}");
                        let x = c.f64(&mf, mv)?;
                        if x < 1.0 {
                            return Err(c.err(&mf, format!("must be >= 1, got {x}")));
                        }
                        match mk.as_str() {
                            "ac_to_time_limit" => limits.ac_to_time_limit = x,
                            "time_limit_to_tle" => limits.time_limit_to_tle = x,
                            other => return Err(c.err(&f, format!("unknown key {other:?}"))),
                        }
                    }
                }
                "memory" => limits.memory_mib = c.pos_u64(&f, v)?,
                "output" => limits.output_mib = c.pos_u64(&f, v)?,
                "code" => {}
                "compilation_time" => limits.compilation_time_s = Some(c.pos_f64(&f, v)?),
                "compilation_memory" => limits.compilation_memory_mib = Some(c.pos_u64(&f, v)?),
                "validation_time" => limits.validation_time_s = c.pos_f64(&f, v)?,
                "validation_memory" => limits.validation_memory_mib = c.pos_u64(&f, v)?,
                "validation_output" => limits.validation_output_mib = c.pos_u64(&f, v)?,
                "validation_passes" => {}
                other => return Err(c.err("limits", format!("unknown limit {other:?}"))),
            }
        }
    }
    if limits.time_limit_s.is_none() {
        let tl = dir.join(".timelimit");
        if tl.is_file() {
            let text = read_to_string(&tl)?;
            let x: f64 = text
                .trim()
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x > 0.0)
                .ok_or_else(|| {
                    package_err(
                        &tl,
                        "(content)",
                        format!("{:?} is not a positive number of seconds", text.trim()),
                    )
                })?;
            limits.time_limit_s = Some(x);
            limits.time_limit_source = ".timelimit";
        }
    }
    Ok(Meta {
        name,
        version,
        scoring,
        interactive,
        custom_validation,
        validator_flags,
        limits,
    })
}

// ---------- checker discovery ----------

/// Entries of `dir` not starting with `.`, sorted.
pub(crate) fn visible_entries(dir: &Path) -> Result<Vec<PathBuf>, JudgeError> {
    let rd = std::fs::read_dir(dir).map_err(|source| JudgeError::ReadFile {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    v.sort();
    Ok(v)
}

fn find_checker(
    dir: &Path,
    meta: &Meta,
    warnings: &mut Vec<String>,
) -> Result<Checker, JudgeError> {
    let mut kattis: Option<PathBuf> = None;
    let modern = dir.join("output_validator");
    let legacy = dir.join("output_validators");
    if modern.is_dir() {
        kattis = Some(modern);
    }
    if legacy.is_dir() {
        let progs = visible_entries(&legacy)?;
        match progs.len() {
            0 => {}
            1 if kattis.is_none() => kattis = Some(progs[0].clone()),
            1 => {
                return Err(package_err(
                    &legacy,
                    "(directory)",
                    "both output_validator/ and output_validators/ exist",
                ));
            }
            n => {
                return Err(package_err(
                    &legacy,
                    "(directory)",
                    format!("{n} output validators; dokeru supports exactly one"),
                ));
            }
        }
    }
    let testlib = ["checker", "check.cpp", "checker.cpp"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.exists());
    let graders = dir.join("graders");
    if graders.is_dir() && !visible_entries(&graders)?.is_empty() {
        return Err(package_err(
            &graders,
            "(directory)",
            "custom graders are not supported by dokeru",
        ));
    }
    match (kattis, testlib) {
        (Some(k), Some(t)) => Err(package_err(
            dir,
            "checker",
            format!(
                "both an output validator ({}) and a testlib checker ({}); keep one",
                k.display(),
                t.display()
            ),
        )),
        (Some(_), None) if meta.version == FormatVersion::Legacy && !meta.custom_validation => {
            warnings.push("output_validators/ present but problem.yaml has `validation: default`; using the default validator".into());
            Ok(Checker::Default)
        }
        (Some(k), None) => Ok(Checker::Program {
            path: k,
            protocol: Protocol::Kattis,
        }),
        (None, Some(t)) => {
            if meta.interactive {
                return Err(package_err(
                    &t,
                    "(checker)",
                    "interactive problems need a 42/43 output validator, not a testlib checker",
                ));
            }
            Ok(Checker::Program {
                path: t,
                protocol: Protocol::Testlib,
            })
        }
        (None, None) if meta.custom_validation || meta.interactive => Err(package_err(
            dir.join("problem.yaml"),
            if meta.interactive {
                "type"
            } else {
                "validation"
            },
            "asks for a custom validator but there is no output_validator/ or output_validators/<name>/",
        )),
        (None, None) => Ok(Checker::Default),
    }
}

// ---------- test data ----------

/// Settings inherited down the group tree while walking.
#[derive(Clone)]
struct Inherit {
    legacy: LegacyGrading,
    /// Legacy `output_validator_flags` of the closest testdata.yaml.
    group_flags: Vec<String>,
    /// 2025-09 `args` / `output_validator_args` of the closest test_group.yaml.
    args: Vec<String>,
    validator_args: Vec<String>,
}

struct Walker<'a> {
    dir: &'a Path,
    meta: &'a Meta,
    checker_default: bool,
    tests: Vec<TestCase>,
    warnings: Vec<String>,
}

const TESTDATA_KEYS: &[&str] = &[
    "on_reject",
    "grading",
    "grader_flags",
    "input_validator_flags",
    "output_validator_flags",
    "accept_score",
    "reject_score",
    "range",
    "output_validator_args",
    "input_validator_args",
    "args",
];
const TEST_GROUP_KEYS: &[&str] = &[
    "max_score",
    "score_aggregation",
    "static_validation_score",
    "require_pass",
    "args",
    "input_validator_args",
    "static_validator_args",
    "output_validator_args",
    "input_visualizer_args",
    "output_visualizer_args",
    "full_feedback",
];
const TEST_CASE_KEYS: &[&str] = &[
    "args",
    "input_validator_args",
    "output_validator_args",
    "input_visualizer_args",
    "output_visualizer_args",
    "full_feedback",
    "hint",
    "description",
];

impl Walker<'_> {
    fn apply_testdata_yaml(&mut self, file: &Path, inh: &mut Inherit) -> Result<(), JudgeError> {
        let c = Ctx { file };
        let doc = load_yaml(file)?;
        let m = c.map("(top level)", &doc)?;
        // The closest testdata.yaml is used as a whole (legacy format), not merged
        // field by field with its ancestors.
        inh.legacy = LegacyGrading::default();
        inh.group_flags = Vec::new();
        for (k, v) in keys(m) {
            match k.as_str() {
                "on_reject" => {
                    inh.legacy.on_reject_continue = match c.string(&k, v)?.as_str() {
                        "break" => false,
                        "continue" => true,
                        o => return Err(c.err(&k, format!("{o:?} must be break or continue"))),
                    }
                }
                "grading" => match v {
                    Value::String(s) if s == "default" => {}
                    Value::String(s) if s == "custom" => {
                        return Err(c.err(&k, "custom graders are not supported by dokeru"));
                    }
                    // 2023-07-draft: `grading: {score, score_aggregation, verdict_aggregation}`.
                    Value::Mapping(gm) => {
                        for (gk, gv) in keys(gm) {
                            let f = format!("grading.{gk}");
                            match gk.as_str() {
                                "score" => inh.legacy.accept_score = c.f64(&f, gv)?,
                                "max_score" => {}
                                "score_aggregation" => match c.string(&f, gv)?.as_str() {
                                    "sum" | "min" => {
                                        inh.legacy.grader_flags.push(c.string(&f, gv)?)
                                    }
                                    o => return Err(c.err(&f, format!("{o:?} must be sum or min"))),
                                },
                                "verdict_aggregation" => match c.string(&f, gv)?.as_str() {
                                    "first_error" => {
                                        inh.legacy.grader_flags.push("first_error".into())
                                    }
                                    "accept_if_any_accepted" => inh
                                        .legacy
                                        .grader_flags
                                        .push("accept_if_any_accepted".into()),
                                    o => {
                                        return Err(c.err(
                                            &f,
                                            format!("unknown verdict aggregation {o:?}"),
                                        ));
                                    }
                                },
                                o => return Err(c.err("grading", format!("unknown key {o:?}"))),
                            }
                        }
                    }
                    o => return Err(c.err(&k, format!("{} must be default", show(o)))),
                },
                "grader_flags" => {
                    let flags = split_flags(&c.string(&k, v)?);
                    for f in &flags {
                        if !matches!(
                            f.as_str(),
                            "worst_error"
                                | "first_error"
                                | "always_accept"
                                | "sum"
                                | "avg"
                                | "min"
                                | "max"
                                | "ignore_sample"
                                | "accept_if_any_accepted"
                        ) {
                            return Err(c.err(&k, format!("unknown default grader flag {f:?}")));
                        }
                    }
                    inh.legacy.grader_flags = flags;
                }
                "output_validator_flags" => {
                    inh.group_flags = match v {
                        Value::Mapping(fm) => match fm.get(Value::String("flags".into())) {
                            Some(f) => split_flags(&c.string("output_validator_flags.flags", f)?),
                            None => Vec::new(),
                        },
                        _ => split_flags(&c.string(&k, v)?),
                    }
                }
                "output_validator_args" => inh.validator_args = c.string_list(&k, v)?,
                "args" => inh.args = c.string_list(&k, v)?,
                "accept_score" => inh.legacy.accept_score = c.f64(&k, v)?,
                "reject_score" => inh.legacy.reject_score = c.f64(&k, v)?,
                "range" => {
                    let s = c.string(&k, v)?;
                    let parts: Vec<&str> = s.split_whitespace().collect();
                    let p = |x: &str| -> Option<f64> {
                        match x {
                            "inf" | "+inf" => Some(f64::INFINITY),
                            "-inf" => Some(f64::NEG_INFINITY),
                            _ => x.parse().ok(),
                        }
                    };
                    match parts.as_slice() {
                        [a, b] if p(a).is_some() && p(b).is_some() => {
                            inh.legacy.range = (p(a).unwrap_or(0.0), p(b).unwrap_or(0.0))
                        }
                        _ => return Err(c.err(&k, format!("{s:?} must be two numbers"))),
                    }
                }
                "input_validator_flags" | "input_validator_args" => {}
                other => {
                    let _ = TESTDATA_KEYS;
                    return Err(c.err(other, "unknown key in testdata.yaml"));
                }
            }
        }
        Ok(())
    }

    fn modern_group(
        &mut self,
        file: Option<&Path>,
        name: &str,
        inh: &mut Inherit,
    ) -> Result<Option<ModernGrading>, JudgeError> {
        let is_secret = name == "secret";
        let is_sample = name == "sample";
        let mut g = ModernGrading {
            max_score: if is_secret { Some(100.0) } else { None },
            aggregation: if is_secret {
                Aggregation::Sum
            } else {
                Aggregation::PassFail
            },
            require_pass: Vec::new(),
        };
        let mut max_given = false;
        if let Some(file) = file {
            let c = Ctx { file };
            let doc = load_yaml(file)?;
            let m = c.map("(top level)", &doc)?;
            for (k, v) in keys(m) {
                if is_sample
                    && matches!(
                        k.as_str(),
                        "max_score" | "score_aggregation" | "require_pass"
                    )
                {
                    return Err(c.err(&k, "not permitted in sample"));
                }
                match k.as_str() {
                    "max_score" => {
                        max_given = true;
                        g.max_score = match v {
                            Value::String(s) if s == "unbounded" => None,
                            _ => match v.as_u64() {
                                Some(x) => Some(x as f64),
                                None => {
                                    return Err(c.err(
                                        &k,
                                        format!(
                                            "{} must be a non-negative integer or unbounded",
                                            show(v)
                                        ),
                                    ));
                                }
                            },
                        }
                    }
                    "score_aggregation" => {
                        g.aggregation = match c.string(&k, v)?.as_str() {
                            "pass-fail" => Aggregation::PassFail,
                            "sum" => Aggregation::Sum,
                            "min" => Aggregation::Min,
                            o => {
                                return Err(
                                    c.err(&k, format!("{o:?} must be pass-fail, sum or min"))
                                );
                            }
                        }
                    }
                    "require_pass" => g.require_pass = c.string_list(&k, v)?,
                    "static_validation_score" | "static_validator_args" => {
                        return Err(c.err(&k, "static validation is not supported by dokeru"));
                    }
                    "args" => inh.args = c.string_list(&k, v)?,
                    "output_validator_args" => inh.validator_args = c.string_list(&k, v)?,
                    "input_validator_args"
                    | "input_visualizer_args"
                    | "output_visualizer_args"
                    | "full_feedback" => {}
                    other => {
                        let _ = TEST_GROUP_KEYS;
                        return Err(c.err(other, "unknown key in test_group.yaml"));
                    }
                }
            }
            if self.meta.scoring
                && !is_secret
                && !is_sample
                && g.aggregation == Aggregation::PassFail
                && g.max_score.is_none()
                && max_given
            {
                return Err(c.err("max_score", "a pass-fail group needs a bounded max_score"));
            }
        }
        Ok((self.meta.scoring && !is_sample).then_some(g))
    }

    fn test_case(
        &mut self,
        input: &Path,
        name: String,
        inh: &Inherit,
        sample: bool,
    ) -> Result<usize, JudgeError> {
        let answer = input.with_extension("ans");
        if !answer.is_file() {
            return Err(package_err(
                input,
                "(test case)",
                format!("{} is missing", answer.display()),
            ));
        }
        let files_dir = Some(input.with_extension("files")).filter(|p| p.is_dir());
        let mut args = inh.args.clone();
        let mut validator_args = match self.meta.version {
            FormatVersion::V2025 => inh.validator_args.clone(),
            _ => {
                let mut f = self.meta.validator_flags.clone();
                f.extend(inh.group_flags.iter().cloned());
                f.extend(inh.validator_args.iter().cloned());
                f
            }
        };
        let yaml = input.with_extension("yaml");
        if yaml.is_file() {
            let c = Ctx { file: &yaml };
            let doc = load_yaml(&yaml)?;
            for (k, v) in keys(c.map("(top level)", &doc)?) {
                match k.as_str() {
                    "args" => args = c.string_list(&k, v)?,
                    "output_validator_args" => validator_args = c.string_list(&k, v)?,
                    _ if TEST_CASE_KEYS.contains(&k.as_str()) => {}
                    other => return Err(c.err(other, "unknown key in test case configuration")),
                }
            }
        }
        let default_flags =
            if self.checker_default {
                let where_ = if yaml.is_file() {
                    yaml.clone()
                } else if self.meta.version == FormatVersion::V2025 {
                    self.dir.join("data")
                } else {
                    self.dir.join("problem.yaml")
                };
                Some(Flags::parse(&validator_args).map_err(|e| {
                    package_err(where_, "validator flags", format!("test {name}: {e}"))
                })?)
            } else {
                None
            };
        self.tests.push(TestCase {
            name,
            input: input.to_path_buf(),
            answer,
            files_dir,
            args,
            validator_args,
            default_flags,
            sample,
        });
        Ok(self.tests.len() - 1)
    }

    /// Walk one group directory: tests and subgroups in lexicographic order of base name.
    fn group(
        &mut self,
        path: &Path,
        name: &str,
        mut inh: Inherit,
        depth: usize,
    ) -> Result<Group, JudgeError> {
        if depth > 16 {
            return Err(package_err(
                path,
                "(directory)",
                "test groups nested too deep",
            ));
        }
        let modern = self.meta.version == FormatVersion::V2025;
        let td = path.join("testdata.yaml");
        let tg = path.join("test_group.yaml");
        if td.is_file() {
            self.apply_testdata_yaml(&td, &mut inh)?;
        }
        let modern_settings = if modern && (depth <= 2) {
            self.modern_group(tg.is_file().then_some(tg.as_path()), name, &mut inh)?
        } else {
            if tg.is_file() && !modern {
                self.apply_testdata_yaml(&tg, &mut inh)?;
            }
            None
        };
        let sample = name == "sample" || name.starts_with("sample/");
        // Entries: (base name, is_group, path).
        let mut entries: Vec<(String, bool, PathBuf)> = Vec::new();
        for p in visible_entries(path)? {
            let fname = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            if p.is_dir() {
                if fname.ends_with(".files") {
                    continue;
                }
                entries.push((fname, true, p));
            } else if let Some(stem) = fname.strip_suffix(".in") {
                entries.push((stem.to_string(), false, p));
            } else if let Some(stem) = fname.strip_suffix(".ans")
                && !path.join(format!("{stem}.in")).exists()
            {
                self.warnings.push(format!(
                    "{}: answer file without a .in, ignored",
                    p.display()
                ));
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let (ngroups, ntests) =
            entries.iter().fold(
                (0, 0),
                |(g, t), e| if e.1 { (g + 1, t) } else { (g, t + 1) },
            );
        if modern && name == "secret" && ngroups > 0 && ntests > 0 {
            return Err(package_err(
                path,
                "(directory)",
                "data/secret has both test cases and test groups",
            ));
        }
        if modern && name == "sample" && ngroups > 0 {
            return Err(package_err(
                path,
                "(directory)",
                "data/sample must not contain groups",
            ));
        }
        let mut children = Vec::new();
        for (base, is_group, p) in entries {
            let child_name = if name.is_empty() {
                base.clone()
            } else {
                format!("{name}/{base}")
            };
            if is_group {
                let g = self.group(&p, &child_name, inh.clone(), depth + 1)?;
                if !g.children.is_empty() {
                    children.push(Node::Group(g));
                }
            } else {
                children.push(Node::Test(self.test_case(&p, child_name, &inh, sample)?));
            }
        }
        Ok(Group {
            name: name.to_string(),
            children,
            legacy: inh.legacy.clone(),
            modern: modern_settings,
        })
    }
}

impl Problem {
    /// Load and check a package completely.
    ///
    /// # Errors
    /// A malformed or unsupported package, naming the file and the field.
    pub fn load(dir: &Path) -> Result<Problem, JudgeError> {
        if !dir.is_dir() {
            return Err(package_err(dir, "(directory)", "not a directory"));
        }
        let mut warnings = Vec::new();
        let meta = parse_meta(dir, &mut warnings)?;
        let checker = find_checker(dir, &meta, &mut warnings)?;
        let data = dir.join("data");
        if !data.is_dir() {
            return Err(package_err(
                &data,
                "(directory)",
                "missing: the package has no test data",
            ));
        }
        let mut w = Walker {
            dir,
            meta: &meta,
            checker_default: checker == Checker::Default,
            tests: Vec::new(),
            warnings: Vec::new(),
        };
        let inh = Inherit {
            legacy: LegacyGrading::default(),
            group_flags: Vec::new(),
            args: Vec::new(),
            validator_args: Vec::new(),
        };
        // Only sample and secret are judged; other dirs (invalid_input, valid_output...)
        // are for validating the package, not for judging submissions.
        let mut root = Group {
            name: String::new(),
            children: Vec::new(),
            legacy: LegacyGrading::default(),
            modern: None,
        };
        let mut root_inh = inh;
        let td = data.join("testdata.yaml");
        if td.is_file() {
            w.apply_testdata_yaml(&td, &mut root_inh)?;
            root.legacy = root_inh.legacy.clone();
        }
        for top in ["sample", "secret"] {
            let p = data.join(top);
            if p.is_dir() {
                let g = w.group(&p, top, root_inh.clone(), 1)?;
                root.children.push(Node::Group(g));
            }
        }
        if w.tests.is_empty() {
            return Err(package_err(
                &data,
                "(directory)",
                "no test cases (*.in with *.ans) in data/sample or data/secret",
            ));
        }
        if meta.scoring && meta.version == FormatVersion::V2025 {
            check_modern_scoring(&data, &root)?;
        }
        let tests = w.tests;
        warnings.extend(w.warnings);
        Ok(Problem {
            dir: dir.to_path_buf(),
            name: meta.name,
            version: meta.version,
            scoring: meta.scoring,
            interactive: meta.interactive,
            limits: meta.limits,
            checker,
            tests,
            root,
            warnings,
        })
    }

    /// The `secret` group, if any.
    pub fn secret(&self) -> Option<&Group> {
        self.root.children.iter().find_map(|n| match n {
            Node::Group(g) if g.name == "secret" => Some(g),
            _ => None,
        })
    }
}

/// The 2025-09 rules that can be checked statically: bounded groups under a bounded
/// secret, `require_pass` naming earlier pass-fail groups.
fn check_modern_scoring(data: &Path, root: &Group) -> Result<(), JudgeError> {
    let Some(secret) = root.children.iter().find_map(|n| match n {
        Node::Group(g) if g.name == "secret" => Some(g),
        _ => None,
    }) else {
        return Ok(());
    };
    let Some(ms) = &secret.modern else {
        return Ok(());
    };
    let groups: Vec<&Group> = secret
        .children
        .iter()
        .filter_map(|n| match n {
            Node::Group(g) => Some(g),
            _ => None,
        })
        .collect();
    for g in &groups {
        let file = data.join(&g.name).join("test_group.yaml");
        let Some(gm) = &g.modern else { continue };
        if ms.max_score.is_some() && gm.max_score.is_none() {
            return Err(package_err(
                &file,
                "max_score",
                format!("group {} needs a max_score when secret is bounded", g.name),
            ));
        }
        if ms.aggregation == Aggregation::PassFail && gm.aggregation != Aggregation::PassFail {
            return Err(package_err(
                &file,
                "score_aggregation",
                "secret is pass-fail, so its groups must be too",
            ));
        }
        for r in &gm.require_pass {
            let ok = r == "sample"
                || groups.iter().any(|o| {
                    &o.name == r
                        && o.name < g.name
                        && o.modern
                            .as_ref()
                            .is_some_and(|m| m.aggregation == Aggregation::PassFail)
                });
            if !ok {
                return Err(package_err(
                    &file,
                    "require_pass",
                    format!("{r:?} is not sample or an earlier pass-fail group"),
                ));
            }
        }
    }
    for r in &ms.require_pass {
        if r != "sample" {
            return Err(package_err(
                data.join("secret/test_group.yaml"),
                "require_pass",
                "secret may only require sample",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::fs;

    /// Write files `(relative path, content)` under a fresh temp dir.
    pub(crate) fn package(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let path = d.path().join(p);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, c).unwrap();
        }
        d
    }

    fn names(p: &Problem) -> Vec<&str> {
        p.tests.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn legacy_package_order_limits_and_flags() {
        let d = package(&[
            (
                "problem.yaml",
                "name: Hello\nvalidator_flags: float_tolerance 1e-6\nlimits:\n  memory: 256\n",
            ),
            (".timelimit", "2.5\n"),
            ("data/sample/2.in", ""),
            ("data/sample/2.ans", ""),
            ("data/sample/10.in", ""),
            ("data/sample/10.ans", ""),
            ("data/secret/b.in", ""),
            ("data/secret/b.ans", ""),
            ("data/secret/a/x.in", ""),
            ("data/secret/a/x.ans", ""),
            (
                "data/secret/a/testdata.yaml",
                "output_validator_flags: case_sensitive\n",
            ),
            ("data/secret/c.in", ""),
            ("data/secret/c.ans", ""),
        ]);
        let p = Problem::load(d.path()).unwrap();
        assert_eq!(p.version, FormatVersion::Legacy);
        assert_eq!(p.name, "Hello");
        // Samples first, then lexicographic on base name with groups interleaved.
        assert_eq!(
            names(&p),
            [
                "sample/10",
                "sample/2",
                "secret/a/x",
                "secret/b",
                "secret/c"
            ]
        );
        assert_eq!(p.limits.time_limit_s, Some(2.5));
        assert_eq!(p.limits.time_limit_source, ".timelimit");
        assert_eq!(p.limits.memory_mib, 256);
        assert_eq!(p.limits.output_mib, 8);
        assert!(p.tests[0].sample && !p.tests[2].sample);
        let f = p.tests[2].default_flags.as_ref().unwrap();
        assert!(f.case_sensitive);
        assert_eq!(f.float_absolute_tolerance, Some(1e-6));
        assert!(!p.tests[3].default_flags.as_ref().unwrap().case_sensitive);
        assert_eq!(p.checker, Checker::Default);
    }

    #[test]
    fn modern_package_types_multipliers_and_args() {
        let d = package(&[
            (
                "problem.yaml",
                "problem_format_version: 2025-09\nname: X\nuuid: u\ntype: [pass-fail, interactive]\nlimits:\n  time_limit: 1.5\n  time_multipliers:\n    ac_to_time_limit: 3\n",
            ),
            ("output_validator/validator.py", "print()\n"),
            ("data/secret/1.in", ""),
            ("data/secret/1.ans", ""),
            (
                "data/secret/1.yaml",
                "output_validator_args: [x, y]\nargs: [--fast]\n",
            ),
            (
                "data/secret/test_group.yaml",
                "output_validator_args: [z]\n",
            ),
            ("data/secret/2.in", ""),
            ("data/secret/2.ans", ""),
        ]);
        let p = Problem::load(d.path()).unwrap();
        assert!(p.interactive && !p.scoring);
        assert_eq!(p.limits.time_limit_s, Some(1.5));
        assert_eq!(p.limits.ac_to_time_limit, 3.0);
        assert_eq!(p.tests[0].validator_args, ["x", "y"]);
        assert_eq!(p.tests[0].args, ["--fast"]);
        assert_eq!(p.tests[1].validator_args, ["z"]);
        assert!(matches!(
            p.checker,
            Checker::Program {
                protocol: Protocol::Kattis,
                ..
            }
        ));
    }

    #[test]
    fn only_samples_is_judged_on_samples() {
        let d = package(&[
            ("problem.yaml", ""),
            ("data/sample/1.in", "1"),
            ("data/sample/1.ans", "1"),
        ]);
        let p = Problem::load(d.path()).unwrap();
        assert_eq!(names(&p), ["sample/1"]);
    }

    fn load_err(files: &[(&str, &str)]) -> String {
        let d = package(files);
        Problem::load(d.path()).unwrap_err().to_string()
    }

    #[test]
    fn malformed_packages_are_rejected_naming_file_and_field() {
        let ok_data: [(&str, &str); 2] = [("data/secret/1.in", ""), ("data/secret/1.ans", "")];
        let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
            let mut v: Vec<_> = ok_data.to_vec();
            v.extend_from_slice(extra);
            v
        };
        let e = load_err(&with(&[("problem.yaml", "limits:\n  memory: lots\n")]));
        assert!(
            e.contains("problem.yaml") && e.contains("limits.memory"),
            "{e}"
        );
        let e = load_err(&with(&[("problem.yaml", "limits:\n  time_limit: -1\n")]));
        assert!(e.contains("limits.time_limit"), "{e}");
        let e = load_err(&with(&[(
            "problem.yaml",
            "problem_format_version: 1999-01\n",
        )]));
        assert!(
            e.contains("problem_format_version") && e.contains("unsupported"),
            "{e}"
        );
        let e = load_err(&with(&[(
            "problem.yaml",
            "problem_format_version: 2025-09\ntype: multi-pass\n",
        )]));
        assert!(e.contains("type") && e.contains("not supported"), "{e}");
        let e = load_err(&with(&[(
            "problem.yaml",
            "validator_flags: float_tolerance\n",
        )]));
        assert!(
            e.contains("validator flags") && e.contains("needs a value"),
            "{e}"
        );
        let e = load_err(&with(&[("problem.yaml", "validation: custom\n")]));
        assert!(
            e.contains("validation") && e.contains("custom validator"),
            "{e}"
        );
        let e = load_err(&with(&[("problem.yaml", ":\n  - [\n")]));
        assert!(e.contains("problem.yaml"), "{e}");
        let e = load_err(&[("problem.yaml", ""), ("data/secret/1.in", "")]);
        assert!(e.contains("1.ans is missing"), "{e}");
        let e = load_err(&[("problem.yaml", ""), ("data/secret/x.txt", "")]);
        assert!(e.contains("no test cases"), "{e}");
        let e = load_err(&ok_data);
        assert!(e.contains("problem.yaml") && e.contains("missing"), "{e}");
        let e = load_err(&with(&[("problem.yaml", ""), (".timelimit", "soon")]));
        assert!(e.contains(".timelimit"), "{e}");
        let e = load_err(&with(&[
            ("problem.yaml", ""),
            ("data/secret/testdata.yaml", "grading: custom\n"),
        ]));
        assert!(e.contains("testdata.yaml") && e.contains("grading"), "{e}");
        let e = load_err(&with(&[
            ("problem.yaml", ""),
            ("output_validators/a/a.cpp", ""),
            ("checker/c.cpp", ""),
        ]));
        assert!(e.contains("keep one"), "{e}");
    }

    #[test]
    fn testlib_checker_is_found_by_convention() {
        let d = package(&[
            ("problem.yaml", ""),
            ("check.cpp", ""),
            ("data/secret/1.in", ""),
            ("data/secret/1.ans", ""),
        ]);
        let p = Problem::load(d.path()).unwrap();
        assert!(
            matches!(&p.checker, Checker::Program { protocol: Protocol::Testlib, path } if path.ends_with("check.cpp"))
        );
        assert!(p.tests[0].default_flags.is_none());
    }

    #[test]
    fn modern_scoring_groups() {
        let d = package(&[
            (
                "problem.yaml",
                "problem_format_version: 2025-09\nname: S\nuuid: u\ntype: scoring\n",
            ),
            ("data/sample/1.in", ""),
            ("data/sample/1.ans", ""),
            ("data/secret/g1/test_group.yaml", "max_score: 30\n"),
            ("data/secret/g1/1.in", ""),
            ("data/secret/g1/1.ans", ""),
            (
                "data/secret/g2/test_group.yaml",
                "max_score: 70\nscore_aggregation: sum\nrequire_pass: [secret/g1]\n",
            ),
            ("data/secret/g2/1.in", ""),
            ("data/secret/g2/1.ans", ""),
            ("data/secret/g2/2.in", ""),
            ("data/secret/g2/2.ans", ""),
        ]);
        let p = Problem::load(d.path()).unwrap();
        let s = p.secret().unwrap();
        assert_eq!(s.modern.as_ref().unwrap().max_score, Some(100.0));
        let Node::Group(g2) = &s.children[1] else {
            panic!()
        };
        let m = g2.modern.as_ref().unwrap();
        assert_eq!((m.max_score, m.aggregation), (Some(70.0), Aggregation::Sum));
        assert_eq!(m.require_pass, ["secret/g1"]);
        // A bounded secret needs bounded groups.
        let e = load_err(&[
            (
                "problem.yaml",
                "problem_format_version: 2025-09\ntype: scoring\n",
            ),
            ("data/secret/g1/1.in", ""),
            ("data/secret/g1/1.ans", ""),
        ]);
        assert!(e.contains("max_score"), "{e}");
        // Groups and tests directly in secret are not allowed together.
        let e = load_err(&[
            ("problem.yaml", "problem_format_version: 2025-09\n"),
            ("data/secret/g1/1.in", ""),
            ("data/secret/g1/1.ans", ""),
            ("data/secret/2.in", ""),
            ("data/secret/2.ans", ""),
        ]);
        assert!(e.contains("both test cases and test groups"), "{e}");
    }

    #[test]
    fn legacy_scoring_testdata_is_inherited() {
        let d = package(&[
            ("problem.yaml", "type: scoring\n"),
            ("data/testdata.yaml", "grader_flags: ignore_sample\n"),
            (
                "data/secret/testdata.yaml",
                "on_reject: continue\naccept_score: 5\nrange: 0 +inf\n",
            ),
            ("data/secret/g/1.in", ""),
            ("data/secret/g/1.ans", ""),
        ]);
        let p = Problem::load(d.path()).unwrap();
        assert_eq!(p.root.legacy.grader_flags, ["ignore_sample"]);
        let s = p.secret().unwrap();
        let Node::Group(g) = &s.children[0] else {
            panic!()
        };
        assert!(g.legacy.on_reject_continue);
        assert_eq!(g.legacy.accept_score, 5.0);
        assert_eq!(g.legacy.range, (0.0, f64::INFINITY));
    }
}
