//! The config file: loading the main file and its includes, and reading them into the
//! model (`crate::model`), with every problem reported at its place.

pub mod diagnostic;
pub mod edit;
mod plain;
pub mod read;
pub mod zoneinfo;

use std::collections::{HashMap, HashSet};
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

pub use crate::model::Config;
pub use diagnostic::{Diagnostic, Diagnostics, Severity, SourceFile};
pub use read::ReadContext;

use plain::PlainTables;
use read::{ConfigReader, Document, include_patterns, read_config, syntax_diagnostic};

/// A config that loaded, with its warnings and every file it was read from.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
    pub files: Vec<PathBuf>,
    /// The `include` patterns, joined to the main file's directory: the daemon watches
    /// their directories for files that appear later.
    pub include_patterns: Vec<PathBuf>,
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
    read_file: impl FnMut(&Path) -> io::Result<String>,
) -> Result<Loaded, Diagnostics> {
    load_in_batches(path, context, read_file, NUMBERS_PER_BATCH)
}

/// How many `[[number]]` tables are parsed at a time. toml's parse costs some 30 times the
/// text in tokens, events and tree: a 10 MB file parsed at once took 300 MB, a batch of
/// 1,000 tables takes about 3 MB (plain tables, see [`plain`], much less).
const NUMBERS_PER_BATCH: usize = 1000;

/// Loads a config, parsing each file in batches: the top of the file, up to the first line
/// that is just `[[number]]` (with blanks or a comment), then runs of `per_batch` such tables,
/// each read into numbers and dropped before the next is parsed. The tops of all files are
/// read first, so that every carrier is known before any number names one.
///
/// Parsing in batches gives the tables parsing the whole file gives as long as every batch
/// parses without an error, the top holds no `number` key (if batches follow) and the
/// batches hold nothing but `number`: a batch can only start at a `[[number]]` line that
/// lies inside a multi-line string, array or inline table if the batch before it leaves that
/// string, array or table open, which is an error; and batches of nothing but `[[number]]`
/// tables (and their sub-tables) cannot clash with the top or with each other. When a batch
/// breaks these rules (a syntax error, carriers written after numbers…), the config is
/// loaded again from the start by [`load_whole`], so every message is exactly the one a
/// whole-file parse gives. Most batches are parsed by [`plain`], which gives what toml gives.
fn load_in_batches(
    path: &Path,
    context: &ReadContext,
    mut read_file: impl FnMut(&Path) -> io::Result<String>,
    per_batch: usize,
) -> Result<Loaded, Diagnostics> {
    let main_file = match read_file(path) {
        Ok(text) => SourceFile::new(path.to_path_buf(), text),
        Err(error) => {
            let mut diagnostics = Diagnostics::default();
            diagnostics.push(Diagnostic::in_file(
                path,
                format!("cannot read the config file: {error}"),
            ));
            return Err(diagnostics);
        }
    };
    // Failed reads are remembered (and successful ones kept) so that loading again as a
    // whole reads no file twice. By path: a config may include tens of thousands of files.
    let mut failed_reads: HashMap<PathBuf, io::Error> = HashMap::new();
    let outcome = read_in_batches(
        &main_file,
        context,
        &mut |path: &Path| {
            read_file(path).inspect_err(|error| {
                let copy = io::Error::new(error.kind(), error.to_string());
                failed_reads.insert(path.to_path_buf(), copy);
            })
        },
        per_batch,
    );
    match outcome {
        Ok(result) => result,
        Err(included_files) => {
            let mut included_texts: HashMap<PathBuf, String> = included_files
                .into_iter()
                .map(|file| (file.path, file.text))
                .collect();
            load_whole(main_file, context, |path| {
                if let Some(text) = included_texts.remove(path) {
                    return Ok(text);
                }
                if let Some(error) = failed_reads.remove(path) {
                    return Err(error);
                }
                read_file(path)
            })
        }
    }
}

/// A file's text cut at `[[number]]` lines: the top, then the batches.
struct Batches {
    top_end: usize,
    batches: Vec<Range<usize>>,
    /// The `[[number]]` lines.
    tables: usize,
}

impl Batches {
    fn new(text: &str, per_batch: usize) -> Batches {
        let mut starts = Vec::new();
        let mut tables = 0;
        for index in memchr::memmem::find_iter(text.as_bytes(), "[[number]]") {
            if let Some(start) = table_line_start(text, index) {
                if tables % per_batch == 0 {
                    starts.push(start);
                }
                tables += 1;
            }
        }
        let batches = starts
            .iter()
            .zip(starts.iter().skip(1).chain([&text.len()]))
            .map(|(start, end)| *start..*end)
            .collect();
        Batches {
            top_end: starts.first().copied().unwrap_or(text.len()),
            batches,
            tables,
        }
    }

    /// The top of the file, parsed, if it parses cleanly and leaves `number` to the batches.
    fn top<'f>(&self, file: &'f SourceFile) -> Option<toml::Spanned<DeTable<'f>>> {
        let (table, errors) = DeTable::parse_recoverable(&file.text[..self.top_end]);
        let clean = errors.is_empty()
            && (self.batches.is_empty() || read::get(table.get_ref(), "number").is_none());
        clean.then_some(table)
    }
}

/// The start of the line holding the `[[number]]` at `index`, if that line is nothing but
/// the header: spaces or tabs around it, and maybe a comment.
fn table_line_start(text: &str, index: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let start = bytes[..index]
        .iter()
        .rposition(|byte| !matches!(byte, b' ' | b'\t'))
        .map_or(0, |before| before + 1);
    if start > 0 && bytes[start - 1] != b'\n' {
        return None;
    }
    let rest = &bytes[index + "[[number]]".len()..];
    let after = rest
        .iter()
        .position(|byte| !matches!(byte, b' ' | b'\t'))
        .map_or(&[][..], |first| &rest[first..]);
    matches!(after, [] | [b'\n', ..] | [b'\r', b'\n', ..] | [b'#', ..]).then_some(start)
}

/// The batched load proper; `Err` (with the included files read so far) when the config must
/// be loaded as a whole instead.
fn read_in_batches(
    main_file: &SourceFile,
    context: &ReadContext,
    read_file: &mut impl FnMut(&Path) -> io::Result<String>,
    per_batch: usize,
) -> Result<Result<Loaded, Diagnostics>, Vec<SourceFile>> {
    let mut diagnostics = Diagnostics::default();
    let main_batches = Batches::new(&main_file.text, per_batch);
    let Some(main_top) = main_batches.top(main_file) else {
        return Err(Vec::new());
    };
    let patterns = include_patterns(main_file, main_top.get_ref(), &mut diagnostics);
    let included_files = read_includes(main_file, &patterns, read_file, &mut diagnostics);
    let result = read_batches(
        main_file,
        main_batches,
        main_top,
        &included_files,
        context,
        per_batch,
        diagnostics,
    );
    result
        .map(|result| result.map(|loaded| with_patterns(loaded, main_file, &patterns)))
        .ok_or(included_files)
}

/// Reads the tops of all files, then their batches; `None` when a batch breaks the rules.
fn read_batches(
    main_file: &SourceFile,
    main_batches: Batches,
    main_top: toml::Spanned<DeTable<'_>>,
    included_files: &[SourceFile],
    context: &ReadContext,
    per_batch: usize,
    mut diagnostics: Diagnostics,
) -> Option<Result<Loaded, Diagnostics>> {
    let mut tops = vec![(main_batches, main_top)];
    for file in included_files {
        let batches = Batches::new(&file.text, per_batch);
        let top = batches.top(file)?;
        tops.push((batches, top));
    }
    let files: Vec<&SourceFile> = std::iter::once(main_file).chain(included_files).collect();
    let mut reader = ConfigReader::new(&files, context);
    reader.reserve_numbers(tops.iter().map(|(batches, _)| batches.tables).sum());
    for (index, (_, top)) in tops.iter().enumerate() {
        reader.read_header(index, top.get_ref(), index == 0, &mut diagnostics);
    }
    let mut plain = PlainTables::default();
    for (index, (batches, top)) in tops.iter().enumerate() {
        reader.read_numbers(index, top.get_ref(), 0, &mut diagnostics);
        for batch in &batches.batches {
            let text = &files[index].text[batch.clone()];
            if plain.parse(text) {
                reader.read_plain_numbers(index, &plain, batch.start, &mut diagnostics);
                continue;
            }
            let (table, errors) = DeTable::parse_recoverable(text);
            if !errors.is_empty() || table.get_ref().len() != 1 {
                return None;
            }
            reader.read_numbers(index, table.get_ref(), batch.start, &mut diagnostics);
        }
    }
    let config = reader.finish(&diagnostics);
    Some(loaded(config, diagnostics, &files))
}

/// Loads a config by parsing each file whole: what [`load_in_batches`] falls back to, and the
/// reference for its results.
fn load_whole(
    main_file: SourceFile,
    context: &ReadContext,
    mut read_file: impl FnMut(&Path) -> io::Result<String>,
) -> Result<Loaded, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let main_table = parse(&main_file, &mut diagnostics);
    let patterns = match &main_table {
        Some(table) => include_patterns(&main_file, table.get_ref(), &mut diagnostics),
        None => Vec::new(),
    };
    let included_files = read_includes(&main_file, &patterns, &mut read_file, &mut diagnostics);
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
    let files: Vec<&SourceFile> = documents.iter().map(|document| document.file).collect();
    loaded(config, diagnostics, &files).map(|loaded| with_patterns(loaded, &main_file, &patterns))
}

fn with_patterns(
    mut loaded: Loaded,
    main_file: &SourceFile,
    patterns: &[(String, Range<usize>)],
) -> Loaded {
    let base = main_file.path.parent().unwrap_or(Path::new(""));
    loaded.include_patterns = patterns
        .iter()
        .map(|(pattern, _)| base.join(pattern))
        .collect();
    loaded
}

fn loaded(
    config: Option<Config>,
    mut diagnostics: Diagnostics,
    files: &[&SourceFile],
) -> Result<Loaded, Diagnostics> {
    if let (Some(config), Some(main_file)) = (&config, files.first())
        && config.numbers.is_empty()
        && !diagnostics.has_errors()
    {
        // Valid, but it would remind nobody of anything: say so rather than stay silent.
        diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::in_file(
                &main_file.path,
                "the config has no numbers (no [[number]] here or in an included file): there is nothing to remind about",
            )
        });
    }
    diagnostics.sort();
    match config {
        Some(config) if !diagnostics.has_errors() => Ok(Loaded {
            config,
            warnings: diagnostics.items,
            files: files.iter().map(|file| file.path.clone()).collect(),
            include_patterns: Vec::new(),
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
    // Every path met so far (read or not), so that a file matched by several patterns is
    // read once. A set, not a search of `files`: that search made 10,000 files take seconds.
    let mut seen: HashSet<PathBuf> = HashSet::from([main_file.path.clone()]);
    for (pattern, span) in patterns {
        let full_pattern = base.join(pattern);
        let mut report = |severity: Severity, message: String| {
            diagnostics.push(Diagnostic::at(severity, main_file, span.clone(), message));
        };
        // Hidden files are skipped: editors' and numkeep's own temporary files start with a dot.
        let options = glob::MatchOptions {
            require_literal_leading_dot: true,
            ..glob::MatchOptions::new()
        };
        let paths: Vec<PathBuf> = match glob::glob_with(&full_pattern.to_string_lossy(), options) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(glob_error) => {
                let message = format!("invalid include pattern {pattern:?}: {glob_error}");
                report(Severity::Error, message);
                continue;
            }
        };
        let is_literal = !pattern.contains(['*', '?', '[']);
        if paths.is_empty() && is_literal {
            let message = format!("included file {} does not exist", full_pattern.display());
            report(Severity::Error, message);
        } else if paths.is_empty() {
            // An empty conf.d may be on purpose, but a typo in the pattern would silently
            // drop every number it was meant to bring in.
            let message = format!(
                "include pattern {pattern:?} matches no file (looked for {})",
                full_pattern.display()
            );
            report(Severity::Warning, message);
        }
        for path in paths {
            if !seen.insert(path.clone()) {
                continue;
            }
            match read_file(&path) {
                Ok(text) => files.push(SourceFile::new(path, text)),
                Err(read_error) => report(
                    Severity::Error,
                    format!("cannot read {}: {read_error}", path.display()),
                ),
            }
        }
    }
    files
}

/// Test helper: the config in `text`, read as `test.toml` with UTC as the system zone and
/// 2026-11-23 as today; panics (it is for tests) on any error.
#[cfg(test)]
pub(crate) fn config_from_text(text: &str) -> Config {
    let context = ReadContext {
        system_zone: crate::model::Zone {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        },
        today: jiff::civil::date(2026, 11, 23),
    };
    match load_with(Path::new("test.toml"), &context, |_| Ok(text.to_owned())) {
        Ok(loaded) => loaded.config,
        Err(diagnostics) => panic!("{diagnostics}"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use jiff::civil::date;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::model::Zone;

    fn context() -> ReadContext {
        ReadContext {
            system_zone: Zone {
                name: "UTC".into(),
                tz: TimeZone::UTC,
            },
            today: date(2026, 11, 23),
        }
    }

    /// Everything a load gives, as text.
    fn outcome(result: Result<Loaded, Diagnostics>) -> String {
        match result {
            Ok(loaded) => format!(
                "ok {:#?}\nwarnings {:?}\nfiles {:?}",
                loaded.config, loaded.warnings, loaded.files
            ),
            Err(diagnostics) => format!("refused\n{diagnostics}"),
        }
    }

    /// Loads the config at `main` in batches of every size in `sizes` and as a whole, through
    /// `read`, and checks they agree and that no file was read twice.
    fn assert_batches_agree(
        main: &Path,
        sizes: &[usize],
        read: impl Fn(&Path) -> io::Result<String>,
    ) -> String {
        let whole = {
            let text = read(main).expect("the main file reads");
            outcome(load_whole(
                SourceFile::new(main.to_path_buf(), text),
                &context(),
                &read,
            ))
        };
        for &size in sizes {
            let mut reads: HashMap<PathBuf, usize> = HashMap::new();
            let batched = outcome(load_in_batches(
                main,
                &context(),
                |path| {
                    let result = read(path);
                    if result.is_ok() {
                        *reads.entry(path.to_path_buf()).or_default() += 1;
                    }
                    result
                },
                size,
            ));
            assert_eq!(batched, whole, "batches of {size}");
            assert!(reads.values().all(|count| *count == 1), "{reads:?}");
        }
        whole
    }

    fn assert_text_agrees(text: &str) -> String {
        assert_batches_agree(Path::new("dir/config.toml"), &[1, 2, 3, 1000], |path| {
            if path == Path::new("dir/config.toml") {
                Ok(text.to_owned())
            } else {
                Err(io::Error::new(io::ErrorKind::NotFound, "not found"))
            }
        })
    }

    const TOP: &str = "[settings]\ntimezone = \"UTC\"\n\n[carriers.prepaid]\ntopup_valid_for = \"90d\"\ngrace = \"30d\"\n";

    fn numbers(count: usize) -> String {
        (0..count)
            .map(|i| {
                format!(
                    "\n[[number]]\nnumber = \"+9655{i:07}\"\nlabel = \"line {i}\"\ncarrier = \"prepaid\"\nlast_topup = 2026-10-{:02}\n",
                    i % 28 + 1
                )
            })
            .collect()
    }

    #[test]
    fn batches_give_what_whole_files_give() {
        let cases = [
            format!("{TOP}{}", numbers(7)),
            numbers(3),
            String::new(),
            TOP.to_owned(),
            // Problems in numbers, a duplicate across batches, a stale rule, sub-tables.
            format!(
                "{TOP}{}[[number]]\nnumber = \"+96550000001\"\ncarrier = \"prepaid\"\nlast_topup = 2026-10-02\n\
                 [[number]]\nnumber = \"+1 555 010 0199\"\ncarrier = \"prepiad\"\nlast_topup = 2026-13-02\nlabell = \"x\"\n\
                 [[number]]\nlabel = \"no number\"\n\
                 [[number]]\nnumber = \"+44 7700 900123\"\ntopup_valid_for = \"30d\"\nchecked = 2020-01-01\nlast_topup = 2026-11-01\n\
                 [[number]]\nnumber = \"+44 7700 900124\"\nfee = {{ amount = \"1\", every = \"1mo\" }}\n[number.balance]\namount = \"5\"\non = 2026-11-01\n\
                 [[number]]\nnumber = \"+44 7700 900125\"\nvalid_until = 2027-01-01\nemail = [\"a@example.org\"]\nremind_before = [\"3d\"]\n",
                numbers(3)
            ),
            // A `[[number]]` line inside multi-line strings and arrays.
            format!("{TOP}source = \"\"\"\n[[number]]\n\"\"\"\n{}", numbers(2)),
            format!(
                "{}[[number]]\nnumber = \"+96559999999\"\nlabel = \"\"\"\n[[number]]\nx\"\"\"\nvalid_until = 2027-01-01\n{}",
                numbers(2),
                numbers(2)
            ),
            format!(
                "{}[[number]]\nnumber = \"+96559999999\"\nemail = [\n[[number]]\n]\n{}",
                numbers(2),
                numbers(2)
            ),
            // Keys after the numbers, and numbers written other ways.
            format!(
                "{}[carriers.late]\nvalid_until = 2027-01-01\n{}",
                numbers(2),
                numbers(2)
            ),
            format!("{}[settings]\ntimezone = \"UTC\"\n", numbers(3)),
            format!("{TOP}number = [{{ number = \"+96551234567\", valid_until = 2027-01-01 }}]\n"),
            format!(
                "{TOP}number = [{{ number = \"+96551234567\", valid_until = 2027-01-01 }}]\n{}",
                numbers(2)
            ),
            format!("{TOP}[number]\nnumber = \"+96551234567\"\n{}", numbers(2)),
            format!(
                "{TOP}[[ number ]]\nnumber = \"+96551234567\"\nvalid_until = 2027-01-01\n{}",
                numbers(2)
            ),
            format!(
                "{TOP}  [[number]]  # first\nnumber = \"+96551234567\"\nvalid_until = 2027-01-01\n\t[[number]]\t\nnumber = \"+96551234568\"\nvalid_until = 2027-01-01\n"
            ),
            // Syntax errors before, among and after the numbers.
            format!("{TOP}oops\n{}", numbers(3)),
            format!(
                "{}[[number]]\nnumber = \"+96551234567\nvalid_until = 2027-01-01\n{}",
                numbers(2),
                numbers(2)
            ),
            format!(
                "{}[[number]]\nnumber = \"+96551234567\"\nnumber = \"+96551234568\"\n{}",
                numbers(2),
                numbers(2)
            ),
            format!("{}[[number]]\n[number]\n", numbers(2)),
            format!("{}[[number]]\n", numbers(2)),
            format!("{}oops = ", numbers(2)),
            // Line ends and odd bytes.
            format!("{TOP}{}", numbers(3)).replace('\n', "\r\n"),
            format!(
                "\u{feff}[[number]]\nnumber = \"+96551234567\"\nvalid_until = 2027-01-01\n{}",
                numbers(2)
            ),
            format!("{}[[number]]\r\nnumber = \"+96551234567\"\r", numbers(2)),
            format!("{}[[number]]\nlabel = \"é \u{0}\"\n", numbers(2)),
        ];
        for text in &cases {
            assert_text_agrees(text);
        }
    }

    /// Writes a main file including `count` files of one number each; returns its path.
    fn many_included_files(dir: &Path, count: usize) -> PathBuf {
        let included = dir.join("conf.d");
        std::fs::create_dir_all(&included).unwrap();
        for i in 0..count {
            let text = format!(
                "[[number]]\nnumber = \"+9655{i:07}\"\ncarrier = \"prepaid\"\nlast_topup = 2026-10-01\n"
            );
            std::fs::write(included.join(format!("n{i:05}.toml")), text).unwrap();
        }
        let main = dir.join("config.toml");
        std::fs::write(&main, format!("include = [\"conf.d/*.toml\"]\n{TOP}")).unwrap();
        main
    }

    /// Ten thousand included files load, each once. How long that takes is the benchmark's
    /// to say (`benches/run.sh` times `check` on 1,000 and 10,000 included files: it was
    /// quadratic, 7.9 s for 10,000 in a debug build, now linear).
    #[test]
    fn ten_thousand_included_files_load() {
        let dir = tempfile::tempdir().unwrap();
        let main = many_included_files(dir.path(), 10_000);
        let loaded = load(&main, &context()).unwrap();
        assert_eq!(loaded.config.numbers.len(), 10_000);
        assert_eq!(loaded.files.len(), 10_001);
    }

    /// A file matched by several patterns, or by the main file's own, is read once, and an
    /// unreadable one is reported once.
    #[test]
    fn files_matched_twice_are_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let main = many_included_files(dir.path(), 3);
        std::fs::write(
            &main,
            format!("include = [\"conf.d/*.toml\", \"conf.d/n00001.toml\", \"*.toml\", \"conf.d/*\", \"conf.d/b*\"]\n{TOP}"),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("conf.d/broken")).unwrap();
        let mut reads: HashMap<PathBuf, usize> = HashMap::new();
        let result = load_with(&main, &context(), |path| {
            *reads.entry(path.to_path_buf()).or_default() += 1;
            std::fs::read_to_string(path)
        });
        assert!(reads.values().all(|count| *count == 1), "{reads:?}");
        assert_eq!(reads.len(), 5, "{reads:?}");
        let diagnostics = result.unwrap_err();
        assert_eq!(diagnostics.items.len(), 1, "{diagnostics}");
        assert!(
            diagnostics.items[0].message.contains("conf.d/broken"),
            "{diagnostics}"
        );
    }

    #[test]
    fn batches_of_included_files_give_what_whole_files_give() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("config.toml");
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        let read = |path: &Path| std::fs::read_to_string(path);
        let include = "include = [\"more/*.toml\", \"missing.toml\"]\n";
        std::fs::create_dir(dir.path().join("more")).unwrap();
        let cases: [(&str, &str, &str); 7] = [
            (include, "[carriers.other]\nvalid_until = 2027-01-01\n", ""),
            (include, "", ""),
            // The same numbers in two files, and in the main one.
            (include, "", ""),
            // A syntax error among an included file's numbers.
            (include, "", "[[number]]\nnumber = \"+1\n"),
            // Settings after an included file's numbers.
            (include, "", "[settings]\ntimezone = \"UTC\"\n"),
            // The main file falls back after reading the included ones.
            (include, "[carriers.late]\nvalid_until = 2027-01-01\n", ""),
            (
                "include = [\"more/*.toml\"]\n[settings]\ntimezone = \"UTC\"\n",
                "",
                "",
            ),
        ];
        for (index, (top, main_tail, included_tail)) in cases.iter().enumerate() {
            let main_numbers = if index == 2 {
                numbers(3)
            } else {
                String::new()
            };
            write(
                "config.toml",
                &format!("{top}{TOP}{main_numbers}{}{main_tail}", numbers(0)),
            );
            write(
                "more/a.toml",
                &format!(
                    "[carriers.a]\nvalid_until = 2027-01-01\n{}{included_tail}",
                    numbers(4)
                ),
            );
            write("more/b.toml", &numbers(2));
            let outcome = assert_batches_agree(&main, &[1, 3, 1000], read);
            assert!(outcome.contains("missing.toml") || index == 6, "{outcome}");
        }
    }

    /// Config lines of every kind, valid and not, in any order.
    fn config_line() -> impl Strategy<Value = String> {
        let header = prop::sample::select(vec![
            "[[number]]",
            "[[number]]",
            "[[number]]",
            "[[number]]",
            " [[number]] # c",
            "[[ number ]]",
            "[number]",
            "[number.balance]",
            "[number.fee]",
            "[[number.x]]",
            "[settings]",
            "[carriers.prepaid]",
            "[carriers.other]",
            "[email]",
            "[[carriers]]",
        ]);
        let key = prop::sample::select(vec![
            "number",
            "number",
            "label",
            "carrier",
            "last_topup",
            "last_used",
            "valid_until",
            "topup_valid_for",
            "use_every",
            "grace",
            "checked",
            "status",
            "paused_since",
            "pause_max",
            "amount",
            "on",
            "balance",
            "fee",
            "email",
            "remind_before",
            "timezone",
            "labell",
            "include",
            "balance.amount",
            "\"number\"",
        ]);
        let value = prop::sample::select(vec![
            "\"+965 5123 4567\"",
            "\"+96551234568\"",
            "\"+1 555 010 0199\"",
            "\"12\"",
            "\"prepaid\"",
            "\"other\"",
            "\"nope\"",
            "\"90d\"",
            "\"1mo\"",
            "\"x\"",
            "\"\"",
            "\"retired\"",
            "\"UTC\"",
            "2026-11-01",
            "2020-01-01",
            "2026-02-30",
            "2027-06-30",
            "12",
            "true",
            "[\"3d\", \"1d\"]",
            "[\"a@example.org\"]",
            "{ amount = \"5\", on = 2026-11-01 }",
            "{ amount = \"1\", every = \"1mo\" }",
            "\"\"\"",
            "'''",
            "[",
            "]",
            "\"open",
        ]);
        let end = prop::sample::select(vec!["\n", "\n", "\n", "\r\n", "\n\n", " # c\n"]);
        prop_oneof![
            1 => (header, end.clone()).prop_map(|(header, end)| format!("{header}{end}")),
            4 => (key, value, end).prop_map(|(key, value, end)| format!("{key} = {value}{end}")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]
        #[test]
        fn random_configs_load_the_same_in_batches(
            lines in prop::collection::vec(config_line(), 0..24),
            plain in 0usize..4,
        ) {
            let text = format!("{TOP}{}{}", numbers(plain), lines.concat());
            assert_text_agrees(&text);
        }
    }
}
