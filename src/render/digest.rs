//! The reminder email: one plain-text digest per recipient per check, most urgent first.

use std::fmt::Write as _;

use jiff::civil::Date;

use crate::engine::deadline::Action;
use crate::engine::plan::{Alert, Threshold};
use crate::model::{Language, NumberEntry, Settings};

use super::words::{self, Edge, Zones};

pub struct Message {
    pub subject: String,
    pub body: String,
}

/// The subject names the count and the most urgent number and date. It holds only
/// normalised numbers, dates and fixed words, so nothing from the config reaches a header.
pub fn subject(settings: &Settings, alerts: &[Alert<'_>]) -> String {
    let Some(first) = alerts.first() else {
        return "numkeep".to_owned();
    };
    let language = settings.language;
    let number = &first.number.number;
    let zones = Zones::of(first.number, settings);
    let act_by = words::deadline(language, &first.deadline, Edge::ActBy, zones);
    let lost_on = words::deadline(language, &first.deadline, Edge::LostOn, zones);
    let count = distinct_numbers(alerts);
    let english = language == Language::English;
    let headline = match (first.threshold, english) {
        (Threshold::Lost, true) => format!("{number} may be lost since {lost_on}"),
        (Threshold::Lost, false) => format!("{number} 可能已于 {lost_on} 被回收"),
        (Threshold::Grace(_), true) => format!("{number} is past its deadline, lost on {lost_on}"),
        (Threshold::Grace(_), false) => format!("{number} 已过期限，将于 {lost_on} 被回收"),
        (Threshold::Lead(_), true) => format!("{number} by {act_by}"),
        (Threshold::Lead(_), false) => format!("请在 {act_by}前处理 {number}"),
    };
    match (count, english) {
        (1, true) => format!("numkeep: {headline}"),
        (1, false) => format!("numkeep：{headline}"),
        (_, true) => format!("numkeep: {count} numbers need action; first {headline}"),
        (_, false) => format!("numkeep：{count} 个号码需要处理；最紧急：{headline}"),
    }
}

fn distinct_numbers(alerts: &[Alert<'_>]) -> usize {
    let mut numbers: Vec<&str> = alerts.iter().map(|a| a.number.number.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers.len()
}

/// The digest for `alerts`; `today` is the user's date of the check.
pub fn message(settings: &Settings, alerts: &[Alert<'_>], today: Date) -> Message {
    Message {
        subject: subject(settings, alerts),
        body: body(settings, alerts, today),
    }
}

pub fn body(settings: &Settings, alerts: &[Alert<'_>], today: Date) -> String {
    let language = settings.language;
    let english = language == Language::English;
    let mut out = String::new();
    let today_text = words::date_with_weekday(language, today);
    let count = distinct_numbers(alerts);
    if english {
        let numbers = if count == 1 {
            "number needs"
        } else {
            "numbers need"
        };
        let _ = writeln!(
            out,
            "numkeep checked your numbers on {today_text}: {count} {numbers} action, most urgent first.\n"
        );
    } else {
        let _ = writeln!(
            out,
            "numkeep 在 {today_text} 检查了你的号码：{count} 个号码需要处理，按紧急程度排列。\n"
        );
    }
    for alert in alerts {
        write_alert(&mut out, settings, alert);
        out.push('\n');
    }
    let cancelling = alerts
        .iter()
        .any(|alert| alert.deadline.obligation.action() == Action::Cancel);
    if cancelling {
        out.push_str(if english {
            "Once a number is cancelled, record it: numkeep retire NUMBER --done [--on DATE]\n"
        } else {
            "号码注销之后请记录：numkeep retire 号码 --done [--on 日期]\n"
        });
    }
    if english {
        out.push_str(
            "After acting, record it so the reminders stop, for example:\n  numkeep renew NUMBER --topup [AMOUNT] | --used | --balance AMOUNT\n\nEach reminder is sent once per lead time; past the deadline, once a day until the number is renewed or lost.\n",
        );
    } else {
        out.push_str(
            "处理之后请记录下来，提醒就会停止，例如：\n  numkeep renew 号码 --topup [金额] | --used | --balance 金额\n\n同一提醒只发一次；过了期限后每天提醒一次，直到号码续上或被回收。\n",
        );
    }
    out
}

fn write_alert(out: &mut String, settings: &Settings, alert: &Alert<'_>) {
    let language = settings.language;
    let english = language == Language::English;
    let number = alert.number;
    let deadline = &alert.deadline;
    let obligation = &deadline.obligation;
    let mut heading = number.number.to_string();
    if let Some(label) = &number.label {
        heading.push_str(" — ");
        heading.push_str(&single_line(label));
    }
    let carrier = number
        .carrier
        .as_deref()
        .map(|carrier| carrier.name.as_deref().unwrap_or(&carrier.id).to_owned());
    if let Some(carrier) = carrier {
        let _ = write!(heading, " ({})", single_line(&carrier));
    }
    let _ = writeln!(out, "{heading}");
    let zones = Zones::of(number, settings);
    let act_by = words::deadline(language, deadline, Edge::ActBy, zones);
    let lost_on = words::deadline(language, deadline, Edge::LostOn, zones);
    let days = deadline.days_left;
    let action = words::action(language, obligation);
    let why = words::why(language, &obligation.why);
    if english {
        let when = match alert.threshold {
            Threshold::Lost => format!("{act_by} (passed)"),
            _ => format!("{act_by} ({})", words::days_left(language, days)),
        };
        let what = match (alert.threshold, obligation.action()) {
            (Threshold::Lost, _) => format!(
                "the number may already be recycled; {action} at once if the carrier still allows it"
            ),
            (Threshold::Grace(_), Action::Resume) => {
                format!("{action} now: the pause is over its limit")
            }
            (Threshold::Grace(_), _) => format!("{action} now: the deadline has passed"),
            (Threshold::Lead(_), _) => action,
        };
        let _ = writeln!(out, "  What to do: {what}");
        let _ = writeln!(out, "  Act by:     {when}");
        let _ = writeln!(out, "  Why:        {why}");
        match (alert.threshold, alert.grace_state()) {
            (Threshold::Lost, _) => {
                let _ = writeln!(out, "  Lost on:    {lost_on} — this is the final notice");
            }
            (_, Some(phase)) => {
                let _ = writeln!(out, "  Now:        {}", single_line(phase));
                let _ = writeln!(out, "  Lost on:    {lost_on} if nothing is done");
            }
            (_, None) => {
                let _ = writeln!(out, "  Lost on:    {lost_on} if nothing is done");
            }
        }
    } else {
        let when = match alert.threshold {
            Threshold::Lost => format!("{act_by}，已过"),
            _ => format!("{act_by}，{}", words::days_left(language, days)),
        };
        let what = match alert.threshold {
            Threshold::Lost => format!("号码可能已被回收；如运营商仍允许，请立即{action}"),
            Threshold::Grace(_) => format!("请立即{action}：已过期限"),
            Threshold::Lead(_) => action,
        };
        let _ = writeln!(out, "  要做什么：{what}");
        let _ = writeln!(out, "  最晚处理：{when}");
        let _ = writeln!(out, "  原因：    {why}");
        match (alert.threshold, alert.grace_state()) {
            (Threshold::Lost, _) => {
                let _ = writeln!(out, "  回收日期：{lost_on}起可能已被回收。这是最后一次通知");
            }
            (_, phase) => {
                if let Some(phase) = phase {
                    let _ = writeln!(out, "  当前状态：{}", single_line(phase));
                }
                let _ = writeln!(out, "  回收日期：如不处理，{lost_on}起可能被回收");
            }
        }
    }
    write_accounts_and_notes(out, language, number);
    if obligation.action() == Action::Cancel {
        write_checklist(out, settings, number);
    }
}

/// The accounts that send codes to the number and the user's notes, in every reminder.
fn write_accounts_and_notes(out: &mut String, language: Language, number: &NumberEntry) {
    let english = language == Language::English;
    if let Some(accounts) = words::bound_to(language, number.bound_to()) {
        let label = if english {
            "  Accounts:   "
        } else {
            "  绑定账户："
        };
        let _ = writeln!(out, "{label}{}", single_line(&accounts));
    }
    if let Some(notes) = number.notes() {
        let label = if english {
            "  Notes:      "
        } else {
            "  备注：    "
        };
        let _ = writeln!(out, "{label}{}", single_line(notes));
    }
}

/// The cancellation checklist of a `cancel` reminder (DESIGN.md §4).
fn write_checklist(out: &mut String, settings: &Settings, number: &NumberEntry) {
    let language = settings.language;
    let items = words::retire_checklist(
        language,
        number.bound_to(),
        settings.retire_checklist.as_deref(),
    );
    let heading = match language {
        Language::English => "  Before cancelling:",
        Language::SimplifiedChinese => "  销号清单：",
    };
    let _ = writeln!(out, "{heading}");
    for (index, item) in items.iter().enumerate() {
        let _ = writeln!(out, "    {}. {}", index + 1, single_line(&item.text));
        for line in &item.lines {
            let _ = writeln!(out, "       - {}", single_line(line));
        }
    }
}

/// Text from the config goes into the body only, one line each, so it cannot forge
/// structure in the message.
fn single_line(text: &str) -> String {
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
