//! `numkeep history`: every delivered reminder, newest first (DESIGN.md §4, §5), from the
//! reminder keys the state records with the instant each was delivered.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// One delivered reminder, read back from its key (`channel|number|rule|act-by|threshold`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'k> {
    pub delivered_at: Timestamp,
    /// `log`, `email` or `notify`.
    pub channel: &'k str,
    /// The address or the `[[notify]]` name; none for the log.
    pub recipient: Option<&'k str>,
    pub number: &'k str,
    pub rule: &'k str,
    pub act_by: &'k str,
    /// `7d` for a lead time, `grace` for a daily nag, `lost` for the final notice.
    pub lead: &'k str,
}

/// The entries of `delivered` (key, instant), newest first; keys that do not read as
/// reminder keys are skipped.
pub fn entries<'k>(delivered: impl Iterator<Item = (&'k str, Timestamp)>) -> Vec<Entry<'k>> {
    let mut entries: Vec<Entry<'k>> = delivered
        .filter_map(|(key, at)| {
            let mut parts = key.split('|');
            let (channel, number, rule, act_by, threshold) = (
                parts.next()?,
                parts.next()?,
                parts.next()?,
                parts.next()?,
                parts.next()?,
            );
            let (channel, recipient) = match channel.split_once(':') {
                Some(("mailto", address)) => ("email", Some(address)),
                Some(("notify", name)) => ("notify", Some(name)),
                _ => (channel, None),
            };
            let lead = match threshold.split_once(':') {
                Some(("lead", lead)) => lead,
                Some(("grace", _)) => "grace",
                _ => threshold,
            };
            Some(Entry {
                delivered_at: at,
                channel,
                recipient,
                number,
                rule,
                act_by,
                lead,
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        (b.delivered_at, a.channel, a.recipient, a.number, a.rule).cmp(&(
            a.delivered_at,
            b.channel,
            b.recipient,
            b.number,
            b.rule,
        ))
    });
    entries
}

/// One JSON object per entry, in an array; instants in `zone`'s offset.
pub fn json(entries: &[Entry<'_>], zone: &TimeZone) -> String {
    let objects: Vec<serde_json::Value> = entries
        .iter()
        .map(|entry| {
            serde_json::json!({
                "delivered_at": rfc3339(entry.delivered_at, zone),
                "channel": entry.channel,
                "recipient": entry.recipient,
                "number": entry.number,
                "rule": entry.rule,
                "act_by": entry.act_by,
                "lead": entry.lead,
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&objects).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}

/// A plain table for people.
pub fn table(entries: &[Entry<'_>], zone: &TimeZone) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str("no reminder delivered yet\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<25}  {:<30}  {:<16}  {:<15}  {:<10}  LEAD",
        "DELIVERED", "CHANNEL", "NUMBER", "RULE", "ACT BY"
    );
    for entry in entries {
        let channel = match entry.recipient {
            Some(recipient) => format!("{} {recipient}", entry.channel),
            None => entry.channel.to_owned(),
        };
        let _ = writeln!(
            out,
            "{:<25}  {:<30}  {:<16}  {:<15}  {:<10}  {}",
            rfc3339(entry.delivered_at, zone),
            channel,
            entry.number,
            entry.rule,
            entry.act_by,
            entry.lead
        );
    }
    out
}

fn rfc3339(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_newest_first() {
        let at = |text: &str| text.parse::<Timestamp>().unwrap();
        let delivered = [
            (
                "log|+96551234567|topup_valid_for|2026-11-30|lead:7d",
                at("2026-11-23T09:00:00Z"),
            ),
            (
                "mailto:me@example.org|+96551234567|topup_valid_for|2026-11-30|grace:2026-12-01",
                at("2026-12-01T09:00:00Z"),
            ),
            (
                "notify:phone|+96551234567|fee|2026-11-30|lost",
                at("2026-11-24T09:00:00Z"),
            ),
            ("garbage", at("2026-11-25T09:00:00Z")),
        ];
        let entries = entries(delivered.iter().map(|(key, at)| (*key, *at)));
        let summary: Vec<(&str, Option<&str>, &str)> = entries
            .iter()
            .map(|entry| (entry.channel, entry.recipient, entry.lead))
            .collect();
        assert_eq!(
            summary,
            [
                ("email", Some("me@example.org"), "grace"),
                ("notify", Some("phone"), "lost"),
                ("log", None, "7d"),
            ]
        );
        let json = json(&entries, &TimeZone::UTC);
        assert!(
            json.contains("\"delivered_at\": \"2026-12-01T09:00:00+00:00\""),
            "{json}"
        );
    }
}
