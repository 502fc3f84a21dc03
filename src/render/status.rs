//! `numkeep status`: the table people read and the JSON scripts read (DESIGN.md §5).

use jiff::civil::Date;

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

/// One JSON array, most urgent first, one number per line; keys as DESIGN.md §5 (stable:
/// add, never rename). Written by hand rather than through serde: for 100,000 numbers the
/// generic serializer and its intermediate strings were most of the run time.
pub fn json(reports: &[NumberReport<'_>], language: Language) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_json(&mut out, reports, language);
    String::from_utf8_lossy(&out).into_owned()
}

/// [`json`], streamed to `sink` in blocks, so that the whole output is never held in memory.
pub fn write_json(
    sink: &mut impl std::io::Write,
    reports: &[NumberReport<'_>],
    language: Language,
) -> std::io::Result<()> {
    const BLOCK: usize = 64 * 1024;
    let mut out = String::with_capacity(BLOCK + 4096);
    let mut why = String::new();
    out.push('[');
    for (index, report) in reports.iter().enumerate() {
        out.push_str(if index == 0 { "\n" } else { ",\n" });
        write_number(&mut out, &mut why, report, language);
        if out.len() >= BLOCK {
            sink.write_all(out.as_bytes())?;
            out.clear();
        }
    }
    out.push_str(if reports.is_empty() { "]\n" } else { "\n]\n" });
    sink.write_all(out.as_bytes())
}

fn write_number(out: &mut String, why: &mut String, report: &NumberReport<'_>, language: Language) {
    let entry = report.entry;
    // Normalised numbers are `+` and digits: nothing to escape.
    out.push_str("{\"number\":\"");
    out.push_str(&entry.number);
    out.push('"');
    out.push_str(",\"label\":");
    json::optional_string(out, entry.label.as_deref());
    out.push_str(",\"carrier\":");
    json::optional_string(out, entry.carrier_id());
    out.push_str(",\"carrier_name\":");
    json::optional_string(
        out,
        entry.carrier.as_deref().and_then(|c| c.name.as_deref()),
    );
    out.push_str(",\"state\":\"");
    out.push_str(report.state.key());
    out.push('"');
    // The top-level fields are those of the first (most urgent) obligation; its reason is
    // rendered once and written twice.
    why.clear();
    match report.most_urgent() {
        Some(deadline) => {
            words::write_why(why, language, &deadline.obligation.why);
            write_deadline_fields(out, deadline, why);
        }
        None => out.push_str(
            ",\"act_by\":null,\"lost_on\":null,\"days_left\":null,\"action\":null,\"rule\":null,\"why\":null",
        ),
    }
    out.push_str(",\"grace_phase\":");
    json::optional_string(
        out,
        report.grace_phase.and_then(|phase| phase.state.as_deref()),
    );
    out.push_str(",\"obligations\":[");
    for (index, deadline) in report.deadlines.iter().enumerate() {
        out.push_str(if index == 0 { "{" } else { ",{" });
        if index > 0 {
            why.clear();
            words::write_why(why, language, &deadline.obligation.why);
        }
        // The same fields as the top level, without the leading comma.
        let start = out.len();
        write_deadline_fields(out, deadline, why);
        out.remove(start);
        out.push('}');
    }
    out.push_str("]}");
}

/// `,"act_by":…,"lost_on":…,"days_left":…,"action":…,"rule":…,"why":…`
fn write_deadline_fields(out: &mut String, deadline: &Deadline, why: &str) {
    let obligation = &deadline.obligation;
    out.push_str(",\"act_by\":");
    json::date(out, obligation.act_by);
    out.push_str(",\"lost_on\":");
    json::date(out, obligation.lost_on);
    out.push_str(",\"days_left\":");
    out.push_str(itoa(deadline.days_left, &mut [0u8; 12]));
    out.push_str(",\"action\":\"");
    out.push_str(obligation.action().key());
    out.push_str("\",\"rule\":\"");
    out.push_str(obligation.rule.key());
    out.push_str("\",\"why\":");
    // Reasons are built from fixed words, dates, decimals and durations, never from text
    // the user wrote, so they need no escaping; checked in debug builds.
    debug_assert!(
        !why.bytes()
            .any(|byte| byte == b'"' || byte == b'\\' || byte < 0x20)
    );
    out.push('"');
    out.push_str(why);
    out.push('"');
}

fn itoa(value: i32, buffer: &mut [u8; 12]) -> &str {
    let mut position = buffer.len();
    let mut magnitude = value.unsigned_abs();
    loop {
        position -= 1;
        buffer[position] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if value < 0 {
        position -= 1;
        buffer[position] = b'-';
    }
    // Only ASCII digits and a sign were written.
    std::str::from_utf8(&buffer[position..]).unwrap_or("0")
}

/// Minimal JSON output helpers.
mod json {
    use jiff::civil::Date;

    pub fn string(out: &mut String, text: &str) {
        out.push('"');
        let needs_escape = |byte: u8| byte == b'"' || byte == b'\\' || byte < 0x20;
        if !text.bytes().any(needs_escape) {
            out.push_str(text);
            out.push('"');
            return;
        }
        let mut start = 0;
        for (index, byte) in text.bytes().enumerate() {
            if !needs_escape(byte) {
                continue;
            }
            out.push_str(&text[start..index]);
            match byte {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                _ => out.push_str(&format!("\\u{byte:04x}")),
            }
            start = index + 1;
        }
        out.push_str(&text[start..]);
        out.push('"');
    }

    pub fn optional_string(out: &mut String, text: Option<&str>) {
        match text {
            Some(text) => string(out, text),
            None => out.push_str("null"),
        }
    }

    /// `"2026-11-30"`, without going through the formatting machinery.
    pub fn date(out: &mut String, date: Date) {
        out.push('"');
        crate::render::words::push_date(out, date);
        out.push('"');
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn escapes_what_json_requires() {
            let mut out = String::new();
            string(&mut out, "a\"b\\c\nd\u{1}é宽");
            assert_eq!(out, r#""a\"b\\c\nd\u0001é宽""#);
            let parsed: String = serde_json::from_str(&out).unwrap();
            assert_eq!(parsed, "a\"b\\c\nd\u{1}é宽");
        }

        #[test]
        fn dates_and_numbers() {
            let mut out = String::new();
            date(&mut out, jiff::civil::date(2026, 1, 5));
            date(&mut out, jiff::civil::date(987, 12, 31));
            assert_eq!(out, "\"2026-01-05\"\"0987-12-31\"");
            for value in [0, 7, -1, -42, 2_147_483_647, -2_147_483_648] {
                assert_eq!(super::super::itoa(value, &mut [0u8; 12]), value.to_string());
            }
        }
    }
}
