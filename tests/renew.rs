//! Integration tests: `numkeep renew`.
//!
//! Each test renews through the real binary, then compares the whole file with the expected
//! text (comments, order and layout must survive) and asks `status --json` where the deadline
//! went. Every run pins the day with `--on` (renew) or `--at` (status).

use serde_json::Value;

use crate::support::cli::{Outcome, Scratch, project_file};

fn fixture() -> String {
    let path = project_file("tests/fixtures/core/renew.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn renew(scratch: &Scratch, args: &[&str]) -> Outcome {
    let mut full = vec!["renew"];
    full.extend_from_slice(args);
    scratch.numkeep(&full).output()
}

/// The most urgent act-by date and the rule of `number` on `at`.
fn deadline(scratch: &Scratch, number: &str, at: &str) -> (String, String) {
    let outcome = scratch
        .numkeep(&["status", "--json", "--at", at])
        .output()
        .success();
    let numbers: Value = serde_json::from_str(&outcome.stdout).unwrap();
    let entry = numbers
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["number"] == number)
        .unwrap_or_else(|| panic!("{number} missing from {}", outcome.stdout));
    (
        entry["act_by"].as_str().unwrap().to_owned(),
        entry["rule"].as_str().unwrap().to_owned(),
    )
}

/// `text` with `from` replaced by `to`, which must occur exactly once.
#[track_caller]
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replacen(from, to, 1)
}

/// Asserts that `renew ARGS` exits 2 with `message` on stderr and leaves the file as it was.
#[track_caller]
fn assert_refused(args: &[&str], message: &str) {
    let scratch = Scratch::with_config(&fixture());
    let before = std::fs::read(scratch.config_path()).unwrap();
    let outcome = renew(&scratch, args).expect_code(2);
    assert!(
        outcome.stderr.contains(message),
        "{args:?}\n{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    assert_eq!(outcome.stdout, "");
    assert_eq!(
        std::fs::read(scratch.config_path()).unwrap(),
        before,
        "{args:?} must leave the file unchanged"
    );
    let leftovers: Vec<_> = std::fs::read_dir(scratch.dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn topup_with_amount_rewrites_two_values_and_nothing_else() {
    let scratch = Scratch::with_config(&fixture());
    assert_eq!(
        deadline(&scratch, "+96551234567", "2026-11-02"),
        ("2026-11-03".to_owned(), "topup_valid_for".to_owned()),
        "KD 1 on 2026-11-01 buys 3 days"
    );
    let outcome = renew(
        &scratch,
        &["+965 5123 4567", "--topup", "5.000", "--on", "2026-11-20"],
    )
    .success();
    assert!(
        outcome.stdout.starts_with(&format!(
            "+96551234567: recorded in {}; next: top up by Tue 2026-11-24 (",
            scratch.config_path().display()
        )),
        "{}",
        outcome.stdout
    );
    let expected = replace_once(
        &fixture(),
        "last_topup = 2026-11-01     # KD 1 from the corner shop\nlast_topup_amount = \"1.000\"\n",
        "last_topup = 2026-11-20     # KD 1 from the corner shop\nlast_topup_amount = \"5.000\"\n",
    );
    assert_eq!(scratch.read("config.toml"), expected);
    assert_eq!(
        deadline(&scratch, "+96551234567", "2026-11-21"),
        ("2026-11-24".to_owned(), "topup_valid_for".to_owned()),
        "KD 5 on 2026-11-20 buys 5 days"
    );
}

#[test]
fn the_number_may_be_written_in_any_spelling() {
    for spelling in ["+96551234567", "+965-5123-4567", "+965 (5123) 4567"] {
        let scratch = Scratch::with_config(&fixture());
        renew(&scratch, &[spelling, "--topup", "3", "--on", "2026-11-20"]).success();
        let expected = replace_once(
            &replace_once(
                &fixture(),
                "last_topup = 2026-11-01 ",
                "last_topup = 2026-11-20 ",
            ),
            "last_topup_amount = \"1.000\"",
            "last_topup_amount = \"3\"",
        );
        assert_eq!(scratch.read("config.toml"), expected, "{spelling}");
    }
}

#[test]
fn used_on_a_date_moves_the_use_deadline() {
    let scratch = Scratch::with_config(&fixture());
    assert_eq!(
        deadline(&scratch, "+447700900123", "2026-11-20").0,
        "2026-12-09",
        "2026-06-10 + 6mo - 1 day"
    );
    renew(
        &scratch,
        &["+44 7700 900123", "--used", "--on", "2026-11-20"],
    )
    .success();
    let expected = replace_once(
        &fixture(),
        "last_used = 2026-06-10 # a text to the bank",
        "last_used = 2026-11-20 # a text to the bank",
    );
    assert_eq!(scratch.read("config.toml"), expected);
    assert_eq!(
        deadline(&scratch, "+447700900123", "2026-11-20"),
        ("2027-05-19".to_owned(), "use_every".to_owned()),
    );
}

#[test]
fn a_new_key_goes_at_the_end_of_its_number() {
    let scratch = Scratch::with_config(&fixture());
    renew(
        &scratch,
        &["+852 9123 4567", "--topup", "--used", "--on", "2026-11-20"],
    )
    .success();
    let expected = replace_once(
        &fixture(),
        "last_topup = 2026-06-01\n",
        "last_topup = 2026-11-20\nlast_used = 2026-11-20\n",
    );
    assert_eq!(scratch.read("config.toml"), expected);
    assert_eq!(
        deadline(&scratch, "+85291234567", "2026-11-20").0,
        "2027-05-18",
        "2026-11-20 + 180d - 1 day"
    );
}

#[test]
fn balance_keeps_the_billing_day() {
    let scratch = Scratch::with_config(&fixture());
    renew(
        &scratch,
        &[
            "+1 555 010 0199",
            "--balance",
            "12.50",
            "--on",
            "2026-11-20",
        ],
    )
    .success();
    // The anchor stays as written (the 15th); the engine steps from it to the first charge
    // on or after 2026-11-20, which is 2026-12-15 (not 2026-11-20 + 1mo).
    let expected = replace_once(
        &fixture(),
        "balance = { amount = \"2.00\", on = 2026-10-01 }   # read in the app\n",
        "balance = { amount = \"12.50\", on = 2026-11-20 }   # read in the app\n",
    );
    assert_eq!(scratch.read("config.toml"), expected);
    // 12.50 pays 4 charges of 2.98: 12-15, 01-15, 02-15, 03-15; 2027-04-15 is unpaid.
    assert_eq!(
        deadline(&scratch, "+15550100199", "2026-11-20"),
        ("2027-04-14".to_owned(), "fee".to_owned()),
    );
}

#[test]
fn balance_writes_the_anchor_it_used_to_default_to() {
    let scratch = Scratch::with_config(&fixture());
    // Before: the anchor defaults to balance.on + 1mo = 2026-11-01; 2.98 pays that charge.
    assert_eq!(
        deadline(&scratch, "+12065550100", "2026-11-20").0,
        "2026-11-30"
    );
    renew(
        &scratch,
        &["+12065550100", "--balance", "12.50", "--on", "2026-11-20"],
    )
    .success();
    let expected = replace_once(
        &fixture(),
        "balance = { amount = \"2.98\", on = 2026-10-01 }\n",
        "balance = { amount = \"12.50\", on = 2026-11-20 }\nnext_charge = 2026-11-01\n",
    );
    assert_eq!(scratch.read("config.toml"), expected);
    // Charges on the 1st: 12-01, 01-01, 02-01, 03-01 paid; 2027-04-01 is not.
    assert_eq!(
        deadline(&scratch, "+12065550100", "2026-11-20").0,
        "2027-03-31"
    );
}

#[test]

fn balance_keeps_a_billing_day_on_the_31st() {
    let config = r#"
[settings]
timezone = "UTC"

[[number]]
number = "+1 555 010 0199"
fee = { amount = "2.98", every = "1mo" }
balance = { amount = "2.98", on = 2026-10-01 }
next_charge = 2026-10-31
"#;
    let scratch = Scratch::with_config(config);
    renew(
        &scratch,
        &["+15550100199", "--balance", "11.92", "--on", "2026-11-20"],
    )
    .success();
    // Charges on 11-30, 12-31, 01-31, 02-28 are paid; the one on 2027-03-31 is not.
    assert_eq!(
        deadline(&scratch, "+15550100199", "2026-11-20").0,
        "2027-03-30"
    );
}

#[test]
fn renewing_twice_is_stable() {
    let scratch = Scratch::with_config(&fixture());
    let args = ["+965 5123 4567", "--topup", "5.000", "--on", "2026-11-20"];
    renew(&scratch, &args).success();
    let once = scratch.read("config.toml");
    renew(&scratch, &args).success();
    assert_eq!(scratch.read("config.toml"), once);
}

#[test]
fn a_number_in_an_included_file_is_edited_there() {
    let main = "# main file\ninclude = [\"conf.d/*.toml\"]\n\n[settings]\ntimezone = \"UTC\"\n";
    let included = "# Kuwaiti lines\n[[number]]\nnumber = \"+965 5123 4567\"\ntopup_valid_for = \"30d\"\nlast_topup = 2026-10-01   # recharge card\n";
    let scratch = Scratch::with_config(main);
    scratch.write("conf.d/kuwait.toml", included);
    let outcome = renew(
        &scratch,
        &["+965 5123 4567", "--topup", "--on", "2026-11-20"],
    )
    .success();
    assert!(
        outcome.stdout.starts_with(&format!(
            "+96551234567: recorded in {}; next: top up by Sat 2026-12-19 (",
            scratch.path("conf.d/kuwait.toml").display()
        )),
        "{}",
        outcome.stdout
    );
    assert_eq!(scratch.read("config.toml"), main);
    assert_eq!(
        scratch.read("conf.d/kuwait.toml"),
        included.replace("2026-10-01   #", "2026-11-20   #")
    );
    assert_eq!(
        deadline(&scratch, "+96551234567", "2026-11-20").0,
        "2026-12-19"
    );
}

#[test]
fn unknown_number_is_refused() {
    assert_refused(
        &["+965 5123 9999", "--used", "--on", "2026-11-20"],
        "numkeep: error: +96551239999 is not in ",
    );
    assert_refused(
        &["96551234567", "--used", "--on", "2026-11-20"],
        "numkeep: error: malformed number \"96551234567\"",
    );
}

#[test]
fn bad_amounts_are_refused() {
    assert_refused(
        &["+965 5123 4567", "--topup", "five", "--on", "2026-11-20"],
        "numkeep: error: --topup: invalid amount \"five\": expected a decimal number like \"12.500\"",
    );
    assert_refused(
        &["+965 5123 4567", "--topup=-5", "--on", "2026-11-20"],
        "numkeep: error: --topup: invalid amount \"-5\": must not be negative",
    );
    assert_refused(
        &["+1 555 010 0199", "--balance", "1,5", "--on", "2026-11-20"],
        "numkeep: error: --balance: invalid amount \"1,5\"",
    );
    assert_refused(
        &["+1 555 010 0199", "--balance", "1e3", "--on", "2026-11-20"],
        "numkeep: error: --balance: invalid amount \"1e3\"",
    );
}

#[test]
fn topup_without_amount_on_an_amount_table_is_refused() {
    assert_refused(
        &["+965 5123 4567", "--topup", "--on", "2026-11-20"],
        "numkeep: error: +96551234567: its top-up validity depends on the amount: give it, as in --topup 5.000",
    );
}

#[test]
fn an_edit_that_would_break_the_config_is_refused() {
    // KD 0.5 is below every entry of the amount table.
    assert_refused(
        &["+965 5123 4567", "--topup", "0.500", "--on", "2026-11-20"],
        "numkeep: the config would be invalid after this change; nothing was written:\n",
    );
    assert_refused(
        &["+965 5123 4567", "--topup", "0.500", "--on", "2026-11-20"],
        ": +96551234567: last_topup_amount 0.500 is below every topup_valid_for entry (the smallest min is 1.000)\n",
    );
    // An expiry at the end of the calendar pushes the lost-on date past year 9999.
    assert_refused(
        &[
            "+852 9123 4567",
            "--valid-until",
            "9999-12-31",
            "--on",
            "2026-11-20",
        ],
        ": +85291234567: a deadline falls outside the supported dates (years 0001–9999)\n",
    );
}

#[test]
fn bad_on_date_is_refused() {
    for on in ["2026-13-01", "2026-02-30", "yesterday"] {
        assert_refused(
            &["+44 7700 900123", "--used", "--on", on],
            &format!("{on:?}"),
        );
    }
}

#[test]
fn nothing_to_record_is_refused() {
    assert_refused(
        &["+965 5123 4567", "--on", "2026-11-20"],
        "numkeep: error: say what happened: --topup [AMOUNT], --used, --balance AMOUNT, --pause, --resume or --valid-until DATE",
    );
}

#[test]
fn an_invalid_config_is_not_edited() {
    let config = fixture().replace("carrier = \"giffgaff\"", "carrier = \"giffgaf\"");
    let scratch = Scratch::with_config(&config);
    let outcome = renew(
        &scratch,
        &["+965 5123 4567", "--topup", "5", "--on", "2026-11-20"],
    )
    .expect_code(2);
    assert!(
        outcome
            .stderr
            .contains(": unknown carrier `giffgaf`; did you mean `giffgaff`?"),
        "{}",
        outcome.stderr
    );
    assert_eq!(scratch.read("config.toml"), config);
}

/// A config written every way TOML allows: a balance as an inline table, as dotted keys and
/// as a sub-table; amounts as numbers and as strings (double and single quotes); a comment
/// after every value and every table header.
const LAYOUTS: &str = r#"# every way TOML allows
[settings]   # s
timezone = "UTC"   # zone

[carriers.keep]   # c
use_every = "6mo"   # u
fee = { amount = 2.98, every = "1mo" }   # f
pause_max = "1y"   # p

[carriers.shop]   # c
topup_valid_for = [{ min = 1, for = "30d" }, { min = 20, for = "90d" }]   # tiers

[[number]]   # inline
number = "+1 555 010 0199"   # n
carrier = "keep"   # c
last_used = 2026-06-01   # u
balance = { amount = 20, on = 2026-10-01 }   # b
next_charge = 2026-10-15   # nc

[[number]]   # dotted
number = "+1 555 010 0200"   # n
carrier = "keep"   # c
last_used = 2026-06-02   # u
balance.amount = "20.00"   # a
balance.on = 2026-10-02   # o
next_charge = 2026-10-16   # nc

[[number]]   # sub-table
number = "+1 555 010 0201"   # n
carrier = "keep"   # c
last_used = 2026-06-03   # u
next_charge = 2026-10-17   # nc

[number.balance]   # b
amount = '20.000'   # a
on = 2026-10-03   # o

[[number]]   # paused
number = "+1 555 010 0202"   # n
carrier = "keep"   # c
last_used = 2026-05-01   # u
paused_since = 2026-09-01   # since
balance = { amount = "9.000", on = 2026-09-01 }   # b
next_charge = 2026-10-18   # nc

[[number]]   # amounts as numbers
number = "+44 7700 900123"   # n
carrier = "shop"   # c
last_topup = 2026-11-01   # t
last_topup_amount = 20   # a
"#;

/// `LAYOUTS` with LF and CRLF line endings, each with and without a byte-order mark.
fn layouts() -> Vec<(&'static str, String)> {
    let crlf = LAYOUTS.replace('\n', "\r\n");
    vec![
        ("LF", LAYOUTS.to_owned()),
        ("CRLF", crlf.clone()),
        ("BOM, LF", format!("\u{feff}{LAYOUTS}")),
        ("BOM, CRLF", format!("\u{feff}{crlf}")),
    ]
}

/// The lines a unified diff removes and adds.
fn diff_lines(diff: &str) -> (Vec<&str>, Vec<&str>) {
    let body = diff
        .lines()
        .filter(|line| !line.starts_with("---") && !line.starts_with("+++"));
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for line in body {
        if let Some(text) = line.strip_prefix('-') {
            removed.push(text);
        } else if let Some(text) = line.strip_prefix('+') {
            added.push(text);
        }
    }
    (removed, added)
}

/// Renews with `args` on every layout: `--dry-run` prints a diff of exactly the lines in
/// `edits` (LF-written `from` → `to`) and writes nothing; the real run changes exactly those
/// lines, in the file's own line endings, and the result is a valid config.
#[track_caller]
fn assert_round_trip(args: &[&str], edits: &[(&str, &str)]) {
    for (name, text) in layouts() {
        let ending = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let scratch = Scratch::with_config(&text);
        let mut dry = args.to_vec();
        dry.push("--dry-run");
        let outcome = renew(&scratch, &dry).success();
        assert_eq!(
            std::fs::read(scratch.config_path()).unwrap(),
            text.as_bytes(),
            "{name}: --dry-run wrote"
        );
        let (removed, added) = diff_lines(&outcome.stdout);
        let mut expected_removed: Vec<&str> = Vec::new();
        let mut expected_added: Vec<&str> = Vec::new();
        for (from, to) in edits {
            let (from_lines, to_lines): (Vec<&str>, Vec<&str>) =
                (from.lines().collect(), to.lines().collect());
            expected_removed.extend(from_lines.iter().filter(|line| !to_lines.contains(line)));
            expected_added.extend(to_lines.iter().filter(|line| !from_lines.contains(line)));
        }
        assert_eq!(removed, expected_removed, "{name}: {}", outcome.stdout);
        assert_eq!(added, expected_added, "{name}: {}", outcome.stdout);

        renew(&scratch, args).success();
        let expected = edits.iter().fold(text.clone(), |text, (from, to)| {
            replace_once(
                &text,
                &from.replace('\n', ending),
                &to.replace('\n', ending),
            )
        });
        let written = std::fs::read(scratch.config_path()).unwrap();
        assert_eq!(String::from_utf8_lossy(&written), expected, "{name}");
        scratch.numkeep(&["check"]).output().success();
    }
}

#[test]
fn an_inline_table_is_edited_in_place() {
    assert_round_trip(
        &[
            "+15550100199",
            "--balance",
            "30",
            "--used",
            "--on",
            "2026-11-20",
        ],
        &[
            (
                "last_used = 2026-06-01   # u",
                "last_used = 2026-11-20   # u",
            ),
            (
                "balance = { amount = 20, on = 2026-10-01 }   # b",
                "balance = { amount = 30, on = 2026-11-20 }   # b",
            ),
        ],
    );
}

#[test]
fn dotted_keys_are_edited_in_place() {
    assert_round_trip(
        &["+15550100200", "--balance", "30.50", "--on", "2026-11-20"],
        &[
            (
                "balance.amount = \"20.00\"   # a",
                "balance.amount = \"30.50\"   # a",
            ),
            (
                "balance.on = 2026-10-02   # o",
                "balance.on = 2026-11-20   # o",
            ),
        ],
    );
}

#[test]
fn a_sub_table_is_edited_in_place_and_new_keys_stay_above_it() {
    assert_round_trip(
        &[
            "+15550100201",
            "--balance",
            "30",
            "--used",
            "--on",
            "2026-11-20",
        ],
        &[
            (
                "last_used = 2026-06-03   # u",
                "last_used = 2026-11-20   # u",
            ),
            ("amount = '20.000'   # a", "amount = '30'   # a"),
            ("on = 2026-10-03   # o", "on = 2026-11-20   # o"),
        ],
    );
    assert_round_trip(
        &[
            "+15550100201",
            "--valid-until",
            "2027-01-31",
            "--on",
            "2026-11-20",
        ],
        &[(
            "next_charge = 2026-10-17   # nc\n",
            "next_charge = 2026-10-17   # nc\nvalid_until = 2027-01-31\n",
        )],
    );
}

#[test]
fn an_amount_written_as_a_number_stays_a_number() {
    assert_round_trip(
        &["+447700900123", "--topup", "50", "--on", "2026-11-20"],
        &[
            (
                "last_topup = 2026-11-01   # t",
                "last_topup = 2026-11-20   # t",
            ),
            (
                "last_topup_amount = 20   # a",
                "last_topup_amount = 50   # a",
            ),
        ],
    );
}

#[test]
fn pause_and_resume_write_and_remove_their_keys() {
    assert_round_trip(
        &["+15550100199", "--pause", "--on", "2026-11-20"],
        &[(
            "next_charge = 2026-10-15   # nc\n",
            "next_charge = 2026-10-15   # nc\npaused_since = 2026-11-20\n",
        )],
    );
    assert_round_trip(
        &["+15550100202", "--resume", "--on", "2026-11-20"],
        &[(
            "paused_since = 2026-09-01   # since\nbalance = { amount = \"9.000\", on = 2026-09-01 }   # b\nnext_charge = 2026-10-18   # nc\n",
            "balance = { amount = \"9.000\", on = 2026-09-01 }   # b\nnext_charge = 2026-10-18   # nc\nresumed_on = 2026-11-20\n",
        )],
    );
}

#[test]
fn the_answer_says_old_and_new_and_the_next_deadline() {
    let scratch = Scratch::with_config(LAYOUTS);
    let outcome = renew(
        &scratch,
        &["+15550100202", "--resume", "--on", "2026-11-20"],
    )
    .success();
    let path = scratch.config_path().display().to_string();
    assert!(
        outcome
            .stdout
            .starts_with(&format!("+15550100202: recorded in {path}; next: ")),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.ends_with(
            "\n  paused_since: 2026-09-01 → (none)\n  resumed_on: (none) → 2026-11-20\n"
        ),
        "{}",
        outcome.stdout
    );
    let chinese = LAYOUTS.replace(
        "[settings]   # s\n",
        "[settings]   # s\nlanguage = \"zh-CN\"\n",
    );
    let scratch = Scratch::with_config(&chinese);
    let path = scratch.config_path().display().to_string();
    let outcome = renew(
        &scratch,
        &["+44 7700 900123", "--topup", "50", "--on", "2026-11-20"],
    )
    .success();
    assert!(
        outcome.stdout.starts_with(&format!(
            "+447700900123：已记录到 {path}。下一步：请在 2027-02-17（周三）前充值，"
        )),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome
            .stdout
            .ends_with("\n  上次充值日期：2026-11-01 → 2026-11-20\n  上次充值金额：20 → 50\n"),
        "{}",
        outcome.stdout
    );
}

/// Asserts that `numkeep ARGS` exits 2 with `message` on stderr and leaves every layout of
/// the config byte for byte as it was.
#[track_caller]
fn assert_layouts_untouched(args: &[&str], message: &str) {
    for (name, text) in layouts() {
        let scratch = Scratch::with_config(&text);
        let outcome = scratch.numkeep(args).output().expect_code(2);
        assert!(
            outcome.stderr.contains(message),
            "{name}: {args:?}\n{}",
            outcome.stderr
        );
        assert_eq!(outcome.stdout, "", "{name}");
        assert_eq!(
            std::fs::read(scratch.config_path()).unwrap(),
            text.as_bytes(),
            "{name}: {args:?} must leave the file unchanged"
        );
    }
}

#[test]
fn every_refusal_leaves_the_file_byte_identical() {
    assert_layouts_untouched(
        &["renew", "+15550100199", "--used", "--on", "2099-01-01"],
        "numkeep: error: --on 2099-01-01 is in the future: today is ",
    );
    assert_layouts_untouched(
        &["renew", "+15550109999", "--used", "--on", "2026-11-20"],
        "numkeep: error: +15550109999 is not in ",
    );
    assert_layouts_untouched(
        &[
            "renew",
            "+447700900123",
            "--topup",
            "0.5",
            "--on",
            "2026-11-20",
        ],
        "+447700900123: last_topup_amount 0.5 is below every topup_valid_for entry",
    );
    assert_layouts_untouched(
        &["renew", "+15550100199", "--resume", "--on", "2026-11-20"],
        "numkeep: error: --resume: +15550100199 is not paused",
    );
    assert_layouts_untouched(
        &["renew", "+447700900123", "--pause", "--on", "2026-11-20"],
        "+447700900123: paused_since needs `pause_max`",
    );
}

#[test]
fn a_date_in_the_carrier_s_future_is_refused() {
    // At 22:00 UTC on 30 Nov it is already 1 Dec in Kuwait, not yet in UTC.
    let config = "[settings]\ntimezone = \"UTC\"\n\n[[number]]\nnumber = \"+965 5123 4567\"\ntimezone = \"Asia/Kuwait\"\ntopup_valid_for = \"30d\"\nlast_topup = 2026-11-01\n\n[[number]]\nnumber = \"+44 7700 900123\"\ntopup_valid_for = \"30d\"\nlast_topup = 2026-11-01\n";
    let scratch = Scratch::with_config(config);
    let run = |number: &str| {
        std::process::Command::new("faketime")
            .arg("2026-11-30 22:00:00 UTC")
            .arg(env!("CARGO_BIN_EXE_numkeep"))
            .arg("--config")
            .arg(scratch.config_path())
            .args(["renew", number, "--topup", "--on", "2026-12-01"])
            .env("TZ", "UTC")
            .output()
            .expect("faketime (apt install faketime) runs the binary")
    };
    let refused = run("+44 7700 900123");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(
            "--on 2026-12-01 is in the future: today is 2026-11-30 in UTC (the carrier's calendar)"
        ),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(scratch.read("config.toml"), config);
    let kuwait = run("+965 5123 4567");
    assert!(
        kuwait.status.success(),
        "{}",
        String::from_utf8_lossy(&kuwait.stderr)
    );
    assert_eq!(
        scratch.read("config.toml"),
        config.replacen("last_topup = 2026-11-01", "last_topup = 2026-12-01", 1)
    );
}

#[test]
fn an_unknown_number_names_every_file_searched() {
    let main = "include = [\"conf.d/*.toml\"]\n\n[settings]\ntimezone = \"UTC\"\n\n[[number]]\nnumber = \"+44 7700 900123\"\nvalid_until = 2027-01-01\n";
    let scratch = Scratch::with_config(main);
    scratch.write(
        "conf.d/a.toml",
        "[[number]]\nnumber = \"+44 7700 900124\"\nvalid_until = 2027-01-01\n",
    );
    scratch.write(
        "conf.d/b.toml",
        "[[number]]\nnumber = \"+44 7700 900125\"\nvalid_until = 2027-01-01\n",
    );
    let outcome = renew(
        &scratch,
        &["+965 5123 9999", "--used", "--on", "2026-11-20"],
    )
    .expect_code(2);
    let expected = format!(
        "numkeep: error: +96551239999 is not in {}, {} or {} (the 3 files searched)",
        scratch.config_path().display(),
        scratch.path("conf.d/a.toml").display(),
        scratch.path("conf.d/b.toml").display()
    );
    assert!(outcome.stderr.contains(&expected), "{}", outcome.stderr);
}

#[test]
fn older_dates_and_actions_no_rule_uses_are_warned_about() {
    let scratch = Scratch::with_config(LAYOUTS);
    let outcome = renew(&scratch, &["+15550100199", "--used", "--on", "2026-05-01"]).success();
    assert!(
        outcome.stderr.contains(
            "numkeep: warning: --used --on 2026-05-01 is older than the recorded last_used 2026-06-01"
        ),
        "{}",
        outcome.stderr
    );
    assert!(
        scratch
            .read("config.toml")
            .contains("last_used = 2026-05-01   # u")
    );
    let outcome = renew(
        &scratch,
        &["+44 7700 900123", "--used", "--on", "2026-11-20"],
    )
    .success();
    assert!(
        outcome.stderr.contains(
            "numkeep: warning: `--used`: no activity rule applies to +447700900123; did you mean `--topup`?"
        ),
        "{}",
        outcome.stderr
    );
    // A renewal that no rule questions says nothing on stderr.
    let outcome = renew(&scratch, &["+15550100200", "--used", "--on", "2026-11-20"]).success();
    assert_eq!(outcome.stderr, "");
}
