//! Integration tests: the daemon's own loop (`numkeep run`, not a loop written here) driven
//! through clock steps, a suspend and daylight-saving changes, in zones that have them. The
//! daemon's clock is `NUMKEEP_CLOCK_FILE`, which the test steps; `NUMKEEP_CLOCK_LOOK_MS`
//! makes it look at the clock every 200 ms instead of every 5 minutes, so that a step is
//! seen at once, as a real step is seen at the next look.
//!
//! The number is in grace throughout, so every check that runs sends one reminder (the
//! grace notice of the user's day, a new key each day): the reminders counted on the mail
//! server, in the log and in the state's sent log are the checks that ran. Each must come
//! once per day the clock passes that day's `check_at` (never skipped), and never again
//! for the same day (never twice).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::support::cli::Scratch;
use crate::support::daemon::Daemon;
use crate::support::smtp_server::{Mode, SmtpServer};

const NUMBER: &str = "+96551234567";

/// A daemon on a stepped clock, a mail server, and everything the daemon logged so far.
struct SteppedDaemon {
    scratch: Scratch,
    server: SmtpServer,
    daemon: Daemon,
    log: RefCell<Vec<String>>,
}

impl SteppedDaemon {
    /// Starts the daemon in `zone` with `check_at`, the number in grace since `act_by`, the
    /// last check at `last_check` and the clock at `clock` (both RFC 3339).
    fn start(zone: &str, check_at: &str, act_by: &str, last_check: &str, clock: &str) -> Self {
        let server = SmtpServer::start(Mode::Plain);
        let scratch = Scratch::with_config(&format!(
            r#"
[settings]
timezone = "{zone}"
check_at = "{check_at}"
remind_before = ["7d"]

[email]
from = "numkeep <alerts@example.org>"
to = ["me@example.org"]
[email.smtp]
host = "127.0.0.1"
port = {port}
tls = "none"

[[number]]
number = "+965 5123 4567"
valid_until = {act_by}
grace = "60d"
"#,
            port = server.port()
        ));
        scratch.write(
            "state/state.json",
            &format!(
                r#"{{"schema": 1, "last_check": "{last_check}", "done": [], "pending": {{}}}}"#
            ),
        );
        scratch.write("clock", clock);
        let clock_file = scratch.path("clock");
        let daemon = Daemon::start_with_notify_and(&scratch, |run| {
            run.env("NUMKEEP_CLOCK_FILE", clock_file)
                .env("NUMKEEP_CLOCK_LOOK_MS", "200")
        });
        daemon.wait_for_notification("READY=1");
        SteppedDaemon {
            scratch,
            server,
            daemon,
            log: RefCell::new(Vec::new()),
        }
    }

    /// Steps the clock to `instant` (RFC 3339); it runs on from there.
    fn step_clock(&self, instant: &str) {
        self.scratch.write("clock", instant);
    }

    fn read_log(&self) {
        let mut log = self.log.borrow_mut();
        while let Ok(line) = self.daemon.log.try_recv() {
            log.push(line);
        }
    }

    fn count_in_log(&self, text: &str) -> usize {
        self.read_log();
        self.log
            .borrow()
            .iter()
            .filter(|line| line.contains(text))
            .count()
    }

    /// Checks that ran, reminders logged and messages received so far.
    fn counts(&self) -> (usize, usize, usize) {
        (
            self.count_in_log("check done"),
            self.count_in_log(&format!("{NUMBER}: past its act-by date")),
            self.server.messages().len(),
        )
    }

    /// Waits until `checks` checks are done, then `settle` more, and asserts that exactly
    /// `checks` checks ran, each with one reminder in the log and one by mail.
    #[track_caller]
    fn expect_checks(&self, checks: usize, settle: Duration, context: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.counts().0 < checks && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(settle);
        assert_eq!(
            self.counts(),
            (checks, checks, checks),
            "{context}: (checks, reminders logged, messages)\n{}",
            self.log.borrow().join("\n")
        );
    }

    /// The sent log: the keys of the state's `done` list, in order.
    fn done(&self) -> Vec<String> {
        let state: serde_json::Value =
            serde_json::from_str(&self.scratch.read("state/state.json")).expect("the state parses");
        state["done"]
            .as_array()
            .expect("a done list")
            .iter()
            .filter_map(|key| key.as_str().map(str::to_owned))
            .collect()
    }

    /// How many of the messages received are grace notices of the number.
    fn grace_notices_mailed(&self) -> usize {
        self.server
            .messages()
            .iter()
            .filter(|message| {
                message
                    .data
                    .contains(&format!("{NUMBER} is past its deadline"))
            })
            .count()
    }

    fn stop(self) {
        self.daemon.signal("TERM");
        assert_eq!(self.daemon.wait(), 0);
    }
}

/// The grace keys of `days` on the log and mail channels, as the sent log holds them.
fn grace_keys(act_by: &str, days: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = days
        .iter()
        .flat_map(|day| {
            ["log", "mailto:me@example.org"]
                .map(|channel| format!("{channel}|{NUMBER}|valid_until|{act_by}|grace:{day}"))
        })
        .collect();
    keys.sort();
    keys
}

fn grace_keys_in(done: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = done
        .iter()
        .filter(|key| key.contains("|grace:"))
        .cloned()
        .collect();
    keys.sort();
    keys
}

const SETTLE: Duration = Duration::from_millis(1500);

#[test]
fn clock_steps_and_a_suspend_in_london_summer_time_send_each_day_once() {
    // British Summer Time (+01:00); check_at 09:00 London. Act-by 30 June, grace 60 days.
    let run = SteppedDaemon::start(
        "Europe/London",
        "0 9 * * *",
        "2026-06-30",
        "2026-07-01T09:00:00+01:00",
        "2026-07-02T08:59:58+01:00",
    );
    // The tick comes on the clock as it runs.
    run.expect_checks(1, SETTLE, "the 09:00 tick of 2 July");

    // Stepped back an hour after the check, then on to just before 09:00 again: the clock
    // passes 09:00 of 2 July a second time, which must not check (or send) again.
    run.step_clock("2026-07-02T08:00:05+01:00");
    std::thread::sleep(Duration::from_millis(600));
    run.step_clock("2026-07-02T08:59:58+01:00");
    run.expect_checks(1, Duration::from_secs(3), "09:00 of 2 July passed twice");
    // The sent log survived the step back.
    assert_eq!(
        grace_keys_in(&run.done()),
        grace_keys("2026-06-30", &["2026-07-02"])
    );

    // Forward a day, past 3 July's tick: that check runs once, at once.
    run.step_clock("2026-07-03T09:00:30+01:00");
    run.expect_checks(2, SETTLE, "a step forward a day");

    // Asleep from the evening of 3 July to noon on 6 July, past three ticks: one check on
    // waking, for 6 July (the missed days' notices are no longer due).
    run.step_clock("2026-07-03T22:00:00+01:00");
    std::thread::sleep(Duration::from_millis(600));
    run.step_clock("2026-07-06T12:00:00+01:00");
    run.expect_checks(3, SETTLE, "a suspend past three ticks");

    // And the next day's tick as the clock runs into it.
    run.step_clock("2026-07-07T08:59:58+01:00");
    run.expect_checks(4, SETTLE, "the 09:00 tick of 7 July");

    assert_eq!(
        grace_keys_in(&run.done()),
        grace_keys(
            "2026-06-30",
            &["2026-07-02", "2026-07-03", "2026-07-06", "2026-07-07"]
        )
    );
    assert_eq!(run.grace_notices_mailed(), 4);
    run.stop();
}

#[test]
fn the_repeated_hour_of_autumn_in_new_york_checks_once() {
    // 1 November 2026: 01:00–01:59 happens twice in New York (EDT, then EST); check_at
    // 01:30 must run once that day, at the first 01:30.
    let run = SteppedDaemon::start(
        "America/New_York",
        "30 1 * * *",
        "2026-10-25",
        "2026-10-31T01:30:00-04:00",
        "2026-11-01T01:29:58-04:00",
    );
    run.expect_checks(1, SETTLE, "the first 01:30 of 1 November (EDT)");
    // An hour later the clock reads 01:29:58 again, now in EST, and runs past 01:30.
    run.step_clock("2026-11-01T01:29:58-05:00");
    run.expect_checks(1, Duration::from_secs(3), "the second 01:30 (EST)");
    // The next day's 01:30 runs.
    run.step_clock("2026-11-02T01:29:58-05:00");
    run.expect_checks(2, SETTLE, "01:30 of 2 November");
    assert_eq!(
        grace_keys_in(&run.done()),
        grace_keys("2026-10-25", &["2026-11-01", "2026-11-02"])
    );
    run.stop();
}

#[test]
fn the_missing_hour_of_spring_in_new_york_still_checks_that_day() {
    // 8 March 2026: New York skips from 02:00 EST to 03:00 EDT, so check_at 02:30 never
    // reads on the clock that day; the check must still run that day, once.
    let run = SteppedDaemon::start(
        "America/New_York",
        "30 2 * * *",
        "2026-03-01",
        "2026-03-07T02:30:00-05:00",
        "2026-03-08T01:59:58-05:00",
    );
    // The clock runs through the gap; the check falls at the first valid instant after it
    // (croner: 03:00 EDT) or, at the latest, at 03:30 EDT: run the clock to past that.
    std::thread::sleep(Duration::from_secs(3));
    if run.counts().0 == 0 {
        run.step_clock("2026-03-08T03:29:58-04:00");
    }
    run.expect_checks(1, Duration::from_secs(3), "the gap of 8 March");
    // 9 March has a 02:30 again.
    run.step_clock("2026-03-09T02:29:58-04:00");
    run.expect_checks(2, SETTLE, "02:30 of 9 March");
    assert_eq!(
        grace_keys_in(&run.done()),
        grace_keys("2026-03-01", &["2026-03-08", "2026-03-09"])
    );
    run.stop();
}
