//! The words users read, in English and Simplified Chinese: states, actions, reasons, dates.
//! Both languages are written by hand; Chinese follows how users of 保号 talk about it.

use std::fmt::Write as _;

use jiff::civil::{Date, Weekday};

use crate::engine::deadline::{Action, Obligation, ResumedWindow, RetireBasis, RuleKind, Why};
use crate::engine::status::{Deadline, State, carrier_zone};
use crate::model::period::{Period, Unit};
use crate::model::{Language, NumberEntry, Settings, UseEvery, Zone};

pub fn period(language: Language, period: Period) -> String {
    let count = period.count;
    match language {
        Language::English => {
            let unit = match (period.unit, count) {
                (Unit::Day, 1) => "day",
                (Unit::Day, _) => "days",
                (Unit::Week, 1) => "week",
                (Unit::Week, _) => "weeks",
                (Unit::Month, 1) => "month",
                (Unit::Month, _) => "months",
                (Unit::Year, 1) => "year",
                (Unit::Year, _) => "years",
            };
            format!("{count} {unit}")
        }
        Language::SimplifiedChinese => {
            let unit = match period.unit {
                Unit::Day => "天",
                Unit::Week => "周",
                Unit::Month => "个月",
                Unit::Year => "年",
            };
            format!("{count} {unit}")
        }
    }
}

/// "every month" / "every 6 months": `每月`, `每 6 个月` (WORDS-zh.md), `every 1mo` style in
/// English reasons.
fn every_zh(every: Period) -> String {
    match (every.count, every.unit) {
        (1, Unit::Day) => "每天".to_owned(),
        (1, Unit::Week) => "每周".to_owned(),
        (1, Unit::Month) => "每月".to_owned(),
        (1, Unit::Year) => "每年".to_owned(),
        _ => format!("每 {}", period(Language::SimplifiedChinese, every)),
    }
}

fn weekday(language: Language, day: Weekday) -> &'static str {
    let index = day.to_monday_zero_offset() as usize;
    match language {
        Language::English => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][index],
        Language::SimplifiedChinese => {
            ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][index]
        }
    }
}

/// `Mon 2026-11-30` / `2026-11-30（周一）`.
pub fn date_with_weekday(language: Language, date: Date) -> String {
    match language {
        Language::English => format!("{} {date}", weekday(language, date.weekday())),
        Language::SimplifiedChinese => format!("{date}（{}）", weekday(language, date.weekday())),
    }
}

/// Which date of an obligation a text names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// The last day to act; its cut-off is the deadline instant.
    ActBy,
    /// The first day the number may be recycled; it starts at the lost-at instant.
    LostOn,
}

/// The zones a number's dates are read in: the carrier's calendar and the user's clock.
#[derive(Clone, Copy, Debug)]
pub struct Zones<'a> {
    pub carrier: &'a Zone,
    pub user: &'a Zone,
}

impl<'a> Zones<'a> {
    pub fn of(number: &'a NumberEntry, settings: &'a Settings) -> Zones<'a> {
        Zones {
            carrier: carrier_zone(number, settings),
            user: &settings.timezone,
        }
    }

    /// Whether the carrier counts in another zone than the user.
    pub fn differ(self) -> bool {
        self.carrier.name != self.user.name
    }
}

/// The one way a deadline is written for people (DESIGN.md §2): the carrier's date with
/// its weekday and, when the carrier counts in another zone than the user, that zone and
/// the user's own cut-off — `Sun 2026-12-13 (Asia/Kuwait), before Mon 2026-12-14 05:00
/// your time`. Every output that shows a deadline to a person goes through here, so none
/// can show a date shifted into another calendar without saying so.
pub fn deadline(language: Language, deadline: &Deadline, edge: Edge, zones: Zones<'_>) -> String {
    let date = edge_date(deadline, edge);
    let Some(local) = local_cutoff(deadline, edge, zones) else {
        return date_with_weekday(language, date);
    };
    let carrier = &zones.carrier.name;
    let clock = format!("{:02}:{:02}", local.hour(), local.minute());
    let weekday_there = weekday(language, date.weekday());
    match language {
        Language::English => {
            let relation = match edge {
                Edge::ActBy => "before",
                Edge::LostOn => "from",
            };
            let weekday_here = weekday(language, local.date().weekday());
            format!(
                "{weekday_there} {date} ({carrier}), {relation} {weekday_here} {} {clock} your time",
                local.date()
            )
        }
        Language::SimplifiedChinese => {
            // One bracket, so that it reads inside 请在 … 前 and never nests.
            let yours = your_time(language, zones);
            let relation = match edge {
                Edge::ActBy => "",
                Edge::LostOn => " 起",
            };
            format!(
                "{date}（{weekday_there}，{carrier} 日期；{yours} {}月{}日 {clock}{relation}）",
                local.month(),
                local.day()
            )
        }
    }
}

/// The table's form of [`deadline`]'s cut-off: `Mon 05:00`, the user's weekday and time
/// (the local date is never more than a day from the carrier's); `None` in the same zone.
pub fn cutoff_cell(
    language: Language,
    deadline: &Deadline,
    edge: Edge,
    zones: Zones<'_>,
) -> Option<String> {
    let local = local_cutoff(deadline, edge, zones)?;
    let weekday = weekday(language, local.date().weekday());
    Some(format!(
        "{weekday} {:02}:{:02}",
        local.hour(),
        local.minute()
    ))
}

/// What the user's clock reads at the instant `edge` falls, when the carrier counts in
/// another zone.
fn local_cutoff(
    deadline: &Deadline,
    edge: Edge,
    zones: Zones<'_>,
) -> Option<jiff::civil::DateTime> {
    if !zones.differ() {
        return None;
    }
    let instant = match edge {
        Edge::ActBy => deadline.deadline_at,
        Edge::LostOn => deadline.lost_at,
    };
    Some(zones.user.tz.to_datetime(instant))
}

fn edge_date(deadline: &Deadline, edge: Edge) -> Date {
    match edge {
        Edge::ActBy => deadline.obligation.act_by,
        Edge::LostOn => deadline.obligation.lost_on,
    }
}

/// What the user calls their own clock: 北京时间 in China (what people there say), else
/// "your time".
pub fn your_time(language: Language, zones: Zones<'_>) -> &'static str {
    match language {
        Language::English => "your time",
        Language::SimplifiedChinese if zones.user.name == "Asia/Shanghai" => "北京时间",
        Language::SimplifiedChinese => "你的时间",
    }
}

/// Appends `2026-11-30` without going through the formatting machinery, which was a
/// visible share of `status --json` on 100,000 numbers.
pub fn push_date(out: &mut String, date: Date) {
    match date_digits(date) {
        Some(text) => out.extend(text.map(char::from)),
        None => {
            let _ = write!(out, "{date}");
        }
    }
}

/// [`push_date`] for byte buffers.
pub fn push_date_bytes(out: &mut Vec<u8>, date: Date) {
    match date_digits(date) {
        Some(text) => out.extend_from_slice(&text),
        None => out.extend_from_slice(date.to_string().as_bytes()),
    }
}

/// `YYYY-MM-DD` for years 0 to 9999 (jiff writes other years with a sign and six digits).
fn date_digits(date: Date) -> Option<[u8; 10]> {
    let year = u32::try_from(date.year())
        .ok()
        .filter(|year| *year <= 9999)?;
    let digit = |value: u32| b'0' + (value % 10) as u8;
    let (month, day) = (
        u32::from(date.month().unsigned_abs()),
        u32::from(date.day().unsigned_abs()),
    );
    Some([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ])
}

/// `1 number`, `2 numbers`: English counts with the noun that fits.
pub fn count(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// "3 days left", "today is the last day", "2 days ago" (in grace).
pub fn days_left(language: Language, days: i32) -> String {
    match (language, days) {
        (Language::English, 0) => "today is the last day".into(),
        (Language::English, 1) => "1 day left".into(),
        (Language::English, -1) => "1 day ago".into(),
        (Language::English, days) if days > 0 => format!("{days} days left"),
        (Language::English, days) => format!("{} days ago", -days),
        (Language::SimplifiedChinese, 0) => "今天是最后一天".into(),
        (Language::SimplifiedChinese, days) if days > 0 => format!("还剩 {days} 天"),
        (Language::SimplifiedChinese, days) => format!("已过 {} 天", -days),
    }
}

pub fn state(language: Language, state: State) -> &'static str {
    match language {
        Language::English => state.key(),
        Language::SimplifiedChinese => match state {
            State::Ok => "正常",
            State::Due => "待处理",
            State::Grace => "宽限期",
            State::Lost => "可能已被回收",
            State::Paused => "停机保号中",
            State::Retiring => "销号中",
            State::Retired => "已销号",
        },
    }
}

/// What to do, as an instruction: "top up", "add balance for the fee on 2027-04-01".
pub fn action(language: Language, obligation: &Obligation) -> String {
    let english = language == Language::English;
    match (obligation.action(), &obligation.why) {
        (Action::AddBalance, Why::Fee { first_unpaid, .. }) => {
            if english {
                format!("add balance for the fee on {first_unpaid}")
            } else {
                format!("充值余额，以支付 {first_unpaid} 的月租")
            }
        }
        (action, _) => match (action, english) {
            (Action::TopUp, true) => "top up".into(),
            (Action::TopUp, false) => "充值".into(),
            (Action::Use, true) => "use it (a call, SMS or data)".into(),
            (Action::Use, false) => "使用一次（打电话、发短信或用流量）".into(),
            (Action::AddBalance, true) => "add balance".into(),
            (Action::AddBalance, false) => "充值余额".into(),
            (Action::Resume, true) => "resume the pause".into(),
            (Action::Resume, false) => "恢复服务（结束停机保号）".into(),
            (Action::Renew, true) => "renew the plan".into(),
            (Action::Renew, false) => "续订套餐".into(),
            (Action::Cancel, true) => "cancel the number (after its checklist)".into(),
            (Action::Cancel, false) => "销号（先完成销号清单）".into(),
        },
    }
}

/// The rule and the recorded date it counts from.
pub fn why(language: Language, why: &Why) -> String {
    let mut out = String::new();
    write_why(&mut out, language, why);
    out
}

/// [`why`], appended to `out` (no allocation per call on the hot `status --json` path).
pub fn write_why(out: &mut String, language: Language, why: &Why) {
    let english = language == Language::English;
    // Writing to a String cannot fail.
    let _ = match why {
        Why::ToppedUp {
            on,
            amount,
            valid_for,
        } => match (amount, english) {
            (None, true) => {
                // The most common reason of all, written without format machinery.
                out.push_str("topped up ");
                push_date(out, *on);
                out.push_str(", valid ");
                out.push_str(itoa::Buffer::new().format(valid_for.count));
                out.push_str(valid_for.unit.suffix());
                Ok(())
            }
            (Some(amount), true) => {
                write!(
                    out,
                    "topped up {amount} on {on}, valid {}",
                    compact(*valid_for)
                )
            }
            (None, false) => write!(out, "{on} 充值，有效期 {}", period(language, *valid_for)),
            (Some(amount), false) => {
                write!(
                    out,
                    "{on} 充值 {amount}，有效期 {}",
                    period(language, *valid_for)
                )
            }
        },
        Why::Used {
            last,
            by_topup,
            every,
        } => match (every, english) {
            (UseEvery::Period(every), true) => {
                let what = if *by_topup {
                    "last top-up (counts as use)"
                } else {
                    "last used"
                };
                write!(out, "{what} {last}, use every {}", compact(*every))
            }
            (UseEvery::CalendarMonth, true) => {
                let what = if *by_topup {
                    "last top-up (counts as use)"
                } else {
                    "last used"
                };
                write!(out, "{what} {last}, some use needed every calendar month")
            }
            (UseEvery::Period(every), false) => {
                let what = if *by_topup {
                    "上次充值（算作使用）"
                } else {
                    "上次使用"
                };
                write!(out, "{what} {last}，{}内至少使用一次", every_zh(*every))
            }
            (UseEvery::CalendarMonth, false) => {
                let what = if *by_topup {
                    "上次充值（算作使用）"
                } else {
                    "上次使用"
                };
                write!(out, "{what} {last}，每个自然月都要使用")
            }
        },
        Why::Fee {
            balance,
            read_on,
            fee,
            every,
            charges_paid,
            first_unpaid,
        } => {
            if english {
                let charges = if *charges_paid == 1 {
                    "charge"
                } else {
                    "charges"
                };
                write!(
                    out,
                    "balance {balance} on {read_on} pays {charges_paid} {charges} of {fee} every {}; first unpaid charge {first_unpaid}",
                    compact(*every)
                )
            } else {
                write!(
                    out,
                    "{read_on} 余额 {balance}，够扣 {charges_paid} 次（{}扣 {fee}）；{first_unpaid} 的扣费将无法支付",
                    every_zh(*every)
                )
            }
        }
        Why::ValidUntil { date } => {
            if english {
                write!(out, "valid until {date}")
            } else {
                write!(out, "有效期至 {date}")
            }
        }
        Why::Paused { since, max } => {
            if english {
                write!(
                    out,
                    "paused since {since}, a pause lasts at most {}",
                    compact(*max)
                )
            } else {
                write!(out, "{since} 起停机保号，最长 {}", period(language, *max))
            }
        }
        Why::Resumed { on, window } => match (window, english) {
            (ResumedWindow::TopUp { valid_for }, true) => write!(
                out,
                "pause ended {on}, top-up validity restarts: valid {}",
                compact(*valid_for)
            ),
            (ResumedWindow::TopUp { valid_for }, false) => write!(
                out,
                "{on} 恢复服务，有效期重新计算：{}",
                period(language, *valid_for)
            ),
            (
                ResumedWindow::Use {
                    every: UseEvery::Period(every),
                },
                true,
            ) => write!(out, "pause ended {on}, use every {}", compact(*every)),
            (
                ResumedWindow::Use {
                    every: UseEvery::CalendarMonth,
                },
                true,
            ) => write!(
                out,
                "pause ended {on}, some use needed every calendar month"
            ),
            (
                ResumedWindow::Use {
                    every: UseEvery::Period(every),
                },
                false,
            ) => write!(out, "{on} 恢复服务，{}内至少使用一次", every_zh(*every)),
            (
                ResumedWindow::Use {
                    every: UseEvery::CalendarMonth,
                },
                false,
            ) => {
                write!(out, "{on} 恢复服务，每个自然月都要使用")
            }
        },
        Why::Retire { basis } => match (basis, english) {
            (RetireBasis::Written, true) => out.write_str("being cancelled (retire_by)"),
            (RetireBasis::Written, false) => out.write_str("销号中（按计划的销号日期）"),
            (RetireBasis::BeforeFee { charge }, true) => write!(
                out,
                "being cancelled: before the next fee is charged on {charge}"
            ),
            (RetireBasis::BeforeFee { charge }, false) => {
                write!(out, "销号中：在 {charge} 扣下一次月租之前销号")
            }
            (RetireBasis::EarliestDeadline { rule }, true) => write!(
                out,
                "being cancelled: before the next deadline ({})",
                rule.key()
            ),
            (RetireBasis::EarliestDeadline { rule }, false) => {
                write!(out, "销号中：在下一个期限（{}）之前销号", rule_zh(*rule))
            }
        },
    };
}

/// A rule in Chinese words, for reasons.
fn rule_zh(rule: RuleKind) -> &'static str {
    match rule {
        RuleKind::TopupValidFor => "充值有效期",
        RuleKind::UseEvery => "定期使用",
        RuleKind::Fee => "月租扣费",
        RuleKind::ValidUntil => "有效期至",
        RuleKind::PauseMax => "停机保号期限",
        RuleKind::RetireBy => "销号日期",
    }
}

/// One item of the cancellation checklist, with the lines under it (the bound accounts,
/// in Chinese, under 换绑).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistItem {
    pub text: String,
    pub lines: Vec<String>,
}

impl ChecklistItem {
    fn plain(text: impl Into<String>) -> ChecklistItem {
        ChecklistItem {
            text: text.into(),
            lines: Vec::new(),
        }
    }
}

/// The cancellation checklist a `cancel` reminder carries (DESIGN.md §4): one line per
/// `bound_to` account first, then `settings.retire_checklist` if set, else the built-in
/// items (the Chinese text is WORDS-zh.md's 销号清单).
pub fn retire_checklist(
    language: Language,
    bound_to: &[Box<str>],
    custom: Option<&[String]>,
) -> Vec<ChecklistItem> {
    let english = language == Language::English;
    let mut items = Vec::new();
    if english {
        for account in bound_to {
            items.push(ChecklistItem::plain(format!(
                "Move {account} to another number"
            )));
        }
    } else if !bound_to.is_empty() {
        items.push(ChecklistItem {
            text: "把绑定此号码的账户换绑到其他号码：".into(),
            lines: bound_to.iter().map(|account| account.to_string()).collect(),
        });
    }
    if let Some(custom) = custom {
        items.extend(custom.iter().map(ChecklistItem::plain));
        return items;
    }
    if bound_to.is_empty() {
        items.push(ChecklistItem::plain(if english {
            "Move every account that sends codes to this number to another number"
        } else {
            "把绑定此号码的账户换绑到其他号码"
        }));
    }
    let general: &[&str] = if english {
        &[
            "Move the bank and 2FA logins to another number",
            "Spend, transfer or get back the balance (or port the number out to keep it)",
            "Stop any automatic top-up or fee",
            "Keep the records: account id, final balance, cancellation confirmation",
            "For a Chinese mainland number: check the accounts bound to it with the 一证通查 service",
        ]
    } else {
        &[
            "更换银行、支付（支付宝、微信支付）和两步验证的手机号",
            "用完、转出或申请退还余额；需要保留号码的话，先办理携号转网",
            "关闭自动充值和自动扣费",
            "保存记录：账户编号、最后余额、销号确认",
            "中国大陆号码：用\"一证通查\"查询名下号码和绑定的互联网账户",
        ]
    };
    items.extend(general.iter().map(|item| ChecklistItem::plain(*item)));
    items
}

/// "HSBC and WeChat Pay send codes to this number" (DESIGN.md §4), `None` without accounts.
pub fn bound_to(language: Language, accounts: &[Box<str>]) -> Option<String> {
    let names: Vec<&str> = accounts.iter().map(|account| &**account).collect();
    match (language, names.as_slice()) {
        (_, []) => None,
        (Language::English, [one]) => Some(format!("{one} sends codes to this number")),
        (Language::English, [rest @ .., last]) => Some(format!(
            "{} and {last} send codes to this number",
            rest.join(", ")
        )),
        (Language::SimplifiedChinese, names) => {
            Some(format!("绑定此号码的账户：{}", names.join("、")))
        }
    }
}

/// The config spelling (`90d`), which users recognise from their own file.
fn compact(period: Period) -> String {
    period.to_string()
}

/// Display width in terminal columns: CJK characters take two.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|character| match character as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn dates_carry_their_weekday() {
        assert_eq!(
            date_with_weekday(Language::English, date(2026, 11, 30)),
            "Mon 2026-11-30"
        );
        assert_eq!(
            date_with_weekday(Language::SimplifiedChinese, date(2026, 11, 29)),
            "2026-11-29（周日）"
        );
    }

    #[test]
    fn dates_are_written_like_jiff_writes_them() {
        for date in [
            date(2026, 1, 5),
            date(987, 12, 31),
            date(9999, 12, 31),
            date(1, 1, 1),
        ] {
            let mut out = String::new();
            push_date(&mut out, date);
            assert_eq!(out, date.to_string());
        }
    }

    #[test]
    fn periods_in_words() {
        assert_eq!(period(Language::English, Period::days(1)), "1 day");
        assert_eq!(period(Language::English, Period::months(6)), "6 months");
        assert_eq!(
            period(Language::SimplifiedChinese, Period::months(6)),
            "6 个月"
        );
    }

    #[test]
    fn widths_count_cjk_double() {
        assert_eq!(display_width("due"), 3);
        assert_eq!(display_width("宽限期"), 6);
        assert_eq!(display_width("周一 x"), 6);
    }
}
