//! When the daemon checks: the next `check_at` tick, missed checks, and what to do on each
//! wake-up. Pure: the wall-clock reading is an argument, so clock steps, suspend and
//! daylight-saving changes can be tested by feeding readings.

use std::time::Duration;

use jiff::{Timestamp, Zoned};

use crate::model::Config;

/// The next `check_at` tick strictly after `now`, in the user's zone. croner is
/// DST-correct: a time in the spring-forward gap fires once at the first valid instant, and
/// once in the fall-back overlap. `None` only for a schedule that never fires again.
pub fn next_check(config: &Config, now: &Zoned) -> Option<Zoned> {
    config
        .settings
        .check_at
        .cron
        .find_next_occurrence(now, false)
        .ok()
}

/// Whether a scheduled check was missed: some tick fell after `last_check` and at or before
/// `now`. With no record of any check, the first start counts as a missed check.
pub fn missed_check(config: &Config, last_check: Option<&Zoned>, now: &Zoned) -> bool {
    let Some(last_check) = last_check else {
        return true;
    };
    next_check(config, last_check).is_some_and(|tick| tick <= *now)
}

/// What to do on waking at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// A tick is due (or was passed while the clock jumped or the machine slept).
    Check,
    /// Only a failed send is due for another try.
    Retry,
    /// Nothing yet; sleep again.
    Sleep,
}

/// Decides on a wake-up. The next tick is computed once, after each check, from the time
/// of that check: a clock stepped backward cannot make the same tick fire twice, and a
/// clock stepped forward (or a suspend) past a tick fires it once on the next wake-up.
pub fn on_wake(next_tick: Option<&Zoned>, next_retry: Option<Timestamp>, now: &Zoned) -> Wake {
    if next_tick.is_some_and(|tick| tick <= now) {
        Wake::Check
    } else if next_retry.is_some_and(|retry| retry <= now.timestamp()) {
        Wake::Retry
    } else {
        Wake::Sleep
    }
}

/// How long to sleep: until the tick or the retry, but never more than `longest`, because
/// the monotonic clock used for sleeping does not see wall-clock steps or suspend.
pub fn sleep_for(
    next_tick: Option<&Zoned>,
    next_retry: Option<Timestamp>,
    now: &Zoned,
    longest: Duration,
) -> Duration {
    let until = |instant: Timestamp| {
        Duration::try_from(now.timestamp().duration_until(instant)).unwrap_or(Duration::ZERO)
    };
    let mut sleep = longest;
    if let Some(tick) = next_tick {
        sleep = sleep.min(until(tick.timestamp()));
    }
    if let Some(retry) = next_retry {
        sleep = sleep.min(until(retry));
    }
    sleep
}

/// When the next check is due: the first tick after the last check whose results were
/// saved, or `now` if none ever was. The daemon recomputes this on every wake-up and every
/// reload from the wall clock, and never keeps a tick computed earlier: a reload after the
/// clock jumped past a tick (or a check whose state could not be saved) cannot skip it.
/// `not_before` holds a check back while its failed save waits for a retry.
pub fn check_due_at(
    config: &Config,
    last_completed: Option<&Zoned>,
    not_before: Option<&Zoned>,
    now: &Zoned,
) -> Option<Zoned> {
    let tick = match last_completed {
        Some(last) => next_check(config, last)?,
        None => now.clone(),
    };
    Some(match not_before {
        Some(not_before) if *not_before > tick => not_before.clone(),
        _ => tick,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::read::parse_schedule;
    use crate::engine::plan::plan;
    use crate::engine::status::Now;
    use jiff::tz::TimeZone;
    use std::collections::HashSet;

    fn config(zone: &str, check_at: &str) -> Config {
        let text = format!(
            "[settings]\ntimezone = \"{zone}\"\ncheck_at = \"{check_at}\"\nremind_before = [\"7d\", \"3d\", \"0d\"]\n[[number]]\nnumber = \"+96551234567\"\ntopup_valid_for = \"30d\"\ngrace = \"5d\"\nlast_topup = 2026-11-01\n"
        );
        crate::config::config_from_text(&text)
    }

    fn zoned(text: &str, zone: &str) -> Zoned {
        text.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(TimeZone::get(zone).unwrap())
            .unwrap()
    }

    /// A daemon driven by a list of wall-clock readings, one per wake-up: returns the
    /// readings at which it checked and every reminder key it sent (all deliveries succeed).
    fn drive(config: &Config, start: Zoned, readings: &[Zoned]) -> (Vec<String>, Vec<String>) {
        let mut sent = HashSet::new();
        let mut sent_log = Vec::new();
        let mut checks = Vec::new();
        let mut check = |now: &Zoned, sent: &mut HashSet<String>| {
            checks.push(now.to_string());
            for delivery in plan(config, sent, Now::at(now)).deliveries {
                sent_log.extend(delivery.marks.iter().take(1).cloned());
                sent.extend(delivery.marks);
            }
            next_check(config, now)
        };
        let mut next_tick = next_check(config, &start);
        for now in readings {
            if on_wake(next_tick.as_ref(), None, now) == Wake::Check {
                next_tick = check(now, &mut sent);
            }
        }
        (checks, sent_log)
    }

    #[test]
    fn clock_jumps_forward_a_day_checks_once() {
        let config = config("UTC", "0 9 * * *");
        let start = zoned("2026-11-22T08:00", "UTC");
        // Checked on 22 Nov at 09:00; the clock then jumps to 24 Nov 10:00 (a missed tick
        // on 23 Nov), then time goes on normally.
        let readings = [
            zoned("2026-11-22T09:00", "UTC"),
            zoned("2026-11-24T10:00", "UTC"),
            zoned("2026-11-24T10:05", "UTC"),
            zoned("2026-11-24T10:10", "UTC"),
        ];
        let (checks, sent) = drive(&config, start, &readings);
        assert_eq!(
            checks,
            [
                "2026-11-22T09:00:00+00:00[UTC]",
                "2026-11-24T10:00:00+00:00[UTC]"
            ]
        );
        assert_eq!(
            sent,
            ["log|+96551234567|topup_valid_for|2026-11-30|lead:7d"]
        );
    }

    #[test]
    fn clock_stepped_back_an_hour_does_not_check_twice() {
        let config = config("UTC", "0 9 * * *");
        let start = zoned("2026-11-25T08:59", "UTC");
        let readings = [
            zoned("2026-11-25T09:00", "UTC"),
            // NTP steps the clock back an hour, then it runs past 09:00 again.
            zoned("2026-11-25T08:05", "UTC"),
            zoned("2026-11-25T09:00", "UTC"),
            zoned("2026-11-25T09:05", "UTC"),
            zoned("2026-11-26T09:00", "UTC"),
        ];
        let (checks, _) = drive(&config, start, &readings);
        assert_eq!(
            checks,
            [
                "2026-11-25T09:00:00+00:00[UTC]",
                "2026-11-26T09:00:00+00:00[UTC]"
            ]
        );
    }

    #[test]
    fn machine_asleep_past_several_checks_catches_up_once_without_double_sends() {
        let config = config("UTC", "0 9 * * *");
        let start = zoned("2026-11-20T10:00", "UTC");
        let readings = [
            zoned("2026-11-20T10:05", "UTC"),
            // Suspended from 20 Nov to 28 Nov 07:00: on waking, the 7d and 3d windows are
            // both open and only the more urgent 3d reminder goes out.
            zoned("2026-11-28T07:00", "UTC"),
            zoned("2026-11-28T09:00", "UTC"),
            zoned("2026-11-29T09:00", "UTC"),
        ];
        let (checks, sent) = drive(&config, start, &readings);
        assert_eq!(checks.len(), 3, "{checks:?}");
        assert_eq!(
            sent,
            ["log|+96551234567|topup_valid_for|2026-11-30|lead:3d"]
        );
    }

    #[test]
    fn daylight_saving_changes_fire_every_day_exactly_once() {
        // 02:30 does not exist on 8 March 2026 in New York and happens twice on 1 November.
        for (zone, check_at, from, to) in [
            (
                "America/New_York",
                "30 2 * * *",
                "2026-03-06T00:00",
                "2026-03-11T00:00",
            ),
            (
                "America/New_York",
                "30 1 * * *",
                "2026-10-30T00:00",
                "2026-11-04T00:00",
            ),
            (
                "Europe/London",
                "30 1 * * *",
                "2026-03-27T00:00",
                "2026-04-01T00:00",
            ),
        ] {
            let config = config(zone, check_at);
            let mut now = zoned(from, zone);
            let end = zoned(to, zone);
            let mut days = Vec::new();
            while let Some(tick) = next_check(&config, &now) {
                if tick >= end {
                    break;
                }
                days.push(tick.date());
                now = tick;
            }
            let mut unique = days.clone();
            unique.dedup();
            assert_eq!(days, unique, "{zone} {check_at}: a day fired twice");
            assert_eq!(
                days.len(),
                5,
                "{zone} {check_at}: a day was skipped: {days:?}"
            );
        }
    }

    #[test]
    fn catch_up_and_sleep() {
        let config = config("UTC", "0 9 * * *");
        let now = zoned("2026-11-23T10:00", "UTC");
        assert!(missed_check(
            &config,
            Some(&zoned("2026-11-22T09:00", "UTC")),
            &now
        ));
        assert!(!missed_check(
            &config,
            Some(&zoned("2026-11-23T09:00", "UTC")),
            &now
        ));
        assert!(missed_check(&config, None, &now));
        let tick = next_check(&config, &now).unwrap();
        assert_eq!(tick.to_string(), "2026-11-24T09:00:00+00:00[UTC]");
        let five_minutes = Duration::from_secs(300);
        assert_eq!(
            sleep_for(Some(&tick), None, &now, five_minutes),
            five_minutes
        );
        let soon = zoned("2026-11-24T08:58", "UTC");
        assert_eq!(
            sleep_for(Some(&tick), None, &soon, five_minutes),
            Duration::from_secs(120)
        );
        let retry = now.timestamp() + Duration::from_secs(60);
        assert_eq!(
            sleep_for(Some(&tick), Some(retry), &now, five_minutes),
            Duration::from_secs(60)
        );
        assert_eq!(on_wake(Some(&tick), Some(retry), &now), Wake::Sleep);
        let later = zoned("2026-11-23T10:01", "UTC");
        assert_eq!(on_wake(Some(&tick), Some(retry), &later), Wake::Retry);
        assert_eq!(on_wake(Some(&tick), Some(retry), &tick), Wake::Check);
        assert!(parse_schedule("0 9 * * *").is_ok());
    }

    #[test]
    fn the_due_check_is_recomputed_from_the_last_completed_check() {
        let config = config("UTC", "0 9 * * *");
        let last = zoned("2026-11-22T09:00", "UTC");
        // Before today's tick: wait for it.
        let early = zoned("2026-11-23T08:00", "UTC");
        let due = check_due_at(&config, Some(&last), None, &early).unwrap();
        assert_eq!(due.to_string(), "2026-11-23T09:00:00+00:00[UTC]");
        // The clock jumped past it (an event, not a wake-up, is the first to notice): due.
        let jumped = zoned("2026-11-23T09:30", "UTC");
        let due = check_due_at(&config, Some(&last), None, &jumped).unwrap();
        assert_eq!(on_wake(Some(&due), None, &jumped), Wake::Check);
        // Never checked: due at once.
        assert_eq!(
            check_due_at(&config, None, None, &early),
            Some(early.clone())
        );
        // A check whose save failed waits for its retry, then is due again.
        let retry = zoned("2026-11-23T09:32", "UTC");
        let due = check_due_at(&config, Some(&last), Some(&retry), &jumped).unwrap();
        assert_eq!(due, retry);
        assert_eq!(on_wake(Some(&due), None, &jumped), Wake::Sleep);
        assert_eq!(on_wake(Some(&due), None, &retry), Wake::Check);
        // A retry instant before the tick does not bring the tick forward.
        let due = check_due_at(&config, Some(&last), Some(&early), &early).unwrap();
        assert_eq!(due.to_string(), "2026-11-23T09:00:00+00:00[UTC]");
        // The clock stepped back after a check: the same tick does not fire twice.
        let checked = zoned("2026-11-23T09:00", "UTC");
        let back = zoned("2026-11-23T08:05", "UTC");
        let due = check_due_at(&config, Some(&checked), None, &back).unwrap();
        assert_eq!(due.to_string(), "2026-11-24T09:00:00+00:00[UTC]");
    }
}
