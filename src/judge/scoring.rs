//! Scores of scoring problems, from the per-test results, in both models of the format:
//! the legacy default grader (`testdata.yaml`: accept/reject score, grader flags,
//! `on_reject`) and 2025-09 `test_group.yaml` (`max_score`, `score_aggregation`,
//! `require_pass`, `score.txt` / `score_multiplier.txt`).

use super::problem::{Aggregation, FormatVersion, Group, Node, Problem};
use super::verdict::Verdict;

/// What scoring needs of one test.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub verdict: Verdict,
    /// `score.txt` / testlib points of an accepted test.
    pub score: Option<f64>,
    /// `score_multiplier.txt` of an accepted test.
    pub multiplier: Option<f64>,
}

/// The score of a group, for the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupScore {
    pub group: String,
    pub score: f64,
    pub max_score: Option<f64>,
}

/// The score of a submission.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Score {
    pub score: f64,
    pub max_score: Option<f64>,
    pub groups: Vec<GroupScore>,
    /// The package's validator broke a scoring rule: the judge cannot give a score.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub judge_error: Option<String>,
}

/// Compute the score; `results[i]` is test `i`, `None` when it was not run.
pub fn score(problem: &Problem, results: &[Option<TestResult>]) -> Score {
    match problem.version {
        FormatVersion::V2025 => modern(problem, results),
        _ => legacy(problem, results),
    }
}

// ---------- 2025-09 ----------

struct Modern<'a> {
    results: &'a [Option<TestResult>],
    groups: Vec<GroupScore>,
    error: Option<String>,
    /// Group name -> all its tests accepted.
    passed: Vec<(String, bool)>,
}

fn tests_of(g: &Group, out: &mut Vec<usize>) {
    for c in &g.children {
        match c {
            Node::Test(i) => out.push(*i),
            Node::Group(sub) => tests_of(sub, out),
        }
    }
}

impl Modern<'_> {
    fn all_accepted(&self, g: &Group) -> bool {
        let mut t = Vec::new();
        tests_of(g, &mut t);
        t.iter().all(|i| {
            self.results
                .get(*i)
                .and_then(|r| r.as_ref())
                .is_some_and(|r| r.verdict == Verdict::Accepted)
        })
    }

    fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }

    fn test_score(&mut self, name: &str, i: usize, max: Option<f64>) -> f64 {
        let Some(r) = self.results.get(i).and_then(|r| r.as_ref()) else {
            return 0.0;
        };
        if r.verdict != Verdict::Accepted {
            return 0.0;
        }
        match (r.score, r.multiplier, max) {
            (_, Some(m), Some(max)) => m * max,
            (_, Some(_), None) => {
                self.fail(format!(
                    "{name}: score_multiplier.txt in an unbounded group"
                ));
                0.0
            }
            (Some(s), None, Some(max)) if s > max + 1e-9 => {
                self.fail(format!(
                    "{name}: score {s} exceeds the test's maximum {max}"
                ));
                0.0
            }
            (Some(s), None, _) => s,
            (None, None, Some(max)) => max,
            (None, None, None) => {
                self.fail(format!(
                    "{name}: accepted in an unbounded group without score.txt"
                ));
                0.0
            }
        }
    }

    /// Score of `secret` or a group under it.
    fn group(&mut self, g: &Group) -> f64 {
        let Some(m) = g.modern.clone() else {
            return 0.0;
        };
        for r in &m.require_pass {
            let ok = self
                .passed
                .iter()
                .find(|(n, _)| n == r)
                .is_some_and(|(_, p)| *p);
            if !ok {
                self.groups.push(GroupScore {
                    group: g.name.clone(),
                    score: 0.0,
                    max_score: m.max_score,
                });
                return 0.0;
            }
        }
        let n = g.children.len().max(1) as f64;
        let child_max = match m.aggregation {
            Aggregation::Sum => m.max_score.map(|x| x / n),
            Aggregation::Min | Aggregation::PassFail => m.max_score,
        };
        let score = if m.aggregation == Aggregation::PassFail {
            if self.all_accepted(g) {
                m.max_score.unwrap_or(0.0)
            } else {
                0.0
            }
        } else {
            let mut scores = Vec::new();
            for c in &g.children {
                let s = match c {
                    Node::Test(i) => {
                        let name = format!("{}/{}", g.name, i);
                        self.test_score(&name, *i, child_max)
                    }
                    Node::Group(sub) if sub.modern.is_some() => self.group(sub),
                    // Plain directories below a group: their tests belong to the group.
                    Node::Group(sub) => {
                        let mut t = Vec::new();
                        tests_of(sub, &mut t);
                        let mut total = 0.0;
                        for i in t {
                            total += self.test_score(&sub.name, i, child_max);
                        }
                        total
                    }
                };
                scores.push(s);
            }
            match m.aggregation {
                Aggregation::Sum => scores.iter().sum(),
                _ => scores
                    .iter()
                    .copied()
                    .fold(f64::INFINITY, f64::min)
                    .min(m.max_score.unwrap_or(f64::INFINITY)),
            }
        };
        let score = if score.is_finite() { score } else { 0.0 };
        if let Some(max) = m.max_score
            && score > max + 1e-6
        {
            self.fail(format!(
                "group {} scored {score} over its max_score {max}",
                g.name
            ));
        }
        self.groups.push(GroupScore {
            group: g.name.clone(),
            score,
            max_score: m.max_score,
        });
        score
    }
}

fn modern(problem: &Problem, results: &[Option<TestResult>]) -> Score {
    let mut st = Modern {
        results,
        groups: Vec::new(),
        error: None,
        passed: Vec::new(),
    };
    // Pass state of sample and of each group, for require_pass.
    for c in &problem.root.children {
        if let Node::Group(g) = c {
            let ok = st.all_accepted(g);
            st.passed.push((g.name.clone(), ok));
            for sub in &g.children {
                if let Node::Group(sg) = sub {
                    let ok = st.all_accepted(sg);
                    st.passed.push((sg.name.clone(), ok));
                }
            }
        }
    }
    let Some(secret) = problem.secret() else {
        return Score {
            score: 0.0,
            max_score: None,
            groups: Vec::new(),
            judge_error: None,
        };
    };
    let total = st.group(secret);
    let max = secret.modern.as_ref().and_then(|m| m.max_score);
    Score {
        score: total,
        max_score: max,
        groups: st.groups,
        judge_error: st.error,
    }
}

// ---------- legacy default grader ----------

#[derive(Clone, Copy)]
struct Sub {
    verdict: Verdict,
    score: f64,
}

/// The "worst" order of the default grader: JE, (IF), RTE, MLE, TLE, OLE, WA.
fn worst(subs: &[Sub]) -> Verdict {
    use Verdict::*;
    for v in [
        JudgeError,
        CompileError,
        RunTimeError,
        MemoryLimitExceeded,
        TimeLimitExceeded,
        OutputLimitExceeded,
        WrongAnswer,
    ] {
        if subs.iter().any(|s| s.verdict == v) {
            return v;
        }
    }
    Accepted
}

fn grade(flags: &[String], subs: &[Sub], is_root: bool) -> Sub {
    let mut verdict_mode = "worst_error";
    let mut score_mode = "sum";
    let mut ignore_sample = false;
    let mut any = false;
    for f in flags {
        match f.as_str() {
            "worst_error" | "first_error" | "always_accept" => verdict_mode = f,
            "sum" | "avg" | "min" | "max" => score_mode = f,
            "ignore_sample" => ignore_sample = is_root,
            "accept_if_any_accepted" => any = true,
            _ => {}
        }
    }
    let subs: &[Sub] = if ignore_sample && subs.len() >= 2 {
        &subs[1..]
    } else {
        subs
    };
    if subs.is_empty() {
        return Sub {
            verdict: Verdict::Accepted,
            score: 0.0,
        };
    }
    let all_ac = subs.iter().all(|s| s.verdict == Verdict::Accepted);
    let mut verdict = match verdict_mode {
        "always_accept" => Verdict::Accepted,
        _ if all_ac => Verdict::Accepted,
        "first_error" => subs
            .iter()
            .find(|s| s.verdict != Verdict::Accepted)
            .map_or(Verdict::Accepted, |s| s.verdict),
        _ => worst(subs),
    };
    if any && subs.iter().any(|s| s.verdict == Verdict::Accepted) {
        verdict = Verdict::Accepted;
    }
    let scores = subs.iter().map(|s| s.score);
    let score = match score_mode {
        "avg" => scores.sum::<f64>() / subs.len() as f64,
        "min" => scores.fold(f64::INFINITY, f64::min),
        "max" => scores.fold(f64::NEG_INFINITY, f64::max),
        _ => scores.sum(),
    };
    Sub { verdict, score }
}

fn legacy_group(
    g: &Group,
    results: &[Option<TestResult>],
    out: &mut Vec<GroupScore>,
    is_root: bool,
) -> Sub {
    let mut subs = Vec::new();
    for c in &g.children {
        let s = match c {
            Node::Test(i) => match results.get(*i).and_then(|r| r.as_ref()) {
                Some(r) if r.verdict == Verdict::Accepted => Sub {
                    verdict: r.verdict,
                    score: r.score.unwrap_or(g.legacy.accept_score),
                },
                Some(r) => Sub {
                    verdict: r.verdict,
                    score: g.legacy.reject_score,
                },
                None => break,
            },
            Node::Group(sub) => legacy_group(sub, results, out, false),
        };
        subs.push(s);
        // on_reject: break stops judging the group at the first rejection; the grader
        // sees only what was judged up to there.
        if s.verdict != Verdict::Accepted && !g.legacy.on_reject_continue {
            break;
        }
    }
    let mut r = grade(&g.legacy.grader_flags, &subs, is_root);
    let (lo, hi) = g.legacy.range;
    r.score = r.score.clamp(lo.min(hi), hi.max(lo));
    if !r.score.is_finite() {
        r.score = 0.0;
    }
    out.push(GroupScore {
        group: if g.name.is_empty() {
            "data".into()
        } else {
            g.name.clone()
        },
        score: r.score,
        max_score: None,
    });
    r
}

fn legacy(problem: &Problem, results: &[Option<TestResult>]) -> Score {
    let mut groups = Vec::new();
    let r = legacy_group(&problem.root, results, &mut groups, true);
    // "For non-Accepted results on scoring problems, the score provided by the grader
    // will always be ignored."
    let score = if r.verdict == Verdict::Accepted {
        r.score
    } else {
        0.0
    };
    Score {
        score,
        max_score: None,
        groups,
        judge_error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::problem::tests::package;

    fn res(v: Verdict) -> Option<TestResult> {
        Some(TestResult {
            verdict: v,
            score: None,
            multiplier: None,
        })
    }
    const AC: Verdict = Verdict::Accepted;
    const WA: Verdict = Verdict::WrongAnswer;

    fn modern_problem() -> (tempfile::TempDir, Problem) {
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
            ("data/secret/g1/2.in", ""),
            ("data/secret/g1/2.ans", ""),
            (
                "data/secret/g2/test_group.yaml",
                "max_score: 70\nscore_aggregation: sum\nrequire_pass: secret/g1\n",
            ),
            ("data/secret/g2/1.in", ""),
            ("data/secret/g2/1.ans", ""),
            ("data/secret/g2/2.in", ""),
            ("data/secret/g2/2.ans", ""),
        ]);
        let p = Problem::load(d.path()).unwrap();
        (d, p)
    }

    #[test]
    fn modern_pass_fail_groups_sum_and_require_pass() {
        let (_d, p) = modern_problem();
        // tests: sample/1, g1/1, g1/2, g2/1, g2/2
        let all = vec![res(AC), res(AC), res(AC), res(AC), res(AC)];
        let s = score(&p, &all);
        assert_eq!((s.score, s.max_score), (100.0, Some(100.0)));
        // Half of g2 (sum: 35 per test).
        let s = score(&p, &[res(AC), res(AC), res(AC), res(AC), res(WA)]);
        assert_eq!(s.score, 65.0);
        // g1 fails: g1 scores 0 and g2 requires it, so 0.
        let s = score(&p, &[res(AC), res(WA), res(AC), res(AC), res(AC)]);
        assert_eq!(s.score, 0.0);
        // Samples do not count.
        let s = score(&p, &[res(WA), res(AC), res(AC), res(AC), res(AC)]);
        assert_eq!(s.score, 100.0);
    }

    #[test]
    fn modern_score_files() {
        let (_d, p) = modern_problem();
        let mut r = vec![res(AC), res(AC), res(AC), res(AC), res(AC)];
        r[3] = Some(TestResult {
            verdict: AC,
            score: None,
            multiplier: Some(0.5),
        });
        assert_eq!(score(&p, &r).score, 30.0 + 17.5 + 35.0);
        r[3] = Some(TestResult {
            verdict: AC,
            score: Some(10.0),
            multiplier: None,
        });
        assert_eq!(score(&p, &r).score, 30.0 + 10.0 + 35.0);
        r[3] = Some(TestResult {
            verdict: AC,
            score: Some(50.0),
            multiplier: None,
        });
        assert!(score(&p, &r).judge_error.is_some(), "over the test maximum");
    }

    #[test]
    fn legacy_default_grader() {
        let d = package(&[
            ("problem.yaml", "type: scoring\n"),
            (
                "data/testdata.yaml",
                "grader_flags: ignore_sample\non_reject: continue\n",
            ),
            ("data/sample/1.in", ""),
            ("data/sample/1.ans", ""),
            (
                "data/secret/testdata.yaml",
                "on_reject: continue\naccept_if_any_accepted: x\n",
            ),
            ("data/secret/1.in", ""),
            ("data/secret/1.ans", ""),
            ("data/secret/2.in", ""),
            ("data/secret/2.ans", ""),
        ]);
        // testdata.yaml with an unknown key is an error.
        assert!(Problem::load(d.path()).is_err());
        std::fs::write(
            d.path().join("data/secret/testdata.yaml"),
            "on_reject: continue\ngrader_flags: accept_if_any_accepted\naccept_score: 25\n",
        )
        .unwrap();
        let p = Problem::load(d.path()).unwrap();
        let s = score(&p, &[res(WA), res(AC), res(WA)]);
        assert_eq!(s.score, 25.0);
        let s = score(
            &p,
            &[
                res(AC),
                res(AC),
                Some(TestResult {
                    verdict: AC,
                    score: Some(3.0),
                    multiplier: None,
                }),
            ],
        );
        assert_eq!(s.score, 28.0);
        // Not accepted at the root: the score is ignored.
        let s = score(&p, &[res(AC), res(WA), res(WA)]);
        assert_eq!(s.score, 0.0);
    }

    #[test]
    fn worst_error_order() {
        let s = |v| Sub {
            verdict: v,
            score: 0.0,
        };
        assert_eq!(
            worst(&[s(WA), s(Verdict::TimeLimitExceeded)]),
            Verdict::TimeLimitExceeded
        );
        assert_eq!(
            worst(&[s(Verdict::TimeLimitExceeded), s(Verdict::RunTimeError)]),
            Verdict::RunTimeError
        );
        assert_eq!(
            grade(
                &["first_error".into()],
                &[s(WA), s(Verdict::RunTimeError)],
                false
            )
            .verdict,
            WA
        );
    }
}
