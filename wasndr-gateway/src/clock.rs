//! Time in the gateway: milliseconds since the Unix epoch in storage, RFC 3339 on the wire, and the UTC
//! calendar month that the quota counts in.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::GatewayError;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `ms` as an RFC 3339 UTC timestamp with millisecond precision, e.g. `2026-04-01T00:00:00.000Z`.
pub fn to_rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
        return String::new();
    };
    let (year, month, day) = (at.year(), u8::from(at.month()), at.day());
    let (hour, minute, second, milli) = (at.hour(), at.minute(), at.second(), at.millisecond());
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
}

/// Parses an ISO 8601 / RFC 3339 timestamp (`2026-04-01T00:00:00Z`) or a plain date (`2026-04-01`, read
/// as midnight UTC) into milliseconds since the epoch; `field` names the request field on failure.
pub fn parse_timestamp(field: &str, text: &str) -> Result<i64, GatewayError> {
    let text = text.trim();
    let parsed = if text.len() == 10 {
        OffsetDateTime::parse(&format!("{text}T00:00:00Z"), &Rfc3339)
    } else {
        OffsetDateTime::parse(text, &Rfc3339)
    };
    parsed
        .map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            GatewayError::invalid(
                field,
                "expected an ISO 8601 date or timestamp, e.g. 2026-04-01T00:00:00Z",
            )
        })
}

/// The quota period containing `ms`: its key (`YYYY-MM`, UTC) and when the next one starts (ms).
pub fn month_period(ms: i64) -> (String, i64) {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let (year, month) = (at.year(), u8::from(at.month()));
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let next = days_from_civil(i64::from(next_year), u32::from(next_month), 1) * 86_400_000;
    (format!("{year:04}-{month:02}"), next)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let ms = parse_timestamp("startDate", "2026-04-01T12:34:56.789Z").unwrap();
        assert_eq!(to_rfc3339(ms), "2026-04-01T12:34:56.789Z");
        assert_eq!(parse_timestamp("d", "1970-01-02").unwrap(), 86_400_000);
        assert_eq!(
            parse_timestamp("d", "2026-04-01T02:00:00+02:00").unwrap(),
            1_775_001_600_000
        );
        let err = parse_timestamp("endDate", "yesterday").unwrap_err();
        assert!(err.to_string().starts_with("endDate:"));
    }

    #[test]
    fn month_periods_roll_over_in_utc() {
        let dec = parse_timestamp("t", "2026-12-31T23:59:59Z").unwrap();
        let (key, next) = month_period(dec);
        assert_eq!(key, "2026-12");
        assert_eq!(to_rfc3339(next), "2027-01-01T00:00:00.000Z");
        let feb = parse_timestamp("t", "2028-02-10T00:00:00Z").unwrap();
        assert_eq!(to_rfc3339(month_period(feb).1), "2028-03-01T00:00:00.000Z");
    }
}
