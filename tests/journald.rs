//! Integration tests: under systemd (JOURNAL_STREAM naming stderr) every log line carries
//! its journald priority, so `journalctl -p warning` shows the alerts; elsewhere plain text.

use std::process::Command;

use crate::support::cli::{Outcome, Scratch};

/// At 2026-11-23: one number due (7 days left), one in grace, one lost that day, one ok.
const CONFIG: &str = r#"
[settings]
timezone = "UTC"
remind_before = ["7d"]

[carriers.zain]
name = "Zain"
topup_valid_for = "30d"
grace = "30d"

[[number]]
number = "+965 5123 4561"
carrier = "zain"
last_topup = 2026-11-01

[[number]]
number = "+965 5123 4562"
carrier = "zain"
last_topup = 2026-10-01

[[number]]
number = "+965 5123 4563"
carrier = "zain"
last_topup = 2026-09-24

[[number]]
number = "+965 5123 4564"
carrier = "zain"
last_topup = 2026-11-20
"#;

const ARGS: &[&str] = &["run", "--once", "--at", "2026-11-23"];

/// `numkeep ARGS` with JOURNAL_STREAM set as systemd sets it: the device and inode of the
/// stream on stderr (here the test's pipe), found by a shell just before it execs numkeep.
fn run_as_if_under_journald(scratch: &Scratch) -> Outcome {
    let numkeep = scratch.numkeep(ARGS).command;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$0" "$@""#)
        .arg(numkeep.get_program())
        .args(numkeep.get_args())
        .current_dir(scratch.dir.path());
    for (key, value) in numkeep.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    Outcome::from(command.output().expect("run numkeep through sh"))
}

#[track_caller]
fn line_about<'a>(stderr: &'a str, number: &str) -> &'a str {
    stderr
        .lines()
        .find(|line| line.contains(&format!("{number}:")))
        .unwrap_or_else(|| panic!("no log line about {number}:\n{stderr}"))
}

#[test]
fn under_journald_alerts_are_warnings_and_errors_and_the_rest_is_info() {
    let scratch = Scratch::with_config(CONFIG);
    let outcome = run_as_if_under_journald(&scratch).success();
    let stderr = &outcome.stderr;

    assert!(
        line_about(stderr, "+96551234561").starts_with("<4>WARN +96551234561: top up by"),
        "due: warning\n{stderr}"
    );
    assert!(
        line_about(stderr, "+96551234562").starts_with("<3>ERROR +96551234562: past its act-by"),
        "grace: error\n{stderr}"
    );
    assert!(
        line_about(stderr, "+96551234563").starts_with("<3>ERROR +96551234563: lost on"),
        "lost: error\n{stderr}"
    );
    assert!(
        !stderr.contains("+96551234564"),
        "nothing about the number that is ok\n{stderr}"
    );
    // What `journalctl -p warning` would show: exactly the three alerts.
    let warnings_or_worse: Vec<_> = stderr
        .lines()
        .filter(|line| line.starts_with("<3>") || line.starts_with("<4>"))
        .collect();
    assert_eq!(warnings_or_worse.len(), 3, "{stderr}");
    for line in stderr.lines() {
        assert!(
            ["<3>", "<4>", "<6>"]
                .iter()
                .any(|prefix| line.starts_with(prefix)),
            "every line carries a priority: {line:?}\n{stderr}"
        );
    }
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with("<6>INFO check done")),
        "{stderr}"
    );
}

#[test]
fn without_journald_lines_are_plain() {
    let scratch = Scratch::with_config(CONFIG);
    let outcome = scratch.numkeep(ARGS).output().success();
    let due = line_about(&outcome.stderr, "+96551234561");
    assert!(due.contains(" WARN +96551234561: top up by"), "{due}");
    assert!(!outcome.stderr.contains("<4>"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("<3>"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("<6>"), "{}", outcome.stderr);
}

#[test]
fn an_inherited_journal_stream_that_is_not_stderr_gives_plain_lines() {
    // A shell started from a service keeps JOURNAL_STREAM while writing to a terminal or a
    // file: the pair no longer names its stderr.
    let scratch = Scratch::with_config(CONFIG);
    let outcome = scratch
        .numkeep(ARGS)
        .env("JOURNAL_STREAM", "8:12345")
        .output()
        .success();
    assert!(!outcome.stderr.contains("<4>"), "{}", outcome.stderr);
    assert!(
        line_about(&outcome.stderr, "+96551234561").contains(" WARN "),
        "{}",
        outcome.stderr
    );
}
