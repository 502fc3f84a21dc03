//! Reminder planning: given the config, what was already sent, and "now", which reminders
//! are due on which channel, and when to check next. Pure: no clock, no I/O.
//!
//! Every reminder has a key (channel, number, rule, act-by, threshold) and is sent once per
//! key. Thresholds are windows (`days_left <= lead`), so a reminder missed while the machine
//! was off is still due afterwards; when several are due at once only the most urgent is
//! sent and the others are marked done with it.

use std::collections::HashSet;
use std::fmt;

use jiff::civil::Date;

use crate::model::period::Period;
use crate::model::phone::PhoneNumber;
use crate::model::{Config, GracePhase, NumberEntry};

use super::deadline::RuleKind;
use super::status::{Deadline, Now, NumberReport, State, evaluate_number, lead_window_open};

/// Where a reminder goes: the log, one email recipient, or one `[[notify]]` channel (by its
/// name).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Log,
    Email(String),
    Notify(String),
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Log => f.write_str("log"),
            Channel::Email(address) => write!(f, "mailto:{address}"),
            Channel::Notify(name) => write!(f, "notify:{name}"),
        }
    }
}

impl Channel {
    pub fn kind(&self) -> ChannelKind {
        match self {
            Channel::Log => ChannelKind::Log,
            Channel::Email(_) => ChannelKind::Email,
            Channel::Notify(_) => ChannelKind::Notify,
        }
    }
}

/// The kinds of channel, each carried out by one module of the shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    Log,
    Email,
    Notify,
}

/// Who gets reminders: the one place that decides it. The log always; with an `[email]`
/// section, every address of `email.to`, then the number's own `email` list, each once;
/// then every `[[notify]]` channel. A number's `notify = [...]` limits both to the channels
/// it names (`email` standing for the email channel). Without a number, the config-wide
/// recipients.
pub fn recipients(config: &Config, number: Option<&NumberEntry>) -> Vec<Channel> {
    let mut channels = vec![Channel::Log];
    let limit = number.and_then(NumberEntry::own_notify);
    let allowed = |name: &str| limit.is_none_or(|names| names.iter().any(|n| n == name));
    if let Some(email) = config.email.as_ref().filter(|_| allowed("email")) {
        let own = number.map_or(&[][..], NumberEntry::own_recipients);
        for address in email.to.iter().chain(own) {
            if !channels
                .iter()
                .any(|channel| matches!(channel, Channel::Email(known) if known == address))
            {
                channels.push(Channel::Email(address.clone()));
            }
        }
    }
    channels.extend(
        config
            .notify
            .iter()
            .filter(|channel| allowed(&channel.name))
            .map(|channel| Channel::Notify(channel.name.clone())),
    );
    channels
}

/// Every channel some reminder may go to, each once, in the order [`recipients`] gives
/// them number after number (what `test-alert` tries).
pub fn all_recipients(config: &Config) -> Vec<Channel> {
    let mut channels = recipients(config, None);
    for number in &config.numbers {
        if number.own_recipients().is_empty()
            || number
                .own_notify()
                .is_some_and(|names| !names.iter().any(|n| n == "email"))
        {
            continue;
        }
        for channel in recipients(config, Some(number)) {
            if !channels.contains(&channel) {
                channels.push(channel);
            }
        }
    }
    channels
}

/// Which reminder of an obligation this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Threshold {
    /// A lead time before act-by (`7d` before).
    Lead(Period),
    /// The daily reminder while in grace, for that day.
    Grace(Date),
    /// The final notice, from the lost-on date.
    Lost,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::Lead(period) => write!(f, "lead:{period}"),
            Threshold::Grace(day) => write!(f, "grace:{day}"),
            Threshold::Lost => f.write_str("lost"),
        }
    }
}

/// The identity of one reminder on one channel, stored once sent. Its text form
/// `channel|number|rule|act-by|threshold` is what the state store keeps.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReminderKey {
    pub channel: Channel,
    pub number: PhoneNumber,
    pub rule: RuleKind,
    pub act_by: Date,
    pub threshold: Threshold,
}

impl fmt::Display for ReminderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}|{}|{}|{}|{}",
            self.channel,
            self.number,
            self.rule.key(),
            self.act_by,
            self.threshold
        )
    }
}

/// What the planner needs to know of the past: the keys already done.
pub trait SentLog {
    fn is_done(&self, key: &str) -> bool;
}

impl SentLog for HashSet<String> {
    fn is_done(&self, key: &str) -> bool {
        self.contains(key)
    }
}

/// One due reminder for one obligation of one number.
#[derive(Clone, Debug)]
pub struct Alert<'c> {
    pub number: &'c NumberEntry,
    pub deadline: Deadline,
    pub threshold: Threshold,
    pub state: State,
    pub grace_phase: Option<&'c GracePhase>,
}

impl Alert<'_> {
    /// What the carrier does in the grace phase the number is in, if the user said.
    pub fn grace_state(&self) -> Option<&str> {
        self.grace_phase.and_then(|phase| phase.state.as_deref())
    }
}

/// Everything one channel must carry out now.
#[derive(Clone, Debug)]
pub struct Delivery<'c> {
    pub channel: Channel,
    /// Most urgent first.
    pub alerts: Vec<Alert<'c>>,
    /// Every key to record once the channel has accepted the message: the alerts' own keys
    /// and the less urgent thresholds they supersede.
    pub marks: Vec<String>,
}

impl Delivery<'_> {
    /// The keys of the reminders this delivery carries (not those they supersede): what was
    /// sent, for the history.
    pub fn sent_keys(&self) -> Vec<String> {
        self.alerts
            .iter()
            .map(|alert| {
                ReminderKey {
                    channel: self.channel.clone(),
                    number: alert.number.number,
                    rule: alert.deadline.obligation.rule,
                    act_by: alert.deadline.obligation.act_by,
                    threshold: alert.threshold,
                }
                .to_string()
            })
            .collect()
    }
}

impl Channel {
    /// The channel as metrics name it: `log`, `email` (never an address), `notify:NAME`.
    pub fn metrics_name(&self) -> String {
        match self {
            Channel::Log => "log".to_owned(),
            Channel::Email(_) => "email".to_owned(),
            Channel::Notify(name) => format!("notify:{name}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Plan<'c> {
    /// Today in `settings.timezone`.
    pub today: Date,
    pub deliveries: Vec<Delivery<'c>>,
}

/// Plans the reminders due at `now`. Windows and states follow each number's today in its
/// carrier's calendar; a grace nag is once per day of the user's.
pub fn plan<'c>(config: &'c Config, sent: &impl SentLog, now: Now) -> Plan<'c> {
    let today = now.user_today();
    let mut deliveries: Vec<Delivery<'c>> = Vec::new();
    for number in &config.numbers {
        let report = evaluate_number(config, number, now);
        if report.state == State::Retired {
            continue;
        }
        let leads = number.remind_before(&config.settings);
        let channels = recipients(config, Some(number));
        for deadline in &report.deadlines {
            for channel in &channels {
                let Some((threshold, marks)) =
                    due_threshold(channel, &report, deadline, leads, today, sent)
                else {
                    continue;
                };
                let delivery = match deliveries.iter_mut().find(|d| d.channel == *channel) {
                    Some(delivery) => delivery,
                    None => {
                        deliveries.push(Delivery {
                            channel: channel.clone(),
                            alerts: Vec::new(),
                            marks: Vec::new(),
                        });
                        let last = deliveries.len() - 1;
                        &mut deliveries[last]
                    }
                };
                delivery.alerts.push(Alert {
                    number,
                    deadline: deadline.clone(),
                    threshold,
                    state: report.state,
                    grace_phase: report.grace_phase,
                });
                delivery.marks.extend(marks);
            }
        }
    }
    for delivery in &mut deliveries {
        delivery.alerts.sort_by(|a, b| {
            (
                a.deadline.deadline_at,
                &a.number.number,
                a.deadline.obligation.rule,
            )
                .cmp(&(
                    b.deadline.deadline_at,
                    &b.number.number,
                    b.deadline.obligation.rule,
                ))
        });
    }
    deliveries.sort_by(|a, b| a.channel.cmp(&b.channel));
    Plan { today, deliveries }
}

/// The reminder due on `channel` for one obligation, with every key it settles; `None` when
/// nothing new is due. `user_today` names the day of a grace nag.
/// How long reminder keys are kept after their act-by date. The state forgets older ones
/// (it must not grow forever), so nothing is sent for them either: otherwise a number lost
/// years ago would get its final notice again at every check.
pub const REMEMBER_DAYS: i32 = 800;

fn due_threshold(
    channel: &Channel,
    report: &NumberReport<'_>,
    deadline: &Deadline,
    leads: &[Period],
    user_today: Date,
    sent: &impl SentLog,
) -> Option<(Threshold, Vec<String>)> {
    let number = &report.entry.number;
    let (today, act_by) = (report.today, deadline.obligation.act_by);
    // Two days short of the state's horizon: the carrier's today and the user's, by which
    // the state counts, may differ by one.
    if deadline.days_left < -(REMEMBER_DAYS - 2) {
        return None;
    }
    let key = |threshold| {
        ReminderKey {
            channel: channel.clone(),
            number: *number,
            rule: deadline.obligation.rule,
            act_by: deadline.obligation.act_by,
            threshold,
        }
        .to_string()
    };
    // Lead thresholds whose window has opened and that are not yet done.
    let open_leads: Vec<(Period, String)> = leads
        .iter()
        .filter(|lead| lead_window_open(**lead, today, act_by, deadline.days_left))
        .map(|lead| (*lead, key(Threshold::Lead(*lead))))
        .filter(|(_, key)| !sent.is_done(key))
        .collect();
    let most_urgent_lead = open_leads
        .iter()
        .map(|(lead, _)| *lead)
        .max_by_key(|lead| lead.before(act_by));

    let threshold = if today >= deadline.obligation.lost_on {
        Threshold::Lost
    } else if deadline.days_left < 0 {
        Threshold::Grace(user_today)
    } else {
        Threshold::Lead(most_urgent_lead?)
    };
    let own_key = key(threshold);
    if sent.is_done(&own_key) {
        return None;
    }
    let superseded = open_leads
        .into_iter()
        .map(|(_, key)| key)
        .filter(|key| *key != own_key);
    let marks = std::iter::once(own_key.clone()).chain(superseded).collect();
    Some((threshold, marks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use jiff::tz::TimeZone;

    fn config(text: &str) -> Config {
        crate::config::config_from_text(text)
    }

    const CONFIG: &str = r#"
[settings]
timezone = "UTC"
remind_before = ["7d", "3d", "0d"]
[email]
from = "numkeep <alerts@example.org>"
to = ["me@example.org"]
smtp = { host = "127.0.0.1", tls = "none" }
[carriers.prepaid]
topup_valid_for = "30d"
grace = "3d"
[[number]]
number = "+965 5123 4567"
carrier = "prepaid"
last_topup = 2026-11-01
email = ["alice@example.org"]
[[number]]
number = "+44 7700 900123"
carrier = "prepaid"
last_topup = 2026-11-01
status = "retired"
"#;

    fn at(day: Date) -> Now {
        Now::at(&day.at(9, 0, 0, 0).to_zoned(TimeZone::UTC).unwrap())
    }

    /// Runs the planner day by day, marking everything as delivered, and returns for each
    /// day the thresholds sent on the `mailto:me@example.org` channel.
    fn simulate(config: &Config, days: &[Date]) -> Vec<(Date, Vec<Threshold>)> {
        let mut sent = HashSet::new();
        let mut log = Vec::new();
        for day in days {
            let plan = plan(config, &sent, at(*day));
            let mut thresholds = Vec::new();
            for delivery in &plan.deliveries {
                if delivery.channel == Channel::Email("me@example.org".into()) {
                    thresholds.extend(delivery.alerts.iter().map(|alert| alert.threshold));
                }
                sent.extend(delivery.marks.iter().cloned());
            }
            log.push((*day, thresholds));
        }
        log
    }

    fn days(from: Date, to: Date) -> Vec<Date> {
        from.series(jiff::Span::new().days(1))
            .take_while(|day| *day <= to)
            .collect()
    }

    #[test]
    fn every_day_sends_each_threshold_once_then_nags_in_grace_then_final() {
        // Act-by 2026-11-30, grace 3 days, lost on 2026-12-04.
        let config = config(CONFIG);
        let log = simulate(&config, &days(date(2026, 11, 20), date(2026, 12, 8)));
        let sent: Vec<(Date, Vec<Threshold>)> =
            log.into_iter().filter(|(_, t)| !t.is_empty()).collect();
        assert_eq!(
            sent,
            vec![
                (date(2026, 11, 23), vec![Threshold::Lead(Period::days(7))]),
                (date(2026, 11, 27), vec![Threshold::Lead(Period::days(3))]),
                (date(2026, 11, 30), vec![Threshold::Lead(Period::days(0))]),
                (date(2026, 12, 1), vec![Threshold::Grace(date(2026, 12, 1))]),
                (date(2026, 12, 2), vec![Threshold::Grace(date(2026, 12, 2))]),
                (date(2026, 12, 3), vec![Threshold::Grace(date(2026, 12, 3))]),
                (date(2026, 12, 4), vec![Threshold::Lost]),
            ]
        );
    }

    #[test]
    fn catch_up_after_days_off_sends_only_the_most_urgent() {
        let config = config(CONFIG);
        // Off from 20 Nov to 29 Nov: the 7d and 3d windows are open, only 3d is sent.
        let log = simulate(
            &config,
            &[date(2026, 11, 20), date(2026, 11, 29), date(2026, 11, 30)],
        );
        assert_eq!(log[1].1, vec![Threshold::Lead(Period::days(3))]);
        assert_eq!(log[2].1, vec![Threshold::Lead(Period::days(0))]);
        // Off for ten days into grace: one grace nag, leads are settled with it.
        let log = simulate(
            &config,
            &[date(2026, 11, 20), date(2026, 12, 2), date(2026, 12, 2)],
        );
        assert_eq!(log[1].1, vec![Threshold::Grace(date(2026, 12, 2))]);
        assert!(log[2].1.is_empty(), "nothing twice on the same day");
    }

    #[test]
    fn renewing_rearms_thresholds() {
        let before = config(CONFIG);
        let mut sent = HashSet::new();
        for delivery in plan(&before, &sent, at(date(2026, 11, 29))).deliveries {
            sent.extend(delivery.marks);
        }
        // Topped up again on 29 Nov: act-by moves to 28 Dec, and the 7d reminder is due
        // again when its new window opens.
        let after =
            config(&CONFIG.replacen("last_topup = 2026-11-01", "last_topup = 2026-11-29", 1));
        assert!(
            plan(&after, &sent, at(date(2026, 11, 29)))
                .deliveries
                .is_empty()
        );
        let plan = plan(&after, &sent, at(date(2026, 12, 21)));
        let thresholds: Vec<Threshold> = plan.deliveries[0]
            .alerts
            .iter()
            .map(|a| a.threshold)
            .collect();
        assert_eq!(thresholds, vec![Threshold::Lead(Period::days(7))]);
    }

    #[test]
    fn recipients_get_their_own_digest_and_retired_numbers_stay_silent() {
        let config = config(CONFIG);
        let plan = plan(&config, &HashSet::new(), at(date(2026, 11, 29)));
        let channels: Vec<String> = plan
            .deliveries
            .iter()
            .map(|d| d.channel.to_string())
            .collect();
        assert_eq!(
            channels,
            ["log", "mailto:alice@example.org", "mailto:me@example.org"]
        );
        for delivery in &plan.deliveries {
            assert!(
                delivery
                    .alerts
                    .iter()
                    .all(|a| a.number.number == "+96551234567")
            );
        }
    }

    #[test]
    fn grace_reminders_say_what_the_carrier_does_in_that_phase() {
        // Act-by 2026-11-30; grace: 2 days "outgoing calls barred", then 2 days
        // "suspended, restorable"; lost on 2026-12-05.
        let config = config(&CONFIG.replacen(
            "grace = \"3d\"",
            "grace = [{ for = \"2d\", state = \"outgoing calls barred\" }, \
             { for = \"2d\", state = \"suspended, restorable\" }]",
            1,
        ));
        let cases = [
            (date(2026, 11, 30), None),
            (date(2026, 12, 1), Some("outgoing calls barred")),
            (date(2026, 12, 2), Some("outgoing calls barred")),
            (date(2026, 12, 3), Some("suspended, restorable")),
            (date(2026, 12, 4), Some("suspended, restorable")),
            (date(2026, 12, 5), None),
        ];
        for (day, expected) in cases {
            let plan = plan(&config, &HashSet::new(), at(day));
            let delivery = plan
                .deliveries
                .iter()
                .find(|d| d.channel == Channel::Email("me@example.org".into()))
                .unwrap();
            let alert = &delivery.alerts[0];
            assert_eq!(alert.grace_state(), expected, "{day}");
            let body = crate::render::digest::message(&config.settings, &delivery.alerts, day).body;
            let now_lines: Vec<&str> = body
                .lines()
                .filter(|line| line.trim_start().starts_with("Now:"))
                .collect();
            let expected_lines: Vec<String> = expected
                .map(|state| format!("  Now:        {state}"))
                .into_iter()
                .collect();
            assert_eq!(now_lines, expected_lines, "{day}:\n{body}");
        }
    }

    #[test]
    fn a_number_lost_long_ago_gets_no_final_notice_the_state_would_forget() {
        // Act-by 2026-11-30: the state forgets its keys 800 days later, so the final
        // notice is owed until 798 days after act-by and never after.
        let config = config(CONFIG);
        let act_by = date(2026, 11, 30);
        let day = |days: i64| act_by.checked_add(jiff::Span::new().days(days)).unwrap();
        let thresholds = |today: Date| -> Vec<Threshold> {
            plan(&config, &HashSet::new(), at(today))
                .deliveries
                .iter()
                .flat_map(|delivery| delivery.alerts.iter().map(|alert| alert.threshold))
                .collect()
        };
        assert!(thresholds(day(798)).contains(&Threshold::Lost));
        assert!(thresholds(day(799)).is_empty());
        assert!(thresholds(day(2000)).is_empty());
    }

    #[test]
    fn a_failed_channel_stays_due_while_others_are_done() {
        let config = config(CONFIG);
        let now = at(date(2026, 11, 29));
        let mut sent = HashSet::new();
        for delivery in plan(&config, &sent, now).deliveries {
            if delivery.channel != Channel::Email("alice@example.org".into()) {
                sent.extend(delivery.marks);
            }
        }
        let again = plan(&config, &sent, now);
        let channels: Vec<String> = again
            .deliveries
            .iter()
            .map(|d| d.channel.to_string())
            .collect();
        assert_eq!(channels, ["mailto:alice@example.org"]);
    }

    #[test]
    fn recipients_are_the_log_then_each_address_once() {
        let with_email = config(
            "[email]\nfrom = \"numkeep@example.org\"\nto = [\"a@example.org\", \"b@example.org\"]\nsendmail = \"/usr/sbin/sendmail\"\n\n[[number]]\nnumber = \"+96551234567\"\nvalid_until = 2027-01-31\nemail = [\"b@example.org\", \"c@example.org\"]\n\n[[number]]\nnumber = \"+96551234568\"\nvalid_until = 2027-01-31\nemail = [\"d@example.org\"]\n",
        );
        let email = |address: &str| Channel::Email(address.to_owned());
        let everyone = [Channel::Log, email("a@example.org"), email("b@example.org")];
        assert_eq!(recipients(&with_email, None), everyone);
        assert_eq!(
            recipients(&with_email, Some(&with_email.numbers[0])),
            [everyone.as_slice(), &[email("c@example.org")]].concat()
        );
        assert_eq!(
            all_recipients(&with_email),
            [
                everyone.as_slice(),
                &[email("c@example.org"), email("d@example.org")]
            ]
            .concat()
        );
        // Without an [email] section, the log alone.
        let log_only = config(
            "[[number]]\nnumber = \"+96551234567\"\nvalid_until = 2027-01-31\nemail = [\"c@example.org\"]\n",
        );
        assert_eq!(all_recipients(&log_only), [Channel::Log]);
    }
}
