//! Integration tests: `numkeep run` as systemd sees it, through a notify socket the test
//! binds. The config's deadlines are far away, so nothing here depends on today's date.

use std::time::Duration;

use crate::support::cli::Scratch;
use crate::support::daemon::Daemon;

const CONFIG: &str = r#"
[settings]
timezone = "UTC"
check_at = "0 9 * * *"
[[number]]
number = "+965 5123 4567"
label = "far away"
valid_until = 2099-01-01
"#;

#[test]
fn ready_reload_and_stop_over_the_notify_protocol() {
    let scratch = Scratch::with_config(CONFIG);
    let daemon = Daemon::start_with_notify(&scratch);

    let ready = daemon.next_notification();
    assert!(ready.contains("READY=1"), "{ready}");
    assert!(ready.contains("STATUS=next check "), "{ready}");
    assert!(
        ready.contains("most urgent +96551234567 act by Thu 2099-01-01"),
        "{ready}"
    );

    // A bad edit: reported, the old config keeps running.
    scratch.write(
        "config.toml",
        &CONFIG.replace("valid_until", "valid_untill"),
    );
    let reloading = daemon.next_notification();
    assert!(reloading.contains("RELOADING=1"), "{reloading}");
    assert!(reloading.contains("MONOTONIC_USEC="), "{reloading}");
    let line = daemon.wait_for_log("unknown key `valid_untill`");
    assert!(line.contains("config.toml:8:1"), "{line}");
    daemon.wait_for_log("still running on the last good one");
    let ready = daemon.next_notification();
    assert!(ready.contains("READY=1"), "{ready}");
    assert!(
        ready.contains("+96551234567"),
        "the old config still runs: {ready}"
    );

    // SIGHUP after a good edit: the new config is taken.
    let two_numbers =
        format!("{CONFIG}\n[[number]]\nnumber = \"+44 7700 900123\"\nvalid_until = 2098-01-01\n");
    scratch.write("config.toml", &two_numbers);
    // The file watcher reloads on its own; wait for that, then ask again with SIGHUP.
    assert!(daemon.next_notification().contains("RELOADING=1"));
    assert!(
        daemon
            .next_notification()
            .contains("most urgent +447700900123")
    );
    daemon.signal("HUP");
    assert!(daemon.next_notification().contains("RELOADING=1"));
    daemon.wait_for_log("reason=\"SIGHUP\"");
    let ready = daemon.next_notification();
    assert!(
        ready.contains("READY=1") && ready.contains("+447700900123"),
        "{ready}"
    );

    daemon.signal("TERM");
    let stopping = daemon.next_notification();
    assert!(stopping.contains("STOPPING=1"), "{stopping}");
    assert_eq!(daemon.wait(), 0);
}

#[test]
fn sigint_stops_cleanly_and_records_the_check() {
    // Ticks only on 29 February: no tick can fall between the two starts below, whatever
    // the time the test runs.
    let scratch = Scratch::with_config(&CONFIG.replace("0 9 * * *", "0 9 29 2 *"));
    let daemon = Daemon::start_with_notify(&scratch);
    assert!(daemon.next_notification().contains("READY=1"));
    // The first start counts as a missed check: it runs at once and is recorded.
    daemon.wait_for_log("check done");
    daemon.signal("INT");
    assert!(daemon.next_notification().contains("STOPPING=1"));
    assert_eq!(daemon.wait(), 0);
    let state = scratch.read("state/state.json");
    assert!(state.contains("\"last_check\": \"2"), "{state}");

    // Started again right away: no check was missed, so none runs.
    let daemon = Daemon::start_with_notify(&scratch);
    assert!(daemon.next_notification().contains("READY=1"));
    daemon.signal("TERM");
    assert!(daemon.next_notification().contains("STOPPING=1"));
    let mut saw_catch_up = false;
    while let Ok(line) = daemon.log.recv_timeout(Duration::from_millis(500)) {
        saw_catch_up |= line.contains("was missed");
    }
    assert_eq!(daemon.wait(), 0);
    assert!(!saw_catch_up, "no missed check right after a check");
}

#[test]
fn a_bad_config_at_start_exits_2() {
    let scratch = Scratch::with_config("[settings]\ncheck_at = \"every day\"\n");
    let outcome = scratch.numkeep(&["run"]).output().expect_code(2);
    assert!(
        outcome
            .stderr
            .contains("config.toml:2:12: invalid cron line"),
        "{}",
        outcome.stderr
    );
}
