//! placeholder
pub fn verify_command(_a: &super::VerifyArgs) -> Result<i32, super::JudgeError> { Ok(0) }
