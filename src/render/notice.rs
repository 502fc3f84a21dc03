//! Short messages that are not reminders: `test-alert`'s message and `renew`'s answer. One
//! language per message, as `settings.language` says.

use jiff::Zoned;

use crate::engine::deadline::RuleKind;
use crate::engine::status::NumberReport;
use crate::model::{Language, Settings};

use super::words::{self, Edge, Zones};

/// The body of the test message: when it was sent, what numkeep watches, and the most
/// urgent number (`urgent`), if any.
pub fn test_message(
    settings: &Settings,
    sent: &Zoned,
    numbers: usize,
    urgent: Option<&NumberReport<'_>>,
) -> String {
    let language = settings.language;
    let (check_at, zone) = (&settings.check_at.text, &settings.timezone.name);
    let mut body = match language {
        Language::English => format!(
            "This is a test message from numkeep, sent {}.\n\
             If you can read it, reminders will reach you here.\n\n\
             numkeep watches {}; checks run at \"{check_at}\" ({zone}).\n",
            sent.strftime("%Y-%m-%d %H:%M %Z"),
            words::count(numbers, "number", "numbers")
        ),
        Language::SimplifiedChinese => format!(
            "这是 numkeep 的测试消息，发送于 {}（{zone}）。\n\
             能看到这条消息，提醒就能送到这里。\n\n\
             numkeep 正在保号的号码：{numbers} 个；按 \"{check_at}\"（{zone}）检查。\n",
            sent.strftime("%Y-%m-%d %H:%M")
        ),
    };
    let Some((report, deadline)) = urgent.and_then(|report| Some((report, report.most_urgent()?)))
    else {
        return body;
    };
    let zones = Zones::of(report.entry, settings);
    let action = words::action(language, &deadline.obligation);
    let act_by = words::deadline(language, deadline, Edge::ActBy, zones);
    let days = words::days_left(language, deadline.days_left);
    let number = &report.entry.number;
    body.push_str(&match language {
        Language::English => {
            format!("The most urgent is {number}: {action} by {act_by} ({days}).\n")
        }
        Language::SimplifiedChinese => {
            format!("最紧急的是 {number}：请在 {act_by}前{action}，{days}。\n")
        }
    });
    body
}

/// `renew`'s answer: what was recorded where, and the number's next deadline.
pub fn renewed(settings: &Settings, report: &NumberReport<'_>, file: &str) -> String {
    let language = settings.language;
    let number = &report.entry.number;
    let Some(deadline) = report.most_urgent() else {
        return match language {
            Language::English => format!("{number}: recorded in {file}"),
            Language::SimplifiedChinese => format!("{number}：已记录到 {file}"),
        };
    };
    let zones = Zones::of(report.entry, settings);
    let action = words::action(language, &deadline.obligation);
    let act_by = words::deadline(language, deadline, Edge::ActBy, zones);
    let days = words::days_left(language, deadline.days_left);
    match language {
        Language::English => {
            format!("{number}: recorded in {file}; next: {action} by {act_by} ({days})")
        }
        Language::SimplifiedChinese => {
            format!("{number}：已记录到 {file}。下一步：请在 {act_by}前{action}，{days}")
        }
    }
}

/// `retire`'s answer when a number starts being cancelled: the cancel-by day and what to do.
pub fn retiring(settings: &Settings, report: &NumberReport<'_>, file: &str) -> String {
    let language = settings.language;
    let number = &report.entry.number;
    let cancel = report
        .deadlines
        .iter()
        .find(|deadline| deadline.obligation.rule == RuleKind::RetireBy);
    let Some(deadline) = cancel else {
        return match language {
            Language::English => format!("{number}: retiring, recorded in {file}"),
            Language::SimplifiedChinese => format!("{number}：销号中，已记录到 {file}"),
        };
    };
    let zones = Zones::of(report.entry, settings);
    let act_by = words::deadline(language, deadline, Edge::ActBy, zones);
    let days = words::days_left(language, deadline.days_left);
    match language {
        Language::English => format!(
            "{number}: retiring, recorded in {file}; cancel by {act_by} ({days}), after its checklist; then run: numkeep retire {number} --done"
        ),
        Language::SimplifiedChinese => format!(
            "{number}：销号中，已记录到 {file}。请在 {act_by}前完成销号清单并销号，{days}；销号后运行：numkeep retire {number} --done"
        ),
    }
}

/// `retire --done`'s answer.
pub fn retired(settings: &Settings, number: &str, on: jiff::civil::Date, file: &str) -> String {
    match settings.language {
        Language::English => {
            format!("{number}: retired on {on}, recorded in {file}; no more reminders")
        }
        Language::SimplifiedChinese => {
            format!("{number}：已于 {on} 销号，已记录到 {file}，不再提醒")
        }
    }
}
