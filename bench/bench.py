#!/usr/bin/env python3
"""dokeru benchmark (issue #5, part 1): run cost, judging throughput, accuracy,
concurrency and per-step timing, printed as one table and written as JSON.

Run it through bench/run.sh (builds the release binary first). Standard library only.

Method notes, printed again in the output:
- Every comparison is interleaved (A, B, A, B, ...) so machine noise hits both sides.
- The "bare" driver is this script: os.posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)
  + execve) then os.waitpid, timed with time.perf_counter_ns around both. The same
  driver starts dokeru/bwrap/isolate, so the driver's own cost cancels in differences.
- Only bounded programs (tiny, burn, touch, echo) ever run bare; the spinner runs only
  inside dokeru with a CPU limit.
- Targets are the issue's; they are reported PASS/MISS, never asserted.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import resource
import sys
import tempfile
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
PROGS = ("tiny", "burn", "touch", "spin", "echo")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- statistics

def pct(xs, q):
    """Percentile q (0-100) with linear interpolation; None for no data."""
    if not xs:
        return None
    s = sorted(xs)
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def med(xs):
    return pct(xs, 50)


def r3(x):
    return None if x is None else round(x, 3)


# ---------------------------------------------------------------- process helpers

DEVNULL_FD = None


def spawn_wait(argv, out_path=None, env=None):
    """posix_spawn + waitpid; returns (elapsed_ms, wait_status, rusage-less).

    stdout goes to out_path (or /dev/null), stderr to /dev/null, stdin /dev/null."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out_path or "/dev/null",
         os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0),
    ]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env if env is not None else os.environ,
                         file_actions=actions)
    _, status = os.waitpid(pid, 0)
    t1 = time.perf_counter_ns()
    return (t1 - t0) / 1e6, status


def run_capture(argv, env=None, stdin=None, timeout=120):
    """subprocess.run with captured output (not used for timing-sensitive loops)."""
    return subprocess.run(argv, capture_output=True, env=env, stdin=stdin,
                          timeout=timeout)


class Dokeru:
    def __init__(self, binary, progs_dir):
        self.binary = binary
        self.progs = progs_dir
        self.env = dict(os.environ)
        self.env.setdefault("DOKERU_PROFILES", os.path.join(REPO_DIR, "profiles"))
        self.env.pop("DOKERU_TRACE", None)

    def argv(self, opts, prog_argv):
        return [self.binary, "run", *opts, "--", *prog_argv]

    def run_json(self, opts, prog_argv, env=None):
        """One sandboxed run; returns the parsed JSON result."""
        p = run_capture(self.argv(opts, prog_argv), env=env or self.env)
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError:
            raise RuntimeError(
                f"dokeru run gave no JSON (exit {p.returncode}): "
                f"{p.stderr.decode(errors='replace')[-500:]}")


# ---------------------------------------------------------------- build

def build_programs(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name in PROGS:
        src = os.path.join(BENCH_DIR, "progs", name + ".c")
        dst = os.path.join(out_dir, name)
        if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
            continue
        cmd = ["gcc", "-O2", "-static", "-o", dst, src]
        if name == "spin":
            cmd.insert(1, "-pthread")
        subprocess.run(cmd, check=True)
    # The judge's C profile links dynamically; the plain judging loop runs the same kind
    # of binary so the comparison is not skewed by the dynamic loader.
    dyn = os.path.join(out_dir, "echo-dyn")
    subprocess.run(["gcc", "-std=gnu17", "-O2", "-o", dyn,
                    os.path.join(BENCH_DIR, "progs", "echo.c"), "-lm"], check=True)
    return out_dir


# ---------------------------------------------------------------- 1. per-run cost

def find_tool(name):
    for d in ("/usr/bin", "/usr/local/bin", "/bin"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return shutil.which(name)


def machine_busy_ms():
    """CPU time the whole machine spent busy so far (ms), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) * 1000 / os.sysconf("SC_CLK_TCK")


def bwrap_same_root(dk, bwrap, tiny_dir):
    """bwrap argv building the same root filesystem as `dokeru run` (its read-only
    binds, symlinks, /dev, /proc, tmpfs /tmp, /dev/shm and /box), read off a dokeru
    run's own mount table: the plain `bwrap` variant mounts far less than dokeru does."""
    script = ('cat /proc/self/mountinfo; for f in /* /etc/*; do '
              '[ -L "$f" ] && echo "LINK $f $(readlink "$f")"; done; true')
    p = run_capture(dk.argv(["--bind", f"{tiny_dir}:/t"], ["/bin/sh", "-c", script]), env=dk.env)
    try:
        out = json.loads(p.stdout)["stdout"]["text"]
    except (ValueError, KeyError):
        return None
    argv = [bwrap, "--unshare-all", "--die-with-parent"]
    tail = ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/box",
            "--ro-bind", tiny_dir, "/t"]
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LINK" and len(f) == 3:
            argv += ["--symlink", f[2], f[1]]
        elif len(f) > 5:
            mnt = f[4]
            if mnt in ("/", "/t", "/box", "/tmp", "/proc") or mnt == "/dev" or mnt.startswith("/dev/"):
                continue
            if os.path.exists(mnt):
                argv += ["--ro-bind", mnt, mnt]
    return argv + tail + ["--", "/t/tiny"]


def bench_per_run(dk, n, notes):
    tiny_dir = dk.progs
    tiny_copy = os.path.join(tiny_dir, "tiny")
    variants = {
        "bare": [os.path.join(tiny_dir, "tiny")],
        "dokeru --bind": dk.argv(["--bind", f"{tiny_dir}:/t"], ["/t/tiny"]),
        "dokeru --copy": dk.argv(["--copy", tiny_copy], ["/box/tiny"]),
    }
    bwrap = find_tool("bwrap")
    if bwrap:
        variants["bwrap"] = [bwrap, "--unshare-all", "--die-with-parent",
                             "--ro-bind", "/usr", "/usr", "--ro-bind", tiny_dir, "/t",
                             "--proc", "/proc", "--dev", "/dev", "--", "/t/tiny"]
        same = bwrap_same_root(dk, bwrap, tiny_dir)
        if same:
            variants["bwrap, dokeru's root"] = same
        else:
            notes.append("bwrap with dokeru's root: could not list dokeru's mounts, skipped")
    else:
        notes.append("bwrap: not installed, skipped (bench/run.sh --install installs bubblewrap)")
    isolate = find_tool("isolate")
    isolate_box = None
    if isolate:
        p = run_capture([isolate, "--box-id=77", "--cg", "--init"])
        if p.returncode == 0:
            isolate_box = p.stdout.decode().strip()
            shutil.copy(tiny_copy, os.path.join(isolate_box, "box", "tiny"))
            variants["isolate"] = [isolate, "--box-id=77", "--cg", "--run", "--", "./tiny"]
        else:
            notes.append("isolate: --init failed, skipped: " + p.stderr.decode()[-200:])
    else:
        notes.append("isolate: not installed, skipped (not packaged in Debian)")

    # Check every variant once (and warm caches) before timing.
    for name, argv in variants.items():
        with tempfile.NamedTemporaryFile() as f:
            _, st = spawn_wait(argv, f.name, env=dk.env)
            out = open(f.name, "rb").read()
        if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 0:
            raise RuntimeError(f"per-run: {name} failed: status {st}, out {out[-300:]!r}")
        if name.startswith("dokeru") and json.loads(out)["status"] != "ok":
            raise RuntimeError(f"per-run: {name}: {out[-300:]!r}")

    times = {k: [] for k in variants}
    # CPU of the whole process tree (the tool, its helpers, the program), from the
    # children's rusage; kernel work done later by kworkers (e.g. network-namespace
    # cleanup) is not in it.
    cpu = {k: 0.0 for k in variants}
    for _ in range(n):
        for name, argv in variants.items():  # interleaved: A, B, C, A, B, C, ...
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            ms, st = spawn_wait(argv, env=dk.env)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 0:
                raise RuntimeError(f"per-run: {name} failed mid-run: status {st}")
            times[name].append(ms)
            cpu[name] += (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000
    # Machine-wide CPU per run (/proc/stat: every process and kernel worker), a batch
    # per variant with the machine settled before and after: rusage misses the work
    # the kernel defers to its workers (tearing network namespaces down, freeing
    # cgroups), which is a large part of a sandbox's cost.
    machine = {}
    batch = max(20, n // 3)
    for name, argv in variants.items():
        time.sleep(2)
        c0 = machine_busy_ms()
        for _ in range(batch):
            spawn_wait(argv, env=dk.env)
        time.sleep(2)
        machine[name] = (machine_busy_ms() - c0) / batch
    if isolate_box:
        run_capture([isolate, "--box-id=77", "--cg", "--cleanup"])

    bare = med(times["bare"])
    res = {}
    for name, xs in times.items():
        m = med(xs)
        res[name] = {"runs": len(xs), "median_ms": r3(m), "p90_ms": r3(pct(xs, 90)),
                     "min_ms": r3(min(xs)), "above_bare_ms": r3(m - bare),
                     "ratio_to_bare": r3(m / bare), "cpu_ms_per_run": r3(cpu[name] / len(xs)),
                     "machine_cpu_ms_per_run": r3(machine[name])}
    return res


# ---------------------------------------------------------------- 2. judging throughput

def judge_available(dk):
    p = run_capture([dk.binary, "judge", "--help"], env=dk.env)
    return p.returncode == 0


def make_problem(root, n_tests):
    os.makedirs(os.path.join(root, "data", "secret"))
    os.makedirs(os.path.join(root, "data", "sample"))
    with open(os.path.join(root, "problem.yaml"), "w") as f:
        f.write("name: bench echo\nlimits:\n  time_limit: 1\n  memory: 256\n  output: 1\n")
    with open(os.path.join(root, ".timelimit"), "w") as f:
        f.write("1\n")
    for i in range(n_tests):
        for ext in (".in", ".ans"):
            with open(os.path.join(root, "data", "secret", f"{i:04d}{ext}"), "w") as f:
                f.write(f"{i * 7919 % 100003}\n")
    return root


def plain_loop(binary, problem, jobs):
    """Unsandboxed reference: run each test with subprocess, compare bytes."""
    secret = os.path.join(problem, "data", "secret")
    names = sorted(x[:-3] for x in os.listdir(secret) if x.endswith(".in"))

    def one(name):
        with open(os.path.join(secret, name + ".in"), "rb") as fin:
            out = subprocess.run([binary], stdin=fin, capture_output=True).stdout
        with open(os.path.join(secret, name + ".ans"), "rb") as fans:
            return out == fans.read()

    t0 = time.perf_counter()
    if jobs == 1:
        ok = all([one(n) for n in names])
    else:
        with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
            ok = all(list(ex.map(one, names)))
    dt = time.perf_counter() - t0
    if not ok:
        raise RuntimeError("judge: plain loop gave a wrong answer")
    return dt


def judge_once(dk, problem, submission, jobs, n_tests, anomalies):
    """One `dokeru judge`; a verdict other than accepted is recorded in anomalies
    (with the first such test) rather than aborting: the timing is still valid."""
    argv = [dk.binary, "judge", problem, submission, "--jobs", str(jobs), "--time", "1"]
    t0 = time.perf_counter()
    p = run_capture(argv, env=dk.env, timeout=1800)
    dt = time.perf_counter() - t0
    try:
        rep = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"judge: no JSON report (exit {p.returncode}): "
                           f"{p.stderr.decode(errors='replace')[-400:]}")
    if len(rep.get("tests", [])) != n_tests:
        raise RuntimeError(f"judge: {len(rep.get('tests', []))} tests of {n_tests}: "
                           f"{rep.get('message')}")
    if rep.get("verdict") != "accepted":
        bad = [t for t in rep["tests"] if t.get("verdict") != "accepted"]
        anomalies.append({"jobs": jobs, "verdict": rep.get("verdict"),
                          "message": rep.get("message"), "bad_tests": len(bad),
                          "first_bad_test": bad[0] if bad else None})
        log(f"  judge --jobs {jobs}: verdict {rep.get('verdict')}: {rep.get('message')}; "
            f"{json.dumps(bad[0])[:600] if bad else ''}")
    return dt


def bench_judge(dk, n_tests, rounds, tmp):
    if not judge_available(dk):
        return {"skipped": "dokeru judge not available"}
    big = make_problem(os.path.join(tmp, "problem"), n_tests)
    small = make_problem(os.path.join(tmp, "problem1"), 1)
    sub = os.path.join(tmp, "echo.c")
    shutil.copy(os.path.join(BENCH_DIR, "progs", "echo.c"), sub)
    echo = os.path.join(dk.progs, "echo-dyn")  # built like profiles/c.toml does
    anomalies = []
    judge_once(dk, small, sub, 1, 1, anomalies)  # warm up
    t = {"plain j1": [], "plain j2": [], "judge 1 test": [], "judge j1": [], "judge j2": []}
    for r in range(rounds):  # interleaved rounds
        log(f"  judge round {r + 1}/{rounds}")
        t["plain j1"].append(plain_loop(echo, big, 1))
        t["judge 1 test"].append(judge_once(dk, small, sub, 1, 1, anomalies))
        t["judge j1"].append(judge_once(dk, big, sub, 1, n_tests, anomalies))
        t["plain j2"].append(plain_loop(echo, big, 2))
        t["judge j2"].append(judge_once(dk, big, sub, 2, n_tests, anomalies))
    fixed = med(t["judge 1 test"])
    res = {"tests": n_tests, "rounds": rounds, "not_accepted_runs": anomalies,
           "fixed_s (1-test package: load, compile, report)": r3(fixed)}
    for k in ("plain j1", "plain j2", "judge j1", "judge j2"):
        total = med(t[k])
        per_test_ms = ((total - fixed) / (n_tests - 1) if k.startswith("judge")
                       else total / n_tests) * 1e3
        res[k] = {"total_s": r3(total), "tests_per_s": r3(n_tests / total),
                  "per_test_ms": r3(per_test_ms)}
    res["judge_above_plain_per_test_ms"] = r3(res["judge j1"]["per_test_ms"]
                                              - res["plain j1"]["per_test_ms"])
    res["ratio_judge_to_plain_j1"] = r3(res["judge j1"]["total_s"] / res["plain j1"]["total_s"])
    res["scaling_judge_j1_to_j2"] = r3(res["judge j1"]["total_s"] / res["judge j2"]["total_s"])
    res["scaling_plain_j1_to_j2"] = r3(res["plain j1"]["total_s"] / res["plain j2"]["total_s"])
    return res


# ---------------------------------------------------------------- 3. accuracy

def run_bare_rusage(argv):
    """Bare run of a bounded program: (stdout, child's rusage from wait4)."""
    r, w = os.pipe()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_CLOSE, r)])
    os.close(w)
    out = b""
    while chunk := os.read(r, 65536):
        out += chunk
    os.close(r)
    _, st, ru = os.wait4(pid, 0)
    if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 0:
        raise RuntimeError(f"bare {argv}: status {st}")
    return out.decode(), ru


def bench_cpu_accuracy(dk, targets, reps):
    burn = os.path.join(dk.progs, "burn")
    res = {}
    for n in targets:
        rows = {"bare": [], "dokeru": []}
        for _ in range(reps):  # interleaved bare / sandboxed
            out, ru = run_bare_rusage([burn, str(n)])
            clock_ms, self_ru_ms = map(float, out.split())
            wait4_ms = (ru.ru_utime + ru.ru_stime) * 1e3
            rows["bare"].append((wait4_ms, clock_ms, self_ru_ms))
            j = dk.run_json(["--time", "10", "--mem", "64M", "--copy", burn],
                            ["/box/burn", str(n)])
            if j["status"] != "ok":
                raise RuntimeError(f"cpu accuracy: {j['status']}: {j['message']}")
            clock_ms, self_ru_ms = map(float, j["stdout"]["text"].split())
            rows["dokeru"].append((j["cpu_time_ms"], clock_ms, self_ru_ms))
        entry = {}
        for side, xs in rows.items():
            errs = [m - c for m, c, _ in xs]
            e = med(errs)
            c = med([c for _, c, _ in xs])
            entry[side] = {
                "measured_ms": r3(med([m for m, _, _ in xs])),
                "measured_by": "wait4 rusage" if side == "bare" else "cpu_time_ms",
                "program_clock_ms": r3(c),
                "program_rusage_ms": r3(med([r for _, _, r in xs])),
                "error_ms": r3(e), "error_pct": r3(100 * e / c),
                "max_abs_error_ms": r3(max(abs(x) for x in errs)),
            }
        entry["dokeru_error_beyond_bare_ms"] = r3(entry["dokeru"]["error_ms"] - entry["bare"]["error_ms"])
        res[f"{n} ms"] = entry
    return res


def bench_mem_accuracy(dk, sizes_mib, reps):
    """cgroup peak vs touched size; the program's own VmHWM (bare and boxed) as reference."""
    touch = os.path.join(dk.progs, "touch")
    peaks, boxed_hwm, bare_hwm = {}, {}, {}
    source = None
    for _ in range(reps):
        for n in [0] + list(sizes_mib):  # interleaved sandboxed / bare
            j = dk.run_json(["--time", "20", "--mem", "2G", "--copy", touch],
                            ["/box/touch", str(n)])
            if j["status"] != "ok":
                raise RuntimeError(f"mem accuracy {n} MiB: {j['status']}: {j['message']}")
            peaks.setdefault(n, []).append(j["memory_peak_bytes"])
            boxed_hwm.setdefault(n, []).append(int(j["stdout"]["text"]) * 1024)
            source = j["sandbox"].get("memory_source")
            out, _ = run_bare_rusage([touch, str(n)])
            bare_hwm.setdefault(n, []).append(int(out) * 1024)
    base = med(peaks[0])
    res = {"memory_source": source, "baseline_0_mib_bytes": int(base),
           "bare_baseline_0_mib_vmhwm_bytes": int(med(bare_hwm[0]))}
    for n in sizes_mib:
        p = med(peaks[n])
        want = n << 20
        res[f"{n} MiB"] = {
            "memory_peak_bytes": int(p),
            "raw_error_pct": r3(100 * (p - want) / want),
            "error_after_baseline_bytes": int(p - base - want),
            "error_after_baseline_pct": r3(100 * (p - base - want) / want),
            "boxed_program_vmhwm_bytes": int(med(boxed_hwm[n])),
            "bare_vmhwm_minus_baseline_pct": r3(
                100 * (med(bare_hwm[n]) - med(bare_hwm[0]) - want) / want),
        }
    return res


def bench_kill(dk, thread_counts, reps):
    spin = os.path.join(dk.progs, "spin")
    res = {}
    for t in thread_counts:
        cpu, wall, statuses = [], [], set()
        for _ in range(reps):
            j = dk.run_json(["--time", "1", "--mem", "64M", "--copy", spin],
                            ["/box/spin", str(t)])
            statuses.add(j["status"])
            cpu.append(j["cpu_time_ms"])
            wall.append(j["wall_time_ms"])
        res[f"{t} thread" + ("s" if t > 1 else "")] = {
            "status": sorted(statuses), "cpu_time_ms_median": r3(med(cpu)),
            "cpu_time_ms_max": r3(max(cpu)), "cpu_time_ms_all": [r3(x) for x in cpu],
            "past_limit_ms_max": r3(max(cpu) - 1000),
            "wall_time_ms_median": r3(med(wall))}
    return res


# ---------------------------------------------------------------- 4. concurrency

def bench_concurrency(dk, levels, seconds, rounds):
    argv = dk.argv(["--bind", f"{dk.progs}:/t"], ["/t/tiny"])
    counts = {p: [] for p in levels}

    def loop(stop_at, n_out, i):
        n = 0
        while time.perf_counter() < stop_at:
            _, st = spawn_wait(argv, env=dk.env)
            if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 0:
                raise RuntimeError(f"concurrency: dokeru exited with status {st}")
            n += 1
        n_out[i] = n

    for _ in range(rounds):
        for p in levels:  # interleaved levels
            n_out = [0] * p
            t0 = time.perf_counter()
            stop_at = t0 + seconds
            ths = [threading.Thread(target=loop, args=(stop_at, n_out, i)) for i in range(p)]
            for th in ths:
                th.start()
            for th in ths:
                th.join()
            counts[p].append(sum(n_out) / (time.perf_counter() - t0))
    one = med(counts[levels[0]])
    return {f"{p} parallel": {"runs_per_s": r3(med(counts[p])),
                              "speedup_vs_1": r3(med(counts[p]) / one)} for p in levels}


# ---------------------------------------------------------------- 5. trace

TRACE_RE = re.compile(r"dokeru trace:\s+([\d.]+) ms \(\+\s*([\d.]+)\) (.+)$")


def bench_trace(dk, n):
    env = dict(dk.env, DOKERU_TRACE="1")
    steps = {}
    order = []
    totals, outside = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        p = run_capture(dk.argv(["--bind", f"{dk.progs}:/t"], ["/t/tiny"]), env=env)
        wall_ms = (time.perf_counter() - t0) * 1e3
        last = 0.0
        for line in p.stderr.decode().splitlines():
            m = TRACE_RE.search(line)
            if m:
                at, delta, step = float(m[1]), float(m[2]), m[3].strip()
                if step not in steps:
                    steps[step] = []
                    order.append(step)
                steps[step].append(delta)
                last = at
        totals.append(last)
        outside.append(wall_ms - last)
    if not order:
        return {"skipped": "no DOKERU_TRACE lines on stderr"}
    res = {s: {"median_ms": r3(med(steps[s])), "p90_ms": r3(pct(steps[s], 90))} for s in order}
    res["(total, last step)"] = {"median_ms": r3(med(totals)), "p90_ms": r3(pct(totals, 90))}
    res["(outside: dokeru exec+exit, driver)"] = {
        "median_ms": r3(med(outside)), "p90_ms": r3(pct(outside, 90))}
    return res


# ---------------------------------------------------------------- table and targets

def target(name, value, ok, unit=""):
    if value is None:
        return {"target": name, "value": None, "result": "n/a"}
    return {"target": name, "value": f"{value}{unit}", "result": "PASS" if ok else "MISS"}


def targets(r):
    t = []
    pr = r.get("per_run")
    if pr and r["meta"]["mode"] == "vm":
        t.append({"target": "speed targets (per-run, judge, bwrap/isolate)",
                  "value": "not judged in the emulated VM", "result": "n/a"})
    elif pr:
        d = pr["dokeru --bind"]
        t.append(target("dokeru run <= 2.0 ms above bare (median, --bind)",
                        d["above_bare_ms"], d["above_bare_ms"] <= 2.0, " ms"))
        for tool in ("bwrap", "bwrap, dokeru's root", "isolate"):
            if tool in pr:
                t.append(target(f"dokeru run faster than {tool} (median)",
                                f"{d['median_ms']} vs {pr[tool]['median_ms']}",
                                d["median_ms"] < pr[tool]["median_ms"], " ms"))
    j = r.get("judge")
    if j and "skipped" not in j:
        v = j["judge_above_plain_per_test_ms"]
        t.append(target("per test inside judge <= 1.2 ms above bare (--jobs 1)", v, v <= 1.2, " ms"))
        sp = j.get("scaling_judge_j1_to_j2")
        if sp is not None:
            t.append(target("judge scales near-linearly from 1 to 2 jobs on 2 cores (>= 1.8x)",
                            sp, sp >= 1.8, "x"))
        n_bad = len(j["not_accepted_runs"])
        t.append(target("every judge run of the accepted echo solution is accepted",
                        f"{n_bad} run(s) not accepted", n_bad == 0))
    c = r.get("cpu_accuracy")
    if c:
        # The measure: against getrusage of a bare run of the same program,
        # each side's error taken against the program's own CPU clock (what both
        # include beyond the program's work, exec and start-up, cancels).
        def beyond(k, e):
            ms = e["dokeru_error_beyond_bare_ms"]
            return abs(ms), r3(100 * abs(ms) / e["dokeru"]["program_clock_ms"]), k
        worst = max(beyond(k, e) for k, e in c.items())
        ok = all(b[0] <= 2 or b[1] <= 2 for b in (beyond(k, e) for k, e in c.items()))
        t.append(target("cpu_time_ms error <= 2 % or <= 2 ms vs getrusage of a bare run (worst)",
                        f"{worst[0]} ms / {worst[1]} % at {worst[2]}", ok))
        raw = max((abs(e["dokeru"]["error_ms"]), e["dokeru"]["error_pct"], k) for k, e in c.items())
        t.append({"target": "cpu_time_ms error vs the program's own clock (worst; reported, "
                  "includes exec and start-up like any rusage)",
                  "value": f"{raw[0]} ms / {raw[1]} % at {raw[2]}", "result": "info"})
    m = r.get("mem_accuracy")
    if m:
        errs = [(abs(v["error_after_baseline_pct"]), k) for k, v in m.items()
                if isinstance(v, dict)]
        w = max(errs)
        t.append(target("memory_peak_bytes error <= 2 % for 10 MiB-1 GiB (after baseline, worst)",
                        f"{w[0]} % at {w[1]}", w[0] <= 2))
    k = r.get("kill")
    if k:
        worst = max(v["cpu_time_ms_max"] for v in k.values())
        ok = worst < 1050 and all(v["status"] == ["time_limit_exceeded"] for v in k.values())
        t.append(target("--time 1 kills before 1.05 s CPU (worst, 1 and 4 threads)",
                        worst, ok, " ms"))
    return t


def fmt_table(r):
    lines = []

    def sec(title):
        lines.append("")
        lines.append(f"== {title}")

    def row(*cols, w=(44, 12, 12, 12, 12, 12)):
        lines.append("  " + "".join(str(c).ljust(w[i]) if i < len(w) else str(c)
                                    for i, c in enumerate(cols)).rstrip())

    m = r["meta"]
    lines.append(f"dokeru benchmark  commit {m['commit']}  cgroup {m['cgroup']}  "
                 f"kernel {m['kernel']}  cpus {m['cpus']}  mode {m['mode']}  {m['date']}")
    for n in m["notes"]:
        lines.append(f"  note: {n}")
    if "per_run" in r:
        sec("per-run cost of tiny static C (ms; driver: python posix_spawn+waitpid, interleaved)")
        row("variant", "median", "p90", "min", "-bare", "x bare", "CPU/run", "machine CPU/run",
            w=(28, 9, 9, 9, 9, 9, 10, 10))
        for k, v in r["per_run"].items():
            row(k, v["median_ms"], v["p90_ms"], v["min_ms"], v["above_bare_ms"], v["ratio_to_bare"],
                v.get("cpu_ms_per_run", ""), v.get("machine_cpu_ms_per_run", ""),
                w=(28, 9, 9, 9, 9, 9, 10, 10))
        lines.append("  (CPU/run: the process tree's rusage; machine CPU/run: /proc/stat over a batch, "
                     "kernel workers included)")
    if "judge" in r:
        j = r["judge"]
        sec("judging throughput (echo solution, interleaved rounds; plain = python subprocess"
            " loop + byte compare, same gcc flags as profiles/c.toml)")
        if "skipped" in j:
            lines.append(f"  skipped: {j['skipped']}")
        else:
            lines.append(f"  tests {j['tests']}, rounds {j['rounds']}, judge fixed cost "
                         f"{j['fixed_s (1-test package: load, compile, report)']} s (subtracted from per-test)")
            row("runner", "total s", "tests/s", "ms/test")
            for k in ("plain j1", "plain j2", "judge j1", "judge j2"):
                row(k, j[k]["total_s"], j[k]["tests_per_s"], j[k]["per_test_ms"])
            lines.append(f"  judge/plain (j1) {j['ratio_judge_to_plain_j1']}x, "
                         f"+{j['judge_above_plain_per_test_ms']} ms/test; "
                         f"1->2 jobs speedup judge {j['scaling_judge_j1_to_j2']}x, "
                         f"plain {j['scaling_plain_j1_to_j2']}x")
            for a in j["not_accepted_runs"]:
                ft = a["first_bad_test"] or {}
                lines.append(f"  WARNING: a judge run (--jobs {a['jobs']}) was {a['verdict']}: "
                             f"{a['bad_tests']} test(s), first {ft.get('name')}: "
                             f"{ft.get('judge_error') or ft.get('message') or ''}"[:300])
    if "cpu_accuracy" in r:
        sec("cpu time accuracy (error = measured - program's own CLOCK_THREAD_CPUTIME_ID;"
            " both include exec/startup, the sandboxed one also dokeru's init in the cgroup)")
        row("burn / side", "measured", "prog clock", "prog rusage", "error ms", "error %")
        for k, e in r["cpu_accuracy"].items():
            for side in ("bare", "dokeru"):
                s = e[side]
                row(f"{k} {side} ({s['measured_by']})", s["measured_ms"], s["program_clock_ms"],
                    s["program_rusage_ms"], s["error_ms"], s["error_pct"])
        lines.append("  dokeru error beyond bare error (ms): " + ", ".join(
            f"{k}: {e['dokeru_error_beyond_bare_ms']}" for k, e in r["cpu_accuracy"].items()))
    if "mem_accuracy" in r:
        m2 = r["mem_accuracy"]
        sec(f"memory peak accuracy (--mem 2G; source {m2['memory_source']}; "
            f"0 MiB baseline {m2['baseline_0_mib_bytes']} B; bare VmHWM baseline "
            f"{m2['bare_baseline_0_mib_vmhwm_bytes']} B)")
        row("touched", "peak bytes", "raw err %", "err-base B", "err-base %", "bare err %")
        for k, v in m2.items():
            if isinstance(v, dict):
                row(k, v["memory_peak_bytes"], v["raw_error_pct"], v["error_after_baseline_bytes"],
                    v["error_after_baseline_pct"], v["bare_vmhwm_minus_baseline_pct"])
    if "kill" in r:
        sec("CPU limit enforcement (spinner, --time 1)")
        row("spinner", "cpu med ms", "cpu max ms", "past 1 s", "wall ms", "status")
        for k, v in r["kill"].items():
            row(k, v["cpu_time_ms_median"], v["cpu_time_ms_max"], v["past_limit_ms_max"],
                v["wall_time_ms_median"], ",".join(v["status"]))
    if "concurrency" in r:
        sec("concurrency (parallel `dokeru run tiny` loops, interleaved)")
        row("loops", "runs/s", "speedup")
        for k, v in r["concurrency"].items():
            row(k, v["runs_per_s"], v["speedup_vs_1"])
    if "trace" in r:
        sec("where the time goes (DOKERU_TRACE=1, median delta per step)")
        row("step", "median ms", "p90 ms")
        for k, v in r["trace"].items():
            if isinstance(v, dict):
                row(k, v["median_ms"], v["p90_ms"])
            else:
                lines.append(f"  {k}: {v}")
    sec("targets (issue #5; a report, never asserted)")
    for t in r["targets"]:
        row(t["target"], "", "", "", w=(78,))
        lines[-1] = f"  {t['result']:<5} {t['target']}: {t['value']}"
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def git_hash():
    p = subprocess.run(["git", "-C", REPO_DIR, "rev-parse", "--short", "HEAD"],
                       capture_output=True, text=True)
    h = p.stdout.strip() or "nogit"
    d = subprocess.run(["git", "-C", REPO_DIR, "status", "--porcelain", "--", "src", "Cargo.toml"],
                       capture_output=True, text=True).stdout.strip()
    return h + ("-dirty" if d else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI mode: under a minute")
    ap.add_argument("--out", help="JSON path (default bench/results/<date>-<hash>-<cgroup>.json)")
    ap.add_argument("--dokeru", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO_DIR, "target")), "release", "dokeru"))
    ap.add_argument("--progs", help="directory of prebuilt bench programs (default: build into a temp dir)")
    ap.add_argument("--parts", default="per_run,judge,accuracy,concurrency,trace",
                    help="comma list of: per_run, judge, accuracy, concurrency, trace")
    ap.add_argument("--vm", action="store_true",
                    help="running inside the emulated cgroup-v2 VM: small counts, accuracy numbers only")
    ap.add_argument("--build-progs", metavar="DIR",
                    help="only compile the bench programs into DIR and exit (used by run.sh --vm)")
    args = ap.parse_args()
    if args.build_progs:
        build_programs(args.build_progs)
        return

    if os.geteuid() != 0:
        sys.exit("bench: must run as root (dokeru run needs root); try: sudo bench/run.sh")
    if not os.access(args.dokeru, os.X_OK):
        sys.exit(f"bench: no dokeru binary at {args.dokeru}; build it: cargo build --release")
    parts = set(args.parts.split(","))

    tmp = tempfile.mkdtemp(prefix="dokeru-bench-")
    try:
        progs = args.progs or build_programs(os.path.join(tmp, "progs"))
        dk = Dokeru(os.path.abspath(args.dokeru), progs)
        probe = dk.run_json([], ["/bin/true"])
        cg = probe["sandbox"]["cgroup"]
        mode = "vm" if args.vm else ("quick" if args.quick else "full")
        notes = []
        if args.vm:
            notes.append("inside the emulated (TCG, ~20x slower) cgroup-v2 VM: "
                         "timings are NOT speed numbers, only the accuracy part is meaningful")
        notes.append("bare driver: python os.posix_spawn (vfork+exec) + waitpid; same driver for all variants")
        r = {"meta": {"commit": git_hash(), "cgroup": cg, "kernel": platform.release(),
                      "cpus": os.cpu_count(), "mode": mode, "notes": notes,
                      "date": datetime.datetime.now().isoformat(timespec="seconds"),
                      "python": platform.python_version(), "dokeru": dk.binary}}
        q = args.quick or args.vm
        t0 = time.perf_counter()
        if "per_run" in parts:
            log("per-run cost ...")
            r["per_run"] = bench_per_run(dk, 20 if args.vm else (60 if q else 300), notes)
        if "judge" in parts:
            log("judging throughput ...")
            r["judge"] = bench_judge(dk, 200 if q else 1000, 1 if q else 3, tmp)
        if "accuracy" in parts:
            log("cpu accuracy ...")
            reps = 1 if args.quick else 3
            r["cpu_accuracy"] = bench_cpu_accuracy(dk, (100, 500, 1000), reps)
            log("memory accuracy ...")
            r["mem_accuracy"] = bench_mem_accuracy(dk, (10, 100, 500, 1000), 1 if q else 2)
            log("cpu limit kill ...")
            r["kill"] = bench_kill(dk, (1, 4), reps)
        if "concurrency" in parts:
            log("concurrency ...")
            r["concurrency"] = bench_concurrency(dk, (1, 2, 4), 1.0 if q else 3.0, 1 if q else 2)
        if "trace" in parts:
            log("per-step trace ...")
            r["trace"] = bench_trace(dk, 10 if args.vm else (20 if q else 50))
        if args.vm:
            notes.append("in the VM the fixed CPU cost of exec and startup is emulated too "
                         "(~20x): cpu_time_ms errors there are inflated by it, see "
                         "'beyond bare'")
        r["meta"]["bench_seconds"] = round(time.perf_counter() - t0, 1)
        r["targets"] = targets(r)
        print(fmt_table(r))
        out = args.out
        if not out:
            date = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
            suffix = "-vm" if args.vm else ("-quick" if args.quick else "")
            out = os.path.join(BENCH_DIR, "results", f"{date}-{r['meta']['commit']}-{cg}{suffix}.json")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            json.dump(r, f, indent=1)
            f.write("\n")
        print(f"\nwritten: {out}  ({r['meta']['bench_seconds']} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
