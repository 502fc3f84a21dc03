//! Integration tests: secrets, permissions, plaintext refusal and corrupt state.

use std::os::unix::fs::PermissionsExt;

use crate::support::cli::Scratch;

const BASE: &str = r#"
[settings]
timezone = "UTC"
[email]
from = "numkeep <alerts@example.org>"
to = ["me@example.org"]
[email.smtp]
host = "127.0.0.1"
tls = "none"
user = "alerts"
password_file = "smtp-password"
[[number]]
number = "+965 5123 4567"
valid_until = 2026-11-25
"#;

fn chmod(scratch: &Scratch, name: &str, mode: u32) {
    std::fs::set_permissions(scratch.path(name), std::fs::Permissions::from_mode(mode))
        .expect("chmod");
}

#[test]
fn check_warns_about_loose_permissions() {
    let scratch = Scratch::with_config(BASE);
    scratch.write("smtp-password", "hunter2-secret\n");
    chmod(&scratch, "config.toml", 0o644);
    chmod(&scratch, "smtp-password", 0o600);
    let quiet = scratch.numkeep(&["check"]).output().success();
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);

    chmod(&scratch, "smtp-password", 0o644);
    chmod(&scratch, "config.toml", 0o666);
    let outcome = scratch.numkeep(&["check"]).output().success();
    assert!(
        outcome.stderr.contains(
            "smtp-password: warning: the SMTP password file is readable by other users (mode 644)"
        ),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("config.toml: warning: the config is writable by other users (mode 666)"),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("hunter2") && !outcome.stdout.contains("hunter2"));
}

#[test]
fn plaintext_smtp_is_refused_to_other_hosts() {
    let scratch =
        Scratch::with_config(&BASE.replace("host = \"127.0.0.1\"", "host = \"smtp.example.org\""));
    let outcome = scratch.numkeep(&["check"]).output().expect_code(2);
    assert!(
        outcome.stderr.contains("config.toml:9:7: tls = \"none\" sends mail and passwords in clear text; it is allowed only to a relay on this machine"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn control_characters_cannot_reach_mail_headers() {
    for (key, value) in [
        (
            "from",
            "\"numkeep <a@example.org>\\r\\nBcc: evil@example.org\"",
        ),
        ("to", "[\"me@example.org\\nBcc: evil@example.org\"]"),
    ] {
        let text = BASE.replace(
            &format!(
                "{key} = {}",
                if key == "from" {
                    "\"numkeep <alerts@example.org>\""
                } else {
                    "[\"me@example.org\"]"
                }
            ),
            &format!("{key} = {value}"),
        );
        let scratch = Scratch::with_config(&text);
        let outcome = scratch.numkeep(&["check"]).output().expect_code(2);
        assert!(
            outcome.stderr.contains("must not contain line breaks"),
            "{key}: {}",
            outcome.stderr
        );
    }
}

#[test]
fn corrupt_state_is_set_aside_and_the_config_is_untouched() {
    let config = "[settings]\ntimezone = \"UTC\"\n[[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 2026-11-25\n";
    for garbage in [
        &b"\x00\x01\x02 not json"[..],
        b"{\"schema\": 1, \"done\": [",
        b"",
    ] {
        let scratch = Scratch::with_config(config);
        scratch.write("state/placeholder", "");
        std::fs::write(scratch.path("state/state.json"), garbage).expect("write garbage");
        let outcome = scratch
            .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
            .output()
            .success();
        assert!(outcome.stderr.contains("moved aside"), "{}", outcome.stderr);
        assert!(!outcome.stderr.contains("panicked"));
        assert_eq!(scratch.read("config.toml"), config);
        let aside = std::fs::read_dir(scratch.state_dir())
            .expect("list the state directory")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().contains("corrupt"))
            .count();
        assert_eq!(aside, 1);
        // The fresh state works: a second run sends nothing new.
        let again = scratch
            .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
            .output()
            .success();
        assert!(!again.stderr.contains("WARN"), "{}", again.stderr);
    }
}

#[test]
fn state_directory_is_created_private() {
    let scratch =
        Scratch::with_config("[[number]]\nnumber = \"+96551234567\"\nvalid_until = 2099-01-01\n");
    scratch
        .numkeep(&["run", "--once", "--at", "2026-11-23"])
        .output()
        .success();
    let mode = std::fs::metadata(scratch.state_dir())
        .expect("state dir")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    let mode = std::fs::metadata(scratch.path("state/state.json"))
        .expect("state file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn recipients_without_an_email_section_are_reported() {
    let scratch = Scratch::with_config(
        "[[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 2099-01-01\nemail = [\"alice@example.org\"]\n",
    );
    let outcome = scratch.numkeep(&["check"]).output().success();
    assert!(
        outcome.stderr.contains(
            "config.toml:1:1: warning: +96551234567: `email` is set but the config has no [email] section, so alerts go to the log only"
        ),
        "{}",
        outcome.stderr
    );
}
