//! Date correctness against an independent reference.
//!
//! Random configs cover every rule primitive (DESIGN.md §1–2): `topup_valid_for` fixed and by
//! amount, `use_every` as a duration and as "calendar-month" with and without
//! `topup_counts_as_use`, `fee` with balances, billing anchors on the 29th–31st, anchors
//! already past when the balance was read, and the default anchor, `valid_until`, `paused_since` + `pause_max`, grace as one duration and as
//! phases in days, weeks, months and years, carrier zones on both sides of the date line and
//! `settings.timezone` varied, with recorded dates crowded onto month ends and leap days.
//!
//! The real binary answers `numkeep status --json --at DATE`; a second, deliberately simple
//! implementation written here answers the same question, sharing no code with the engine:
//! a tiny civil date type with its own leap-year rule and month lengths, day-by-day stepping
//! for day windows ("a window of P days from S" = step S forward P − 1 times), month steps
//! by counting months and then clamping the day, fees by stepping the anchor month by month.
//! Dates count in each carrier's calendar (DESIGN.md §2); only the instant a deadline ends
//! (which orders the numbers) uses jiff: the tz database is a different concern.
//!
//! `NUMKEEP_REFERENCE_SEED=N` picks other configs; `NUMKEEP_REFERENCE_CONFIGS=N` makes more
//! of them (500 numbers each, evaluated on 4 days each).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::tz::TimeZone;
use serde_json::Value;

use crate::support::cli::Scratch;

const DEFAULT_SEED: u64 = 0x5eed_2026_1123;
const DEFAULT_CONFIGS: usize = 10;
const NUMBERS_PER_CONFIG: usize = 500;
/// Status days per config: four spread from the config's present on, and four on a boundary
/// (act-by, lost-on, a reminder window) of some number.
const DAYS_PER_CONFIG: usize = 8;

// ---------------------------------------------------------------------------------------
// A tiny civil calendar, written from scratch

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Day {
    y: i32,
    m: u32,
    d: u32,
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn month_length(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

impl Day {
    fn new(y: i32, m: u32, d: u32) -> Day {
        assert!((1..=12).contains(&m) && d >= 1 && d <= month_length(y, m));
        Day { y, m, d }
    }

    /// The day `d` of a month, or the month's last day if it is shorter.
    fn clamped(y: i32, m: u32, d: u32) -> Day {
        Day::new(y, m, d.min(month_length(y, m)))
    }

    fn next(self) -> Day {
        if self.d < month_length(self.y, self.m) {
            Day {
                d: self.d + 1,
                ..self
            }
        } else if self.m < 12 {
            Day::new(self.y, self.m + 1, 1)
        } else {
            Day::new(self.y + 1, 1, 1)
        }
    }

    fn prev(self) -> Day {
        if self.d > 1 {
            Day {
                d: self.d - 1,
                ..self
            }
        } else if self.m > 1 {
            Day::new(self.y, self.m - 1, month_length(self.y, self.m - 1))
        } else {
            Day::new(self.y - 1, 12, 31)
        }
    }

    /// One day at a time.
    fn step_days(self, count: i64) -> Day {
        let mut day = self;
        for _ in 0..count.unsigned_abs() {
            day = if count > 0 { day.next() } else { day.prev() };
        }
        day
    }

    /// Steps the month counter `count` times, then clamps the day to the month's length.
    fn step_months(self, count: i64) -> Day {
        let (mut y, mut m) = (self.y, self.m);
        for _ in 0..count.unsigned_abs() {
            if count > 0 {
                (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            } else {
                (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
            }
        }
        Day::clamped(y, m, self.d)
    }

    /// Days since 0001-01-01 (proleptic Gregorian), for differences.
    fn ordinal(self) -> i64 {
        let years = i64::from(self.y) - 1;
        let mut days = years * 365 + years / 4 - years / 100 + years / 400;
        for month in 1..self.m {
            days += i64::from(month_length(self.y, month));
        }
        days + i64::from(self.d) - 1
    }

    fn text(self) -> String {
        format!("{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }

    fn parse(text: &str) -> Day {
        let parts: Vec<&str> = text.split('-').collect();
        assert_eq!(parts.len(), 3, "{text}");
        Day::new(
            parts[0].parse().unwrap(),
            parts[1].parse().unwrap(),
            parts[2].parse().unwrap(),
        )
    }
}

fn days_from(from: Day, to: Day) -> i64 {
    to.ordinal() - from.ordinal()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Per {
    n: u32,
    unit: Unit,
    /// How the config spells it (`"90d"`, `"3 months"`…).
    spelling: u8,
}

impl Per {
    fn text(self) -> String {
        let n = self.n;
        let unit = match (self.unit, self.spelling % 3) {
            (Unit::Day, 0) => "d",
            (Unit::Day, 1) => " days",
            (Unit::Day, _) => "day",
            (Unit::Week, 0) => "w",
            (Unit::Week, 1) => " weeks",
            (Unit::Week, _) => "week",
            (Unit::Month, 0) => "mo",
            (Unit::Month, 1) => " months",
            (Unit::Month, _) => "month",
            (Unit::Year, 0) => "y",
            (Unit::Year, 1) => " years",
            (Unit::Year, _) => "year",
        };
        format!("{n}{unit}")
    }

    /// `start` + `times` × this period, from `start` in one go (anchored, never chained).
    fn after_times(self, start: Day, times: i64) -> Day {
        let n = i64::from(self.n) * times;
        match self.unit {
            Unit::Day => start.step_days(n),
            Unit::Week => start.step_days(7 * n),
            Unit::Month => start.step_months(n),
            Unit::Year => start.step_months(12 * n),
        }
    }

    fn after(self, start: Day) -> Day {
        self.after_times(start, 1)
    }

    fn before(self, end: Day) -> Day {
        self.after_times(end, -1)
    }

    /// The last day of the window that starts on `start` and lasts this period. Day windows
    /// are walked: P days cover S, S+1, …, S+P−1.
    fn last_day_from(self, start: Day) -> Day {
        match self.unit {
            Unit::Day => start.step_days(i64::from(self.n) - 1),
            Unit::Week => start.step_days(7 * i64::from(self.n) - 1),
            Unit::Month | Unit::Year => self.after(start).prev(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// A small deterministic random source (splitmix64)

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A whole number in `low..=high`.
    fn int(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1) as u64;
        low + (self.next() % span) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() as usize % items.len()]
    }
}

// ---------------------------------------------------------------------------------------
// The generated model (what the config says, kept for the reference)

#[derive(Clone, Debug)]
enum Topup {
    Fixed(Per),
    /// (min in thousandths, validity), as written (unsorted).
    ByAmount(Vec<(i64, Per)>),
}

#[derive(Clone, Copy, Debug)]
enum UseRule {
    Every(Per),
    CalendarMonth,
}

#[derive(Clone, Debug, Default)]
struct Rules {
    timezone: Option<&'static str>,
    topup: Option<Topup>,
    use_every: Option<UseRule>,
    counts_as_use: Option<bool>,
    /// (amount in thousandths, every).
    fee: Option<(i64, Per)>,
    pause_max: Option<Per>,
    /// Phases; `Some(vec![])` is `grace = "0d"`.
    grace: Option<Vec<Per>>,
}

#[derive(Clone, Debug)]
struct Carrier {
    id: String,
    rules: Rules,
    toml: String,
}

#[derive(Clone, Debug, Default)]
struct Number {
    e164: String,
    carrier: Option<usize>,
    own: Rules,
    last_topup: Option<Day>,
    last_topup_amount: Option<i64>,
    last_used: Option<Day>,
    /// (amount in thousandths, read on).
    balance: Option<(i64, Day)>,
    next_charge: Option<Day>,
    valid_until: Option<Day>,
    paused_since: Option<Day>,
    retired: bool,
    remind_before: Option<Vec<Per>>,
    toml: String,
}

struct Effective<'a> {
    timezone: Option<&'static str>,
    topup: Option<&'a Topup>,
    use_every: Option<UseRule>,
    counts_as_use: bool,
    fee: Option<(i64, Per)>,
    pause_max: Option<Per>,
    grace: &'a [Per],
}

fn effective<'a>(number: &'a Number, carriers: &'a [Carrier]) -> Effective<'a> {
    let own = &number.own;
    let inherited = number.carrier.map(|index| &carriers[index].rules);
    Effective {
        timezone: own
            .timezone
            .or_else(|| inherited.and_then(|rules| rules.timezone)),
        topup: own
            .topup
            .as_ref()
            .or_else(|| inherited.and_then(|rules| rules.topup.as_ref())),
        use_every: own
            .use_every
            .or_else(|| inherited.and_then(|rules| rules.use_every)),
        counts_as_use: own
            .counts_as_use
            .or_else(|| inherited.and_then(|rules| rules.counts_as_use))
            .unwrap_or(true),
        fee: own.fee.or_else(|| inherited.and_then(|rules| rules.fee)),
        pause_max: own
            .pause_max
            .or_else(|| inherited.and_then(|rules| rules.pause_max)),
        grace: own
            .grace
            .as_deref()
            .or_else(|| inherited.and_then(|rules| rules.grace.as_deref()))
            .unwrap_or(&[]),
    }
}

struct Settings {
    /// `None`: not set, so the system zone (UTC in the scratch environment).
    timezone: Option<&'static str>,
    remind_before: Option<Vec<Per>>,
}

// ---------------------------------------------------------------------------------------
// The reference answer

const RULES: [&str; 5] = [
    "topup_valid_for",
    "use_every",
    "fee",
    "valid_until",
    "pause_max",
];

#[derive(Clone, Debug, PartialEq)]
struct ExpectedObligation {
    rule: &'static str,
    act_by: Day,
    lost_on: Day,
    days_left: i64,
    /// The instant act-by ends in the carrier's zone, in whole minutes (not in the JSON;
    /// orders the numbers).
    deadline_minute: i64,
}

#[derive(Clone, Debug, PartialEq)]
struct Expected {
    state: &'static str,
    obligations: Vec<ExpectedObligation>,
}

/// The number's own lead times, else the settings', else the defaults.
fn leads_of(number: &Number, settings: &Settings) -> Vec<Per> {
    number
        .remind_before
        .clone()
        .or_else(|| settings.remind_before.clone())
        .unwrap_or_else(default_leads)
}

fn default_leads() -> Vec<Per> {
    [30, 7, 3, 1, 0]
        .into_iter()
        .map(|n| Per {
            n,
            unit: Unit::Day,
            spelling: 0,
        })
        .collect()
}

/// The instant `act_by` ends in `zone` (DESIGN.md §2: the first instant of the next day
/// there), in whole minutes since 1970. Only this uses jiff: the tz database is not the
/// calendar arithmetic under test.
fn deadline_minute(act_by: Day, zone: &str) -> i64 {
    let next = act_by.next();
    jiff::civil::date(next.y as i16, next.m as i8, next.d as i8)
        .to_zoned(TimeZone::get(zone).unwrap())
        .unwrap()
        .timestamp()
        .as_second()
        .div_euclid(60)
}

fn expected(number: &Number, carriers: &[Carrier], settings: &Settings, today: Day) -> Expected {
    if number.retired {
        return Expected {
            state: "retired",
            obligations: Vec::new(),
        };
    }
    let rules = effective(number, carriers);
    let paused = number.paused_since.is_some();
    let mut found: Vec<(&'static str, Day)> = Vec::new();

    if !paused && let (Some(topup), Some(topped_up)) = (rules.topup, number.last_topup) {
        let valid_for = match topup {
            Topup::Fixed(period) => *period,
            Topup::ByAmount(tiers) => {
                let amount = number.last_topup_amount.unwrap();
                tiers
                    .iter()
                    .filter(|(min, _)| *min <= amount)
                    .max_by_key(|(min, _)| *min)
                    .unwrap()
                    .1
            }
        };
        found.push(("topup_valid_for", valid_for.last_day_from(topped_up)));
    }
    if !paused && let Some(use_rule) = rules.use_every {
        let topup_as_use = number.last_topup.filter(|_| rules.counts_as_use);
        let last = match (number.last_used, topup_as_use) {
            (Some(used), Some(topped_up)) => Some(used.max(topped_up)),
            (used, topped_up) => used.or(topped_up),
        };
        if let Some(last) = last {
            let act_by = match use_rule {
                UseRule::Every(period) => period.last_day_from(last),
                UseRule::CalendarMonth => {
                    let next_month = Day::new(last.y, last.m, 1).step_months(1);
                    Day::new(
                        next_month.y,
                        next_month.m,
                        month_length(next_month.y, next_month.m),
                    )
                }
            };
            found.push(("use_every", act_by));
        }
    }
    if let (Some((fee, every)), Some((balance, read_on))) = (rules.fee, number.balance) {
        let anchor = number.next_charge.unwrap_or_else(|| every.after(read_on));
        // The first charge the balance pays is the first billing day on or after the day it
        // was read: a billing day in the past is stepped forward from (anchored), not moved.
        let first_charge = match every.unit {
            Unit::Day | Unit::Week => {
                let step = i64::from(every.n) * if every.unit == Unit::Day { 1 } else { 7 };
                let behind = days_from(anchor, read_on).max(0);
                (behind + step - 1) / step
            }
            Unit::Month | Unit::Year => {
                let mut k = 0;
                while every.after_times(anchor, k) < read_on {
                    k += 1;
                }
                k
            }
        };
        // Whole charges the balance pays, counted one by one.
        let mut paid = 0;
        let mut left = balance;
        while left >= fee {
            left -= fee;
            paid += 1;
        }
        let first_unpaid = every.after_times(anchor, first_charge + paid);
        found.push(("fee", first_unpaid.prev()));
    }
    if let Some(date) = number.valid_until {
        found.push(("valid_until", date));
    }
    if let (Some(since), Some(max)) = (number.paused_since, rules.pause_max) {
        found.push(("pause_max", max.last_day_from(since)));
    }

    let user_zone = settings.timezone.unwrap_or("UTC");
    let mut obligations: Vec<ExpectedObligation> = found
        .into_iter()
        .map(|(rule, act_by)| {
            let mut lost_on = act_by.next();
            for phase in rules.grace {
                lost_on = phase.after(lost_on);
            }
            // `--at DATE` is that date in every calendar: days count in the carrier's.
            ExpectedObligation {
                rule,
                act_by,
                lost_on,
                days_left: days_from(today, act_by),
                deadline_minute: deadline_minute(act_by, rules.timezone.unwrap_or(user_zone)),
            }
        })
        .collect();
    obligations.sort_by_key(|o| (o.act_by, RULES.iter().position(|rule| *rule == o.rule)));

    let urgent = obligations
        .first()
        .expect("every active number has a deadline");
    let leads = leads_of(number, settings);
    let state = if today >= urgent.lost_on {
        "lost"
    } else if urgent.days_left < 0 {
        "grace"
    } else if leads.iter().any(|lead| today >= lead.before(urgent.act_by)) {
        "due"
    } else if paused {
        "paused"
    } else {
        "ok"
    };
    Expected { state, obligations }
}

// ---------------------------------------------------------------------------------------
// Generating configs

const USER_ZONES: &[&str] = &[
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kuwait",
    "Europe/London",
    "UTC",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
];

const CARRIER_ZONES: &[&str] = &[
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kuwait",
    "Europe/London",
    "Pacific/Apia",
    "Asia/Kathmandu",
    "America/Santiago",
    "Pacific/Chatham",
    "UTC",
];

struct Generator {
    rng: Rng,
    /// The config's "present": recorded dates fall before it, status days around it.
    base: Day,
}

impl Generator {
    fn period(&mut self, unit_weights: [u64; 4], days: (i64, i64)) -> Per {
        let total: u64 = unit_weights.iter().sum();
        let mut roll = self.rng.next() % total;
        let mut unit_index = 0;
        while roll >= unit_weights[unit_index] {
            roll -= unit_weights[unit_index];
            unit_index += 1;
        }
        let (unit, n) = match unit_index {
            0 => (Unit::Day, self.rng.int(days.0, days.1)),
            1 => (Unit::Week, self.rng.int(1, 30)),
            2 => (Unit::Month, self.rng.int(1, 14)),
            _ => (Unit::Year, self.rng.int(1, 2)),
        };
        Per {
            n: n as u32,
            unit,
            spelling: (self.rng.next() % 3) as u8,
        }
    }

    /// A day up to `before` days before the base and `after` days after it; often on the
    /// 28th–31st of a month or a 29 February.
    fn day(&mut self, before: i64, after: i64) -> Day {
        let day = self.base.step_days(self.rng.int(-before, after));
        match self.rng.int(0, 9) {
            0..=2 => Day::clamped(day.y, day.m, self.rng.int(28, 31) as u32),
            3 if is_leap(day.y) => Day::new(day.y, 2, 29),
            _ => day,
        }
    }

    fn money(&mut self, thousandths: i64) -> String {
        let whole = thousandths / 1000;
        let fraction = thousandths % 1000;
        let exact = format!("{whole}.{fraction:03}");
        let trimmed = exact.trim_end_matches('0').trim_end_matches('.').to_owned();
        match self.rng.int(0, 3) {
            0 => format!("\"{exact}\""),
            1 => format!("\"{trimmed}\""),
            // TOML numbers: an integer, or a float (read by its shortest text, so 2.980 and
            // 2.98 are both exactly 2.98).
            2 if fraction == 0 => whole.to_string(),
            2 => trimmed,
            _ => exact,
        }
    }

    fn rules(&mut self, percent: u64) -> Rules {
        let mut rules = Rules::default();
        if self.rng.chance(percent.clamp(50, 80)) {
            rules.timezone = Some(self.rng.pick(CARRIER_ZONES));
        }
        if self.rng.chance(percent) {
            rules.topup = Some(if self.rng.chance(65) {
                Topup::Fixed(self.period([6, 1, 2, 1], (1, 400)))
            } else {
                let count = self.rng.int(1, 4) as usize;
                let mut mins: Vec<i64> = Vec::new();
                while mins.len() < count {
                    let min = self
                        .rng
                        .pick(&[500, 1000, 3000, 5000, 10_000, 20_000, 2980])
                        + if self.rng.chance(30) {
                            self.rng.int(1, 999)
                        } else {
                            0
                        };
                    if !mins.contains(&min) {
                        mins.push(min);
                    }
                }
                Topup::ByAmount(
                    mins.into_iter()
                        .map(|min| (min, self.period([6, 1, 1, 0], (1, 60))))
                        .collect(),
                )
            });
        }
        if self.rng.chance(percent) {
            rules.use_every = Some(if self.rng.chance(30) {
                UseRule::CalendarMonth
            } else {
                UseRule::Every(self.period([6, 1, 3, 1], (1, 400)))
            });
        }
        if self.rng.chance(percent) {
            rules.counts_as_use = Some(self.rng.chance(50));
        }
        if self.rng.chance(percent) {
            let fee = self
                .rng
                .pick(&[2980, 3000, 8000, 1000, 500, 1, 12_345, 99_999]);
            rules.fee = Some((fee, self.period([1, 1, 6, 1], (7, 90))));
        }
        if self.rng.chance(percent) {
            rules.pause_max = Some(self.period([5, 1, 3, 0], (1, 180)));
        }
        if self.rng.chance(percent.max(40)) {
            rules.grace = Some(match self.rng.int(0, 9) {
                0 => Vec::new(),
                1..=4 => vec![self.period([5, 1, 2, 1], (1, 90))],
                _ => (0..self.rng.int(1, 3))
                    .map(|_| self.period([4, 1, 3, 1], (1, 90)))
                    .collect(),
            });
        }
        rules
    }

    fn leads(&mut self) -> Vec<Per> {
        let choices = [
            (30, Unit::Day),
            (7, Unit::Day),
            (3, Unit::Day),
            (1, Unit::Day),
            (0, Unit::Day),
            (45, Unit::Day),
            (2, Unit::Week),
            (1, Unit::Month),
            (2, Unit::Month),
            (1, Unit::Year),
        ];
        (0..self.rng.int(0, 4))
            .map(|_| {
                let (n, unit) = self.rng.pick(&choices);
                Per {
                    n,
                    unit,
                    spelling: 0,
                }
            })
            .collect()
    }

    fn date_text(&mut self, day: Day) -> String {
        if self.rng.chance(5) {
            format!("\"{}\"", day.text())
        } else {
            day.text()
        }
    }

    fn number(&mut self, e164: String, carriers: &[Carrier]) -> Number {
        let mut number = Number {
            e164,
            carrier: self
                .rng
                .chance(75)
                .then(|| self.rng.int(0, carriers.len() as i64 - 1) as usize),
            ..Number::default()
        };
        number.own = self.rules(if number.carrier.is_some() { 10 } else { 35 });
        if number.own.timezone.is_some() && self.rng.chance(50) {
            number.own.timezone = None;
        }
        number.retired = self.rng.chance(4);
        if self.rng.chance(15) {
            number.paused_since = Some(self.day(200, 10));
        }
        if self.rng.chance(10) {
            number.remind_before = Some(self.leads());
        }
        if self.rng.chance(30) {
            number.last_topup = Some(self.day(250, 0));
        }
        if self.rng.chance(30) {
            number.last_used = Some(self.day(250, 0));
        }
        if self.rng.chance(15) {
            number.valid_until = Some(self.day(100, 400));
        }

        // What the rules need, so that the config is valid (DESIGN.md §3).
        let rules = effective(&number, carriers);
        let paused = number.paused_since.is_some();
        let (topup, use_every, counts_as_use) =
            (rules.topup.cloned(), rules.use_every, rules.counts_as_use);
        let (fee, pause_max) = (rules.fee, rules.pause_max);
        if !paused && topup.is_some() && number.last_topup.is_none() {
            number.last_topup = Some(self.day(250, 0));
        }
        if let Some(Topup::ByAmount(tiers)) = &topup {
            let mut mins: Vec<i64> = tiers.iter().map(|(min, _)| *min).collect();
            mins.sort_unstable();
            let tier = self.rng.int(0, mins.len() as i64 - 1) as usize;
            let ceiling = mins.get(tier + 1).copied().unwrap_or(mins[tier] + 50_000);
            number.last_topup_amount = Some(if self.rng.chance(30) {
                mins[tier]
            } else {
                self.rng.int(mins[tier], ceiling - 1)
            });
        } else if self.rng.chance(5) {
            number.last_topup_amount = Some(self.rng.int(0, 20_000));
        }
        if !paused
            && use_every.is_some()
            && number.last_used.is_none()
            && !(counts_as_use && number.last_topup.is_some())
        {
            number.last_used = Some(self.day(250, 0));
        }
        if let Some((amount, _)) = fee.or_else(|| {
            self.rng.chance(5).then_some((
                1000,
                Per {
                    n: 1,
                    unit: Unit::Month,
                    spelling: 0,
                },
            ))
        }) {
            let on = self.day(250, 0);
            let charges = self.rng.pick(&[0, 0, 1, 2, 3, 5, 12, 40]);
            let balance = amount * charges
                + if self.rng.chance(50) {
                    self.rng.int(0, amount - 1)
                } else {
                    0
                };
            number.balance = Some((balance, on));
            // The billing day: after the reading, on it, or a billing day written once and
            // long past (then stepped forward from), often on the 29th–31st.
            number.next_charge = match self.rng.int(0, 9) {
                0..=1 => {
                    let month = on.step_months(self.rng.int(0, 1));
                    Some(Day::clamped(month.y, month.m, self.rng.int(29, 31) as u32).max(on))
                }
                2..=3 => Some(on.step_days(self.rng.int(0, 40))),
                4 => {
                    let month = on.step_months(-self.rng.int(1, 14));
                    Some(Day::clamped(month.y, month.m, self.rng.int(28, 31) as u32))
                }
                5 => Some(on.step_days(-self.rng.int(1, 400))),
                _ => None,
            };
        }
        if paused && pause_max.is_none() {
            number.own.pause_max = Some(self.period([5, 1, 3, 0], (1, 180)));
        }
        let rules = effective(&number, carriers);
        let has_deadline = (!paused && (rules.topup.is_some() || rules.use_every.is_some()))
            || rules.fee.is_some()
            || number.valid_until.is_some()
            || (paused && rules.pause_max.is_some());
        if !has_deadline {
            number.valid_until = Some(self.day(100, 400));
        }
        number.toml = self.number_toml(&number, carriers);
        number
    }

    fn number_toml(&mut self, number: &Number, carriers: &[Carrier]) -> String {
        let mut out = String::from("[[number]]\n");
        let digits = &number.e164[1..];
        let written = match self.rng.int(0, 2) {
            0 => number.e164.clone(),
            1 => format!("+{} {} {}", &digits[..2], &digits[2..6], &digits[6..]),
            _ => format!("+{}-{}-{}", &digits[..2], &digits[2..6], &digits[6..]),
        };
        let _ = writeln!(out, "number = \"{written}\"");
        if let Some(index) = number.carrier {
            let _ = writeln!(out, "carrier = \"{}\"", carriers[index].id);
        }
        if number.retired {
            out.push_str("status = \"retired\"\n");
        } else if self.rng.chance(10) {
            out.push_str("status = \"active\"\n");
        }
        let dates = [
            ("last_topup", number.last_topup),
            ("last_used", number.last_used),
            ("next_charge", number.next_charge),
            ("valid_until", number.valid_until),
            ("paused_since", number.paused_since),
        ];
        for (key, day) in dates {
            if let Some(day) = day {
                let text = self.date_text(day);
                let _ = writeln!(out, "{key} = {text}");
            }
        }
        if let Some(amount) = number.last_topup_amount {
            let text = self.money(amount);
            let _ = writeln!(out, "last_topup_amount = {text}");
        }
        if let Some((amount, on)) = number.balance {
            let (amount, on) = (self.money(amount), self.date_text(on));
            let _ = writeln!(out, "balance = {{ amount = {amount}, on = {on} }}");
        }
        if let Some(leads) = &number.remind_before {
            let _ = writeln!(out, "remind_before = {}", periods_toml(leads));
        }
        out.push_str(&self.rules_toml(&number.own));
        out
    }

    fn rules_toml(&mut self, rules: &Rules) -> String {
        let mut out = String::new();
        if let Some(zone) = rules.timezone {
            let _ = writeln!(out, "timezone = \"{zone}\"");
        }
        match &rules.topup {
            None => {}
            Some(Topup::Fixed(period)) => {
                let _ = writeln!(out, "topup_valid_for = \"{}\"", period.text());
            }
            Some(Topup::ByAmount(tiers)) => {
                let entries: Vec<String> = tiers
                    .iter()
                    .map(|(min, period)| {
                        format!(
                            "{{ min = {}, for = \"{}\" }}",
                            self.money(*min),
                            period.text()
                        )
                    })
                    .collect();
                let _ = writeln!(out, "topup_valid_for = [{}]", entries.join(", "));
            }
        }
        match rules.use_every {
            None => {}
            Some(UseRule::CalendarMonth) => out.push_str("use_every = \"calendar-month\"\n"),
            Some(UseRule::Every(period)) => {
                let _ = writeln!(out, "use_every = \"{}\"", period.text());
            }
        }
        if let Some(counts) = rules.counts_as_use {
            let _ = writeln!(out, "topup_counts_as_use = {counts}");
        }
        if let Some((amount, every)) = rules.fee {
            let amount = self.money(amount);
            let _ = writeln!(
                out,
                "fee = {{ amount = {amount}, every = \"{}\" }}",
                every.text()
            );
        }
        if let Some(period) = rules.pause_max {
            let _ = writeln!(out, "pause_max = \"{}\"", period.text());
        }
        match &rules.grace {
            None => {}
            Some(phases) if phases.is_empty() => out.push_str("grace = \"0d\"\n"),
            Some(phases) if phases.len() == 1 && self.rng.chance(50) => {
                let _ = writeln!(out, "grace = \"{}\"", phases[0].text());
            }
            Some(phases) => {
                let entries: Vec<String> = phases
                    .iter()
                    .enumerate()
                    .map(|(index, phase)| {
                        if index % 2 == 0 {
                            format!(
                                "{{ for = \"{}\", state = \"phase {index}\" }}",
                                phase.text()
                            )
                        } else {
                            format!("{{ for = \"{}\" }}", phase.text())
                        }
                    })
                    .collect();
                let _ = writeln!(out, "grace = [{}]", entries.join(", "));
            }
        }
        out
    }
}

fn periods_toml(periods: &[Per]) -> String {
    let items: Vec<String> = periods
        .iter()
        .map(|period| format!("\"{}\"", period.text()))
        .collect();
    format!("[{}]", items.join(", "))
}

struct GeneratedConfig {
    settings: Settings,
    settings_toml: String,
    carriers: Vec<Carrier>,
    numbers: Vec<Number>,
    days: Vec<Day>,
    text: String,
}

fn generate(seed: u64, index: usize) -> GeneratedConfig {
    let mut rng = Rng(seed ^ (index as u64).wrapping_mul(0xa076_1d64_78bd_642f));
    let base = Day::clamped(
        rng.int(1996, 2090) as i32,
        rng.int(1, 12) as u32,
        rng.int(1, 31) as u32,
    );
    let mut generator = Generator { rng, base };
    let settings = Settings {
        timezone: generator
            .rng
            .chance(85)
            .then(|| generator.rng.pick(USER_ZONES)),
        remind_before: generator.rng.chance(50).then(|| generator.leads()),
    };
    let mut settings_toml = String::from("[settings]\n");
    if let Some(zone) = settings.timezone {
        let _ = writeln!(settings_toml, "timezone = \"{zone}\"");
    }
    if let Some(leads) = &settings.remind_before {
        let _ = writeln!(settings_toml, "remind_before = {}", periods_toml(leads));
    }
    let mut text = format!("# generated by tests/reference.rs, config {index}\n{settings_toml}\n");
    let carriers: Vec<Carrier> = (0..8)
        .map(|carrier_index| {
            let id = format!("carrier-{carrier_index}");
            let rules = generator.rules(35);
            let toml = format!("[carriers.{id}]\n{}", generator.rules_toml(&rules));
            Carrier { id, rules, toml }
        })
        .collect();
    for carrier in &carriers {
        text.push_str(&carrier.toml);
        text.push('\n');
    }
    let numbers: Vec<Number> = (0..NUMBERS_PER_CONFIG)
        .map(|number_index| {
            let e164 = format!("+4477{:02}{:06}", index % 100, number_index);
            generator.number(e164, &carriers)
        })
        .collect();
    for number in &numbers {
        text.push_str(&number.toml);
        text.push('\n');
    }
    let mut days = vec![
        base,
        base.step_days(generator.rng.int(1, 20)),
        base.step_days(generator.rng.int(21, 90)),
        base.step_days(generator.rng.int(91, 250)),
    ];
    // One status day on a month end or a leap day.
    let last = days[3];
    days[3] = if is_leap(last.y) && generator.rng.chance(50) {
        Day::new(last.y, 2, 29)
    } else {
        Day::new(last.y, last.m, month_length(last.y, last.m))
    };
    while days.len() < DAYS_PER_CONFIG {
        let number = &numbers[generator.rng.int(0, numbers.len() as i64 - 1) as usize];
        let boundaries = boundaries(number, &carriers, &settings, base);
        if !boundaries.is_empty() {
            days.push(generator.rng.pick(&boundaries));
        }
    }
    GeneratedConfig {
        settings,
        settings_toml,
        carriers,
        numbers,
        days,
        text,
    }
}

// ---------------------------------------------------------------------------------------
// Comparing

fn day_field(value: &Value) -> Option<Day> {
    value.as_str().map(Day::parse)
}

/// One obligation as compared: rule, act-by, lost-on, days left, action.
type Row = (String, Option<Day>, Option<Day>, Option<i64>, String);

/// Differences between the binary's answer for one number and the reference; empty if none.
fn compare(actual: &Value, expected: &Expected) -> Vec<String> {
    let mut problems = Vec::new();
    if actual["state"] != expected.state {
        problems.push(format!(
            "state: expected {}, got {}",
            expected.state, actual["state"]
        ));
    }
    let urgent = expected.obligations.first();
    let top_level = [
        ("act_by", urgent.map(|o| Value::from(o.act_by.text()))),
        ("lost_on", urgent.map(|o| Value::from(o.lost_on.text()))),
        ("days_left", urgent.map(|o| Value::from(o.days_left))),
    ];
    for (key, wanted) in top_level {
        let wanted = wanted.unwrap_or(Value::Null);
        if actual[key] != wanted {
            problems.push(format!("{key}: expected {wanted}, got {}", actual[key]));
        }
    }
    let empty = Vec::new();
    let listed = actual["obligations"].as_array().unwrap_or(&empty);
    let listed_days: Vec<Option<Day>> = listed.iter().map(|o| day_field(&o["act_by"])).collect();
    if listed_days.windows(2).any(|pair| pair[0] > pair[1]) {
        problems.push("obligations are not listed earliest first".to_owned());
    }
    let mut got: Vec<Row> = listed
        .iter()
        .map(|o| {
            (
                o["rule"].as_str().unwrap_or("?").to_owned(),
                day_field(&o["act_by"]),
                day_field(&o["lost_on"]),
                o["days_left"].as_i64(),
                o["action"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    got.sort_by_key(|o| (o.1, RULES.iter().position(|rule| *rule == o.0)));
    let wanted: Vec<Row> = expected
        .obligations
        .iter()
        .map(|o| {
            let action = match o.rule {
                "topup_valid_for" => "top_up",
                "use_every" => "use",
                "fee" => "add_balance",
                "valid_until" => "renew",
                _ => "resume",
            };
            (
                o.rule.to_owned(),
                Some(o.act_by),
                Some(o.lost_on),
                Some(o.days_left),
                action.to_owned(),
            )
        })
        .collect();
    if got != wanted {
        problems.push(format!(
            "obligations (rule, act_by, lost_on, days_left, action):\n  \
             expected {wanted:?}\n  got      {got:?}"
        ));
    }
    problems
}

#[derive(Default)]
struct Tally {
    numbers_checked: usize,
    obligations_checked: usize,
    states: BTreeMap<&'static str, usize>,
    /// Days on a boundary: the act-by day, the first day of grace, the last day of grace,
    /// the lost-on day, the first day of a reminder window and the day before it.
    edges: BTreeMap<&'static str, usize>,
    /// Number-days whose state would change if the user's lost-on day were taken from the
    /// carrier-zone offset on the last day of grace rather than on the act-by day (the two
    /// differ when a daylight-saving change falls inside the grace): a note, not a failure.
    rules: BTreeMap<&'static str, usize>,
    disagreements: Vec<String>,
}

fn check_config(config: &GeneratedConfig, index: usize, tally: &mut Tally) {
    let scratch = Scratch::with_config(&config.text);
    for &today in &config.days {
        let outcome = scratch
            .numkeep(&["status", "--json", "--at", &today.text()])
            .output();
        if outcome.code != 0 {
            let kept = std::env::temp_dir().join(format!("numkeep-reference-{index}.toml"));
            std::fs::write(&kept, &config.text).expect("keep the refused config");
            panic!(
                "config {index} was refused (exit {}); it is kept in {}:\n{}",
                outcome.code,
                kept.display(),
                outcome.stderr
            );
        }
        let answer: Value = serde_json::from_str(&outcome.stdout).expect("status --json");
        let answer = answer.as_array().expect("a JSON array");
        assert_eq!(answer.len(), config.numbers.len(), "one entry per number");
        let by_number: BTreeMap<&str, &Value> = answer
            .iter()
            .map(|entry| (entry["number"].as_str().unwrap_or("?"), entry))
            .collect();
        let mut order_keys = Vec::with_capacity(answer.len());
        let expectations: BTreeMap<&str, Expected> = config
            .numbers
            .iter()
            .map(|number| {
                let wanted = expected(number, &config.carriers, &config.settings, today);
                (number.e164.as_str(), wanted)
            })
            .collect();
        for entry in answer {
            let number = entry["number"].as_str().unwrap_or("?");
            let wanted = &expectations[number];
            order_keys.push((
                wanted.state == "retired",
                wanted.obligations.first().map(|o| o.deadline_minute),
            ));
        }
        if order_keys.windows(2).any(|pair| pair[0] > pair[1]) {
            tally.disagreements.push(format!(
                "config {index}, today {}: numbers are not listed most urgent first",
                today.text()
            ));
        }
        for number in &config.numbers {
            let wanted = &expectations[number.e164.as_str()];
            tally.numbers_checked += 1;
            tally.obligations_checked += wanted.obligations.len();
            *tally.states.entry(wanted.state).or_default() += 1;
            for edge in edges(number, &config.settings, wanted, today) {
                *tally.edges.entry(edge).or_default() += 1;
            }
            for obligation in &wanted.obligations {
                *tally.rules.entry(obligation.rule).or_default() += 1;
            }
            let Some(actual) = by_number.get(number.e164.as_str()) else {
                tally.disagreements.push(format!(
                    "config {index}, today {}: {} missing from the output",
                    today.text(),
                    number.e164
                ));
                continue;
            };
            let problems = compare(actual, wanted);
            if !problems.is_empty() {
                let carrier = number
                    .carrier
                    .map(|c| config.carriers[c].toml.clone())
                    .unwrap_or_default();
                tally.disagreements.push(format!(
                    "config {index}, numkeep status --json --at {}\n--- config\n{}\n{carrier}\n{}\
                     --- differences\n{}\n--- actual\n{}",
                    today.text(),
                    config.settings_toml,
                    number.toml,
                    problems.join("\n"),
                    serde_json::to_string_pretty(actual).unwrap_or_default()
                ));
            }
        }
    }
}

/// The days on which a state of `number` changes or is about to: its act-by day and the next,
/// the lost-on day and the one before, each reminder window's first day and the one before.
fn boundaries(number: &Number, carriers: &[Carrier], settings: &Settings, base: Day) -> Vec<Day> {
    let wanted = expected(number, carriers, settings, base);
    let Some(urgent) = wanted.obligations.first() else {
        return Vec::new();
    };
    let mut days = vec![
        urgent.act_by,
        urgent.act_by.next(),
        urgent.lost_on,
        urgent.lost_on.prev(),
    ];
    let leads = leads_of(number, settings);
    for lead in leads {
        let opens = lead.before(urgent.act_by);
        days.extend([opens, opens.prev()]);
    }
    days
}

/// Which boundaries of the most urgent obligation `today` falls on.
fn edges(number: &Number, settings: &Settings, wanted: &Expected, today: Day) -> Vec<&'static str> {
    let Some(urgent) = wanted.obligations.first() else {
        return Vec::new();
    };
    let leads = leads_of(number, settings);
    let mut found = Vec::new();
    match urgent.days_left {
        0 => found.push("act-by day"),
        -1 => found.push("first day after act-by"),
        _ => {}
    }
    match days_from(today, urgent.lost_on) {
        0 => found.push("lost-on day"),
        1 => found.push("day before lost-on"),
        _ => {}
    }
    if leads.iter().any(|lead| lead.before(urgent.act_by) == today) {
        found.push("window opens");
    }
    if leads
        .iter()
        .any(|lead| lead.before(urgent.act_by) == today.next())
    {
        found.push("day before a window");
    }
    found
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .map(|text| text.trim().parse().expect("a whole number"))
}

#[test]
fn status_agrees_with_the_reference_implementation() {
    let seed = env_number("NUMKEEP_REFERENCE_SEED").unwrap_or(DEFAULT_SEED);
    let configs = env_number("NUMKEEP_REFERENCE_CONFIGS").map_or(DEFAULT_CONFIGS, |n| n as usize);
    let mut tally = Tally::default();
    let mut numbers = 0;
    for index in 0..configs {
        let config = generate(seed, index);
        numbers += config.numbers.len();
        check_config(&config, index, &mut tally);
    }
    eprintln!(
        "reference: {configs} configs (seed {seed}), {numbers} numbers, {} number-days and {} \
         obligations checked, {} disagreements\n  states {:?}\n  rules {:?}\n  edges {:?}",
        tally.numbers_checked,
        tally.obligations_checked,
        tally.disagreements.len(),
        tally.states,
        tally.rules,
        tally.edges,
    );
    assert!(
        tally.disagreements.is_empty(),
        "{} disagreements with the reference; the first ones:\n\n{}",
        tally.disagreements.len(),
        tally
            .disagreements
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// The reference calendar itself, against facts checked by hand.
#[test]
fn reference_calendar_is_right() {
    assert!(is_leap(2000) && is_leap(2028) && !is_leap(1900) && !is_leap(2026));
    let day = |text| Day::parse(text);
    let month = |n| Per {
        n,
        unit: Unit::Month,
        spelling: 0,
    };
    let days = |n| Per {
        n,
        unit: Unit::Day,
        spelling: 0,
    };
    assert_eq!(month(1).after(day("2026-01-31")), day("2026-02-28"));
    assert_eq!(month(1).after(day("2028-01-31")), day("2028-02-29"));
    assert_eq!(
        month(2).after_times(day("2026-01-31"), 1),
        day("2026-03-31")
    );
    assert_eq!(
        month(1).after_times(day("2026-01-31"), 3),
        day("2026-04-30")
    );
    assert_eq!(month(1).before(day("2026-03-31")), day("2026-02-28"));
    let year = Per {
        n: 1,
        unit: Unit::Year,
        spelling: 0,
    };
    assert_eq!(year.after(day("2028-02-29")), day("2029-02-28"));
    assert_eq!(days(30).last_day_from(day("2026-11-01")), day("2026-11-30"));
    assert_eq!(days(1).last_day_from(day("2026-11-01")), day("2026-11-01"));
    assert_eq!(days(90).last_day_from(day("2026-09-01")), day("2026-11-29"));
    assert_eq!(day("2026-12-31").next(), day("2027-01-01"));
    assert_eq!(day("2028-03-01").prev(), day("2028-02-29"));
    assert_eq!(days_from(day("2026-11-23"), day("2026-11-30")), 7);
    assert_eq!(days_from(day("1970-01-01"), day("2000-03-01")), 11_017);
    // The ordinal (used for day counts) agrees with stepping over four centuries.
    let mut walking = day("1899-12-25");
    for _ in 0..146_200 {
        let next = walking.next();
        assert_eq!(next.ordinal(), walking.ordinal() + 1, "{walking:?}");
        walking = next;
    }
    // Deadlines of DESIGN.md §2, computed the reference's way: 14 Dec 00:00 in Kuwait is
    // 13 Dec 21:00 UTC; in Kiritimati, 13 Dec 10:00 UTC.
    let minute = |text: &str| text.parse::<jiff::Timestamp>().unwrap().as_second() / 60;
    assert_eq!(
        deadline_minute(day("2026-12-13"), "Asia/Kuwait"),
        minute("2026-12-13T21:00:00Z")
    );
    assert_eq!(
        deadline_minute(day("2026-12-13"), "Pacific/Kiritimati"),
        minute("2026-12-13T10:00:00Z")
    );
}
