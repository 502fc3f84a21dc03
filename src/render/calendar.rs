//! `numkeep calendar`: every obligation as an all-day event on its act-by date, RFC 5545
//! (DESIGN.md §5). Pure: the shell passes "now" for the core and the `DTSTAMP` instant.
//!
//! An event's UID is the number and the rule (never the date), so a renewal moves the event
//! in a calendar that re-imports the file instead of adding a second one. Lines end in CRLF
//! and are folded at 75 octets on a character boundary; text values are escaped.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::engine::status::{Deadline, Now, State, evaluate_number};
use crate::model::period::{Period, days_between};
use crate::model::{Config, Language, NumberEntry, Settings};

use super::words::{self, Edge, Zones};

/// The calendar for every number but the retired, `stamp` its `DTSTAMP`.
pub fn calendar(config: &Config, now: Now, stamp: Timestamp) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(
        &mut out,
        concat!(
            "PRODID:-//numkeep//numkeep ",
            env!("CARGO_PKG_VERSION"),
            "//EN"
        ),
    );
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, "X-WR-CALNAME:numkeep");
    let stamp = stamp_text(stamp);
    for number in &config.numbers {
        let report = evaluate_number(config, number, now);
        if report.state == State::Retired {
            continue;
        }
        for deadline in &report.deadlines {
            event(&mut out, &config.settings, number, deadline, &stamp);
        }
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The calendar without its `DTSTAMP` lines: what decides whether the file changed.
pub fn without_stamps(text: &str) -> String {
    text.split("\r\n")
        .filter(|line| !line.starts_with("DTSTAMP:"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn event(
    out: &mut String,
    settings: &Settings,
    number: &NumberEntry,
    deadline: &Deadline,
    stamp: &str,
) {
    let language = settings.language;
    let english = language == Language::English;
    let obligation = &deadline.obligation;
    let zones = Zones::of(number, settings);
    let mut action = words::action(language, obligation);
    if english && let Some(first) = action.chars().next() {
        action.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
    }
    let label = number.label.as_deref().map(single_line);
    let phone = number.number.as_str();
    let summary = match (&label, english) {
        (Some(label), true) => format!("{action} {phone} ({label})"),
        (None, true) => format!("{action} {phone}"),
        (Some(label), false) => format!("{action}：{phone}（{label}）"),
        (None, false) => format!("{action}：{phone}"),
    };
    let act_by = words::deadline(language, deadline, Edge::ActBy, zones);
    let lost_on = words::deadline(language, deadline, Edge::LostOn, zones);
    let why = words::why(language, &obligation.why);
    let description = if english {
        format!("{action} by {act_by}.\nWhy: {why}.\nLost on {lost_on} if nothing is done.")
    } else {
        format!("请在 {act_by}前{action}。\n原因：{why}。\n如不处理，{lost_on}起可能被回收。")
    };
    line(out, "BEGIN:VEVENT");
    let rule = obligation.rule.key();
    line(
        out,
        &format!("UID:{}-{rule}@numkeep", phone.trim_start_matches('+')),
    );
    line(out, &format!("DTSTAMP:{stamp}"));
    line(
        out,
        &format!("DTSTART;VALUE=DATE:{}", date_text(obligation.act_by)),
    );
    let end = obligation.act_by.tomorrow().unwrap_or(obligation.act_by);
    line(out, &format!("DTEND;VALUE=DATE:{}", date_text(end)));
    line(out, &format!("SUMMARY:{}", escape(&summary)));
    line(out, &format!("DESCRIPTION:{}", escape(&description)));
    line(out, "TRANSP:TRANSPARENT");
    for days in alarm_days(number.remind_before(settings), obligation.act_by) {
        line(out, "BEGIN:VALARM");
        line(out, "ACTION:DISPLAY");
        line(out, &format!("DESCRIPTION:{}", escape(&summary)));
        if days == 0 {
            line(out, "TRIGGER:PT0S");
        } else {
            line(out, &format!("TRIGGER:-P{days}D"));
        }
        line(out, "END:VALARM");
    }
    line(out, "END:VEVENT");
}

/// The days before act-by of the number's three longest lead times, longest first.
fn alarm_days(leads: &[Period], act_by: Date) -> Vec<i32> {
    let mut days: Vec<i32> = leads
        .iter()
        .filter_map(|lead| lead.before(act_by))
        .map(|start| days_between(start, act_by))
        .collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    days.truncate(3);
    days
}

fn date_text(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

fn stamp_text(stamp: Timestamp) -> String {
    stamp.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn single_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// RFC 5545 §3.3.11 TEXT: backslash, semicolon, comma and newline escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded (RFC 5545 §3.1): at most 75 octets a line, never
/// inside a UTF-8 character; continuation lines start with one space; CRLF after each.
pub fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let size = c.len_utf8();
        if width + size > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += size;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fold_at_75_octets_on_character_boundaries() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "充值".repeat(40));
        line(&mut out, &long);
        for piece in out.split_terminator("\r\n") {
            assert!(piece.len() <= 75, "{} octets: {piece}", piece.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, long);
        let mut short = String::new();
        line(&mut short, "VERSION:2.0");
        assert_eq!(short, "VERSION:2.0\r\n");
        let mut exact = String::new();
        line(&mut exact, &"x".repeat(75));
        assert_eq!(exact.matches("\r\n").count(), 1);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn alarms_are_the_three_longest_leads() {
        let act_by = jiff::civil::date(2026, 12, 31);
        let leads = [
            Period::days(0),
            Period::days(7),
            Period::months(1),
            Period::days(3),
        ];
        // A month before 31 Dec is 30 Nov: 31 days.
        assert_eq!(alarm_days(&leads, act_by), [31, 7, 3]);
    }
}
