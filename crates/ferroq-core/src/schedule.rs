//! When a job scheduler's jobs are due (BullMQ's `RepeatOptions`): a cron `pattern`
//! (five fields, or six with seconds) in an IANA time zone, or `every` n ms, bounded
//! by `startDate`, `endDate` and `limit`. Cron patterns and time zones are read by
//! well-kept crates (croner, chrono-tz); nothing here parses them by hand.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::options::{get as field, integer_in};

/// How a schedule repeats.
#[derive(Clone, Debug)]
pub enum Repeat {
    /// A cron pattern, read in the schedule's time zone.
    Pattern(Box<croner::Cron>),
    /// Every n ms, on multiples of n (plus `offset`) since the epoch, as BullMQ's.
    Every(u64),
}

/// A job scheduler's timing.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub repeat: Repeat,
    /// The pattern's time zone (UTC unless `tz`).
    pub tz: Tz,
    /// No job is due before this time (ms).
    pub start_date: Option<u64>,
    /// No job is due after this time (ms).
    pub end_date: Option<u64>,
    /// At most this many jobs in all.
    pub limit: Option<u64>,
    /// Shift of an `every` schedule's due times (ms).
    pub offset: u64,
    /// The first job is due at once (BullMQ's `immediately`).
    pub immediately: bool,
}

/// Largest count or time (ms) a schedule takes.
const MAX_WHOLE: u64 = 1 << 53;

fn whole(field_name: &str, value: &Value, min: u64) -> Result<u64> {
    integer_in(field_name, value, min, MAX_WHOLE)
}

/// A date as BullMQ takes it: ms since the epoch, or an ISO 8601 text (a JavaScript
/// `Date` arrives as one).
fn date(field_name: &str, value: &Value) -> Result<u64> {
    match value {
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .map(|d| d.timestamp_millis().max(0) as u64)
            .map_err(|e| {
                Error::invalid(
                    field_name,
                    format!("is not an ISO 8601 date ({e}): {text:?}"),
                )
            }),
        other => whole(field_name, other, 0),
    }
}

impl Schedule {
    /// Reads BullMQ's `RepeatOptions`: `pattern` (or Bull's `cron`) or `every`, and
    /// `tz`, `limit`, `startDate`, `endDate`, `immediately`, `offset`.
    pub fn parse(value: &Value) -> Result<Self> {
        let Value::Object(map) = value else {
            return Err(Error::invalid(
                "repeat",
                format!("must be an object, got {value}"),
            ));
        };
        let pattern = field(map, "pattern").or_else(|| field(map, "cron"));
        let every = field(map, "every");
        let repeat = match (pattern, every) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "repeat",
                    "takes `pattern` or `every`, not both",
                ))
            }
            (None, None) => return Err(Error::invalid("repeat", "needs `pattern` or `every`")),
            (Some(Value::String(text)), None) => {
                let cron = CronParser::builder()
                    .seconds(Seconds::Optional)
                    .build()
                    .parse(text)
                    .map_err(|e| {
                        Error::invalid("pattern", format!("is not a cron pattern ({e}): {text:?}"))
                    })?;
                Repeat::Pattern(Box::new(cron))
            }
            (Some(other), None) => {
                return Err(Error::invalid(
                    "pattern",
                    format!("must be a string, got {other}"),
                ))
            }
            (None, Some(every)) => Repeat::Every(whole("every", every, 1)?),
        };
        let tz = match field(map, "tz") {
            None => Tz::UTC,
            Some(Value::String(name)) => Tz::from_str(name)
                .map_err(|_| Error::invalid("tz", format!("is not an IANA time zone: {name:?}")))?,
            Some(other) => {
                return Err(Error::invalid(
                    "tz",
                    format!("must be a string, got {other}"),
                ))
            }
        };
        let start_date = field(map, "startDate")
            .map(|v| date("startDate", v))
            .transpose()?;
        let end_date = field(map, "endDate")
            .map(|v| date("endDate", v))
            .transpose()?;
        if let (Some(start), Some(end)) = (start_date, end_date) {
            if end < start {
                return Err(Error::invalid("endDate", "must not be before `startDate`"));
            }
        }
        let immediately = match field(map, "immediately") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(Error::invalid(
                    "immediately",
                    format!("must be a boolean, got {other}"),
                ))
            }
        };
        Ok(Self {
            repeat,
            tz,
            start_date,
            end_date,
            limit: field(map, "limit")
                .map(|v| whole("limit", v, 1))
                .transpose()?,
            offset: field(map, "offset")
                .map(|v| whole("offset", v, 0))
                .transpose()?
                .unwrap_or(0),
            immediately,
        })
    }

    /// The first due time strictly after `after` (ms), or `None` once the schedule
    /// has ended (past `endDate`, or a pattern with no later match).
    pub fn next_after(&self, after: u64) -> Option<u64> {
        let after = match self.start_date {
            Some(start) if start > after => start.saturating_sub(1),
            _ => after,
        };
        let due = match &self.repeat {
            Repeat::Every(every) => {
                let base = after.saturating_sub(self.offset % every);
                (base / every + 1) * every + self.offset % every
            }
            Repeat::Pattern(cron) => {
                let from = Utc
                    .timestamp_millis_opt(after as i64)
                    .single()?
                    .with_timezone(&self.tz);
                let next = cron.find_next_occurrence(&from, false).ok()?;
                next.timestamp_millis().max(0) as u64
            }
        };
        match self.end_date {
            Some(end) if due > end => None,
            _ => Some(due),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ms(text: &str) -> u64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis() as u64
    }

    fn iso(at: u64) -> String {
        Utc.timestamp_millis_opt(at as i64).unwrap().to_rfc3339()
    }

    #[test]
    fn a_weekly_pattern_is_due_in_its_time_zone() {
        let s =
            Schedule::parse(&json!({"pattern": "0 8 * * 1", "tz": "America/New_York"})).unwrap();
        // Wednesday 2026-12-02 noon UTC: next Monday 8:00 in New York (EST, UTC-5).
        let next = s.next_after(ms("2026-12-02T12:00:00Z")).unwrap();
        assert_eq!(iso(next), "2026-12-07T13:00:00+00:00");
        // In July, daylight-saving time (EDT, UTC-4).
        let summer = s.next_after(ms("2026-07-01T00:00:00Z")).unwrap();
        assert_eq!(iso(summer), "2026-07-06T12:00:00+00:00");
    }

    #[test]
    fn daylight_saving_changes_neither_skip_nor_double_a_day() {
        // 2:30 does not exist in Berlin on 2026-03-29 (clocks jump 2:00 → 3:00), and
        // exists twice on 2026-10-25. Each day still gets exactly one job.
        let s = Schedule::parse(&json!({"pattern": "30 2 * * *", "tz": "Europe/Berlin"})).unwrap();
        let mut at = ms("2026-03-27T12:00:00Z");
        let mut days = Vec::new();
        for _ in 0..4 {
            at = s.next_after(at).unwrap();
            days.push(iso(at)[..10].to_string());
        }
        assert_eq!(
            days,
            ["2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31"]
        );
        let mut at = ms("2026-10-23T12:00:00Z");
        let mut autumn = Vec::new();
        for _ in 0..4 {
            at = s.next_after(at).unwrap();
            autumn.push(iso(at)[..10].to_string());
        }
        assert_eq!(
            autumn,
            ["2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27"]
        );
    }

    #[test]
    fn seconds_every_and_bounds() {
        let s = Schedule::parse(&json!({"pattern": "*/10 * * * * *"})).unwrap();
        assert_eq!(
            s.next_after(ms("2026-01-01T00:00:03Z")),
            Some(ms("2026-01-01T00:00:10Z"))
        );
        let every = Schedule::parse(&json!({"every": 1000, "offset": 250})).unwrap();
        assert_eq!(every.next_after(10_300), Some(11_250));
        assert_eq!(every.next_after(11_249), Some(11_250));
        let bounded = Schedule::parse(&json!({
            "every": 1000,
            "startDate": "2026-01-01T00:00:00Z",
            "endDate": ms("2026-01-01T00:00:02Z"),
        }))
        .unwrap();
        assert_eq!(bounded.next_after(0), Some(ms("2026-01-01T00:00:00Z")));
        assert_eq!(
            bounded.next_after(ms("2026-01-01T00:00:02Z")),
            None,
            "past endDate"
        );
    }

    #[test]
    fn bad_schedules_name_the_field() {
        let field_of = |v: Value| match Schedule::parse(&v) {
            Err(Error::InvalidOption { field, .. }) => field,
            other => panic!("expected an invalid option, got {other:?}"),
        };
        assert_eq!(field_of(json!({"pattern": "a b c d e f"})), "pattern");
        assert_eq!(field_of(json!({"pattern": "61 * * * *"})), "pattern");
        assert_eq!(
            field_of(json!({"pattern": "0 8 * * 1", "tz": "Mars/Olympus"})),
            "tz"
        );
        assert_eq!(
            field_of(json!({"pattern": "0 8 * * 1", "every": 10})),
            "repeat"
        );
        assert_eq!(field_of(json!({"every": 0})), "every");
        assert_eq!(field_of(json!({"every": 10, "limit": -1})), "limit");
        assert_eq!(field_of(json!({})), "repeat");
    }
}
