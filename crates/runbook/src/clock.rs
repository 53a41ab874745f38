//! Wall-clock helpers shared by the procedures: durations in whole milliseconds for reports,
//! and the UTC stamp used where a vendor tool has no timestamp of its own.

use std::time::{Duration, Instant};

/// Milliseconds since `t`, saturating.
pub fn millis(t: Instant) -> u64 {
    millis_of(t.elapsed())
}

/// `d` in milliseconds, saturating.
pub fn millis_of(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The current UTC time as `YYYYMMDDhhmmss` (file names, RMAN tags, backup-set ids).
pub fn utc_stamp() -> String {
    jiff::Timestamp::now().strftime("%Y%m%d%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_digits() {
        let s = utc_stamp();
        assert_eq!(s.len(), 14, "{s}");
        assert!(s.bytes().all(|b| b.is_ascii_digit()), "{s}");
        assert!(s.as_str() > "20250101000000", "{s}");
        let epoch = jiff::Timestamp::UNIX_EPOCH
            .strftime("%Y%m%d%H%M%S")
            .to_string();
        assert_eq!(epoch, "19700101000000");
    }

    #[test]
    fn millis_saturate() {
        assert_eq!(millis_of(Duration::from_millis(1500)), 1500);
        assert_eq!(millis_of(Duration::MAX), u64::MAX);
    }
}
