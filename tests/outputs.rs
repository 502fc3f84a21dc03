//! Integration tests: `numkeep calendar`, `metrics` and `history`, and the daemon's
//! `[calendar]` file.

use std::collections::BTreeSet;

use crate::support::cli::{Scratch, project_file};

/// Chinese text long enough to fold, a label with every character TEXT escapes, a number
/// with its own lead times, and a retired number (what `.ci/run` also imports into calcurse).
const CONFIG: &str = include_str!("fixtures/calendar.toml");

fn unstamped(text: &str) -> String {
    text.split("\r\n")
        .map(|line| {
            if line.starts_with("DTSTAMP:") {
                "DTSTAMP:(now)"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn uids(text: &str) -> BTreeSet<String> {
    text.split("\r\n")
        .filter_map(|line| line.strip_prefix("UID:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn calendar_is_rfc5545_folded_on_characters_and_matches_the_golden_file() {
    let scratch = Scratch::with_config(CONFIG);
    let text = scratch.numkeep(&["calendar"]).output().success().stdout;
    // CRLF everywhere, no bare LF; at most 75 octets a line; every line whole UTF-8.
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'));
    let mut folded = 0;
    for line in text.as_bytes().split(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(
            line.len() <= 75,
            "{} octets: {}",
            line.len(),
            String::from_utf8_lossy(line)
        );
        std::str::from_utf8(line).expect("a fold never splits a character");
        if line.starts_with(b" ") {
            folded += 1;
        }
    }
    assert!(folded > 0, "the long Chinese label is folded");
    let unfolded = text.replace("\r\n ", "");
    assert!(
        unfolded.contains(
            "SUMMARY:充值：+96551234567（科威特银行验证码专用号码，绑定了很多账户；请务必保号）"
        ),
        "{unfolded}"
    );
    assert!(
        unfolded.contains("UK\\, \"2FA\"\\; backslash \\\\ here"),
        "{unfolded}"
    );
    // One event per obligation of a number not retired, all-day on act-by.
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
    assert!(
        !text.contains("15550100100"),
        "retired numbers are left out"
    );
    assert_eq!(text.matches("DTSTAMP:").count(), 2);
    assert!(unfolded.contains("DTSTART;VALUE=DATE:20261129\r\nDTEND;VALUE=DATE:20261130\r\n"));
    // Alarms: the three longest lead times of each number.
    assert_eq!(text.matches("BEGIN:VALARM").count(), 6);
    assert!(unfolded.contains("TRIGGER:-P60D") && !unfolded.contains("TRIGGER:-P1D"));
    let golden = std::fs::read_to_string(project_file("tests/fixtures/calendar.ics"))
        .expect("the golden calendar");
    assert_eq!(unstamped(&text), golden);
}

#[test]
fn uids_are_stable_across_a_renewal_and_the_file_is_written_by_a_check() {
    let scratch = Scratch::with_config(&format!(
        "[calendar]\npath = \"{}\"\n{CONFIG}",
        scratch_path_placeholder()
    ));
    let path = scratch.path("numkeep.ics");
    scratch.write(
        "config.toml",
        &scratch
            .read("config.toml")
            .replace(scratch_path_placeholder(), &path.display().to_string()),
    );
    scratch
        .numkeep(&["run", "--once", "--at", "2026-11-01T09:00"])
        .output()
        .success();
    let before = std::fs::read_to_string(&path).expect("the check wrote the calendar");
    assert_eq!(
        unstamped(&before),
        unstamped(&scratch.numkeep(&["calendar"]).output().stdout)
    );
    scratch
        .numkeep(&["renew", "+965 5123 4567", "--topup", "--on", "2026-11-20"])
        .output()
        .success();
    scratch
        .numkeep(&["run", "--once", "--at", "2026-11-20T09:00"])
        .output()
        .success();
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(uids(&before), uids(&after));
    assert!(uids(&after).contains("96551234567-topup_valid_for@numkeep"));
    assert!(before.contains("DTSTART;VALUE=DATE:20261129"));
    assert!(after.contains("DTSTART;VALUE=DATE:20270217"), "{after}");
    // A check that changes nothing leaves the file alone (its DTSTAMP too).
    scratch
        .numkeep(&["run", "--once", "--at", "2026-11-20T10:00"])
        .output()
        .success();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
    // --output writes the same calendar.
    let out = scratch.path("out.ics");
    scratch
        .numkeep(&["calendar", "--output", out.to_str().unwrap()])
        .output()
        .success();
    assert_eq!(
        unstamped(&std::fs::read_to_string(out).unwrap()),
        unstamped(&after)
    );
}

fn scratch_path_placeholder() -> &'static str {
    "@CALENDAR@"
}

/// Checks the text exposition format 0.0.4 as promtool would: each family's HELP and TYPE
/// once, before its samples; samples of a family together; valid names, label syntax and
/// values; a final newline.
fn check_exposition(text: &str) -> Vec<(String, String, f64)> {
    assert!(text.ends_with('\n'));
    let name_ok = |name: &str| {
        !name.is_empty()
            && name.chars().enumerate().all(|(i, c)| {
                c == '_' || c == ':' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
            })
    };
    let mut families: Vec<String> = Vec::new();
    let mut typed: BTreeSet<String> = BTreeSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(name_ok(name), "{line}");
            assert!(!families.contains(&name.to_owned()), "HELP twice: {line}");
            families.push(name.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(Some(name), families.last().map(String::as_str), "{line}");
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert!(typed.insert(name.to_owned()), "TYPE twice: {line}");
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "{line:?}");
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, labels.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        assert!(name_ok(name), "{line}");
        let family = families.last().expect("HELP first");
        assert_eq!(name, family, "samples of a family stay together: {line}");
        // label="value" pairs, values escaped.
        let mut rest = labels;
        while !rest.is_empty() {
            let (label, after) = rest.split_once("=\"").expect("label=\"");
            assert!(name_ok(label) && !label.contains(':'), "{line}");
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().expect("closing quote") {
                    (_, '\\') => {
                        let (_, escaped) = chars.next().unwrap();
                        assert!(matches!(escaped, '\\' | '"' | 'n'), "{line}");
                    }
                    (index, '"') => break index,
                    _ => {}
                }
            };
            rest = after[end + 1..]
                .strip_prefix(',')
                .unwrap_or(&after[end + 1..]);
        }
        samples.push((name.to_owned(), labels.to_owned(), value));
    }
    samples
}

#[test]
fn metrics_follow_the_text_format_and_count_sends() {
    let scratch = Scratch::with_config(&CONFIG.replace(
        "[carriers.zain-kw]",
        "[[notify]]\nname = \"script\"\ntype = \"command\"\nargv = [\"/bin/true\"]\n\n[carriers.zain-kw]",
    ));
    let text = scratch.numkeep(&["metrics"]).output().success().stdout;
    let samples = check_exposition(&text);
    let value = |name: &str, labels: &str| {
        samples
            .iter()
            .find(|(n, l, _)| n == name && l == labels)
            .map(|(_, _, value)| *value)
    };
    // Act-by 2026-11-29 in Kuwait: the deadline is its end, 21:00 UTC.
    let deadline: f64 = "2026-11-29T21:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second() as f64;
    assert_eq!(
        value(
            "numkeep_deadline_timestamp_seconds",
            "number=\"+96551234567\",carrier=\"zain-kw\",rule=\"topup_valid_for\""
        ),
        Some(deadline)
    );
    assert_eq!(value("numkeep_numbers", "state=\"retired\""), Some(1.0));
    assert_eq!(
        value("numkeep_reminders_sent_total", "channel=\"notify:script\""),
        Some(0.0)
    );
    assert_eq!(value("numkeep_last_check_timestamp_seconds", ""), None);
    assert!(text.contains("numkeep_build_info{version=\""));

    scratch
        .numkeep(&["run", "--once", "--at", "2026-11-01T09:00"])
        .output()
        .success();
    let out = scratch.path("numkeep.prom");
    scratch
        .numkeep(&["metrics", "--output", out.to_str().unwrap()])
        .output()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let samples = check_exposition(&text);
    let value = |name: &str, labels: &str| {
        samples
            .iter()
            .find(|(n, l, _)| n == name && l == labels)
            .map(|(_, _, value)| *value)
    };
    // Two reminders (one per number), in one message per channel.
    assert_eq!(
        value("numkeep_reminders_sent_total", "channel=\"notify:script\""),
        Some(2.0)
    );
    assert_eq!(
        value("numkeep_reminders_sent_total", "channel=\"log\""),
        Some(2.0)
    );
    assert_eq!(
        value("numkeep_send_failures_total", "channel=\"notify:script\""),
        Some(0.0)
    );
    // A what-if check (`--at`) is not the scheduled one: no last check recorded yet.
    assert_eq!(value("numkeep_last_check_timestamp_seconds", ""), None);

    // A real check records its instant, by the real clock.
    let before = jiff::Timestamp::now().as_second() as f64;
    scratch.numkeep(&["run", "--once"]).output().success();
    scratch
        .numkeep(&["metrics", "--output", out.to_str().unwrap()])
        .output()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let last_check = check_exposition(&text)
        .into_iter()
        .find(|(name, _, _)| name == "numkeep_last_check_timestamp_seconds")
        .map(|(_, _, value)| value);
    assert!(last_check.is_some_and(|at| at >= before), "{text}");
}

#[test]
fn history_lists_deliveries_newest_first_and_old_state_files_load() {
    let scratch = Scratch::with_config(&CONFIG.replace(
        "[carriers.zain-kw]",
        "[[notify]]\nname = \"script\"\ntype = \"command\"\nargv = [\"/bin/true\"]\n\n[carriers.zain-kw]",
    ));
    // A schema-1 state file, as numkeep wrote it before: it still loads.
    scratch.write(
        "state/state.json",
        r#"{"schema": 1, "last_check": "2026-10-30T01:00:00Z", "done": ["log|+96551234567|topup_valid_for|2026-11-30|lead:60d"], "pending": {}}"#,
    );
    let empty = scratch
        .numkeep(&["history", "--json"])
        .output()
        .success()
        .stdout;
    assert_eq!(empty.trim(), "[]");
    scratch
        .numkeep(&["run", "--once", "--at", "2026-11-01T09:00"])
        .output()
        .success();
    scratch
        .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
        .output()
        .success();
    let json: serde_json::Value = serde_json::from_str(
        &scratch
            .numkeep(&["history", "--json"])
            .output()
            .success()
            .stdout,
    )
    .unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 6, "{json:#}");
    let first = &entries[0];
    assert_eq!(first["lead"], "7d");
    assert_eq!(first["number"], "+96551234567");
    assert_eq!(first["rule"], "topup_valid_for");
    assert_eq!(first["act_by"], "2026-11-29");
    let times: Vec<&str> = entries
        .iter()
        .map(|e| e["delivered_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
    let channels: BTreeSet<(String, Option<String>)> = entries
        .iter()
        .map(|e| {
            (
                e["channel"].as_str().unwrap().to_owned(),
                e["recipient"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        channels,
        BTreeSet::from([
            ("log".to_owned(), None),
            ("notify".to_owned(), Some("script".to_owned()))
        ])
    );
    let table = scratch.numkeep(&["history"]).output().success().stdout;
    assert!(table.starts_with("DELIVERED"), "{table}");
    assert!(table.contains("notify script"), "{table}");
    let state = scratch.read("state/state.json");
    assert!(state.contains("\"schema\": 2"), "{state}");
}
