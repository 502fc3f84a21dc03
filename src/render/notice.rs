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

/// One key `renew` or `add` changed: its value before and after, as written in the file
/// (`None`: absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyChange<'a> {
    pub key: &'a str,
    pub old: Option<&'a str>,
    pub new: Option<&'a str>,
}

/// What `renew` or `add` did to the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Written to the file.
    Written,
    /// `--dry-run`: nothing was written.
    DryRun,
    /// `add`: a new number appended to the file.
    Added,
}

/// `renew`'s (and `add`'s) answer: what was recorded where, the number's next deadline, then
/// one line per key changed, old → new.
pub fn renewed(
    settings: &Settings,
    report: &NumberReport<'_>,
    file: &str,
    recorded: Recorded,
    changes: &[KeyChange<'_>],
) -> String {
    let language = settings.language;
    let number = &report.entry.number;
    let english = language == Language::English;
    let what = match (recorded, english) {
        (Recorded::Written, true) => format!("recorded in {file}"),
        (Recorded::DryRun, true) => format!("would record in {file} (dry run: nothing written)"),
        (Recorded::Added, true) => format!("added to {file}"),
        (Recorded::Written, false) => format!("已记录到 {file}"),
        (Recorded::DryRun, false) => format!("将记录到 {file}（试运行，未写入）"),
        (Recorded::Added, false) => format!("已添加到 {file}"),
    };
    let mut answer = match report.most_urgent() {
        None if english => format!("{number}: {what}"),
        None => format!("{number}：{what}"),
        Some(deadline) => {
            let zones = Zones::of(report.entry, settings);
            let action = words::action(language, &deadline.obligation);
            let act_by = words::deadline(language, deadline, Edge::ActBy, zones);
            let days = words::days_left(language, deadline.days_left);
            if english {
                format!("{number}: {what}; next: {action} by {act_by} ({days})")
            } else {
                format!("{number}：{what}。下一步：请在 {act_by}前{action}，{days}")
            }
        }
    };
    let absent = if english { "(none)" } else { "（无）" };
    let separator = if english { ": " } else { "：" };
    for change in changes {
        let key = if english {
            change.key
        } else {
            key_in_chinese(change.key)
        };
        answer.push_str(&format!(
            "\n  {key}{separator}{} → {}",
            change.old.unwrap_or(absent),
            change.new.unwrap_or(absent)
        ));
    }
    answer
}

/// A config key as a Chinese message names it (a message in Chinese has no English words).
fn key_in_chinese(key: &str) -> &str {
    match key {
        "number" => "号码",
        "last_topup" => "上次充值日期",
        "last_topup_amount" => "上次充值金额",
        "last_used" => "上次使用日期",
        "balance.amount" => "余额",
        "balance.on" => "余额查询日期",
        "next_charge" => "扣费日",
        "valid_until" => "有效期至",
        "paused_since" => "停机保号开始日期",
        "resumed_on" => "恢复服务日期",
        other => other,
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
