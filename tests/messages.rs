//! Integration tests: every transport sends well-formed mail, and `test-alert` says what
//! went wrong once, with a hint that names the real cause.

use crate::support::cli::{Outcome, Scratch};
use crate::support::mail::rfc5322_problems;
use crate::support::smtp_server::{Faults, Mode, SmtpServer, ca_as_server_path, free_port};

const SENDER_DOMAIN: &str = "alerts.example.org";

/// One number due on 2026-11-23, mail to two recipients through `transport`.
fn config(transport: &str) -> String {
    format!(
        r#"
[settings]
timezone = "UTC"
remind_before = ["7d"]

[email]
from = "numkeep <numkeep@{SENDER_DOMAIN}>"
to = ["me@example.org", "Zoë <zoe@example.net>"]
{transport}

[[number]]
number = "+965 5123 4567"
label = "Kuwait line — 科威特"
topup_valid_for = "30d"
last_topup = 2026-11-01
"#
    )
}

fn smtp(port: u16, tls: &str, extra: &str) -> String {
    format!("[email.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\n{extra}")
}

#[track_caller]
fn assert_well_formed(messages: &[String], transport: &str) {
    assert_eq!(messages.len(), 2, "{transport}: one per recipient");
    for message in messages {
        let problems = rfc5322_problems(message, SENDER_DOMAIN);
        assert!(
            problems.is_empty(),
            "{transport}:\n{}\n--- message\n{message}",
            problems.join("\n")
        );
    }
}

#[test]
fn every_transport_sends_well_formed_mail_with_a_message_id_on_the_senders_domain() {
    for (mode, tls) in [
        (Mode::Plain, "none"),
        (Mode::StartTls, "starttls"),
        (Mode::ImplicitTls, "tls"),
    ] {
        let server = SmtpServer::start(mode);
        let scratch = Scratch::with_config(&config(&smtp(server.port(), tls, "")));
        scratch
            .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
            .output()
            .success();
        let messages: Vec<String> = server.messages().into_iter().map(|m| m.data).collect();
        assert_well_formed(&messages, tls);
        assert_ne!(messages[0], messages[1]);
    }

    // sendmail: a script that keeps what it was given on stdin.
    let scratch = Scratch::new();
    scratch.write(
        "sendmail",
        "#!/bin/sh\ncat > \"$(dirname \"$0\")/outbox/$$.eml\"\n",
    );
    scratch.write("outbox/.keep", "");
    let script = scratch.path("sendmail");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let transport = format!("sendmail = \"{}\"", script.display());
    scratch.write("config.toml", &config(&transport));
    scratch
        .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
        .output()
        .success();
    let messages: Vec<String> = std::fs::read_dir(scratch.path("outbox"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    assert_well_formed(&messages, "sendmail");
}

fn test_alert(scratch: &Scratch) -> Outcome {
    scratch.numkeep(&["test-alert"]).output().expect_code(1)
}

/// The one `failed:` line and its hint for the first recipient.
fn failure(outcome: &Outcome) -> (String, String) {
    let mut lines = outcome.stdout.lines();
    let failed = lines
        .find(|line| line.starts_with("email to me@example.org"))
        .unwrap_or_default()
        .to_owned();
    let hint = lines.next().unwrap_or_default().to_owned();
    (failed, hint)
}

#[test]
fn each_error_is_printed_once() {
    let port = free_port();
    let scratch = Scratch::with_config(&config(&smtp(port, "starttls", "")));
    let (failed, hint) = failure(&test_alert(&scratch));
    assert_eq!(
        failed,
        format!(
            "email to me@example.org: failed: 127.0.0.1:{port} (starttls): Connection error: Connection refused (os error 111)"
        )
    );
    assert!(
        hint.starts_with("  hint: nothing accepts connections"),
        "{hint}"
    );
}

#[test]
fn a_ca_certificate_used_as_the_servers_own_is_not_blamed_on_the_host_name() {
    let server = SmtpServer::with_ca_as_certificate(Mode::StartTls);
    let scratch = Scratch::with_config(&config(&smtp(server.port(), "starttls", "")));
    let outcome = scratch
        .numkeep(&["test-alert"])
        .env("SSL_CERT_FILE", ca_as_server_path())
        .output()
        .expect_code(1);
    let (failed, hint) = failure(&outcome);
    assert!(failed.contains("CaUsedAsEndEntity"), "{failed}");
    assert!(
        hint.starts_with("  hint: the server presents a CA certificate as its own"),
        "{hint}"
    );
    assert!(!hint.contains("use the host name"), "{hint}");
}

#[test]
fn a_plain_login_to_a_starttls_port_suggests_starttls_not_the_password() {
    let server = SmtpServer::with_auth(Mode::StartTls, "alerts", "s3cret");
    let extra = "user = \"alerts\"";
    let scratch = Scratch::with_config(&config(&smtp(server.port(), "none", extra)));
    let outcome = scratch
        .numkeep(&["test-alert"])
        .env("NUMKEEP_SMTP_PASSWORD", "s3cret")
        .output()
        .expect_code(1);
    let (failed, hint) = failure(&outcome);
    assert!(
        failed.ends_with("No compatible authentication mechanism was found"),
        "{failed}"
    );
    assert!(
        hint.starts_with(
            "  hint: the server offers login only after STARTTLS: set tls = \"starttls\""
        ),
        "{hint}"
    );
    assert!(!hint.contains("refused the login"), "{hint}");
    assert!(
        server.auth_attempts().is_empty(),
        "the password never went out in the clear"
    );
}

#[test]
fn a_timeout_does_not_blame_the_tls_mode() {
    let server = SmtpServer::start(Mode::StartTls);
    server.set_faults(Faults {
        reply_delay: Some(std::time::Duration::from_secs(5)),
        ..Faults::default()
    });
    let scratch = Scratch::with_config(&config(&smtp(server.port(), "starttls", "")));
    let outcome = scratch
        .numkeep(&["test-alert"])
        .env("NUMKEEP_SMTP_TIMEOUT", "1")
        .output()
        .expect_code(1);
    let (failed, hint) = failure(&outcome);
    assert!(
        failed.ends_with("no answer within 1 seconds") || failed.contains("timed out"),
        "{failed}"
    );
    assert!(
        hint.starts_with("  hint: the server did not answer in time"),
        "{hint}"
    );
    assert!(!hint.to_lowercase().contains("tls"), "{hint}");
}
