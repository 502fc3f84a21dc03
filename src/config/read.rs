//! Turns parsed TOML documents into a validated [`Config`], collecting every problem at once.
//!
//! The documents are walked by hand rather than through serde derive: serde stops at the first
//! error and loses positions, while users should see all their mistakes, each as
//! `PATH:LINE:COL: message`. This module does no I/O of its own except reading the time-zone
//! database (through jiff) to resolve zone names.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::diagnostic::{Diagnostic, Diagnostics, LineCounter, Severity, SourceFile};
use super::plain::{PlainTable, PlainTables};
use crate::model::money::{float_text, parse_money};
use crate::model::period::Period;
use crate::model::phone::normalize_number;
use crate::model::*;

/// What the reader needs from the world, provided by the shell so that reading stays pure.
#[derive(Clone, Debug)]
pub struct ReadContext {
    /// The zone used when `settings.timezone` is absent.
    pub system_zone: Zone,
    /// Today's date, to warn about rules whose `checked` date is over a year old.
    pub today: Date,
}

const DEFAULT_CHECK_AT: &str = "0 9 * * *";
const DEFAULT_REMIND_BEFORE: [Period; 5] = [
    Period::days(30),
    Period::days(7),
    Period::days(3),
    Period::days(1),
    Period::days(0),
];

const TOP_LEVEL_KEYS: &[&str] = &["settings", "email", "carriers", "number", "include"];
const INCLUDED_FILE_KEYS: &[&str] = &["carriers", "number"];
const SETTINGS_KEYS: &[&str] = &[
    "timezone",
    "check_at",
    "remind_before",
    "language",
    "state_dir",
];
const EMAIL_KEYS: &[&str] = &["from", "to", "smtp", "sendmail"];
const SMTP_KEYS: &[&str] = &["host", "port", "tls", "user", "password_file"];
/// Keys a carrier sets and a number may override.
const RULE_KEYS: &[&str] = &[
    "timezone",
    "topup_valid_for",
    "use_every",
    "topup_counts_as_use",
    "fee",
    "pause_max",
    "grace",
    "source",
    "checked",
];
const CARRIER_ONLY_KEYS: &[&str] = &["name"];
const NUMBER_ONLY_KEYS: &[&str] = &[
    "number",
    "label",
    "carrier",
    "last_topup",
    "last_topup_amount",
    "last_used",
    "balance",
    "next_charge",
    "valid_until",
    "paused_since",
    "status",
    "email",
    "remind_before",
];
/// The keys a `[carriers.ID]` table and a `[[number]]` table may hold.
const CARRIER_KEYS: [&str; CARRIER_ONLY_KEYS.len() + RULE_KEYS.len()] =
    concat(CARRIER_ONLY_KEYS, RULE_KEYS);
const NUMBER_KEYS: [&str; NUMBER_ONLY_KEYS.len() + RULE_KEYS.len()] =
    concat(NUMBER_ONLY_KEYS, RULE_KEYS);

const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    assert!(a.len() + b.len() == N);
    let mut keys = [""; N];
    let mut i = 0;
    while i < a.len() {
        keys[i] = a[i];
        i += 1;
    }
    while i < N {
        keys[i] = b[i - a.len()];
        i += 1;
    }
    keys
}

type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<DeString<'i>>;

/// A table's keys and values, in key order: a parsed [`DeTable`], or the entries of a plain
/// `[[number]]` table (see [`super::plain`]).
pub(crate) trait Table<'i> {
    fn entries<'t>(&'t self) -> impl Iterator<Item = (&'t Key<'i>, &'t Value<'i>)>
    where
        'i: 't;
    fn value<'t>(&'t self, key: &str) -> Option<&'t Value<'i>>
    where
        'i: 't;
}

impl<'i> Table<'i> for DeTable<'i> {
    fn entries<'t>(&'t self) -> impl Iterator<Item = (&'t Key<'i>, &'t Value<'i>)>
    where
        'i: 't,
    {
        self.iter()
    }

    fn value<'t>(&'t self, key: &str) -> Option<&'t Value<'i>>
    where
        'i: 't,
    {
        self.get(key)
    }
}

impl<'i> Table<'i> for PlainTable<'_, 'i> {
    fn entries<'t>(&'t self) -> impl Iterator<Item = (&'t Key<'i>, &'t Value<'i>)>
    where
        'i: 't,
    {
        PlainTable::entries(*self).map(|(key, value)| (key, value))
    }

    fn value<'t>(&'t self, key: &str) -> Option<&'t Value<'i>>
    where
        'i: 't,
    {
        PlainTable::get(*self, key)
    }
}

/// A parsed document and the file it came from.
pub struct Document<'i> {
    pub file: &'i SourceFile,
    pub table: &'i Spanned<DeTable<'i>>,
    /// The main file may hold settings and includes; included files only carriers and numbers.
    pub is_main: bool,
}

/// Converts a TOML syntax error into a diagnostic at its position.
pub fn syntax_diagnostic(file: &SourceFile, error: &toml::de::Error) -> Diagnostic {
    let span = error.span().unwrap_or(0..0);
    let message = error.message().trim().trim_end_matches('.').to_owned();
    Diagnostic::at(
        Severity::Error,
        file,
        span,
        format!("invalid TOML: {message}"),
    )
}

/// The `include` patterns of the main document, with their positions, or diagnostics.
pub fn include_patterns(
    file: &SourceFile,
    table: &DeTable<'_>,
    diagnostics: &mut Diagnostics,
) -> Vec<(String, Range<usize>)> {
    let Some(value) = get(table, "include") else {
        return Vec::new();
    };
    let mut reader = FileReader::new(file, 0, diagnostics);
    reader.string_array("include", value).unwrap_or_default()
}

/// Reads and validates all documents; the main document comes first.
pub fn read_config(
    documents: &[Document<'_>],
    context: &ReadContext,
    diagnostics: &mut Diagnostics,
) -> Option<Config> {
    let files: Vec<&SourceFile> = documents.iter().map(|document| document.file).collect();
    let mut reader = ConfigReader::new(&files, context);
    for (index, document) in documents.iter().enumerate() {
        reader.read_header(
            index,
            document.table.get_ref(),
            document.is_main,
            diagnostics,
        );
    }
    for (index, document) in documents.iter().enumerate() {
        reader.read_numbers(index, document.table.get_ref(), 0, diagnostics);
    }
    reader.finish(diagnostics)
}

/// A carrier as defined, with where (file index, byte offset of its id) for the message
/// about a second definition.
struct KnownCarrier {
    carrier: Arc<Carrier>,
    file: usize,
    offset: usize,
}

/// The carriers defined so far, by id and in the order of their definitions.
#[derive(Default)]
struct Carriers {
    by_id: FastMap<String, KnownCarrier>,
    order: Vec<String>,
}

/// Builds the [`Config`] from the files' tables, given in two rounds: first every file's
/// top level (`read_header`: settings, email, carriers), then the numbers (`read_numbers`),
/// which may come a batch of a file at a time, in file order, each with the byte offset where
/// its text starts. Carriers are thus all known before any number names one.
pub(crate) struct ConfigReader<'f> {
    files: &'f [&'f SourceFile],
    /// The files' paths, shared by the locations of their numbers.
    paths: Vec<Arc<PathBuf>>,
    context: &'f ReadContext,
    zones: ZoneCache,
    settings: Option<Settings>,
    email: Option<EmailSettings>,
    carriers: Carriers,
    numbers: Vec<NumberEntry>,
    /// Each number's first definition: file index and line, by [`PhoneNumber::value`].
    seen_numbers: FastMap<u64, (usize, u32)>,
    /// Counts the lines of `lines_file` up to the last number or batch read.
    lines: LineCounter,
    lines_file: Option<usize>,
}

impl<'f> ConfigReader<'f> {
    pub fn new(files: &'f [&'f SourceFile], context: &'f ReadContext) -> ConfigReader<'f> {
        ConfigReader {
            files,
            paths: files
                .iter()
                .map(|file| Arc::new(file.path.clone()))
                .collect(),
            context,
            zones: ZoneCache::default(),
            settings: None,
            email: None,
            carriers: Carriers::default(),
            numbers: Vec::new(),
            seen_numbers: FastMap::default(),
            lines: LineCounter::default(),
            lines_file: None,
        }
    }

    /// Makes room for `count` numbers up front.
    pub fn reserve_numbers(&mut self, count: usize) {
        self.numbers.reserve_exact(count);
        self.seen_numbers.reserve(count);
    }

    /// Reads the top level of file `index` (whole): its keys, settings and email (main file
    /// only) and carriers. Numbers are left to [`ConfigReader::read_numbers`].
    pub fn read_header(
        &mut self,
        index: usize,
        table: &DeTable<'_>,
        is_main: bool,
        diagnostics: &mut Diagnostics,
    ) {
        let file = self.files[index];
        let mut reader = FileReader::new(file, 0, diagnostics);
        let allowed = if is_main {
            TOP_LEVEL_KEYS
        } else {
            INCLUDED_FILE_KEYS
        };
        reader.check_keys(table, allowed, "the top level", |key| {
            (!is_main && TOP_LEVEL_KEYS.contains(&key)).then(|| {
                format!("`{key}` is only allowed in the main config file, not in an included one")
            })
        });
        if is_main {
            self.settings =
                Some(reader.settings(get(table, "settings"), self.context, &mut self.zones));
            if let Some(value) = get(table, "email") {
                self.email = reader.email(value);
            }
        }
        if let Some(value) = get(table, "carriers") {
            for (carrier, span) in reader.carriers(value, self.context, &mut self.zones) {
                let id = carrier.id.clone();
                if let Some(first) = self.carriers.by_id.get(&id) {
                    let first_file = self.files[first.file];
                    let (first_line, _) = first_file.line_column(first.offset);
                    let message = format!(
                        "carrier `{id}` is defined twice (first at {}:{first_line})",
                        first_file.path.display()
                    );
                    reader.error(span, message);
                    continue;
                }
                self.carriers.order.push(id.clone());
                let offset = span.start;
                self.carriers.by_id.insert(
                    id,
                    KnownCarrier {
                        carrier,
                        file: index,
                        offset,
                    },
                );
            }
        }
    }

    /// Reads the `number` array of `table`, the whole of file `index` or a batch of it whose
    /// text starts at byte `offset` of the file. Batches must come in file order.
    pub fn read_numbers(
        &mut self,
        index: usize,
        table: &DeTable<'_>,
        offset: usize,
        diagnostics: &mut Diagnostics,
    ) {
        let file = self.files[index];
        let mut reader = FileReader::new(file, offset, diagnostics);
        let Some(value) = get(table, "number") else {
            return;
        };
        let Some(entries) = reader.array_of_tables("number", value) else {
            return;
        };
        self.numbers.reserve(entries.len());
        for entry in entries {
            if let Some(table) = entry.get_ref().as_table() {
                let line = self.line_at(index, offset + entry.span().start);
                self.read_number(&mut reader, index, table, entry.span(), line);
            }
        }
    }

    /// Reads plain `[[number]]` tables of file `index`, parsed from its text at `offset`.
    /// Batches must come in file order.
    pub fn read_plain_numbers(
        &mut self,
        index: usize,
        tables: &PlainTables<'_>,
        offset: usize,
        diagnostics: &mut Diagnostics,
    ) {
        let mut reader = FileReader::new(self.files[index], offset, diagnostics);
        // The plain parser counted the lines already: only the batch's first is looked up.
        let first_line = self.line_at(index, offset);
        let (length, newlines) = tables.extent();
        let tables = tables.iter();
        self.numbers.reserve(tables.len());
        for (span, lines_before, table) in tables {
            self.read_number(&mut reader, index, &table, span, first_line + lines_before);
        }
        self.lines.skip(offset, length, newlines);
    }

    /// The 1-based line of `offset` in file `index`; offsets must come in file order.
    fn line_at(&mut self, index: usize, offset: usize) -> usize {
        if self.lines_file != Some(index) {
            self.lines = LineCounter::default();
            self.lines_file = Some(index);
        }
        self.lines.line(self.files[index], offset)
    }

    /// Reads one `[[number]]` table, spanning `span` from line `line`, and keeps it unless it
    /// is invalid or repeats a number.
    fn read_number<'i, T: Table<'i> + ?Sized>(
        &mut self,
        reader: &mut FileReader<'_>,
        index: usize,
        table: &T,
        span: Range<usize>,
        line: usize,
    ) {
        let location = Location {
            path: Arc::clone(&self.paths[index]),
            line: line.try_into().unwrap_or(u32::MAX),
        };
        let Some(number) = reader.number(
            table,
            span.clone(),
            location,
            &self.carriers,
            self.context,
            &mut self.zones,
        ) else {
            return;
        };
        match self.seen_numbers.entry(number.number.value()) {
            Entry::Occupied(first) => {
                let (first_file, first_line) = *first.get();
                let message = format!(
                    "duplicate number {} (first at {}:{first_line})",
                    number.number,
                    self.paths[first_file].display()
                );
                let span = table.value("number").map_or(span, Spanned::span);
                reader.error(span, message);
                return;
            }
            Entry::Vacant(slot) => {
                slot.insert((index, number.location.line));
            }
        }
        self.numbers.push(number);
    }

    /// The config, if the main file's header was read and nothing was wrong.
    pub fn finish(self, diagnostics: &Diagnostics) -> Option<Config> {
        let settings = self.settings?;
        if diagnostics.has_errors() {
            return None;
        }
        let Carriers { mut by_id, order } = self.carriers;
        let carriers = order
            .iter()
            .filter_map(|id| by_id.remove(id).map(|known| known.carrier))
            .collect();
        Some(Config {
            settings,
            email: self.email,
            carriers,
            numbers: self.numbers,
        })
    }
}

/// A map with a fast hash (FxHash, as in rustc) for the reader's lookups, one or two per
/// number. Keys come from the user's own config, so nobody can mount a collision attack.
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[derive(Default)]
struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn write_usize(&mut self, word: usize) {
        self.add(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) fn get<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t Value<'i>> {
    table.get(key)
}

#[derive(Default)]
struct ZoneCache {
    zones: HashMap<String, Option<TimeZone>>,
}

impl ZoneCache {
    fn get(&mut self, name: &str) -> Option<Zone> {
        let tz = self
            .zones
            .entry(name.to_owned())
            .or_insert_with(|| super::zoneinfo::named(name))
            .clone()?;
        Some(Zone {
            name: name.to_owned(),
            tz,
        })
    }
}

/// Reads values out of one file, or a batch of it, reporting problems against the file.
struct FileReader<'a> {
    file: &'a SourceFile,
    /// Where the parsed text starts in the file: spans are relative to it.
    offset: usize,
    /// Errors reported through this reader.
    errors: usize,
    diagnostics: &'a mut Diagnostics,
}

impl<'a> FileReader<'a> {
    fn new(
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

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors += 1;
        self.report(Severity::Error, span, message.into());
    }

    fn warning(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.report(Severity::Warning, span, message.into());
    }

    fn report(&mut self, severity: Severity, span: Range<usize>, message: String) {
        let span = span.start + self.offset..span.end + self.offset;
        self.diagnostics
            .push(Diagnostic::at(severity, self.file, span, message));
    }

    /// Reports every key not in `allowed`, with a "did you mean" hint. `special` may give a
    /// better message for a key that is known but misplaced.
    fn check_keys<'i>(
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

    fn table<'t, 'i>(&mut self, key: &str, value: &'t Value<'i>) -> Option<&'t DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            other => {
                self.type_error(key, value.span(), "a table", other);
                None
            }
        }
    }

    fn array_of_tables<'t, 'i>(
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

    fn type_error(&mut self, key: &str, span: Range<usize>, expected: &str, found: &DeValue<'_>) {
        let found = found.type_str();
        self.error(span, format!("`{key}` must be {expected}, found {found}"));
    }

    fn string(&mut self, key: &str, value: &Value<'_>) -> Option<String> {
        self.str(key, value).map(str::to_owned)
    }

    /// A string, borrowed from the parsed value.
    fn str<'v>(&mut self, key: &str, value: &'v Value<'_>) -> Option<&'v str> {
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
    fn single_line_string(&mut self, key: &str, value: &Value<'_>) -> Option<String> {
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

    fn boolean(&mut self, key: &str, value: &Value<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(*flag),
            other => {
                self.type_error(key, value.span(), "true or false", other);
                None
            }
        }
    }

    fn string_array(
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

    fn date(&mut self, key: &str, value: &Value<'_>) -> Option<Date> {
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

    fn period(&mut self, key: &str, value: &Value<'_>) -> Option<Period> {
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
    fn positive_period(&mut self, key: &str, value: &Value<'_>) -> Option<Period> {
        let period = self.period(key, value)?;
        if period.is_zero() {
            self.error(value.span(), format!("`{key}` must be longer than zero"));
            return None;
        }
        Some(period)
    }

    fn periods(&mut self, key: &str, value: &Value<'_>) -> Option<Vec<Period>> {
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

    fn money(&mut self, key: &str, value: &Value<'_>) -> Option<Decimal> {
        let parsed = match value.get_ref() {
            DeValue::String(text) => parse_money(text),
            DeValue::Integer(integer) if integer.radix() == 10 => parse_money(integer.as_str()),
            DeValue::Float(float) => match float.as_str().parse::<f64>() {
                Ok(number) if number.is_finite() => parse_money(&float_text(number)),
                _ => Err(format!("invalid amount {}", float.as_str())),
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

    fn zone(&mut self, key: &str, value: &Value<'_>, zones: &mut ZoneCache) -> Option<Zone> {
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

    fn settings(
        &mut self,
        value: Option<&Value<'_>>,
        context: &ReadContext,
        zones: &mut ZoneCache,
    ) -> Settings {
        let mut settings = Settings {
            timezone: context.system_zone.clone(),
            check_at: default_schedule(),
            remind_before: DEFAULT_REMIND_BEFORE.to_vec(),
            language: Language::English,
            state_dir: None,
        };
        let Some(table) = value.and_then(|value| self.table("settings", value)) else {
            return settings;
        };
        self.check_keys(table, SETTINGS_KEYS, "[settings]", |_| None);
        for (key, value) in table {
            match key.get_ref().as_ref() {
                "timezone" => {
                    if let Some(zone) = self.zone("timezone", value, zones) {
                        settings.timezone = zone;
                    }
                }
                "check_at" => {
                    if let Some(schedule) = self.schedule(value) {
                        settings.check_at = schedule;
                    }
                }
                "remind_before" => {
                    if let Some(periods) = self.periods("remind_before", value) {
                        settings.remind_before = periods;
                    }
                }
                "language" => {
                    if let Some(language) = self.language(value) {
                        settings.language = language;
                    }
                }
                "state_dir" => {
                    settings.state_dir = self
                        .single_line_string("state_dir", value)
                        .map(PathBuf::from);
                }
                _ => {}
            }
        }
        settings
    }

    fn schedule(&mut self, value: &Value<'_>) -> Option<Schedule> {
        let text = self.string("check_at", value)?;
        match parse_schedule(&text) {
            Ok(schedule) => Some(schedule),
            Err(message) => {
                self.error(value.span(), message);
                None
            }
        }
    }

    fn language(&mut self, value: &Value<'_>) -> Option<Language> {
        let text = self.string("language", value)?;
        match text.as_str() {
            "en" => Some(Language::English),
            "zh-CN" | "zh-cn" | "zh" => Some(Language::SimplifiedChinese),
            _ => {
                self.error(
                    value.span(),
                    format!("unknown language {text:?}: use \"en\" or \"zh-CN\""),
                );
                None
            }
        }
    }

    fn email(&mut self, value: &Value<'_>) -> Option<EmailSettings> {
        let table = self.table("email", value)?;
        self.check_keys(table, EMAIL_KEYS, "[email]", |_| None);
        let from = match get(table, "from") {
            Some(value) => self.mailbox("from", value),
            None => {
                self.error(value.span(), "[email] needs `from`, the sender address");
                None
            }
        };
        let to = match get(table, "to") {
            Some(value) => self.mailboxes("to", value),
            None => {
                self.error(
                    value.span(),
                    "[email] needs `to`, a list of recipient addresses",
                );
                None
            }
        };
        let transport = match (get(table, "smtp"), get(table, "sendmail")) {
            (Some(_), Some(sendmail)) => {
                self.error(
                    sendmail.span(),
                    "[email] takes either `smtp` or `sendmail`, not both",
                );
                None
            }
            (Some(smtp), None) => self.smtp(smtp).map(Transport::Smtp),
            (None, Some(sendmail)) => self
                .single_line_string("sendmail", sendmail)
                .map(|path| Transport::Sendmail(PathBuf::from(path))),
            (None, None) => {
                self.error(
                    value.span(),
                    "[email] needs a transport: an [email.smtp] table or `sendmail = \"/usr/sbin/sendmail\"`",
                );
                None
            }
        };
        Some(EmailSettings {
            from: from?,
            to: to?,
            transport: transport?,
        })
    }

    fn mailbox(&mut self, key: &str, value: &Value<'_>) -> Option<String> {
        let text = self.single_line_string(key, value)?;
        if text.parse::<lettre::message::Mailbox>().is_err() {
            self.error(
                value.span(),
                format!("`{key}`: {text:?} is not a valid email address"),
            );
            return None;
        }
        Some(text)
    }

    fn mailboxes(&mut self, key: &str, value: &Value<'_>) -> Option<Vec<String>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(
                key,
                value.span(),
                "an array of email addresses",
                value.get_ref(),
            );
            return None;
        };
        let mut addresses = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match self.mailbox(key, item) {
                Some(address) => addresses.push(address),
                None => ok = false,
            }
        }
        ok.then_some(addresses)
    }

    fn smtp(&mut self, value: &Value<'_>) -> Option<SmtpSettings> {
        let table = self.table("smtp", value)?;
        self.check_keys(table, SMTP_KEYS, "[email.smtp]", |_| None);
        let host = match get(table, "host") {
            Some(host) => self.single_line_string("host", host),
            None => {
                self.error(value.span(), "[email.smtp] needs `host`");
                None
            }
        };
        let tls = match get(table, "tls") {
            None => Some(TlsMode::StartTls),
            Some(tls) => match self.string("tls", tls)?.as_str() {
                "starttls" => Some(TlsMode::StartTls),
                "tls" => Some(TlsMode::Tls),
                "none" => Some(TlsMode::None),
                other => {
                    self.error(
                        tls.span(),
                        format!(
                            "unknown tls mode {other:?}: use \"starttls\", \"tls\" or \"none\""
                        ),
                    );
                    None
                }
            },
        };
        let port = match get(table, "port") {
            None => tls.map(TlsMode::default_port),
            Some(port) => match port.get_ref() {
                DeValue::Integer(integer) => {
                    let parsed = u16::from_str_radix(integer.as_str(), integer.radix())
                        .ok()
                        .filter(|port| *port != 0);
                    if parsed.is_none() {
                        self.error(port.span(), "`port` must be between 1 and 65535");
                    }
                    parsed
                }
                other => {
                    self.type_error("port", port.span(), "a port number", other);
                    None
                }
            },
        };
        let user = get(table, "user").and_then(|user| self.single_line_string("user", user));
        let password_file = get(table, "password_file")
            .and_then(|path| self.single_line_string("password_file", path))
            .map(PathBuf::from);
        let (host, tls, port) = (host?, tls?, port?);
        if tls == TlsMode::None
            && !is_loopback_host(&host)
            && let Some(tls_value) = get(table, "tls")
        {
            self.error(
                tls_value.span(),
                format!(
                    "tls = \"none\" sends mail and passwords in clear text; it is allowed only to a relay on this machine (localhost, 127.0.0.1, ::1), not to {host:?}"
                ),
            );
            return None;
        }
        Some(SmtpSettings {
            host,
            port,
            tls,
            user,
            password_file,
        })
    }

    fn carriers(
        &mut self,
        value: &Value<'_>,
        context: &ReadContext,
        zones: &mut ZoneCache,
    ) -> Vec<(Arc<Carrier>, Range<usize>)> {
        let Some(table) = self.table("carriers", value) else {
            return Vec::new();
        };
        let mut carriers = Vec::with_capacity(table.len());
        for (id, value) in table {
            let Some(carrier_table) = self.table(id.get_ref(), value) else {
                continue;
            };
            let context_name = format!("[carriers.{}]", id.get_ref());
            self.check_keys(carrier_table, &CARRIER_KEYS, &context_name, |_| None);
            let name = get(carrier_table, "name").and_then(|name| self.string("name", name));
            let rules = self.rule_set(carrier_table, context, zones);
            carriers.push((
                Arc::new(Carrier {
                    id: id.get_ref().to_string(),
                    name,
                    rules,
                }),
                id.span(),
            ));
        }
        carriers
    }

    fn rule_set<'i>(
        &mut self,
        table: &(impl Table<'i> + ?Sized),
        context: &ReadContext,
        zones: &mut ZoneCache,
    ) -> RuleSet {
        let mut rules = RuleSet::default();
        for (key, value) in table.entries() {
            match key.get_ref().as_ref() {
                "timezone" => rules.timezone = self.zone("timezone", value, zones),
                "topup_valid_for" => rules.topup_valid_for = self.topup_validity(value),
                "use_every" => rules.use_every = self.use_every(value),
                "topup_counts_as_use" => {
                    rules.topup_counts_as_use = self.boolean("topup_counts_as_use", value);
                }
                "fee" => rules.fee = self.fee(value),
                "pause_max" => rules.pause_max = self.positive_period("pause_max", value),
                "grace" => rules.grace = self.grace(value),
                "source" => rules.source = self.string("source", value),
                "checked" => {
                    rules.checked = self.date("checked", value);
                    if let Some(checked) = rules.checked
                        && Period::months(12)
                            .after(checked)
                            .is_some_and(|stale_from| stale_from <= context.today)
                    {
                        self.warning(
                            value.span(),
                            format!(
                                "this rule was last checked on {checked}, over a year ago: verify it with the carrier and update `checked`"
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
        rules
    }

    fn topup_validity(&mut self, value: &Value<'_>) -> Option<TopupValidity> {
        const KEY: &str = "topup_valid_for";
        if let DeValue::String(_) | DeValue::Integer(_) = value.get_ref() {
            return self.positive_period(KEY, value).map(TopupValidity::Fixed);
        }
        let Some(items) = value.get_ref().as_array() else {
            self.type_error(
                KEY,
                value.span(),
                "a duration like \"90d\" or a table like [{ min = 1, for = \"3d\" }]",
                value.get_ref(),
            );
            return None;
        };
        if items.is_empty() {
            self.error(
                value.span(),
                "`topup_valid_for` table must have at least one entry",
            );
            return None;
        }
        let mut tiers: Vec<(AmountTier, Range<usize>)> = Vec::with_capacity(items.len());
        for item in items {
            let table = self.table(KEY, item)?;
            self.check_keys(table, &["min", "for"], "a topup_valid_for entry", |_| None);
            let min = self.required(
                table,
                item,
                "min",
                "a topup_valid_for entry",
                |reader, value| reader.money("min", value),
            );
            let valid_for = self.required(
                table,
                item,
                "for",
                "a topup_valid_for entry",
                |reader, value| reader.positive_period("for", value),
            );
            tiers.push((
                AmountTier {
                    min: min?,
                    valid_for: valid_for?,
                },
                item.span(),
            ));
        }
        tiers.sort_by_key(|(tier, _)| tier.min);
        if let Some(pair) = tiers.windows(2).find(|pair| pair[0].0.min == pair[1].0.min) {
            let message = format!(
                "two topup_valid_for entries have the same min {}",
                pair[1].0.min
            );
            self.error(pair[1].1.clone(), message);
            return None;
        }
        Some(TopupValidity::ByAmount(
            tiers.into_iter().map(|(tier, _)| tier).collect(),
        ))
    }

    /// Reads a key that must be present, reporting its absence at the enclosing value.
    fn required<T>(
        &mut self,
        table: &DeTable<'_>,
        enclosing: &Value<'_>,
        key: &str,
        context: &str,
        read: impl FnOnce(&mut Self, &Value<'_>) -> Option<T>,
    ) -> Option<T> {
        match get(table, key) {
            Some(value) => read(self, value),
            None => {
                self.error(enclosing.span(), format!("{context} needs `{key}`"));
                None
            }
        }
    }

    fn use_every(&mut self, value: &Value<'_>) -> Option<UseEvery> {
        if let DeValue::String(text) = value.get_ref()
            && text.trim() == "calendar-month"
        {
            return Some(UseEvery::CalendarMonth);
        }
        self.positive_period("use_every", value)
            .map(UseEvery::Period)
    }

    fn fee(&mut self, value: &Value<'_>) -> Option<Fee> {
        let table = self.table("fee", value)?;
        self.check_keys(table, &["amount", "every"], "`fee`", |_| None);
        let amount = self.required(table, value, "amount", "`fee`", |reader, value| {
            reader.money("amount", value)
        });
        let every = self.required(table, value, "every", "`fee`", |reader, value| {
            reader.positive_period("every", value)
        });
        let amount = amount?;
        if amount.is_zero() {
            self.error(value.span(), "`fee` amount must be more than zero");
            return None;
        }
        Some(Fee {
            amount,
            every: every?,
        })
    }

    fn grace(&mut self, value: &Value<'_>) -> Option<Vec<GracePhase>> {
        if let DeValue::String(_) | DeValue::Integer(_) = value.get_ref() {
            let length = self.period("grace", value)?;
            return Some(if length.is_zero() {
                Vec::new()
            } else {
                vec![GracePhase {
                    length,
                    state: None,
                }]
            });
        }
        let Some(items) = value.get_ref().as_array() else {
            self.type_error(
                "grace",
                value.span(),
                "a duration like \"30d\" or phases like [{ for = \"30d\", state = \"incoming only\" }]",
                value.get_ref(),
            );
            return None;
        };
        let mut phases = Vec::with_capacity(items.len());
        for item in items {
            let table = self.table("grace", item)?;
            self.check_keys(table, &["for", "state"], "a grace phase", |_| None);
            let length = self.required(table, item, "for", "a grace phase", |reader, value| {
                reader.positive_period("for", value)
            })?;
            let state = get(table, "state").and_then(|state| self.string("state", state));
            phases.push(GracePhase { length, state });
        }
        Some(phases)
    }

    fn number<'i>(
        &mut self,
        table: &(impl Table<'i> + ?Sized),
        span: Range<usize>,
        location: Location,
        carriers: &Carriers,
        context: &ReadContext,
        zones: &mut ZoneCache,
    ) -> Option<NumberEntry> {
        let errors_before = self.errors;
        self.check_keys(table, &NUMBER_KEYS, "[[number]]", |_| None);
        let (phone, number_span) = match table.value("number") {
            Some(value) => {
                let phone = self.str("number", value).and_then(|text| {
                    normalize_number(text)
                        .map_err(|message| self.error(value.span(), message))
                        .ok()
                });
                (phone, value.span())
            }
            None => {
                self.error(
                    span.clone(),
                    "[[number]] needs `number`, like \"+965 5123 4567\"",
                );
                (None, span)
            }
        };
        // Without a valid number the table is not kept, but the rest is still read, so
        // that every problem in it is reported at once.
        let mut number = NumberEntry::new(phone.unwrap_or_default(), location);
        number.set_own_rules(self.rule_set(table, context, zones));
        for (key, value) in table.entries() {
            match key.get_ref().as_ref() {
                "label" => number.label = self.string("label", value).map(String::into_boxed_str),
                "carrier" => {
                    if let Some(id) = self.str("carrier", value) {
                        match carriers.by_id.get(id) {
                            Some(known) => number.carrier = Some(Arc::clone(&known.carrier)),
                            None => {
                                let mut message = format!("unknown carrier `{id}`");
                                let carrier_ids: Vec<&str> =
                                    carriers.order.iter().map(String::as_str).collect();
                                match closest_match(id, &carrier_ids) {
                                    Some(suggestion) => {
                                        message
                                            .push_str(&format!("; did you mean `{suggestion}`?"));
                                    }
                                    None => {
                                        message.push_str(&format!("; define it as [carriers.{id}]"))
                                    }
                                }
                                self.error(value.span(), message);
                            }
                        }
                    }
                }
                "last_topup" => number.last_topup = self.date("last_topup", value),
                "last_topup_amount" => {
                    number.set_last_topup_amount(self.money("last_topup_amount", value));
                }
                "last_used" => number.last_used = self.date("last_used", value),
                "balance" => number.set_balance(self.balance(value)),
                "next_charge" => number.set_next_charge(self.date("next_charge", value)),
                "valid_until" => number.valid_until = self.date("valid_until", value),
                "paused_since" => number.set_paused_since(self.date("paused_since", value)),
                "status" => {
                    if let Some(text) = self.str("status", value) {
                        match text {
                            "active" => number.status = LineStatus::Active,
                            "retired" => number.status = LineStatus::Retired,
                            other => self.error(
                                value.span(),
                                format!("unknown status {other:?}: use \"active\" or \"retired\""),
                            ),
                        }
                    }
                }
                "email" => {
                    number.set_own_recipients(self.mailboxes("email", value).unwrap_or_default());
                }
                "remind_before" => {
                    number.set_own_remind_before(self.periods("remind_before", value));
                }
                _ => {}
            }
        }
        if self.errors > errors_before {
            return None;
        }
        if number.status == LineStatus::Active {
            self.check_rules_have_dates(&number, number_span);
        }
        (self.errors == errors_before).then_some(number)
    }

    fn balance(&mut self, value: &Value<'_>) -> Option<Balance> {
        let table = self.table("balance", value)?;
        self.check_keys(table, &["amount", "on"], "`balance`", |_| None);
        let amount = self.required(table, value, "amount", "`balance`", |reader, value| {
            reader.money("amount", value)
        });
        let on = self.required(table, value, "on", "`balance`", |reader, value| {
            reader.date("on", value)
        });
        Some(Balance {
            amount: amount?,
            on: on?,
        })
    }

    /// Every rule that applies must find the date it counts from, and some rule must give a
    /// deadline: otherwise the number could be lost without a word.
    fn check_rules_have_dates(&mut self, number: &NumberEntry, span: Range<usize>) {
        let rules = number.effective_rules();
        let id = &number.number;
        let paused = number.is_paused();
        if !paused && let Some(validity) = rules.topup_valid_for {
            if number.last_topup.is_none() {
                self.error(
                    span.clone(),
                    format!(
                        "{id}: topup_valid_for needs `last_topup`, the date of the last top-up"
                    ),
                );
            }
            if let TopupValidity::ByAmount(tiers) = validity {
                match number.last_topup_amount() {
                    None => self.error(
                        span.clone(),
                        format!(
                            "{id}: topup_valid_for depends on the amount: set `last_topup_amount`"
                        ),
                    ),
                    Some(amount) if validity.validity_for(Some(amount)).is_none() => {
                        let lowest = tiers.first().map(|tier| tier.min).unwrap_or_default();
                        self.error(
                            span.clone(),
                            format!(
                                "{id}: last_topup_amount {amount} is below every topup_valid_for entry (the smallest min is {lowest})"
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
        if !paused
            && rules.use_every.is_some()
            && number.last_used.is_none()
            && !(rules.topup_counts_as_use && number.last_topup.is_some())
        {
            self.error(
                span.clone(),
                format!("{id}: use_every needs `last_used`, the date of the last use"),
            );
        }
        if let Some(fee) = rules.fee {
            match number.balance() {
                None => self.error(
                    span.clone(),
                    format!(
                        "{id}: fee needs `balance = {{ amount = \"…\", on = DATE }}`, the balance and the day it was read"
                    ),
                ),
                Some(_) => {
                    if fee.amount.is_zero() {
                        self.error(span.clone(), format!("{id}: fee amount must be more than zero"));
                    }
                }
            }
        }
        if paused && rules.pause_max.is_none() {
            self.error(
                span.clone(),
                format!(
                    "{id}: paused_since needs `pause_max`, the longest pause the carrier allows"
                ),
            );
        }
        let has_deadline = (!paused
            && (rules.topup_valid_for.is_some() || rules.use_every.is_some()))
            || rules.fee.is_some()
            || number.valid_until.is_some()
            || (paused && rules.pause_max.is_some());
        if !has_deadline {
            self.error(
                span.clone(),
                format!(
                    "{id}: no rule gives this number a deadline; set a carrier, a rule (topup_valid_for, use_every, fee), valid_until, or status = \"retired\""
                ),
            );
            return;
        }
        if may_leave_the_date_range(number)
            && crate::engine::deadline::obligations(number).is_none()
        {
            self.error(
                span,
                format!("{id}: a deadline falls outside the supported dates (years 0001–9999)"),
            );
        }
    }
}

/// Whether computing this number's deadlines could leave jiff's dates (past 9999-12-31): a
/// cheap and conservative test, so that the deadlines of a large config are not all
/// computed twice (here, and again for every status). A fee can step 100,000 charges ahead,
/// so fees are always computed.
fn may_leave_the_date_range(number: &NumberEntry) -> bool {
    use crate::model::period::Unit;
    let rules = number.effective_rules();
    if rules.fee.is_some() {
        return true;
    }
    let years = |period: Period| -> i32 {
        let count = i32::try_from(period.count).unwrap_or(i32::MAX);
        match period.unit {
            Unit::Day => count / 365 + 1,
            Unit::Week => count / 52 + 1,
            Unit::Month => count / 12 + 1,
            Unit::Year => count,
        }
    };
    let topup = match rules.topup_valid_for {
        Some(TopupValidity::Fixed(period)) => years(*period),
        Some(TopupValidity::ByAmount(tiers)) => tiers
            .iter()
            .map(|tier| years(tier.valid_for))
            .max()
            .unwrap_or(0),
        None => 0,
    };
    let use_every = match rules.use_every {
        Some(UseEvery::Period(period)) => years(period),
        Some(UseEvery::CalendarMonth) => 1,
        None => 0,
    };
    let pause = rules.pause_max.map_or(0, years);
    let grace: i32 = rules.grace.iter().map(|phase| years(phase.length)).sum();
    let latest = [
        number.last_topup,
        number.last_used,
        number.valid_until,
        number.paused_since(),
    ]
    .into_iter()
    .flatten()
    .map(|date| i32::from(date.year()))
    .max()
    .unwrap_or(0);
    latest
        .saturating_add(topup.max(use_every).max(pause))
        .saturating_add(grace)
        .saturating_add(2)
        >= 9999
}

fn default_schedule() -> Schedule {
    parse_schedule(DEFAULT_CHECK_AT).unwrap_or_else(|_| unreachable!("the default schedule parses"))
}

/// Parses a standard 5-field crontab line (or `@daily` and friends).
pub fn parse_schedule(text: &str) -> Result<Schedule, String> {
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build();
    match parser.parse(text) {
        Ok(cron) => Ok(Schedule {
            text: text.to_owned(),
            cron,
        }),
        Err(error) => Err(format!(
            "invalid cron line {text:?} for `check_at`: {error}; write 5 fields: minute hour day-of-month month day-of-week, like \"0 9 * * *\""
        )),
    }
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// The candidate closest to `name` by edit distance, if close enough to be a likely typo.
fn closest_match<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_date_range_test_is_conservative() {
        use crate::engine::deadline::obligations;
        let cases = [
            ("topup_valid_for = \"90d\"\nlast_topup = 2026-11-01", false),
            ("topup_valid_for = \"90d\"\nlast_topup = 9999-11-01", true),
            ("valid_until = 9999-12-31", true),
            ("valid_until = 9990-12-31", false),
            ("use_every = \"36600y\"\nlast_used = 2026-11-01", true),
            ("valid_until = 2026-12-01\ngrace = \"36600y\"", true),
            (
                "fee = { amount = \"1\", every = \"1mo\" }\nbalance = { amount = \"1\", on = 2026-11-01 }",
                true,
            ),
        ];
        for (rules, expected) in cases {
            let number = format!("[[number]]\nnumber = \"+96551234567\"\n{rules}\n");
            let context = ReadContext {
                system_zone: Zone {
                    name: "UTC".into(),
                    tz: TimeZone::UTC,
                },
                today: jiff::civil::date(2026, 11, 23),
            };
            let loaded = crate::config::load_with(std::path::Path::new("t.toml"), &context, |_| {
                Ok(number.clone())
            });
            match loaded {
                Ok(loaded) => {
                    let entry = &loaded.config.numbers[0];
                    assert_eq!(may_leave_the_date_range(entry), expected, "{rules}");
                    assert!(obligations(entry).is_some());
                }
                // Out of range: the test must have said it might be.
                Err(_) => assert!(expected, "{rules}"),
            }
        }
    }

    use super::*;

    #[test]
    fn suggests_close_keys() {
        assert_eq!(
            closest_match("last_topup_ammount", NUMBER_ONLY_KEYS),
            Some("last_topup_amount")
        );
        assert_eq!(
            closest_match("remind_befor", SETTINGS_KEYS),
            Some("remind_before")
        );
        assert_eq!(closest_match("zzz", SETTINGS_KEYS), None);
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["smtp.example.org", "10.0.0.1", "localhost.example.org"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn schedules_take_five_fields() {
        assert!(parse_schedule("0 9 * * *").is_ok());
        assert!(parse_schedule("30 9 * * MON").is_ok());
        assert!(parse_schedule("@daily").is_ok());
        assert!(parse_schedule("0 0 9 * * *").is_err());
        assert!(parse_schedule("61 9 * * *").is_err());
        assert!(parse_schedule("every day").is_err());
    }
}
