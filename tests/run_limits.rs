//! `dokeru run` resource limits, enforced through the cgroup (v1 on the dev hosts, v2 in the
//! VM: scripts/test-vm.sh runs this file there). Each test states the outcome it asserts,
//! with the tolerances of the issue. Needs root (skipped with a printed reason).

mod common;
use common::*;

/// A CPU spinner with `--time 1` is time_limit_exceeded with cpu_time_ms in [1000, 1050].
#[test]
fn cpu_spinner_time_1_is_tle_within_1050ms() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--time", "1"], "spin_threads", &["1"]);
    out.expect_result().expect_status("time_limit_exceeded");
    out.in_range("cpu_time_ms", 1000.0, 1050.0);
    expect_limit(&out, Q::CpuTime, 1000.0);
    // --wall-time defaults to 3 x --time + 1 s.
    expect_limit(&out, Q::WallTime, 4000.0);
    assert_eq!(out.json["oom_killed"], false, "{}", out.ctx());
}

/// Four spinning threads with `--time 1`: the limit is on the whole tree, so still
/// time_limit_exceeded in [1000, 1050] ms of CPU, and on >= 2 CPUs the wall clock is about
/// half of the CPU time (asserted < 0.75 x cpu). The wall/CPU ratio depends on other load on
/// the machine, so that part gets up to 3 attempts; the CPU-time part must hold on every one.
#[test]
fn four_threads_time_1_is_tle_and_wall_below_cpu() {
    if !require_root() {
        return;
    }
    let mut last = String::new();
    for attempt in 1..=3 {
        let out = sandbox(&["--time", "1"], "spin_threads", &["4"]);
        out.expect_result().expect_status("time_limit_exceeded");
        let cpu = out.in_range("cpu_time_ms", 1000.0, 1050.0);
        if host_cpus() < 2 {
            skip("wall < 0.75 x cpu part: the host has only 1 CPU");
            return;
        }
        let wall = out.num("wall_time_ms");
        if wall < 0.75 * cpu {
            return;
        }
        last = format!("attempt {attempt}: wall_time_ms {wall} not < 0.75 x cpu_time_ms {cpu}{}", out.ctx());
        note(&format!("attempt {attempt}: wall {wall} ms vs cpu {cpu} ms (machine busy?)"));
    }
    panic!("{last}");
}

/// `sleep 100` with `--wall-time 1` is wall_time_limit_exceeded with wall_time_ms < 1200.
#[test]
fn sleep_100_wall_time_1_is_wtle_below_1200ms() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--wall-time", "1"], "sleep", &["100"]);
    out.expect_result().expect_status("wall_time_limit_exceeded");
    out.in_range("wall_time_ms", 1000.0, 1199.999);
    assert!(out.num("cpu_time_ms") < 500.0, "{}", out.ctx());
    expect_limit(&out, Q::WallTime, 1000.0);
}

/// Decimal seconds: `--wall-time 0.5`.
#[test]
fn wall_time_takes_decimals() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--wall-time", "0.5"], "sleep", &["100"]);
    out.expect_result().expect_status("wall_time_limit_exceeded");
    out.in_range("wall_time_ms", 500.0, 1e9);
    expect_limit(&out, Q::WallTime, 500.0);
}

/// `--time 1` alone sets the wall-time limit to 4 s: a sleeper hits it.
#[test]
fn time_1_alone_gives_wall_time_4s() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--time", "1"], "sleep", &["100"]);
    out.expect_result().expect_status("wall_time_limit_exceeded");
    expect_limit(&out, Q::WallTime, 4000.0);
    out.in_range("wall_time_ms", 4000.0, 1e9);
}

/// A program that exits in time is ok under the limits.
#[test]
fn fast_program_under_limits_is_ok() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--time", "1", "--mem", "64M"], "exit_code", &["0"]);
    out.expect_result().expect_status("ok");
    assert!(out.num("cpu_time_ms") < 1000.0, "{}", out.ctx());
}

fn within(out: &Out, key: &str, want: f64, tolerance: f64) {
    let got = out.num(key);
    assert!(
        (got - want).abs() <= want * tolerance,
        "{key} = {got}, expected {want} +- {:.0}%{}",
        tolerance * 100.0,
        out.ctx()
    );
}

/// Touching 200 MiB with `--mem 64M` is memory_limit_exceeded, oom_killed, and the peak is
/// within 5 % of 64 MiB.
#[test]
fn touch_200m_with_mem_64m_is_mle_peak_64m() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--mem", "64M"], "touch_mem", &["200"]);
    out.expect_result().expect_status("memory_limit_exceeded");
    assert_eq!(out.json["oom_killed"], true, "{}", out.ctx());
    within(&out, "memory_peak_bytes", (64 * MIB) as f64, 0.05);
    expect_limit(&out, Q::Mem, (64 * MIB) as f64);
    assert!(!out.text("stdout").contains("touched"), "{}", out.ctx());
}

/// `--memlimit` is the same as `--mem`.
#[test]
fn memlimit_is_an_alias_of_mem() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--memlimit", "64M"], "touch_mem", &["200"]);
    out.expect_result().expect_status("memory_limit_exceeded");
    assert_eq!(out.json["oom_killed"], true, "{}", out.ctx());
    expect_limit(&out, Q::Mem, (64 * MIB) as f64);
}

/// Touching 100 MiB with `--mem 256M` is ok, and the peak is within 5 % of 100 MiB plus the
/// program's own baseline (the same program touching 0 MiB).
#[test]
fn touch_100m_with_mem_256m_is_ok_peak_100m_plus_baseline() {
    if !require_root() {
        return;
    }
    let base = sandbox(&["--mem", "256M"], "touch_mem", &["0"]);
    base.expect_result().expect_status("ok");
    let baseline = base.num("memory_peak_bytes");
    let out = sandbox(&["--mem", "256M"], "touch_mem", &["100"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.json["oom_killed"], false, "{}", out.ctx());
    assert_eq!(out.text("stdout"), "touched 100\n", "{}", out.ctx());
    within(&out, "memory_peak_bytes", (100 * MIB) as f64 + baseline, 0.05);
}

/// `--mem-soft` throttles/reclaims but never kills: a program a little above it is ok.
#[test]
fn mem_soft_does_not_kill() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--mem-soft", "16M", "--mem", "256M", "--wall-time", "60"], "touch_mem", &["24"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.json["oom_killed"], false, "{}", out.ctx());
    expect_limit(&out, Q::MemSoft, (16 * MIB) as f64);
}

/// `--percent 50` makes a spinner under `--wall-time 1` get about 0.5 s of CPU.
#[test]
fn percent_50_spinner_wall_1_uses_half_a_second() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--percent", "50", "--wall-time", "1"], "spin_threads", &["1"]);
    out.expect_result().expect_status("wall_time_limit_exceeded");
    out.in_range("cpu_time_ms", 400.0, 600.0);
    expect_limit(&out, Q::Percent, 50.0);
    expect_limit(&out, Q::Period, 100000.0);
}

/// `--period` is used with `--percent`.
#[test]
fn percent_50_with_period_50000() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--percent", "50", "--period", "50000", "--wall-time", "1"], "spin_threads", &["1"]);
    out.expect_result().expect_status("wall_time_limit_exceeded");
    out.in_range("cpu_time_ms", 400.0, 600.0);
    expect_limit(&out, Q::Period, 50000.0);
}

/// `--cpus 0` pins the run to CPU 0.
#[test]
fn cpus_0_pins_to_cpu_0() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--cpus", "0"], "info", &[]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.kv().get("Cpus_allowed_list").map(String::as_str), Some("0"), "{}", out.ctx());
    expect_limit_str(&out, Q::Cpus, "0");
}

/// `--cpus 0` with four spinning threads: wall time is at least the CPU time (one CPU only).
#[test]
fn cpus_0_four_threads_get_one_cpu() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--cpus", "0", "--time", "1"], "spin_threads", &["4"]);
    out.expect_result().expect_status("time_limit_exceeded");
    let cpu = out.in_range("cpu_time_ms", 1000.0, 1050.0);
    assert!(out.num("wall_time_ms") >= 0.95 * cpu, "4 threads on 1 CPU cannot be faster than 1 CPU{}", out.ctx());
}

/// `--shares` is applied (echoed) and the run is otherwise unaffected.
#[test]
fn shares_is_applied() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--shares", "512"], "exit_code", &["0"]);
    out.expect_result().expect_status("ok");
    let (k, v) = limit(&out, Q::Shares).unwrap_or_else(|| panic!("no shares in limits{}", out.ctx()));
    if k.contains("shares") {
        assert_eq!(v.as_f64(), Some(512.0), "limits.{k}{}", out.ctx());
    }
}

/// `--pids 32`: a program forking 100 sleeping children (bounded, so safe on the host) gets at
/// most 31 of them (itself + 31 = 32), the other forks fail with EAGAIN; the run is ok.
#[test]
fn pids_32_caps_the_process_tree() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--pids", "32", "--wall-time", "30"], "fork_many", &["100"]);
    out.expect_result().expect_status("ok");
    let line = out.text("stdout");
    let nums: Vec<u32> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert_eq!(nums.len(), 2, "{}", out.ctx());
    assert!(nums[0] <= 31 && nums[0] >= 20, "forked {} children under --pids 32{}", nums[0], out.ctx());
    assert_eq!(nums[0] + nums[1], 100, "{}", out.ctx());
    expect_limit(&out, Q::Pids, 32.0);
}

/// The default `--pids` is 64.
#[test]
fn pids_default_64_caps_the_process_tree() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--wall-time", "30"], "fork_many", &["100"]);
    out.expect_result().expect_status("ok");
    let nums: Vec<u32> = out.text("stdout").split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert_eq!(nums.len(), 2, "{}", out.ctx());
    assert!(nums[0] <= 63, "forked {} children under the default --pids 64{}", nums[0], out.ctx());
}

/// SIZE forms: `N%` of physical memory and `unlimited` are accepted.
#[test]
fn size_percent_and_unlimited_are_accepted() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--mem", "10%", "--output-limit", "unlimited"], "exit_code", &["0"]);
    out.expect_result().expect_status("ok");
    let (k, v) = limit(&out, Q::Mem).unwrap_or_else(|| panic!("no mem in limits{}", out.ctx()));
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) } as f64;
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    let want = pages * page * 0.10;
    let got = v.as_f64().unwrap_or_else(|| panic!("limits.{k} not a number{}", out.ctx()));
    assert!((got - want).abs() <= want * 0.01, "limits.{k} = {got}, expected ~{want}{}", out.ctx());
}
