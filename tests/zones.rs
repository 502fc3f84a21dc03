//! Deadlines across time zones (DESIGN.md §2), through the real binary: a user in Shanghai
//! keeping a Kuwaiti line, and every output naming the same dates for the same obligation.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::cli::Scratch;
use crate::support::mail::{decoded_body, header};
use crate::support::smtp_server::{Mode, SmtpServer};

/// Topped up 2026-11-14, valid 30 days: act-by Sun 13 Dec in Kuwait, which ends at 05:00 on
/// Mon 14 Dec in Shanghai; seven days of grace, so lost on Mon 21 Dec, from 05:00 in Shanghai.
/// With `port`, reminders also go by email to a server there.
fn config(port: Option<u16>) -> String {
    let email = port.map_or(String::new(), |port| {
        format!(
            "[email]\nfrom = \"numkeep <alerts@example.org>\"\nto = [\"me@example.org\"]\n\
             smtp = {{ host = \"127.0.0.1\", port = {port}, tls = \"none\" }}\n"
        )
    });
    format!(
        r#"
[settings]
timezone = "Asia/Shanghai"
remind_before = ["7d", "0d"]

{email}

[carriers.zain-kw]
name = "Zain Kuwait"
timezone = "Asia/Kuwait"
topup_valid_for = "30d"
grace = "7d"

[[number]]
number = "+965 5123 4567"
carrier = "zain-kw"
last_topup = 2026-11-14
"#
    )
}

const ACT_BY: &str = "Sun 2026-12-13 (Asia/Kuwait), before Mon 2026-12-14 05:00 your time";
const LOST_ON: &str = "Mon 2026-12-21 (Asia/Kuwait), from Mon 2026-12-21 05:00 your time";

/// Every `YYYY-MM-DD` in `text`.
fn dates_in(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(9))
        .filter(|&start| {
            let candidate = &bytes[start..start + 10];
            candidate
                .iter()
                .enumerate()
                .all(|(index, byte)| match index {
                    4 | 7 => *byte == b'-',
                    _ => byte.is_ascii_digit(),
                })
                && (start == 0 || !bytes[start - 1].is_ascii_digit())
        })
        .map(|start| text[start..start + 10].to_owned())
        .collect()
}

fn status_json(scratch: &Scratch, at: &str) -> Value {
    let outcome = scratch
        .numkeep(&["status", "--json", "--at", at])
        .output()
        .success();
    let numbers: Value = serde_json::from_str(&outcome.stdout).unwrap();
    numbers[0].clone()
}

#[test]
fn table_email_log_and_json_name_the_same_dates() {
    let server = SmtpServer::start(Mode::Plain);
    let scratch = Scratch::with_config(&config(Some(server.port())));
    // 09:00 on 13 Dec in Shanghai is 04:00 in Kuwait: the last day there, 0 days left.
    let at = "2026-12-13T09:00";

    let json = status_json(&scratch, at);
    assert_eq!(json["state"], "due");
    assert_eq!(json["days_left"], 0);
    assert_eq!(json["act_by"], "2026-12-13");
    assert_eq!(json["lost_on"], "2026-12-21");
    assert_eq!(json["deadline"], "2026-12-14T05:00:00+08:00");
    assert_eq!(json["lost_at"], "2026-12-21T05:00:00+08:00");
    assert_eq!(json["obligations"][0]["deadline"], json["deadline"]);
    assert_eq!(json["obligations"][0]["lost_at"], json["lost_at"]);

    let table = scratch
        .numkeep(&["status", "--at", at])
        .output()
        .success()
        .stdout;
    // The table gives the carrier's date and, in its own column, the user's cut-off.
    let row = table
        .lines()
        .find(|line| line.starts_with("+965"))
        .unwrap_or_default();
    let words: Vec<&str> = row.split_whitespace().collect();
    assert!(
        words.windows(7).any(|run| run
            == [
                "Sun",
                "2026-12-13",
                "Mon",
                "05:00",
                "0",
                "Mon",
                "2026-12-21"
            ]),
        "{table}"
    );
    assert!(
        table.ends_with("YOUR CUT-OFF: when act-by ends in Asia/Shanghai.\n"),
        "{table}"
    );

    let run = scratch
        .numkeep(&["run", "--once", "--at", at])
        .output()
        .success();
    let log_line = run
        .stderr
        .lines()
        .find(|line| line.contains("+96551234567:"))
        .unwrap_or_default();
    assert!(
        log_line.contains(&format!("+96551234567: top up by {ACT_BY} (0 days left)")),
        "{}",
        run.stderr
    );
    assert!(log_line.contains(r#"act_by="2026-12-13""#), "{log_line}");
    assert!(log_line.contains(r#"lost_on="2026-12-21""#), "{log_line}");

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let subject = header(&messages[0].data, "Subject");
    assert_eq!(subject, format!("numkeep: +96551234567 by {ACT_BY}"));
    let body = decoded_body(&messages[0].data);
    assert!(
        body.contains(&format!("  Act by:     {ACT_BY} (today is the last day)\n")),
        "{body}"
    );
    assert!(
        body.contains(&format!("  Lost on:    {LOST_ON} if nothing is done\n")),
        "{body}"
    );

    // No output names a date other than these: act-by and the day its cut-off falls on,
    // lost-on, the top-up the reason counts from, and today.
    let allowed: BTreeSet<String> = ["2026-12-13", "2026-12-14", "2026-12-21", "2026-11-14"]
        .map(str::to_owned)
        .into();
    let log_text: String = log_line
        .split_once(' ')
        .map_or("", |(_, rest)| rest)
        .to_owned();
    let json_text = json.to_string();
    for (what, text) in [
        ("json", json_text.as_str()),
        ("table", table.as_str()),
        ("log", log_text.as_str()),
        ("subject", subject.as_str()),
        ("body", body.as_str()),
    ] {
        let unexpected: Vec<String> = dates_in(text).difference(&allowed).cloned().collect();
        assert!(
            unexpected.is_empty(),
            "{what} names {unexpected:?}:\n{text}"
        );
    }
}

#[test]
fn an_hour_after_the_carriers_midnight_the_number_is_in_grace() {
    let scratch = Scratch::with_config(&config(None));
    // (instant in Shanghai, state, days left): Kuwait's 14 Dec starts at 05:00 in Shanghai.
    let cases = [
        ("2026-12-14T04:59:59", "due", 0),
        ("2026-12-14T05:00:00", "grace", -1),
        ("2026-12-14T06:00", "grace", -1),
        ("2026-12-21T04:59:59", "grace", -7),
        ("2026-12-21T05:00:00", "lost", -8),
    ];
    for (at, state, days_left) in cases {
        let json = status_json(&scratch, at);
        assert_eq!(
            (json["state"].as_str(), json["days_left"].as_i64()),
            (Some(state), Some(days_left)),
            "--at {at}"
        );
    }
    // A date alone is that date in every calendar: 14 Dec in Kuwait too.
    let json = status_json(&scratch, "2026-12-13");
    assert_eq!(json["days_left"], 0);
    let json = status_json(&scratch, "2026-12-14");
    assert_eq!(json["state"], "grace");
}

#[test]
fn the_daily_check_reminds_before_the_carriers_deadline_not_after() {
    let scratch = Scratch::with_config(&config(None));
    // The 09:00 check on 14 Dec in Shanghai is four hours past Kuwait's deadline: that
    // day's reminder is a grace nag, and the "last day" reminder went out the day before.
    let day_before = scratch
        .numkeep(&["run", "--once", "--at", "2026-12-13T09:00"])
        .output()
        .success();
    assert!(
        day_before.stderr.contains("(0 days left)"),
        "{}",
        day_before.stderr
    );
    let day_of = scratch
        .numkeep(&["run", "--once", "--at", "2026-12-14T09:00"])
        .output()
        .success();
    assert!(
        day_of
            .stderr
            .contains(&format!("past its act-by date {ACT_BY}, in grace")),
        "{}",
        day_of.stderr
    );
}

/// `renew` without `--on` records today in the carrier's zone: at 00:23 on 1 Dec in
/// Shanghai it is still 30 Nov in London. The wall clock is pinned with faketime.
#[test]
fn renew_records_the_carriers_date() {
    let scratch = Scratch::with_config(
        r#"
[settings]
timezone = "Asia/Shanghai"

[carriers.giffgaff]
timezone = "Europe/London"
use_every = "6mo"

[[number]]
number = "+44 7700 900123"
carrier = "giffgaff"
last_used = 2026-06-01
"#,
    );
    let config = scratch.config_path();
    let outcome = std::process::Command::new("faketime")
        .arg("2026-11-30 16:23:00 UTC")
        .arg(env!("CARGO_BIN_EXE_numkeep"))
        .arg("--config")
        .arg(&config)
        .args(["renew", "+447700900123", "--used"])
        .output()
        .expect("faketime (apt install faketime) runs the binary");
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    assert!(
        outcome.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&outcome.stderr)
    );
    let written = scratch.read("config.toml");
    assert!(written.contains("last_used = 2026-11-30\n"), "{written}");
    assert!(
        stdout.contains("by Sat 2027-05-29 (Europe/London), before Sun 2027-05-30 07:00 your time (180 days left)"),
        "{stdout}"
    );
}

/// In Chinese, `renew`'s answer and the test message are Chinese throughout: no Latin
/// letters but the zone names, the file name, the number's carrier and `numkeep`.
#[test]
fn chinese_answers_are_one_language() {
    let server = SmtpServer::start(Mode::Plain);
    let scratch = Scratch::with_config(
        &config(Some(server.port())).replace("[settings]", "[settings]\nlanguage = \"zh-CN\""),
    );
    let latin_outside = |text: &str, allowed: &[&str]| {
        let rest = allowed
            .iter()
            .fold(text.to_owned(), |rest, name| rest.replace(name, ""));
        rest.chars().any(|c| c.is_ascii_alphabetic())
    };
    // 12:00 UTC is 20:00 in Shanghai and 15:00 in Kuwait: 30 Nov there, recorded as such.
    let outcome = std::process::Command::new("faketime")
        .arg("2026-11-30 12:00:00 UTC")
        .arg(env!("CARGO_BIN_EXE_numkeep"))
        .arg("--config")
        .arg(scratch.config_path())
        .args(["renew", "+965 5123 4567", "--topup"])
        .output()
        .expect("faketime (apt install faketime) runs the binary");
    let renewed = String::from_utf8_lossy(&outcome.stdout).into_owned();
    let config_path = scratch.config_path().display().to_string();
    assert_eq!(
        renewed,
        format!(
            "+96551234567：已记录到 {config_path}。下一步：请在 2026-12-29（周二，Asia/Kuwait 日期；北京时间 12月30日 05:00）前充值，还剩 29 天\n  上次充值日期：2026-11-14 → 2026-11-30\n"
        ),
    );
    assert!(
        !latin_outside(&renewed, &[&config_path, "Asia/Kuwait"]),
        "{renewed}"
    );

    scratch
        .numkeep(&["test-alert", "--at", "2026-12-01T09:00"])
        .output()
        .success();
    let messages = server.messages();
    let body = decoded_body(&messages[0].data);
    assert!(
        body.contains("最紧急的是 +96551234567：请在 2026-12-29"),
        "{body}"
    );
    assert!(
        !latin_outside(&body, &["numkeep", "Asia/Kuwait", "Asia/Shanghai"]),
        "English in a Chinese message:\n{body}"
    );
}

/// A built-in carrier counts in its country's calendar: giffgaff's dates are London's, so
/// from Beijing a 9 Dec act-by ends at 08:00 on 10 Dec, with or without a table of its own.
#[test]
fn built_in_carriers_count_in_their_own_zone() {
    for carrier in ["carrier = \"giffgaff\"", "carrier = \"mine\""] {
        let scratch = Scratch::with_config(&format!(
            "[settings]\ntimezone = \"Asia/Shanghai\"\n\n[carriers.mine]\nbase = \"giffgaff\"\n\n\
             [[number]]\nnumber = \"+44 7700 900123\"\n{carrier}\nlast_used = 2026-06-10\n"
        ));
        let json = status_json(&scratch, "2026-12-09T12:00");
        assert_eq!(json["act_by"], "2026-12-09", "{carrier}");
        assert_eq!(json["deadline"], "2026-12-10T08:00:00+08:00", "{carrier}");
    }
}
