//! In-place edits of a config file for `numkeep renew` and `numkeep add`. Pure: text in,
//! text out.
//!
//! Edits are made on the original text, at the byte spans the parser reports for each value:
//! a value is replaced where it stands (a plain key, a dotted key such as `balance.amount`, an
//! inline table or a `[number.balance]` sub-table), a new key is inserted as a line after the
//! number's last key, and a removed key takes its line with it. Everything else — comments
//! (also after values), blank lines, order, line endings (CRLF stays CRLF), a byte-order mark
//! — is never rewritten, so the difference is exactly the changed values. Amounts keep the
//! form the user wrote them in: a TOML number stays a number, a string stays a string.

use std::ops::Range;

use jiff::civil::Date;
use rust_decimal::Decimal;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::model::phone::normalize_number;

const BOM: &str = "\u{feff}";

/// What the user did with a number.
#[derive(Clone, Debug, PartialEq)]
pub struct Renewal {
    pub on: Date,
    pub topup: Option<Option<Decimal>>,
    pub used: bool,
    pub balance: Option<Decimal>,
    /// A billing anchor to write (the fee's next charge on or after `on`), so that a new
    /// balance date does not move the billing day.
    pub next_charge: Option<Date>,
    /// Start a pause on `on` (`paused_since`).
    pub pause: bool,
    /// End the pause on `on`: `paused_since` goes, `resumed_on` is written.
    pub resume: bool,
    /// A carrier-stated expiry to record.
    pub valid_until: Option<Date>,
}

impl Renewal {
    /// A renewal on `on` that records nothing yet.
    pub fn on(on: Date) -> Renewal {
        Renewal {
            on,
            topup: None,
            used: false,
            balance: None,
            next_charge: None,
            pause: false,
            resume: false,
            valid_until: None,
        }
    }
}

/// One key changed, with its old and new value as written in the file (`None`: absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub key: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// An edited file and what changed in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    pub changes: Vec<Change>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum EditError {
    /// The file is not valid TOML (the loader reports where).
    Unparsable,
    /// No `[[number]]` in this file has that number.
    NumberNotFound,
    /// The key is written in a form that cannot be edited in place (it is named).
    Unsupported(&'static str),
}

/// A change in a number's life, for `numkeep retire`: its `status` and the date that goes
/// with it (`retire_by` for "retiring", `retired_on` for "retired").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifeChange {
    /// Start cancelling: `status = "retiring"`, `retire_by = DATE`.
    Retiring { by: Date },
    /// Cancelled: `status = "retired"`, `retired_on = DATE`.
    Retired { on: Date },
}

/// Applies `change` to the `[[number]]` whose normalised number is `number`, where its keys
/// stand, as [`apply_renewal`] does; other keys (a `retire_by` kept as a record once
/// retired) stay as written.
pub fn apply_life_change(
    text: &str,
    number: &str,
    change: LifeChange,
) -> Result<Edited, EditError> {
    let (bom, body) = match text.strip_prefix(BOM) {
        Some(body) => (BOM, body),
        None => ("", text),
    };
    let root = DeTable::parse(body).map_err(|_| EditError::Unparsable)?;
    let entry = find_entry(root.get_ref(), number).ok_or(EditError::NumberNotFound)?;
    let mut editor = Editor::new(body, entry);
    let (status, key, date) = match change {
        LifeChange::Retiring { by } => ("retiring", "retire_by", by),
        LifeChange::Retired { on } => ("retired", "retired_on", on),
    };
    editor.set("status", &NewValue::Word(status));
    editor.set(key, &NewValue::Date(date));
    let changes = std::mem::take(&mut editor.changes);
    Ok(Edited {
        text: format!("{bom}{}", editor.finish()),
        changes,
    })
}

/// Applies `renewal` to the `[[number]]` whose normalised number is `number`.
pub fn apply_renewal(text: &str, number: &str, renewal: &Renewal) -> Result<Edited, EditError> {
    let (bom, body) = match text.strip_prefix(BOM) {
        Some(body) => (BOM, body),
        None => ("", text),
    };
    let root = DeTable::parse(body).map_err(|_| EditError::Unparsable)?;
    let entry = find_entry(root.get_ref(), number).ok_or(EditError::NumberNotFound)?;
    let mut editor = Editor::new(body, entry);
    let on = NewValue::Date(renewal.on);
    if let Some(amount) = &renewal.topup {
        editor.set("last_topup", &on);
        if let Some(amount) = amount {
            editor.set("last_topup_amount", &NewValue::Amount(*amount));
        }
    }
    if renewal.used {
        editor.set("last_used", &on);
    }
    if let Some(amount) = renewal.balance {
        editor.set_balance(amount, renewal.on)?;
    }
    if let Some(next_charge) = renewal.next_charge {
        editor.set("next_charge", &NewValue::Date(next_charge));
    }
    if let Some(valid_until) = renewal.valid_until {
        editor.set("valid_until", &NewValue::Date(valid_until));
    }
    if renewal.pause {
        editor.set("paused_since", &on);
    }
    if renewal.resume {
        editor.remove("paused_since")?;
        editor.set("resumed_on", &on);
    }
    let changes = std::mem::take(&mut editor.changes);
    Ok(Edited {
        text: format!("{bom}{}", editor.finish()),
        changes,
    })
}

/// A new `[[number]]` for `numkeep add`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewNumber {
    /// Normalised (E.164).
    pub number: String,
    pub label: Option<String>,
    pub carrier: String,
    pub last_topup: Option<Date>,
    pub last_topup_amount: Option<Decimal>,
    pub last_used: Option<Date>,
    pub bound_to: Vec<String>,
    pub notes: Option<String>,
}

/// `text` with `number` appended as a `[[number]]` table after a blank line, in the file's
/// line endings (CRLF when the file uses them). Amounts are written as strings, as the
/// example config does.
pub fn append_number(text: &str, number: &NewNumber) -> String {
    let ending = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines = vec![
        "[[number]]".to_owned(),
        format!("number = {}", quoted(&number.number)),
    ];
    if let Some(label) = &number.label {
        lines.push(format!("label = {}", quoted(label)));
    }
    lines.push(format!("carrier = {}", quoted(&number.carrier)));
    if let Some(date) = number.last_topup {
        lines.push(format!("last_topup = {date}"));
    }
    if let Some(amount) = number.last_topup_amount {
        lines.push(format!("last_topup_amount = \"{amount}\""));
    }
    if let Some(date) = number.last_used {
        lines.push(format!("last_used = {date}"));
    }
    if !number.bound_to.is_empty() {
        let names: Vec<String> = number.bound_to.iter().map(|name| quoted(name)).collect();
        lines.push(format!("bound_to = [{}]", names.join(", ")));
    }
    if let Some(notes) = &number.notes {
        lines.push(format!("notes = {}", quoted(notes)));
    }
    let mut out = String::with_capacity(text.len() + 200);
    out.push_str(text);
    let body = text.strip_prefix(BOM).unwrap_or(text);
    if !body.is_empty() {
        if !body.ends_with('\n') {
            out.push_str(ending);
        }
        out.push_str(ending);
    }
    for line in lines {
        out.push_str(&line);
        out.push_str(ending);
    }
    out
}

/// A TOML basic string holding `text`.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            control if control.is_control() => {
                out.push_str(&format!("\\u{:04X}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

fn find_entry<'t, 'i>(root: &'t DeTable<'i>, number: &str) -> Option<&'t DeTable<'i>> {
    let DeValue::Array(entries) = root.get("number")?.get_ref() else {
        return None;
    };
    entries.iter().find_map(|entry| {
        let DeValue::Table(table) = entry.get_ref() else {
            return None;
        };
        let DeValue::String(text) = table.get("number")?.get_ref() else {
            return None;
        };
        (normalize_number(text).ok()? == number).then_some(table)
    })
}

enum NewValue {
    Date(Date),
    Amount(Decimal),
    /// A word from numkeep's own vocabulary (`"retiring"`): nothing to escape.
    Word(&'static str),
}

impl NewValue {
    /// The value's text; an amount takes the form of the value it replaces (`old`): a TOML
    /// number stays a number, a string keeps its quotes; a new amount is a string.
    fn text(&self, old: Option<&str>) -> String {
        match self {
            NewValue::Date(date) => date.to_string(),
            NewValue::Amount(amount) => match old.and_then(|old| old.chars().next()) {
                Some(quote @ ('"' | '\'')) => format!("{quote}{amount}{quote}"),
                Some(_) => amount.to_string(),
                None => format!("\"{amount}\""),
            },
            NewValue::Word(word) => match old.and_then(|old| old.chars().next()) {
                Some('\'') => format!("'{word}'"),
                _ => format!("\"{word}\""),
            },
        }
    }
}

struct Editor<'t, 'i> {
    body: &'t str,
    entry: &'t DeTable<'i>,
    /// Byte ranges of `body` and their new text; never overlapping.
    replacements: Vec<(Range<usize>, String)>,
    /// New `key = value` lines, in order, for the end of the number's own table.
    inserted: Vec<String>,
    changes: Vec<Change>,
}

impl<'t, 'i> Editor<'t, 'i> {
    fn new(body: &'t str, entry: &'t DeTable<'i>) -> Self {
        Editor {
            body,
            entry,
            replacements: Vec::new(),
            inserted: Vec::new(),
            changes: Vec::new(),
        }
    }

    fn set(&mut self, key: &'static str, value: &NewValue) {
        let old = self.entry.get(key);
        self.set_in(key, old, key, value);
    }

    /// Sets `name` (shown as `label`) to `value`, in place of `old` when there is one.
    fn set_in(
        &mut self,
        label: &'static str,
        old: Option<&Spanned<DeValue<'_>>>,
        name: &str,
        value: &NewValue,
    ) {
        match old {
            Some(old) => {
                let span = old.span();
                let old_text = &self.body[span.clone()];
                let new_text = value.text(Some(old_text));
                if old_text != new_text {
                    self.changes.push(Change {
                        key: label,
                        old: Some(old_text.to_owned()),
                        new: Some(new_text.clone()),
                    });
                    self.replacements.push((span, new_text));
                }
            }
            None => {
                let new_text = value.text(None);
                self.inserted.push(format!("{name} = {new_text}"));
                self.changes.push(Change {
                    key: label,
                    old: None,
                    new: Some(new_text),
                });
            }
        }
    }

    /// Sets `balance`'s amount and date where they stand, or adds an inline table.
    fn set_balance(&mut self, amount: Decimal, on: Date) -> Result<(), EditError> {
        let Some(balance) = self.entry.get("balance") else {
            let text = format!(
                "{{ amount = {}, on = {on} }}",
                NewValue::Amount(amount).text(None)
            );
            self.inserted.push(format!("balance = {text}"));
            self.changes.push(Change {
                key: "balance.amount",
                old: None,
                new: Some(NewValue::Amount(amount).text(None)),
            });
            self.changes.push(Change {
                key: "balance.on",
                old: None,
                new: Some(on.to_string()),
            });
            return Ok(());
        };
        let DeValue::Table(table) = balance.get_ref() else {
            return Err(EditError::Unsupported("balance"));
        };
        let (Some(old_amount), Some(old_on)) = (table.get("amount"), table.get("on")) else {
            return Err(EditError::Unsupported("balance"));
        };
        self.set_in(
            "balance.amount",
            Some(old_amount),
            "amount",
            &NewValue::Amount(amount),
        );
        self.set_in("balance.on", Some(old_on), "on", &NewValue::Date(on));
        Ok(())
    }

    /// Removes `key` with its line (and the comment after it). Only a key written on a line
    /// of its own can go.
    fn remove(&mut self, key: &'static str) -> Result<(), EditError> {
        let Some((name, value)) = self
            .entry
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key)
        else {
            return Ok(());
        };
        let body = self.body;
        let start = line_start(body, name.span().start);
        let value_end = value.span().end;
        let end = line_end(body, value_end);
        let before = &body[start..name.span().start];
        let after = body[value_end..end].trim();
        if !before.trim().is_empty() || !(after.is_empty() || after.starts_with('#')) {
            return Err(EditError::Unsupported(key));
        }
        self.changes.push(Change {
            key,
            old: Some(body[value.span()].to_owned()),
            new: None,
        });
        self.replacements.push((start..end, String::new()));
        Ok(())
    }

    fn finish(mut self) -> String {
        let body = self.body;
        if !self.inserted.is_empty() {
            let (at, indent, ending, needs_break) = self.insertion_point();
            let mut text = String::new();
            if needs_break {
                text.push_str(ending);
            }
            for line in &self.inserted {
                text.push_str(indent);
                text.push_str(line);
                text.push_str(ending);
            }
            self.replacements.push((at..at, text));
        }
        // Stable: an insertion at the end of a removed line stays after the removal.
        self.replacements.sort_by_key(|(range, _)| range.start);
        let mut out = String::with_capacity(body.len() + 64);
        let mut copied = 0;
        for (range, text) in &self.replacements {
            out.push_str(&body[copied..range.start]);
            out.push_str(text);
            copied = range.end;
        }
        out.push_str(&body[copied..]);
        out
    }

    /// Where new keys go: after the line holding the last value written in the number's own
    /// table (before any `[number.balance]` sub-table or the next table), with that line's
    /// indentation and line ending, and whether a line break must come first (no newline at
    /// the end of the file).
    fn insertion_point(&self) -> (usize, &'t str, &'static str, bool) {
        let body = self.body;
        let mut spans = Vec::new();
        collect_spans(self.entry, &mut spans);
        let first = spans.iter().map(|span| span.start).min().unwrap_or(0);
        let section_end = next_header(body, first, &spans);
        let last = spans
            .iter()
            .filter(|span| span.start < section_end)
            .map(|span| span.end)
            .max()
            .unwrap_or(first);
        let end = line_end(body, last);
        let line = &body[line_start(body, last)..end];
        let indent_len = line.len() - line.trim_start_matches([' ', '\t']).len();
        let indent = &line[..indent_len];
        let ending = if line.ends_with("\r\n") || (!line.ends_with('\n') && body.contains("\r\n")) {
            "\r\n"
        } else {
            "\n"
        };
        (end, indent, ending, !line.ends_with('\n'))
    }
}

/// The spans of every value in `table`, nested tables walked into (a dotted key's or a
/// sub-table's values are where they are written).
fn collect_spans(table: &DeTable<'_>, spans: &mut Vec<Range<usize>>) {
    for (_, value) in table.iter() {
        match value.get_ref() {
            DeValue::Table(inner) => collect_spans(inner, spans),
            _ => spans.push(value.span()),
        }
    }
}

/// The start of the first table header (a line starting with `[`, outside every value)
/// after `from`, or the end of `body`.
fn next_header(body: &str, from: usize, values: &[Range<usize>]) -> usize {
    let mut at = line_end(body, from);
    while at < body.len() {
        let line = &body[at..line_end(body, at)];
        if line.trim_start().starts_with('[') && !values.iter().any(|span| span.contains(&at)) {
            return at;
        }
        at += line.len();
    }
    body.len()
}

fn line_start(body: &str, at: usize) -> usize {
    body[..at].rfind('\n').map_or(0, |index| index + 1)
}

/// The end of the line holding `at`, after its line break.
fn line_end(body: &str, at: usize) -> usize {
    body[at..]
        .find('\n')
        .map_or(body.len(), |index| at + index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const CONFIG: &str = r#"# my numbers
[[number]]
number = "+965 5123 4567"   # Zain
last_topup = 2026-09-01     # keep this comment
last_topup_amount = "5.000"

[[number]]
number = "+44 7700 900123"
last_used = 2026-06-01 # giffgaff
"#;

    fn renewal() -> Renewal {
        Renewal::on(date(2026, 11, 23))
    }

    fn edit(text: &str, number: &str, renewal: &Renewal) -> String {
        apply_renewal(text, number, renewal).unwrap().text
    }

    #[test]
    fn topup_keeps_comments_and_layout() {
        let change = Renewal {
            topup: Some(Some(Decimal::new(10_000, 3))),
            ..renewal()
        };
        let edited = apply_renewal(CONFIG, "+96551234567", &change).unwrap();
        let expected = CONFIG
            .replace("2026-09-01     #", "2026-11-23     #")
            .replace("\"5.000\"", "\"10.000\"");
        assert_eq!(edited.text, expected);
        assert_eq!(
            edited.changes,
            [
                Change {
                    key: "last_topup",
                    old: Some("2026-09-01".into()),
                    new: Some("2026-11-23".into())
                },
                Change {
                    key: "last_topup_amount",
                    old: Some("\"5.000\"".into()),
                    new: Some("\"10.000\"".into())
                },
            ]
        );
    }

    #[test]
    fn used_adds_or_replaces_only_its_key() {
        let change = Renewal {
            used: true,
            ..renewal()
        };
        let edited = edit(CONFIG, "+447700900123", &change);
        assert_eq!(
            edited,
            CONFIG.replace("2026-06-01 # giffgaff", "2026-11-23 # giffgaff")
        );
        let edited = edit(CONFIG, "+96551234567", &change);
        assert!(edited.contains("last_topup_amount = \"5.000\"\nlast_used = 2026-11-23\n"));
    }

    #[test]
    fn balance_is_written_as_an_inline_table() {
        let change = Renewal {
            balance: Some(Decimal::new(1250, 2)),
            next_charge: Some(date(2026, 12, 1)),
            ..renewal()
        };
        let edited = edit(CONFIG, "+447700900123", &change);
        assert!(
            edited.contains("balance = { amount = \"12.50\", on = 2026-11-23 }"),
            "{edited}"
        );
        assert!(edited.contains("next_charge = 2026-12-01"), "{edited}");
    }

    #[test]
    fn balance_is_edited_where_it_stands() {
        let change = Renewal {
            balance: Some(Decimal::new(1250, 2)),
            ..renewal()
        };
        for (before, after) in [
            (
                "balance = { amount = 2, on = 2026-10-01 } # app\n",
                "balance = { amount = 12.50, on = 2026-11-23 } # app\n",
            ),
            (
                "balance.amount = \"2.00\" # app\nbalance.on = 2026-10-01 # today\n",
                "balance.amount = \"12.50\" # app\nbalance.on = 2026-11-23 # today\n",
            ),
            (
                "label = \"x\"\n\n[number.balance] # read\namount = '2.00' # a\non = 2026-10-01 # b\n",
                "label = \"x\"\n\n[number.balance] # read\namount = '12.50' # a\non = 2026-11-23 # b\n",
            ),
        ] {
            let text = format!("[[number]]\nnumber = \"+1 555 010 0199\"\n{before}");
            let edited = edit(&text, "+15550100199", &change);
            assert_eq!(
                edited,
                format!("[[number]]\nnumber = \"+1 555 010 0199\"\n{after}")
            );
        }
    }

    #[test]
    fn a_new_key_goes_before_a_sub_table() {
        let text = "\u{feff}[[number]]\r\n  number = \"+1 555 010 0199\" # x\r\n\r\n[number.balance]\r\namount = 2\r\non = 2026-10-01";
        let change = Renewal {
            used: true,
            balance: Some(Decimal::new(3, 0)),
            ..renewal()
        };
        assert_eq!(
            edit(text, "+15550100199", &change),
            "\u{feff}[[number]]\r\n  number = \"+1 555 010 0199\" # x\r\n  last_used = 2026-11-23\r\n\r\n[number.balance]\r\namount = 3\r\non = 2026-11-23"
        );
    }

    #[test]
    fn resume_removes_the_pause_line() {
        let text = "[[number]]\nnumber = \"+1 555 010 0199\"\npaused_since = 2026-01-01 # long\nlabel = \"x\"\n";
        let change = Renewal {
            resume: true,
            ..renewal()
        };
        let edited = apply_renewal(text, "+15550100199", &change).unwrap();
        assert_eq!(
            edited.text,
            "[[number]]\nnumber = \"+1 555 010 0199\"\nlabel = \"x\"\nresumed_on = 2026-11-23\n"
        );
        let inline = "number = [{ number = \"+1 555 010 0199\", paused_since = 2026-01-01 }]\n";
        assert_eq!(
            apply_renewal(inline, "+15550100199", &change),
            Err(EditError::Unsupported("paused_since"))
        );
    }

    #[test]
    fn unknown_numbers_and_bad_files_are_refused() {
        assert_eq!(
            apply_renewal(CONFIG, "+15550100199", &renewal()),
            Err(EditError::NumberNotFound)
        );
        assert_eq!(
            apply_renewal("[[number]\n", "+15550100199", &renewal()),
            Err(EditError::Unparsable)
        );
    }

    #[test]
    fn a_new_number_is_appended_in_the_file_s_line_endings() {
        let number = NewNumber {
            number: "+96551234567".into(),
            label: Some("Say \"hi\"".into()),
            carrier: "zain-kw".into(),
            last_topup: Some(date(2026, 11, 20)),
            last_topup_amount: Some(Decimal::new(5000, 3)),
            bound_to: vec!["HSBC".into(), "WeChat Pay".into()],
            notes: Some("PUK 1234".into()),
            ..NewNumber::default()
        };
        assert_eq!(
            append_number("a = 1\r\n# end", &number),
            "a = 1\r\n# end\r\n\r\n[[number]]\r\nnumber = \"+96551234567\"\r\nlabel = \"Say \\\"hi\\\"\"\r\ncarrier = \"zain-kw\"\r\nlast_topup = 2026-11-20\r\nlast_topup_amount = \"5.000\"\r\nbound_to = [\"HSBC\", \"WeChat Pay\"]\r\nnotes = \"PUK 1234\"\r\n"
        );
        assert_eq!(
            append_number("", &number).lines().next(),
            Some("[[number]]")
        );
    }

    #[test]
    fn retiring_and_retired_set_the_status_and_their_date_where_they_stand() {
        let config =
            "[[number]]\r\nnumber = \"+44 7700 900123\"\r\nlast_used = 2026-06-01 # giffgaff\r\n";
        let by = date(2026, 12, 14);
        let edited =
            apply_life_change(config, "+447700900123", LifeChange::Retiring { by }).unwrap();
        assert_eq!(
            edited.text,
            format!("{config}status = \"retiring\"\r\nretire_by = 2026-12-14\r\n")
        );
        let retiring = config.replace(
            "# giffgaff\r\n",
            "# giffgaff\r\nstatus = 'retiring' # since Nov\r\nretire_by = 2026-12-14\r\n",
        );
        let on = date(2026, 12, 10);
        let edited =
            apply_life_change(&retiring, "+447700900123", LifeChange::Retired { on }).unwrap();
        assert_eq!(
            edited.text,
            retiring.replace(
                "'retiring' # since Nov\r\nretire_by = 2026-12-14\r\n",
                "'retired' # since Nov\r\nretire_by = 2026-12-14\r\nretired_on = 2026-12-10\r\n"
            )
        );
        assert_eq!(
            apply_life_change(config, "+15550100199", LifeChange::Retired { on }),
            Err(EditError::NumberNotFound)
        );
    }
}
