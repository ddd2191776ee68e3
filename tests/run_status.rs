//! `dokeru run`: every status that needs no resource limit, the result fields, output
//! capture and limits, stdin/stdout/stderr files, `--result`, `--copy`, `--env`.
//! Each test states the outcome it asserts. Needs root (skipped with a printed reason).

mod common;
use common::*;

#[test]
fn ok_result_has_every_field_and_default_limits() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "exit_code", &["0"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.json["exit_code"], 0, "{}", out.ctx());
    assert!(out.json["signal"].is_null(), "{}", out.ctx());
    assert_eq!(out.json["oom_killed"], false, "{}", out.ctx());
    assert_eq!(out.text("stdout"), "exiting 0\n", "{}", out.ctx());
    assert!(!out.truncated("stdout"), "{}", out.ctx());
    assert_eq!(out.text("stderr"), "", "{}", out.ctx());
    assert!(!out.truncated("stderr"), "{}", out.ctx());
    // cpu = user + sys, within the granularity of the split (v1 cpuacct.stat counts 10 ms ticks)
    let (c, u, s) = (out.num("cpu_time_ms"), out.num("user_time_ms"), out.num("sys_time_ms"));
    assert!((c - (u + s)).abs() <= 25.0 + 0.05 * c, "cpu_time_ms != user + sys{}", out.ctx());
    assert!(out.num("memory_peak_bytes") > 0.0, "{}", out.ctx());
    // The defaults of run.md, echoed as applied.
    expect_limit(&out, Q::Pids, 64.0);
    expect_limit(&out, Q::Fsize, (64 * MIB) as f64);
    expect_limit(&out, Q::Disk, (64 * MIB) as f64);
    expect_limit(&out, Q::Output, (64 * MIB) as f64);
    for k in ["cpu_time_source", "memory_source"] {
        assert!(out.json["sandbox"][k].is_string(), "sandbox.{k} must name the source{}", out.ctx());
    }
}

#[test]
fn exit_code_3_is_nonzero_exit() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "exit_code", &["3"]);
    out.expect_result().expect_status("nonzero_exit");
    assert_eq!(out.json["exit_code"], 3, "{}", out.ctx());
    assert!(out.json["signal"].is_null(), "{}", out.ctx());
    assert_eq!(out.text("stdout"), "exiting 3\n", "{}", out.ctx());
}

#[test]
fn sigsegv_is_signaled_11() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "crash", &["segv"]);
    out.expect_result().expect_status("signaled");
    assert_eq!(out.json["signal"], 11, "{}", out.ctx());
    assert!(out.json["exit_code"].is_null(), "{}", out.ctx());
}

#[test]
fn abort_is_signaled_6() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "crash", &["abort"]);
    out.expect_result().expect_status("signaled");
    assert_eq!(out.json["signal"], 6, "{}", out.ctx());
}

#[test]
fn output_beyond_limit_1000_keeps_exactly_1000_bytes() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--output-limit", "1000"], "out_bytes", &["5000"]);
    out.expect_result().expect_status("output_limit_exceeded");
    let text = out.text("stdout");
    assert_eq!(text.len(), 1000, "exactly 1000 bytes kept{}", out.ctx());
    assert!(text.bytes().all(|b| b == b'a'), "{}", out.ctx());
    assert!(out.truncated("stdout"), "{}", out.ctx());
    expect_limit(&out, Q::Output, 1000.0);
}

#[test]
fn output_exactly_at_limit_is_ok() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--output-limit", "1000"], "out_bytes", &["1000"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout").len(), 1000, "{}", out.ctx());
    assert!(!out.truncated("stdout"), "{}", out.ctx());
}

#[test]
fn output_limit_counts_stdout_and_stderr_together() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--output-limit", "1000"], "out_bytes", &["600", "600"]);
    out.expect_result().expect_status("output_limit_exceeded");
    let (o, e) = (out.text("stdout"), out.text("stderr"));
    assert_eq!(o.len() + e.len(), 1000, "stdout + stderr kept = the limit{}", out.ctx());
    assert!(out.truncated("stdout") || out.truncated("stderr"), "{}", out.ctx());
}

#[test]
fn output_limit_wins_over_nonzero_exit() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--output-limit", "1000"], "out_bytes", &["5000", "0", "3"]);
    out.expect_result().expect_status("output_limit_exceeded");
}

#[test]
fn fsize_1m_writing_2m_is_output_limit_exceeded() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--fsize", "1M"], "write_file", &["/box/big", "2097152"]);
    out.expect_result().expect_status("output_limit_exceeded");
    expect_limit(&out, Q::Fsize, MIB as f64);
}

#[test]
fn fsize_allows_a_file_below_it() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--fsize", "1M"], "write_file", &["/box/small", "524288"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "wrote 524288\n", "{}", out.ctx());
}

#[test]
fn disk_1m_writing_2m_into_box_fails() {
    if !require_root() {
        return;
    }
    let out = sandbox(&["--disk", "1M"], "write_file", &["/box/big", "2097152"]);
    out.expect_result().expect_status("nonzero_exit");
    assert_eq!(out.json["exit_code"], 2, "the write must fail{}", out.ctx());
    assert!(out.text("stderr").contains("No space left on device"), "{}", out.ctx());
    expect_limit(&out, Q::Disk, MIB as f64);
}

#[test]
fn non_utf8_output_is_base64() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "sh", &["-c", r"printf '\377\376'"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.json["stdout"]["base64"], "//4=", "{}", out.ctx());
    assert!(out.json["stdout"].get("text").is_none(), "non-UTF-8 output has no text field{}", out.ctx());
    assert_eq!(out.json["stdout"]["truncated"], false, "{}", out.ctx());
    assert_eq!(out.json["stderr"]["text"], "", "{}", out.ctx());
}

#[test]
fn stdin_file_is_fed_to_the_program() {
    if !require_root() {
        return;
    }
    let dir = tempdir();
    let input = dir.path().join("input.txt");
    std::fs::write(&input, "line 1\nline 2\n").unwrap();
    let out = sandbox(&["--stdin", input.to_str().unwrap()], "cat", &[]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "line 1\nline 2\n", "{}", out.ctx());
}

#[test]
fn default_stdin_is_empty() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "cat", &[]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "", "{}", out.ctx());
}

#[test]
fn stdout_and_stderr_files_receive_the_streams() {
    if !require_root() {
        return;
    }
    let dir = tempdir();
    let (o, e) = (dir.path().join("out.txt"), dir.path().join("err.txt"));
    let out = sandbox(
        &["--stdout", o.to_str().unwrap(), "--stderr", e.to_str().unwrap()],
        "sh",
        &["-c", "echo to-stdout; echo to-stderr >&2"],
    );
    out.expect_result().expect_status("ok");
    assert_eq!(std::fs::read_to_string(&o).unwrap_or_default(), "to-stdout\n", "{}", out.ctx());
    assert_eq!(std::fs::read_to_string(&e).unwrap_or_default(), "to-stderr\n", "{}", out.ctx());
    assert!(!out.text("stdout").contains("to-stdout"), "written to the file instead of the JSON{}", out.ctx());
    assert!(!out.text("stderr").contains("to-stderr"), "{}", out.ctx());
}

#[test]
fn stdout_file_still_counts_against_output_limit() {
    if !require_root() {
        return;
    }
    let dir = tempdir();
    let o = dir.path().join("out.txt");
    let out = sandbox(&["--stdout", o.to_str().unwrap(), "--output-limit", "1000"], "out_bytes", &["5000"]);
    out.expect_result().expect_status("output_limit_exceeded");
    let len = std::fs::metadata(&o).map(|m| m.len()).unwrap_or(0);
    assert!(len <= 1000, "the file got {len} bytes, more than the output limit{}", out.ctx());
}

#[test]
fn result_file_gets_the_json_instead_of_stdout() {
    if !require_root() {
        return;
    }
    let dir = tempdir();
    let r = dir.path().join("result.json");
    let out = sandbox(&["--result", r.to_str().unwrap()], "exit_code", &["3"]);
    assert_eq!(out.code, 0, "{}", out.ctx());
    assert!(out.stdout.is_empty(), "stdout must stay empty with --result{}", out.ctx());
    let text = std::fs::read_to_string(&r).unwrap_or_else(|e| panic!("no result file: {e}{}", out.ctx()));
    let in_file = Out { json: serde_json::from_str(&text).expect("result file is JSON"), ..out };
    in_file.expect_result().expect_status("nonzero_exit");
    assert_eq!(in_file.json["exit_code"], 3, "{}", in_file.ctx());
}

#[test]
fn copy_a_file_then_cat_it() {
    if !require_root() {
        return;
    }
    let dir = tempdir();
    let f = dir.path().join("hello.txt");
    std::fs::write(&f, "copied content\n").unwrap();
    let out = sandbox(&["--copy", f.to_str().unwrap()], "cat", &["hello.txt"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "copied content\n", "{}", out.ctx());
}

#[test]
fn copy_a_directory_keeps_names_and_modes() {
    if !require_root() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let d = dir.path().join("pkg");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/data.txt"), "nested\n").unwrap();
    std::fs::write(d.join("run.sh"), "#!/bin/sh\necho script ran\n").unwrap();
    std::fs::set_permissions(d.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(d.join("sub/data.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = sandbox(
        &["--copy", d.to_str().unwrap()],
        "sh",
        &["-c", "cat pkg/sub/data.txt && ./pkg/run.sh && stat -c %a pkg/run.sh pkg/sub/data.txt"],
    );
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "nested\nscript ran\n755\n640\n", "{}", out.ctx());
}

#[test]
fn shell_script_copied_into_the_box_runs_there() {
    if !require_root() {
        return;
    }
    let out = sandbox(&[], "hello.sh", &["dokeru"]);
    out.expect_result().expect_status("ok");
    assert_eq!(out.text("stdout"), "hello dokeru from /box\n", "{}", out.ctx());
}

fn env_lines(out: &Out) -> std::collections::BTreeSet<String> {
    out.text("stdout").lines().map(String::from).collect()
}

fn default_env() -> Vec<&'static str> {
    vec!["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/box", "LANG=C.UTF-8"]
}

#[test]
fn default_environment_is_exactly_path_home_lang() {
    if !require_root() {
        return;
    }
    let extra = Opts { env: vec![("DKT_LEAK".into(), "must-not-leak".into())], ..Opts::default() };
    let out = sandbox_with(&[], "env", &[], &extra);
    out.expect_result().expect_status("ok");
    let want: std::collections::BTreeSet<String> = default_env().into_iter().map(String::from).collect();
    assert_eq!(env_lines(&out), want, "{}", out.ctx());
}

#[test]
fn env_set_and_passthrough_and_nothing_else_leaks() {
    if !require_root() {
        return;
    }
    let extra = Opts {
        env: vec![("DKT_PASS".into(), "from-caller".into()), ("DKT_LEAK".into(), "must-not-leak".into())],
        ..Opts::default()
    };
    let out = sandbox_with(&["--env", "DKT_SET=a=b c", "--env", "DKT_PASS"], "env", &[], &extra);
    out.expect_result().expect_status("ok");
    let mut want: std::collections::BTreeSet<String> = default_env().into_iter().map(String::from).collect();
    want.insert("DKT_SET=a=b c".into());
    want.insert("DKT_PASS=from-caller".into());
    assert_eq!(env_lines(&out), want, "{}", out.ctx());
}

#[test]
fn python_program_runs_with_the_sandbox_environment() {
    if !require_root() {
        return;
    }
    if !std::path::Path::new("/usr/bin/python3").exists() {
        skip("no /usr/bin/python3 on this host");
        return;
    }
    let script = prog("env_dump.py");
    let out = sandbox(&["--copy", script.to_str().unwrap(), "--env", "DKT_X=1"], "python3", &["env_dump.py"]);
    out.expect_result().expect_status("ok");
    let mut want: Vec<String> = default_env().into_iter().map(String::from).collect();
    want.push("DKT_X=1".into());
    want.sort();
    assert_eq!(out.text("stdout").lines().map(String::from).collect::<Vec<_>>(), want, "{}", out.ctx());
}
