//! Problems found in config files, located by file, line and column.

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
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_index = self
            .line_starts
            .partition_point(|start| *start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts[line_index];
        let column = self
            .text
            .get(line_start..offset)
            .map_or(offset - line_start, |prefix| prefix.chars().count());
        (line_index + 1, column + 1)
    }
}

/// A problem at a place in a config file, rendered as `PATH:LINE:COL: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
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
        f.write_str(&self.message)
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
}
