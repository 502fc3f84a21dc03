//! The config file: its model, its reader and the loading of the main file and its includes.

pub mod diagnostic;
pub mod edit;
pub mod model;
pub mod money;
pub mod period;
pub mod phone;
pub mod read;

use std::io;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

pub use diagnostic::{Diagnostic, Diagnostics, Severity, SourceFile};
pub use model::Config;
pub use read::ReadContext;

use read::{Document, include_patterns, read_config, syntax_diagnostic};

/// A config that loaded, with its warnings and every file it was read from.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
    pub files: Vec<PathBuf>,
}

/// Loads the config at `path` and the files it includes, reading files from disk.
pub fn load(path: &Path, context: &ReadContext) -> Result<Loaded, Diagnostics> {
    load_with(path, context, |path| std::fs::read_to_string(path))
}

/// Loads a config, reading each file through `read_file`. `renew` uses this to validate an
/// edited file before writing it.
pub fn load_with(
    path: &Path,
    context: &ReadContext,
    mut read_file: impl FnMut(&Path) -> io::Result<String>,
) -> Result<Loaded, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let main_file = match read_file(path) {
        Ok(text) => SourceFile::new(path.to_path_buf(), text),
        Err(error) => {
            diagnostics.push(Diagnostic::in_file(
                path,
                format!("cannot read the config file: {error}"),
            ));
            return Err(diagnostics);
        }
    };
    let main_table = parse(&main_file, &mut diagnostics);
    let included_files = match &main_table {
        Some(table) => {
            let patterns = include_patterns(&main_file, table.get_ref(), &mut diagnostics);
            read_includes(&main_file, &patterns, &mut read_file, &mut diagnostics)
        }
        None => Vec::new(),
    };
    let included_tables: Vec<_> = included_files
        .iter()
        .map(|file| parse(file, &mut diagnostics))
        .collect();
    let (Some(main_table), true) = (&main_table, included_tables.iter().all(Option::is_some))
    else {
        diagnostics.sort();
        return Err(diagnostics);
    };
    let mut documents = vec![Document {
        file: &main_file,
        table: main_table,
        is_main: true,
    }];
    for (file, table) in included_files.iter().zip(&included_tables) {
        if let Some(table) = table {
            documents.push(Document {
                file,
                table,
                is_main: false,
            });
        }
    }
    let config = read_config(&documents, context, &mut diagnostics);
    diagnostics.sort();
    match config {
        Some(config) if !diagnostics.has_errors() => Ok(Loaded {
            config,
            warnings: diagnostics.items,
            files: std::iter::once(&main_file)
                .chain(&included_files)
                .map(|file| file.path.clone())
                .collect(),
        }),
        _ => Err(diagnostics),
    }
}

fn parse<'f>(
    file: &'f SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<toml::Spanned<DeTable<'f>>> {
    let (table, errors) = DeTable::parse_recoverable(&file.text);
    if errors.is_empty() {
        return Some(table);
    }
    for error in &errors {
        diagnostics.push(syntax_diagnostic(file, error));
    }
    None
}

fn read_includes(
    main_file: &SourceFile,
    patterns: &[(String, std::ops::Range<usize>)],
    read_file: &mut impl FnMut(&Path) -> io::Result<String>,
    diagnostics: &mut Diagnostics,
) -> Vec<SourceFile> {
    let base = main_file.path.parent().unwrap_or(Path::new(""));
    let mut files = Vec::new();
    for (pattern, span) in patterns {
        let full_pattern = base.join(pattern);
        let mut error = |message: String| {
            diagnostics.push(Diagnostic::at(
                Severity::Error,
                main_file,
                span.clone(),
                message,
            ));
        };
        // Hidden files are skipped: editors' and numkeep's own temporary files start with a dot.
        let options = glob::MatchOptions {
            require_literal_leading_dot: true,
            ..glob::MatchOptions::new()
        };
        let paths: Vec<PathBuf> = match glob::glob_with(&full_pattern.to_string_lossy(), options) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(glob_error) => {
                error(format!("invalid include pattern {pattern:?}: {glob_error}"));
                continue;
            }
        };
        let is_literal = !pattern.contains(['*', '?', '[']);
        if paths.is_empty() && is_literal {
            error(format!(
                "included file {} does not exist",
                full_pattern.display()
            ));
        }
        for path in paths {
            if path == main_file.path || files.iter().any(|file: &SourceFile| file.path == path) {
                continue;
            }
            match read_file(&path) {
                Ok(text) => files.push(SourceFile::new(path, text)),
                Err(read_error) => error(format!("cannot read {}: {read_error}", path.display())),
            }
        }
    }
    files
}
