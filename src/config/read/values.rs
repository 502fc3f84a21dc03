//! The per-file reader and its typed getters: every value is checked against the type and
//! the form its key needs, and each problem is reported at its position with a hint.

use std::collections::HashMap;
use std::ops::Range;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use toml::de::{DeTable, DeValue};

use crate::config::diagnostic::{Diagnostic, Diagnostics, Severity, SourceFile};
use crate::model::money::{float_text, parse_money};
use crate::model::period::Period;
use crate::model::{InvalidText, Zone};

use super::{Table, Value};

#[derive(Default)]
pub(super) struct ZoneCache {
    zones: HashMap<String, Option<TimeZone>>,
}

impl ZoneCache {
    pub(super) fn get(&mut self, name: &str) -> Option<Zone> {
        let tz = self
            .zones
            .entry(name.to_owned())
            .or_insert_with(|| crate::config::zoneinfo::named(name))
            .clone()?;
        Some(Zone {
            name: name.to_owned(),
            tz,
        })
    }
}

/// Reads values out of one file, or a batch of it, reporting problems against the file.
pub(super) struct FileReader<'a> {
    pub(super) file: &'a SourceFile,
    /// Where the parsed text starts in the file: spans are relative to it.
    pub(super) offset: usize,
    /// Errors reported through this reader.
    pub(super) errors: usize,
    pub(super) diagnostics: &'a mut Diagnostics,
}

impl<'a> FileReader<'a> {
    pub(super) fn new(
        file: &'a SourceFile,
        offset: usize,
        diagnostics: &'a mut Diagnostics,
    ) -> FileReader<'a> {
        FileReader {
            file,
            offset,
            errors: 0,
            diagnostics,
        }
    }

    pub(super) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors += 1;
        self.report(Severity::Error, span, message.into());
    }

    pub(super) fn warning(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.report(Severity::Warning, span, message.into());
    }

    pub(super) fn report(&mut self, severity: Severity, span: Range<usize>, message: String) {
        let span = span.start + self.offset..span.end + self.offset;
        self.diagnostics
            .push(Diagnostic::at(severity, self.file, span, message));
    }

    /// Reports every key not in `allowed`, with a "did you mean" hint. `special` may give a
    /// better message for a key that is known but misplaced.
    pub(super) fn check_keys<'i>(
        &mut self,
        table: &(impl Table<'i> + ?Sized),
        allowed: &[&str],
        context: &str,
        special: impl Fn(&str) -> Option<String>,
    ) {
        for (key, _) in table.entries() {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let message = special(name).unwrap_or_else(|| {
                let mut message = format!("unknown key `{name}` in {context}");
                if let Some(suggestion) = closest_match(name, allowed) {
                    message.push_str(&format!("; did you mean `{suggestion}`?"));
                }
                message
            });
            self.error(key.span(), message);
        }
    }

    pub(super) fn table<'t, 'i>(
        &mut self,
        key: &str,
        value: &'t Value<'i>,
    ) -> Option<&'t DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            other => {
                self.type_error(key, value.span(), "a table", other);
                None
            }
        }
    }

    pub(super) fn array_of_tables<'t, 'i>(
        &mut self,
        key: &str,
        value: &'t Value<'i>,
    ) -> Option<Vec<&'t Value<'i>>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(key, value.span(), "an array of tables", value.get_ref());
            return None;
        };
        let mut tables = Vec::with_capacity(items.len());
        for item in items {
            if item.get_ref().is_table() {
                tables.push(item);
            } else {
                self.type_error(key, item.span(), "a table", item.get_ref());
            }
        }
        Some(tables)
    }

    pub(super) fn type_error(
        &mut self,
        key: &str,
        span: Range<usize>,
        expected: &str,
        found: &DeValue<'_>,
    ) {
        let found = found.type_str();
        self.error(span, format!("`{key}` must be {expected}, found {found}"));
    }

    pub(super) fn string(&mut self, key: &str, value: &Value<'_>) -> Option<String> {
        self.str(key, value).map(str::to_owned)
    }

    /// A string, borrowed from the parsed value.
    pub(super) fn str<'v>(&mut self, key: &str, value: &'v Value<'_>) -> Option<&'v str> {
        match value.get_ref() {
            DeValue::String(text) => Some(text),
            other => {
                self.type_error(key, value.span(), "a string", other);
                None
            }
        }
    }

    /// A string that goes into mail headers or paths: control characters are refused so that
    /// nothing in the config can inject headers.
    pub(super) fn single_line_string(&mut self, key: &str, value: &Value<'_>) -> Option<String> {
        let text = self.string(key, value)?;
        if text.chars().any(char::is_control) {
            self.error(
                value.span(),
                format!("`{key}` must not contain line breaks or control characters"),
            );
            return None;
        }
        Some(text)
    }

    pub(super) fn boolean(&mut self, key: &str, value: &Value<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(*flag),
            other => {
                self.type_error(key, value.span(), "true or false", other);
                None
            }
        }
    }

    pub(super) fn string_array(
        &mut self,
        key: &str,
        value: &Value<'_>,
    ) -> Option<Vec<(String, Range<usize>)>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(key, value.span(), "an array of strings", value.get_ref());
            return None;
        };
        let mut strings = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match self.single_line_string(key, item) {
                Some(text) => strings.push((text, item.span())),
                None => ok = false,
            }
        }
        ok.then_some(strings)
    }

    pub(super) fn date(&mut self, key: &str, value: &Value<'_>) -> Option<Date> {
        let parsed = match value.get_ref() {
            DeValue::Datetime(datetime) => match (datetime.date, datetime.time, datetime.offset) {
                (Some(date), None, None) => {
                    Date::new(date.year as i16, date.month as i8, date.day as i8).ok()
                }
                _ => {
                    self.error(
                        value.span(),
                        format!("`{key}` must be a date without a time, like 2026-11-01"),
                    );
                    return None;
                }
            },
            DeValue::String(text) => text.trim().parse::<Date>().ok(),
            other => {
                self.type_error(key, value.span(), "a date like 2026-11-01", other);
                return None;
            }
        };
        if parsed.is_none() {
            self.error(
                value.span(),
                format!("`{key}` is not a valid date; write it like 2026-11-01"),
            );
        }
        parsed
    }

    pub(super) fn period(&mut self, key: &str, value: &Value<'_>) -> Option<Period> {
        let text = match value.get_ref() {
            DeValue::String(text) => text,
            DeValue::Integer(integer) => {
                let message = format!(
                    "`{key}` needs a unit: write \"{}d\" for days, \"mo\" for months",
                    integer.as_str()
                );
                self.error(value.span(), message);
                return None;
            }
            other => {
                self.type_error(key, value.span(), "a duration like \"90d\"", other);
                return None;
            }
        };
        match Period::parse(text) {
            Ok(period) => Some(period),
            Err(message) => {
                self.error(value.span(), format!("`{key}`: {message}"));
                None
            }
        }
    }

    /// A period that must be longer than zero (a rule that lasts no time makes no sense).
    pub(super) fn positive_period(&mut self, key: &str, value: &Value<'_>) -> Option<Period> {
        let period = self.period(key, value)?;
        if period.is_zero() {
            self.error(value.span(), format!("`{key}` must be longer than zero"));
            return None;
        }
        Some(period)
    }

    pub(super) fn periods(&mut self, key: &str, value: &Value<'_>) -> Option<Vec<Period>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(key, value.span(), "an array of durations", value.get_ref());
            return None;
        };
        let mut periods = Vec::with_capacity(items.len());
        for item in items {
            periods.push(self.period(key, item)?);
        }
        Some(periods)
    }

    pub(super) fn money(&mut self, key: &str, value: &Value<'_>) -> Option<Decimal> {
        let parsed = match value.get_ref() {
            DeValue::String(text) => parse_money(text),
            DeValue::Integer(integer) if integer.radix() == 10 => parse_money(integer.as_str()),
            DeValue::Float(float) => match float.as_str().parse::<f64>() {
                Ok(number) if number.is_finite() => parse_money(&float_text(number)),
                _ => Err(InvalidText(format!("invalid amount {}", float.as_str()))),
            },
            other => {
                self.type_error(key, value.span(), "an amount like \"12.500\"", other);
                return None;
            }
        };
        match parsed {
            Ok(amount) => Some(amount),
            Err(message) => {
                self.error(value.span(), format!("`{key}`: {message}"));
                None
            }
        }
    }

    pub(super) fn zone(
        &mut self,
        key: &str,
        value: &Value<'_>,
        zones: &mut ZoneCache,
    ) -> Option<Zone> {
        let name = self.string(key, value)?;
        let zone = zones.get(name.trim());
        if zone.is_none() {
            self.error(
                value.span(),
                format!(
                    "unknown time zone {name:?}: use an IANA name like \"Asia/Kuwait\" or \"UTC\""
                ),
            );
        }
        zone
    }
}

/// The candidate closest to `name` by edit distance, if close enough to be a likely typo.
pub(super) fn closest_match<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, a_char) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}
