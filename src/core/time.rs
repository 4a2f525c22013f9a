//! Time helpers for the production data's naive-UTC `timestamp(3)` columns.
//!
//! Prisma writes `DateTime` as `timestamp(3) without time zone` in UTC
//! (contract §1.1). The panel therefore works in [`NaiveDateTime`] values that
//! are UTC by convention, truncated to milliseconds like the database keeps them.

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};

/// A naive UTC timestamp as the production tables store it.
pub type UtcNaive = NaiveDateTime;

/// Truncates to whole milliseconds, the precision of `timestamp(3)`.
pub fn to_millis(t: UtcNaive) -> UtcNaive {
    let nanos = t.nanosecond() % 1_000_000_000;
    let ms = nanos / 1_000_000;
    t.with_nanosecond(ms * 1_000_000).unwrap_or(t)
}

/// The start of the minute that contains `t`.
pub fn floor_minute(t: UtcNaive) -> UtcNaive {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

/// Converts an aware UTC instant to the naive form the tables use.
pub fn naive(t: DateTime<Utc>) -> UtcNaive {
    to_millis(t.naive_utc())
}

/// Serializes a time as [`rfc3339`] (for `#[serde(serialize_with)]`).
pub fn serialize_rfc3339<S: serde::Serializer>(t: &UtcNaive, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// RFC 3339 UTC with milliseconds (`2026-11-26T05:02:44.123Z`), as reports,
/// CSV files and audit details write times.
pub fn rfc3339(t: UtcNaive) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Seconds since the Unix epoch, as the plots use on their x axis.
pub fn epoch_seconds(t: UtcNaive) -> f64 {
    t.and_utc().timestamp_millis() as f64 / 1000.0
}

/// Formats an age such as "4 s", "3 min", "2 h 5 min" for "last read … ago".
pub fn format_age(age: Duration) -> String {
    let secs = age.num_seconds().max(0);
    if secs < 60 {
        format!("{secs} s")
    } else if secs < 3600 {
        format!("{} min", secs / 60)
    } else if secs < 86_400 {
        let m = (secs % 3600) / 60;
        if m == 0 {
            format!("{} h", secs / 3600)
        } else {
            format!("{} h {m} min", secs / 3600)
        }
    } else {
        format!("{} d {} h", secs / 86_400, (secs % 86_400) / 3600)
    }
}

/// How long until [`format_age`] of `age` reads differently: the next whole
/// second while it counts seconds, else the next whole minute.
pub fn until_age_text_changes(age: Duration) -> Duration {
    let ms = age.num_milliseconds().max(0);
    let unit = if ms < 60_000 { 1_000 } else { 60_000 };
    Duration::milliseconds(unit - ms % unit)
}

/// Parses the text forms timestamps take in SQLite (`2026-02-20 10:00:00.123`,
/// with or without fraction, `T` separator or trailing `Z`).
pub fn parse_naive(text: &str) -> Option<UtcNaive> {
    let text = text.trim().trim_end_matches('Z');
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(t);
        }
    }
    None
}

/// The longest window the panel reads: ten years (a bound, so no date
/// arithmetic can overflow; the app keeps `AIInteraction` 30 days).
pub const MAX_WINDOW_DAYS: i64 = 3660;

/// A window length as people write it: `90m`, `72h`, `2d` (a whole number
/// and one unit), at most [`MAX_WINDOW_DAYS`] days.
pub fn parse_window(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let per_unit: i64 = match unit {
        "m" => 1,
        "h" => 60,
        "d" => 24 * 60,
        _ if number.is_empty() => {
            return Err(format!(
                "{text:?} is not a window: write a whole number and m, h or d, e.g. 72h"
            ));
        }
        _ => {
            return Err(format!(
                "{text:?} is not a window: the unit must be m, h or d, e.g. 72h"
            ));
        }
    };
    let too_long = || format!("{text:?} is too long a window: at most {MAX_WINDOW_DAYS}d");
    // Digits only: a parse error is an overflow.
    let n: i64 = number.parse().map_err(|_| {
        if number.is_empty() {
            format!("{text:?} is not a window: write a whole number and m, h or d, e.g. 72h")
        } else {
            too_long()
        }
    })?;
    if n <= 0 {
        return Err(format!(
            "{text:?} is not a window: it must be longer than zero"
        ));
    }
    let minutes = n.checked_mul(per_unit).ok_or_else(too_long)?;
    if minutes > MAX_WINDOW_DAYS * 24 * 60 {
        return Err(too_long());
    }
    Ok(Duration::minutes(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn an_age_text_changes_at_the_next_whole_second_then_minute() {
        let ms = Duration::milliseconds;
        assert_eq!(until_age_text_changes(ms(4_300)), ms(700));
        assert_eq!(until_age_text_changes(ms(0)), ms(1_000));
        assert_eq!(until_age_text_changes(ms(59_999)), ms(1));
        // "1 min" until "2 min".
        assert_eq!(until_age_text_changes(ms(60_000)), ms(60_000));
        assert_eq!(until_age_text_changes(ms(150_000)), ms(30_000));
        // A clock that went back reads "0 s" for a second.
        assert_eq!(until_age_text_changes(ms(-5_000)), ms(1_000));
        // Whatever the age, the text is the same until then and differs after.
        for age in [0, 999, 1_000, 59_000, 59_999, 61_234, 3_599_999, 7_260_000] {
            let next = until_age_text_changes(ms(age));
            assert_eq!(format_age(ms(age)), format_age(ms(age) + next - ms(1)));
            assert_ne!(format_age(ms(age)), format_age(ms(age) + next));
        }
    }

    fn t(h: u32, m: u32, s: u32, ms: u32) -> UtcNaive {
        NaiveDate::from_ymd_opt(2026, 2, 20)
            .unwrap()
            .and_hms_milli_opt(h, m, s, ms)
            .unwrap()
    }

    #[test]
    fn truncates_to_millis_and_minutes() {
        let x = t(10, 5, 7, 123) + Duration::nanoseconds(456_789);
        assert_eq!(to_millis(x), t(10, 5, 7, 123));
        assert_eq!(floor_minute(x), t(10, 5, 0, 0));
    }

    #[test]
    fn formats_ages() {
        assert_eq!(format_age(Duration::seconds(4)), "4 s");
        assert_eq!(format_age(Duration::seconds(-3)), "0 s");
        assert_eq!(format_age(Duration::seconds(185)), "3 min");
        assert_eq!(format_age(Duration::seconds(7200)), "2 h");
        assert_eq!(format_age(Duration::seconds(7500)), "2 h 5 min");
        assert_eq!(format_age(Duration::seconds(90_000)), "1 d 1 h");
    }

    #[test]
    fn parses_sqlite_text_forms() {
        assert_eq!(
            parse_naive("2026-02-20 10:05:07.123"),
            Some(t(10, 5, 7, 123))
        );
        assert_eq!(parse_naive("2026-02-20 10:05:07"), Some(t(10, 5, 7, 0)));
        assert_eq!(parse_naive("2026-02-20T10:05:07Z"), Some(t(10, 5, 7, 0)));
        assert_eq!(parse_naive("2026-02-20 10:05"), Some(t(10, 5, 0, 0)));
        assert_eq!(parse_naive("yesterday"), None);
    }

    #[test]
    fn windows_parse_as_people_write_them() {
        assert_eq!(parse_window("72h"), Ok(Duration::hours(72)));
        assert_eq!(parse_window(" 90m "), Ok(Duration::minutes(90)));
        assert_eq!(parse_window("2d"), Ok(Duration::days(2)));
        assert!(parse_window("0h").unwrap_err().contains("longer than zero"));
        assert!(parse_window("72").unwrap_err().contains("unit"));
        assert!(parse_window("h").unwrap_err().contains("whole number"));
        assert!(parse_window("1.5h").unwrap_err().contains("unit"));
        assert!(
            parse_window("100000000d")
                .unwrap_err()
                .contains("at most 3660d")
        );
        assert!(
            parse_window("99999999999999999999999m")
                .unwrap_err()
                .contains("at most")
        );
        assert!(parse_window("3661d").is_err());
        assert_eq!(parse_window("3660d"), Ok(Duration::days(3660)));
    }
}
