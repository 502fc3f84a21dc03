//! In-place edits of a config file for `numkeep renew`, keeping comments, order and layout.
//! Pure: text in, text out.

use jiff::civil::Date;
use rust_decimal::Decimal;
use toml_edit::{DocumentMut, InlineTable, Item, Value};

use crate::model::phone::normalize_number;

/// What the user did with a number.
#[derive(Clone, Debug, PartialEq)]
pub struct Renewal {
    pub on: Date,
    pub topup: Option<Option<Decimal>>,
    pub used: bool,
    pub balance: Option<Decimal>,
    /// A billing anchor to write (the fee's next charge on or after `on`), so that a new
    /// balance date does not move the billing day.
    pub next_charge: Option<Date>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum EditError {
    /// The file is not valid TOML (the loader reports where).
    Unparsable,
    /// No `[[number]]` in this file has that number.
    NumberNotFound,
}

/// Applies `renewal` to the `[[number]]` whose normalised number is `number`.
pub fn apply_renewal(text: &str, number: &str, renewal: &Renewal) -> Result<String, EditError> {
    let mut document: DocumentMut = text.parse().map_err(|_| EditError::Unparsable)?;
    let entries = document
        .get_mut("number")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or(EditError::NumberNotFound)?;
    let entry = entries
        .iter_mut()
        .find(|entry| {
            entry
                .get("number")
                .and_then(Item::as_str)
                .and_then(|text| normalize_number(text).ok())
                .is_some_and(|normalized| normalized == number)
        })
        .ok_or(EditError::NumberNotFound)?;

    if let Some(amount) = &renewal.topup {
        set(entry, "last_topup", date_value(renewal.on));
        if let Some(amount) = amount {
            set(entry, "last_topup_amount", Value::from(amount.to_string()));
        }
    }
    if renewal.used {
        set(entry, "last_used", date_value(renewal.on));
    }
    if let Some(amount) = renewal.balance {
        let mut balance = InlineTable::new();
        balance.insert("amount", Value::from(amount.to_string()));
        balance.insert("on", date_value(renewal.on));
        set(entry, "balance", Value::InlineTable(balance));
    }
    if let Some(next_charge) = renewal.next_charge {
        set(entry, "next_charge", date_value(next_charge));
    }
    Ok(document.to_string())
}

/// A change in a number's life, for `numkeep retire`: its `status` and the date that goes
/// with it (`retire_by` for "retiring", `retired_on` for "retired").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifeChange {
    /// Start cancelling: `status = "retiring"`, `retire_by = DATE`.
    Retiring { by: Date },
    /// Cancelled: `status = "retired"`, `retired_on = DATE`.
    Retired { on: Date },
}

/// Applies `change` to the `[[number]]` whose normalised number is `number`, keeping
/// comments and layout like [`apply_renewal`]; other keys (a `retire_by` kept as a record
/// once retired) stay as written.
pub fn apply_life_change(
    text: &str,
    number: &str,
    change: LifeChange,
) -> Result<String, EditError> {
    let mut document: DocumentMut = text.parse().map_err(|_| EditError::Unparsable)?;
    let entry = document
        .get_mut("number")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or(EditError::NumberNotFound)?
        .iter_mut()
        .find(|entry| {
            entry
                .get("number")
                .and_then(Item::as_str)
                .and_then(|text| normalize_number(text).ok())
                .is_some_and(|normalized| normalized == number)
        })
        .ok_or(EditError::NumberNotFound)?;
    let (status, key, date) = match change {
        LifeChange::Retiring { by } => ("retiring", "retire_by", by),
        LifeChange::Retired { on } => ("retired", "retired_on", on),
    };
    set(entry, "status", Value::from(status));
    set(entry, key, date_value(date));
    Ok(document.to_string())
}

fn date_value(date: Date) -> Value {
    // Dates in the supported range always have a four-digit year and valid month and day.
    Value::from(toml_edit::Datetime {
        date: Some(toml_edit::Date {
            year: u16::try_from(date.year()).unwrap_or(0),
            month: date.month().unsigned_abs(),
            day: date.day().unsigned_abs(),
        }),
        time: None,
        offset: None,
    })
}

/// Sets `key`, keeping the old value's surrounding whitespace and trailing comment.
fn set(table: &mut toml_edit::Table, key: &str, mut value: Value) {
    match table.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) => {
            *value.decor_mut() = old.decor().clone();
            *old = value;
        }
        None => {
            table.insert(key, Item::Value(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const CONFIG: &str = r#"# my numbers
[[number]]
number = "+965 5123 4567"   # Zain
last_topup = 2026-09-01     # keep this comment
last_topup_amount = "5.000"

[[number]]
number = "+44 7700 900123"
last_used = 2026-06-01 # giffgaff
"#;

    fn renewal() -> Renewal {
        Renewal {
            on: date(2026, 11, 23),
            topup: None,
            used: false,
            balance: None,
            next_charge: None,
        }
    }

    #[test]
    fn topup_keeps_comments_and_layout() {
        let change = Renewal {
            topup: Some(Some(Decimal::new(10_000, 3))),
            ..renewal()
        };
        let edited = apply_renewal(CONFIG, "+96551234567", &change).unwrap();
        let expected = CONFIG
            .replace("2026-09-01     #", "2026-11-23     #")
            .replace("\"5.000\"", "\"10.000\"");
        assert_eq!(edited, expected);
    }

    #[test]
    fn used_adds_or_replaces_only_its_key() {
        let change = Renewal {
            used: true,
            ..renewal()
        };
        let edited = apply_renewal(CONFIG, "+447700900123", &change).unwrap();
        assert_eq!(
            edited,
            CONFIG.replace("2026-06-01 # giffgaff", "2026-11-23 # giffgaff")
        );
        let edited = apply_renewal(CONFIG, "+96551234567", &change).unwrap();
        assert!(edited.contains("last_topup_amount = \"5.000\"\nlast_used = 2026-11-23\n"));
    }

    #[test]
    fn balance_is_written_as_an_inline_table() {
        let change = Renewal {
            balance: Some(Decimal::new(1250, 2)),
            next_charge: Some(date(2026, 12, 1)),
            ..renewal()
        };
        let edited = apply_renewal(CONFIG, "+447700900123", &change).unwrap();
        assert!(
            edited.contains("balance = { amount = \"12.50\", on = 2026-11-23 }"),
            "{edited}"
        );
        assert!(edited.contains("next_charge = 2026-12-01"), "{edited}");
    }

    #[test]
    fn retiring_and_retired_set_the_status_and_their_date() {
        let by = date(2026, 12, 14);
        let edited = apply_life_change(CONFIG, "+447700900123", LifeChange::Retiring { by });
        assert_eq!(
            edited.unwrap(),
            CONFIG.replace(
                "last_used = 2026-06-01 # giffgaff\n",
                "last_used = 2026-06-01 # giffgaff\nstatus = \"retiring\"\nretire_by = 2026-12-14\n"
            )
        );
        let retiring = CONFIG.replace(
            "# giffgaff\n",
            "# giffgaff\nstatus = \"retiring\" # since Nov\nretire_by = 2026-12-14\n",
        );
        let on = date(2026, 12, 10);
        let edited = apply_life_change(&retiring, "+447700900123", LifeChange::Retired { on });
        assert_eq!(
            edited.unwrap(),
            retiring.replace(
                "\"retiring\" # since Nov\nretire_by = 2026-12-14\n",
                "\"retired\" # since Nov\nretire_by = 2026-12-14\nretired_on = 2026-12-10\n"
            )
        );
        assert_eq!(
            apply_life_change(CONFIG, "+15550100199", LifeChange::Retired { on }),
            Err(EditError::NumberNotFound)
        );
    }

    #[test]
    fn unknown_numbers_and_bad_files_are_refused() {
        assert_eq!(
            apply_renewal(CONFIG, "+15550100199", &renewal()),
            Err(EditError::NumberNotFound)
        );
        assert_eq!(
            apply_renewal("[[number]\n", "+15550100199", &renewal()),
            Err(EditError::Unparsable)
        );
    }
}
