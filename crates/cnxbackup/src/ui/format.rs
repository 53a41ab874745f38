//! How numbers, sizes, times and names read in every command's human output.

use serde::Serialize;

/// `1234567` → `1.2 MiB` (binary units, one decimal, like `du -h`).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A byte difference with its sign: `+1.5 KiB`, `-512 B`, `+0 B`.
pub fn signed_bytes(n: i128) -> String {
    let sign = if n < 0 { "-" } else { "+" };
    format!(
        "{sign}{}",
        bytes(u64::try_from(n.unsigned_abs()).unwrap_or(u64::MAX))
    )
}

/// A duration in milliseconds as `850 ms`, `12.3 s`, `4 min 05 s` or `1 h 02 min`.
pub fn duration_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("{} h {:02} min", ms / 3_600_000, (ms % 3_600_000) / 60_000)
    }
}

/// A wall time in Unix nanoseconds as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn time_ns(ns: i64) -> String {
    vault::format_unix_ns(ns)
}

/// The first 8 characters of a hex id (what `snapshots` lists and every command accepts).
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// The word a serde enum value serialises to (`ok`, `application_server`, `keep_daily`);
/// a value that is not a string shows as its JSON, one that cannot be serialised as `?`.
pub fn json_word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_du_h() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(signed_bytes(-1536), "-1.5 KiB");
        assert_eq!(signed_bytes(0), "+0 B");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_ms(850), "850 ms");
        assert_eq!(duration_ms(12_345), "12.3 s");
        assert_eq!(duration_ms(245_000), "4 min 05 s");
        assert_eq!(duration_ms(3_720_000), "1 h 02 min");
    }

    #[test]
    fn short_ids_never_panic_on_short_input() {
        assert_eq!(short_id("0123456789abcdef"), "01234567");
        assert_eq!(short_id("abc"), "abc");
    }

    #[test]
    fn enum_values_read_as_their_json_word() {
        #[derive(Serialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            ApplicationServer,
        }
        assert_eq!(json_word(&Kind::ApplicationServer), "application_server");
        assert_eq!(json_word(&3), "3");
    }
}
