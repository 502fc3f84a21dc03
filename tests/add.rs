//! Integration tests: `numkeep add`.
//!
//! Each test adds through the real binary and compares the whole file with the expected
//! text: the new `[[number]]` is appended in the file's line endings, after a blank line,
//! and nothing before it changes; every refusal leaves the file byte for byte as it was.

use crate::support::cli::Scratch;

const CONFIG: &str = "\u{feff}# my numbers\r\n[settings]\r\ntimezone = \"UTC\"   # here\r\n\r\n[carriers.zain-kw]\r\ntimezone = \"Asia/Kuwait\"\r\ntopup_valid_for = [{ min = 1, for = \"3d\" }, { min = 3, for = \"5d\" }]\r\n\r\n[carriers.giffgaff]\r\nuse_every = \"6mo\"\r\n\r\n[[number]]\r\nnumber = \"+44 7700 900123\"\r\ncarrier = \"giffgaff\"\r\nlast_used = 2026-06-10 # a text";

#[test]
fn a_number_is_appended_in_the_file_s_own_form() {
    let scratch = Scratch::with_config(CONFIG);
    let outcome = scratch
        .numkeep(&[
            "add",
            "+965 5123 4567",
            "--carrier",
            "zain-kw",
            "--label",
            "Kuwait \"bank\" line",
            "--topup",
            "5.000",
            "--on",
            "2026-11-20",
            "--bound-to",
            "HSBC",
            "--bound-to",
            "WeChat Pay",
            "--notes",
            "PUK 12345678",
        ])
        .output()
        .success();
    let expected = format!(
        "{CONFIG}\r\n\r\n[[number]]\r\nnumber = \"+96551234567\"\r\nlabel = \"Kuwait \\\"bank\\\" line\"\r\ncarrier = \"zain-kw\"\r\nlast_topup = 2026-11-20\r\nlast_topup_amount = \"5.000\"\r\nbound_to = [\"HSBC\", \"WeChat Pay\"]\r\nnotes = \"PUK 12345678\"\r\n"
    );
    assert_eq!(scratch.read("config.toml"), expected);
    assert!(
        outcome.stdout.starts_with(&format!(
            "+96551234567: added to {}; next: top up by Tue 2026-11-24 (Asia/Kuwait)",
            scratch.config_path().display()
        )),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.ends_with(
            "\n  number: (none) → \"+96551234567\"\n  last_topup: (none) → 2026-11-20\n"
        ),
        "{}",
        outcome.stdout
    );
    scratch.numkeep(&["check"]).output().success();
}

#[test]
fn a_dry_run_prints_the_diff_and_writes_nothing() {
    let scratch = Scratch::with_config(CONFIG);
    let outcome = scratch
        .numkeep(&[
            "add",
            "+44 7700 900124",
            "--carrier",
            "giffgaff",
            "--used",
            "--on",
            "2026-11-20",
            "--dry-run",
        ])
        .output()
        .success();
    let path = scratch.config_path().display().to_string();
    assert_eq!(
        outcome.stdout,
        format!(
            "--- {path}\n+++ {path}\n@@ -12,4 +12,9 @@\n [[number]]\n number = \"+44 7700 900123\"\n carrier = \"giffgaff\"\n-last_used = 2026-06-10 # a text\n\\ No newline at end of file\n+last_used = 2026-06-10 # a text\n+\n+[[number]]\n+number = \"+447700900124\"\n+carrier = \"giffgaff\"\n+last_used = 2026-11-20\n"
        )
    );
    assert_eq!(scratch.read("config.toml"), CONFIG);
}

#[test]
fn a_number_goes_to_an_included_file_with_file() {
    let main = "include = [\"conf.d/*.toml\"]\n[settings]\ntimezone = \"UTC\"\n[carriers.giffgaff]\nuse_every = \"6mo\"\n";
    let scratch = Scratch::with_config(main);
    scratch.write("conf.d/uk.toml", "# UK lines\n");
    scratch
        .numkeep(&[
            "add",
            "+44 7700 900123",
            "--carrier",
            "giffgaff",
            "--used",
            "--on",
            "2026-11-20",
            "--file",
            "conf.d/uk.toml",
        ])
        .output()
        .success();
    assert_eq!(scratch.read("config.toml"), main);
    assert_eq!(
        scratch.read("conf.d/uk.toml"),
        "# UK lines\n\n[[number]]\nnumber = \"+447700900123\"\ncarrier = \"giffgaff\"\nlast_used = 2026-11-20\n"
    );
    // A file the config does not read is refused, naming those it does.
    let outcome = scratch
        .numkeep(&[
            "add",
            "+44 7700 900124",
            "--carrier",
            "giffgaff",
            "--used",
            "--file",
            "elsewhere.toml",
        ])
        .output()
        .expect_code(2);
    assert!(
        outcome
            .stderr
            .contains("--file elsewhere.toml: not a file of this config; use one of: "),
        "{}",
        outcome.stderr
    );
}

/// Asserts that `add ARGS` exits 2 with `message` on stderr and leaves the file as it was.
#[track_caller]
fn assert_refused(args: &[&str], message: &str) {
    let scratch = Scratch::with_config(CONFIG);
    let mut full = vec!["add"];
    full.extend_from_slice(args);
    let outcome = scratch.numkeep(&full).output().expect_code(2);
    assert!(
        outcome.stderr.contains(message),
        "{args:?}\n{}",
        outcome.stderr
    );
    assert_eq!(outcome.stdout, "");
    assert_eq!(
        std::fs::read(scratch.config_path()).unwrap(),
        CONFIG.as_bytes(),
        "{args:?} must leave the file unchanged"
    );
}

#[test]
fn refusals_leave_the_file_byte_identical() {
    assert_refused(
        &["+44 7700 900123", "--carrier", "giffgaff", "--used"],
        "numkeep: error: +447700900123 is already in ",
    );
    assert_refused(
        &["+44 7700 900124", "--carrier", "giffgaf", "--used"],
        ": unknown carrier `giffgaf`; did you mean `giffgaff`?",
    );
    assert_refused(
        &["+965 5123 4567", "--carrier", "zain-kw", "--topup"],
        "numkeep: error: +96551234567: the top-up validity of zain-kw depends on the amount",
    );
    assert_refused(
        &[
            "+965 5123 4567",
            "--carrier",
            "zain-kw",
            "--topup",
            "0.5",
            "--on",
            "2026-11-20",
        ],
        "last_topup_amount 0.5 is below every topup_valid_for entry",
    );
    assert_refused(
        &[
            "+44 7700 900124",
            "--carrier",
            "giffgaff",
            "--used",
            "--on",
            "2099-01-01",
        ],
        "numkeep: error: --on 2099-01-01 is in the future",
    );
    // Without a date the new number has no date to count from.
    assert_refused(
        &["+44 7700 900124", "--carrier", "giffgaff"],
        "+447700900124: use_every needs `last_used`",
    );
}
