//! Integration tests: `numkeep check`.
//!
//! Every bad config must be reported as `PATH:LINE:COL: message`, then the source line and a
//! caret under the span, with exit status 2 and never a panic. The expected first lines are
//! written out in full: they are the snapshot of what users read (and tools parse); every
//! test checks the source line and the caret of each (`first_lines`). Paths are shown
//! relative to the scratch directory.

use crate::support::cli::{Outcome, Scratch, project_file};

/// `numkeep check` on `config`, with the scratch directory stripped from every path.
fn check(config: &str) -> Outcome {
    let scratch = Scratch::with_config(config);
    check_in(&scratch)
}

/// `numkeep check` in `scratch`. Every message on stderr must be followed by its source line
/// and a caret under its column (read back from the scratch directory's files, see
/// [`first_lines`]); the outcome's stderr holds the first lines alone, what tools parse.
fn check_in(scratch: &Scratch) -> Outcome {
    let outcome = scratch.numkeep(&["check"]).output();
    let prefix = format!("{}/", scratch.dir.path().display());
    let stderr = outcome.stderr.replace(&prefix, "");
    Outcome {
        code: outcome.code,
        stdout: outcome.stdout.replace(&prefix, ""),
        stderr: first_lines(&stderr, |path| {
            std::fs::read_to_string(scratch.dir.path().join(path)).ok()
        }),
    }
}

/// Checks that each `PATH:LINE:COL: message` line of `stderr` is followed, as rustc and just
/// do, by a blank gutter, `LINE | ` and that line of PATH (as `text_of` gives it), and a
/// caret line whose `^`s start under COL; returns the first lines alone. Only a problem with
/// a file as a whole (at 1:1: unreadable, no numbers) may come without its line.
#[track_caller]
fn first_lines(stderr: &str, text_of: impl Fn(&str) -> Option<String>) -> String {
    let mut lines = stderr.lines().peekable();
    let mut firsts = String::new();
    while let Some(first) = lines.next() {
        firsts.push_str(first);
        firsts.push('\n');
        let mut position = first.splitn(4, ':');
        let (Some(path), Some(line), Some(column)) =
            (position.next(), position.next(), position.next())
        else {
            panic!("not PATH:LINE:COL: {first}");
        };
        let line: usize = line.parse().unwrap_or_else(|_| panic!("no line: {first}"));
        let column: usize = column
            .parse()
            .unwrap_or_else(|_| panic!("no column: {first}"));
        let gutter = " ".repeat(line.to_string().len());
        if lines.peek() != Some(&format!("{gutter} |").as_str()) {
            assert_eq!((line, column), (1, 1), "no source line after {first:?}");
            continue;
        }
        lines.next();
        let text = text_of(path).unwrap_or_else(|| panic!("cannot read {path}"));
        let source = text.split('\n').nth(line - 1).unwrap_or("");
        let source = source.strip_suffix('\r').unwrap_or(source);
        assert_eq!(
            lines.next(),
            Some(format!("{line} | {source}").as_str()),
            "the source line of {first:?}"
        );
        let indent: String = source
            .chars()
            .take(column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let caret = lines.next().unwrap_or_default();
        let carets = caret
            .strip_prefix(&format!("{gutter} | {indent}"))
            .unwrap_or_else(|| panic!("no caret under {first:?}: {caret:?}"));
        assert!(
            !carets.is_empty() && carets.chars().all(|c| c == '^'),
            "the caret of {first:?}: {caret:?}"
        );
    }
    firsts
}

#[test]
fn a_message_shows_the_source_line_and_a_caret_under_the_span() {
    let stderr = |config: &str| {
        let scratch = Scratch::with_config(config);
        let outcome = scratch.numkeep(&["check"]).output();
        assert_eq!(outcome.code, 2);
        outcome
            .stderr
            .replace(&format!("{}/", scratch.dir.path().display()), "")
    };
    assert_eq!(
        stderr(&format!("[settings]\nlanguage = en\n{VALID_NUMBER}")),
        "config.toml:2:12: invalid TOML: string values must be quoted, expected literal string\n  |\n2 | language = en\n  |            ^^\n"
    );
    assert_eq!(
        stderr(&format!(
            "[settings]\ntimezone = \"Mars/Olympus\"\n{VALID_NUMBER}"
        )),
        "config.toml:2:12: unknown time zone \"Mars/Olympus\": use an IANA name like \"Asia/Kuwait\" or \"UTC\"\n  |\n2 | timezone = \"Mars/Olympus\"\n  |            ^^^^^^^^^^^^^^\n"
    );
}

/// Asserts that `check` refuses `config` with exactly `expected` on stderr (one problem a
/// line, each followed by its source line and caret) and nothing on stdout.
#[track_caller]
fn assert_refused(config: &str, expected: &str) {
    let outcome = check(config).expect_code(2);
    assert_eq!(outcome.stderr, expected);
    assert_eq!(outcome.stdout, "");
}

/// A valid number to pad configs with, so that each test shows only its own problem.
const VALID_NUMBER: &str = r#"
[[number]]
number = "+44 7700 900123"
valid_until = 2027-01-31
"#;

#[test]
fn toml_syntax_error() {
    assert_refused(
        "[settings]\ntimezone = \"UTC\"\nlanguage = en\n",
        "config.toml:3:12: invalid TOML: string values must be quoted, expected literal string\n",
    );
}

#[test]
fn unclosed_table_header() {
    assert_refused(
        "[[number]\nnumber = \"+44 7700 900123\"\n",
        "config.toml:1:10: invalid TOML: unclosed array table, expected `]`\n",
    );
}

#[test]
fn wrong_types() {
    let config = format!(
        r#"[settings]
timezone = 5
remind_before = "7d"

[[number]]
number = 96551234567
valid_until = 2027-01-31

[[number]]
number = "+965 5123 4568"
last_used = "last tuesday"
use_every = "90d"
{VALID_NUMBER}"#
    );
    assert_refused(
        &config,
        "config.toml:2:12: `timezone` must be a string, found integer\n\
         config.toml:3:17: `remind_before` must be an array of durations, found string\n\
         config.toml:6:10: `number` must be a string, found integer\n\
         config.toml:11:13: `last_used` is not a valid date; write it like 2026-11-01\n",
    );
}

#[test]
fn unknown_key_in_settings_has_a_hint() {
    let config = format!("[settings]\ntimezone = \"UTC\"\nremind_befor = [\"7d\"]\n{VALID_NUMBER}");
    assert_refused(
        &config,
        "config.toml:3:1: unknown key `remind_befor` in [settings]; did you mean `remind_before`?\n",
    );
}

#[test]
fn unknown_key_in_a_number_has_a_hint() {
    let config = r#"
[[number]]
number = "+965 5123 4567"
topup_valid_for = [{ min = 1, for = "3d" }]
last_topup = 2026-11-01
last_topup_ammount = "5.000"
"#;
    assert_refused(
        config,
        "config.toml:6:1: unknown key `last_topup_ammount` in [[number]]; did you mean `last_topup_amount`?\n",
    );
}

#[test]
fn unknown_key_in_a_carrier_has_a_hint() {
    let config = r#"
[carriers.zain-kw]
topup_valid_for = "90d"
grase = "30d"

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-01
"#;
    assert_refused(
        config,
        "config.toml:4:1: unknown key `grase` in [carriers.zain-kw]; did you mean `grace`?\n",
    );
}

#[test]
fn unknown_key_far_from_every_name_has_no_hint() {
    let config = format!("[settings]\nfavourite_colour = \"blue\"\n{VALID_NUMBER}");
    assert_refused(
        &config,
        "config.toml:2:1: unknown key `favourite_colour` in [settings]\n",
    );
}

#[test]
fn unknown_carrier() {
    let config = r#"
[carriers.zain-kw]
topup_valid_for = "90d"

[[number]]
number = "+965 5123 4567"
carrier = "zian-kw"
last_topup = 2026-11-01

[[number]]
number = "+965 5123 4568"
carrier = "ooredoo"
last_topup = 2026-11-01
"#;
    assert_refused(
        config,
        "config.toml:7:11: unknown carrier `zian-kw`; did you mean `zain-kw`?\n\
         config.toml:12:11: unknown carrier `ooredoo`; define it as [carriers.ooredoo]\n",
    );
}

#[test]
fn topup_validity_without_last_topup() {
    let config = r#"
[carriers.zain-kw]
topup_valid_for = "90d"

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
"#;
    assert_refused(
        config,
        "config.toml:6:10: +96551234567: topup_valid_for needs `last_topup`, the date of the last top-up\n",
    );
}

#[test]
fn amount_table_without_last_topup_amount() {
    let config = r#"
[carriers.zain-kw]
topup_valid_for = [{ min = "1.000", for = "3d" }, { min = "3.000", for = "5d" }]

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-01
"#;
    assert_refused(
        config,
        "config.toml:6:10: +96551234567: topup_valid_for depends on the amount: set `last_topup_amount`\n",
    );
}

#[test]
fn amount_below_every_min() {
    let config = r#"
[carriers.zain-kw]
topup_valid_for = [{ min = "1.000", for = "3d" }, { min = "3.000", for = "5d" }]

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-01
last_topup_amount = "0.500"
"#;
    assert_refused(
        config,
        "config.toml:6:10: +96551234567: last_topup_amount 0.500 is below every topup_valid_for entry (the smallest min is 1.000)\n",
    );
}

#[test]
fn fee_without_balance() {
    let config = r#"
[carriers.snooze]
fee = { amount = "2.98", every = "1mo" }

[[number]]
number = "+1 555 010 0199"
carrier = "snooze"
"#;
    assert_refused(
        config,
        "config.toml:6:10: +15550100199: fee needs `balance = { amount = \"…\", on = DATE }`, the balance and the day it was read\n",
    );
}

#[test]
fn use_every_without_any_use_or_topup() {
    let config = r#"
[[number]]
number = "+44 7700 900123"
use_every = "6mo"
"#;
    assert_refused(
        config,
        "config.toml:3:10: +447700900123: use_every needs `last_used`, the date of the last use\n",
    );
}

#[test]
fn malformed_numbers() {
    let config = r#"
[[number]]
number = "965 5123 4567"
valid_until = 2027-01-31

[[number]]
number = "+965 5123 456x"
valid_until = 2027-01-31

[[number]]
number = "+12345"
valid_until = 2027-01-31
"#;
    assert_refused(
        config,
        "config.toml:3:10: malformed number \"965 5123 4567\": write it in international form starting with + and the country code, like \"+965 5123 4567\"\n\
         config.toml:7:10: malformed number \"+965 5123 456x\": unexpected character 'x'\n\
         config.toml:11:10: malformed number \"+12345\": E.164 numbers have 7 to 15 digits, this one has 5\n",
    );
}

#[test]
fn number_table_without_number() {
    let config = "[[number]]\nlabel = \"which one?\"\nvalid_until = 2027-01-31\n";
    assert_refused(
        config,
        "config.toml:1:1: [[number]] needs `number`, like \"+965 5123 4567\"\n",
    );
}

#[test]
fn bare_m_duration_hints_at_mo() {
    let config = r#"
[[number]]
number = "+965 5123 4567"
topup_valid_for = "3m"
last_topup = 2026-11-01
"#;
    assert_refused(
        config,
        "config.toml:4:19: `topup_valid_for`: invalid duration \"3m\": a bare \"m\" is ambiguous; use \"mo\" for months\n",
    );
}

#[test]
fn durations_without_a_unit_or_with_an_unknown_one() {
    let config = r#"
[[number]]
number = "+965 5123 4567"
topup_valid_for = "3 fortnights"
use_every = 30
last_topup = 2026-11-01
"#;
    assert_refused(
        config,
        "config.toml:4:19: `topup_valid_for`: invalid duration \"3 fortnights\": unknown unit \"fortnights\"; use d, w, mo or y\n\
         config.toml:5:13: `use_every` needs a unit: write \"30d\" for days, \"mo\" for months\n",
    );
}

#[test]
fn duplicate_numbers_after_normalisation() {
    let config = r#"
[[number]]
number = "+965 5123 4567"
valid_until = 2027-01-31

[[number]]
number = "+96551234567"
valid_until = 2027-02-28
"#;
    assert_refused(
        config,
        "config.toml:7:10: duplicate number +96551234567 (first at config.toml:2)\n",
    );
}

#[test]
fn unknown_time_zones() {
    let config = r#"
[settings]
timezone = "Asia/Kuwiat"

[carriers.zain-kw]
timezone = "Kuwait City"
topup_valid_for = "90d"

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-01
"#;
    assert_refused(
        config,
        "config.toml:3:12: unknown time zone \"Asia/Kuwiat\": use an IANA name like \"Asia/Kuwait\" or \"UTC\"\n\
         config.toml:6:12: unknown time zone \"Kuwait City\": use an IANA name like \"Asia/Kuwait\" or \"UTC\"\n",
    );
}

#[test]
fn invalid_cron_lines() {
    for (cron, reason) in [
        ("0 25 * * *", "Component error: Number out of bounds."),
        (
            "0 0 9 * * *",
            "Invalid pattern: Pattern must have 5 fields when seconds are disallowed.",
        ),
    ] {
        let config = format!("[settings]\ncheck_at = \"{cron}\"\n{VALID_NUMBER}");
        let outcome = check(&config).expect_code(2);
        assert_eq!(
            outcome.stderr,
            format!(
                "config.toml:2:12: invalid cron line \"{cron}\" for `check_at`: {reason}; write 5 fields: minute hour day-of-month month day-of-week, like \"0 9 * * *\"\n"
            ),
        );
    }
}

#[test]
fn negative_money() {
    let config = r#"
[carriers.snooze]
fee = { amount = "-2.98", every = "1mo" }

[[number]]
number = "+1 555 010 0199"
carrier = "snooze"
balance = { amount = -1.5, on = 2026-11-01 }
"#;
    assert_refused(
        config,
        "config.toml:3:18: `amount`: invalid amount \"-2.98\": must not be negative\n\
         config.toml:8:22: `amount`: invalid amount \"-1.5\": must not be negative\n",
    );
}

#[test]
fn number_without_any_deadline() {
    let config = r#"
[carriers.nothing]
name = "a carrier with no rule"

[[number]]
number = "+965 5123 4567"
carrier = "nothing"
last_topup = 2026-11-01
"#;
    assert_refused(
        config,
        "config.toml:6:10: +96551234567: no rule gives this number a deadline; set a carrier, a rule (topup_valid_for, use_every, fee), valid_until, or status = \"retired\"\n",
    );
}

#[test]
fn retired_number_needs_no_deadline() {
    let config = "[[number]]\nnumber = \"+965 5123 4567\"\nstatus = \"retired\"\n";
    let outcome = check(config).success();
    assert_eq!(
        outcome.stdout,
        "config.toml: ok (1 number, 0 carriers, 1 file)\n"
    );
    assert_eq!(outcome.stderr, "");
}

#[test]
fn paused_number_without_pause_max() {
    let config = r#"
[carriers.cmhk]
topup_valid_for = "180d"

[[number]]
number = "+852 9123 4567"
carrier = "cmhk"
last_topup = 2026-06-01
paused_since = 2026-10-15
"#;
    // While paused the top-up rule is suspended, so nothing would give a deadline either.
    assert_refused(
        config,
        "config.toml:6:10: +85291234567: paused_since needs `pause_max`, the longest pause the carrier allows\n\
         config.toml:6:10: +85291234567: no rule gives this number a deadline; set a carrier, a rule (topup_valid_for, use_every, fee), valid_until, or status = \"retired\"\n",
    );
}

#[test]
fn clear_text_smtp_only_to_loopback() {
    let email = |host: &str| {
        format!(
            r#"[email]
from = "numkeep <alerts@example.org>"
to = ["me@example.org"]

[email.smtp]
host = "{host}"
tls = "none"
{VALID_NUMBER}"#
        )
    };
    assert_refused(
        &email("smtp.example.org"),
        "config.toml:7:7: tls = \"none\" sends mail and passwords in clear text; it is allowed only to a relay on this machine (localhost, 127.0.0.1, ::1), not to \"smtp.example.org\"\n",
    );
    for loopback in ["localhost", "127.0.0.1", "::1"] {
        check(&email(loopback)).success();
    }
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let config = r#"# Many mistakes, one run.
[settings]
timezone = "Mars/Olympus"
check_at = "every morning"

[carriers.zain-kw]
topup_valid_for = "3m"

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-01

[[number]]
number = "+965 5123 4568"
carrier = "zian-kw"

[[number]]
number = "965 5123 4569"
valid_until = 2027-01-31
"#;
    assert_refused(
        config,
        "config.toml:3:12: unknown time zone \"Mars/Olympus\": use an IANA name like \"Asia/Kuwait\" or \"UTC\"\n\
         config.toml:4:12: invalid cron line \"every morning\" for `check_at`: Invalid pattern: Pattern must have 5 fields when seconds are disallowed.; write 5 fields: minute hour day-of-month month day-of-week, like \"0 9 * * *\"\n\
         config.toml:7:19: `topup_valid_for`: invalid duration \"3m\": a bare \"m\" is ambiguous; use \"mo\" for months\n\
         config.toml:10:10: +96551234567: no rule gives this number a deadline; set a carrier, a rule (topup_valid_for, use_every, fee), valid_until, or status = \"retired\"\n\
         config.toml:16:11: unknown carrier `zian-kw`; did you mean `zain-kw`?\n\
         config.toml:19:10: malformed number \"965 5123 4569\": write it in international form starting with + and the country code, like \"+965 5123 4567\"\n",
    );
}

#[test]
fn every_syntax_error_is_reported_at_once() {
    let config = "[settings]\ntimezone = UTC\n\n[[number]]\nnumber = \"+965 5123 4567\nvalid_until = 2027-01-31\n";
    assert_refused(
        config,
        "config.toml:2:12: invalid TOML: string values must be quoted, expected literal string\n\
         config.toml:5:25: invalid TOML: invalid basic string, expected `\"`\n",
    );
}

#[test]
fn errors_in_an_included_file_name_that_file() {
    let scratch = Scratch::with_config(
        r#"include = ["conf.d/*.toml"]

[carriers.zain-kw]
topup_valid_for = "90d"
"#,
    );
    scratch.write(
        "conf.d/kuwait.toml",
        r#"# Kuwaiti lines.
[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-01
last_used = "yesterday"
"#,
    );
    scratch.write(
        "conf.d/uk.toml",
        "[[number]]\nnumber = \"+44 7700 900123\"\ncarrier = \"three-uk\"\nlast_used = 2026-10-15\n",
    );
    let outcome = check_in(&scratch).expect_code(2);
    assert_eq!(
        outcome.stderr,
        "conf.d/kuwait.toml:6:13: `last_used` is not a valid date; write it like 2026-11-01\n\
         conf.d/uk.toml:3:11: unknown carrier `three-uk`; define it as [carriers.three-uk]\n",
    );
}

#[test]
fn included_files_hold_only_carriers_and_numbers() {
    let scratch = Scratch::with_config(&format!("include = [\"more.toml\"]\n{VALID_NUMBER}"));
    scratch.write("more.toml", "[settings]\ntimezone = \"UTC\"\n");
    let outcome = check_in(&scratch).expect_code(2);
    assert_eq!(
        outcome.stderr,
        "more.toml:1:2: `settings` is only allowed in the main config file, not in an included one\n",
    );
}

#[test]
fn a_valid_include_is_counted() {
    let scratch = Scratch::with_config(
        "include = [\"conf.d/*.toml\"]\n\n[carriers.zain-kw]\ntopup_valid_for = \"90d\"\n",
    );
    scratch.write(
        "conf.d/kuwait.toml",
        "[[number]]\nnumber = \"+965 5123 4567\"\ncarrier = \"zain-kw\"\nlast_topup = 2026-11-01\n",
    );
    let outcome = check_in(&scratch).success();
    assert_eq!(
        outcome.stdout,
        "config.toml: ok (1 number, 1 carrier, 2 files)\n"
    );
    assert_eq!(outcome.stderr, "");
}

#[test]
fn an_include_pattern_that_matches_nothing_is_a_warning() {
    let outcome = check(&format!(
        "include = [\"conf.d/*.toml\", \"more/[ab].toml\"]\n{VALID_NUMBER}"
    ))
    .success();
    assert_eq!(
        outcome.stderr,
        "config.toml:1:12: warning: include pattern \"conf.d/*.toml\" matches no file (looked for conf.d/*.toml)\n\
         config.toml:1:29: warning: include pattern \"more/[ab].toml\" matches no file (looked for more/[ab].toml)\n"
    );
    assert_eq!(
        outcome.stdout,
        "config.toml: ok (1 number, 0 carriers, 1 file)\n"
    );
}

#[test]
fn a_config_without_numbers_is_a_warning() {
    let no_numbers = "warning: the config has no numbers (no [[number]] here or in an included file): there is nothing to remind about\n";
    for config in [
        "",
        "[settings]\ntimezone = \"UTC\"\n[carriers.a]\ntopup_valid_for = \"90d\"\n",
    ] {
        let outcome = check(config).success();
        assert_eq!(outcome.stderr, format!("config.toml:1:1: {no_numbers}"));
    }
    // Numbers in an included file count; an included file with none is no warning.
    let scratch = Scratch::with_config("include = [\"conf.d/*.toml\"]\n");
    scratch.write("conf.d/empty.toml", "");
    scratch.write("conf.d/numbers.toml", VALID_NUMBER);
    assert_eq!(check_in(&scratch).success().stderr, "");
    // A config whose only number is invalid is refused, without the warning.
    let outcome = check("[[number]]\nnumber = \"12\"\n").expect_code(2);
    assert!(!outcome.stderr.contains("no numbers"), "{}", outcome.stderr);
}

#[test]
fn missing_literal_include() {
    let outcome = check(&format!("include = [\"numbers.toml\"]\n{VALID_NUMBER}")).expect_code(2);
    let (first_line, rest) = outcome.stderr.split_once('\n').unwrap();
    assert!(
        first_line.starts_with("config.toml:1:12: included file ")
            && first_line.ends_with("numbers.toml does not exist"),
        "{first_line}"
    );
    assert_eq!(rest, "");
}

#[test]
fn missing_config_file() {
    let scratch = Scratch::new();
    let outcome = check_in(&scratch).expect_code(2);
    assert_eq!(
        outcome.stderr,
        "config.toml:1:1: cannot read the config file: No such file or directory (os error 2)\n"
    );
    assert_eq!(outcome.stdout, "");
}

#[test]
fn stale_checked_date_warns_but_passes() {
    // `check` reads "today" from the clock; a date this old is stale whenever the test runs.
    let config = r#"
[carriers.zain-kw]
topup_valid_for = "90d"
source = "https://example.com/terms"
checked = 2020-01-01

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-01
"#;
    let outcome = check(config).success();
    assert_eq!(
        outcome.stderr,
        "config.toml:5:11: warning: this rule was last checked on 2020-01-01, over a year ago: verify it with the carrier and update `checked`\n",
    );
    assert_eq!(
        outcome.stdout,
        "config.toml: ok (1 number, 1 carrier, 1 file)\n"
    );
}

#[test]
fn warnings_are_printed_alongside_errors() {
    let config = r#"
[carriers.zain-kw]
topup_valid_for = "90d"
checked = 2020-01-01

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
"#;
    assert_refused(
        config,
        "config.toml:4:11: warning: this rule was last checked on 2020-01-01, over a year ago: verify it with the carrier and update `checked`\n\
         config.toml:7:10: +96551234567: topup_valid_for needs `last_topup`, the date of the last top-up\n",
    );
}

#[test]
fn the_shipped_example_config_is_valid() {
    let example = std::fs::read_to_string(project_file("config.example.toml")).unwrap();
    let outcome = check(&example).success();
    assert!(
        outcome.stdout.starts_with("config.toml: ok ("),
        "{}",
        outcome.stdout
    );
    // The example may warn (a `checked` date grows old), but nothing in it is an error.
    for line in outcome.stderr.lines() {
        assert!(line.contains(": warning: "), "{line}");
    }
}

/// A small deterministic generator, so that every run tries the same garbage.
fn pseudo_random_bytes(seed: u64, length: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..length)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

#[track_caller]
fn assert_refused_without_panic(scratch: &Scratch, what: &str) {
    let outcome = check_in(scratch);
    assert_eq!(outcome.code, 2, "{what}\n{}", outcome.stderr);
    assert!(
        !outcome.stderr.contains("panicked"),
        "{what}\n{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.is_empty(), "{what}: no message");
    for line in outcome.stderr.lines() {
        assert!(line.starts_with("config.toml:"), "{what}: {line}");
    }
}

#[test]
fn binary_garbage_is_refused_without_a_panic() {
    let scratch = Scratch::new();
    for seed in 0..8 {
        std::fs::write(scratch.config_path(), pseudo_random_bytes(seed, 512)).unwrap();
        assert_refused_without_panic(&scratch, &format!("random bytes, seed {seed}"));
    }
    std::fs::write(
        scratch.config_path(),
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
    )
    .unwrap();
    assert_refused_without_panic(&scratch, "an ELF header");
    std::fs::write(scratch.config_path(), b"\xef\xbb\xbf\x00\x00[[number]]\x00").unwrap();
    assert_refused_without_panic(&scratch, "NUL bytes after a byte-order mark");
}

#[test]
fn textual_garbage_is_refused_without_a_panic() {
    // Valid UTF-8 built from TOML punctuation, so that the parser gets deep before failing.
    const ALPHABET: &[u8] = b"[]{}=\"'.,+-:#\n 0123456789abcnumberdayo_";
    let scratch = Scratch::new();
    for seed in 0..24 {
        let text: String = pseudo_random_bytes(seed, 300)
            .into_iter()
            .map(|byte| char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]))
            .collect();
        scratch.write("config.toml", &text);
        assert_refused_without_panic(&scratch, &format!("text {text:?}"));
    }
    let awkward = [
        "[[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 9999-12-31\n",
        "[[number]]\nnumber = \"+965 5123 4567\"\ntopup_valid_for = \"36600y\"\nlast_topup = 2026-01-01\n",
        "[[number]]\nnumber = \"+965 5123 4567\"\nfee = { amount = \"0.0000001\", every = \"1y\" }\nbalance = { amount = \"99999999999999\", on = 2026-01-01 }\n",
        "[[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 2027-01-31\nremind_before = [\"99999999999999999999d\"]\n",
        "[[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 2027-01-31\nlast_topup_amount = 1e400\n",
        "number = []\ncarriers = 3\nsettings = []\n",
        "[settings]\nstate_dir = \"/tmp\\u0000x\"\n",
        "include = \"conf.d\"\n",
        "[carriers]\nzain = 5\n",
    ];
    for text in awkward {
        scratch.write("config.toml", text);
        assert_refused_without_panic(&scratch, &format!("text {text:?}"));
    }
}
