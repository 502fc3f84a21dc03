//! The one place in the program that reads the wall clock and the system time zone, and
//! parses `--at`. The core takes "now" as an argument; the rest of the shell asks here
//! (monotonic timers for sleeps and budgets excepted: they measure, not date).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use crate::engine::status::Now;
use crate::model::Zone;

/// An invalid `--at` value, with what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtError(String);

impl std::fmt::Display for AtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AtError {}

/// The wall clock, for what is stamped rather than scheduled (a state file set aside).
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// The system's zone (from `TZ` or `/etc/localtime`), else UTC.
pub fn system_zone() -> Zone {
    match crate::config::zoneinfo::system() {
        Some(tz) => Zone {
            name: tz.iana_name().unwrap_or("system").to_owned(),
            tz,
        },
        None => Zone {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        },
    }
}

/// "Now": the `--at` value if given (evaluated in `zone`), else the wall clock.
pub fn now_in(zone: &TimeZone, at: Option<&str>) -> Result<Zoned, AtError> {
    match at {
        Some(text) => parse_at(text, zone),
        None => Ok(Timestamp::now().to_zoned(zone.clone())),
    }
}

/// "Now" for the core, with the instant it stands for (written in `zone`, the user's):
/// `--at` with a date alone is that date in every calendar (DESIGN.md §2), and stands for
/// the start of that day in `zone`.
pub fn now_for_core(zone: &TimeZone, at: Option<&str>) -> Result<(Zoned, Now), AtError> {
    let now = now_in(zone, at)?;
    // jiff reads a date out of a datetime too: a date alone has no time part at all.
    let date_alone = at.is_some_and(|text| {
        let text = text.trim();
        !text.contains(['T', 't', ' ']) && text.parse::<Date>().is_ok()
    });
    let core = if date_alone {
        Now::on_day(now.date())
    } else {
        Now::at(&now)
    };
    Ok((now, core))
}

/// The daemon's wall clock. `NUMKEEP_CLOCK_FILE`, a hook for tests of clock steps, names a
/// file holding an RFC 3339 instant: the clock then reads that instant and runs on from it
/// (on the monotonic clock) until the file's text changes, which is a step. An unreadable or
/// unparsable file falls back to the real clock.
pub fn daemon_now() -> Timestamp {
    match std::env::var_os("NUMKEEP_CLOCK_FILE") {
        Some(path) => injected_now(std::path::Path::new(&path)).unwrap_or_else(Timestamp::now),
        None => Timestamp::now(),
    }
}

/// The longest the daemon sleeps before it reads the wall clock again: `longest`, or less
/// under `NUMKEEP_CLOCK_LOOK_MS` (milliseconds), a hook for tests that step the clock
/// through `NUMKEEP_CLOCK_FILE` and cannot wait minutes for the daemon to see a step.
pub fn longest_sleep(longest: std::time::Duration) -> std::time::Duration {
    std::env::var("NUMKEEP_CLOCK_LOOK_MS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .map_or(longest, |millis| {
            longest.min(std::time::Duration::from_millis(millis))
        })
}

fn injected_now(path: &std::path::Path) -> Option<Timestamp> {
    use std::sync::{Mutex, PoisonError};
    use std::time::Instant;
    /// The file's last text, the instant it gave, and when it was first read.
    static STEP: Mutex<Option<(String, Timestamp, Instant)>> = Mutex::new(None);
    let text = std::fs::read_to_string(path).ok()?;
    let mut step = STEP.lock().unwrap_or_else(PoisonError::into_inner);
    if step.as_ref().is_none_or(|(seen, _, _)| *seen != text) {
        let instant = text.trim().parse::<Timestamp>().ok()?;
        *step = Some((text, instant, Instant::now()));
    }
    let (_, instant, since) = step.as_ref()?;
    instant.checked_add(since.elapsed()).ok()
}

/// Accepts `2026-11-23` (start of that day), `2026-11-23T09:00` (a civil time in `zone`) or
/// an RFC 3339 instant (`2026-11-23T09:00:00+03:00`, `…Z`).
pub fn parse_at(text: &str, zone: &TimeZone) -> Result<Zoned, AtError> {
    let text = text.trim();
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(instant.to_zoned(zone.clone()));
    }
    // jiff reads a date out of a datetime too: only a text with a time part is one.
    if let Ok(datetime) = text.parse::<DateTime>()
        && text.contains(['T', 't', ' '])
    {
        return datetime
            .to_zoned(zone.clone())
            .map_err(|error| AtError(format!("invalid --at {text:?}: {error}")));
    }
    if let Ok(date) = text.parse::<Date>() {
        return date
            .to_zoned(zone.clone())
            .map_err(|error| AtError(format!("invalid --at {text:?}: {error}")));
    }
    Err(AtError(format!(
        "invalid --at {text:?}: use a date (2026-11-23), a local time (2026-11-23T09:00) or RFC 3339 (2026-11-23T09:00:00+03:00)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_accepts_dates_local_times_and_instants() {
        let zone = TimeZone::get("Asia/Kuwait").unwrap();
        let cases = [
            ("2026-11-23", "2026-11-23T00:00:00+03:00[Asia/Kuwait]"),
            ("2026-11-23T09:00", "2026-11-23T09:00:00+03:00[Asia/Kuwait]"),
            ("2026-11-23 09:00", "2026-11-23T09:00:00+03:00[Asia/Kuwait]"),
            ("2026-11-23t09:00", "2026-11-23T09:00:00+03:00[Asia/Kuwait]"),
            (
                "2026-11-23T09:00:00Z",
                "2026-11-23T12:00:00+03:00[Asia/Kuwait]",
            ),
            (
                "2026-11-23T09:00:00-05:00",
                "2026-11-23T17:00:00+03:00[Asia/Kuwait]",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_at(text, &zone).unwrap().to_string(),
                expected,
                "{text}"
            );
        }
        assert!(parse_at("tomorrow", &zone).is_err());
        let day = jiff::civil::date(2026, 11, 23);
        let (_, core) = now_for_core(&zone, Some("2026-11-23")).unwrap();
        assert_eq!((core, core.instant()), (Now::on_day(day), None));
        let (_, core) = now_for_core(&zone, Some("2026-11-23T23:30")).unwrap();
        assert_eq!(
            core.today_in(&TimeZone::get("Asia/Shanghai").unwrap()),
            day.tomorrow().unwrap()
        );
        assert!(parse_at("2026-02-30", &zone).is_err());
    }
}
