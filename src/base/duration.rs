//! Go-style durations (`90s`, `1h30m`, `1.5h`), as the policy ConfigMap stores them, plus `d` for
//! days on the command line. Parsing is strict and bounded (a year at most): anything else is an
//! error, never a guess and never an overflow later.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest duration anything takes, from the command line or the cluster: one year.
pub const MAX: Duration = Duration::from_secs(8760 * 3600);

const UNITS: &[(&str, f64)] =
    &[("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86400.0)];

/// Parses a duration such as `10m`, `1h30m`, `1.5h` or `7d`. Negative values and bare numbers
/// (other than `0`) are rejected, as Go's `time.ParseDuration` rejects bare numbers.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {text:?}: use a number and a unit, e.g. 90s, 10m, 1h30m or 2d");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(invalid());
    }
    let mut rest = text;
    let mut seconds = 0f64;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(invalid)?;
        let number: f64 = match &rest[..number_len] {
            "" | "." => return Err(invalid()),
            digits => digits.parse().map_err(|_| invalid())?,
        };
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let scale = UNITS.iter().find(|(name, _)| *name == unit).map(|(_, scale)| *scale).ok_or_else(invalid)?;
        seconds += number * scale;
        rest = &rest[unit_len..];
    }
    // Far above any sensible policy, and far below what the time arithmetic could overflow at.
    if !seconds.is_finite() || seconds > MAX.as_secs_f64() {
        return Err(format!("duration {text:?} is too long: at most 8760h (one year)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `at` plus `duration`, or `None` past the calendar's end: never an overflow.
pub fn after(at: DateTime<Utc>, duration: Duration) -> Option<DateTime<Utc>> {
    at.checked_add_signed(chrono::Duration::from_std(duration).ok()?)
}

/// `at` minus `duration`, or `None` before the calendar's start: never an overflow.
pub fn before(at: DateTime<Utc>, duration: Duration) -> Option<DateTime<Utc>> {
    at.checked_sub_signed(chrono::Duration::from_std(duration).ok()?)
}

/// Formats a duration the way a person writes it and Go parses it: `24h`, `1h30m`, `10m`, `45s`.
pub fn format_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    if total == 0 {
        return "0s".to_string();
    }
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    let mut text = String::new();
    for (value, unit) in [(hours, "h"), (minutes, "m"), (seconds, "s")] {
        if value > 0 {
            text.push_str(&format!("{value}{unit}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        parse_duration(text).unwrap().as_secs()
    }

    #[test]
    fn parses_go_style_durations() {
        assert_eq!(secs("10m"), 600);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("1.5h"), 5400);
        assert_eq!(secs("24h"), 86400);
        assert_eq!(secs("2d"), 172800);
        assert_eq!(secs("90s"), 90);
        assert_eq!(secs("0"), 0);
        assert_eq!(parse_duration("1500ms").unwrap(), Duration::from_millis(1500));
    }

    #[test]
    fn rejects_anything_else() {
        for bad in ["", "10", "-5m", "h", "1x", "1h-", "..h", "1.2.3h", "m5", " 5m", "5 m", "1e3s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn rejects_absurd_lengths_without_overflow() {
        for absurd in ["99999999999999999999h", "1000000d", "100000000h", "8761h", "366d", "8760h1s", &"9".repeat(400)]
        {
            let error = parse_duration(absurd).unwrap_err();
            assert!(error.contains("at most 8760h") || error.contains("invalid duration"), "{absurd}: {error}");
        }
        assert_eq!(parse_duration("8760h").unwrap(), MAX);
        assert_eq!(parse_duration("365d").unwrap(), MAX);
    }

    #[test]
    fn time_arithmetic_stops_at_the_calendar_instead_of_overflowing() {
        let now: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
        assert_eq!(after(now, Duration::from_secs(3600)), Some("2026-11-23T11:00:00Z".parse().unwrap()));
        assert_eq!(before(now, Duration::from_secs(3600)), Some("2026-11-23T09:00:00Z".parse().unwrap()));
        for huge in [Duration::MAX, Duration::from_secs(u64::MAX / 2), Duration::from_secs(10_000_000_000_000)] {
            assert_eq!(after(now, huge), None);
            assert_eq!(before(now, huge), None);
        }
        assert_eq!(after(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)), None);
    }

    #[test]
    fn formats_compactly_and_round_trips() {
        assert_eq!(format_duration(Duration::from_secs(86400)), "24h");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(600)), "10m");
        assert_eq!(format_duration(Duration::from_secs(3661)), "1h1m1s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        for text in ["24h", "1h30m", "10m", "1h1m1s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }
}
