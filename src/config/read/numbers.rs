//! `[[number]]` tables: a number's keys, and the checks across them (each rule finds the
//! date it counts from, some rule gives a deadline, the deadlines stay in the date range).

use std::ops::Range;
use std::sync::Arc;

use crate::engine::deadline::deadlines_in_range;
use crate::model::catalogue::{builtin_carrier, builtin_carriers};
use crate::model::phone::normalize_number;
use crate::model::{Balance, LineStatus, Location, NumberEntry, TopupValidity};

use super::rules::{RULE_KEYS, concat};
use super::values::{FileReader, ZoneCache, closest_match};
use super::{Carriers, ReadContext, Table, Value};

pub(super) const NUMBER_ONLY_KEYS: &[&str] = &[
    "number",
    "label",
    "carrier",
    "last_topup",
    "last_topup_amount",
    "last_used",
    "balance",
    "next_charge",
    "valid_until",
    "paused_since",
    "resumed_on",
    "status",
    "retire_by",
    "retired_on",
    "bound_to",
    "notes",
    "email",
    "remind_before",
    "notify",
];
/// The keys a `[[number]]` table may hold.
pub(super) const NUMBER_KEYS: [&str; NUMBER_ONLY_KEYS.len() + RULE_KEYS.len()] =
    concat(NUMBER_ONLY_KEYS, RULE_KEYS);

impl FileReader<'_> {
    pub(super) fn number<'i>(
        &mut self,
        table: &(impl Table<'i> + ?Sized),
        span: Range<usize>,
        location: Location,
        carriers: &Carriers,
        context: &ReadContext,
        zones: &mut ZoneCache,
    ) -> Option<NumberEntry> {
        let errors_before = self.errors;
        self.check_keys(table, &NUMBER_KEYS, "[[number]]", |_| None);
        let (phone, number_span) = match table.value("number") {
            Some(value) => {
                let phone = self.str("number", value).and_then(|text| {
                    normalize_number(text)
                        .map_err(|message| self.error(value.span(), message.0))
                        .ok()
                });
                (phone, value.span())
            }
            None => {
                self.error(
                    span.clone(),
                    "[[number]] needs `number`, like \"+965 5123 4567\"",
                );
                (None, span)
            }
        };
        // Without a valid number the table is not kept, but the rest is still read, so
        // that every problem in it is reported at once.
        let mut number = NumberEntry::new(phone.unwrap_or_default(), location);
        number.set_own_rules(self.rule_set(table, context, zones));
        for (key, value) in table.entries() {
            match key.get_ref().as_ref() {
                "label" => number.label = self.string("label", value).map(String::into_boxed_str),
                "carrier" => {
                    if let Some(id) = self.str("carrier", value) {
                        let builtin = builtin_carrier(id);
                        match (carriers.by_id.get(id), builtin) {
                            (Some(known), _) => number.carrier = Some(Arc::clone(&known.carrier)),
                            (None, Some(builtin)) => {
                                number.carrier = Some(carriers.builtin_for_number(builtin, zones));
                                if carriers.first_use_of_builtin(id) {
                                    self.warn_if_builtin_is_stale(
                                        value.span(),
                                        &builtin.carrier,
                                        context,
                                    );
                                }
                            }
                            (None, None) => {
                                let mut message = format!("unknown carrier `{id}`");
                                let carrier_ids: Vec<&str> = carriers
                                    .order
                                    .iter()
                                    .map(String::as_str)
                                    .chain(
                                        builtin_carriers()
                                            .iter()
                                            .map(|builtin| builtin.carrier.id.as_str()),
                                    )
                                    .collect();
                                match closest_match(id, &carrier_ids) {
                                    Some(suggestion) => {
                                        message
                                            .push_str(&format!("; did you mean `{suggestion}`?"));
                                    }
                                    None => {
                                        message.push_str(&format!("; define it as [carriers.{id}]"))
                                    }
                                }
                                self.error(value.span(), message);
                            }
                        }
                    }
                }
                "last_topup" => number.last_topup = self.date("last_topup", value),
                "last_topup_amount" => {
                    number.set_last_topup_amount(self.money("last_topup_amount", value));
                }
                "last_used" => number.last_used = self.date("last_used", value),
                "balance" => number.set_balance(self.balance(value)),
                "next_charge" => number.set_next_charge(self.date("next_charge", value)),
                "valid_until" => number.valid_until = self.date("valid_until", value),
                "paused_since" => number.set_paused_since(self.date("paused_since", value)),
                "resumed_on" => number.set_resumed_on(self.date("resumed_on", value)),
                "retire_by" => number.set_retire_by(self.date("retire_by", value)),
                "retired_on" => number.set_retired_on(self.date("retired_on", value)),
                "bound_to" => number.set_bound_to(self.bound_to(value).unwrap_or_default()),
                "notes" => {
                    number.set_notes(self.string("notes", value).map(String::into_boxed_str))
                }
                "status" => {
                    if let Some(text) = self.str("status", value) {
                        match text {
                            "active" => number.status = LineStatus::Active,
                            "retiring" => number.status = LineStatus::Retiring,
                            "retired" => number.status = LineStatus::Retired,
                            other => self.error(
                                value.span(),
                                format!(
                                    "unknown status {other:?}: use \"active\", \"retiring\" or \"retired\""
                                ),
                            ),
                        }
                    }
                }
                "email" => {
                    number.set_own_recipients(self.mailboxes("email", value).unwrap_or_default());
                }
                "remind_before" => {
                    number.set_own_remind_before(self.periods("remind_before", value));
                }
                _ => {}
            }
        }
        if self.errors > errors_before {
            return None;
        }
        if number.status != LineStatus::Retired {
            self.check_rules_have_dates(&number, number_span);
        }
        (self.errors == errors_before).then_some(number)
    }

    /// `bound_to`: account names, one line each (they go into reminders).
    fn bound_to(&mut self, value: &Value<'_>) -> Option<Vec<Box<str>>> {
        let names = self.string_array("bound_to", value)?;
        let mut accounts = Vec::with_capacity(names.len());
        for (name, span) in names {
            if name.trim().is_empty() {
                self.error(span, "`bound_to`: an account name cannot be empty");
                continue;
            }
            accounts.push(name.into_boxed_str());
        }
        Some(accounts)
    }

    pub(super) fn balance(&mut self, value: &Value<'_>) -> Option<Balance> {
        let table = self.table("balance", value)?;
        self.check_keys(table, &["amount", "on"], "`balance`", |_| None);
        let amount = self.required(table, value, "amount", "`balance`", |reader, value| {
            reader.money("amount", value)
        });
        let on = self.required(table, value, "on", "`balance`", |reader, value| {
            reader.date("on", value)
        });
        Some(Balance {
            amount: amount?,
            on: on?,
        })
    }

    /// Every rule that applies must find the date it counts from, and some rule must give a
    /// deadline: otherwise the number could be lost without a word.
    pub(super) fn check_rules_have_dates(&mut self, number: &NumberEntry, span: Range<usize>) {
        let rules = number.effective_rules();
        let id = &number.number;
        let paused = number.is_paused();
        if !paused && let Some(validity) = rules.topup_valid_for {
            if number.last_topup.is_none() {
                self.error(
                    span.clone(),
                    format!(
                        "{id}: topup_valid_for needs `last_topup`, the date of the last top-up"
                    ),
                );
            }
            if let TopupValidity::ByAmount(tiers) = validity {
                match number.last_topup_amount() {
                    None => self.error(
                        span.clone(),
                        format!(
                            "{id}: topup_valid_for depends on the amount: set `last_topup_amount`"
                        ),
                    ),
                    Some(amount) if validity.validity_for(Some(amount)).is_none() => {
                        let lowest = tiers.first().map(|tier| tier.min).unwrap_or_default();
                        self.error(
                            span.clone(),
                            format!(
                                "{id}: last_topup_amount {amount} is below every topup_valid_for entry (the smallest min is {lowest})"
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
        if !paused
            && rules.use_every.is_some()
            && number.last_used.is_none()
            && !(rules.topup_counts_as_use && number.last_topup.is_some())
        {
            self.error(
                span.clone(),
                format!("{id}: use_every needs `last_used`, the date of the last use"),
            );
        }
        if let Some(fee) = rules.fee {
            match number.balance() {
                None => self.error(
                    span.clone(),
                    format!(
                        "{id}: fee needs `balance = {{ amount = \"…\", on = DATE }}`, the balance and the day it was read"
                    ),
                ),
                Some(_) => {
                    if fee.amount.is_zero() {
                        self.error(span.clone(), format!("{id}: fee amount must be more than zero"));
                    }
                }
            }
        }
        if paused && rules.pause_max.is_none() {
            self.error(
                span.clone(),
                format!(
                    "{id}: paused_since needs `pause_max`, the longest pause the carrier allows"
                ),
            );
        }
        let has_deadline = (!paused
            && (rules.topup_valid_for.is_some() || rules.use_every.is_some()))
            || rules.fee.is_some()
            || number.valid_until.is_some()
            || (paused && rules.pause_max.is_some())
            || (number.status == LineStatus::Retiring && number.retire_by().is_some());
        if !has_deadline {
            self.error(
                span.clone(),
                format!(
                    "{id}: no rule gives this number a deadline; set a carrier, a rule (topup_valid_for, use_every, fee), valid_until, or status = \"retired\""
                ),
            );
            return;
        }
        if !deadlines_in_range(number) {
            self.error(
                span,
                format!("{id}: a deadline falls outside the supported dates (years 0001–9999)"),
            );
        }
    }
}
