//! `numkeep carriers`: the built-in carrier rules, as text for people and JSON for
//! scripts: id, name, rules (in the config's spelling), source and the day checked.

use serde_json::{Value, json};

use crate::model::catalogue::{BuiltinCarrier, UNPUBLISHED};
use crate::model::{RuleSet, TopupValidity, UseEvery};

/// The rules of `rules` in the config's own spelling, `; `-separated: what a user would
/// write in a `[carriers.x]` table.
pub fn rules_text(rules: &RuleSet) -> String {
    let mut parts = Vec::new();
    match &rules.topup_valid_for {
        Some(TopupValidity::Fixed(period)) => parts.push(format!("topup_valid_for = {period}")),
        Some(TopupValidity::ByAmount(tiers)) => {
            let tiers: Vec<String> = tiers
                .iter()
                .map(|tier| format!("min {} → {}", tier.min, tier.valid_for))
                .collect();
            parts.push(format!("topup_valid_for = {}", tiers.join(", ")));
        }
        None => {}
    }
    match rules.use_every {
        Some(UseEvery::Period(period)) => parts.push(format!("use_every = {period}")),
        Some(UseEvery::CalendarMonth) => parts.push("use_every = calendar-month".into()),
        None => {}
    }
    if rules.use_every.is_some() && rules.topup_counts_as_use == Some(false) {
        parts.push("a top-up alone does not count as use".into());
    }
    if let Some(fee) = rules.fee {
        parts.push(format!("fee = {} every {}", fee.amount, fee.every));
    }
    if let Some(max) = rules.pause_max {
        parts.push(format!("pause_max = {max}"));
    }
    if let Some(phases) = &rules.grace {
        let phases: Vec<String> = phases
            .iter()
            .map(|phase| match &phase.state {
                Some(state) => format!("{} ({state})", phase.length),
                None => phase.length.to_string(),
            })
            .collect();
        parts.push(format!("grace = {}", phases.join(", then ")));
    }
    if rules.topup_valid_for.is_none() && rules.use_every.is_none() && rules.fee.is_none() {
        parts.push("record the plan's end date as valid_until".into());
    }
    parts.join("; ")
}

/// The table people read.
pub fn text(carriers: &[BuiltinCarrier]) -> String {
    let mut out = String::from(
        "Built-in carrier rules (use as carrier = \"ID\", or start from one with [carriers.x] base = \"ID\"):\n\n",
    );
    for builtin in carriers {
        let carrier = &builtin.carrier;
        let rules = &carrier.rules;
        out.push_str(&format!(
            "{}  {}\n  rules:   {}\n  source:  {}\n  says:    \"{}\"\n  checked: {}\n\n",
            carrier.id,
            carrier.name.as_deref().unwrap_or(""),
            rules_text(rules),
            rules.source.as_deref().unwrap_or("-"),
            builtin.wording,
            rules
                .checked
                .map_or("-".to_owned(), |date| date.to_string()),
        ));
    }
    out.push_str(&format!(
        "No built-in rule for carriers whose terms are not published ({}): record the validity date the carrier's balance query shows as `valid_until` on the number, and update it after every top-up.\nRules change: verify the rule with your carrier.\n",
        UNPUBLISHED.join(", ")
    ));
    out
}

/// One JSON array, one object per carrier: `id`, `name`, `rules` (config keys), `source`,
/// `checked`, `wording`.
pub fn json(carriers: &[BuiltinCarrier]) -> String {
    let list: Vec<Value> = carriers
        .iter()
        .map(|builtin| {
            let carrier = &builtin.carrier;
            let rules = &carrier.rules;
            json!({
                "id": carrier.id,
                "name": carrier.name,
                "rules": rules_json(rules),
                "rules_text": rules_text(rules),
                "source": rules.source,
                "checked": rules.checked.map(|date| date.to_string()),
                "wording": builtin.wording,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_default();
    text.push('\n');
    text
}

fn rules_json(rules: &RuleSet) -> Value {
    let mut object = serde_json::Map::new();
    match &rules.topup_valid_for {
        Some(TopupValidity::Fixed(period)) => {
            object.insert("topup_valid_for".into(), period.to_string().into());
        }
        Some(TopupValidity::ByAmount(tiers)) => {
            let tiers: Vec<Value> = tiers
                .iter()
                .map(|tier| json!({"min": tier.min.to_string(), "for": tier.valid_for.to_string()}))
                .collect();
            object.insert("topup_valid_for".into(), tiers.into());
        }
        None => {}
    }
    match rules.use_every {
        Some(UseEvery::Period(period)) => {
            object.insert("use_every".into(), period.to_string().into());
        }
        Some(UseEvery::CalendarMonth) => {
            object.insert("use_every".into(), "calendar-month".into());
        }
        None => {}
    }
    if let Some(counts) = rules.topup_counts_as_use {
        object.insert("topup_counts_as_use".into(), counts.into());
    }
    if let Some(fee) = rules.fee {
        object.insert(
            "fee".into(),
            json!({"amount": fee.amount.to_string(), "every": fee.every.to_string()}),
        );
    }
    if let Some(max) = rules.pause_max {
        object.insert("pause_max".into(), max.to_string().into());
    }
    if let Some(phases) = &rules.grace {
        let phases: Vec<Value> = phases
            .iter()
            .map(|phase| json!({"for": phase.length.to_string(), "state": phase.state}))
            .collect();
        object.insert("grace".into(), phases.into());
    }
    Value::Object(object)
}
