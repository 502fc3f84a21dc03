//! Integration tests: `run --once` and `test-alert` delivering to a real SMTP server on
//! loopback (in this process), with the clock pinned by `--at`.

use crate::support::cli::{Outcome, Scratch};
use crate::support::daemon::Daemon;
use crate::support::mail::{base64_encode, decoded_body, header};
use crate::support::smtp_server::{Faults, Mode, SmtpServer, free_port};

const PASSWORD: &str = "s3cret-Pa55word-xyzzy";

/// Two numbers due on 2026-11-23 (act-by 30 Nov and 25 Nov), one with an extra recipient,
/// one retired, one far from any window.
fn config(port: u16, tls: &str, extra: &str) -> String {
    format!(
        r#"
[settings]
timezone = "UTC"
remind_before = ["7d", "0d"]

[email]
from = "numkeep <alerts@example.org>"
to = ["me@example.org"]
[email.smtp]
host = "127.0.0.1"
port = {port}
tls = "{tls}"
{extra}

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
carrier = "prepaid"
last_topup = 2026-11-20

[[number]]
number = "+1 555 010 0100"
carrier = "prepaid"
last_topup = 2026-10-27
status = "retired"
"#
    )
}

fn scratch(port: u16, tls: &str) -> Scratch {
    Scratch::with_config(&config(port, tls, ""))
}

fn run_once(scratch: &Scratch, at: &str) -> Outcome {
    scratch.numkeep(&["run", "--once", "--at", at]).output()
}

fn recipients(server: &SmtpServer) -> Vec<String> {
    let mut all: Vec<String> = server
        .messages()
        .iter()
        .flat_map(|m| m.to.clone())
        .collect();
    all.sort();
    all
}

#[test]
fn one_digest_per_recipient_most_urgent_first_and_never_twice() {
    let server = SmtpServer::start(Mode::StartTls);
    let scratch = scratch(server.port(), "starttls");
    run_once(&scratch, "2026-11-23T09:00").success();
    assert_eq!(recipients(&server), ["alice@example.org", "me@example.org"]);

    let messages = server.messages();
    let mine = messages
        .iter()
        .find(|m| m.to == ["me@example.org"])
        .unwrap();
    assert!(mine.tls, "STARTTLS was used");
    assert_eq!(
        header(&mine.data, "Subject"),
        "numkeep: 2 numbers need action; first +447700900123 by Wed 2026-11-25"
    );
    let body = decoded_body(&mine.data);
    let uk = body
        .find("+447700900123 — UK line (Zain Kuwait prepaid)")
        .unwrap();
    let kw = body
        .find("+96551234567 — Kuwait line (Zain Kuwait prepaid)")
        .unwrap();
    assert!(uk < kw, "most urgent first:\n{body}");
    assert!(body.contains("  What to do: top up\n  Act by:     Wed 2026-11-25 (2 days left)\n  Why:        topped up 2026-10-27, valid 30d\n  Lost on:    Sat 2026-12-26 if nothing is done\n"), "{body}");
    assert!(!body.contains("+15550100199"), "not yet due");
    assert!(!body.contains("+15550100100"), "retired");

    let alices = messages
        .iter()
        .find(|m| m.to == ["alice@example.org"])
        .unwrap();
    let body = decoded_body(&alices.data);
    assert!(
        body.contains("+447700900123") && !body.contains("+96551234567"),
        "{body}"
    );

    // The same check again, and a later one inside the same windows: nothing new.
    run_once(&scratch, "2026-11-23T09:00").success();
    run_once(&scratch, "2026-11-24T09:00").success();
    assert_eq!(server.messages().len(), 2);
    // On 25 Nov the UK line reaches its 0d threshold: one more message each for both.
    run_once(&scratch, "2026-11-25T09:00").success();
    assert_eq!(server.messages().len(), 4);
}

#[test]
fn nothing_is_lost_while_the_server_is_down() {
    let down_port = free_port();
    let scratch = scratch(down_port, "starttls");
    let outcome = run_once(&scratch, "2026-11-23T09:00").expect_code(1);
    assert!(
        outcome.stderr.contains("stays pending") || outcome.stderr.contains("pending"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("+96551234567"),
        "log alerts still go out:\n{}",
        outcome.stderr
    );
    let state = scratch.read("state/state.json");
    assert!(
        state.contains("\"mailto:me@example.org\""),
        "pending recorded:\n{state}"
    );

    // The server comes back (on another port; the user fixes the config): everything due
    // is delivered, once.
    let server = SmtpServer::start(Mode::StartTls);
    scratch.write("config.toml", &config(server.port(), "starttls", ""));
    run_once(&scratch, "2026-11-23T10:00").success();
    assert_eq!(recipients(&server), ["alice@example.org", "me@example.org"]);
    run_once(&scratch, "2026-11-23T11:00").success();
    assert_eq!(server.messages().len(), 2);
    assert!(
        !scratch
            .read("state/state.json")
            .contains("mailto:me@example.org\": {")
    );
}

#[test]
fn temporary_refusals_and_dropped_connections_are_retried() {
    let server = SmtpServer::start(Mode::StartTls);
    let scratch = scratch(server.port(), "starttls");
    for faults in [
        Faults {
            mail_from: Some(451),
            ..Faults::default()
        },
        Faults {
            data_end: Some(452),
            ..Faults::default()
        },
        Faults {
            drop_in_data: true,
            ..Faults::default()
        },
        Faults {
            greeting: Some(421),
            ..Faults::default()
        },
    ] {
        server.set_faults(faults.clone());
        run_once(&scratch, "2026-11-23T09:00").expect_code(1);
        assert!(server.messages().is_empty(), "{faults:?}");
    }
    server.set_faults(Faults::default());
    run_once(&scratch, "2026-11-23T09:30").success();
    assert_eq!(recipients(&server), ["alice@example.org", "me@example.org"]);
}

#[test]
fn a_permanent_refusal_for_one_recipient_does_not_block_the_others() {
    let server = SmtpServer::start(Mode::StartTls);
    let scratch = scratch(server.port(), "starttls");
    server.faults().rcpt.insert("alice@example.org".into(), 550);
    let outcome = run_once(&scratch, "2026-11-23T09:00").expect_code(1);
    assert!(outcome.stderr.contains("550"), "{}", outcome.stderr);
    assert_eq!(recipients(&server), ["me@example.org"]);

    server.set_faults(Faults::default());
    run_once(&scratch, "2026-11-23T12:00").success();
    assert_eq!(recipients(&server), ["alice@example.org", "me@example.org"]);
}

/// Every form in which a password could leak into output: itself, and the base64 that
/// SMTP AUTH sends (PLAIN: `\0user\0password`; LOGIN: the password alone).
fn password_forms(user: &str, password: &str) -> [String; 3] {
    [
        password.to_owned(),
        base64_encode(format!("\0{user}\0{password}").as_bytes()),
        base64_encode(password.as_bytes()),
    ]
}

#[test]
fn password_forms_are_what_smtp_auth_sends() {
    // From `printf '\0alerts\0s3cret-Pa55word-xyzzy' | base64` and the same without the
    // user part.
    assert_eq!(
        password_forms("alerts", PASSWORD),
        [
            PASSWORD,
            "AGFsZXJ0cwBzM2NyZXQtUGE1NXdvcmQteHl6enk=",
            "czNjcmV0LVBhNTV3b3JkLXh5enp5"
        ]
    );
}

#[track_caller]
fn assert_no_password_in(outcome: &Outcome, password: &str) {
    for form in password_forms("alerts", password) {
        for text in [&outcome.stdout, &outcome.stderr] {
            assert!(!text.contains(&form), "{form:?} printed:\n{text}");
        }
    }
}

#[test]
fn authenticates_with_the_password_file_and_never_prints_it() {
    let server = SmtpServer::with_auth(Mode::StartTls, "alerts", PASSWORD);
    let extra = "user = \"alerts\"\npassword_file = \"smtp-password\"";
    let scratch = Scratch::with_config(&config(server.port(), "starttls", extra));
    scratch.write("smtp-password", &format!("{PASSWORD}\n"));
    let outcome = scratch
        .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
        .env("RUST_LOG", "trace")
        .output()
        .success();
    assert_eq!(server.messages().len(), 2);
    assert!(
        server
            .messages()
            .iter()
            .all(|m| m.auth_user.as_deref() == Some("alerts"))
    );
    assert_no_password_in(&outcome, PASSWORD);

    // A wrong password: refused, reported with a hint, still never printed.
    let wrong = "wrong-Pa55word-plugh";
    scratch.write("smtp-password", wrong);
    let outcome = scratch
        .numkeep(&["test-alert"])
        .env("RUST_LOG", "trace,lettre=trace")
        .output()
        .expect_code(1);
    assert!(
        outcome.stdout.contains("refused the login"),
        "{}",
        outcome.stdout
    );
    assert_no_password_in(&outcome, wrong);
    assert_no_password_in(&outcome, PASSWORD);
    // A target more specific than `lettre` cannot open the dialogue either.
    let outcome = scratch
        .numkeep(&["test-alert"])
        .env(
            "RUST_LOG",
            "lettre::transport::smtp=trace,lettre::transport::smtp::client=trace",
        )
        .output()
        .expect_code(1);
    assert_no_password_in(&outcome, wrong);
}

#[test]
fn password_from_the_environment_and_the_systemd_credential() {
    let server = SmtpServer::with_auth(Mode::StartTls, "alerts", PASSWORD);
    let scratch = Scratch::with_config(&config(server.port(), "starttls", "user = \"alerts\""));
    scratch
        .numkeep(&["test-alert"])
        .env("NUMKEEP_SMTP_PASSWORD", PASSWORD)
        .output()
        .success();
    scratch.write("credentials/smtp-password", PASSWORD);
    scratch
        .numkeep(&["test-alert"])
        .env("CREDENTIALS_DIRECTORY", scratch.path("credentials"))
        .output()
        .success();
    assert_eq!(server.messages().len(), 4, "two recipients, twice");
    let outcome = scratch.numkeep(&["test-alert"]).output().expect_code(1);
    assert!(
        outcome.stdout.contains("no password was found"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn implicit_tls_and_a_plain_loopback_relay() {
    let tls_server = SmtpServer::start(Mode::ImplicitTls);
    run_once(&scratch(tls_server.port(), "tls"), "2026-11-23T09:00").success();
    assert_eq!(tls_server.messages().len(), 2);
    assert!(tls_server.messages().iter().all(|m| m.tls));

    let plain_server = SmtpServer::start(Mode::Plain);
    run_once(&scratch(plain_server.port(), "none"), "2026-11-23T09:00").success();
    assert_eq!(plain_server.messages().len(), 2);
}

#[test]
fn test_alert_reports_each_channel_with_hints() {
    let server = SmtpServer::start(Mode::StartTls);
    let scratch = scratch(server.port(), "starttls");
    let outcome = scratch
        .numkeep(&["test-alert", "--at", "2026-11-23T09:00"])
        .output()
        .success();
    assert!(outcome.stdout.contains("log: ok"), "{}", outcome.stdout);
    assert!(
        outcome
            .stdout
            .contains("email to me@example.org via 127.0.0.1"),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.contains("email to alice@example.org"),
        "{}",
        outcome.stdout
    );
    assert_eq!(server.messages().len(), 2);
    assert_eq!(
        header(&server.messages()[0].data, "Subject"),
        "numkeep test message"
    );

    // STARTTLS against a port that speaks implicit TLS: a hint about the mode.
    let tls_server = SmtpServer::start(Mode::ImplicitTls);
    let wrong_mode = Scratch::with_config(&config(tls_server.port(), "starttls", ""));
    let outcome = wrong_mode.numkeep(&["test-alert"]).output().expect_code(1);
    assert!(outcome.stdout.contains("hint:"), "{}", outcome.stdout);

    // A certificate the client does not trust: says so.
    let outcome = scratch
        .numkeep(&["test-alert"])
        .env("SSL_CERT_FILE", "/dev/null")
        .output()
        .expect_code(1);
    assert!(
        outcome
            .stdout
            .contains("hint: the server's TLS certificate does not match `host` or is not trusted"),
        "{}",
        outcome.stdout
    );

    // Nothing listening: says so.
    let nobody = Scratch::with_config(&config(free_port(), "starttls", ""));
    let outcome = nobody.numkeep(&["test-alert"]).output().expect_code(1);
    assert!(
        outcome.stdout.contains("nothing accepts connections"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn chinese_digest() {
    let server = SmtpServer::start(Mode::StartTls);
    let text = config(server.port(), "starttls", "").replace(
        "remind_before = [\"7d\", \"0d\"]",
        "remind_before = [\"7d\", \"0d\"]\nlanguage = \"zh-CN\"",
    );
    let scratch = Scratch::with_config(&text);
    run_once(&scratch, "2026-11-23T09:00").success();
    let messages = server.messages();
    let mine = messages
        .iter()
        .find(|m| m.to == ["me@example.org"])
        .unwrap();
    let body = decoded_body(&mine.data);
    assert!(body.contains("要做什么：充值"), "{body}");
    assert!(
        body.contains("最晚处理：2026-11-25（周三），还剩 2 天"),
        "{body}"
    );
    // One language per message: what is left once the user's own names and the command
    // line are taken out has no Latin letters.
    let subject = crate::support::mail::decoded_header(&mine.data, "Subject");
    assert!(subject.starts_with("numkeep："), "{subject}");
    let allowed = [
        "numkeep renew",
        "--topup",
        "--used",
        "--balance",
        "numkeep",
        "Zain Kuwait prepaid",
        "Kuwait line",
        "UK line",
    ];
    for text in [subject.as_str(), body.as_str()] {
        let rest = allowed
            .iter()
            .fold(text.to_owned(), |rest, name| rest.replace(name, ""));
        assert!(
            !rest.chars().any(|c| c.is_ascii_alphabetic()),
            "English in a Chinese message:\n{text}"
        );
    }
}

#[test]
fn a_label_cannot_inject_headers() {
    let server = SmtpServer::start(Mode::StartTls);
    let text = config(server.port(), "starttls", "").replace(
        "label = \"Kuwait line\"",
        "label = \"Kuwait\\r\\nBcc: evil@example.org\\r\\n\\r\\nforged\"",
    );
    let scratch = Scratch::with_config(&text);
    run_once(&scratch, "2026-11-23T09:00").success();
    for message in server.messages() {
        assert!(!message.to.iter().any(|to| to.contains("evil")));
        let headers = message.data.split("\r\n\r\n").next().unwrap_or_default();
        assert!(!headers.to_lowercase().contains("bcc"), "{headers}");
    }
}

#[test]
fn log_only_without_email() {
    let scratch = Scratch::with_config(
        r#"
[settings]
timezone = "UTC"
[[number]]
number = "+965 5123 4567"
topup_valid_for = "30d"
grace = "10d"
last_topup = 2026-10-01
"#,
    );
    // In grace on 2026-11-05: an error-level log line with structured fields.
    let outcome = run_once(&scratch, "2026-11-05T09:00").success();
    assert!(outcome.stderr.contains("ERROR"), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("number=\"+96551234567\""),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("act_by=\"2026-10-30\""),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("days_left=-6"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("action=\"top_up\""),
        "{}",
        outcome.stderr
    );
    // Once a day in grace: not again the same day, again the next day.
    let again = run_once(&scratch, "2026-11-05T18:00").success();
    assert!(!again.stderr.contains("ERROR"), "{}", again.stderr);
    let next_day = run_once(&scratch, "2026-11-06T09:00").success();
    assert!(next_day.stderr.contains("in grace"), "{}", next_day.stderr);
    // The lost-on date: one final notice, then silence.
    let lost = run_once(&scratch, "2026-11-10T09:00").success();
    assert!(lost.stderr.contains("final notice"), "{}", lost.stderr);
    let after = run_once(&scratch, "2026-11-11T09:00").success();
    assert!(!after.stderr.contains("+96551234567:"), "{}", after.stderr);
}

#[test]
fn a_second_instance_on_the_same_state_directory_refuses() {
    let scratch =
        Scratch::with_config("[[number]]\nnumber = \"+96551234567\"\nvalid_until = 2099-01-01\n");
    let daemon = Daemon::start(&scratch, |run| run);
    // Once started, the daemon holds the lock.
    daemon.wait_for_log("numkeep started");
    let outcome = run_once(&scratch, "2026-11-23T09:00");
    drop(daemon);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("another numkeep is already running"),
        "{}",
        outcome.stderr
    );
}
