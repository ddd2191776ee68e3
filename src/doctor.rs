//! `dokeru doctor`: what this host's kernel gives dokeru, and what is missing.

use crate::cli::DoctorArgs;

pub fn doctor_command(args: &DoctorArgs) -> u8 {
    let _ = args;
    0
}
