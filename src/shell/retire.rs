//! `numkeep retire`: start cancelling a number (`status = "retiring"`, `retire_by`), or
//! record it cancelled (`--done`: `status = "retired"`, `retired_on`). The config is
//! edited in place, validated whole, then replaced atomically, as `renew` does.

use std::path::Path;

use jiff::civil::Date;

use crate::config::edit::{EditError, LifeChange, apply_life_change};
use crate::engine::deadline::{default_retire_by, obligations};
use crate::engine::status::{carrier_zone, evaluate_number};
use crate::model::LineStatus;
use crate::model::phone::normalize_number;
use crate::render;

use super::app::{Failure, core_now, load_config};
use super::files::write_atomically;
use super::record::validate_edit;

/// What `retire` was asked to do.
pub struct RetireRequest<'a> {
    pub number: &'a str,
    /// `--by DATE`: the cancel-by day.
    pub by: Option<&'a str>,
    /// `--done`: the number is cancelled.
    pub done: bool,
    /// `--on DATE` (with `--done`): the day it was cancelled.
    pub on: Option<&'a str>,
    /// `--at WHEN`: evaluate as if now were WHEN (the default dates count from it).
    pub at: Option<&'a str>,
}

fn parse_date(flag: &str, text: &str) -> Result<Date, Failure> {
    text.parse::<Date>()
        .map_err(|_| Failure::Usage(format!("{flag} {text:?}: write a date like 2026-11-23")))
}

pub fn retire(path: &Path, request: &RetireRequest<'_>) -> Result<(), Failure> {
    let number = normalize_number(request.number)?;
    let by = request
        .by
        .map(|text| parse_date("--by", text))
        .transpose()?;
    let on = request
        .on
        .map(|text| parse_date("--on", text))
        .transpose()?;
    let loaded = load_config(path, request.at)?;
    let config = &loaded.config;
    let entry = config
        .numbers
        .iter()
        .find(|entry| entry.number == number)
        .ok_or_else(|| Failure::Usage(format!("{number} is not in {}", path.display())))?;
    // What the carrier's own records will say: today in its zone (DESIGN.md §2).
    let today = core_now(config, request.at)?.today_in(&carrier_zone(entry, &config.settings).tz);
    if entry.status == LineStatus::Retired {
        let since = entry
            .retired_on()
            .map_or(String::new(), |date| format!(" on {date}"));
        return Err(Failure::Usage(format!(
            "{number} is already retired{since}; nothing was written"
        )));
    }
    let change = if request.done {
        let on = on.unwrap_or(today);
        if on > today {
            return Err(Failure::Usage(format!(
                "--on {on} is in the future (today is {today} in the carrier's calendar); nothing was written"
            )));
        }
        LifeChange::Retired { on }
    } else {
        let by = match by {
            Some(by) => by,
            None => {
                let others = obligations(entry).unwrap_or_default();
                default_retire_by(entry, today, &others)
                    .map(|(date, _)| date)
                    .ok_or_else(|| {
                        Failure::Usage(format!(
                            "{number}: no fee or deadline to cancel before; give the day with --by DATE"
                        ))
                    })?
            }
        };
        LifeChange::Retiring { by }
    };

    let file = entry.location.path.to_path_buf();
    let original = std::fs::read_to_string(&file)
        .map_err(|error| Failure::Runtime(format!("cannot read {}: {error}", file.display())))?;
    let edited = apply_life_change(&original, &number, change)
        .map_err(|error| match error {
            EditError::Unparsable => Failure::Runtime(format!("cannot parse {}", file.display())),
            EditError::NumberNotFound => Failure::Usage(format!(
                "{number} is written in {} in a form `retire` cannot edit (it must be a [[number]] table)",
                file.display()
            )),
            EditError::Unsupported(key) => Failure::Usage(format!(
                "{number}: `{key}` is written in {} in a form `retire` cannot edit in place",
                file.display()
            )),
        })?
        .text;
    // Validate the whole config as it would be after the edit, before touching the file.
    let edited_config = validate_edit(path, &file, &edited, today)?;
    write_atomically(&file, edited.as_bytes())
        .map_err(|error| Failure::Runtime(format!("cannot write {}: {error}", file.display())))?;

    let edited_config = &edited_config.config;
    let settings = &edited_config.settings;
    let file = file.display().to_string();
    let answer = match change {
        LifeChange::Retired { on } => render::notice::retired(settings, &number, on, &file),
        LifeChange::Retiring { .. } => {
            let Some(entry) = edited_config
                .numbers
                .iter()
                .find(|entry| entry.number == number)
            else {
                return Ok(());
            };
            let report =
                evaluate_number(edited_config, entry, core_now(edited_config, request.at)?);
            render::notice::retiring(settings, &report, &file)
        }
    };
    println!("{answer}");
    Ok(())
}
