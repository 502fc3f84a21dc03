//! Turns parsed TOML documents into a validated [`Config`], collecting every problem at once.
//!
//! The documents are walked by hand rather than through serde derive: serde stops at the first
//! error and loses positions, while users should see all their mistakes, each as
//! `PATH:LINE:COL: message`. This module does no I/O of its own except reading the time-zone
//! database (through jiff) to resolve zone names.
//!
//! [`ConfigReader`] orchestrates: it walks the documents' top levels, then their numbers,
//! and keeps what spans files (carriers by id, numbers seen). What each part reads is in its
//! own module, as methods of the one per-file reader [`FileReader`](values::FileReader):
//! `values` (typed getters: strings, dates, periods, money, zones; "did you mean"),
//! `sections` (`[settings]`, `[email]`), `rules` (carriers and the rule keys), `numbers`
//! (`[[number]]` tables and the checks across their keys).

mod notify;
mod numbers;
mod outputs;
mod rules;
mod sections;
mod values;

pub use sections::parse_schedule;

use values::{FileReader, ZoneCache};

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::civil::Date;
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::diagnostic::{Diagnostic, Diagnostics, LineCounter, Severity, SourceFile};
use super::plain::{PlainTable, PlainTables};
use crate::model::{
    Carrier, Config, EmailSettings, Location, NotifyChannel, NumberEntry, Settings, Zone,
};

/// What the reader needs from the world, provided by the shell so that reading stays pure.
#[derive(Clone, Debug)]
pub struct ReadContext {
    /// The zone used when `settings.timezone` is absent.
    pub system_zone: Zone,
    /// Today's date, to warn about rules whose `checked` date is over a year old.
    pub today: Date,
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "settings", "email", "carriers", "number", "include", "notify", "calendar",
];
const INCLUDED_FILE_KEYS: &[&str] = &["carriers", "number"];
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
    /// The built-in carriers numbers have named so far: a stale built-in rule is reported
    /// once, at its first use.
    builtins_used: std::cell::RefCell<Vec<&'static str>>,
    /// Built-in carriers as numbers use them, with their zone loaded: one each, shared.
    builtins_zoned: std::cell::RefCell<FastMap<&'static str, Arc<Carrier>>>,
}

impl Carriers {
    /// The built-in carrier as a number uses it: its rules with its calendar's zone, which
    /// the model names and the reader loads.
    fn builtin_for_number(
        &self,
        builtin: &'static crate::model::catalogue::BuiltinCarrier,
        zones: &mut values::ZoneCache,
    ) -> Arc<Carrier> {
        let mut zoned = self.builtins_zoned.borrow_mut();
        let carrier = zoned.entry(builtin.carrier.id.as_str()).or_insert_with(|| {
            match builtin.zone.and_then(|name| zones.get(name)) {
                Some(zone) => {
                    let mut carrier = Carrier::clone(&builtin.carrier);
                    carrier.rules.timezone = Some(zone);
                    Arc::new(carrier)
                }
                None => Arc::clone(&builtin.carrier),
            }
        });
        Arc::clone(carrier)
    }

    /// Whether built-in carrier `id` is named here for the first time (and notes it).
    fn first_use_of_builtin(&self, id: &str) -> bool {
        let Some(builtin) = crate::model::catalogue::builtin_carrier(id) else {
            return false;
        };
        let mut used = self.builtins_used.borrow_mut();
        if used.contains(&builtin.carrier.id.as_str()) {
            return false;
        }
        used.push(builtin.carrier.id.as_str());
        true
    }
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
    notify: Vec<NotifyChannel>,
    calendar: Option<PathBuf>,
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
            notify: Vec::new(),
            calendar: None,
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
            if let Some(value) = get(table, "notify") {
                self.notify = reader.notify_channels(value);
            }
            if let Some(value) = get(table, "calendar") {
                self.calendar = reader.calendar(value);
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
        let Some(mut number) = reader.number(
            table,
            span.clone(),
            location,
            &self.carriers,
            self.context,
            &mut self.zones,
        ) else {
            return;
        };
        if let Some(value) = table.value("notify") {
            match reader.number_notify(value, &self.notify, self.email.is_some()) {
                Some(names) => number.set_own_notify(Some(names)),
                None => return,
            }
        }
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
        let Carriers {
            mut by_id, order, ..
        } = self.carriers;
        let carriers = order
            .iter()
            .filter_map(|id| by_id.remove(id).map(|known| known.carrier))
            .collect();
        Some(Config {
            settings,
            email: self.email,
            notify: self.notify,
            calendar: self.calendar,
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

#[cfg(test)]
mod tests {
    use super::numbers::NUMBER_ONLY_KEYS;
    use super::sections::{SETTINGS_KEYS, is_loopback_host};
    use super::values::closest_match;
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
