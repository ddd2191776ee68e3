//! dokeru: a sandbox and judge for untrusted programs.
//!
//! Dependencies flow one way: `cli -> config -> {sandbox, judge} -> report`.

pub mod cli;
pub mod config;
pub mod doctor;
pub mod judge;
pub mod report;
pub mod sandbox;
