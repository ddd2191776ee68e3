//! SIZE and SECS values of the command line (`run.md`).

use std::time::Duration;

/// Why a size or duration was rejected; the caller adds the option name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SizeError(pub String);

const SIZE_FORMS: &str = "expected a byte count with optional K, M or G (binary units, e.g. 64M), N% of host memory, or unlimited";
const SECS_FORMS: &str = "expected seconds as a positive number, decimals allowed (e.g. 1 or 0.5)";

/// Parse a SIZE: `123`, `64K`, `64M`, `2G` (binary units), `N%` of `host_memory_bytes`,
/// or `unlimited` (`None`).
pub fn parse_size(text: &str, host_memory_bytes: u64) -> Result<Option<u64>, SizeError> {
    let s = text.trim();
    if s.eq_ignore_ascii_case("unlimited") {
        return Ok(None);
    }
    let err = || SizeError(SIZE_FORMS.to_owned());
    if let Some(pct) = s.strip_suffix('%') {
        let p: f64 = pct.parse().map_err(|_| err())?;
        if !p.is_finite() || p <= 0.0 || p > 100.0 {
            return Err(SizeError("a percentage must be in (0, 100]".to_owned()));
        }
        return Ok(Some((host_memory_bytes as f64 * p / 100.0) as u64));
    }
    // Accepted spellings: 64M, 64MB, 64MiB (all binary), 64B and 64 (bytes).
    let upper = s.to_ascii_uppercase();
    let body = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, shift) = match body.as_bytes().last() {
        Some(b'K') => (&body[..body.len() - 1], 10),
        Some(b'M') => (&body[..body.len() - 1], 20),
        Some(b'G') => (&body[..body.len() - 1], 30),
        Some(b'T') => (&body[..body.len() - 1], 40),
        _ if body.len() != upper.len() && upper.ends_with("IB") => return Err(err()),
        _ => (body, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let n: u64 = digits.parse().map_err(|_| SizeError("number too large".to_owned()))?;
    n.checked_mul(1u64 << shift).map(Some).ok_or_else(|| SizeError("number too large".to_owned()))
}

/// Parse SECS: a positive decimal number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, SizeError> {
    let s = text.trim();
    let s = s.strip_suffix('s').unwrap_or(s);
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.bytes().filter(|&b| b == b'.').count() <= 1;
    if !ok {
        return Err(SizeError(SECS_FORMS.to_owned()));
    }
    let v: f64 = s.parse().map_err(|_| SizeError(SECS_FORMS.to_owned()))?;
    // A positive value below half a nanosecond rounds to a zero Duration: refused too.
    let d = Duration::from_secs_f64(v.min(1e8));
    if !(v > 0.0) || v > 1e7 || d.is_zero() {
        return Err(SizeError("seconds must be greater than 0 and at most 10000000".to_owned()));
    }
    Ok(d)
}

/// Physical memory of the host in bytes (for `N%` sizes).
pub fn host_memory_bytes() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    // SAFETY: as above.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if pages <= 0 || page <= 0 { 0 } else { pages as u64 * page as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_binary_units() {
        assert_eq!(parse_size("123", 0), Ok(Some(123)));
        assert_eq!(parse_size("64K", 0), Ok(Some(64 << 10)));
        assert_eq!(parse_size("64M", 0), Ok(Some(64 << 20)));
        assert_eq!(parse_size("2g", 0), Ok(Some(2 << 30)));
        assert_eq!(parse_size("64MB", 0), Ok(Some(64 << 20)));
        assert_eq!(parse_size("64MiB", 0), Ok(Some(64 << 20)));
        assert_eq!(parse_size("unlimited", 0), Ok(None));
        assert_eq!(parse_size("50%", 1000), Ok(Some(500)));
    }

    #[test]
    fn bad_sizes_are_rejected() {
        for bad in ["", "M", "12Q", "-1", "1.5M", "0%", "101%", "99999999999999999999", "16777216T", "abc", "%"] {
            assert!(parse_size(bad, 1 << 30).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn durations_take_decimals() {
        assert_eq!(parse_duration("1"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
        for bad in ["", "0", "-1", "1e3", "abc", "1..2", "inf", "nan", "."] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn tiny_positive_duration_rounding_to_zero_is_rejected() {
        // Found by tests/fuzz_units.rs: `0.0000000001` passed the `> 0` check on the f64
        // and became a zero limit.
        assert!(parse_duration("0.0000000001").is_err());
        assert!(parse_duration(&format!("0.{}1", "0".repeat(100))).is_err());
        assert_eq!(parse_duration("0.000000001"), Ok(Duration::from_nanos(1)));
    }
}
