//! A fast parser for the plain `[[number]]` tables that large (generated) configs are made of.
//!
//! It accepts only a small subset of TOML, and gives for it exactly the tree, spans included,
//! that `toml::de::DeTable::parse` gives: lines that are
//!
//! - `[[number]]` alone (the text must start with one);
//! - `key = "text"`, a bare key and a basic string without escapes or control characters,
//!   maybe indented and followed by spaces or tabs;
//! - `key = YYYY-MM-DD`, a valid local date, maybe indented, ended by the line end;
//! - empty, or spaces and tabs only;
//!
//! each ended by `\n`, `\r\n` or the end of the text, with no key twice in a table. Anything
//! else (comments, sub-tables, numbers, escapes…) makes it give up, and the caller parses the
//! text with toml, so the reader sees the same tree and reports the same errors either way.
//! Skipping toml's tokens, events and tree makes reading such tables several times cheaper.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;
use toml::value::{Date, Datetime};

const HEADER: &[u8] = b"[[number]]";

pub type Key<'i> = Spanned<Cow<'i, str>>;
pub type Value<'i> = Spanned<DeValue<'i>>;

/// The `[[number]]` tables of a text. The buffers are kept from one text to the next.
#[derive(Debug, Default)]
pub struct PlainTables<'i> {
    /// Each table's span (that of its header), range of `entries`, and the number of lines
    /// before its header.
    tables: Vec<(Range<usize>, Range<usize>, usize)>,
    /// The text's length and the newlines in it, so that the reader can count lines on
    /// from its end without reading it again.
    length: usize,
    newlines: usize,
    entries: Vec<(Key<'i>, Value<'i>)>,
    /// For each table, the indices of its entries (from its first) in key order.
    order: Vec<u8>,
    /// Scratch space for sorting a table's keys: each key's first bytes, and its index.
    sorting: Vec<(u64, u8)>,
}

/// One table's key-value pairs, iterated in the order toml's table gives them (by key).
#[derive(Clone, Copy, Debug)]
pub struct PlainTable<'t, 'i> {
    entries: &'t [(Key<'i>, Value<'i>)],
    order: &'t [u8],
}

impl<'t, 'i> PlainTable<'t, 'i> {
    pub fn entries(self) -> impl Iterator<Item = &'t (Key<'i>, Value<'i>)> {
        self.order
            .iter()
            .map(move |index| &self.entries[usize::from(*index)])
    }

    pub fn get(self, key: &str) -> Option<&'t Value<'i>> {
        self.entries
            .iter()
            .find(|(name, _)| name.get_ref() == key)
            .map(|(_, value)| value)
    }
}

impl<'i> PlainTables<'i> {
    /// Each table's span (that of its `[[number]]` header), the number of lines before it
    /// in the text, and its entries.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Range<usize>, usize, PlainTable<'_, 'i>)> {
        self.tables.iter().map(|(span, entries, lines_before)| {
            let table = PlainTable {
                entries: &self.entries[entries.clone()],
                order: &self.order[entries.clone()],
            };
            (span.clone(), *lines_before, table)
        })
    }

    /// The length of the text parsed, and the newlines in it.
    pub fn extent(&self) -> (usize, usize) {
        (self.length, self.newlines)
    }

    /// Parses `text` into `self`; false (and `self` unusable) unless `text` is made only of
    /// plain lines, starting with `[[number]]`.
    pub fn parse(&mut self, text: &'i str) -> bool {
        self.tables.clear();
        self.entries.clear();
        self.order.clear();
        self.length = text.len();
        self.newlines = 0;
        self.parse_lines(text).is_some()
    }

    fn parse_lines(&mut self, text: &'i str) -> Option<()> {
        let bytes = text.as_bytes();
        if !bytes.starts_with(HEADER) {
            return None;
        }
        let mut position = 0;
        while position < bytes.len() {
            if bytes[position] == b'[' && bytes[position..].starts_with(HEADER) {
                self.close_table()?;
                let entries = self.entries.len();
                self.tables.push((
                    position..position + HEADER.len(),
                    entries..entries,
                    self.newlines,
                ));
                position = self.next_line(bytes, position + HEADER.len())?;
                continue;
            }
            let start = skip_blanks(bytes, position);
            if let Some(next) = self.next_line(bytes, start) {
                position = next;
                continue;
            }
            let key_end = skip(bytes, start, BARE_KEY);
            if key_end == start {
                return None;
            }
            let key = Spanned::new(start..key_end, Cow::Borrowed(&text[start..key_end]));
            let equals = skip_blanks(bytes, key_end);
            if bytes.get(equals) != Some(&b'=') {
                return None;
            }
            let value_start = skip_blanks(bytes, equals + 1);
            let (value, value_end) = if bytes.get(value_start) == Some(&b'"') {
                let content = value_start + 1;
                let content_end = skip(bytes, content, PLAIN_STRING);
                if bytes.get(content_end) != Some(&b'"') {
                    return None;
                }
                let value = DeValue::String(Cow::Borrowed(&text[content..content_end]));
                position = self.next_line(bytes, skip_blanks(bytes, content_end + 1))?;
                (value, content_end + 1)
            } else {
                let value_end = (value_start + "YYYY-MM-DD".len()).min(bytes.len());
                let date = date(&bytes[value_start..value_end])?;
                position = self.next_line(bytes, value_end)?;
                let value = DeValue::Datetime(Datetime {
                    date: Some(date),
                    time: None,
                    offset: None,
                });
                (value, value_end)
            };
            self.entries
                .push((key, Spanned::new(value_start..value_end, value)));
        }
        self.close_table()
    }

    /// [`line_end`], counting the newline it steps over.
    fn next_line(&mut self, bytes: &[u8], position: usize) -> Option<usize> {
        let next = line_end(bytes, position)?;
        if next > position {
            self.newlines += 1;
        }
        Some(next)
    }

    /// Puts the last table's entries in key order; `None` if a key is there twice.
    fn close_table(&mut self) -> Option<()> {
        let Some((_, entries, _)) = self.tables.last_mut() else {
            return Some(());
        };
        entries.end = self.entries.len();
        let range = entries.clone();
        // Generated configs repeat one layout: a table with the keys of the table before it,
        // in the same places, sorts the same way (and has no key twice either).
        if let [.., (_, previous, _), _] = self.tables.as_slice()
            && self.same_keys(previous.clone(), range.clone())
        {
            self.order.extend_from_within(previous.clone());
            return Some(());
        }
        let entries = &self.entries[range];
        let key = |index: u8| entries[usize::from(index)].0.get_ref().as_bytes();
        // Sorting by the keys' first eight bytes (big-endian, so in byte order) compares
        // whole keys only when those are the same.
        self.sorting.clear();
        for (index, (name, _)) in entries.iter().enumerate() {
            let name = name.get_ref().as_bytes();
            let first = name
                .iter()
                .take(8)
                .fold(0, |first, byte| first << 8 | u64::from(*byte))
                .checked_shl(8 * (8 - name.len().min(8)) as u32)
                .unwrap_or(0);
            self.sorting.push((first, u8::try_from(index).ok()?));
        }
        self.sorting
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| key(a.1).cmp(key(b.1))));
        let twice = self
            .sorting
            .windows(2)
            .any(|pair| pair[0].0 == pair[1].0 && key(pair[0].1) == key(pair[1].1));
        self.order
            .extend(self.sorting.iter().map(|(_, index)| *index));
        (!twice).then_some(())
    }

    /// Whether the entries in `a` and `b` have the same keys in the same places.
    fn same_keys(&self, a: Range<usize>, b: Range<usize>) -> bool {
        a.len() == b.len()
            && self.entries[a]
                .iter()
                .zip(&self.entries[b])
                .all(|((a, _), (b, _))| a.get_ref() == b.get_ref())
    }
}

/// Where the next line starts, if the line ends at `position`.
fn line_end(bytes: &[u8], position: usize) -> Option<usize> {
    match &bytes[position..] {
        [] => Some(position),
        [b'\n', ..] => Some(position + 1),
        [b'\r', b'\n', ..] => Some(position + 2),
        _ => None,
    }
}

fn skip_blanks(bytes: &[u8], position: usize) -> usize {
    skip(bytes, position, BLANK)
}

/// Where the run of bytes of `class` from `position` ends.
fn skip(bytes: &[u8], mut position: usize, class: u8) -> usize {
    while let Some(byte) = bytes.get(position)
        && CLASSES[usize::from(*byte)] & class != 0
    {
        position += 1;
    }
    position
}

/// Byte classes: a space or tab; a bare key's letters, digits, `_` and `-`; what a basic
/// string may hold unescaped, less the quote that ends it (tab, printable ASCII but `"` and
/// `\`, and any byte of a non-ASCII character: the text is valid UTF-8).
const BLANK: u8 = 1;
const BARE_KEY: u8 = 2;
const PLAIN_STRING: u8 = 4;

static CLASSES: [u8; 256] = {
    let mut classes = [0; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if b == b' ' || b == b'\t' {
            classes[byte] |= BLANK;
        }
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            classes[byte] |= BARE_KEY;
        }
        if b == b'\t' || (b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7f) {
            classes[byte] |= PLAIN_STRING;
        }
        byte += 1;
    }
    classes
};

/// A full date `YYYY-MM-DD`, checked as toml_datetime checks it.
fn date(text: &[u8]) -> Option<Date> {
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *text else {
        return None;
    };
    let digit = |byte: u8| byte.is_ascii_digit().then(|| u16::from(byte - b'0'));
    let year = ((digit(y1)? * 10 + digit(y2)?) * 10 + digit(y3)?) * 10 + digit(y4)?;
    let month = digit(m1)? * 10 + digit(m2)?;
    let day = digit(d1)? * 10 + digit(d2)?;
    let is_leap_year = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if is_leap_year => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&day) {
        return None;
    }
    Some(Date {
        year,
        month: month as u8,
        day: day as u8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use toml::de::DeTable;

    /// Spans and values: `Spanned`'s own equality ignores spans.
    fn same(a: &Spanned<DeValue<'_>>, b: &Spanned<DeValue<'_>>) -> bool {
        a.span() == b.span()
            && match (a.get_ref(), b.get_ref()) {
                (DeValue::String(a), DeValue::String(b)) => a == b,
                (DeValue::Datetime(a), DeValue::Datetime(b)) => a == b,
                _ => false,
            }
    }

    fn parse(text: &str) -> Option<PlainTables<'_>> {
        let mut tables = PlainTables::default();
        tables.parse(text).then_some(tables)
    }

    /// The fast parser either gives up or agrees with toml, which must then see no error and
    /// give one array of tables, `number`, with the same tables, keys, values and spans.
    fn check(text: &str) -> bool {
        let Some(fast) = parse(text) else {
            return false;
        };
        let (slow, errors) = DeTable::parse_recoverable(text);
        assert!(errors.is_empty(), "{text:?}: toml says {errors:?}");
        let slow = slow.get_ref();
        assert_eq!(slow.len(), 1, "{text:?}");
        let slow_tables = slow.get("number").unwrap().get_ref().as_array().unwrap();
        assert_eq!(slow_tables.len(), fast.iter().len(), "{text:?}");
        let newlines = |end: usize| {
            text.as_bytes()[..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
        };
        assert_eq!(
            fast.extent(),
            (text.len(), newlines(text.len())),
            "{text:?}"
        );
        for (slow, (span, lines_before, table)) in slow_tables.iter().zip(fast.iter()) {
            assert_eq!(slow.span(), span, "{text:?}");
            assert_eq!(lines_before, newlines(span.start), "{text:?}");
            let slow = slow.get_ref().as_table().unwrap();
            assert_eq!(slow.len(), table.entries().count(), "{text:?}");
            for ((slow_key, slow_value), (key, value)) in slow.iter().zip(table.entries()) {
                assert!(same(slow_value, table.get(key.get_ref()).unwrap()));
                assert_eq!(slow_key.span(), key.span(), "{text:?}");
                assert_eq!(slow_key.get_ref(), key.get_ref(), "{text:?}");
                assert!(
                    same(slow_value, value),
                    "{text:?}: {slow_value:?} {value:?}"
                );
            }
        }
        true
    }

    #[test]
    fn plain_tables_parse_as_toml_parses_them() {
        let accepted = [
            "[[number]]",
            "[[number]]\n",
            "[[number]]\nnumber = \"+96551234567\"\nlabel = \"line 1\"\ncarrier = \"prepaid\"\nlast_topup = 2026-08-25\n",
            "[[number]]\r\nnumber = \"+1 555\"\r\n\r\n[[number]]\r\nnumber=\"+2\"",
            "[[number]]\n  \t number\t=  \"x\"  \t\n\t\n[[number]]\n[[number]]\nlabel = \"\"\n",
            "[[number]]\nlabel = \"é 中文 \t tab\"\nlast_used = 2024-02-29\nvalid_until = 0000-02-29\n",
            "[[number]]\n-_9aZ = \"x\"\n1234 = 2026-12-31\ntrue = \"k\"\n",
        ];
        for text in accepted {
            assert!(check(text), "should be accepted: {text:?}");
        }
    }

    #[test]
    fn anything_else_is_left_to_toml() {
        let refused = [
            "",
            "\n[[number]]\n",
            " [[number]]\n",
            "[[number]] # comment\n",
            "[[number]]\n# comment\n",
            "[[number]]\nnumber = \"+1\" # comment\n",
            "[[number]]\nnumber = \"+1\"\nnumber = \"+2\"\n",
            "[[number]]\nlabel = \"a\\\"b\"\n",
            "[[number]]\nlabel = \"\"\"x\"\"\"\n",
            "[[number]]\nlabel = 'x'\n",
            "[[number]]\nlabel = \"x\u{7f}\"\n",
            "[[number]]\nlabel = \"x\u{1}\"\n",
            "[[number]]\nlabel = \"x\rx\"\n",
            "[[number]]\nlabel = \"x\n",
            "[[number]]\nlabel = \"x\" y\n",
            "[[number]]\nlabel = x\n",
            "[[number]]\nlabel =\n",
            "[[number]]\n= \"x\"\n",
            "[[number]]\nlabel\n",
            "[[number]]\n\"label\" = \"x\"\n",
            "[[number]]\nbalance.amount = \"1\"\n",
            "[[number]]\nstatus = true\n",
            "[[number]]\nfee = { amount = \"1\", every = \"1mo\" }\n",
            "[[number]]\nemail = [\"a@example.org\"]\n",
            "[[number]]\nlast_topup_amount = 5\n",
            "[[number]]\n[number.balance]\namount = \"1\"\n",
            "[[number]]\nlast_topup = 2026-08-25 \n",
            "[[number]]\nlast_topup = 2026-08-25T10:00:00\n",
            "[[number]]\nlast_topup = 2026-08-25 10:00:00\n",
            "[[number]]\nlast_topup = 2026-02-29\n",
            "[[number]]\nlast_topup = 2026-04-31\n",
            "[[number]]\nlast_topup = 2026-13-01\n",
            "[[number]]\nlast_topup = 2026-00-10\n",
            "[[number]]\nlast_topup = 2026-01-00\n",
            "[[number]]\nlast_topup = 1900-02-29\n",
            "[[number]]\nlast_topup = 2026-1-01\n",
            "[[number]]\nlast_topup = 12026-01-01\n",
            "[[number]]\nx = \"a\"\r\r\n",
            "[[number]]\rnumber = \"+1\"\n",
            "[[number]]\n[[numbers]]\n",
        ];
        for text in refused {
            assert!(parse(text).is_none(), "should be refused: {text:?}");
        }
    }

    /// Lines made of pieces near the edge of the subset, in any order.
    fn near_plain_line() -> impl Strategy<Value = String> {
        let indent = prop::sample::select(vec!["", " ", "\t", "  \t"]);
        let key = prop::sample::select(vec![
            "number",
            "label",
            "last_topup",
            "x",
            "1234",
            "a-b_C",
            "true",
            "a.b",
            "\"q\"",
            "",
            "é",
            "2026-01-01",
        ]);
        let equals = prop::sample::select(vec!["=", " = ", "\t=\t", "==", " "]);
        let value = prop_oneof![
            prop::sample::select(vec![
                "\"+965 5123 4567\"",
                "\"\"",
                "\"\"\"\"",
                "\"a\\\"b\"",
                "\"é 中\"",
                "\"tab\there\"",
                "\"bell\u{7}\"",
                "\"del\u{7f}\"",
                "\"open",
                "'x'",
                "2026-08-25",
                "2024-02-29",
                "2026-02-29",
                "2026-8-25",
                "2026-08-25T10:00:00",
                "2026-08-25 10:00:00",
                "10:00:00",
                "12",
                "1.5",
                "true",
                "[\"a\"]",
                "{ a = 1 }",
                "x",
            ])
            .prop_map(str::to_owned),
            (1000u32..9999, 0u32..14, 0u32..33)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        ];
        let trailing = prop::sample::select(vec!["", " ", "\t ", " # c", "#"]);
        let end = prop::sample::select(vec!["\n", "\n", "\r\n", "\r", "", "\n\n"]);
        prop_oneof![
            4 => (indent.clone(), key, equals, value, trailing.clone(), end.clone()).prop_map(
                |(indent, key, equals, value, trailing, end)| {
                    format!("{indent}{key}{equals}{value}{trailing}{end}")
                }
            ),
            1 => (indent, trailing, end.clone()).prop_map(|(indent, trailing, end)| {
                format!("{indent}{trailing}{end}")
            }),
            1 => (
                prop::sample::select(vec!["[[number]]", "[[ number ]]", "[number.balance]", "[[number.x]]"]),
                end
            )
                .prop_map(|(header, end)| format!("{header}{end}")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn near_plain_texts_parse_as_toml_parses_them(
            lines in prop::collection::vec(near_plain_line(), 0..8)
        ) {
            check(&format!("[[number]]\n{}", lines.concat()));
        }
    }

    #[test]
    fn dates_are_checked_as_toml_checks_them() {
        // Every day of a leap and a common year, and days that do not exist.
        for year in ["2024", "2026", "2000", "2100", "0000"] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let text = format!("[[number]]\nd = {year}-{month:02}-{day:02}\n");
                    let fast = parse(&text).is_some();
                    let (_, errors) = DeTable::parse_recoverable(&text);
                    assert_eq!(fast, errors.is_empty(), "{text:?}");
                    if fast {
                        check(&text);
                    }
                }
            }
        }
    }
}
