//! Problems found in config files, located by file, line and column.

use std::cell::OnceCell;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One source file of the config (the main file or an included one).
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// Byte offset of every line start, built when a message first needs a position. The
    /// numbers' lines are counted forward instead ([`LineCounter`], and the plain parser as
    /// it goes), so a config loaded without a message builds none (for a 10 MB file it takes
    /// 4 MB).
    line_starts: OnceCell<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        SourceFile {
            path,
            text,
            line_starts: OnceCell::new(),
        }
    }

    /// The line holding byte `offset` (without its line break), and the byte offset where
    /// that line starts.
    fn line_text(&self, offset: usize) -> (&str, usize) {
        let offset = offset.min(self.text.len());
        let bytes = self.text.as_bytes();
        let start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |index| index + 1);
        let end =
            memchr::memchr(b'\n', &bytes[offset..]).map_or(self.text.len(), |index| offset + index);
        let line = self.text.get(start..end).unwrap_or("");
        (line.strip_suffix('\r').unwrap_or(line), start)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(
                    self.text
                        .bytes()
                        .enumerate()
                        .filter(|(_, byte)| *byte == b'\n')
                        .map(|(index, _)| index + 1),
                )
                .collect()
        });
        let line_index = line_starts
            .partition_point(|start| *start <= offset)
            .saturating_sub(1);
        let line_start = line_starts[line_index];
        let column = self
            .text
            .get(line_start..offset)
            .map_or(offset - line_start, |prefix| prefix.chars().count());
        (line_index + 1, column + 1)
    }
}

/// Counts lines forward through one file: the 1-based line of each offset asked for, in
/// O(distance) from the previous one. The reader asks for numbers' lines in file order (and
/// skips over batches whose lines the plain parser counted), so a whole file costs at most
/// one pass over its bytes and no line table.
#[derive(Debug, Default)]
pub struct LineCounter {
    offset: usize,
    newlines: usize,
}

impl LineCounter {
    /// The 1-based line of `offset` in `file`, as `file.line_column(offset).0` gives it.
    pub fn line(&mut self, file: &SourceFile, offset: usize) -> usize {
        let offset = offset.min(file.text.len());
        if offset < self.offset {
            return file.line_column(offset).0;
        }
        self.newlines += count_newlines(&file.text.as_bytes()[self.offset..offset]);
        self.offset = offset;
        self.newlines + 1
    }

    /// Moves over `text`, which starts at byte `start` and holds `newlines` newlines (the
    /// caller counted them). A counter elsewhere stays where it is and counts by itself.
    pub fn skip(&mut self, start: usize, length: usize, newlines: usize) {
        if self.offset == start {
            self.offset += length;
            self.newlines += newlines;
        }
    }
}

/// Counts `\n` bytes eight at a time: a byte of `word ^ NEWLINES` is zero exactly where
/// `word` has a newline, and `((x & 0x7f) + 0x7f) | x` has its high bit clear exactly when the
/// byte `x` is zero (no carry crosses bytes).
fn count_newlines(bytes: &[u8]) -> usize {
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const LOW: u64 = u64::from_ne_bytes([0x7f; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut count = 0;
    for word in &mut words {
        let word = u64::from_ne_bytes(word.try_into().unwrap_or_default()) ^ NEWLINES;
        count += (!(((word & LOW) + LOW) | word | LOW)).count_ones() as usize;
    }
    count
        + words
            .remainder()
            .iter()
            .filter(|byte| **byte == b'\n')
            .count()
}

/// A problem at a place in a config file, rendered as rustc and just do: the first line
/// `PATH:LINE:COL: message` (which tools parse: it stays exactly so), then the source line
/// and a caret under the span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The source line and the span on it; `None` for a problem with a file as a whole.
    pub snippet: Option<Snippet>,
}

/// The line a problem is on, and where on it: shown under the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// The span's first character on the line, 0-based, and its length in characters (at
    /// least one; a span running past the line is cut at its end).
    pub start: usize,
    pub width: usize,
}

impl Snippet {
    fn of(file: &SourceFile, span: &Range<usize>) -> Snippet {
        let (text, line_start) = file.line_text(span.start);
        let offset = span.start.min(file.text.len()) - line_start;
        let chars_to = |end: usize| {
            text.get(..end.min(text.len()))
                .map_or(end, |prefix| prefix.chars().count())
        };
        let start = chars_to(offset);
        let end = chars_to(span.end.saturating_sub(line_start).max(offset));
        Snippet {
            text: text.to_owned(),
            start,
            width: end.saturating_sub(start).max(1),
        }
    }
}

impl fmt::Display for Snippet {
    /// The caret's indentation copies the line's tabs, so that it stays under the span.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indent: String = self
            .text
            .chars()
            .take(self.start)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{indent}{}", "^".repeat(self.width))
    }
}

impl Diagnostic {
    pub fn at(
        severity: Severity,
        file: &SourceFile,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = file.line_column(span.start);
        Diagnostic {
            severity,
            path: file.path.clone(),
            line,
            column,
            message: message.into(),
            snippet: Some(Snippet::of(file, &span)),
        }
    }

    /// A problem with a file as a whole (unreadable, a glob that matched nothing).
    pub fn in_file(path: &Path, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: message.into(),
            snippet: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(snippet) = &self.snippet {
            let number = self.line.to_string();
            let gutter = " ".repeat(number.len());
            write!(
                f,
                "\n{gutter} |\n{number} | {}\n{gutter} | {snippet}",
                snippet.text
            )?;
        }
        Ok(())
    }
}

impl Diagnostic {
    /// The first line alone, `PATH:LINE:COL: message`, as tools parse it.
    pub fn headline(&self) -> String {
        let mut text = self.to_string();
        if let Some(end) = text.find('\n') {
            text.truncate(end);
        }
        text
    }
}

/// Every problem of one load, errors and warnings, in file and line order.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (&a.path, a.line, a.column, a.severity).cmp(&(&b.path, b.line, b.column, b.severity))
        });
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.items {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let file = SourceFile::new("c.toml".into(), "a = 1\nbé = 2\n\nc".to_owned());
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(4), (1, 5));
        assert_eq!(file.line_column(6), (2, 1));
        // "bé" is three bytes; the column counts characters.
        assert_eq!(file.line_column(10), (2, 4));
        assert_eq!(file.line_column(15), (4, 1));
        assert_eq!(file.line_column(1000), (4, 2));
    }

    #[test]
    fn a_diagnostic_shows_its_line_and_a_caret_under_the_span() {
        let file = SourceFile::new(
            "c.toml".into(),
            "a = 1\r\n\tbé = \"x y\"\nlast = [\n  1,\n]".to_owned(),
        );
        let at =
            |span: Range<usize>| Diagnostic::at(Severity::Error, &file, span, "bad").to_string();
        assert_eq!(at(4..5), "c.toml:1:5: bad\n  |\n1 | a = 1\n  |     ^");
        // Columns count characters; the caret copies the tab and spans the value.
        assert_eq!(
            at(14..19),
            "c.toml:2:7: bad\n  |\n2 | \tbé = \"x y\"\n  | \t     ^^^^^"
        );
        // A span over several lines is cut at the end of its first; an empty one gets one caret.
        assert_eq!(
            at(27..40),
            "c.toml:3:8: bad\n  |\n3 | last = [\n  |        ^"
        );
        assert_eq!(at(0..0), "c.toml:1:1: bad\n  |\n1 | a = 1\n  | ^");
        let whole = Diagnostic::in_file(Path::new("c.toml"), "unreadable");
        assert_eq!(whole.to_string(), "c.toml:1:1: unreadable");
        assert_eq!(
            Diagnostic::at(Severity::Warning, &file, 4..5, "old").headline(),
            "c.toml:1:5: warning: old"
        );
    }

    #[test]
    fn newlines_are_counted_in_every_byte_position() {
        let mut bytes = [b'a'; 70];
        for (index, byte) in [b'\n', 0x0b, 0x8a, 0x00, 0xff, b'\n']
            .into_iter()
            .cycle()
            .take(70)
            .enumerate()
        {
            if index % 3 != 1 {
                bytes[index] = byte;
            }
        }
        for start in 0..bytes.len() {
            for end in start..=bytes.len() {
                let slice = &bytes[start..end];
                let expected = slice.iter().filter(|byte| **byte == b'\n').count();
                assert_eq!(count_newlines(slice), expected, "{start}..{end}");
            }
        }
    }

    #[test]
    fn the_line_counter_agrees_with_line_column() {
        let file = SourceFile::new("c.toml".into(), "a = 1\nbé = 2\n\nc\n".to_owned());
        let mut counter = LineCounter::default();
        // Forward, repeated, backward and past the end.
        for offset in [0, 4, 6, 6, 10, 13, 14, 2, 15, 16, 1000] {
            assert_eq!(
                counter.line(&file, offset),
                file.line_column(offset).0,
                "{offset}"
            );
        }
    }
}
