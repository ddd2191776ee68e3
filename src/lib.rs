//! dokeru: a sandbox and judge for untrusted programs.
//!
//! Dependencies flow one way: `cli -> config -> {sandbox, judge} -> report`.

pub mod cli;
pub mod config;
pub mod doctor;
pub mod judge;
pub mod report;
pub mod sandbox;

/// An error and its sources as one line: `outer: inner: root cause`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
