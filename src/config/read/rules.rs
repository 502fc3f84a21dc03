//! Carriers and the rule keys a carrier sets and a number may override.

use std::ops::Range;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use crate::model::period::Period;
use crate::model::{AmountTier, Carrier, Fee, GracePhase, RuleSet, TopupValidity, UseEvery};

use crate::model::catalogue::{builtin_carrier, builtin_carriers};

use super::values::{FileReader, ZoneCache, closest_match};
use super::{ReadContext, Table, Value, get};

/// Keys a carrier sets and a number may override.
pub(super) const RULE_KEYS: &[&str] = &[
    "timezone",
    "topup_valid_for",
    "use_every",
    "topup_counts_as_use",
    "fee",
    "pause_max",
    "grace",
    "source",
    "checked",
];
const CARRIER_ONLY_KEYS: &[&str] = &["name", "base"];
/// The keys a `[carriers.ID]` table may hold.
const CARRIER_KEYS: [&str; CARRIER_ONLY_KEYS.len() + RULE_KEYS.len()] =
    concat(CARRIER_ONLY_KEYS, RULE_KEYS);

pub(super) const fn concat<const N: usize>(
    a: &[&'static str],
    b: &[&'static str],
) -> [&'static str; N] {
    assert!(a.len() + b.len() == N);
    let mut keys = [""; N];
    let mut i = 0;
    while i < a.len() {
        keys[i] = a[i];
        i += 1;
    }
    while i < N {
        keys[i] = b[i - a.len()];
        i += 1;
    }
    keys
}

/// Whether a rule checked on `checked` is due for another look (a year on).
fn checked_over_a_year_ago(checked: jiff::civil::Date, context: &ReadContext) -> bool {
    Period::months(12)
        .after(checked)
        .is_some_and(|stale_from| stale_from <= context.today)
}

impl FileReader<'_> {
    pub(super) fn carriers(
        &mut self,
        value: &Value<'_>,
        context: &ReadContext,
        zones: &mut ZoneCache,
    ) -> Vec<(Arc<Carrier>, Range<usize>)> {
        let Some(table) = self.table("carriers", value) else {
            return Vec::new();
        };
        let mut carriers = Vec::with_capacity(table.len());
        for (id, value) in table {
            let Some(carrier_table) = self.table(id.get_ref(), value) else {
                continue;
            };
            let context_name = format!("[carriers.{}]", id.get_ref());
            self.check_keys(carrier_table, &CARRIER_KEYS, &context_name, |_| None);
            let mut name = get(carrier_table, "name").and_then(|name| self.string("name", name));
            let mut rules = self.rule_set(carrier_table, context, zones);
            if let Some(value) = get(carrier_table, "base")
                && let Some(base_id) = self.str("base", value)
            {
                match builtin_carrier(base_id) {
                    Some(base) => {
                        rules = rules.over(&base.carrier.rules);
                        if rules.timezone.is_none() {
                            rules.timezone = base.zone.and_then(|zone| zones.get(zone));
                        }
                        name = name.or_else(|| base.carrier.name.clone());
                        if get(carrier_table, "checked").is_none() {
                            self.warn_if_builtin_is_stale(value.span(), &base.carrier, context);
                        }
                    }
                    None => {
                        let ids: Vec<&str> = builtin_carriers()
                            .iter()
                            .map(|builtin| builtin.carrier.id.as_str())
                            .collect();
                        let hint = match closest_match(base_id, &ids) {
                            Some(suggestion) => format!("did you mean `{suggestion}`?"),
                            None => "`numkeep carriers` lists them".to_owned(),
                        };
                        self.error(
                            value.span(),
                            format!("unknown built-in carrier `{base_id}`; {hint}"),
                        );
                    }
                }
            }
            carriers.push((
                Arc::new(Carrier {
                    id: id.get_ref().to_string(),
                    name,
                    rules,
                }),
                id.span(),
            ));
        }
        carriers
    }

    /// Warns when built-in `carrier`, used by the config, was last checked over a year
    /// before `context.today`, saying how to pin it.
    pub(super) fn warn_if_builtin_is_stale(
        &mut self,
        span: Range<usize>,
        carrier: &Carrier,
        context: &ReadContext,
    ) {
        let Some(checked) = carrier.rules.checked else {
            return;
        };
        if !checked_over_a_year_ago(checked, context) {
            return;
        }
        let id = &carrier.id;
        self.warning(
            span,
            format!(
                "the built-in rule of `{id}` was last checked on {checked}, over a year ago: verify it with the carrier (`numkeep carriers` shows its source), then pin it with [carriers.{id}] base = \"{id}\" and checked = the day you verified it"
            ),
        );
    }

    pub(super) fn rule_set<'i>(
        &mut self,
        table: &(impl Table<'i> + ?Sized),
        context: &ReadContext,
        zones: &mut ZoneCache,
    ) -> RuleSet {
        let mut rules = RuleSet::default();
        for (key, value) in table.entries() {
            match key.get_ref().as_ref() {
                "timezone" => rules.timezone = self.zone("timezone", value, zones),
                "topup_valid_for" => rules.topup_valid_for = self.topup_validity(value),
                "use_every" => rules.use_every = self.use_every(value),
                "topup_counts_as_use" => {
                    rules.topup_counts_as_use = self.boolean("topup_counts_as_use", value);
                }
                "fee" => rules.fee = self.fee(value),
                "pause_max" => rules.pause_max = self.positive_period("pause_max", value),
                "grace" => rules.grace = self.grace(value),
                "source" => rules.source = self.string("source", value),
                "checked" => {
                    rules.checked = self.date("checked", value);
                    if let Some(checked) = rules.checked
                        && checked_over_a_year_ago(checked, context)
                    {
                        self.warning(
                            value.span(),
                            format!(
                                "this rule was last checked on {checked}, over a year ago: verify it with the carrier and update `checked`"
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
        rules
    }

    pub(super) fn topup_validity(&mut self, value: &Value<'_>) -> Option<TopupValidity> {
        const KEY: &str = "topup_valid_for";
        if let DeValue::String(_) | DeValue::Integer(_) = value.get_ref() {
            return self.positive_period(KEY, value).map(TopupValidity::Fixed);
        }
        let Some(items) = value.get_ref().as_array() else {
            self.type_error(
                KEY,
                value.span(),
                "a duration like \"90d\" or a table like [{ min = 1, for = \"3d\" }]",
                value.get_ref(),
            );
            return None;
        };
        if items.is_empty() {
            self.error(
                value.span(),
                "`topup_valid_for` table must have at least one entry",
            );
            return None;
        }
        let mut tiers: Vec<(AmountTier, Range<usize>)> = Vec::with_capacity(items.len());
        for item in items {
            let table = self.table(KEY, item)?;
            self.check_keys(table, &["min", "for"], "a topup_valid_for entry", |_| None);
            let min = self.required(
                table,
                item,
                "min",
                "a topup_valid_for entry",
                |reader, value| reader.money("min", value),
            );
            let valid_for = self.required(
                table,
                item,
                "for",
                "a topup_valid_for entry",
                |reader, value| reader.positive_period("for", value),
            );
            tiers.push((
                AmountTier {
                    min: min?,
                    valid_for: valid_for?,
                },
                item.span(),
            ));
        }
        tiers.sort_by_key(|(tier, _)| tier.min);
        if let Some(pair) = tiers.windows(2).find(|pair| pair[0].0.min == pair[1].0.min) {
            let message = format!(
                "two topup_valid_for entries have the same min {}",
                pair[1].0.min
            );
            self.error(pair[1].1.clone(), message);
            return None;
        }
        Some(TopupValidity::ByAmount(
            tiers.into_iter().map(|(tier, _)| tier).collect(),
        ))
    }

    /// Reads a key that must be present, reporting its absence at the enclosing value.
    pub(super) fn required<T>(
        &mut self,
        table: &DeTable<'_>,
        enclosing: &Value<'_>,
        key: &str,
        context: &str,
        read: impl FnOnce(&mut Self, &Value<'_>) -> Option<T>,
    ) -> Option<T> {
        match get(table, key) {
            Some(value) => read(self, value),
            None => {
                self.error(enclosing.span(), format!("{context} needs `{key}`"));
                None
            }
        }
    }

    pub(super) fn use_every(&mut self, value: &Value<'_>) -> Option<UseEvery> {
        if let DeValue::String(text) = value.get_ref()
            && text.trim() == "calendar-month"
        {
            return Some(UseEvery::CalendarMonth);
        }
        self.positive_period("use_every", value)
            .map(UseEvery::Period)
    }

    pub(super) fn fee(&mut self, value: &Value<'_>) -> Option<Fee> {
        let table = self.table("fee", value)?;
        self.check_keys(table, &["amount", "every"], "`fee`", |_| None);
        let amount = self.required(table, value, "amount", "`fee`", |reader, value| {
            reader.money("amount", value)
        });
        let every = self.required(table, value, "every", "`fee`", |reader, value| {
            reader.positive_period("every", value)
        });
        let amount = amount?;
        if amount.is_zero() {
            self.error(value.span(), "`fee` amount must be more than zero");
            return None;
        }
        Some(Fee {
            amount,
            every: every?,
        })
    }

    pub(super) fn grace(&mut self, value: &Value<'_>) -> Option<Vec<GracePhase>> {
        if let DeValue::String(_) | DeValue::Integer(_) = value.get_ref() {
            let length = self.period("grace", value)?;
            return Some(if length.is_zero() {
                Vec::new()
            } else {
                vec![GracePhase {
                    length,
                    state: None,
                }]
            });
        }
        let Some(items) = value.get_ref().as_array() else {
            self.type_error(
                "grace",
                value.span(),
                "a duration like \"30d\" or phases like [{ for = \"30d\", state = \"incoming only\" }]",
                value.get_ref(),
            );
            return None;
        };
        let mut phases = Vec::with_capacity(items.len());
        for item in items {
            let table = self.table("grace", item)?;
            self.check_keys(table, &["for", "state"], "a grace phase", |_| None);
            let length = self.required(table, item, "for", "a grace phase", |reader, value| {
                reader.positive_period("for", value)
            })?;
            let state = get(table, "state").and_then(|state| self.string("state", state));
            phases.push(GracePhase { length, state });
        }
        Some(phases)
    }
}
