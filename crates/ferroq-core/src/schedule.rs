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
    /// A cron pattern (as given, and parsed), read in the schedule's time zone.
    Pattern(String, Box<croner::Cron>),
    /// Every n ms after the first job (BullMQ 5's job schedulers).
    Every(u64),
}

/// A job scheduler's timing.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub repeat: Repeat,
    /// The pattern's time zone (UTC unless `tz`).
    pub tz: Tz,
    /// `tz` as given.
    pub tz_name: Option<String>,
    /// No job is due before this time (ms).
    pub start_date: Option<u64>,
    /// No job is due after this time (ms).
    pub end_date: Option<u64>,
    /// At most this many jobs in all.
    pub limit: Option<u64>,
    /// Shift of an `every` schedule's first due time (ms).
    pub offset: u64,
    /// A pattern's first job is due at once (BullMQ's `immediately`; an `every`
    /// schedule's first job always is).
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
                Repeat::Pattern(text.clone(), Box::new(cron))
            }
            (Some(other), None) => {
                return Err(Error::invalid(
                    "pattern",
                    format!("must be a string, got {other}"),
                ))
            }
            (None, Some(every)) => Repeat::Every(whole("every", every, 1)?),
        };
        let tz_name = match field(map, "tz") {
            None => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(other) => {
                return Err(Error::invalid(
                    "tz",
                    format!("must be a string, got {other}"),
                ))
            }
        };
        let tz = match &tz_name {
            None => Tz::UTC,
            Some(name) => Tz::from_str(name)
                .map_err(|_| Error::invalid("tz", format!("is not an IANA time zone: {name:?}")))?,
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
        if immediately && start_date.is_some() {
            return Err(Error::invalid(
                "immediately",
                "cannot be given with `startDate` (the first job would be due twice)",
            ));
        }
        Ok(Self {
            repeat,
            tz,
            tz_name,
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

    /// When the first job is due, for a scheduler set up at `now` (ms): an `every`
    /// schedule's at once (BullMQ 5), a pattern's at its first match (at once with
    /// `immediately`); never before `startDate`. `None` once the schedule has ended.
    pub fn first_due(&self, now: u64) -> Option<u64> {
        let from = now.max(self.start_date.unwrap_or(0));
        let due = match &self.repeat {
            Repeat::Every(_) => from + self.offset,
            Repeat::Pattern(..) if self.immediately => from,
            Repeat::Pattern(_, cron) => self.match_after(cron, from.saturating_sub(1))?,
        };
        self.within_end(due)
    }

    /// When the job after one due at `prev` is due, computed as that job starts at
    /// `now`: the first due time after both, so that a scheduler whose workers were
    /// down for an hour makes one job, not one per missed run. An `every` schedule
    /// keeps its phase. `None` once the schedule has ended.
    pub fn next_due(&self, prev: u64, now: u64) -> Option<u64> {
        let due = match &self.repeat {
            Repeat::Every(every) => {
                let next = prev.saturating_add(*every);
                if next > now {
                    next
                } else {
                    prev + ((now - prev) / every + 1) * every
                }
            }
            Repeat::Pattern(_, cron) => self.match_after(cron, prev.max(now))?,
        };
        self.within_end(due)
    }

    /// The pattern's first match strictly after `after` (ms), in the schedule's zone.
    fn match_after(&self, cron: &croner::Cron, after: u64) -> Option<u64> {
        let after = after.max(self.start_date.unwrap_or(0).saturating_sub(1));
        let from = Utc
            .timestamp_millis_opt(after as i64)
            .single()?
            .with_timezone(&self.tz);
        let next = cron.find_next_occurrence(&from, false).ok()?;
        Some(next.timestamp_millis().max(0) as u64)
    }

    fn within_end(&self, due: u64) -> Option<u64> {
        match self.end_date {
            Some(end) if due > end => None,
            _ => Some(due),
        }
    }

    /// The schedule as BullMQ's `RepeatOptions`, dates in ms: what produced jobs carry
    /// as `opts.repeat`, and what tells two upserts of the same schedule apart from a
    /// changed one (the same options give the same text).
    pub fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        match &self.repeat {
            Repeat::Pattern(text, _) => map.insert("pattern".into(), text.clone().into()),
            Repeat::Every(every) => map.insert("every".into(), (*every).into()),
        };
        let optional = [
            ("tz", self.tz_name.clone().map(Value::from)),
            ("startDate", self.start_date.map(Value::from)),
            ("endDate", self.end_date.map(Value::from)),
            ("limit", self.limit.map(Value::from)),
            ("offset", (self.offset > 0).then_some(self.offset.into())),
            ("immediately", self.immediately.then_some(true.into())),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.into(), value);
            }
        }
        Value::Object(map)
    }

    /// The id of the scheduler behind a BullMQ 5 repeatable job (`add` with `repeat`):
    /// its key `name:jobId:endDate:tz:pattern-or-every`, as `getRepeatableJobs` lists it.
    pub fn legacy_key(&self, name: &str, job_id: Option<&str>) -> String {
        let every_or_pattern = match &self.repeat {
            Repeat::Pattern(text, _) => text.clone(),
            Repeat::Every(every) => every.to_string(),
        };
        format!(
            "{name}:{}:{}:{}:{every_or_pattern}",
            job_id.unwrap_or(""),
            self.end_date.map_or(String::new(), |d| d.to_string()),
            self.tz_name.as_deref().unwrap_or(""),
        )
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
        let next = s.first_due(ms("2026-12-02T12:00:00Z")).unwrap();
        assert_eq!(iso(next), "2026-12-07T13:00:00+00:00");
        // In July, daylight-saving time (EDT, UTC-4).
        let summer = s.first_due(ms("2026-07-01T00:00:00Z")).unwrap();
        assert_eq!(iso(summer), "2026-07-06T12:00:00+00:00");
    }

    #[test]
    fn daylight_saving_changes_neither_skip_nor_double_a_day() {
        // 2:30 does not exist in Berlin on 2026-03-29 (clocks jump 2:00 → 3:00), and
        // exists twice on 2026-10-25. Each day still gets exactly one job.
        let s = Schedule::parse(&json!({"pattern": "30 2 * * *", "tz": "Europe/Berlin"})).unwrap();
        // The days of the four jobs after `from`, each due after the one before.
        let four_days_after = |from: &str| {
            let mut at = ms(from);
            (0..4)
                .map(|_| {
                    at = s.next_due(at, at).unwrap();
                    iso(at)[..10].to_string()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            four_days_after("2026-03-27T12:00:00Z"),
            ["2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31"]
        );
        assert_eq!(
            four_days_after("2026-10-23T12:00:00Z"),
            ["2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27"]
        );
    }

    #[test]
    fn seconds_every_and_bounds() {
        let s = Schedule::parse(&json!({"pattern": "*/10 * * * * *"})).unwrap();
        assert_eq!(
            s.first_due(ms("2026-01-01T00:00:03Z")),
            Some(ms("2026-01-01T00:00:10Z"))
        );
        // A job due at :10 that starts at :10.5 is followed by :20's.
        assert_eq!(
            s.next_due(ms("2026-01-01T00:00:10Z"), ms("2026-01-01T00:00:10.500Z")),
            Some(ms("2026-01-01T00:00:20Z"))
        );
        let every = Schedule::parse(&json!({"every": 1000, "offset": 250})).unwrap();
        assert_eq!(every.first_due(10_000), Some(10_250));
        assert_eq!(every.next_due(10_250, 10_300), Some(11_250));
        // Workers were down for an hour: one next job, in phase, not 3,600.
        assert_eq!(every.next_due(10_250, 3_610_300), Some(3_611_250));
        let bounded = Schedule::parse(&json!({
            "every": 1000,
            "startDate": "2026-01-01T00:00:00Z",
            "endDate": ms("2026-01-01T00:00:02Z"),
        }))
        .unwrap();
        assert_eq!(bounded.first_due(0), Some(ms("2026-01-01T00:00:00Z")));
        assert_eq!(
            bounded.next_due(ms("2026-01-01T00:00:02Z"), ms("2026-01-01T00:00:02Z")),
            None,
            "past endDate"
        );
        let at_once =
            Schedule::parse(&json!({"pattern": "0 8 * * 1", "immediately": true})).unwrap();
        assert_eq!(at_once.first_due(5_000), Some(5_000));
    }

    #[test]
    fn same_options_same_text_and_legacy_keys() {
        let a = Schedule::parse(
            &json!({"tz": "Europe/Berlin", "pattern": "0 * * * *", "endDate": 5000}),
        )
        .unwrap();
        let b = Schedule::parse(
            &json!({"endDate": 5000, "pattern": "0 * * * *", "tz": "Europe/Berlin"}),
        )
        .unwrap();
        assert_eq!(a.to_json().to_string(), b.to_json().to_string());
        assert_eq!(
            Schedule::parse(&a.to_json()).unwrap().to_json(),
            a.to_json()
        );
        assert_eq!(
            a.legacy_key("report", None),
            "report::5000:Europe/Berlin:0 * * * *"
        );
        let every = Schedule::parse(&json!({"every": 500})).unwrap();
        assert_eq!(every.legacy_key("tick", Some("x")), "tick:x:::500");
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
        assert_eq!(
            field_of(json!({"pattern": "* * * * *", "immediately": true, "startDate": 5})),
            "immediately"
        );
    }
}
