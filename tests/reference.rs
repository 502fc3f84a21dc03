//! Deadlines and states, to the second, against an independent reference (issue 9).
//!
//! What it proves: for random configs, `numkeep status --json --at AT` agrees with a second
//! implementation written here, sharing no code with the engine, on every number at every
//! `AT` — its `state`, `act_by`, `lost_on`, `days_left`, `deadline`, `lost_at` (top level and
//! per obligation, with rule and action) and the order of the list (deadline to the minute,
//! then number; retired last). The default run checks at least 40,000 number-instants and
//! fails unless it reached every state, every rule, every edge of [`EDGES`] (the act-by day
//! and the day after, lost-on and the day before, a reminder window's first day and the day
//! before, one second before, at and after the deadline and lost-at, the half hour either side
//! of a carrier midnight) and carrier zones east and west of the user's, with the carrier's
//! date both ahead of and behind the user's.
//!
//! The configs cover every rule primitive (DESIGN.md §1–2): `topup_valid_for` fixed and by
//! amount, `use_every` as a duration and as "calendar-month" with and without
//! `topup_counts_as_use`, `fee` with balances, billing anchors on the 29th–31st, anchors
//! already past when the balance was read, and the default anchor, `valid_until`,
//! `paused_since` + `pause_max`, grace as one duration and as phases in days, weeks, months
//! and years, recorded dates crowded onto month ends and leap days. Zones: the carrier's or
//! the number's own `timezone` on both sides of the date line (Kiritimati +14, Apia, Chatham
//! +12:45, Pago Pago −11, Kathmandu +5:45, Santiago's midnight clock changes…), else
//! `settings.timezone`, which is sometimes left out so that the system zone (`TZ`, set per
//! config) stands in.
//!
//! `AT` is an RFC 3339 instant (in UTC, the user's offset or another one), a quarter of them
//! anywhere in the months after the config's present and most of them in the hour around a
//! carrier midnight that matters to some number (its deadline, its lost-at, a reminder window
//! opening; one second before, on, one second after, or up to half an hour off), or a date
//! alone, which is that date in every calendar (DESIGN.md §2).
//!
//! The reference: a tiny civil date type with its own leap-year rule and month lengths,
//! day-by-day stepping for day windows ("a window of P days from S" = step S forward P − 1
//! times), month steps by counting months and then clamping the day, fees by stepping the
//! anchor month by month. A number's today is the date of the instant in its zone; the
//! deadline is the first instant of act-by + 1 day there, lost-at the first instant of
//! lost-on, each found by bisection over instants. jiff is used only for the tz database:
//! the civil time of an instant in a zone and a zone's offset at an instant. `deadline` and
//! `lost_at` are read as RFC 3339 here, compared as instants, and their written offset must
//! be `settings.timezone`'s at that instant.
//!
//! `NUMKEEP_REFERENCE_SEED=N` picks other configs; `NUMKEEP_REFERENCE_CONFIGS=N` makes more
//! of them (200 numbers each, evaluated at 20 moments each).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use jiff::tz::TimeZone;
use serde_json::Value;

use crate::support::cli::Scratch;

const DEFAULT_SEED: u64 = 0x5eed_2026_1123;
const DEFAULT_CONFIGS: usize = 16;
const NUMBERS_PER_CONFIG: usize = 200;
/// `--at` with a date alone, per config: the config's present, a day in the next three
/// months, a month end or leap day, and a boundary day (act-by, lost-on, a reminder window)
/// of some number.
const DATES_PER_CONFIG: usize = 4;
/// `--at` an instant anywhere from the config's present to eight months on.
const RANDOM_INSTANTS_PER_CONFIG: usize = 4;
/// `--at` an instant in the hour around a carrier midnight that matters to some number.
const NEAR_MIDNIGHT_PER_CONFIG: usize = 12;
/// Number-instants the default run must check (issue 9).
const MIN_CHECKED: usize = 40_000;

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

    /// The day `ordinal` days after 0001-01-01.
    fn from_ordinal(ordinal: i64) -> Day {
        // A year is at most 366 days, so this year is not later than the one sought.
        let mut y = (ordinal / 366) as i32 + 1;
        while Day::new(y + 1, 1, 1).ordinal() <= ordinal {
            y += 1;
        }
        let (mut m, mut rest) = (1, ordinal - Day::new(y, 1, 1).ordinal());
        while rest >= i64::from(month_length(y, m)) {
            rest -= i64::from(month_length(y, m));
            m += 1;
        }
        Day::new(y, m, rest as u32 + 1)
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
    /// `None`: not set, so the system zone.
    timezone: Option<&'static str>,
    /// The system zone numkeep runs under (`TZ`).
    system_zone: &'static str,
    remind_before: Option<Vec<Per>>,
}

impl Settings {
    /// The user's zone: `settings.timezone`, else the system zone.
    fn zone(&self) -> &'static str {
        self.timezone.unwrap_or(self.system_zone)
    }
}

// ---------------------------------------------------------------------------------------
// Instants: whole seconds since 1970-01-01T00:00:00Z. The zone database is jiff's (a
// different concern from the calendar under test), used through exactly two questions —
// the civil time of an instant in a zone, and a zone's offset at an instant. Everything
// else (the first instant of a day, RFC 3339 text both ways) is worked out here.

fn epoch_ordinal() -> i64 {
    Day::new(1970, 1, 1).ordinal()
}

/// A zone of the tz database by name, loaded once per thread.
fn zone(name: &str) -> TimeZone {
    thread_local! {
        static ZONES: RefCell<HashMap<String, TimeZone>> = RefCell::new(HashMap::new());
    }
    ZONES.with(|zones| {
        zones
            .borrow_mut()
            .entry(name.to_owned())
            .or_insert_with(|| TimeZone::get(name).unwrap_or_else(|e| panic!("{name}: {e}")))
            .clone()
    })
}

fn timestamp(instant: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(instant).expect("an instant jiff can hold")
}

/// The civil date at `instant` in `zone_name`, and the seconds since that date's 00:00 on
/// the clock (jiff: time-zone conversion only).
fn civil_at(zone_name: &str, instant: i64) -> (Day, i64) {
    let local = zone(zone_name).to_datetime(timestamp(instant));
    let day = Day::new(
        i32::from(local.year()),
        local.month() as u32,
        local.day() as u32,
    );
    let clock =
        i64::from(local.hour()) * 3600 + i64::from(local.minute()) * 60 + i64::from(local.second());
    (day, clock)
}

/// The UTC offset of `zone_name` at `instant`, in seconds (jiff).
fn offset_at(zone_name: &str, instant: i64) -> i64 {
    i64::from(zone(zone_name).to_offset(timestamp(instant)).seconds())
}

/// The first instant of `day` in `zone_name`: the earliest instant at which the zone's
/// clock reads 00:00 on `day` — a clock set back over midnight reads it twice, and the first
/// counts (St John's did so at 00:01 until 2011) — or, when the clock skips that midnight,
/// the instant it jumps into the day, found by bisection over [`civil_at`] (Santiago jumps
/// from 24:00 to 01:00; Apia skipped 30 December 2011 whole, so that day "starts" when the
/// next one does).
fn day_start(zone_name: &'static str, day: Day) -> i64 {
    thread_local! {
        static STARTS: RefCell<HashMap<(&'static str, Day), i64>> = RefCell::new(HashMap::new());
    }
    if let Some(start) = STARTS.with(|starts| starts.borrow().get(&(zone_name, day)).copied()) {
        return start;
    }
    // 00:00 on `day` on a clock at UTC; no zone is more than 14 hours off it.
    let midnight = (day.ordinal() - epoch_ordinal()) * 86_400;
    let mut offsets: Vec<i64> = (-16..=16)
        .map(|hour| offset_at(zone_name, midnight + hour * 3600))
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let readings = offsets
        .into_iter()
        .map(|offset| midnight - offset)
        .filter(|&at| civil_at(zone_name, at) == (day, 0));
    // A moment the date goes from before `day` to `day` or later.
    let (mut before, mut from) = (midnight - 2 * 86_400, midnight + 2 * 86_400);
    assert!(civil_at(zone_name, before).0 < day && civil_at(zone_name, from).0 >= day);
    while from - before > 1 {
        let middle = before + (from - before) / 2;
        if civil_at(zone_name, middle).0 >= day {
            from = middle;
        } else {
            before = middle;
        }
    }
    let start = readings.fold(from, i64::min);
    STARTS.with(|starts| starts.borrow_mut().insert((zone_name, day), start));
    start
}

/// `instant` as RFC 3339 to the second, written at UTC offset `offset` (seconds; a whole
/// number of minutes), with `Z` for UTC when `zulu`.
fn rfc3339(instant: i64, offset: i64, zulu: bool) -> String {
    let local = instant + offset;
    let day = Day::from_ordinal(local.div_euclid(86_400) + epoch_ordinal());
    let clock = local.rem_euclid(86_400);
    let (hour, minute, second) = (clock / 3600, clock / 60 % 60, clock % 60);
    let zone = if offset == 0 && zulu {
        "Z".to_owned()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.abs() / 60;
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    };
    format!("{}T{hour:02}:{minute:02}:{second:02}{zone}", day.text())
}

/// Reads `YYYY-MM-DDTHH:MM:SS±HH:MM` (RFC 3339 to the second, no fraction, no zone name),
/// as numkeep writes `deadline` and `lost_at`: the instant and the written offset.
fn parse_rfc3339(text: &str) -> Option<(i64, i64)> {
    let bytes = text.as_bytes();
    if bytes.len() != 25 {
        return None;
    }
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (22, b':'),
    ];
    for (at, wanted) in separators {
        if bytes[at] != wanted {
            return None;
        }
    }
    let sign = match bytes[19] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let field = |from: usize, to: usize| -> Option<i64> {
        let digits = &text[from..to];
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    };
    let (year, month, date) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
    let (hour, minute, second) = (field(11, 13)?, field(14, 16)?, field(17, 19)?);
    let (offset_hours, offset_minutes) = (field(20, 22)?, field(23, 25)?);
    let month_ok = (1..=12).contains(&month);
    if !month_ok
        || date < 1
        || date > i64::from(month_length(year as i32, month as u32))
        || hour > 23
        || minute > 59
        || second > 59
        || offset_minutes > 59
    {
        return None;
    }
    let day = Day::new(year as i32, month as u32, date as u32);
    let offset = sign * (offset_hours * 3600 + offset_minutes * 60);
    let local = (day.ordinal() - epoch_ordinal()) * 86_400 + hour * 3600 + minute * 60 + second;
    Some((local - offset, offset))
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

/// One obligation of a number: its dates in the carrier's calendar and the instants they
/// stand for. None of it depends on "now".
#[derive(Clone, Debug, PartialEq)]
struct Obligation {
    rule: &'static str,
    act_by: Day,
    lost_on: Day,
    /// The first instant of act-by + 1 day in the carrier's zone.
    deadline_at: i64,
    /// The first instant of lost-on in the carrier's zone.
    lost_at: i64,
}

impl Obligation {
    fn action(&self) -> &'static str {
        match self.rule {
            "topup_valid_for" => "top_up",
            "use_every" => "use",
            "fee" => "add_balance",
            "valid_until" => "renew",
            _ => "resume",
        }
    }
}

/// What the reference knows about a number whatever "now" is.
#[derive(Clone, Debug)]
struct Plan {
    /// The zone whose calendar the number's dates count in: its own, its carrier's, else the
    /// user's (`settings.timezone`, else the system zone).
    zone: &'static str,
    /// Every obligation, earliest act-by first (ties in rule order); empty when retired.
    obligations: Vec<Obligation>,
    leads: Vec<Per>,
    paused: bool,
    retired: bool,
}

impl Plan {
    fn urgent(&self) -> Option<&Obligation> {
        self.obligations.first()
    }

    /// The state on the number's `today` (a date in its zone), DESIGN.md §5.
    fn state(&self, today: Day) -> &'static str {
        let Some(urgent) = self.urgent() else {
            return "retired";
        };
        if today >= urgent.lost_on {
            "lost"
        } else if today > urgent.act_by {
            "grace"
        } else if self
            .leads
            .iter()
            .any(|lead| today >= lead.before(urgent.act_by))
        {
            "due"
        } else if self.paused {
            "paused"
        } else {
            "ok"
        }
    }

    /// Where the number sorts in `status`: active before retired, then the deadline in
    /// whole minutes, then the number.
    fn order_key<'a>(&self, e164: &'a str) -> (bool, Option<i64>, &'a str) {
        (
            self.retired,
            self.urgent().map(|o| o.deadline_at.div_euclid(60)),
            e164,
        )
    }
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

fn plan(number: &Number, carriers: &[Carrier], settings: &Settings) -> Plan {
    let rules = effective(number, carriers);
    let zone = rules.timezone.unwrap_or(settings.zone());
    let paused = number.paused_since.is_some();
    let leads = leads_of(number, settings);
    if number.retired {
        return Plan {
            zone,
            obligations: Vec::new(),
            leads,
            paused,
            retired: true,
        };
    }
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

    let mut obligations: Vec<Obligation> = found
        .into_iter()
        .map(|(rule, act_by)| {
            let mut lost_on = act_by.next();
            for phase in rules.grace {
                lost_on = phase.after(lost_on);
            }
            Obligation {
                rule,
                act_by,
                lost_on,
                deadline_at: day_start(zone, act_by.next()),
                lost_at: day_start(zone, lost_on),
            }
        })
        .collect();
    obligations.sort_by_key(|o| (o.act_by, RULES.iter().position(|rule| *rule == o.rule)));
    assert!(
        !obligations.is_empty(),
        "every active number has a deadline"
    );
    Plan {
        zone,
        obligations,
        leads,
        paused,
        retired: false,
    }
}

/// "Now" as `status --at` is given it.
#[derive(Clone, Copy, Debug)]
enum At {
    /// A date alone: that date is today in every calendar (DESIGN.md §2).
    Day(Day),
    /// An instant, written at `offset` (`Z` when `zulu` and the offset is 0).
    Instant { at: i64, offset: i64, zulu: bool },
}

impl At {
    fn text(self) -> String {
        match self {
            At::Day(day) => day.text(),
            At::Instant { at, offset, zulu } => rfc3339(at, offset, zulu),
        }
    }

    /// The number's today: the date of the instant in its zone, or the date given.
    fn today(self, plan: &Plan) -> Day {
        match self {
            At::Day(day) => day,
            At::Instant { at, .. } => civil_at(plan.zone, at).0,
        }
    }
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
    /// One per number, in the same order.
    plans: Vec<Plan>,
    /// The moments `status --json --at` is asked about.
    ats: Vec<At>,
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
        system_zone: generator.rng.pick(USER_ZONES),
        remind_before: generator.rng.chance(50).then(|| generator.leads()),
    };
    let mut settings_toml = String::from("[settings]\n");
    if let Some(zone) = settings.timezone {
        let _ = writeln!(settings_toml, "timezone = \"{zone}\"");
    } else {
        let _ = writeln!(
            settings_toml,
            "# no timezone: the system zone, TZ={}",
            settings.system_zone
        );
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
    let plans: Vec<Plan> = numbers
        .iter()
        .map(|number| plan(number, &carriers, &settings))
        .collect();
    let ats = generator.ats(&plans, &settings);
    GeneratedConfig {
        settings,
        settings_toml,
        carriers,
        numbers,
        plans,
        ats,
        text,
    }
}

impl Generator {
    /// The moments a config is evaluated at: dates alone (around the config's present, a
    /// month end or leap day, a boundary day of some number), instants anywhere in the
    /// following months, and instants in the hour around a carrier midnight that matters to
    /// some number — its deadline, its lost-at, a reminder window opening — most of them
    /// one second before it, on it or one second after.
    fn ats(&mut self, plans: &[Plan], settings: &Settings) -> Vec<At> {
        let base = self.base;
        let last = base.step_days(self.rng.int(91, 250));
        let month_end = if is_leap(last.y) && self.rng.chance(50) {
            Day::new(last.y, 2, 29)
        } else {
            Day::new(last.y, last.m, month_length(last.y, last.m))
        };
        let mut ats = vec![
            At::Day(base),
            At::Day(base.step_days(self.rng.int(1, 90))),
            At::Day(month_end),
        ];
        while ats.len() < DATES_PER_CONFIG {
            let plan = self.active(plans);
            let urgent = plan.urgent().unwrap();
            let mut days = vec![
                urgent.act_by,
                urgent.act_by.next(),
                urgent.lost_on,
                urgent.lost_on.prev(),
            ];
            for lead in &plan.leads {
                let opens = lead.before(urgent.act_by);
                days.extend([opens, opens.prev()]);
            }
            ats.push(At::Day(self.rng.pick(&days)));
        }
        let utc = |day: Day| (day.ordinal() - epoch_ordinal()) * 86_400;
        let (first, end) = (utc(base) - 86_400, utc(base.step_days(250)));
        for _ in 0..RANDOM_INSTANTS_PER_CONFIG {
            let at = self.rng.int(first, end);
            ats.push(self.instant(at, settings));
        }
        for _ in 0..NEAR_MIDNIGHT_PER_CONFIG {
            let plan = self.active(plans);
            let obligation = if self.rng.chance(80) {
                &plan.obligations[0]
            } else {
                self.rng.pick(&plan.obligations.iter().collect::<Vec<_>>())
            };
            let midnight = match self.rng.int(0, 9) {
                0..=3 => obligation.deadline_at,
                4..=6 => obligation.lost_at,
                7..=8 if !plan.leads.is_empty() => {
                    let lead = self.rng.pick(&plan.leads);
                    day_start(plan.zone, lead.before(obligation.act_by))
                }
                _ => {
                    let day = base.step_days(self.rng.int(-30, 250));
                    day_start(plan.zone, day)
                }
            };
            let shift = match self.rng.int(0, 19) {
                0..=5 => -1,
                6..=10 => 0,
                11..=14 => 1,
                15..=16 => self.rng.pick(&[-1, 1]) * self.rng.int(2, 59),
                _ => self.rng.pick(&[-1, 1]) * self.rng.int(60, 1800),
            };
            ats.push(self.instant(midnight + shift, settings));
        }
        ats
    }

    /// A number that is not retired.
    fn active<'p>(&mut self, plans: &'p [Plan]) -> &'p Plan {
        loop {
            let plan = &plans[self.rng.int(0, plans.len() as i64 - 1) as usize];
            if !plan.retired {
                return plan;
            }
        }
    }

    /// `at`, written in UTC (`Z` or `+00:00`), in the user's offset, or in some other
    /// offset: the instant is the same whichever.
    fn instant(&mut self, at: i64, settings: &Settings) -> At {
        let (offset, zulu) = match self.rng.int(0, 9) {
            0..=3 => (0, self.rng.chance(75)),
            4..=6 => (offset_at(settings.zone(), at), false),
            _ => {
                let minutes = self
                    .rng
                    .pick(&[-720, -570, -180, -60, 0, 345, 480, 765, 840]);
                (minutes * 60, false)
            }
        };
        At::Instant { at, offset, zulu }
    }
}

// ---------------------------------------------------------------------------------------
// Comparing

fn day_field(value: &Value) -> Option<Day> {
    value.as_str().map(Day::parse)
}

/// An instant field (`deadline`, `lost_at`): its instant, after checking that it is RFC 3339
/// to the second written in the user's offset at that instant.
fn instant_field(
    value: &Value,
    key: &str,
    user_zone: &str,
    problems: &mut Vec<String>,
) -> Option<i64> {
    let text = value.as_str()?;
    let Some((instant, offset)) = parse_rfc3339(text) else {
        problems.push(format!(
            "{key}: {text:?} is not RFC 3339 to the second (YYYY-MM-DDTHH:MM:SS±HH:MM)"
        ));
        return None;
    };
    let wanted = offset_at(user_zone, instant);
    if offset != wanted {
        problems.push(format!(
            "{key}: {text:?} is written at offset {offset} s, but {user_zone} is at {wanted} s then"
        ));
    }
    Some(instant)
}

fn instant_text(instant: Option<i64>, user_zone: &str) -> String {
    instant.map_or_else(
        || "null".to_owned(),
        |at| rfc3339(at, offset_at(user_zone, at), false),
    )
}

/// One obligation as compared: rule, act-by, lost-on, deadline, lost-at, days left, action.
type Row = (
    String,
    Option<Day>,
    Option<Day>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
);

fn row_text(row: &Row, user_zone: &str) -> String {
    format!(
        "({}, {}, {}, {}, {}, {:?}, {})",
        row.0,
        row.1.map_or("null".to_owned(), Day::text),
        row.2.map_or("null".to_owned(), Day::text),
        instant_text(row.3, user_zone),
        instant_text(row.4, user_zone),
        row.5,
        row.6
    )
}

/// Differences between the binary's answer for one number and the reference at the
/// number's `today`; empty if none.
fn compare(actual: &Value, plan: &Plan, today: Day, user_zone: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let state = plan.state(today);
    if actual["state"] != state {
        problems.push(format!("state: expected {state}, got {}", actual["state"]));
    }
    let urgent = plan.urgent();
    let top_level = [
        ("act_by", urgent.map(|o| Value::from(o.act_by.text()))),
        ("lost_on", urgent.map(|o| Value::from(o.lost_on.text()))),
        (
            "days_left",
            urgent.map(|o| Value::from(days_from(today, o.act_by))),
        ),
    ];
    for (key, wanted) in top_level {
        let wanted = wanted.unwrap_or(Value::Null);
        if actual[key] != wanted {
            problems.push(format!("{key}: expected {wanted}, got {}", actual[key]));
        }
    }
    let top_instants = [
        ("deadline", urgent.map(|o| o.deadline_at)),
        ("lost_at", urgent.map(|o| o.lost_at)),
    ];
    for (key, wanted) in top_instants {
        let got = instant_field(&actual[key], key, user_zone, &mut problems);
        if got != wanted || (wanted.is_none() && !actual[key].is_null()) {
            problems.push(format!(
                "{key}: expected {}, got {}",
                instant_text(wanted, user_zone),
                actual[key]
            ));
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
                instant_field(
                    &o["deadline"],
                    "obligation deadline",
                    user_zone,
                    &mut problems,
                ),
                instant_field(
                    &o["lost_at"],
                    "obligation lost_at",
                    user_zone,
                    &mut problems,
                ),
                o["days_left"].as_i64(),
                o["action"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    got.sort_by_key(|o| (o.1, RULES.iter().position(|rule| *rule == o.0)));
    let wanted: Vec<Row> = plan
        .obligations
        .iter()
        .map(|o| {
            (
                o.rule.to_owned(),
                Some(o.act_by),
                Some(o.lost_on),
                Some(o.deadline_at),
                Some(o.lost_at),
                Some(days_from(today, o.act_by)),
                o.action().to_owned(),
            )
        })
        .collect();
    if got != wanted {
        let rows = |rows: &[Row]| {
            rows.iter()
                .map(|row| row_text(row, user_zone))
                .collect::<Vec<_>>()
                .join(", ")
        };
        problems.push(format!(
            "obligations (rule, act_by, lost_on, deadline, lost_at, days_left, action):\n  \
             expected [{}]\n  got      [{}]",
            rows(&wanted),
            rows(&got)
        ));
    }
    problems
}

#[derive(Default)]
struct Tally {
    evaluations: usize,
    /// Number-instants: one number at one `--at`.
    checked: usize,
    obligations_checked: usize,
    states: BTreeMap<&'static str, usize>,
    rules: BTreeMap<&'static str, usize>,
    /// Moments on a boundary of the most urgent obligation, by day (the number's today) and
    /// by instant.
    edges: BTreeMap<&'static str, usize>,
    /// Number-instants whose carrier's clock is ahead of or behind the user's, whose
    /// carrier's date differs from the user's, and whose user zone is the system's.
    zones: BTreeMap<&'static str, usize>,
    disagreements: Vec<String>,
}

/// Every state, rule, edge and zone relation the default run must contain.
const STATES: [&str; 6] = ["ok", "due", "grace", "lost", "paused", "retired"];
const EDGES: [&str; 13] = [
    "act-by day",
    "first day after act-by",
    "lost-on day",
    "day before lost-on",
    "window opens",
    "day before a window",
    "one second before the deadline",
    "at the deadline",
    "one second after the deadline",
    "one second before lost-at",
    "at lost-at",
    "one second after lost-at",
    "within 30 minutes of a carrier midnight",
];
const ZONE_RELATIONS: [&str; 5] = [
    "carrier zone east of the user's",
    "carrier zone west of the user's",
    "carrier's date ahead of the user's",
    "carrier's date behind the user's",
    "no settings.timezone: the system zone",
];

fn check_config(config: &GeneratedConfig, index: usize, tally: &mut Tally) {
    let scratch = Scratch::with_config(&config.text);
    let user_zone = config.settings.zone();
    // The order `status` must list the numbers in, whatever "now" is.
    let mut order: Vec<(bool, Option<i64>, &str)> = config
        .numbers
        .iter()
        .zip(&config.plans)
        .map(|(number, plan)| plan.order_key(&number.e164))
        .collect();
    order.sort();
    let order: Vec<&str> = order.into_iter().map(|key| key.2).collect();
    for &at in &config.ats {
        let at_text = at.text();
        let outcome = scratch
            .numkeep(&["status", "--json", "--at", &at_text])
            .env("TZ", config.settings.system_zone)
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
        tally.evaluations += 1;
        let answer: Value = serde_json::from_str(&outcome.stdout).expect("status --json");
        let answer = answer.as_array().expect("a JSON array");
        assert_eq!(answer.len(), config.numbers.len(), "one entry per number");
        let listed: Vec<&str> = answer
            .iter()
            .map(|entry| entry["number"].as_str().unwrap_or("?"))
            .collect();
        if listed != order {
            let first = listed
                .iter()
                .zip(&order)
                .position(|(got, wanted)| got != wanted)
                .unwrap_or(0);
            tally.disagreements.push(format!(
                "config {index}, --at {at_text}: numbers are not listed most urgent first (by \
                 deadline to the minute, then number; retired last): entry {first} is {}, \
                 expected {}",
                listed.get(first).unwrap_or(&"?"),
                order.get(first).unwrap_or(&"?")
            ));
        }
        let by_number: BTreeMap<&str, &Value> = listed.iter().copied().zip(answer).collect();
        let user_today = match at {
            At::Day(day) => day,
            At::Instant { at, .. } => civil_at(user_zone, at).0,
        };
        for (number, plan) in config.numbers.iter().zip(&config.plans) {
            let today = at.today(plan);
            tally.checked += 1;
            tally.obligations_checked += plan.obligations.len();
            *tally.states.entry(plan.state(today)).or_default() += 1;
            for obligation in &plan.obligations {
                *tally.rules.entry(obligation.rule).or_default() += 1;
            }
            for edge in edges(plan, at, today) {
                *tally.edges.entry(edge).or_default() += 1;
            }
            if config.settings.timezone.is_none() {
                *tally.zones.entry(ZONE_RELATIONS[4]).or_default() += 1;
            }
            if let At::Instant { at, .. } = at
                && !plan.retired
            {
                let (carrier, user) = (offset_at(plan.zone, at), offset_at(user_zone, at));
                if carrier > user {
                    *tally.zones.entry(ZONE_RELATIONS[0]).or_default() += 1;
                } else if carrier < user {
                    *tally.zones.entry(ZONE_RELATIONS[1]).or_default() += 1;
                }
                if today > user_today {
                    *tally.zones.entry(ZONE_RELATIONS[2]).or_default() += 1;
                } else if today < user_today {
                    *tally.zones.entry(ZONE_RELATIONS[3]).or_default() += 1;
                }
            }
            let Some(actual) = by_number.get(number.e164.as_str()) else {
                tally.disagreements.push(format!(
                    "config {index}, --at {at_text}: {} missing from the output",
                    number.e164
                ));
                continue;
            };
            let problems = compare(actual, plan, today, user_zone);
            if !problems.is_empty() {
                let carrier = number
                    .carrier
                    .map(|c| config.carriers[c].toml.clone())
                    .unwrap_or_default();
                tally.disagreements.push(format!(
                    "config {index}, TZ={} numkeep status --json --at {at_text}\n\
                     (the number's zone {}, its today {}, the user's {})\n--- config\n{}\n\
                     {carrier}\n{}--- differences\n{}\n--- actual\n{}",
                    config.settings.system_zone,
                    plan.zone,
                    today.text(),
                    user_today.text(),
                    config.settings_toml,
                    number.toml,
                    problems.join("\n"),
                    serde_json::to_string_pretty(actual).unwrap_or_default()
                ));
            }
        }
    }
}

/// Which boundaries of the most urgent obligation the moment falls on: days by the number's
/// `today`, instants (for `--at` with a time) to the second.
fn edges(plan: &Plan, at: At, today: Day) -> Vec<&'static str> {
    let Some(urgent) = plan.urgent() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    match days_from(today, urgent.act_by) {
        0 => found.push("act-by day"),
        -1 => found.push("first day after act-by"),
        _ => {}
    }
    match days_from(today, urgent.lost_on) {
        0 => found.push("lost-on day"),
        1 => found.push("day before lost-on"),
        _ => {}
    }
    if plan
        .leads
        .iter()
        .any(|lead| lead.before(urgent.act_by) == today)
    {
        found.push("window opens");
    }
    if plan
        .leads
        .iter()
        .any(|lead| lead.before(urgent.act_by) == today.next())
    {
        found.push("day before a window");
    }
    if let At::Instant { at, .. } = at {
        match at - urgent.deadline_at {
            -1 => found.push("one second before the deadline"),
            0 => found.push("at the deadline"),
            1 => found.push("one second after the deadline"),
            _ => {}
        }
        match at - urgent.lost_at {
            -1 => found.push("one second before lost-at"),
            0 => found.push("at lost-at"),
            1 => found.push("one second after lost-at"),
            _ => {}
        }
        let clock = civil_at(plan.zone, at).1;
        if clock <= 1800 || clock >= 86_400 - 1800 {
            found.push("within 30 minutes of a carrier midnight");
        }
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
    for index in 0..configs {
        let config = generate(seed, index);
        check_config(&config, index, &mut tally);
    }
    eprintln!(
        "reference: {configs} configs (seed {seed}), {} status calls, {} number-instants and {} \
         obligations checked, {} disagreements\n  states {:?}\n  rules {:?}\n  edges {:?}\n  \
         zones {:?}",
        tally.evaluations,
        tally.checked,
        tally.obligations_checked,
        tally.disagreements.len(),
        tally.states,
        tally.rules,
        tally.edges,
        tally.zones,
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
    // Coverage is part of the claim: a run that never reached a case proves nothing about it.
    let mut missing = Vec::new();
    let required = [
        ("state", &tally.states, &STATES[..]),
        ("rule", &tally.rules, &RULES[..]),
        ("edge", &tally.edges, &EDGES[..]),
        ("zones", &tally.zones, &ZONE_RELATIONS[..]),
    ];
    for (kind, counts, names) in required {
        for name in names {
            if counts.get(name).copied().unwrap_or(0) == 0 {
                missing.push(format!("{kind} {name:?}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the generated cases never reached: {}; change the generator (or the seed)",
        missing.join(", ")
    );
    if configs >= DEFAULT_CONFIGS {
        assert!(
            tally.checked >= MIN_CHECKED,
            "only {} number-instants were checked, fewer than {MIN_CHECKED}",
            tally.checked
        );
    }
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
    // The ordinal (used for day counts and instants) agrees with stepping over four
    // centuries, and converts back.
    let mut walking = day("1899-12-25");
    for _ in 0..146_200 {
        let next = walking.next();
        assert_eq!(next.ordinal(), walking.ordinal() + 1, "{walking:?}");
        assert_eq!(Day::from_ordinal(next.ordinal()), next);
        walking = next;
    }
    // Instants of DESIGN.md §2, computed the reference's way: 14 Dec 00:00 in Kuwait is
    // 13 Dec 21:00 UTC, 05:00 on the 14th in Shanghai, 16:00 on the 13th in New York; in
    // Kiritimati, 13 Dec 10:00 UTC.
    let instant = |text: &str| text.parse::<jiff::Timestamp>().unwrap().as_second();
    let deadline = day_start("Asia/Kuwait", day("2026-12-14"));
    assert_eq!(deadline, instant("2026-12-13T21:00:00Z"));
    assert_eq!(
        rfc3339(deadline, offset_at("Asia/Shanghai", deadline), false),
        "2026-12-14T05:00:00+08:00"
    );
    assert_eq!(
        rfc3339(deadline, offset_at("America/New_York", deadline), false),
        "2026-12-13T16:00:00-05:00"
    );
    assert_eq!(rfc3339(deadline, 0, true), "2026-12-13T21:00:00Z");
    assert_eq!(
        parse_rfc3339("2026-12-13T16:00:00-05:00"),
        Some((deadline, -5 * 3600))
    );
    assert_eq!(
        parse_rfc3339("2026-12-14T02:45:00+05:45"),
        Some((deadline, 345 * 60))
    );
    for bad in [
        "2026-12-13T21:00:00Z",
        "2026-12-13T21:00:00.000+00:00",
        "2026-12-13T21:00+00:00",
        "2026-02-29T00:00:00+00:00",
        "2026-12-13 21:00:00+00:00",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
    assert_eq!(
        day_start("Pacific/Kiritimati", day("2026-12-14")),
        instant("2026-12-13T10:00:00Z")
    );
    // A day whose midnight does not exist starts when the clocks resume: Santiago skipped
    // from 24:00 on 2 Sep 2023 to 01:00 (UTC−4 to UTC−3); Apia skipped 30 Dec 2011 whole.
    assert_eq!(
        day_start("America/Santiago", day("2023-09-03")),
        instant("2023-09-03T04:00:00Z")
    );
    // St John's set its clocks back from 00:01 to 23:01 on 31 Oct 2004: 00:00 on the 31st
    // came twice, first at UTC−2:30.
    assert_eq!(
        day_start("America/St_Johns", day("2004-10-31")),
        instant("2004-10-31T02:30:00Z")
    );
    assert_eq!(
        day_start("Pacific/Apia", day("2011-12-30")),
        day_start("Pacific/Apia", day("2011-12-31"))
    );
    assert_eq!(
        day_start("Pacific/Apia", day("2011-12-31")),
        instant("2011-12-30T10:00:00Z")
    );
    // A date changes where the zone says: 20:59:59 UTC is still 13 Dec in Kuwait.
    assert_eq!(
        civil_at("Asia/Kuwait", deadline - 1),
        (day("2026-12-13"), 86_399)
    );
    assert_eq!(civil_at("Asia/Kuwait", deadline), (day("2026-12-14"), 0));
}
