//! Where each number stands at one moment: its state, days left and most urgent obligation.
//! Pure: "now" is an argument.
//!
//! Dates are counted in the carrier's calendar (DESIGN.md §2): each number's *today* is the
//! date of "now" in its carrier's zone, and its deadlines are instants — the end of the
//! act-by day and the start of the lost-on day there — which outputs show in the user's zone.

use jiff::Timestamp;
use jiff::Zoned;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use smallvec::SmallVec;

use crate::model::period::{Period, Unit, days_between};
use crate::model::{Config, GracePhase, LineStatus, NumberEntry, Settings, Zone};

use super::deadline::{Obligation, obligations, retire_obligation};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Ok,
    Due,
    Grace,
    Lost,
    Paused,
    Retiring,
    Retired,
}

impl State {
    pub fn key(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Due => "due",
            State::Grace => "grace",
            State::Lost => "lost",
            State::Paused => "paused",
            State::Retiring => "retiring",
            State::Retired => "retired",
        }
    }
}

/// "Now" as the core sees it: an instant (the clock, or `--at` with a time), or a date alone
/// (`--at 2026-12-13`), which is that date in every calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    instant: Option<Timestamp>,
    /// The date in `settings.timezone`: the schedule's day, and the day of a grace nag.
    user_today: Date,
}

impl Now {
    /// The instant `now`, which must be written in `settings.timezone`.
    pub fn at(now: &Zoned) -> Now {
        Now {
            instant: Some(now.timestamp()),
            user_today: now.date(),
        }
    }

    /// "What if today were `day`", in every calendar.
    pub fn on_day(day: Date) -> Now {
        Now {
            instant: None,
            user_today: day,
        }
    }

    /// Today in `settings.timezone`.
    pub fn user_today(self) -> Date {
        self.user_today
    }

    /// The instant, unless only a date was given.
    pub fn instant(self) -> Option<Timestamp> {
        self.instant
    }

    /// Today in the calendar of `zone`.
    pub fn today_in(self, zone: &TimeZone) -> Date {
        match self.instant {
            Some(instant) => zone.to_datetime(instant).date(),
            None => self.user_today,
        }
    }
}

/// The zone whose calendar a number's dates are counted in: its own or its carrier's
/// `timezone`, else `settings.timezone`.
pub fn carrier_zone<'c>(number: &'c NumberEntry, settings: &'c Settings) -> &'c Zone {
    number
        .effective_rules()
        .timezone
        .unwrap_or(&settings.timezone)
}

/// The first instant of `day` in `zone` (the later side of a gap at midnight). Days past
/// the end of time, which validation keeps out of real configs, map to the last instant.
pub fn start_of_day(day: Date, zone: &TimeZone) -> Timestamp {
    zone.to_ambiguous_timestamp(day.to_datetime(Time::midnight()))
        .compatible()
        .unwrap_or(Timestamp::MAX)
}

/// An obligation with its instants and the days left from the number's today.
#[derive(Clone, Debug, PartialEq)]
pub struct Deadline {
    /// Act-by and lost-on, dates in the carrier's calendar.
    pub obligation: Obligation,
    /// The instant act-by ends: the first instant of the next day in the carrier's zone.
    pub deadline_at: Timestamp,
    /// The first instant of lost-on in the carrier's zone.
    pub lost_at: Timestamp,
    /// act-by − the number's today, in days; negative in grace.
    pub days_left: i32,
}

impl Deadline {
    /// Places `obligation` in `zone` and counts the days left from `today` (a date there).
    pub fn new(obligation: Obligation, zone: &TimeZone, today: Date) -> Deadline {
        let deadline_at = obligation
            .act_by
            .tomorrow()
            .map_or(Timestamp::MAX, |day| start_of_day(day, zone));
        Deadline {
            deadline_at,
            lost_at: start_of_day(obligation.lost_on, zone),
            days_left: days_between(today, obligation.act_by),
            obligation,
        }
    }
}

/// A number's deadlines, kept inline for the common number with one rule: `status` holds a
/// report for every number of the config at once.
pub type Deadlines = SmallVec<[Deadline; 1]>;

/// One number at one moment.
#[derive(Clone, Debug)]
pub struct NumberReport<'c> {
    pub entry: &'c NumberEntry,
    pub state: State,
    /// The number's today: the date of "now" in its carrier's zone.
    pub today: Date,
    /// Every obligation, earliest first; empty for a retired number.
    pub deadlines: Deadlines,
    /// The grace phase the number is in, when in grace.
    pub grace_phase: Option<&'c GracePhase>,
}

impl NumberReport<'_> {
    pub fn most_urgent(&self) -> Option<&Deadline> {
        self.deadlines.first()
    }
}

/// Evaluates one number at `now`.
pub fn evaluate_number<'c>(
    config: &'c Config,
    number: &'c NumberEntry,
    now: Now,
) -> NumberReport<'c> {
    let rules = number.effective_rules();
    // Without a zone of its own, the number shares the user's calendar: no conversion.
    let (zone, today) = match rules.timezone {
        Some(zone) => (&zone.tz, now.today_in(&zone.tz)),
        None => (&config.settings.timezone.tz, now.user_today()),
    };
    if number.status == LineStatus::Retired {
        return NumberReport {
            entry: number,
            state: State::Retired,
            today,
            deadlines: Deadlines::new(),
            grace_phase: None,
        };
    }
    let mut found = obligations(number).unwrap_or_default();
    let retiring = number.status == LineStatus::Retiring;
    // The cancel-by day depends on the number's today, so it is computed here; on a tie it
    // comes first: cancelling is what the owner of a retiring number is doing.
    if retiring && let Some(cancel) = retire_obligation(number, today, &found) {
        let at = found.partition_point(|other| other.act_by < cancel.act_by);
        found.insert(at, cancel);
    }
    // A loop rather than `collect`, which moved each obligation twice more.
    let mut deadlines = Deadlines::with_capacity(found.len());
    for obligation in found {
        deadlines.push(Deadline::new(obligation, zone, today));
    }
    let leads = number.remind_before(&config.settings);
    let (state, grace_phase) = match deadlines.first() {
        None if retiring => (State::Retiring, None),
        None => (State::Ok, None),
        Some(deadline) if today >= deadline.obligation.lost_on => (State::Lost, None),
        Some(deadline) if deadline.days_left < 0 => (
            State::Grace,
            grace_phase_on(today, deadline.obligation.act_by, rules.grace),
        ),
        Some(deadline) if in_reminder_window(today, deadline.obligation.act_by, leads) => {
            (State::Due, None)
        }
        Some(_) if retiring => (State::Retiring, None),
        Some(_) if number.is_paused() => (State::Paused, None),
        Some(_) => (State::Ok, None),
    };
    NumberReport {
        entry: number,
        state,
        today,
        deadlines,
        grace_phase,
    }
}

/// Thresholds are windows: a lead L is due from `act_by − L` on, not only on that day.
pub fn in_reminder_window(today: Date, act_by: Date, leads: &[Period]) -> bool {
    let days_left = days_between(today, act_by);
    leads
        .iter()
        .any(|lead| lead_window_open(*lead, today, act_by, days_left))
}

/// Whether the window of `lead` before `act_by` has opened on `today` (`days_left` is
/// `act_by − today`). Leads in days or weeks compare day counts, which is the same as
/// comparing dates and much cheaper on large configs; months and years need the calendar.
pub fn lead_window_open(lead: Period, today: Date, act_by: Date, days_left: i32) -> bool {
    let count = i64::from(lead.count);
    match lead.unit {
        Unit::Day => i64::from(days_left) <= count,
        Unit::Week => i64::from(days_left) <= 7 * count,
        Unit::Month | Unit::Year => lead.before(act_by).is_none_or(|opens| today >= opens),
    }
}

fn grace_phase_on(today: Date, act_by: Date, phases: &[GracePhase]) -> Option<&GracePhase> {
    let mut phase_start = act_by.tomorrow().ok()?;
    for phase in phases {
        let phase_end = phase.length.after(phase_start)?;
        if today < phase_end {
            return Some(phase);
        }
        phase_start = phase_end;
    }
    None
}

/// Every number on one day: the reports in config order, and the order to show them in.
#[derive(Debug)]
pub struct Evaluation<'c> {
    reports: Vec<NumberReport<'c>>,
    /// Indices into `reports`, most urgent first.
    order: Vec<u32>,
}

impl<'c> Evaluation<'c> {
    /// The reports, most urgent first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &NumberReport<'c>> + Clone {
        self.order
            .iter()
            .map(|index| &self.reports[*index as usize])
    }

    pub fn len(&self) -> usize {
        self.reports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }
}

/// Every number at `now`, most urgent first: earliest deadline first (lost and in-grace
/// numbers therefore lead), retired numbers last, ties by number.
///
/// Only the order is sorted, not the reports: moving 100,000 reports into place was a
/// chain of cache misses that cost a sixth of `status`.
pub fn evaluate(config: &Config, now: Now) -> Evaluation<'_> {
    let reports: Vec<NumberReport<'_>> = config
        .numbers
        .iter()
        .map(|number| evaluate_number(config, number, now))
        .collect();
    // Far fewer numbers than 2^32 fit in memory; the index bits hold 2^33.
    debug_assert!(u32::try_from(reports.len()).is_ok());
    let mut keys: Vec<u128> = reports
        .iter()
        .enumerate()
        .map(|(index, report)| urgency_key(report) | index as u128)
        .collect();
    keys.sort_unstable();
    let order = keys.iter().map(|key| (key & INDEX_MASK) as u32).collect();
    Evaluation { reports, order }
}

/// The first report [`evaluate`] would give, without holding every report at once: the
/// daemon's status line and test message need only this one.
pub fn most_urgent(config: &Config, now: Now) -> Option<NumberReport<'_>> {
    config
        .numbers
        .iter()
        .map(|number| evaluate_number(config, number, now))
        .min_by_key(urgency_key)
}

/// The low bits of a sort key that hold the report's index.
const INDEX_BITS: u32 = 33;
const INDEX_MASK: u128 = (1 << INDEX_BITS) - 1;

/// Most urgent first: active before retired, then by deadline (none first), then by
/// number, packed into one integer whose order is that order, with the low 33 bits left
/// for the report's index: the retired flag and the deadline (whole minutes since jiff's
/// earliest instant, plus one; 0 for none; 34 bits) at the top, then the number's digits,
/// one per 4 bits as digit + 1, first digit highest, zero-padded to 15, which keeps string
/// order (a number that is a prefix of another comes first).
fn urgency_key(report: &NumberReport<'_>) -> u128 {
    let retired = u128::from(report.state == State::Retired) << 127;
    let deadline = report.most_urgent().map_or(0, |deadline| {
        let since_first = deadline.deadline_at.as_second() - Timestamp::MIN.as_second();
        1 + u64::try_from(since_first / 60).unwrap_or(0)
    });
    // `+` and at most 15 digits.
    let digits = report.entry.number.bytes().skip(1).take(15);
    let number = digits
        .chain(std::iter::repeat(b'0' - 1))
        .take(15)
        .fold(0u64, |key, digit| {
            key << 4 | u64::from(digit.wrapping_sub(b'0' - 1))
        });
    debug_assert!(deadline < 1 << 34);
    retired | u128::from(deadline) << (INDEX_BITS + 60) | u128::from(number) << INDEX_BITS
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// A config in `user` with one number whose carrier counts in `carrier` (or the user's
    /// zone), valid until `act_by`, then seven days of grace.
    fn one_number(user: &str, carrier: Option<&str>, act_by: &str) -> Config {
        let carrier_zone = carrier.map_or(String::new(), |zone| format!("timezone = \"{zone}\"\n"));
        crate::config::config_from_text(&format!(
            "[settings]\ntimezone = \"{user}\"\nremind_before = [\"3d\", \"0d\"]\n\
             [carriers.far]\n{carrier_zone}grace = \"7d\"\n\
             [[number]]\nnumber = \"+965 5123 4567\"\ncarrier = \"far\"\nvalid_until = {act_by}\n"
        ))
    }

    fn instant(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn deadlines_are_the_carriers_midnights_on_both_sides_of_the_date_line() {
        // (user zone, carrier zone, act-by, deadline and lost-at in the user's offset),
        // worked out by hand; grace is seven days, so lost-on is act-by + 8 days.
        let cases = [
            (
                "Asia/Shanghai",
                Some("Asia/Kuwait"),
                "2026-12-13",
                "2026-12-14T05:00:00+08:00",
                "2026-12-21T05:00:00+08:00",
            ),
            (
                "America/New_York",
                Some("Asia/Kuwait"),
                "2026-12-13",
                "2026-12-13T16:00:00-05:00",
                "2026-12-20T16:00:00-05:00",
            ),
            (
                "Pacific/Honolulu",
                Some("Europe/London"),
                "2026-12-13",
                "2026-12-13T14:00:00-10:00",
                "2026-12-20T14:00:00-10:00",
            ),
            (
                "Pacific/Auckland",
                Some("Pacific/Honolulu"),
                "2026-12-13",
                "2026-12-14T23:00:00+13:00",
                "2026-12-21T23:00:00+13:00",
            ),
            (
                "Pacific/Honolulu",
                Some("Pacific/Kiritimati"),
                "2026-12-13",
                "2026-12-13T00:00:00-10:00",
                "2026-12-20T00:00:00-10:00",
            ),
            (
                "Asia/Shanghai",
                Some("Pacific/Kiritimati"),
                "2026-12-13",
                "2026-12-13T18:00:00+08:00",
                "2026-12-20T18:00:00+08:00",
            ),
            (
                "Asia/Shanghai",
                None,
                "2026-12-13",
                "2026-12-14T00:00:00+08:00",
                "2026-12-21T00:00:00+08:00",
            ),
            // London moves to summer time between deadline and lost-at; New York already has.
            (
                "America/New_York",
                Some("Europe/London"),
                "2026-03-28",
                "2026-03-28T20:00:00-04:00",
                "2026-04-04T19:00:00-04:00",
            ),
            // Auckland leaves summer time the night before the deadline.
            (
                "Pacific/Auckland",
                Some("Europe/London"),
                "2026-04-04",
                "2026-04-05T11:00:00+12:00",
                "2026-04-12T11:00:00+12:00",
            ),
            (
                "Europe/London",
                Some("Pacific/Auckland"),
                "2026-04-04",
                "2026-04-04T12:00:00+01:00",
                "2026-04-11T13:00:00+01:00",
            ),
        ];
        let second = jiff::SignedDuration::from_secs(1);
        for (user, carrier, act_by, deadline, lost_at) in cases {
            let config = one_number(user, carrier, act_by);
            let entry = &config.numbers[0];
            let user_zone = config.settings.timezone.tz.clone();
            let report_at = |at: Timestamp| {
                evaluate_number(&config, entry, Now::at(&at.to_zoned(user_zone.clone())))
            };
            let (deadline, lost_at) = (instant(deadline), instant(lost_at));
            let report = report_at(deadline - second);
            assert_eq!(
                report.most_urgent().unwrap().deadline_at,
                deadline,
                "{user} / {carrier:?}"
            );
            assert_eq!(
                report.most_urgent().unwrap().lost_at,
                lost_at,
                "{user} / {carrier:?}"
            );
            let observed = [deadline - second, deadline, lost_at - second, lost_at].map(|at| {
                let report = report_at(at);
                (report.state, report.most_urgent().unwrap().days_left)
            });
            assert_eq!(
                observed,
                [
                    (State::Due, 0),
                    (State::Grace, -1),
                    (State::Grace, -7),
                    (State::Lost, -8)
                ],
                "{user} / {carrier:?}"
            );
        }
    }

    #[test]
    fn every_state_with_its_key_on_a_day_worked_out_by_hand() {
        // On 2026-11-23, leads of 7 days. (number, state, key, days left), in config order.
        let config = crate::config::config_from_text(
            "[settings]\ntimezone = \"UTC\"\nremind_before = [\"7d\"]\n\
             [[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 2026-12-01\n\
             [[number]]\nnumber = \"+965 5123 4568\"\nvalid_until = 2026-11-30\n\
             [[number]]\nnumber = \"+965 5123 4569\"\npause_max = \"90d\"\n\
             paused_since = 2026-10-15\n\
             [[number]]\nnumber = \"+965 5123 4570\"\npause_max = \"30d\"\n\
             paused_since = 2026-10-28\n\
             [[number]]\nnumber = \"+965 5123 4571\"\nvalid_until = 2026-11-20\ngrace = \"7d\"\n\
             [[number]]\nnumber = \"+965 5123 4572\"\nvalid_until = 2026-11-01\n\
             [[number]]\nnumber = \"+965 5123 4573\"\nvalid_until = 2026-11-01\n\
             status = \"retired\"\n",
        );
        let expected = [
            // 8 days left: one day before the 7-day window opens.
            (State::Ok, "ok", Some(8)),
            (State::Due, "due", Some(7)),
            // 2026-10-15 + 90 days − 1 = 2027-01-12: far off, and paused.
            (State::Paused, "paused", Some(50)),
            // 2026-10-28 + 30 days − 1 = 2026-11-26: paused and due.
            (State::Due, "due", Some(3)),
            (State::Grace, "grace", Some(-3)),
            (State::Lost, "lost", Some(-22)),
            (State::Retired, "retired", None),
        ];
        let today = Now::on_day(date(2026, 11, 23));
        let found: Vec<(State, &str, Option<i32>)> = config
            .numbers
            .iter()
            .map(|number| {
                let report = evaluate_number(&config, number, today);
                let days_left = report.most_urgent().map(|deadline| deadline.days_left);
                (report.state, report.state.key(), days_left)
            })
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn now_keeps_the_instant_it_was_given() {
        let at: Zoned = "2026-11-23T23:30:00+08:00[Asia/Shanghai]".parse().unwrap();
        let now = Now::at(&at);
        assert_eq!(now.instant(), Some(instant("2026-11-23T15:30:00Z")));
        assert_eq!(now.user_today(), date(2026, 11, 23));
        assert_eq!(now.today_in(&TimeZone::UTC), date(2026, 11, 23));
        assert_eq!(
            now.today_in(&TimeZone::get("Pacific/Auckland").unwrap()),
            date(2026, 11, 24)
        );
        let day = Now::on_day(date(2026, 11, 23));
        assert_eq!(day.instant(), None);
        assert_eq!(
            day.today_in(&TimeZone::get("Pacific/Auckland").unwrap()),
            date(2026, 11, 23)
        );
    }

    #[test]
    fn a_date_alone_is_that_date_in_every_calendar() {
        for (user, carrier) in [
            ("Asia/Shanghai", "Asia/Kuwait"),
            ("Pacific/Honolulu", "Pacific/Kiritimati"),
        ] {
            let config = one_number(user, Some(carrier), "2026-12-13");
            let days = ["2026-12-13", "2026-12-14", "2026-12-21"].map(|day| {
                let report = evaluate_number(
                    &config,
                    &config.numbers[0],
                    Now::on_day(day.parse().unwrap()),
                );
                (report.state, report.most_urgent().unwrap().days_left)
            });
            assert_eq!(
                days,
                [(State::Due, 0), (State::Grace, -1), (State::Lost, -8)],
                "{user}"
            );
        }
    }

    #[test]
    fn urgency_keys_order_like_the_fields_they_pack() {
        let config = crate::config::config_from_text(
            "[[number]]\nnumber = \"+44 7700 900123\"\nvalid_until = 2026-12-01\n\
             [[number]]\nnumber = \"+1 555 010 0199\"\nvalid_until = 2026-12-01\n\
             [[number]]\nnumber = \"+1 555 010 019\"\nvalid_until = 2026-12-01\n\
             [[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 2026-11-30\n\
             [[number]]\nnumber = \"+852 9123 4567\"\nvalid_until = 2027-01-01\n\
             [[number]]\nnumber = \"+33 6 12 34 56 78\"\nvalid_until = 2020-01-01\nstatus = \"retired\"\n",
        );
        let today = Now::on_day(date(2026, 11, 23));
        let evaluation = evaluate(&config, today);
        assert_eq!((evaluation.len(), evaluation.is_empty()), (6, false));
        let order: Vec<&str> = evaluation
            .iter()
            .map(|report| report.entry.number.as_str())
            .collect();
        let first = most_urgent(&config, today).map(|report| report.entry.number);
        assert_eq!(first.as_deref(), order.first().copied());
        assert_eq!(
            order,
            [
                "+96551234567",
                "+1555010019",
                "+15550100199",
                "+447700900123",
                "+85291234567",
                "+33612345678"
            ]
        );
    }

    #[test]
    fn lead_windows_open_on_the_days_worked_out_by_hand() {
        // (act-by, lead, the first day its window is open), each opening day counted on a
        // calendar by hand: month and year leads clamp at month end (31 March − 1 month is
        // 28 February), day and week leads count days across month and leap-day ends.
        let cases = [
            ("2026-03-31", "0d", "2026-03-31"),
            ("2026-03-31", "1d", "2026-03-30"),
            ("2026-03-31", "30d", "2026-03-01"),
            ("2026-03-31", "31d", "2026-02-28"),
            ("2026-03-31", "2w", "2026-03-17"),
            ("2026-03-31", "1mo", "2026-02-28"),
            ("2026-03-31", "2mo", "2026-01-31"),
            ("2026-03-31", "1y", "2025-03-31"),
            ("2026-02-28", "1mo", "2026-01-28"),
            ("2028-03-01", "1d", "2028-02-29"),
            ("2028-03-29", "1mo", "2028-02-29"),
            ("2028-02-29", "1y", "2027-02-28"),
            ("2028-02-29", "4w", "2028-02-01"),
            ("2026-12-31", "6mo", "2026-06-30"),
        ];
        for (act_by, lead, opens) in cases {
            let (act_by, opens): (Date, Date) = (act_by.parse().unwrap(), opens.parse().unwrap());
            let lead = Period::parse(lead).unwrap();
            let day_before = opens.yesterday().unwrap();
            for (today, open) in [(day_before, false), (opens, true), (act_by, true)] {
                let days_left = days_between(today, act_by);
                assert_eq!(
                    lead_window_open(lead, today, act_by, days_left),
                    open,
                    "{lead} before {act_by}, on {today}"
                );
                assert_eq!(
                    in_reminder_window(today, act_by, &[lead]),
                    open,
                    "{lead} before {act_by}, on {today}"
                );
            }
        }
        // 36600 days (a century and 75 days) opens on 1926-01-15; 36600 years
        // reaches before the calendar begins, so that window is open on every day.
        let act_by = date(2026, 3, 31);
        for today in [date(1926, 6, 1), date(2025, 3, 1), act_by] {
            let days_left = days_between(today, act_by);
            for lead in ["36600d", "36600y"] {
                let lead = Period::parse(lead).unwrap();
                assert!(
                    lead_window_open(lead, today, act_by, days_left),
                    "{lead} {today}"
                );
            }
        }
    }

    #[test]
    fn a_number_that_is_a_prefix_of_another_comes_first_on_the_same_deadline() {
        // Same deadline instant; the longer number is listed first in the config, and its
        // next digit is 0, the smallest digit: only a padding below every digit puts the
        // shorter one first.
        let config = crate::config::config_from_text(
            "[[number]]\nnumber = \"+1 555 010 0190\"\nvalid_until = 2026-12-01\n\
             [[number]]\nnumber = \"+1 555 010 019\"\nvalid_until = 2026-12-01\n\
             [[number]]\nnumber = \"+1 555 010 01\"\nvalid_until = 2026-12-01\n",
        );
        let today = Now::on_day(date(2026, 11, 23));
        let order: Vec<&str> = evaluate(&config, today)
            .iter()
            .map(|report| report.entry.number.as_str())
            .collect();
        assert_eq!(order, ["+155501001", "+1555010019", "+15550100190"]);
        let first = most_urgent(&config, today).map(|report| report.entry.number);
        assert_eq!(first.as_deref(), Some("+155501001"));
    }

    #[test]
    fn windows_open_at_the_lead_and_stay_open() {
        let act_by = date(2026, 11, 30);
        let leads = [Period::days(7), Period::days(0)];
        let cases = [
            (date(2026, 11, 22), false),
            (date(2026, 11, 23), true),
            (date(2026, 11, 29), true),
            (date(2026, 11, 30), true),
        ];
        for (today, expected) in cases {
            assert_eq!(
                in_reminder_window(today, act_by, &leads),
                expected,
                "{today}"
            );
        }
        assert!(!in_reminder_window(date(2026, 11, 29), act_by, &[]));
        assert!(in_reminder_window(
            date(2026, 10, 30),
            act_by,
            &[Period::months(1)]
        ));
        assert!(!in_reminder_window(
            date(2026, 10, 29),
            act_by,
            &[Period::months(1)]
        ));
    }
}
