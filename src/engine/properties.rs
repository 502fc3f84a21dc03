//! Property tests of the deadline engine: for random dates (1990–2100) and durations, the
//! invariants DESIGN.md §2 states hold. The expected calendar answers are computed here by
//! hand (own leap-year rule, own month arithmetic, own day counting), never with the code
//! under test (`Period`, `last_day_from`, jiff's date arithmetic); the hand calendar is
//! itself checked against known dates at the end of the file.

use std::str::FromStr;

use jiff::civil::{Date, date};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::deadline::{RuleKind, Why, obligations};
use crate::model::period::{Period, Unit};
use crate::model::*;

const CASES: u32 = 512;

fn is_leap_year(year: i16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i16, month: i8) -> i8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `anchor` + `months` calendar months, clamped at month end, computed from the calendar.
fn add_months_by_hand(anchor: Date, months: i64) -> Date {
    let month_index = i64::from(anchor.year()) * 12 + i64::from(anchor.month() - 1) + months;
    let year = i16::try_from(month_index.div_euclid(12)).unwrap();
    let month = i8::try_from(month_index.rem_euclid(12) + 1).unwrap();
    date(year, month, anchor.day().min(days_in_month(year, month)))
}

/// `day` + `days` days, counted by hand: day by day through the hand calendar (no jiff
/// arithmetic), so that no expected date below comes from the arithmetic under test.
fn add_days_by_hand(day: Date, days: i64) -> Date {
    let (mut year, mut month, mut dom) = (day.year(), day.month(), day.day());
    let mut left = days;
    // Whole 400-year cycles (146,097 days each) first, so that long periods stay cheap.
    let cycles = left.div_euclid(146_097);
    year += i16::try_from(cycles * 400).unwrap();
    left = left.rem_euclid(146_097);
    while left > 0 {
        let last = days_in_month(year, month);
        // Jump to the first of the next month when the rest of this month is not enough.
        let to_next_month = i64::from(last - dom) + 1;
        if left >= to_next_month {
            left -= to_next_month;
            dom = 1;
            if month == 12 {
                (year, month) = (year + 1, 1);
            } else {
                month += 1;
            }
        } else {
            dom += i8::try_from(left).unwrap();
            left = 0;
        }
    }
    date(year, month, dom)
}

/// `start` + `period`, by hand: days and weeks by counting, months and years clamped.
fn after_by_hand(start: Date, period: Period) -> Date {
    let count = i64::from(period.count);
    match period.unit {
        Unit::Day => add_days_by_hand(start, count),
        Unit::Week => add_days_by_hand(start, 7 * count),
        Unit::Month => add_months_by_hand(start, count),
        Unit::Year => add_months_by_hand(start, 12 * count),
    }
}

/// The last day of a window of `period` that starts on `start`: start + period − 1 day.
fn window_end_by_hand(start: Date, period: Period) -> Date {
    day_before_by_hand(after_by_hand(start, period))
}

fn day_before_by_hand(day: Date) -> Date {
    match (day.month(), day.day()) {
        (1, 1) => date(day.year() - 1, 12, 31),
        (month, 1) => date(day.year(), month - 1, days_in_month(day.year(), month - 1)),
        (month, dom) => date(day.year(), month, dom - 1),
    }
}

/// The last day of the month after the month of `day`.
fn end_of_next_month_by_hand(day: Date) -> Date {
    let (year, month) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    date(year, month, days_in_month(year, month))
}

/// The act-by of a number built by [`number_with`], worked out by hand.
fn act_by_by_hand(rule: DatedRule, period: Period, recorded: Date) -> Date {
    match rule {
        DatedRule::CalendarMonth => end_of_next_month_by_hand(recorded),
        DatedRule::Topup | DatedRule::Use | DatedRule::UseByTopup | DatedRule::Pause => {
            window_end_by_hand(recorded, period)
        }
    }
}

/// A civil date in 1990–2100; days 29–31 are clamped to the month's end, so month ends come
/// up often (they are where calendar arithmetic goes wrong).
fn any_date() -> impl Strategy<Value = Date> {
    (1990i16..=2100, 1i8..=12, 1i8..=31)
        .prop_map(|(year, month, day)| date(year, month, day.min(days_in_month(year, month))))
}

fn any_period() -> impl Strategy<Value = Period> {
    let unit = prop_oneof![
        Just(Unit::Day),
        Just(Unit::Week),
        Just(Unit::Month),
        Just(Unit::Year),
    ];
    (1u32..=1000, unit).prop_map(|(count, unit)| Period { count, unit })
}

fn any_grace() -> impl Strategy<Value = Vec<GracePhase>> {
    proptest::collection::vec(
        any_period().prop_map(|length| GracePhase {
            length,
            state: None,
        }),
        0..=3,
    )
}

fn blank_number() -> NumberEntry {
    let location = Location {
        path: std::sync::Arc::new("config.toml".into()),
        line: 1,
    };
    NumberEntry::new("+96551234567".parse().unwrap(), location)
}

/// The rules that count from one recorded date, and a number that records it.
#[derive(Clone, Copy, Debug)]
enum DatedRule {
    Topup,
    Use,
    UseByTopup,
    CalendarMonth,
    Pause,
}

fn any_dated_rule() -> impl Strategy<Value = DatedRule> {
    prop_oneof![
        Just(DatedRule::Topup),
        Just(DatedRule::Use),
        Just(DatedRule::UseByTopup),
        Just(DatedRule::CalendarMonth),
        Just(DatedRule::Pause),
    ]
}

fn number_with(rule: DatedRule, period: Period, recorded: Date) -> NumberEntry {
    let mut number = blank_number();
    match rule {
        DatedRule::Topup => {
            number.own_rules_mut().topup_valid_for = Some(TopupValidity::Fixed(period));
            number.last_topup = Some(recorded);
        }
        DatedRule::Use => {
            number.own_rules_mut().use_every = Some(UseEvery::Period(period));
            number.last_used = Some(recorded);
        }
        DatedRule::UseByTopup => {
            number.own_rules_mut().use_every = Some(UseEvery::Period(period));
            number.last_topup = Some(recorded);
        }
        DatedRule::CalendarMonth => {
            number.own_rules_mut().use_every = Some(UseEvery::CalendarMonth);
            number.last_used = Some(recorded);
        }
        DatedRule::Pause => {
            number.own_rules_mut().pause_max = Some(period);
            number.set_paused_since(Some(recorded));
        }
    }
    number
}

fn money(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// A window that starts on the recorded date lasts at least a day: acting on the
    /// recorded date itself is always in time.
    #[test]
    fn act_by_never_precedes_the_recorded_date(
        rule in any_dated_rule(),
        period in any_period(),
        recorded in any_date(),
    ) {
        let number = number_with(rule, period, recorded);
        let found = obligations(&number).unwrap();
        prop_assert_eq!(found.len(), 1);
        prop_assert!(found[0].act_by >= recorded, "{:?}", found[0]);
    }

    /// Window rules: act-by is exactly recorded + P − 1 day.
    #[test]
    fn window_ends_the_day_before_recorded_plus_period(
        rule in any_dated_rule(),
        period in any_period(),
        recorded in any_date(),
    ) {
        prop_assume!(!matches!(rule, DatedRule::CalendarMonth));
        let number = number_with(rule, period, recorded);
        let found = obligations(&number).unwrap();
        let end = after_by_hand(recorded, period);
        prop_assert_eq!(found[0].act_by, day_before_by_hand(end));
    }

    /// Topping up later never brings the deadline forward, whatever else the number has.
    #[test]
    fn a_later_topup_never_moves_act_by_earlier(
        validity in any_period(),
        every in any_period(),
        first in any_date(),
        later_by in 0i64..=2000,
        last_used in proptest::option::of(any_date()),
        valid_until in proptest::option::of(any_date()),
        grace in any_grace(),
    ) {
        let later = first.checked_add(jiff::Span::new().days(later_by)).unwrap();
        let mut number = blank_number();
        number.own_rules_mut().topup_valid_for = Some(TopupValidity::Fixed(validity));
        number.own_rules_mut().use_every = Some(UseEvery::Period(every));
        number.own_rules_mut().grace = Some(grace);
        number.last_used = last_used;
        number.valid_until = valid_until;
        number.last_topup = Some(first);
        let before = obligations(&number).unwrap();
        number.last_topup = Some(later);
        let after = obligations(&number).unwrap();
        prop_assert!(after[0].act_by >= before[0].act_by, "{:?} → {:?}", before, after);
        for rule in [RuleKind::TopupValidFor, RuleKind::UseEvery] {
            let act_by = |found: &[super::deadline::Obligation]| {
                found.iter().find(|o| o.rule == rule).map(|o| o.act_by)
            };
            prop_assert!(act_by(&after) >= act_by(&before), "{:?}", rule);
        }
    }

    /// A later use, for the period and calendar-month rules alike, never brings it forward.
    #[test]
    fn a_later_use_never_moves_act_by_earlier(
        every in prop_oneof![
            any_period().prop_map(UseEvery::Period),
            Just(UseEvery::CalendarMonth),
        ],
        first in any_date(),
        later_by in 0i64..=2000,
    ) {
        let later = first.checked_add(jiff::Span::new().days(later_by)).unwrap();
        let mut number = blank_number();
        number.own_rules_mut().use_every = Some(every);
        number.last_used = Some(first);
        let before = obligations(&number).unwrap()[0].act_by;
        number.last_used = Some(later);
        let after = obligations(&number).unwrap()[0].act_by;
        prop_assert!(after >= before, "{before} → {after}");
    }

    /// Month stepping from an anchor is one calendar computation, never a chain of clamped
    /// steps: anchor + n months keeps the anchor's day where the month has it.
    #[test]
    fn month_steps_from_an_anchor_never_drift(
        anchor in any_date(),
        months_per_step in 1u32..=24,
        steps in 0i64..=120,
    ) {
        let period = Period::months(months_per_step);
        let stepped = period.after_times(anchor, steps).unwrap();
        prop_assert_eq!(
            stepped,
            add_months_by_hand(anchor, i64::from(months_per_step) * steps)
        );
        let years = Period { count: months_per_step, unit: Unit::Year };
        prop_assert_eq!(
            years.after_times(anchor, steps).unwrap(),
            add_months_by_hand(anchor, 12 * i64::from(months_per_step) * steps)
        );
    }

    /// The fee rule: n = floor(balance / fee) charges are paid, the first unpaid one falls on
    /// anchor + n × every (computed from the anchor), and act-by is the day before it.
    #[test]
    fn fee_deadline_is_the_day_before_the_first_unpaid_charge(
        anchor in any_date(),
        months_per_charge in 1u32..=12,
        charges in 0u32..=60,
        // Cents left over after the whole charges: never enough for one more.
        leftover_cents in 0u32..298,
    ) {
        let fee = money("2.98");
        let balance = fee * Decimal::from(charges) + Decimal::new(i64::from(leftover_cents), 2);
        let mut number = blank_number();
        number.own_rules_mut().fee = Some(Fee { amount: fee, every: Period::months(months_per_charge) });
        number.set_balance(Some(Balance { amount: balance, on: anchor }));
        number.set_next_charge(Some(anchor));
        let found = obligations(&number).unwrap();
        let expected_unpaid = add_months_by_hand(
            anchor,
            i64::from(months_per_charge) * i64::from(charges),
        );
        prop_assert_eq!(found[0].rule, RuleKind::Fee);
        prop_assert_eq!(found[0].act_by, expected_unpaid.yesterday().unwrap());
        match &found[0].why {
            Why::Fee { charges_paid, first_unpaid, .. } => {
                prop_assert_eq!(*charges_paid, u64::from(charges));
                prop_assert_eq!(*first_unpaid, expected_unpaid);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// The number is lost only after the act-by day: lost-on = act-by + 1 day, then each
    /// grace phase in order (each from the end of the one before); never on or before
    /// act-by. Both dates are worked out by hand.
    #[test]
    fn lost_on_comes_after_act_by(
        rule in any_dated_rule(),
        period in any_period(),
        recorded in any_date(),
        grace in any_grace(),
    ) {
        let mut number = number_with(rule, period, recorded);
        number.own_rules_mut().grace = Some(grace.clone());
        let found = obligations(&number).unwrap();
        let obligation = &found[0];
        let act_by = act_by_by_hand(rule, period, recorded);
        let mut lost_on = add_days_by_hand(act_by, 1);
        for phase in &grace {
            lost_on = after_by_hand(lost_on, phase.length);
        }
        prop_assert_eq!(obligation.act_by, act_by);
        prop_assert_eq!(obligation.lost_on, lost_on);
        prop_assert!(obligation.lost_on > obligation.act_by, "{:?}", obligation);
    }

    /// Used at any time in a month → act by the last day of the following month.
    #[test]
    fn calendar_month_acts_by_the_end_of_the_next_month(last_used in any_date()) {
        let number = number_with(DatedRule::CalendarMonth, Period::days(1), last_used);
        let act_by = obligations(&number).unwrap()[0].act_by;
        prop_assert_eq!(act_by, end_of_next_month_by_hand(last_used));
    }

    /// An amount table picks the entry with the largest `min` not above the amount.
    #[test]
    fn amount_tables_pick_the_largest_min_not_above_the_amount(
        mins in proptest::collection::btree_set(1u32..=20_000, 1..=5),
        any_amount_mils in 1000u32..=25_000,
        // Half the cases top up exactly one tier's min: the boundary where `<` and `<=`
        // part ways.
        exactly_a_min in proptest::option::of(any::<proptest::sample::Index>()),
        topped_up in any_date(),
    ) {
        let amount_mils = match exactly_a_min {
            Some(index) => **index.get(&mins.iter().collect::<Vec<_>>()),
            None => any_amount_mils,
        };
        // Tier i lasts i + 1 days; mins are in thousandths (KWD has three decimals).
        let tiers: Vec<AmountTier> = mins
            .iter()
            .enumerate()
            .map(|(index, min)| AmountTier {
                min: Decimal::new(i64::from(*min), 3),
                valid_for: Period::days(u32::try_from(index).unwrap() + 1),
            })
            .collect();
        let amount = Decimal::new(i64::from(amount_mils), 3);
        let mut number = blank_number();
        number.own_rules_mut().topup_valid_for = Some(TopupValidity::ByAmount(tiers));
        number.last_topup = Some(topped_up);
        number.set_last_topup_amount(Some(amount));
        let found = obligations(&number).unwrap();
        // By hand, in whole thousandths: the tiers whose min is not above the amount are
        // the first `reached` of the sorted mins; the last of them is chosen, and tier
        // i (from 0) lasts i + 1 days, so act-by is the top-up day + i days.
        let reached = mins.iter().filter(|min| **min <= amount_mils).count();
        match reached {
            0 => prop_assert!(found.is_empty(), "{:?}", found),
            reached => {
                prop_assert_eq!(found.len(), 1);
                let chosen_index = i64::try_from(reached - 1).unwrap();
                prop_assert_eq!(found[0].act_by, add_days_by_hand(topped_up, chosen_index));
            }
        }
    }

    /// While paused, top-up and use rules are suspended; the pause rule alone remains,
    /// acting by the last day of `pause_max` counted from the pause.
    #[test]
    fn a_pause_suspends_topup_and_use_rules(
        validity in any_period(),
        every in any_period(),
        pause_max in any_period(),
        last_topup in any_date(),
        last_used in proptest::option::of(any_date()),
        paused_since in any_date(),
    ) {
        let mut number = blank_number();
        number.own_rules_mut().topup_valid_for = Some(TopupValidity::Fixed(validity));
        number.own_rules_mut().use_every = Some(UseEvery::Period(every));
        number.own_rules_mut().pause_max = Some(pause_max);
        number.last_topup = Some(last_topup);
        number.last_used = last_used;
        number.set_paused_since(Some(paused_since));
        let found = obligations(&number).unwrap();
        let rules: Vec<RuleKind> = found.iter().map(|o| o.rule).collect();
        prop_assert_eq!(rules, vec![RuleKind::PauseMax]);
        prop_assert_eq!(found[0].act_by, window_end_by_hand(paused_since, pause_max));
        prop_assert_eq!(
            &found[0].why,
            &Why::Paused { since: paused_since, max: pause_max }
        );
    }
}

#[test]
fn the_hand_calendar_agrees_with_known_dates() {
    // Guards the test's own arithmetic against the examples in DESIGN.md §2.
    assert_eq!(add_months_by_hand(date(2026, 1, 31), 1), date(2026, 2, 28));
    assert_eq!(add_months_by_hand(date(2026, 1, 31), 2), date(2026, 3, 31));
    assert_eq!(add_months_by_hand(date(2028, 2, 29), 12), date(2029, 2, 28));
    assert_eq!(add_months_by_hand(date(2099, 12, 31), 2), date(2100, 2, 28));
    assert_eq!(add_months_by_hand(date(2000, 1, 30), 1), date(2000, 2, 29));
    assert_eq!(add_days_by_hand(date(2026, 11, 1), 29), date(2026, 11, 30));
    assert_eq!(add_days_by_hand(date(2026, 12, 31), 1), date(2027, 1, 1));
    assert_eq!(add_days_by_hand(date(2028, 2, 28), 1), date(2028, 2, 29));
    assert_eq!(add_days_by_hand(date(2100, 2, 28), 1), date(2100, 3, 1));
    assert_eq!(add_days_by_hand(date(2026, 9, 1), 89), date(2026, 11, 29));
    assert_eq!(
        add_days_by_hand(date(2000, 1, 1), 146_097),
        date(2400, 1, 1)
    );
    assert_eq!(add_days_by_hand(date(2000, 1, 1), 366), date(2001, 1, 1));
    assert_eq!(day_before_by_hand(date(2026, 3, 1)), date(2026, 2, 28));
    assert_eq!(day_before_by_hand(date(2027, 1, 1)), date(2026, 12, 31));
    assert_eq!(
        window_end_by_hand(date(2026, 1, 31), Period::months(1)),
        date(2026, 2, 27)
    );
    assert_eq!(
        end_of_next_month_by_hand(date(2028, 1, 2)),
        date(2028, 2, 29)
    );
}
