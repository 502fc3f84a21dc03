//! Integration tests: crash safety. `run --once` and `renew` are killed with SIGKILL at
//! random (seeded) instants, then checked for what survived; the daemon rides out a mail
//! server that is down when it starts. `cargo test --test integration -- --nocapture crash`
//! prints the figures.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli::{Scratch, project_file};
use crate::support::daemon::Daemon;
use crate::support::mail::{decoded_body, header};
use crate::support::smtp_server::{Faults, Mode, Received, SmtpServer};

/// xorshift64: a deterministic stream of kill delays, no dependency needed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A duration in `0..=limit`, millisecond-grained.
    fn delay_up_to(&mut self, limit: Duration) -> Duration {
        let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(self.next() % millis.saturating_add(1))
    }
}

/// Starts `child`, waits `delay`, sends SIGKILL and reaps it. Returns the exit status: a
/// signal 9 if the kill landed, an exit code if the process had already finished.
fn kill_after(mut child: Child, delay: Duration) -> ExitStatus {
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL; an error only means it has already exited
    child.wait().expect("reap the killed process")
}

fn killed(status: ExitStatus) -> bool {
    status.signal() == Some(9)
}

/// Names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(read) => read
            .map(|entry| entry.expect("a directory entry").file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------
// 1. `run --once` killed at random instants.

const AT: &str = "2026-11-23T09:00";
const RECIPIENTS: [&str; 3] = ["alice@example.org", "me@example.org", "you@example.org"];
const EVERY_NUMBER: [&str; 4] = [
    "+96551234567",
    "+447700900123",
    "+15550100199",
    "+4915112345678",
];

/// On 2026-11-23 four numbers are due (act-by 23, 25, 26 and 30 Nov); me@ and you@ get a
/// digest of all four, alice@ one of the UK line only: three messages per check.
fn several_numbers(port: u16) -> String {
    format!(
        r#"
[settings]
timezone = "UTC"
remind_before = ["7d", "0d"]

[email]
from = "numkeep <alerts@example.org>"
to = ["me@example.org", "you@example.org"]
[email.smtp]
host = "127.0.0.1"
port = {port}
tls = "starttls"

[carriers.prepaid]
name = "Zain Kuwait prepaid"
topup_valid_for = "30d"
grace = "30d"

[[number]]
number = "+965 5123 4567"
label = "Kuwait line"
carrier = "prepaid"
last_topup = 2026-11-01

[[number]]
number = "+44 7700 900123"
label = "UK line"
carrier = "prepaid"
last_topup = 2026-10-27
email = ["alice@example.org"]

[[number]]
number = "+1 555 010 0199"
label = "US line"
carrier = "prepaid"
last_topup = 2026-10-28

[[number]]
number = "+49 151 12345678"
label = "German line"
carrier = "prepaid"
last_topup = 2026-10-25
"#
    )
}

/// The numbers each recipient must hear about on [`AT`].
fn expected_numbers(recipient: &str) -> &'static [&'static str] {
    if recipient == "alice@example.org" {
        &EVERY_NUMBER[1..2]
    } else {
        &EVERY_NUMBER
    }
}

/// Faults that widen the windows a kill can land in: every reply is slow (a kill lands
/// mid-conversation), and the final reply to DATA comes long after the message was
/// recorded (a kill lands between the server's acceptance and numkeep's state commit).
fn slow_server() -> Faults {
    Faults {
        reply_delay: Some(Duration::from_millis(3)),
        data_end_delay: Some(Duration::from_millis(60)),
        ..Faults::default()
    }
}

fn run_once(scratch: &Scratch) -> Command {
    let mut command = scratch
        .numkeep(&["run", "--once", "--at", AT])
        // Each state write holds its temporary file 40 ms before the rename, so that
        // random kills land in that window too, not only on a slow machine.
        .env("NUMKEEP_STATE_WRITE_PAUSE_MS", "40")
        .command;
    command.stdout(Stdio::null()).stderr(Stdio::null());
    command
}

/// The state file as written, checked to be whole: `None` if there is none yet, else the
/// recipients whose digest it records as delivered and those it records as pending.
fn read_state(scratch: &Scratch) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let text = std::fs::read_to_string(scratch.path("state/state.json")).ok()?;
    let state: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("the state file does not parse ({error}):\n{text}"));
    assert_eq!(state["schema"], 2, "{text}");
    let done = state["done"].as_array().expect("done is an array");
    let committed = RECIPIENTS
        .iter()
        .filter(|recipient| {
            let prefix = format!("mailto:{recipient}|");
            done.iter()
                .any(|key| key.as_str().is_some_and(|key| key.starts_with(&prefix)))
        })
        .map(|recipient| (*recipient).to_owned())
        .collect();
    let pending = state["pending"]
        .as_object()
        .map(|pending| {
            pending
                .keys()
                .filter_map(|channel| channel.strip_prefix("mailto:"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some((committed, pending))
}

fn recipients_of(messages: &[Received]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for message in messages {
        for to in &message.to {
            *counts.entry(to.clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// Due reminders that did not reach their recipient: (recipient, number) pairs missing
/// from every message that recipient got.
fn lost_reminders(messages: &[Received]) -> usize {
    let mut lost = 0;
    for recipient in RECIPIENTS {
        let bodies: Vec<String> = messages
            .iter()
            .filter(|message| message.to == [recipient])
            .map(|message| decoded_body(&message.data))
            .collect();
        for number in expected_numbers(recipient) {
            if !bodies.iter().any(|body| body.contains(number)) {
                lost += 1;
            }
        }
    }
    lost
}

#[test]
fn run_once_killed_at_random_instants_loses_nothing() {
    const ROUNDS: usize = 24;
    let started = Instant::now();

    // How long one whole run takes against the slow server: the range of kill delays. The
    // shorter of two runs, so that a cold first start does not stretch it.
    let mut full_run = Duration::MAX;
    for _ in 0..2 {
        let server = SmtpServer::start(Mode::StartTls);
        server.set_faults(slow_server());
        let scratch = Scratch::with_config(&several_numbers(server.port()));
        let clock = Instant::now();
        let status = run_once(&scratch).status().expect("run numkeep");
        full_run = full_run.min(clock.elapsed());
        assert!(status.success(), "{status:?}");
        let messages = server.messages();
        assert_eq!(recipients_of(&messages).len(), 3, "one digest each");
        assert_eq!(messages.len(), 3);
        assert_eq!(lost_reminders(&messages), 0);
    }

    let mut random = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut kills, mut before_any_message, mut in_window, mut landed_mid_run) = (0, 0, 0, 0);
    let (mut lost, mut duplicates, mut stray_temp_files) = (0, 0, 0);
    // Kills that left a state temporary file: they fell during a write of the state.
    let mut during_state_write = 0;
    let mut round = 0;
    // ROUNDS rounds, and more (up to MAX_ROUNDS) until a kill fell in each window: before
    // any message, between a server's acceptance and the state commit, during a state write.
    // A state write lasts a few milliseconds of a run of a few hundred: on a fast disk a kill
    // lands in one about once in 40 rounds, so 80 rounds missed it about one time in seven.
    const MAX_ROUNDS: usize = 240;
    while round < ROUNDS || before_any_message == 0 || in_window == 0 || during_state_write == 0 {
        assert!(
            round < MAX_ROUNDS,
            "{round} rounds and still a window without a kill: {before_any_message} before any \
             message, {in_window} between acceptance and commit, {during_state_write} during a \
             state write"
        );
        round += 1;
        let server = SmtpServer::start(Mode::StartTls);
        server.set_faults(slow_server());
        let scratch = Scratch::with_config(&several_numbers(server.port()));
        let delay = random.delay_up_to(full_run + full_run / 10);
        let child = run_once(&scratch).spawn().expect("start numkeep");
        let status = kill_after(child, delay);
        let was_killed = killed(status);
        // Let the server take in whatever the killed client had already written.
        std::thread::sleep(Duration::from_millis(100));

        let recorded: BTreeSet<String> = recipients_of(&server.messages()).into_keys().collect();
        let (committed, _pending) = read_state(&scratch).unwrap_or_default();
        let state_files = entries(&scratch.state_dir());
        for name in &state_files {
            let expected = ["numkeep.lock", "state.json"].contains(&name.as_str())
                || (name.starts_with(".state.json.numkeep-") && name.ends_with(".tmp"));
            assert!(expected, "round {round}: unexpected file {name}");
        }
        stray_temp_files += state_files
            .iter()
            .filter(|name| name.ends_with(".tmp"))
            .count();
        // Recorded as delivered only after the server accepted it.
        assert!(
            committed.is_subset(&recorded),
            "round {round}: state says {committed:?} were delivered, the server got {recorded:?}"
        );
        let unconfirmed: BTreeSet<String> = recorded.difference(&committed).cloned().collect();
        if was_killed {
            kills += 1;
            if state_files.iter().any(|name| name.ends_with(".tmp")) {
                during_state_write += 1;
            }
            if recorded.is_empty() {
                before_any_message += 1;
            }
            if !unconfirmed.is_empty() {
                in_window += 1;
            }
            if !recorded.is_empty() && committed.len() < RECIPIENTS.len() {
                landed_mid_run += 1;
            }
        } else {
            assert!(status.success(), "round {round}: {status:?}");
        }

        // A run that is left to finish, against a server without faults.
        let before_final = server.messages().len();
        server.set_faults(Faults::default());
        let output = scratch
            .numkeep(&["run", "--once", "--at", AT])
            .output()
            .success();
        assert!(
            !output.stderr.contains("unreadable"),
            "round {round}: the state file was set aside:\n{}",
            output.stderr
        );
        let messages = server.messages();
        let resent: BTreeSet<String> = recipients_of(&messages[before_final..])
            .into_keys()
            .collect();
        let not_committed: BTreeSet<String> = RECIPIENTS
            .iter()
            .map(|recipient| (*recipient).to_owned())
            .filter(|recipient| !committed.contains(recipient))
            .collect();
        assert_eq!(
            resent, not_committed,
            "round {round}: the finishing run sends exactly what the state lacks"
        );
        let counts = recipients_of(&messages);
        let round_lost = lost_reminders(&messages);
        let round_duplicates: BTreeSet<String> = counts
            .iter()
            .filter(|(_, count)| **count > 1)
            .map(|(recipient, _)| recipient.clone())
            .collect();
        assert!(
            counts.values().all(|count| *count <= 2),
            "round {round}: {counts:?}"
        );
        assert_eq!(
            round_duplicates, unconfirmed,
            "round {round} (kill after {delay:?}): a digest is sent twice exactly when the kill \
             fell between the server's acceptance and the state commit"
        );
        for message in &messages {
            let subject = header(&message.data, "Subject");
            let first = messages.iter().find(|other| other.to == message.to);
            assert_eq!(
                first.map(|other| header(&other.data, "Subject")),
                Some(subject),
                "round {round}: a duplicate is the same digest"
            );
        }
        let (committed, pending) = read_state(&scratch).expect("a state file after a full run");
        assert_eq!(committed.len(), RECIPIENTS.len(), "round {round}");
        assert!(pending.is_empty(), "round {round}: {pending:?}");
        lost += round_lost;
        duplicates += round_duplicates.len();
    }

    eprintln!(
        "crash/run --once: full run {full_run:?}; {round} rounds, {kills} kills landed \
         ({before_any_message} before any message, {landed_mid_run} between the first message \
         and the last commit, {in_window} after a message was recorded and before its commit, \
         {during_state_write} during a state write); \
         lost {lost}, duplicates {duplicates}, stray state temp files {stray_temp_files}; took {:?}",
        started.elapsed()
    );
    assert_eq!(lost, 0, "every due reminder arrives at least once");
    // The digests of a check go out at once, each committed as soon as it is accepted: one
    // kill can leave at most one accepted-but-unrecorded digest per recipient in flight.
    assert!(
        duplicates <= in_window * RECIPIENTS.len(),
        "{duplicates} duplicates from {in_window} kills"
    );
    assert!(
        kills >= ROUNDS / 2,
        "most kills must land while numkeep runs"
    );
    // The loop ran until each window was hit; stated again for the reader.
    assert!(before_any_message > 0 && landed_mid_run > 0 && during_state_write > 0);
    assert!(
        in_window >= 1 && duplicates >= 1,
        "no kill fell between acceptance and commit: the test did not exercise that window"
    );
}

// ---------------------------------------------------------------------------------------
// 2. `renew` killed at random instants.

const RENEW_ARGS: [&str; 6] = [
    "renew",
    "+965 5123 4567",
    "--topup",
    "5.000",
    "--on",
    "2026-11-20",
];

fn renew_fixture() -> String {
    std::fs::read_to_string(project_file("tests/fixtures/core/renew.toml"))
        .expect("read the renew fixture")
}

#[test]
fn renew_killed_at_random_instants_leaves_the_old_or_the_new_config() {
    // Rounds go on until this many kills landed while renew ran (bounded by MAX_ROUNDS).
    const KILLS: usize = 30;
    const MAX_ROUNDS: usize = 300;
    let old = renew_fixture();

    // The text a finished renewal writes, and how long a whole run takes: the median of
    // the latest timed runs, so that the range of kill delays follows the machine's load.
    let mut times = Vec::new();
    let mut new = String::new();
    for _ in 0..3 {
        let reference = Scratch::with_config(&old);
        let clock = Instant::now();
        reference.numkeep(&RENEW_ARGS).output().success();
        times.push(clock.elapsed());
        new = reference.read("config.toml");
    }
    assert_ne!(new, old);
    let full_run = |times: &[Duration]| {
        let mut latest = times[times.len().saturating_sub(9)..].to_vec();
        latest.sort();
        latest[latest.len() / 2]
    };

    let mut random = XorShift(0x2545_F491_4F6C_DD1D);
    let (mut rounds, mut kills, mut kept_old, mut wrote_new, mut stray_temp_files) =
        (0, 0, 0, 0, 0);
    // Where the kills landed: before the new text was written anywhere (the old config,
    // no temporary file), during its write (the temporary file left behind, the config
    // still old), and after the rename (the new config).
    let (mut killed_before_write, mut killed_during_write, mut killed_after_rename) = (0, 0, 0);
    let every_window_hit = |windows: [usize; 3]| windows.iter().all(|count| *count > 0);
    while kills < KILLS
        || !every_window_hit([
            killed_before_write,
            killed_during_write,
            killed_after_rename,
        ])
    {
        assert!(
            rounds < MAX_ROUNDS,
            "only {kills} kills landed in {rounds} rounds: {killed_before_write} before the \
             write, {killed_during_write} during it, {killed_after_rename} after the rename"
        );
        let round = rounds;
        rounds += 1;
        let scratch = Scratch::with_config(&old);
        let range = full_run(&times);
        let delay = random.delay_up_to(range + range / 5);
        let mut command = scratch.numkeep(&RENEW_ARGS).command;
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start numkeep renew");
        let pid = child.id();
        let status = kill_after(child, delay);
        let was_killed = killed(status);
        if was_killed {
            kills += 1;
        } else {
            assert!(status.success(), "round {round}: {status:?}");
        }
        let text = scratch.read("config.toml");
        if text == old {
            kept_old += 1;
        } else if text == new {
            wrote_new += 1;
        } else {
            panic!("round {round} (kill after {delay:?}): a half-written config:\n{text}");
        }
        let temporary = format!(".config.toml.numkeep-{pid}.tmp");
        let mut temporary_left = false;
        for name in entries(scratch.dir.path()) {
            if name == temporary {
                stray_temp_files += 1;
                temporary_left = true;
            } else {
                assert_eq!(name, "config.toml", "round {round}: unexpected file");
            }
        }
        if was_killed {
            match (text == new, temporary_left) {
                (false, false) => killed_before_write += 1,
                (false, true) => killed_during_write += 1,
                (true, false) => killed_after_rename += 1,
                (true, true) => panic!("round {round}: the new config and its temporary file"),
            }
        }
        // Whatever a kill left behind, the next renewal works and writes the same text.
        if text == old {
            let clock = Instant::now();
            scratch.numkeep(&RENEW_ARGS).output().success();
            times.push(clock.elapsed());
            assert_eq!(scratch.read("config.toml"), new, "round {round}");
        }
    }
    eprintln!(
        "crash/renew: full run {:?}; {rounds} rounds, {kills} kills landed ({killed_before_write} \
         before the write, {killed_during_write} during it, {killed_after_rename} after the \
         rename); config kept old {kept_old}, new {wrote_new}, half-written 0; stray \
         .config.toml.numkeep-*.tmp left {stray_temp_files}",
        full_run(&times)
    );
    // The loop runs until each window was hit; stated again here for the reader.
    assert!(kills >= KILLS);
    assert!(killed_before_write > 0 && killed_during_write > 0 && killed_after_rename > 0);
    assert_eq!(
        stray_temp_files, killed_during_write,
        "a temporary file only from a kill"
    );
}

// ---------------------------------------------------------------------------------------
// 3. The daemon started while the mail server is down.

#[test]
fn the_daemon_rides_out_a_mail_server_outage_and_sends_once() {
    let server = SmtpServer::start(Mode::StartTls);
    server.set_down(true);
    // Due whatever the date: the line runs out five days from the real today, and every
    // day within 30 days of that is in the window. Checks run only on 29 February at
    // 09:00 UTC, so apart from the catch-up check at start no tick can fall in the test.
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let valid_until = today
        .checked_add(jiff::Span::new().days(5))
        .expect("a date");
    let scratch = Scratch::with_config(&format!(
        r#"
[settings]
timezone = "UTC"
check_at = "0 9 29 2 *"
remind_before = ["30d"]

[email]
from = "numkeep <alerts@example.org>"
to = ["me@example.org", "you@example.org"]
[email.smtp]
host = "127.0.0.1"
port = {port}
tls = "starttls"

[[number]]
number = "+965 5123 4567"
label = "runs out soon"
valid_until = {valid_until}
"#,
        port = server.port()
    ));

    let mut daemon = Daemon::start(&scratch, |run| run.env("NUMKEEP_RETRY_BASE_SECS", "1"));
    daemon.wait_for_log("checking now");
    let failure = daemon.wait_for_log("reminder not delivered");
    assert!(failure.contains("attempts=1"), "{failure}");
    let done = daemon.wait_for_log("check done");
    assert!(done.contains("pending=2"), "{done}");
    assert!(daemon.running(), "the daemon keeps running");
    let state = scratch.read("state/state.json");
    assert!(
        state.contains("\"mailto:me@example.org\": {")
            && state.contains("\"mailto:you@example.org\": {"),
        "both digests pending:\n{state}"
    );
    assert!(server.messages().is_empty());

    // The server comes back on the same port: the next retry (after 1 s, then 2 s, …)
    // delivers each digest once.
    let back_up = Instant::now();
    server.set_down(false);
    let messages = server.wait_for_messages(2, Duration::from_secs(15));
    let waited = back_up.elapsed();
    let mut to: Vec<String> = messages.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["me@example.org", "you@example.org"]);
    for message in &messages {
        assert!(
            decoded_body(&message.data).contains("+96551234567"),
            "{}",
            message.data
        );
    }
    // Give a wrong second retry time to happen.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(server.messages().len(), 2, "no retry after the delivery");
    let state: serde_json::Value =
        serde_json::from_str(&scratch.read("state/state.json")).expect("the state parses");
    assert_eq!(
        state["pending"],
        serde_json::json!({}),
        "nothing pending: {state}"
    );
    assert_eq!(
        state["done"].as_array().map(Vec::len),
        Some(3),
        "the log and both digests are recorded: {state}"
    );
    assert!(daemon.running());

    // A reload does not resend.
    daemon.signal("HUP");
    daemon.wait_for_log("config reloaded");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(server.messages().len(), 2, "SIGHUP does not resend");
    daemon.signal("TERM");
    assert_eq!(daemon.wait(), 0);

    // Nor does another check, now.
    let check = scratch.numkeep(&["run", "--once"]).output().success();
    assert!(check.stderr.contains("emailed=0"), "{}", check.stderr);
    assert_eq!(server.messages().len(), 2, "a second check does not resend");
    eprintln!(
        "crash/outage: delivered {} digests {waited:?} after the server came back; none again \
         after SIGHUP or a second check",
        messages.len()
    );
}
