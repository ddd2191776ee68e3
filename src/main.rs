//! argv -> library; the only place that maps errors to exit codes.

use clap::Parser;
use dokeru::cli::{Cli, Command};
use dokeru::error_chain;
use dokeru::report::RunResult;
use std::io::Write;
use std::process::ExitCode;

/// Exit codes of `run.md`.
const EXIT_CONFIG: u8 = 2;
const EXIT_SANDBOX: u8 = 125;

fn emit(json: &str, path: Option<&std::path::Path>) -> std::io::Result<()> {
    match path {
        Some(p) => std::fs::write(p, format!("{json}\n")),
        None => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}")
        }
    }
}

fn run_command(args: &dokeru::cli::RunArgs) -> u8 {
    let t0 = std::time::Instant::now();
    let trace = std::env::var_os("DOKERU_TRACE").is_some();
    let settings = match dokeru::config::build_run(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dokeru run: {}", error_chain(&e));
            return EXIT_CONFIG;
        }
    };
    if trace {
        eprintln!("dokeru trace: configuration built in {:.3} ms", t0.elapsed().as_secs_f64() * 1e3);
    }
    let limits = settings.spec.limits.clone();
    let result_path = settings.result_path.clone();
    let (result, code) = match dokeru::sandbox::run(settings.spec) {
        Ok(outcome) => (RunResult::from_outcome(&outcome), 0),
        Err(e) => {
            eprintln!("dokeru run: internal error: {e}");
            (RunResult::internal_error(Some(&limits), e.to_string()), EXIT_SANDBOX)
        }
    };
    let json = serde_json::to_string(&result).expect("RunResult serializes");
    if let Err(e) = emit(&json, result_path.as_deref()) {
        eprintln!("dokeru run: write the result: {e}");
        return EXIT_SANDBOX;
    }
    code
}

fn judge_result(command: &str, r: Result<i32, dokeru::judge::JudgeError>) -> u8 {
    match r {
        Ok(code) => code.clamp(0, 255) as u8,
        Err(e) => {
            eprintln!("dokeru {command}: {}", error_chain(&e));
            e.exit_code().clamp(0, 255) as u8
        }
    }
}


fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_CONFIG } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Run(args) => run_command(&args),
        Command::Judge(args) => judge_result("judge", dokeru::judge::judge_command(&args)),
        Command::Verify(args) => judge_result("verify", dokeru::judge::verify_command(&args)),
        Command::Profiles(args) => judge_result("profiles", dokeru::judge::profiles_command(&args)),
        Command::Doctor(args) => dokeru::doctor::doctor_command(&args),
    };
    ExitCode::from(code)
}
