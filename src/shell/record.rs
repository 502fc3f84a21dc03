//! `numkeep renew` and `numkeep add`: record what the user did in the config file.
//!
//! Both refuse (exit 2, every file left byte for byte as it was) a date in the future (in the
//! number's carrier's calendar), an unknown number (naming every file searched) and any edit
//! after which the config would not validate; they warn on stderr when a date is older than
//! the one it replaces and when an action matches no rule of the number. The edit itself is
//! `config::edit`'s; the whole config is read again with the edited text before the atomic
//! write.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::config::edit::{Change, EditError, NewNumber, Renewal, append_number, apply_renewal};
use crate::config::{self, Loaded, ReadContext};
use crate::engine::status::{Now, carrier_zone, evaluate_number};
use crate::model::money::parse_money;
use crate::model::phone::normalize_number;
use crate::model::{Config, NumberEntry, TopupValidity, Zone};
use crate::render;
use crate::render::notice::{KeyChange, Recorded};

use super::app::{Failure, core_now, load_config};
use super::clock;
use super::files::write_atomically;

/// `renew`'s flags.
#[derive(Debug, Default)]
pub struct RenewArgs {
    pub topup: Option<Option<String>>,
    pub used: bool,
    pub balance: Option<String>,
    pub pause: bool,
    pub resume: bool,
    pub valid_until: Option<String>,
    pub on: Option<String>,
    pub dry_run: bool,
}

/// `add`'s flags.
#[derive(Debug, Default)]
pub struct AddArgs {
    pub carrier: String,
    pub label: Option<String>,
    pub topup: Option<Option<String>>,
    pub used: bool,
    pub on: Option<String>,
    pub bound_to: Vec<String>,
    pub notes: Option<String>,
    pub file: Option<PathBuf>,
    pub dry_run: bool,
}

fn parse_amount(flag: &str, text: &str) -> Result<Decimal, Failure> {
    parse_money(text).map_err(|message| Failure::Usage(format!("{flag}: {message}")))
}

fn parse_date(flag: &str, text: Option<&str>) -> Result<Option<Date>, Failure> {
    text.map(|text| {
        text.parse::<Date>()
            .map_err(|_| Failure::Usage(format!("{flag} {text:?}: write a date like 2026-11-23")))
    })
    .transpose()
}

fn parse_topup(topup: Option<Option<String>>) -> Result<Option<Option<Decimal>>, Failure> {
    Ok(match topup {
        None => None,
        Some(None) => Some(None),
        Some(Some(amount)) => Some(Some(parse_amount("--topup", &amount)?)),
    })
}

fn warn(message: &str) {
    eprintln!("numkeep: warning: {message}");
}

/// The day recorded: `--on`, refused when it is after today in the carrier's calendar, else
/// today there (what the carrier's own records will say, DESIGN.md §2).
fn recorded_day(config: &Config, zone: &Zone, on: Option<Date>) -> Result<Date, Failure> {
    let today = core_now(config, None)?.today_in(&zone.tz);
    match on {
        Some(date) if date > today => Err(Failure::Usage(format!(
            "--on {date} is in the future: today is {today} in {} (the carrier's calendar); nothing was written",
            zone.name
        ))),
        Some(date) => Ok(date),
        None => Ok(today),
    }
}

/// "+965… is not in a, b or c": every file the config was read from.
fn not_found(number: &str, loaded: &Loaded) -> Failure {
    let names: Vec<String> = loaded
        .files
        .iter()
        .map(|file| file.display().to_string())
        .collect();
    let list = match names.as_slice() {
        [] => String::from("the config"),
        [one] => one.clone(),
        [rest @ .., last] => format!(
            "{} or {last} (the {} files searched)",
            rest.join(", "),
            names.len()
        ),
    };
    Failure::Usage(format!("{number} is not in {list}"))
}

pub fn renew(path: &Path, number: &str, args: RenewArgs) -> Result<(), Failure> {
    let number = normalize_number(number)?;
    if args.topup.is_none()
        && !args.used
        && args.balance.is_none()
        && !args.pause
        && !args.resume
        && args.valid_until.is_none()
    {
        return Err(Failure::Usage(
            "say what happened: --topup [AMOUNT], --used, --balance AMOUNT, --pause, --resume or --valid-until DATE".into(),
        ));
    }
    let on = parse_date("--on", args.on.as_deref())?;
    let valid_until = parse_date("--valid-until", args.valid_until.as_deref())?;
    let topup = parse_topup(args.topup)?;
    let balance = args
        .balance
        .map(|amount| parse_amount("--balance", &amount))
        .transpose()?;
    let loaded = load_config(path, args.on.as_deref())?;
    let config = &loaded.config;
    let entry = config
        .numbers
        .iter()
        .find(|entry| entry.number == number)
        .ok_or_else(|| not_found(&number, &loaded))?;
    let on = recorded_day(config, carrier_zone(entry, &config.settings), on)?;
    let rules = entry.effective_rules();
    if let (Some(None), Some(TopupValidity::ByAmount(_))) = (&topup, rules.topup_valid_for) {
        return Err(Failure::Usage(format!(
            "{number}: its top-up validity depends on the amount: give it, as in --topup 5.000"
        )));
    }
    if args.resume && !entry.is_paused() {
        return Err(Failure::Usage(format!(
            "--resume: {number} is not paused (it has no paused_since); nothing was written"
        )));
    }
    warn_about_rules(entry, topup.is_some(), args.used, balance.is_some());
    warn_about_older_dates(entry, on, topup.is_some(), args.used, balance.is_some());
    if args.pause
        && let Some(since) = entry.paused_since()
    {
        warn_if_older("--pause", "paused_since", on, since);
    }
    if args.resume
        && let Some(since) = entry.paused_since()
        && on < since
    {
        warn(&format!(
            "--resume --on {on} is before the pause began (paused_since {since})"
        ));
    }
    if let (Some(new), Some(old)) = (valid_until, entry.valid_until)
        && new < old
    {
        warn(&format!(
            "--valid-until {new} is earlier than the recorded valid_until {old}; writing it anyway"
        ));
    }
    // Keep the billing day: without an explicit `next_charge` the anchor defaults to the
    // balance date + the fee period, which a new balance date would move. Write the old
    // default down first. An explicit anchor stays as written; the engine steps from it.
    let next_charge = match (balance, rules.fee, entry.next_charge()) {
        (Some(_), Some(fee), None) => entry.fee_anchor(fee),
        _ => None,
    };
    let renewal = Renewal {
        topup,
        used: args.used,
        balance,
        next_charge,
        pause: args.pause,
        resume: args.resume,
        valid_until,
        ..Renewal::on(on)
    };
    let file = entry.location.path.to_path_buf();
    let original = read(&file)?;
    let edited = apply_renewal(&original, &number, &renewal).map_err(|error| match error {
        EditError::Unparsable => Failure::Runtime(format!("cannot parse {}", file.display())),
        EditError::NumberNotFound => Failure::Usage(format!(
            "{number} is written in {} in a form `renew` cannot edit (it must be a [[number]] table)",
            file.display()
        )),
        EditError::Unsupported(key) => Failure::Usage(format!(
            "{number}: `{key}` is written in {} in a form `renew` cannot edit in place (write it as `{key} = …` on a line of its own); nothing was written",
            file.display()
        )),
    })?;
    let recorded = if args.dry_run {
        Recorded::DryRun
    } else {
        Recorded::Written
    };
    save_and_answer(
        path,
        &file,
        &number,
        on,
        &original,
        &edited.text,
        &edited.changes,
        recorded,
    )
    .map(drop)
}

/// Warns when an action matches no rule of the number.
fn warn_about_rules(entry: &NumberEntry, topup: bool, used: bool, balance: bool) {
    let rules = entry.effective_rules();
    let number = &entry.number;
    let counts_as_use = rules.topup_counts_as_use && rules.use_every.is_some();
    if used && rules.use_every.is_none() {
        let hint = if rules.topup_valid_for.is_some() {
            "; did you mean `--topup`?"
        } else if rules.fee.is_some() {
            "; did you mean `--balance AMOUNT`?"
        } else {
            ""
        };
        warn(&format!(
            "`--used`: no activity rule applies to {number}{hint}"
        ));
    }
    if topup && rules.topup_valid_for.is_none() && !counts_as_use {
        let hint = if rules.use_every.is_some() {
            "; did you mean `--used`?"
        } else if rules.fee.is_some() {
            "; did you mean `--balance AMOUNT`?"
        } else {
            ""
        };
        warn(&format!(
            "`--topup`: no top-up rule applies to {number}{hint}"
        ));
    }
    if balance && rules.fee.is_none() {
        warn(&format!("`--balance`: no fee applies to {number}"));
    }
}

fn warn_if_older(flag: &str, key: &str, new: Date, old: Date) {
    if new < old {
        warn(&format!(
            "{flag} --on {new} is older than the recorded {key} {old}; writing it anyway"
        ));
    }
}

fn warn_about_older_dates(entry: &NumberEntry, on: Date, topup: bool, used: bool, balance: bool) {
    if topup && let Some(old) = entry.last_topup {
        warn_if_older("--topup", "last_topup", on, old);
    }
    if used && let Some(old) = entry.last_used {
        warn_if_older("--used", "last_used", on, old);
    }
    if balance && let Some(old) = entry.balance() {
        warn_if_older("--balance", "balance.on", on, old.on);
    }
}

fn read(file: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(file)
        .map_err(|error| Failure::Runtime(format!("cannot read {}: {error}", file.display())))
}

pub fn add(path: &Path, number: &str, args: AddArgs) -> Result<(), Failure> {
    let number = normalize_number(number)?;
    let on = parse_date("--on", args.on.as_deref())?;
    let topup = parse_topup(args.topup)?;
    let loaded = load_config(path, args.on.as_deref())?;
    let config = &loaded.config;
    if let Some(existing) = config.numbers.iter().find(|entry| entry.number == number) {
        return Err(Failure::Usage(format!(
            "{number} is already in {} (line {}); use `numkeep renew` to record what happened",
            existing.location.path.display(),
            existing.location.line
        )));
    }
    let file = match &args.file {
        None => path.to_path_buf(),
        Some(file) => loaded
            .files
            .iter()
            .find(|known| same_file(known, file))
            .cloned()
            .ok_or_else(|| {
                let names: Vec<String> = loaded
                    .files
                    .iter()
                    .map(|file| file.display().to_string())
                    .collect();
                Failure::Usage(format!(
                    "--file {}: not a file of this config; use one of: {}",
                    file.display(),
                    names.join(", ")
                ))
            })?,
    };
    let carrier = config
        .carriers
        .iter()
        .find(|carrier| carrier.id == args.carrier);
    let zone = carrier
        .and_then(|carrier| carrier.rules.timezone.as_ref())
        .unwrap_or(&config.settings.timezone);
    let on = recorded_day(config, zone, on)?;
    if let (Some(None), Some(TopupValidity::ByAmount(_))) = (
        &topup,
        carrier.and_then(|carrier| carrier.rules.topup_valid_for.as_ref()),
    ) {
        return Err(Failure::Usage(format!(
            "{number}: the top-up validity of {} depends on the amount: give it, as in --topup 5.000",
            args.carrier
        )));
    }
    let new = NewNumber {
        number: number.to_string(),
        label: args.label,
        carrier: args.carrier,
        last_topup: topup.is_some().then_some(on),
        last_topup_amount: topup.flatten(),
        last_used: args.used.then_some(on),
        bound_to: args.bound_to,
        notes: args.notes,
    };
    let original = read(&file)?;
    let edited = append_number(&original, &new);
    let mut changes = vec![Change {
        key: "number",
        old: None,
        new: Some(format!("\"{number}\"")),
    }];
    for (key, date) in [("last_topup", new.last_topup), ("last_used", new.last_used)] {
        if let Some(date) = date {
            changes.push(Change {
                key,
                old: None,
                new: Some(date.to_string()),
            });
        }
    }
    let recorded = if args.dry_run {
        Recorded::DryRun
    } else {
        Recorded::Added
    };
    let added = save_and_answer(
        path, &file, &number, on, &original, &edited, &changes, recorded,
    )?;
    if let Some(entry) = added
        .config
        .numbers
        .iter()
        .find(|entry| entry.number == number)
    {
        warn_about_rules(entry, topup.is_some(), args.used, false);
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

/// The whole config as it would be with `edited` in place of `file`; when it would not be
/// valid, says so (nothing is written) and gives every problem. `renew`, `add` and `retire`
/// all check an edit this way before writing it.
pub(super) fn validate_edit(
    path: &Path,
    file: &Path,
    edited: &str,
    on: Date,
) -> Result<Loaded, Failure> {
    let context = ReadContext {
        system_zone: clock::system_zone(),
        today: on,
    };
    config::load_with(path, &context, |candidate| {
        if candidate == file {
            Ok(edited.to_owned())
        } else {
            std::fs::read_to_string(candidate)
        }
    })
    .map_err(|diagnostics| {
        eprintln!("numkeep: the config would be invalid after this change; nothing was written:");
        Failure::Config(diagnostics)
    })
}

/// Validates the edit, writes it (unless a dry run: then prints the diff) and prints the
/// answer: what changed, old → new, and the number's next deadline. Returns the config as
/// edited.
#[allow(clippy::too_many_arguments)]
fn save_and_answer(
    path: &Path,
    file: &Path,
    number: &str,
    on: Date,
    original: &str,
    edited: &str,
    changes: &[Change],
    recorded: Recorded,
) -> Result<Loaded, Failure> {
    let renewed = validate_edit(path, file, edited, on)?;
    let name = file.display().to_string();
    if recorded == Recorded::DryRun {
        print!("{}", render::diff::unified(&name, original, edited));
    } else {
        write_atomically(file, edited.as_bytes())
            .map_err(|error| Failure::Runtime(format!("cannot write {name}: {error}")))?;
    }
    let config = &renewed.config;
    if let Some(entry) = config.numbers.iter().find(|entry| entry.number == number) {
        let now = core_now(config, None)?;
        // `--on` is never after the carrier's today; a number in a zone ahead of the user's
        // may still be judged from the day recorded.
        let now = if on > now.today_in(&carrier_zone(entry, &config.settings).tz) {
            Now::on_day(on)
        } else {
            now
        };
        let report = evaluate_number(config, entry, now);
        let changes: Vec<KeyChange<'_>> = changes
            .iter()
            .map(|change| KeyChange {
                key: change.key,
                old: change.old.as_deref(),
                new: change.new.as_deref(),
            })
            .collect();
        let answer = render::notice::renewed(&config.settings, &report, &name, recorded, &changes);
        // A dry run's standard output is the diff alone, for `patch`; the answer goes aside.
        if recorded == Recorded::DryRun {
            eprintln!("{answer}");
        } else {
            println!("{answer}");
        }
    }
    Ok(renewed)
}
