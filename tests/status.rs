//! Integration tests: `numkeep status`.
//!
//! The tables are snapshots written out in full; the JSON answers were worked out by hand
//! (the fixture's comments show the arithmetic). Every run pins "today" with `--at`.

use serde_json::Value;

use crate::support::cli::{Scratch, project_file};

fn fixture(name: &str) -> String {
    let path = project_file(&format!("tests/fixtures/core/{name}"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn status_json(scratch: &Scratch, at: &str) -> Vec<Value> {
    let outcome = scratch
        .numkeep(&["status", "--json", "--at", at])
        .output()
        .success();
    let parsed: Value = serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|error| panic!("{error}\n{}", outcome.stdout));
    parsed.as_array().expect("a JSON array").clone()
}

fn find<'a>(numbers: &'a [Value], number: &str) -> &'a Value {
    numbers
        .iter()
        .find(|entry| entry["number"] == number)
        .unwrap_or_else(|| panic!("{number} is missing"))
}

#[test]
fn table_in_english() {
    let scratch = Scratch::with_config(&fixture("table.toml"));
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .output()
        .success();
    assert_eq!(
        outcome.stdout,
        "\
numkeep status on Mon 2026-11-23
NUMBER         LABEL             STATE                        ACT BY          DAYS  LOST ON         ACTION                        WHY
+96551230001   Kuwait spare      grace (incoming calls only)  Thu 2026-11-12  -11   Sun 2026-12-13  top up                        topped up 1.000 on 2026-11-10, valid 3d
+96551234567   Kuwait bank OTP   due                          Tue 2026-11-24  1     Fri 2026-12-25  top up                        topped up 5.000 on 2026-11-20, valid 5d
+447700900123  UK 2FA            ok                           Wed 2027-04-14  142   Thu 2027-04-15  use it (a call, SMS or data)  last used 2026-10-15, use every 6mo
+14155550123   old Google Voice  retired                      -               -     -               -                             -
"
    );
    assert_eq!(outcome.stderr, "");
}

#[test]
fn table_in_chinese() {
    let config = fixture("table.toml").replace("language = \"en\"", "language = \"zh-CN\"");
    let scratch = Scratch::with_config(&config);
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .output()
        .success();
    assert_eq!(
        outcome.stdout,
        "\
numkeep 号码状态：2026-11-23（周一）
号码           备注              状态                           最晚处理日          剩余         可能被回收          要做什么                            原因
+96551230001   Kuwait spare      宽限期（incoming calls only）  2026-11-12（周四）  已过 11 天   2026-12-13（周日）  充值                                2026-11-10 充值 1.000，有效期 3 天
+96551234567   Kuwait bank OTP   待处理                         2026-11-24（周二）  还剩 1 天    2026-12-25（周五）  充值                                2026-11-20 充值 5.000，有效期 5 天
+447700900123  UK 2FA            正常                           2027-04-14（周三）  还剩 142 天  2027-04-15（周四）  使用一次（打电话、发短信或用流量）  上次使用 2026-10-15，每 6 个月内至少使用一次
+14155550123   old Google Voice  已销号                         -                   -            -                   -                                   -
"
    );
}

/// At 80 columns the reason and the label give way, then the action is cut; the numbers,
/// states and dates stay whole. `COLUMNS` sets the width even in a pipe.
#[test]
fn table_fits_80_columns_in_both_languages() {
    let scratch = Scratch::with_config(&fixture("table.toml"));
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .env("COLUMNS", "80")
        .output()
        .success();
    assert_eq!(
        outcome.stdout,
        "\
numkeep status on Mon 2026-11-23
NUMBER         STATE              ACT BY          DAYS  LOST ON         ACTION
+96551230001   grace (incoming …  Thu 2026-11-12  -11   Sun 2026-12-13  top up
+96551234567   due                Tue 2026-11-24  1     Fri 2026-12-25  top up
+447700900123  ok                 Wed 2027-04-14  142   Thu 2027-04-15  use it …
+14155550123   retired            -               -     -               -
"
    );
    assert!(
        outcome
            .stdout
            .lines()
            .all(|line| line.chars().count() <= 80)
    );
    let config = fixture("table.toml").replace("language = \"en\"", "language = \"zh-CN\"");
    let scratch = Scratch::with_config(&config);
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .env("COLUMNS", "80")
        .output()
        .success();
    assert_eq!(
        outcome.stdout,
        "\
numkeep 号码状态：2026-11-23（周一）
号码           状态       最晚处理日          剩余         可能被回收          要做什么
+96551230001   宽限期（…  2026-11-12（周四）  已过 11 天   2026-12-13（周日）  充值
+96551234567   待处理     2026-11-24（周二）  还剩 1 天    2026-12-25（周五）  充值
+447700900123  正常       2027-04-14（周三）  还剩 142 天  2027-04-15（周四）  使用一…
+14155550123   已销号     -                   -            -                   -
"
    );
}

/// Numbers in other zones: the dates are the carriers', the user's cut-off has its own
/// column, and the last line says so. 200 columns leave the table whole.
#[test]
fn table_shows_the_local_cut_off_when_zones_differ() {
    let scratch = Scratch::with_config(&fixture("status.toml"));
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .env("COLUMNS", "200")
        .output()
        .success();
    assert_eq!(
        outcome.stdout,
        "\
numkeep status on Mon 2026-11-23
NUMBER         LABEL            STATE                          ACT BY          YOUR CUT-OFF  DAYS  LOST ON         ACTION                                 WHY
+96551230001   Kuwait in grace  grace (suspended, restorable)  Sat 2026-10-17  Sat 17:00     -37   Thu 2026-12-17  top up                                 topped up 2026-07-20, valid 90d
+447700900001  lost             lost                           Sat 2026-10-31  -             -23   Sun 2026-11-01  renew the plan                         valid until 2026-10-31
+85291230001   HK paused, due   due                            Sun 2026-11-29  Sun 11:00     6     Tue 2026-12-29  resume the pause                       paused since 2026-09-01, a pause lasts at mos…
+96551234567   Kuwait due       due                            Sun 2026-11-29  Sun 16:00     6     Fri 2027-01-29  top up                                 topped up 2026-09-01, valid 90d
+18085550100   Hawaii           due                            Mon 2026-11-30  Tue 05:00     7     Tue 2026-12-01  renew the plan                         valid until 2026-11-30
+12065550100   several rules    ok                             Wed 2026-12-09  -             16    Thu 2026-12-10  top up                                 topped up 2026-11-10, valid 30d
+85291234567   HK paused        paused                         Tue 2027-01-12  Tue 11:00     50    Thu 2027-02-11  resume the pause                       paused since 2026-10-15, a pause lasts at mos…
+15550100199   US snooze        ok                             Sun 2027-03-14  -             111   Thu 2027-04-29  add balance for the fee on 2027-03-15  balance 11.92 on 2026-11-01 pays 4 charges of…
+447700900123  giffgaff ok      ok                             Wed 2027-04-14  Wed 19:00     142   Thu 2027-04-15  use it (a call, SMS or data)           last used 2026-10-15, use every 6mo
+14155550123   retired          retired                        -               -             -     -               -                                      -
Dates are the carriers'; YOUR CUT-OFF: when act-by ends in America/New_York.
"
    );
}

#[test]
fn table_without_numbers() {
    let scratch = Scratch::with_config("[settings]\ntimezone = \"UTC\"\n");
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .output()
        .success();
    assert_eq!(
        outcome.stdout,
        "\
numkeep status on Mon 2026-11-23
NUMBER  LABEL  STATE  ACT BY  DAYS  LOST ON  ACTION  WHY
(no numbers configured)
"
    );
    let outcome = scratch
        .numkeep(&["status", "--json", "--at", "2026-11-23"])
        .output()
        .success();
    assert_eq!(outcome.stdout, "[]\n");
}

#[test]
fn labels_cannot_break_the_table() {
    let config = r#"
[settings]
timezone = "UTC"

[[number]]
number = "+44 7700 900123"
label = "two\nlines\tand a tab"
valid_until = 2027-01-31
"#;
    let scratch = Scratch::with_config(config);
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .output()
        .success();
    assert_eq!(
        outcome.stdout,
        "\
numkeep status on Mon 2026-11-23
NUMBER         LABEL                STATE  ACT BY          DAYS  LOST ON         ACTION          WHY
+447700900123  two lines and a tab  ok     Sun 2027-01-31  69    Mon 2027-02-01  renew the plan  valid until 2027-01-31
"
    );
}

/// Expected top-level fields of one number: the most urgent obligation.
struct Expected {
    number: &'static str,
    state: &'static str,
    act_by: &'static str,
    lost_on: &'static str,
    days_left: i64,
    action: &'static str,
    rule: &'static str,
    grace_phase: Option<&'static str>,
}

const fn expected(
    number: &'static str,
    state: &'static str,
    act_by: &'static str,
    lost_on: &'static str,
    days_left: i64,
    action: &'static str,
    rule: &'static str,
) -> Expected {
    Expected {
        number,
        state,
        act_by,
        lost_on,
        days_left,
        action,
        rule,
        grace_phase: None,
    }
}

/// The answers for tests/fixtures/core/status.toml on 2026-11-23 in every calendar, most
/// urgent first (earliest deadline instant; ties by number; retired last).
fn answers_on_2026_11_23() -> Vec<Expected> {
    vec![
        Expected {
            grace_phase: Some("suspended, restorable"),
            ..expected(
                "+96551230001",
                "grace",
                "2026-10-17",
                "2026-12-17",
                -37,
                "top_up",
                "topup_valid_for",
            )
        },
        expected(
            "+447700900001",
            "lost",
            "2026-10-31",
            "2026-11-01",
            -23,
            "renew",
            "valid_until",
        ),
        expected(
            "+85291230001",
            "due",
            "2026-11-29",
            "2026-12-29",
            6,
            "resume",
            "pause_max",
        ),
        // A Kuwaiti date: its last instant is 15:59 the same day in New York.
        expected(
            "+96551234567",
            "due",
            "2026-11-29",
            "2027-01-29",
            6,
            "top_up",
            "topup_valid_for",
        ),
        // A Honolulu date: it ends at 05:00 on 1 Dec in New York, but the days are
        // counted in Honolulu's calendar, where it is the 23rd too (a date alone).
        expected(
            "+18085550100",
            "due",
            "2026-11-30",
            "2026-12-01",
            7,
            "renew",
            "valid_until",
        ),
        expected(
            "+12065550100",
            "ok",
            "2026-12-09",
            "2026-12-10",
            16,
            "top_up",
            "topup_valid_for",
        ),
        expected(
            "+85291234567",
            "paused",
            "2027-01-12",
            "2027-02-11",
            50,
            "resume",
            "pause_max",
        ),
        expected(
            "+15550100199",
            "ok",
            "2027-03-14",
            "2027-04-29",
            111,
            "add_balance",
            "fee",
        ),
        expected(
            "+447700900123",
            "ok",
            "2027-04-14",
            "2027-04-15",
            142,
            "use",
            "use_every",
        ),
    ]
}

#[test]
fn json_answers_worked_out_by_hand() {
    let scratch = Scratch::with_config(&fixture("status.toml"));
    let numbers = status_json(&scratch, "2026-11-23");
    let order: Vec<&str> = numbers
        .iter()
        .map(|entry| entry["number"].as_str().unwrap())
        .collect();
    let mut expected_order: Vec<&str> = answers_on_2026_11_23()
        .iter()
        .map(|answer| answer.number)
        .collect();
    expected_order.push("+14155550123");
    assert_eq!(order, expected_order, "most urgent first, retired last");

    for answer in answers_on_2026_11_23() {
        let entry = find(&numbers, answer.number);
        let context = format!("{}: {entry:#}", answer.number);
        assert_eq!(entry["state"], answer.state, "{context}");
        assert_eq!(entry["act_by"], answer.act_by, "{context}");
        assert_eq!(entry["lost_on"], answer.lost_on, "{context}");
        assert_eq!(entry["days_left"], answer.days_left, "{context}");
        assert_eq!(entry["action"], answer.action, "{context}");
        assert_eq!(entry["rule"], answer.rule, "{context}");
        match answer.grace_phase {
            Some(phase) => assert_eq!(entry["grace_phase"], phase, "{context}"),
            None => assert_eq!(entry["grace_phase"], Value::Null, "{context}"),
        }
        // The top-level fields are those of the first obligation.
        let first = &entry["obligations"][0];
        for key in ["rule", "act_by", "lost_on", "action", "why"] {
            assert_eq!(first[key], entry[key], "{context}");
        }
    }
}

#[test]
fn json_keys_follow_the_contract() {
    let scratch = Scratch::with_config(&fixture("status.toml"));
    let numbers = status_json(&scratch, "2026-11-23");
    let kuwait = find(&numbers, "+96551234567");
    assert_eq!(kuwait["label"], "Kuwait due");
    assert_eq!(kuwait["carrier"], "zain-kw");
    assert_eq!(kuwait["why"], "topped up 2026-09-01, valid 90d");
    for entry in &numbers {
        let object = entry.as_object().unwrap();
        for key in [
            "number",
            "label",
            "carrier",
            "state",
            "act_by",
            "lost_on",
            "days_left",
            "action",
            "rule",
            "why",
            "obligations",
        ] {
            assert!(object.contains_key(key), "{key} missing in {entry:#}");
        }
        for obligation in entry["obligations"].as_array().unwrap() {
            let object = obligation.as_object().unwrap();
            for key in ["rule", "act_by", "lost_on", "action", "why"] {
                assert!(object.contains_key(key), "{key} missing in {obligation:#}");
            }
        }
    }
}

#[test]
fn json_lists_every_obligation_earliest_first() {
    let scratch = Scratch::with_config(&fixture("status.toml"));
    let numbers = status_json(&scratch, "2026-11-23");
    let several = find(&numbers, "+12065550100");
    let obligations: Vec<(&str, &str, &str, &str)> = several["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|obligation| {
            (
                obligation["rule"].as_str().unwrap(),
                obligation["act_by"].as_str().unwrap(),
                obligation["lost_on"].as_str().unwrap(),
                obligation["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        obligations,
        [
            ("topup_valid_for", "2026-12-09", "2026-12-10", "top_up"),
            ("valid_until", "2027-01-31", "2027-02-01", "renew"),
            ("use_every", "2027-05-08", "2027-05-09", "use"),
        ]
    );
    assert_eq!(
        several["obligations"][2]["why"],
        "last top-up (counts as use) 2026-11-10, use every 180d"
    );
    // A paused number keeps only its pause rule: the top-up rule is suspended.
    let paused = find(&numbers, "+85291234567");
    assert_eq!(paused["obligations"].as_array().unwrap().len(), 1);
    let fee = find(&numbers, "+15550100199");
    assert_eq!(
        fee["why"],
        "balance 11.92 on 2026-11-01 pays 4 charges of 2.98 every 1mo; first unpaid charge 2027-03-15"
    );
}

#[test]
fn json_retired_number_has_no_dates() {
    let scratch = Scratch::with_config(&fixture("status.toml"));
    let numbers = status_json(&scratch, "2026-11-23");
    let retired = find(&numbers, "+14155550123");
    assert_eq!(retired["state"], "retired");
    for key in ["act_by", "lost_on", "days_left", "action", "rule"] {
        assert_eq!(retired[key], Value::Null, "{key}");
    }
    assert_eq!(retired["obligations"], serde_json::json!([]));
}

#[test]
fn states_move_with_the_day() {
    let scratch = Scratch::with_config(&fixture("status.toml"));
    // The Kuwaiti line: act by 2026-11-29, grace phases of 30 days each, lost 2027-01-29.
    let cases = [
        ("2026-11-21", "ok", 8, None),
        ("2026-11-22", "due", 7, None),
        ("2026-11-29", "due", 0, None),
        ("2026-11-30", "grace", -1, Some("incoming calls only")),
        ("2026-12-29", "grace", -30, Some("incoming calls only")),
        ("2026-12-30", "grace", -31, Some("suspended, restorable")),
        ("2027-01-28", "grace", -60, Some("suspended, restorable")),
        ("2027-01-29", "lost", -61, None),
    ];
    for (today, state, days_left, phase) in cases {
        let numbers = status_json(&scratch, today);
        let kuwait = find(&numbers, "+96551234567");
        assert_eq!(kuwait["state"], state, "{today}");
        assert_eq!(kuwait["days_left"], days_left, "{today}");
        assert_eq!(
            kuwait["grace_phase"],
            phase.map_or(Value::Null, Value::from),
            "{today}"
        );
    }
}

#[test]
fn at_takes_a_datetime_in_the_users_zone() {
    let scratch = Scratch::with_config(&fixture("status.toml"));
    // (--at, days left for the Kuwaiti line due 2026-11-29: act-by − today in Kuwait, which
    // is eight hours ahead of New York)
    let cases = [
        // A date alone is that date in every calendar.
        ("2026-11-23", 6),
        // 15:59:59 in New York is 23:59:59 in Kuwait; a second later it is the 24th there.
        ("2026-11-23T15:59:59", 6),
        ("2026-11-23T16:00", 5),
        ("2026-11-23T23:30", 5),
        ("2026-11-23T20:59:59Z", 6),
        ("2026-11-23T21:00:00Z", 5),
        ("2026-11-23T23:59:59+03:00", 6),
        ("2026-11-24T00:00:00+03:00", 5),
    ];
    for (at, days_left) in cases {
        let numbers = status_json(&scratch, at);
        assert_eq!(
            find(&numbers, "+96551234567")["days_left"],
            days_left,
            "--at {at}"
        );
    }
    // The table's title is the user's date: 03:00 UTC on the 24th is the 23rd in New York.
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-24T03:00:00Z"])
        .output()
        .success();
    assert!(
        outcome
            .stdout
            .starts_with("numkeep status on Mon 2026-11-23\n"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn bad_at_is_a_usage_error() {
    let scratch = Scratch::with_config(&fixture("status.toml"));
    for at in ["tomorrow", "2026-02-30", "2026-11-23 09:00:00 +99"] {
        let outcome = scratch
            .numkeep(&["status", "--at", at])
            .output()
            .expect_code(2);
        assert_eq!(
            outcome.stderr,
            format!(
                "numkeep: error: invalid --at {at:?}: use a date (2026-11-23), a local time (2026-11-23T09:00) or RFC 3339 (2026-11-23T09:00:00+03:00)\n"
            )
        );
        assert_eq!(outcome.stdout, "");
    }
}

#[test]
fn stale_rules_are_judged_on_the_at_day() {
    let config = r#"
[settings]
timezone = "UTC"

[carriers.zain-kw]
topup_valid_for = "90d"
checked = 2026-10-01

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-01
"#;
    let scratch = Scratch::with_config(config);
    let outcome = scratch
        .numkeep(&["status", "--at", "2027-09-30"])
        .output()
        .success();
    assert_eq!(outcome.stderr, "");
    let outcome = scratch
        .numkeep(&["status", "--at", "2027-10-02"])
        .output()
        .success();
    assert_eq!(
        outcome.stderr,
        format!(
            "{}:7:11: warning: this rule was last checked on 2026-10-01, over a year ago: verify it with the carrier and update `checked`\n  |\n7 | checked = 2026-10-01\n  |           ^^^^^^^^^^\n",
            scratch.config_path().display()
        )
    );
}

#[test]
fn bad_config_is_reported_not_shown() {
    let scratch = Scratch::with_config("[[number]]\nnumber = \"+965\"\nvalid_until = 2027-01-31\n");
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .output()
        .expect_code(2);
    assert_eq!(
        outcome.stderr,
        format!(
            "{}:2:10: malformed number \"+965\": E.164 numbers have 7 to 15 digits, this one has 3\n  |\n2 | number = \"+965\"\n  |          ^^^^^^\n",
            scratch.config_path().display()
        )
    );
    assert_eq!(outcome.stdout, "");
}

#[test]
fn the_example_config_has_a_status() {
    let scratch = Scratch::with_config(
        &std::fs::read_to_string(project_file("config.example.toml")).unwrap(),
    );
    let outcome = scratch
        .numkeep(&["status", "--at", "2026-11-23"])
        .output()
        .success();
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    assert!(
        lines[0].starts_with("numkeep status on "),
        "{}",
        outcome.stdout
    );
    assert!(lines[1].starts_with("NUMBER "), "{}", outcome.stdout);

    let numbers = status_json(&scratch, "2026-11-23");
    let rows = lines.iter().filter(|line| line.starts_with('+')).count();
    assert_eq!(numbers.len(), rows, "one row per number");
    for entry in &numbers {
        let state = entry["state"].as_str().unwrap();
        assert!(
            [
                "ok", "due", "grace", "lost", "paused", "retiring", "retired"
            ]
            .contains(&state),
            "{entry:#}"
        );
        let number = entry["number"].as_str().unwrap();
        assert!(
            number.starts_with('+') && number[1..].bytes().all(|byte| byte.is_ascii_digit()),
            "{number}"
        );
        if state != "retired" {
            assert!(
                entry["act_by"].is_string() && entry["days_left"].is_i64(),
                "{entry:#}"
            );
        }
    }
}
