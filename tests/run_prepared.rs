//! Sandboxes prepared ahead (issue #5): `sandbox::run_and_prepare_next`, what the
//! judge uses for a submission's tests. Each run must still get namespaces, a root,
//! a box and a cgroup of its own, never used before; its stdio must be its own; a
//! prepared sandbox that is not used, or not wanted, must leave nothing behind.
//!
//! All of these need root; they print `skipped: <reason>` otherwise.

mod common;

use common::{require_root, HostSnapshot};
use dokeru::sandbox::{self, Output, SandboxSpec, Status, Stdin};
use std::collections::BTreeSet;

/// The tests share the host's cgroups and the leftover check: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn shell(script: &str) -> SandboxSpec {
    let args = dokeru::cli::RunArgs {
        time: Some("2".into()),
        mem: Some("64M".into()),
        net: "none".into(),
        program: vec!["/bin/sh".into(), "-c".into(), script.into()],
        ..Default::default()
    };
    dokeru::config::build_run(&args).expect("a valid run").spec
}

/// What the program reports of its sandbox: the input it read, whether it found
/// the marks a previous run would have left, and the identity of every namespace.
const PROBE: &str = r#"
read line
echo "input=$line"
for f in /box/mark /tmp/mark /dev/shm/mark; do
    if [ -e "$f" ]; then echo "stale=$f"; fi
    : > "$f"
done
for ns in user mnt pid net ipc uts cgroup; do echo "ns=$(readlink /proc/self/ns/$ns)"; done
echo "pid=$$"
sleep 0.5
"#;

#[test]
fn each_prepared_run_gets_its_own_namespaces_root_box_and_stdio() {
    if !require_root() {
        return;
    }
    let _serial = serial();
    let before = HostSnapshot::take();
    let dir = common::tempdir();
    let runs = 12;
    // Namespace ids are recycled once a namespace is freed, so only runs whose
    // sandboxes were alive at the same time must differ: a prepared sandbox is made
    // while the run before it is still going (the probe's last half second, long
    // enough for the preparation even in the emulated VM).
    let mut previous: BTreeSet<String> = BTreeSet::new();
    let mut previous_text = String::new();
    let used_before = sandbox::prepared_runs();
    for i in 0..runs {
        let input = dir.path().join(format!("in{i}"));
        std::fs::write(&input, format!("test-{i}\n")).unwrap();
        let output = dir.path().join(format!("out{i}"));
        let mut spec = shell(PROBE);
        spec.stdin = Stdin::File(input);
        spec.stdout = Output::File(output.clone());
        let o = sandbox::run_and_prepare_next(spec).unwrap_or_else(|e| panic!("run {i}: {e}"));
        assert_eq!(sandbox::classify(&o), Status::Ok, "run {i}: {o:?}");
        let text = std::fs::read_to_string(&output).unwrap();
        assert!(text.contains(&format!("input=test-{i}\n")), "run {i} read someone else's stdin:\n{text}");
        assert!(!text.contains("stale="), "run {i} saw a previous run's files:\n{text}");
        assert!(text.contains("pid=2\n"), "run {i}: the program is not pid 2 of a fresh pid namespace:\n{text}");
        let ns: BTreeSet<String> = text.lines().filter_map(|l| l.strip_prefix("ns=")).map(str::to_owned).collect();
        assert_eq!(ns.len(), 7, "run {i}: namespaces not all readable or not all distinct:\n{text}");
        for n in &ns {
            assert!(n.contains(":["), "run {i}: {n:?}");
            assert!(
                !previous.contains(n),
                "run {i} is in namespace {n} of the run before it:\n{text}\nthe run before:\n{previous_text}"
            );
        }
        previous = ns;
        previous_text = text;
    }
    // Every run after the first used the sandbox prepared during the one before
    // (each spec is built anew, its seccomp policy loaded anew: it still fits).
    assert_eq!(sandbox::prepared_runs() - used_before, runs - 1, "runs that used a prepared sandbox");
    sandbox::release_prepared();
    before.assert_unchanged("\n  after prepared runs and release_prepared");
}

#[test]
fn a_different_run_discards_the_prepared_sandbox_and_gets_its_own() {
    if !require_root() {
        return;
    }
    let _serial = serial();
    let before = HostSnapshot::take();
    let first = sandbox::run_and_prepare_next(shell("echo one")).expect("first run");
    assert_eq!(first.stdout.bytes, b"one\n");
    // Another program: the sandbox prepared for `echo one` does not fit.
    let other = sandbox::run(shell("echo two; exit 3")).expect("second run");
    assert_eq!(other.stdout.bytes, b"two\n");
    assert_eq!(sandbox::classify(&other), Status::NonzeroExit);
    // Same spec again after a plain run: nothing prepared, a fresh one is made.
    let again = sandbox::run_and_prepare_next(shell("echo one")).expect("third run");
    assert_eq!(again.stdout.bytes, b"one\n");
    sandbox::release_prepared();
    before.assert_unchanged("\n  after a discarded prepared sandbox");
}

#[test]
fn limits_hold_in_a_prepared_sandbox() {
    if !require_root() {
        return;
    }
    let _serial = serial();
    let before = HostSnapshot::take();
    // First run prepares the second: the second is the one whose limits count.
    let spin = || {
        let mut s = shell("while :; do :; done");
        s.limits.cpu_time = Some(std::time::Duration::from_millis(300));
        s
    };
    for i in 0..2 {
        let o = sandbox::run_and_prepare_next(spin()).unwrap_or_else(|e| panic!("run {i}: {e}"));
        assert_eq!(sandbox::classify(&o), Status::TimeLimitExceeded, "run {i}: {o:?}");
        let ms = o.cpu_time.as_secs_f64() * 1e3;
        assert!((300.0..360.0).contains(&ms), "run {i}: cpu_time {ms} ms for a 300 ms limit");
    }
    let mut out = shell("head -c 5000 /dev/zero");
    out.limits.output_bytes = Some(1000);
    let o = sandbox::run_and_prepare_next(out).expect("output run");
    assert_eq!(sandbox::classify(&o), Status::OutputLimitExceeded, "{o:?}");
    assert_eq!(o.stdout.bytes.len(), 1000);
    sandbox::release_prepared();
    before.assert_unchanged("\n  after limits in prepared sandboxes");
}
