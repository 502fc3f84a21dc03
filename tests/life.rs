//! Integration tests: a number's whole life — paused with a maintenance fee, resumed, then
//! retired with the `cancel` obligation, its reminders and its checklist, and kept as a
//! record. Every expected date is worked out by hand in the comments, not by the code under
//! test; every run pins its day with `--at`.

use serde_json::Value;

use crate::support::cli::Scratch;
use crate::support::mail::decoded_body;

/// The `status --json` object of `number` on `at`.
fn status_of(scratch: &Scratch, number: &str, at: &str) -> Value {
    let outcome = scratch
        .numkeep(&["status", "--json", "--at", at])
        .output()
        .success();
    let numbers: Value = serde_json::from_str(&outcome.stdout).unwrap();
    numbers
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["number"] == number)
        .unwrap_or_else(|| panic!("{number} missing from {}", outcome.stdout))
        .clone()
}

/// `(rule, act_by)` of every obligation, earliest first.
fn obligations(entry: &Value) -> Vec<(String, String)> {
    entry["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|obligation| {
            (
                obligation["rule"].as_str().unwrap().to_owned(),
                obligation["act_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(rule, date)| ((*rule).to_owned(), (*date).to_owned()))
        .collect()
}

/// A Kuwaiti line on a long pause with a maintenance fee of KD 2.000 a month from the
/// balance; `{pause}` is replaced by the pause keys of each phase.
const PAUSED: &str = r#"
[settings]
timezone = "UTC"
remind_before = ["30d", "7d"]

[carriers.kw]
name = "Kuwait prepaid"
topup_valid_for = "90d"
use_every = "6mo"
fee = { amount = "2.000", every = "1mo" }
pause_max = "180d"

[[number]]
number = "+965 5123 4567"
carrier = "kw"
last_topup = 2026-03-01
last_used = 2026-04-10
balance = { amount = "20.000", on = 2026-05-01 }
next_charge = 2026-06-01
{pause}
"#;

#[test]
fn a_paused_number_with_a_maintenance_fee_across_pause_resume_and_the_restarted_windows() {
    let number = "+96551234567";
    // Paused on 1 May. The top-up (1 Mar + 90d → 29 May) and use (10 Apr + 6mo → 9 Oct)
    // windows are suspended. The pause may last 180 days: 1 May + 179 days = 27 Oct. The
    // fee: KD 20.000 pays 10 charges of KD 2.000 from 1 Jun (Jun … Mar), the first unpaid
    // charge is 1 Apr 2027, so act by 31 Mar 2027.
    let scratch = Scratch::with_config(&PAUSED.replace("{pause}", "paused_since = 2026-05-01"));
    let paused = status_of(&scratch, number, "2026-08-01");
    assert_eq!(paused["state"], "paused");
    assert_eq!(
        obligations(&paused),
        pairs(&[("pause_max", "2026-10-27"), ("fee", "2027-03-31")])
    );
    // Inside the pause limit's 30-day window (27 Oct − 30 days = 27 Sep), it is due.
    let due = status_of(&scratch, number, "2026-09-27");
    assert_eq!(
        (&due["state"], &due["action"], &due["days_left"]),
        (
            &Value::from("due"),
            &Value::from("resume"),
            &Value::from(30)
        )
    );

    // Deleting `paused_since` alone brings the old windows back: 29 May is long gone, and
    // 30 May is the lost-on day (no grace), so the number reads as lost.
    scratch.write("config.toml", &PAUSED.replace("{pause}", ""));
    assert_eq!(status_of(&scratch, number, "2026-10-20")["state"], "lost");

    // Resumed on 15 Oct: both windows restart from that day. Top-up: 15 Oct + 89 days =
    // 12 Jan 2027 (16 days to 31 Oct, 30 to 30 Nov, 30 to 30 Dec, 13 more). Use: 15 Oct +
    // 6 months − 1 day = 14 Apr 2027. The fee keeps its dates.
    scratch.write(
        "config.toml",
        &PAUSED.replace("{pause}", "resumed_on = 2026-10-15"),
    );
    let resumed = status_of(&scratch, number, "2026-10-20");
    assert_eq!(resumed["state"], "ok");
    assert_eq!(
        obligations(&resumed),
        pairs(&[
            ("topup_valid_for", "2027-01-12"),
            ("fee", "2027-03-31"),
            ("use_every", "2027-04-14"),
        ])
    );
    assert_eq!(
        resumed["why"],
        "pause ended 2026-10-15, top-up validity restarts: valid 90d"
    );
    // The restarted top-up window: due 7 days before 12 Jan, then grace, then lost on 13 Jan.
    let restarted = status_of(&scratch, number, "2027-01-05");
    assert_eq!(
        (
            &restarted["state"],
            &restarted["rule"],
            &restarted["days_left"]
        ),
        (
            &Value::from("due"),
            &Value::from("topup_valid_for"),
            &Value::from(7)
        )
    );
    assert_eq!(status_of(&scratch, number, "2027-01-13")["state"], "lost");

    // A top-up after the resume counts from its own date again: 1 Dec + 89 days = 28 Feb.
    scratch.write(
        "config.toml",
        &PAUSED
            .replace("{pause}", "resumed_on = 2026-10-15")
            .replace("last_topup = 2026-03-01", "last_topup = 2026-12-01"),
    );
    let topped_up = status_of(&scratch, number, "2026-12-02");
    assert_eq!(
        obligations(&topped_up)[0],
        pairs(&[("topup_valid_for", "2027-02-28")])[0]
    );
    assert_eq!(topped_up["why"], "topped up 2026-12-01, valid 90d");
    scratch.numkeep(&["check"]).output().success();
}

/// A US keep-number plan: $3.00 a month from the balance, billed on the 31st (so on the
/// last day of shorter months), and a number with no fee.
const RETIRE: &str = r#"
[settings]
timezone = "UTC"
remind_before = ["7d"]

[carriers.keep]
name = "US keep-number plan"
fee = { amount = "3.00", every = "1mo" }

[[number]]
number = "+1 555 010 0199"
label = "US bank line"
carrier = "keep"
balance = { amount = "9.00", on = 2026-01-20 }
next_charge = 2026-01-31
bound_to = ["HSBC", "WeChat Pay"]
notes = "account 998877"

[[number]]
number = "+44 7700 900123"
topup_valid_for = "30d"
last_topup = 2026-11-01
valid_until = 2026-12-20
"#;

#[test]
fn retire_defaults_to_the_day_before_the_next_fee_else_the_earliest_deadline() {
    let scratch = Scratch::with_config(RETIRE);
    // Charges from the anchor 31 Jan: 28 Feb, 31 Mar, 30 Apr. On 5 Apr the next one is
    // 30 Apr, so cancel by 29 Apr.
    let outcome = scratch
        .numkeep(&["retire", "+1 555 010 0199", "--at", "2026-04-05"])
        .output()
        .success();
    assert!(
        outcome.stdout.contains("cancel by Wed 2026-04-29"),
        "{}",
        outcome.stdout
    );
    let edited = scratch.read("config.toml");
    assert_eq!(
        edited,
        RETIRE.replace(
            "notes = \"account 998877\"\n",
            "notes = \"account 998877\"\nstatus = \"retiring\"\nretire_by = 2026-04-29\n"
        )
    );
    let retiring = status_of(&scratch, "+15550100199", "2026-04-05");
    assert_eq!(retiring["state"], "retiring");
    assert_eq!(retiring["retire_by"], "2026-04-29");
    assert_eq!(
        retiring["bound_to"],
        serde_json::json!(["HSBC", "WeChat Pay"])
    );
    assert_eq!(retiring["notes"], "account 998877");
    assert_eq!(retiring["retired_on"], Value::Null);
    // The balance pays Jan 31, Feb 28, Mar 31; the first unpaid charge is 30 Apr too.
    assert_eq!(
        obligations(&retiring),
        pairs(&[("retire_by", "2026-04-29"), ("fee", "2026-04-29")])
    );
    let cancel = &retiring["obligations"][0];
    assert_eq!(
        (&cancel["action"], &cancel["lost_on"]),
        (&Value::from("cancel"), &Value::from("2026-04-30"))
    );
    // In the 7-day window it is due like any number, then lost the day after act-by.
    assert_eq!(
        status_of(&scratch, "+15550100199", "2026-04-22")["state"],
        "due"
    );
    assert_eq!(
        status_of(&scratch, "+15550100199", "2026-04-30")["state"],
        "lost"
    );

    // No fee: the earliest other act-by, the top-up's 1 Nov + 29 days = 30 Nov (before
    // valid_until 20 Dec). On a tie the cancel obligation leads.
    scratch
        .numkeep(&["retire", "+44 7700 900123", "--at", "2026-11-10"])
        .output()
        .success();
    assert!(
        scratch
            .read("config.toml")
            .contains("valid_until = 2026-12-20\nstatus = \"retiring\"\nretire_by = 2026-11-30\n")
    );
    let by_deadline = status_of(&scratch, "+447700900123", "2026-11-10");
    assert_eq!(
        (
            &by_deadline["state"],
            &by_deadline["rule"],
            &by_deadline["action"]
        ),
        (
            &Value::from("retiring"),
            &Value::from("retire_by"),
            &Value::from("cancel")
        )
    );
    assert_eq!(
        obligations(&by_deadline),
        pairs(&[
            ("retire_by", "2026-11-30"),
            ("topup_valid_for", "2026-11-30"),
            ("valid_until", "2026-12-20"),
        ])
    );

    // --by wins over the default.
    scratch
        .numkeep(&[
            "retire",
            "+44 7700 900123",
            "--by",
            "2026-11-20",
            "--at",
            "2026-11-10",
        ])
        .output()
        .success();
    assert!(
        scratch
            .read("config.toml")
            .contains("retire_by = 2026-11-20\n")
    );
    assert!(
        !scratch
            .read("config.toml")
            .contains("retire_by = 2026-11-30")
    );
}

#[test]
fn a_retiring_number_without_retire_by_counts_its_default_from_today() {
    // Written by hand: status = "retiring" and no retire_by. The default moves with the
    // day: on 5 Apr the next charge is 30 Apr (cancel by 29 Apr); on 2 May it is 31 May.
    let scratch = Scratch::with_config(
        &RETIRE
            .replace(
                "notes = \"account 998877\"\n",
                "notes = \"account 998877\"\nstatus = \"retiring\"\nbalance.amount = \"30.00\"\n",
            )
            .replace(
                "balance = { amount = \"9.00\", on = 2026-01-20 }\n",
                "balance.on = 2026-01-20\n",
            ),
    );
    scratch.numkeep(&["check"]).output().success();
    assert_eq!(
        status_of(&scratch, "+15550100199", "2026-04-05")["retire_by"],
        "2026-04-29"
    );
    assert_eq!(
        status_of(&scratch, "+15550100199", "2026-05-02")["retire_by"],
        "2026-05-30"
    );
}

#[test]
fn retired_numbers_are_records_in_json_and_refusals_leave_the_file_alone() {
    let scratch = Scratch::with_config(RETIRE);
    let before = scratch.read("config.toml");
    // A cancellation date in the future is refused.
    let refused = scratch
        .numkeep(&[
            "retire",
            "+1 555 010 0199",
            "--done",
            "--on",
            "2026-05-02",
            "--at",
            "2026-05-01",
        ])
        .output()
        .expect_code(2);
    assert!(
        refused.stderr.contains("in the future"),
        "{}",
        refused.stderr
    );
    assert_eq!(scratch.read("config.toml"), before);
    // An unknown number too.
    scratch
        .numkeep(&["retire", "+1 555 010 0100", "--at", "2026-05-01"])
        .output()
        .expect_code(2);
    assert_eq!(scratch.read("config.toml"), before);

    // --done without --on: today in the carrier's calendar.
    scratch
        .numkeep(&["retire", "+1 555 010 0199", "--done", "--at", "2026-05-01"])
        .output()
        .success();
    assert!(
        scratch.read("config.toml").contains(
            "notes = \"account 998877\"\nstatus = \"retired\"\nretired_on = 2026-05-01\n"
        )
    );
    let retired = status_of(&scratch, "+15550100199", "2026-06-01");
    for key in [
        "act_by",
        "lost_on",
        "days_left",
        "deadline",
        "lost_at",
        "retire_by",
    ] {
        assert_eq!(retired[key], Value::Null, "{key}");
    }
    assert_eq!(retired["state"], "retired");
    assert_eq!(retired["retired_on"], "2026-05-01");
    assert_eq!(
        retired["bound_to"],
        serde_json::json!(["HSBC", "WeChat Pay"])
    );
    assert_eq!(retired["obligations"], serde_json::json!([]));
    // Retiring it again is refused, and nothing is written.
    let again = scratch.read("config.toml");
    scratch
        .numkeep(&["retire", "+1 555 010 0199", "--at", "2026-05-02"])
        .output()
        .expect_code(2);
    assert_eq!(scratch.read("config.toml"), again);
}

/// A retiring number whose only reminder is the cancel obligation (retire_by 14 Dec; the
/// plan itself runs to the end of June), mail through a sendmail script into `outbox/`.
fn cancel_scratch(settings: &str) -> Scratch {
    let scratch = Scratch::new();
    scratch.write(
        "sendmail",
        "#!/bin/sh\ncat > \"$(dirname \"$0\")/outbox/$(date +%s%N).eml\"\n",
    );
    scratch.write("outbox/.keep", "");
    let script = scratch.path("sendmail");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    scratch.write(
        "config.toml",
        &format!(
            r#"
[settings]
timezone = "UTC"
remind_before = ["7d", "1d"]
{settings}

[email]
from = "numkeep <numkeep@example.org>"
to = ["me@example.org"]
sendmail = "{}"

[[number]]
number = "+1 555 010 0199"
label = "US bank line"
valid_until = 2027-06-30
status = "retiring"
retire_by = 2026-12-14
bound_to = ["HSBC", "WeChat Pay"]
notes = "account 998877"
"#,
            script.display()
        ),
    );
    scratch
}

/// The bodies of the mail sent so far, oldest first.
fn bodies(scratch: &Scratch) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(scratch.path("outbox"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| decoded_body(&std::fs::read_to_string(path).unwrap()))
        .collect()
}

fn run_once(scratch: &Scratch, at: &str) {
    scratch
        .numkeep(&["run", "--once", "--at", at])
        .output()
        .success();
}

#[test]
fn cancel_reminders_go_once_per_threshold_with_the_checklist() {
    let scratch = cancel_scratch("");
    // 14 Dec − 7 days = 7 Dec; − 1 day = 13 Dec.
    for (at, sent) in [
        ("2026-12-06T09:00", 0),
        ("2026-12-07T09:00", 1),
        ("2026-12-07T18:00", 1),
        ("2026-12-10T09:00", 1),
        ("2026-12-13T09:00", 2),
        ("2026-12-13T10:00", 2),
    ] {
        run_once(&scratch, at);
        assert_eq!(bodies(&scratch).len(), sent, "{at}");
    }
    for body in bodies(&scratch) {
        assert!(body.contains("What to do: cancel the number"), "{body}");
        assert!(
            body.contains("HSBC and WeChat Pay send codes to this number"),
            "{body}"
        );
        assert!(body.contains("Notes:      account 998877"), "{body}");
        let checklist = [
            "1. Move HSBC to another number",
            "2. Move WeChat Pay to another number",
            "3. Move the bank and 2FA logins to another number",
            "4. Spend, transfer or get back the balance (or port the number out to keep it)",
            "5. Stop any automatic top-up or fee",
            "6. Keep the records: account id, final balance, cancellation confirmation",
            "7. For a Chinese mainland number: check the accounts bound to it with the 一证通查 service",
            "numkeep retire NUMBER --done",
        ];
        let mut from = 0;
        for line in checklist {
            let at = body[from..]
                .find(line)
                .unwrap_or_else(|| panic!("{line:?} missing or out of order in\n{body}"));
            from += at + line.len();
        }
    }
}

#[test]
fn the_checklist_in_chinese_and_as_the_user_replaced_it() {
    let scratch = cancel_scratch("language = \"zh-CN\"");
    run_once(&scratch, "2026-12-07T09:00");
    let body = &bodies(&scratch)[0];
    let checklist = [
        "要做什么：销号",
        "绑定账户：绑定此号码的账户：HSBC、WeChat Pay",
        "备注：    account 998877",
        "销号清单：",
        "1. 把绑定此号码的账户换绑到其他号码：",
        "- HSBC",
        "- WeChat Pay",
        "2. 更换银行、支付（支付宝、微信支付）和两步验证的手机号",
        "3. 用完、转出或申请退还余额；需要保留号码的话，先办理携号转网",
        "4. 关闭自动充值和自动扣费",
        "5. 保存记录：账户编号、最后余额、销号确认",
        "6. 中国大陆号码：用\"一证通查\"查询名下号码和绑定的互联网账户",
    ];
    let mut from = 0;
    for line in checklist {
        let at = body[from..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing or out of order in\n{body}"));
        from += at + line.len();
    }
    assert!(!body.contains("Move "), "{body}");

    let custom =
        cancel_scratch("retire_checklist = [\"Close the PayPal account\", \"Return the SIM\"]");
    run_once(&custom, "2026-12-07T09:00");
    let body = &bodies(&custom)[0];
    let expected = "    1. Move HSBC to another number\n    2. Move WeChat Pay to another number\n    3. Close the PayPal account\n    4. Return the SIM\n";
    assert!(body.contains(expected), "{body}");
    assert!(!body.contains("Stop any automatic top-up"), "{body}");
}
