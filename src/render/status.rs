//! `numkeep status`: the table people read and the JSON scripts read (DESIGN.md §5).

use std::fmt::Write as _;

use jiff::civil::Date;
use serde::Serialize;

use crate::config::model::Language;
use crate::engine::status::{Deadline, NumberReport};

use super::words;

/// One row per number, most urgent first (the reports come sorted).
pub fn table(reports: &[NumberReport<'_>], language: Language, today: Date) -> String {
    let english = language == Language::English;
    let header: [&str; 7] = if english {
        [
            "NUMBER", "LABEL", "STATE", "ACT BY", "DAYS", "ACTION", "WHY",
        ]
    } else {
        [
            "号码",
            "备注",
            "状态",
            "最晚处理日",
            "剩余天数",
            "要做什么",
            "原因",
        ]
    };
    let rows: Vec<[String; 7]> = reports
        .iter()
        .map(|report| {
            let label = report.entry.label.clone().unwrap_or_default();
            let state = words::state(language, report.state).to_owned();
            let mut state_text = state;
            if let Some(phase) = report.grace_phase.and_then(|phase| phase.state.as_deref()) {
                state_text = format!("{state_text} ({phase})");
            }
            match report.most_urgent() {
                Some(deadline) => [
                    report.entry.number.clone(),
                    one_line(&label),
                    state_text,
                    words::date_with_weekday(language, deadline.local_act_by),
                    deadline.days_left.to_string(),
                    words::action(language, &deadline.obligation),
                    words::why(language, &deadline.obligation.why),
                ],
                None => [
                    report.entry.number.clone(),
                    one_line(&label),
                    state_text,
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ],
            }
        })
        .collect();
    let mut widths = header.map(words::display_width);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(words::display_width(cell));
        }
    }
    let mut out = String::new();
    let title = if english {
        format!(
            "numkeep status on {}\n",
            words::date_with_weekday(language, today)
        )
    } else {
        format!(
            "numkeep 号码状态（{}）\n",
            words::date_with_weekday(language, today)
        )
    };
    out.push_str(&title);
    push_row(&mut out, &header.map(str::to_owned), &widths);
    for row in &rows {
        push_row(&mut out, row, &widths);
    }
    if rows.is_empty() {
        out.push_str(if english {
            "(no numbers configured)\n"
        } else {
            "（没有配置号码）\n"
        });
    }
    out
}

fn push_row(out: &mut String, cells: &[String; 7], widths: &[usize; 7]) {
    let last = cells.len() - 1;
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        out.push_str(cell);
        if index < last {
            let padding = width - words::display_width(cell) + 2;
            out.extend(std::iter::repeat_n(' ', padding));
        }
    }
    out.push('\n');
}

/// Labels come from the user: keep the table one line per number whatever they contain.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|character| {
            if character.is_control() {
                ' '
            } else {
                character
            }
        })
        .collect()
}

#[derive(Serialize)]
struct JsonNumber<'a> {
    number: &'a str,
    label: Option<&'a str>,
    carrier: Option<&'a str>,
    carrier_name: Option<&'a str>,
    state: &'static str,
    act_by: Option<String>,
    lost_on: Option<String>,
    days_left: Option<i32>,
    action: Option<&'static str>,
    rule: Option<&'static str>,
    why: Option<String>,
    grace_phase: Option<&'a str>,
    obligations: Vec<JsonObligation>,
}

#[derive(Serialize)]
struct JsonObligation {
    rule: &'static str,
    act_by: String,
    lost_on: String,
    days_left: i32,
    action: &'static str,
    why: String,
}

fn json_obligation(deadline: &Deadline, language: Language) -> JsonObligation {
    let obligation = &deadline.obligation;
    JsonObligation {
        rule: obligation.rule.key(),
        act_by: obligation.act_by.to_string(),
        lost_on: obligation.lost_on.to_string(),
        days_left: deadline.days_left,
        action: obligation.action().key(),
        why: words::why(language, &obligation.why),
    }
}

/// One JSON array, most urgent first; keys as DESIGN.md §5 (stable: add, never rename).
pub fn json(reports: &[NumberReport<'_>], language: Language) -> String {
    let numbers: Vec<JsonNumber<'_>> = reports
        .iter()
        .map(|report| {
            let entry = report.entry;
            let urgent = report.most_urgent();
            JsonNumber {
                number: &entry.number,
                label: entry.label.as_deref(),
                carrier: entry.carrier_id(),
                carrier_name: entry.carrier.as_deref().and_then(|c| c.name.as_deref()),
                state: report.state.key(),
                act_by: urgent.map(|d| d.obligation.act_by.to_string()),
                lost_on: urgent.map(|d| d.obligation.lost_on.to_string()),
                days_left: urgent.map(|d| d.days_left),
                action: urgent.map(|d| d.obligation.action().key()),
                rule: urgent.map(|d| d.obligation.rule.key()),
                why: urgent.map(|d| words::why(language, &d.obligation.why)),
                grace_phase: report.grace_phase.and_then(|phase| phase.state.as_deref()),
                obligations: report
                    .deadlines
                    .iter()
                    .map(|deadline| json_obligation(deadline, language))
                    .collect(),
            }
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&numbers).unwrap_or_else(|_| "[]".to_owned());
    let _ = writeln!(out);
    out
}
