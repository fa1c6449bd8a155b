//! Durations (`5m`, `1h30m`, `500ms`) and planned times (`T-15m`, `02:00:15`, a date-time).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

/// Parses a duration written as units run together: `90s`, `5m`, `1h30m`, `7d`, `500ms`.
/// The longest duration or offset a runbook or a series may state: a hundred years. Every
/// time warroom computes from one (T0 plus an offset, a deadline) stays far inside what a
/// date can hold, so no arithmetic on it can overflow.
pub const LONGEST: TimeDelta = TimeDelta::days(36_500);

pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err(
            "expected a duration such as `30s`, `5m` or `1h30m`, found an empty string".into(),
        );
    }
    if s == "0" {
        return Ok(TimeDelta::zero());
    }
    let mut total = TimeDelta::zero();
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "`{text}` is not a duration: expected a number before the unit (e.g. `30s`, `5m`, `1h30m`)"
            ));
        }
        let number: i64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => TimeDelta::try_milliseconds(number),
            "s" => TimeDelta::try_seconds(number),
            "m" => TimeDelta::try_minutes(number),
            "h" => TimeDelta::try_hours(number),
            "d" => TimeDelta::try_days(number),
            "" => {
                return Err(format!(
                    "`{text}` has no unit: write `{number}s`, `{number}m`, `{number}h` or `{number}d`"
                ));
            }
            other => {
                return Err(format!(
                    "`{text}` has an unknown unit `{other}`: expected ms, s, m, h or d"
                ));
            }
        };
        total = part
            .and_then(|p| total.checked_add(&p))
            .filter(|t| *t <= LONGEST)
            .ok_or_else(|| format!("`{text}` is longer than a hundred years"))?;
    }
    Ok(total)
}

/// When a step is planned, as written in the runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSpec {
    /// `T-15m`, `T+1h30m`, `T+0`: relative to T0.
    Offset(TimeDelta),
    /// `02:00:15` or `01:45`: a UTC time of day, the occurrence nearest T0 (so it may cross midnight).
    ClockTime(NaiveTime),
    /// `2026-02-07 20:00` or `2026-02-07T20:00:00Z`: a calendar date-time in UTC, for multi-day plans.
    DateTime(DateTime<Utc>),
}

impl TimeSpec {
    pub fn parse(text: &str) -> Result<Self, String> {
        let s = text.trim();
        if let Some(rest) = s.strip_prefix('T').or_else(|| s.strip_prefix('t')) {
            let (sign, body) = match rest.chars().next() {
                Some('+') => (1, &rest[1..]),
                Some('-') => (-1, &rest[1..]),
                _ if rest.is_empty() => (1, "0"),
                _ => {
                    return Err(format!(
                        "`{text}` is not a planned time: after `T` expected `+` or `-` and a duration (e.g. `T-15m`, `T+1h30m`)"
                    ));
                }
            };
            let d = parse_duration(body).map_err(|e| format!("in planned time `{text}`: {e}"))?;
            return Ok(Self::Offset(if sign < 0 { -d } else { d }));
        }
        if let Some(dt) = parse_datetime(s) {
            return Ok(Self::DateTime(dt));
        }
        for fmt in ["%H:%M:%S", "%H:%M"] {
            if let Ok(t) = NaiveTime::parse_from_str(s, fmt) {
                return Ok(Self::ClockTime(t));
            }
        }
        Err(format!(
            "`{text}` is not a planned time: expected `T-15m`/`T+1h30m`, a UTC time of day `02:00:15`, or a date-time `2026-02-07 20:00`"
        ))
    }

    /// The offset from T0 this spec means. Clock and calendar times need T0.
    pub fn offset_from(&self, t0: Option<DateTime<Utc>>) -> Option<TimeDelta> {
        match self {
            Self::Offset(d) => Some(*d),
            Self::DateTime(dt) => t0.map(|t0| *dt - t0),
            Self::ClockTime(t) => {
                let t0 = t0?;
                let date = t0.date_naive();
                // The occurrence nearest T0: a 23:50 step before a 00:30 T0 is 40 minutes early.
                [date.pred_opt(), Some(date), date.succ_opt()]
                    .into_iter()
                    .flatten()
                    .map(|d| NaiveDateTime::new(d, *t).and_utc() - t0)
                    .min_by_key(|delta| delta.num_seconds().abs())
            }
        }
    }
}

/// A UTC date-time: RFC 3339 (`2026-02-08T02:00:00Z`) or `2026-02-08 02:00[:00]`.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc())
}

/// `T-00:14:32` / `T+01:02:10`; days are folded into hours (`T+72:00:00`).
pub fn format_t_offset(delta: TimeDelta) -> String {
    let sign = if delta < TimeDelta::zero() { '-' } else { '+' };
    let secs = delta.num_seconds().abs();
    // Days as the timeline writes them (`T-11d4h`), not 268 hours.
    let days = if secs >= 86_400 {
        format!("{}d", secs / 86_400)
    } else {
        String::new()
    };
    format!(
        "T{sign}{days}{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// A compact duration for tables: `45s`, `12m`, `1h30m`, `3d4h`.
pub fn format_duration(delta: TimeDelta) -> String {
    let secs = delta.num_seconds().abs();
    let sign = if delta < TimeDelta::zero() { "-" } else { "" };
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let body = if d > 0 {
        if h > 0 {
            format!("{d}d{h}h")
        } else {
            format!("{d}d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h}h{m:02}m")
        } else {
            format!("{h}h")
        }
    } else if m > 0 {
        if s > 0 {
            format!("{m}m{s:02}s")
        } else {
            format!("{m}m")
        }
    } else {
        format!("{s}s")
    };
    format!("{sign}{body}")
}

/// A planned offset the way a runbook writes it: `T-15m`, `T+1h30m`, `T+0`.
pub fn format_planned(delta: TimeDelta) -> String {
    if delta == TimeDelta::zero() {
        return "T+0".into();
    }
    let sign = if delta < TimeDelta::zero() { '-' } else { '+' };
    format!("T{sign}{}", format_duration(delta.abs()))
}

/// A clock time as someone on the night reads it: `06:40` today, `Sat 7 Mar 06:40` on
/// another day.
pub fn format_clock_near(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M").to_string()
    } else {
        t.format("%a %-d %b %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(TimeDelta::seconds(90)));
        assert_eq!(parse_duration("1h30m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("7d"), Ok(TimeDelta::days(7)));
        assert_eq!(parse_duration("500ms"), Ok(TimeDelta::milliseconds(500)));
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("5x")
                .unwrap_err()
                .contains("unknown unit `x`")
        );
        assert!(parse_duration("m5").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn planned_times() {
        assert_eq!(
            TimeSpec::parse("T-15m"),
            Ok(TimeSpec::Offset(TimeDelta::minutes(-15)))
        );
        assert_eq!(
            TimeSpec::parse("T+72h"),
            Ok(TimeSpec::Offset(TimeDelta::hours(72)))
        );
        assert_eq!(
            TimeSpec::parse("T-7d"),
            Ok(TimeSpec::Offset(TimeDelta::days(-7)))
        );
        assert_eq!(
            TimeSpec::parse("T+0"),
            Ok(TimeSpec::Offset(TimeDelta::zero()))
        );
        assert!(TimeSpec::parse("T*5m").is_err());
        assert!(TimeSpec::parse("25:00").is_err());
        assert!(matches!(
            TimeSpec::parse("2026-02-07 20:00"),
            Ok(TimeSpec::DateTime(_))
        ));
    }

    #[test]
    fn clock_times_cross_midnight() {
        let t0 = parse_datetime("2026-02-08T00:30:00Z");
        let before = TimeSpec::parse("23:50").unwrap();
        assert_eq!(before.offset_from(t0), Some(TimeDelta::minutes(-40)));
        let after = TimeSpec::parse("02:00:15").unwrap();
        assert_eq!(
            after.offset_from(t0),
            Some(TimeDelta::seconds(90 * 60 + 15))
        );
        assert_eq!(after.offset_from(None), None);
    }

    #[test]
    fn formatting() {
        assert_eq!(
            format_t_offset(TimeDelta::seconds(-(14 * 60 + 32))),
            "T-00:14:32"
        );
        assert_eq!(format_t_offset(TimeDelta::seconds(3730)), "T+01:02:10");
        assert_eq!(format_planned(TimeDelta::minutes(-15)), "T-15m");
        assert_eq!(format_planned(TimeDelta::minutes(90)), "T+1h30m");
        assert_eq!(format_duration(TimeDelta::seconds(75)), "1m15s");
    }
}
