//! What push channels carry (DESIGN.md §4): the digest shortened to what a phone shows — a
//! title (the mail subject) and one short block per due number, most urgent first — its
//! urgency, and the JSON webhooks and commands receive.

use std::fmt::Write as _;

use crate::engine::plan::{Alert, Threshold};
use crate::engine::status::NumberReport;
use crate::model::{Language, Settings};

use super::words::{self, Edge, Zones};

/// How urgent a push is: grace and lost are high (DESIGN.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    Normal,
    High,
}

/// The most urgent alert's urgency.
pub fn urgency(alerts: &[Alert<'_>]) -> Urgency {
    if alerts
        .iter()
        .any(|alert| matches!(alert.threshold, Threshold::Grace(_) | Threshold::Lost))
    {
        Urgency::High
    } else {
        Urgency::Normal
    }
}

/// The short body: for each alert, the number (and label), then what to do by when.
pub fn body(settings: &Settings, alerts: &[Alert<'_>]) -> String {
    let language = settings.language;
    let english = language == Language::English;
    let mut out = String::new();
    for alert in alerts {
        let number = alert.number;
        let deadline = &alert.deadline;
        let zones = Zones::of(number, settings);
        let act_by = words::deadline(language, deadline, Edge::ActBy, zones);
        let lost_on = words::deadline(language, deadline, Edge::LostOn, zones);
        let mut action = words::action(language, &deadline.obligation);
        if english && let Some(first) = action.chars().next() {
            action.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(number.number.as_str());
        if let Some(label) = &number.label {
            let label: String = label
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let _ = write!(out, " ({label})");
        }
        out.push('\n');
        let days = words::days_left(language, deadline.days_left);
        let _ = match (alert.threshold, english) {
            (Threshold::Lead(_), true) => writeln!(out, "{action} by {act_by} ({days})"),
            (Threshold::Lead(_), false) => writeln!(out, "请在 {act_by}前{action}（{days}）"),
            (Threshold::Grace(_), true) => {
                writeln!(out, "{action} now: past {act_by}; lost on {lost_on}")
            }
            (Threshold::Grace(_), false) => {
                writeln!(out, "请立即{action}：已过期限，{lost_on}起可能被回收")
            }
            (Threshold::Lost, true) => writeln!(out, "may be lost since {lost_on} (final notice)"),
            (Threshold::Lost, false) => {
                writeln!(out, "{lost_on}起可能已被回收（最后一次通知）")
            }
        };
    }
    out
}

/// `{"event":"numkeep.reminders","numbers":[…]}`: the numbers as `status --json` writes
/// them, most urgent first, each once.
pub fn reminders_json(reports: &[NumberReport<'_>], settings: &Settings) -> String {
    let mut out = String::from("{\"event\":\"numkeep.reminders\",\"numbers\":[");
    for (index, report) in reports.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&super::status::number_json(report, settings));
    }
    out.push_str("]}");
    out
}

/// A webhook message id stable across retries of the same reminders: `msg_` and the hex
/// digest the caller computes of [`key_text`].
pub fn key_text(keys: &[String]) -> String {
    let mut sorted: Vec<&str> = keys.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.join("\n")
}
