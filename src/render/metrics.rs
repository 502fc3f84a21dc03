//! `numkeep metrics`: the Prometheus text exposition format 0.0.4 (DESIGN.md §5). Absolute
//! timestamps, not days left, so that alerting rules compare them with `time()`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;

use crate::engine::status::{Now, evaluate};
use crate::model::Config;

/// One channel's counts: reminders delivered, sends failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelCounts {
    pub sent: u64,
    pub failures: u64,
}

/// The states every exposition lists, zero or not (so a rule on `grace` never sees "absent").
const STATES: &[&str] = &[
    "ok", "due", "grace", "lost", "paused", "retiring", "retired",
];

/// The whole exposition. `channels` holds every channel to report, with its counts.
pub fn metrics(
    config: &Config,
    now: Now,
    last_check: Option<Timestamp>,
    channels: &BTreeMap<String, ChannelCounts>,
) -> String {
    let evaluation = evaluate(config, now);
    let mut out = String::new();
    let mut deadlines = String::new();
    let mut lost = String::new();
    let mut states: BTreeMap<&str, u64> = STATES.iter().map(|state| (*state, 0)).collect();
    for report in evaluation.iter() {
        *states.entry(report.state.key()).or_default() += 1;
        let number = report.entry.number.as_str();
        let carrier = report.entry.carrier_id().unwrap_or("");
        for deadline in &report.deadlines {
            let labels = format!(
                "number=\"{}\",carrier=\"{}\",rule=\"{}\"",
                label(number),
                label(carrier),
                deadline.obligation.rule.key()
            );
            let _ = writeln!(
                deadlines,
                "numkeep_deadline_timestamp_seconds{{{labels}}} {}",
                deadline.deadline_at.as_second()
            );
            let _ = writeln!(
                lost,
                "numkeep_lost_timestamp_seconds{{{labels}}} {}",
                deadline.lost_at.as_second()
            );
        }
    }
    family(
        &mut out,
        "numkeep_deadline_timestamp_seconds",
        "gauge",
        "When the last day to act ends (the deadline instant), per number and rule.",
        &deadlines,
    );
    family(
        &mut out,
        "numkeep_lost_timestamp_seconds",
        "gauge",
        "When the number may be lost (recycled), per number and rule.",
        &lost,
    );
    let mut samples = String::new();
    for (state, count) in &states {
        let _ = writeln!(
            samples,
            "numkeep_numbers{{state=\"{}\"}} {count}",
            label(state)
        );
    }
    family(
        &mut out,
        "numkeep_numbers",
        "gauge",
        "Numbers in each state.",
        &samples,
    );
    let samples = last_check.map_or_else(String::new, |at| {
        format!("numkeep_last_check_timestamp_seconds {}\n", at.as_second())
    });
    family(
        &mut out,
        "numkeep_last_check_timestamp_seconds",
        "gauge",
        "When the last check whose state was saved ran.",
        &samples,
    );
    let counter = |pick: fn(&ChannelCounts) -> u64, name: &str| {
        let mut samples = String::new();
        for (channel, counts) in channels {
            let _ = writeln!(
                samples,
                "{name}{{channel=\"{}\"}} {}",
                label(channel),
                pick(counts)
            );
        }
        samples
    };
    family(
        &mut out,
        "numkeep_reminders_sent_total",
        "counter",
        "Reminders delivered, per channel.",
        &counter(|counts| counts.sent, "numkeep_reminders_sent_total"),
    );
    family(
        &mut out,
        "numkeep_send_failures_total",
        "counter",
        "Sends that failed (and stayed pending), per channel.",
        &counter(|counts| counts.failures, "numkeep_send_failures_total"),
    );
    family(
        &mut out,
        "numkeep_build_info",
        "gauge",
        "The numkeep version, as a label; always 1.",
        &format!(
            "numkeep_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        ),
    );
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    out.push_str(samples);
}

/// A label value, escaped as the text format wants: `\`, `"` and newlines.
fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
