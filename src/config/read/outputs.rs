//! `[calendar]`: where the daemon keeps the calendar file (DESIGN.md §3, §5).

use std::path::PathBuf;

use super::values::FileReader;
use super::{Value, get};

const CALENDAR_KEYS: &[&str] = &["path"];

impl FileReader<'_> {
    /// The calendar file's path.
    pub(super) fn calendar(&mut self, value: &Value<'_>) -> Option<PathBuf> {
        let table = self.table("calendar", value)?;
        self.check_keys(table, CALENDAR_KEYS, "[calendar]", |_| None);
        match get(table, "path") {
            Some(path) => self.single_line_string("path", path).map(PathBuf::from),
            None => {
                self.error(
                    value.span(),
                    "[calendar] needs `path`, like \"/var/lib/numkeep/numkeep.ics\"",
                );
                None
            }
        }
    }
}
