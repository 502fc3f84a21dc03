//! Where each number stands on a given day: its state, days left and most urgent obligation.
//! Pure: "today" is an argument.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use smallvec::SmallVec;

use crate::config::model::{Config, GracePhase, LineStatus, NumberEntry};
use crate::config::period::{Period, Unit, add_days, days_between};

use super::deadline::{Obligation, obligations};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Ok,
    Due,
    Grace,
    Lost,
    Paused,
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
            State::Retired => "retired",
        }
    }
}

/// An obligation placed on the user's calendar.
#[derive(Clone, Debug, PartialEq)]
pub struct Deadline {
    pub obligation: Obligation,
    /// The user's date (in `settings.timezone`) of the act-by day's last instant in the
    /// carrier's zone: the day the user must act by.
    pub local_act_by: Date,
    /// The user's date on which the number is lost.
    pub local_lost_on: Date,
    /// `local_act_by` − today, in days; negative in grace.
    pub days_left: i32,
}

/// A number's deadlines, kept inline for the common number with one rule: `status` holds a
/// report for every number of the config at once.
pub type Deadlines = SmallVec<[Deadline; 1]>;

/// One number on one day.
#[derive(Clone, Debug)]
pub struct NumberReport<'c> {
    pub entry: &'c NumberEntry,
    pub state: State,
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

/// The user's date of the last instant of `act_by` in the carrier's zone. Without a carrier
/// zone, or in the same zone, it is `act_by` itself.
pub fn local_deadline(act_by: Date, carrier_zone: Option<&TimeZone>, user_zone: &TimeZone) -> Date {
    let Some(carrier_zone) = carrier_zone.filter(|zone| *zone != user_zone) else {
        return act_by;
    };
    let last_instant = act_by
        .tomorrow()
        .and_then(|next_day| next_day.to_zoned(carrier_zone.clone()))
        .and_then(|start| {
            start
                .timestamp()
                .checked_sub(jiff::SignedDuration::from_nanos(1))
        });
    match last_instant {
        Ok(instant) => instant.to_zoned(user_zone.clone()).date(),
        Err(_) => act_by,
    }
}

/// Evaluates one number on `today` (a date in `settings.timezone`).
pub fn evaluate_number<'c>(
    config: &'c Config,
    number: &'c NumberEntry,
    today: Date,
) -> NumberReport<'c> {
    if number.status == LineStatus::Retired {
        return NumberReport {
            entry: number,
            state: State::Retired,
            deadlines: Deadlines::new(),
            grace_phase: None,
        };
    }
    let rules = number.effective_rules();
    let user_zone = &config.settings.timezone.tz;
    let carrier_zone = rules.timezone.map(|zone| &zone.tz);
    let found = obligations(number).unwrap_or_default();
    // A loop rather than `collect`, which moved each obligation twice more.
    let mut deadlines = Deadlines::with_capacity(found.len());
    for obligation in found {
        let local_act_by = local_deadline(obligation.act_by, carrier_zone, user_zone);
        let grace_days = days_between(obligation.act_by, obligation.lost_on);
        let local_lost_on =
            add_days(local_act_by, i64::from(grace_days)).unwrap_or(obligation.lost_on);
        deadlines.push(Deadline {
            days_left: days_between(today, local_act_by),
            local_act_by,
            local_lost_on,
            obligation,
        });
    }
    let leads = number.remind_before(&config.settings);
    let (state, grace_phase) = match deadlines.first() {
        None => (State::Ok, None),
        Some(deadline) if today >= deadline.local_lost_on => (State::Lost, None),
        Some(deadline) if deadline.days_left < 0 => (
            State::Grace,
            grace_phase_on(today, deadline.local_act_by, rules.grace),
        ),
        Some(deadline) if in_reminder_window(today, deadline.local_act_by, leads) => {
            (State::Due, None)
        }
        Some(_) if number.is_paused() => (State::Paused, None),
        Some(_) => (State::Ok, None),
    };
    NumberReport {
        entry: number,
        state,
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

    pub fn first(&self) -> Option<&NumberReport<'c>> {
        self.iter().next()
    }

    pub fn len(&self) -> usize {
        self.reports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }
}

/// Every number on `today`, most urgent first: earliest act-by first (lost and in-grace
/// numbers therefore lead), retired numbers last, ties by number.
///
/// Only the order is sorted, not the reports: moving 100,000 reports into place was a
/// chain of cache misses that cost a sixth of `status`.
pub fn evaluate(config: &Config, today: Date) -> Evaluation<'_> {
    let reports: Vec<NumberReport<'_>> = config
        .numbers
        .iter()
        .map(|number| evaluate_number(config, number, today))
        .collect();
    // Far fewer numbers than 2^32 fit in memory; the index bits hold 2^44.
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
pub fn most_urgent(config: &Config, today: Date) -> Option<NumberReport<'_>> {
    config
        .numbers
        .iter()
        .map(|number| evaluate_number(config, number, today))
        .min_by_key(urgency_key)
}

/// The low bits of a sort key that hold the report's index.
const INDEX_MASK: u128 = (1 << 44) - 1;

/// Most urgent first: active before retired, then by the user's act-by date (none first),
/// then by number, packed into one integer whose order is that order, with the low 44 bits
/// left for the report's index: the retired flag and the date (as 1 + year·512 + month·32 +
/// day, 23 bits; 0 for none) at the top, then the number's digits, one per 4 bits as
/// digit + 1, first digit highest, zero-padded to 15, which keeps string order (a number
/// that is a prefix of another comes first).
fn urgency_key(report: &NumberReport<'_>) -> u128 {
    let retired = u128::from(report.state == State::Retired) << 127;
    let act_by = report.most_urgent().map_or(0, |deadline| {
        let date = deadline.local_act_by;
        let year = u32::try_from(date.year()).unwrap_or(0);
        1 + (year << 9
            | u32::from(date.month().unsigned_abs()) << 5
            | u32::from(date.day().unsigned_abs()))
    });
    // `+` and at most 15 digits.
    let digits = report.entry.number.bytes().skip(1).take(15);
    let number = digits
        .chain(std::iter::repeat(b'0' - 1))
        .take(15)
        .fold(0u64, |key, digit| {
            key << 4 | u64::from(digit.wrapping_sub(b'0' - 1))
        });
    debug_assert!(act_by < 1 << 23);
    retired | u128::from(act_by) << 104 | u128::from(number) << 44
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    #[test]
    fn carrier_zone_moves_the_users_deadline() {
        // (act-by in carrier zone, carrier zone, user zone, the user's last day)
        let cases = [
            (
                date(2026, 11, 30),
                "Asia/Kuwait",
                "America/New_York",
                date(2026, 11, 30),
            ),
            (
                date(2026, 11, 30),
                "Pacific/Honolulu",
                "Asia/Kuwait",
                date(2026, 12, 1),
            ),
            (
                date(2026, 11, 30),
                "Pacific/Kiritimati",
                "Pacific/Pago_Pago",
                date(2026, 11, 29),
            ),
            (
                date(2026, 11, 30),
                "Pacific/Pago_Pago",
                "Pacific/Kiritimati",
                date(2026, 12, 2),
            ),
            (
                date(2026, 11, 30),
                "Asia/Shanghai",
                "Asia/Shanghai",
                date(2026, 11, 30),
            ),
            // A DST change on the act-by day itself does not move the date.
            (
                date(2026, 3, 8),
                "America/New_York",
                "America/Chicago",
                date(2026, 3, 8),
            ),
        ];
        for (act_by, carrier, user, expected) in cases {
            let found = local_deadline(act_by, Some(&zone(carrier)), &zone(user));
            assert_eq!(found, expected, "{carrier} → {user}");
        }
        assert_eq!(
            local_deadline(date(2026, 11, 30), None, &zone("UTC")),
            date(2026, 11, 30)
        );
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
        let today = date(2026, 11, 23);
        let order: Vec<&str> = evaluate(&config, today)
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
    fn day_count_windows_match_calendar_windows() {
        let act_by = date(2026, 3, 31);
        let leads = ["0d", "1d", "30d", "2w", "1mo", "1y", "36600d"]
            .map(|text| Period::parse(text).unwrap());
        for today in date(2025, 3, 1).series(jiff::Span::new().days(1)).take(500) {
            for lead in leads {
                let by_calendar = lead.before(act_by).is_none_or(|opens| today >= opens);
                let days_left = days_between(today, act_by);
                assert_eq!(
                    lead_window_open(lead, today, act_by, days_left),
                    by_calendar,
                    "{today} {lead}"
                );
            }
        }
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
