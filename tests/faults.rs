//! Integration tests: the daemon under the faults of a real deployment, each of which once
//! made a reminder late or silent: a full disk, a clock step followed by a reload, a SIGHUP
//! storm next to a stalled mail server (the watchdog), and recipients behind a server that
//! never answers. The daemon's clock is pinned through `NUMKEEP_CLOCK_FILE`, `run --once`'s
//! through `--at`; mail goes to a server on 127.0.0.1.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::cli::{Run, Scratch};
use crate::support::daemon::Daemon;
use crate::support::smtp_server::{Faults, Mode, SmtpServer};

/// On 2026-11-23 the line's act-by (30 Nov) is 7 days away: one reminder is due, on the log
/// and to each recipient.
fn due_config(port: u16, recipients: &[String]) -> String {
    let to: Vec<String> = recipients
        .iter()
        .map(|address| format!("\"{address}\""))
        .collect();
    format!(
        r#"
[settings]
timezone = "UTC"
check_at = "0 9 * * *"
remind_before = ["7d"]

[email]
from = "numkeep <alerts@example.org>"
to = [{to}]
[email.smtp]
host = "127.0.0.1"
port = {port}
tls = "none"

[[number]]
number = "+965 5123 4567"
label = "Kuwait line"
valid_until = 2026-11-30
"#,
        to = to.join(", ")
    )
}

fn recipients(count: usize) -> Vec<String> {
    (1..=count)
        .map(|index| format!("user{index}@example.org"))
        .collect()
}

/// The daemon's clock starts at `instant` (RFC 3339) and runs on from there.
fn pin_clock(scratch: &Scratch, instant: &str) -> impl FnOnce(Run) -> Run {
    scratch.write("clock", instant);
    let clock = scratch.path("clock");
    move |run| run.env("NUMKEEP_CLOCK_FILE", clock)
}

/// A server that takes a minute before every reply: a send only ends by timing out.
fn stalled_server() -> SmtpServer {
    let server = SmtpServer::start(Mode::Plain);
    server.set_faults(Faults {
        reply_delay: Some(Duration::from_secs(60)),
        ..Faults::default()
    });
    server
}

/// Runs `run` under a file-size limit of 0 (`ulimit -f 0`, with SIGXFSZ ignored, as `exec`
/// keeps it): every write to a file fails with EFBIG, as on a full disk, until the limit is
/// raised with `prlimit`. The shell execs numkeep, so the child's pid is numkeep's.
fn with_no_room_to_write(run: Run) -> Run {
    let original = run.command;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -S -f 0 && exec \"$0\" \"$@\"")
        .arg(original.get_program())
        .args(original.get_args());
    for (key, value) in original.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    if let Some(directory) = original.get_current_dir() {
        command.current_dir(directory);
    }
    Run { command }
}

#[test]
fn a_full_disk_does_not_stop_the_sends_and_the_check_is_retried_until_saved() {
    let server = SmtpServer::start(Mode::Plain);
    let scratch = Scratch::with_config(&due_config(server.port(), &recipients(1)));
    let clock = pin_clock(&scratch, "2026-11-23T08:00:00Z");
    let daemon = Daemon::start_with_notify_and(&scratch, |run| {
        with_no_room_to_write(clock(run)).env("NUMKEEP_RETRY_BASE_SECS", "1")
    });
    daemon.wait_for_notification("READY=1");
    daemon.wait_for_log("checking now");

    // The state cannot be written, and still the reminder goes out: on the log and by mail.
    daemon.wait_for_log("+96551234567: ");
    let messages = server.wait_for_messages(1, Duration::from_secs(15));
    assert_eq!(messages.len(), 1);
    let error = daemon.wait_for_log("cannot save the state");
    assert!(error.contains("ERROR"), "{error}");
    let status = daemon.wait_for_notification("STATUS=error: cannot save the state");
    assert!(status.contains("File too large"), "{status}");
    // The check does not count as done: it runs again (after 1 s), and again fails to save,
    // without sending anything twice.
    daemon.wait_for_log("check not saved");
    daemon.wait_for_log("check not saved");
    assert!(!scratch.path("state/state.json").exists());
    assert_eq!(server.messages().len(), 1);

    // Room again: the next retry saves the check, and nothing is sent again.
    let raised = Command::new("prlimit")
        .arg("--pid")
        .arg(daemon.pid().to_string())
        .arg("--fsize=unlimited")
        .status()
        .expect("run prlimit");
    assert!(raised.success());
    daemon.wait_for_log("the state is saved again");
    let done = daemon.wait_for_log("check done");
    assert!(
        done.contains("logged=0") && done.contains("emailed=0"),
        "{done}"
    );
    // The catch-up check at 08:00 is saved; the next is today's tick.
    daemon.wait_for_notification("STATUS=next check 2026-11-23 09:00");
    let state: serde_json::Value =
        serde_json::from_str(&scratch.read("state/state.json")).expect("the state parses");
    let last_check = state["last_check"].as_str().unwrap_or_default();
    assert!(last_check.starts_with("2026-11-23T08:00:0"), "{state}");
    let done: Vec<&str> = state["done"]
        .as_array()
        .map(|keys| keys.iter().filter_map(|key| key.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        done,
        [
            "log|+96551234567|valid_until|2026-11-30|lead:7d",
            "mailto:user1@example.org|+96551234567|valid_until|2026-11-30|lead:7d"
        ],
        "{state}"
    );
    assert_eq!(server.messages().len(), 1, "nothing was sent twice");

    daemon.signal("TERM");
    assert_eq!(daemon.wait(), 0);
}

#[test]
fn a_reload_after_a_clock_jump_past_the_tick_runs_that_check() {
    let scratch = Scratch::with_config(
        "[settings]\ntimezone = \"UTC\"\ncheck_at = \"0 9 * * *\"\nremind_before = [\"7d\"]\n\
         [[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 2026-11-30\n",
    );
    // Yesterday's check is done; today's is at 09:00, an hour away.
    scratch.write(
        "state/state.json",
        r#"{"schema": 1, "last_check": "2026-11-22T09:00:00Z", "done": [], "pending": {}}"#,
    );
    let clock = pin_clock(&scratch, "2026-11-23T08:00:00Z");
    let daemon = Daemon::start_with_notify_and(&scratch, clock);
    let ready = daemon.wait_for_notification("READY=1");
    assert!(ready.contains("next check 2026-11-23 09:00"), "{ready}");

    // The clock steps past 09:00 (a resume, an NTP step); a SIGHUP arrives before the
    // daemon's next wake-up, minutes away. Today's check must still run, at once.
    scratch.write("clock", "2026-11-23T09:30:00Z");
    daemon.signal("HUP");
    daemon.wait_for_log("config reloaded");
    let done = daemon.wait_for_log("check done");
    assert!(done.contains("logged=1"), "{done}");
    daemon.wait_for_notification("STATUS=next check 2026-11-24 09:00");
    let state = scratch.read("state/state.json");
    assert!(
        state.contains("\"last_check\": \"2026-11-23T09:30:0"),
        "{state}"
    );

    daemon.signal("TERM");
    assert_eq!(daemon.wait(), 0);
}

#[test]
fn the_watchdog_keeps_its_period_through_a_sighup_storm_and_a_stalled_server() {
    let server = stalled_server();
    let scratch = Scratch::with_config(&due_config(server.port(), &recipients(3)));
    let clock = pin_clock(&scratch, "2026-11-23T08:00:00Z");
    // WatchdogSec=1s: a ping every 0.5 s, and systemd would kill after 1 s without one.
    let daemon =
        Daemon::start_with_notify_and(&scratch, |run| clock(run).env("WATCHDOG_USEC", "1000000"));
    daemon.wait_for_notification("READY=1");
    let started = Instant::now();

    // The catch-up check now waits on the stalled server (3 s per send), while ten SIGHUPs
    // arrive within 4 s.
    let pid = daemon.pid().to_string();
    let storm = std::thread::spawn(move || {
        for _ in 0..10 {
            let _ = Command::new("kill").args(["-HUP", &pid]).status();
            std::thread::sleep(Duration::from_millis(400));
        }
    });
    let messages = daemon.notifications_until(started + Duration::from_secs(6));
    storm.join().expect("the SIGHUP thread");

    let pings: Vec<Instant> = messages
        .iter()
        .filter(|(_, message)| message.lines().any(|line| line == "WATCHDOG=1"))
        .map(|(at, _)| *at)
        .collect();
    let longest_gap = pings
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .chain(pings.first().map(|first| *first - started))
        .max()
        .unwrap_or(Duration::MAX);
    assert!(
        pings.len() >= 10 && longest_gap < Duration::from_millis(1000),
        "{} pings in 6 s, longest gap {longest_gap:?}",
        pings.len()
    );
    assert!(
        messages
            .iter()
            .any(|(_, message)| message.contains("RELOADING=1")),
        "the SIGHUPs were handled"
    );
    daemon.wait_for_log("reminder not delivered");
    daemon.signal("TERM");
    assert_eq!(daemon.wait(), 0);
}

#[test]
fn recipients_are_sent_to_at_once_within_a_bounded_time_and_a_timeout_does_not_blame_tls() {
    let server = stalled_server();
    // Twelve recipients, 2 s per send: one after another would take 24 s; eight at a time,
    // within the pass's budget of twice the timeout, takes about 4 s.
    let scratch = Scratch::with_config(&due_config(server.port(), &recipients(12)));
    let started = Instant::now();
    let outcome = scratch
        .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
        .env("NUMKEEP_SMTP_TIMEOUT", "2")
        .output()
        .expect_code(1);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(
        outcome
            .stderr
            .contains("12 message(s) could not be delivered"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("did not answer in time"),
        "{}",
        outcome.stderr
    );
    assert!(
        !outcome.stderr.contains("TLS mode") && !outcome.stderr.contains("tls ="),
        "a stalled server is not a TLS problem:\n{}",
        outcome.stderr
    );
    let state: serde_json::Value =
        serde_json::from_str(&scratch.read("state/state.json")).expect("the state parses");
    assert_eq!(
        state["pending"].as_object().map(serde_json::Map::len),
        Some(12),
        "every recipient stays pending: {state}"
    );
}

#[test]
fn test_alert_sends_to_every_recipient_at_once() {
    let server = stalled_server();
    // Eight recipients, 2 s each: one after another would take 16 s.
    let scratch = Scratch::with_config(&due_config(server.port(), &recipients(8)));
    let started = Instant::now();
    let outcome = scratch
        .numkeep(&["test-alert"])
        .env("NUMKEEP_SMTP_TIMEOUT", "2")
        .output()
        .expect_code(1);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let failed = outcome.stdout.matches(": failed: ").count();
    assert_eq!(failed, 8, "{}", outcome.stdout);
}
