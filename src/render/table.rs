//! The `numkeep status` table: one row per number, most urgent first, fitted to the
//! terminal. Narrowing cuts the reason, then the label, then the action, never a number, a
//! state or a date; colour marks the state, on a terminal only.

use jiff::civil::Date;

use crate::engine::status::{Evaluation, NumberReport, State};
use crate::model::{Language, Settings};

use super::words::{self, Edge, Zones};

/// How the shell wants the table: the terminal's width (`None`: no limit, as in a pipe)
/// and whether to colour the states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub width: Option<usize>,
    pub colour: bool,
}

const COLUMNS: usize = 9;
const STATE_COLUMN: usize = 2;
const CUTOFF: usize = 4;
const LABEL: usize = 1;
const ACTION: usize = 7;
const WHY: usize = 8;
/// Which columns give way when the table is too wide, in order, and how narrow each may
/// become (0: left out); the state keeps at least its word ("grace (…"), and the number,
/// the dates and the days are never cut.
const NARROWING: [(usize, usize); 4] = [(WHY, 0), (LABEL, 0), (ACTION, 8), (STATE_COLUMN, 9)];
const GAP: usize = 2;

type Row = [String; COLUMNS];

/// The table, most urgent first (the reports come sorted); `today` is the user's. Dates are
/// the carriers'; when a carrier counts in another zone, a column gives the user's own
/// cut-off, and a last line says so.
pub fn table(reports: &Evaluation<'_>, settings: &Settings, today: Date, layout: Layout) -> String {
    let language = settings.language;
    let english = language == Language::English;
    let rows: Vec<(State, Row)> = reports
        .iter()
        .map(|report| (report.state, row(report, settings)))
        .collect();
    let zones_differ = reports
        .iter()
        .any(|report| Zones::of(report.entry, settings).differ());
    let yours = words::your_time(
        language,
        Zones {
            carrier: &settings.timezone,
            user: &settings.timezone,
        },
    );
    let cutoff_header = if english {
        "YOUR CUT-OFF".to_owned()
    } else {
        format!("{yours}截止")
    };
    let header: Row = if english {
        [
            "NUMBER",
            "LABEL",
            "STATE",
            "ACT BY",
            &cutoff_header,
            "DAYS",
            "LOST ON",
            "ACTION",
            "WHY",
        ]
    } else {
        [
            "号码",
            "备注",
            "状态",
            "最晚处理日",
            &cutoff_header,
            "剩余",
            "可能被回收",
            "要做什么",
            "原因",
        ]
    }
    .map(str::to_owned);

    let mut widths = header.clone().map(|cell| words::display_width(&cell));
    for (_, row) in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(words::display_width(cell));
        }
    }
    if !zones_differ {
        widths[CUTOFF] = 0;
    }
    if let Some(limit) = layout.width {
        narrow(&mut widths, limit);
    }

    let mut out = String::new();
    let today = words::date_with_weekday(language, today);
    out.push_str(&if english {
        format!("numkeep status on {today}\n")
    } else {
        format!("numkeep 号码状态：{today}\n")
    });
    push_row(&mut out, &header, &widths, None);
    for (state, row) in &rows {
        let colour = layout.colour.then(|| colour_of(*state));
        push_row(&mut out, row, &widths, colour);
    }
    if rows.is_empty() {
        out.push_str(if english {
            "(no numbers configured)\n"
        } else {
            "（没有配置号码）\n"
        });
    }
    if zones_differ {
        let zone = &settings.timezone.name;
        out.push_str(&if english {
            format!("Dates are the carriers'; YOUR CUT-OFF: when act-by ends in {zone}.\n")
        } else {
            format!("日期按运营商所在时区；{cutoff_header}：最晚处理日结束的时刻（{zone}）。\n")
        });
    }
    out
}

fn row(report: &NumberReport<'_>, settings: &Settings) -> Row {
    let language = settings.language;
    let label = one_line(report.entry.label.as_deref().unwrap_or(""));
    let mut state = words::state(language, report.state).to_owned();
    if let Some(phase) = report.grace_phase.and_then(|phase| phase.state.as_deref()) {
        state = match language {
            Language::English => format!("{state} ({})", one_line(phase)),
            Language::SimplifiedChinese => format!("{state}（{}）", one_line(phase)),
        };
    }
    let number = report.entry.number.to_string();
    let none = || "-".to_owned();
    let Some(deadline) = report.most_urgent() else {
        return [
            number,
            label,
            state,
            none(),
            none(),
            none(),
            none(),
            none(),
            none(),
        ];
    };
    let zones = Zones::of(report.entry, settings);
    let days = match language {
        Language::English => deadline.days_left.to_string(),
        Language::SimplifiedChinese => words::days_left(language, deadline.days_left),
    };
    let obligation = &deadline.obligation;
    [
        number,
        label,
        state,
        words::date_with_weekday(language, obligation.act_by),
        words::cutoff_cell(language, deadline, Edge::ActBy, zones).unwrap_or_else(none),
        days,
        words::date_with_weekday(language, obligation.lost_on),
        words::action(language, obligation),
        words::why(language, &obligation.why),
    ]
}

/// Narrows the columns that may give way until the table fits `limit`, or they are as
/// narrow as they go.
fn narrow(widths: &mut [usize; COLUMNS], limit: usize) {
    // A column left out takes its gap with it.
    let total = |widths: &[usize; COLUMNS]| {
        let shown = widths.iter().filter(|width| **width > 0).count();
        widths.iter().sum::<usize>() + GAP * shown.saturating_sub(1)
    };
    for (column, narrowest) in NARROWING {
        let excess = total(widths).saturating_sub(limit);
        if excess == 0 {
            return;
        }
        let spare = widths[column].saturating_sub(narrowest);
        // Leaving a column out also saves its gap.
        let cut = if narrowest == 0 && excess + GAP >= widths[column] {
            widths[column]
        } else {
            excess.min(spare)
        };
        widths[column] -= cut;
    }
}

/// ANSI colours by state: green is fine, yellow wants action, red is past the deadline.
fn colour_of(state: State) -> &'static str {
    match state {
        State::Ok => "\x1b[32m",
        State::Due => "\x1b[33m",
        State::Grace => "\x1b[31m",
        State::Lost => "\x1b[1;31m",
        State::Paused => "\x1b[36m",
        State::Retiring => "\x1b[35m",
        State::Retired => "\x1b[2m",
    }
}

const RESET: &str = "\x1b[0m";

/// One line of the table; a column narrowed to nothing is left out with its gap.
fn push_row(out: &mut String, cells: &Row, widths: &[usize; COLUMNS], colour: Option<&str>) {
    let mut first = true;
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if *width == 0 {
            continue;
        }
        if !first {
            out.extend(std::iter::repeat_n(' ', GAP));
        }
        first = false;
        let cell = fit(cell, *width);
        match colour.filter(|_| index == STATE_COLUMN) {
            Some(colour) => {
                out.push_str(colour);
                out.push_str(&cell);
                out.push_str(RESET);
            }
            None => out.push_str(&cell),
        }
        out.extend(std::iter::repeat_n(
            ' ',
            width.saturating_sub(words::display_width(&cell)),
        ));
    }
    // The last column's padding, or an empty last cell, leaves no trailing blanks.
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    out.push('\n');
}

/// `text` cut to `width` columns, ending in `…` when cut.
fn fit(text: &str, width: usize) -> String {
    if words::display_width(text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for character in text.chars() {
        let character_width = words::display_width(character.encode_utf8(&mut [0; 4]));
        if used + character_width + 1 > width {
            break;
        }
        out.push(character);
        used += character_width;
    }
    out.push('…');
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_cells_end_in_an_ellipsis_within_their_width() {
        assert_eq!(fit("topped up 2026-09-01, valid 90d", 12), "topped up 2…");
        assert_eq!(fit("short", 12), "short");
        assert_eq!(fit("宽限期（只能接听）", 7), "宽限期…");
        assert_eq!(display_width_of(&fit("宽限期（只能接听）", 8)), 7);
    }

    fn display_width_of(text: &str) -> usize {
        words::display_width(text)
    }

    #[test]
    fn colour_marks_only_the_state() {
        let config = crate::config::config_from_text(
            "[[number]]\nnumber = \"+44 7700 900123\"\nvalid_until = 2026-11-20\n\
             [[number]]\nnumber = \"+44 7700 900124\"\nvalid_until = 2027-11-20\n",
        );
        let today = jiff::civil::date(2026, 11, 23);
        let reports =
            crate::engine::status::evaluate(&config, crate::engine::status::Now::on_day(today));
        let coloured = Layout {
            width: None,
            colour: true,
        };
        let text = table(&reports, &config.settings, today, coloured);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].contains("  \x1b[1;31mlost\x1b[0m  "), "{text:?}");
        assert!(lines[3].contains("  \x1b[32mok\x1b[0m    "), "{text:?}");
        assert!(!lines[1].contains('\x1b'), "no colour in the header");
        let plain = table(&reports, &config.settings, today, Layout::default());
        assert!(!plain.contains('\x1b'));
        // The same columns line up with and without colour.
        let strip = |line: &str| {
            line.replace("\x1b[1;31m", "")
                .replace("\x1b[32m", "")
                .replace("\x1b[0m", "")
        };
        assert_eq!(
            text.lines().map(strip).collect::<Vec<_>>().join("\n") + "\n",
            plain
        );
    }

    #[test]
    fn narrowing_cuts_the_reason_first_then_the_label_then_the_action() {
        // number, label, state, act by, cut-off, days, lost on, action, why
        let natural = [13, 20, 5, 14, 9, 4, 14, 30, 40];
        let total = |widths: &[usize; COLUMNS]| {
            let shown = widths.iter().filter(|width| **width > 0).count();
            widths.iter().sum::<usize>() + GAP * (shown - 1)
        };
        let mut widths = natural;
        narrow(&mut widths, 160);
        assert_eq!(widths, [13, 20, 5, 14, 9, 4, 14, 30, 35]);
        assert_eq!(total(&widths), 160);
        let mut widths = natural;
        narrow(&mut widths, 120);
        assert_eq!(widths, [13, 17, 5, 14, 9, 4, 14, 30, 0]);
        assert_eq!(total(&widths), 120);
        // Too narrow for the dates: cut what may be cut, never the rest.
        let mut widths = natural;
        narrow(&mut widths, 40);
        assert_eq!(widths, [13, 0, 5, 14, 9, 4, 14, 8, 0]);
        let mut widths = [13, 0, 29, 14, 9, 4, 14, 30, 0];
        narrow(&mut widths, 80);
        assert_eq!(widths, [13, 0, 9, 14, 9, 4, 14, 8, 0]);
    }
}
