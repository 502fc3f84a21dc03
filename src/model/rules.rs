//! Carriers' rules: how long a top-up keeps a line, how often it must be used, fees, grace
//! phases, pauses; the keys a number may override one by one, and the rules in effect after
//! the overrides.

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::period::Period;
use super::settings::Zone;

/// How long a top-up keeps the line valid: one period, or by amount.
#[derive(Clone, Debug, PartialEq)]
pub enum TopupValidity {
    Fixed(Period),
    /// Entries sorted by `min`, ascending; the largest `min` not above the amount wins.
    ByAmount(Vec<AmountTier>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AmountTier {
    pub min: Decimal,
    pub valid_for: Period,
}

impl TopupValidity {
    /// The validity a top-up of `amount` buys; `None` when it is below every tier.
    pub fn validity_for(&self, amount: Option<Decimal>) -> Option<Period> {
        match self {
            TopupValidity::Fixed(period) => Some(*period),
            TopupValidity::ByAmount(tiers) => {
                let amount = amount?;
                tiers
                    .iter()
                    .rev()
                    .find(|tier| tier.min <= amount)
                    .map(|tier| tier.valid_for)
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UseEvery {
    Period(Period),
    /// Some use in every calendar month.
    CalendarMonth,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fee {
    pub amount: Decimal,
    pub every: Period,
}

impl Fee {
    /// Where charges step from when no `next_charge` is written: the day the balance was
    /// read plus one period (DESIGN.md §2; DESIGN-NOTES.md says why). The one place this
    /// default is written: the engine counts from it, `renew` writes it down.
    pub fn default_anchor(self, balance_read_on: Date) -> Option<Date> {
        self.every.after(balance_read_on)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct GracePhase {
    pub length: Period,
    /// What the carrier does in this phase ("incoming calls only"), if the user said.
    pub state: Option<String>,
}

/// The rule keys a carrier sets and a number may override one by one.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub timezone: Option<Zone>,
    pub topup_valid_for: Option<TopupValidity>,
    pub use_every: Option<UseEvery>,
    pub topup_counts_as_use: Option<bool>,
    pub fee: Option<Fee>,
    pub pause_max: Option<Period>,
    pub grace: Option<Vec<GracePhase>>,
    pub source: Option<String>,
    pub checked: Option<Date>,
}

impl RuleSet {
    /// No key set: what most numbers have, since their carrier sets the rules.
    pub const EMPTY: RuleSet = RuleSet {
        timezone: None,
        topup_valid_for: None,
        use_every: None,
        topup_counts_as_use: None,
        fee: None,
        pause_max: None,
        grace: None,
        source: None,
        checked: None,
    };

    /// These keys over `base`'s: each key set here wins, the others come from `base`
    /// (`[carriers.x] base = "giffgaff"`).
    pub fn over(self, base: &RuleSet) -> RuleSet {
        let RuleSet {
            timezone,
            topup_valid_for,
            use_every,
            topup_counts_as_use,
            fee,
            pause_max,
            grace,
            source,
            checked,
        } = self;
        RuleSet {
            timezone: timezone.or_else(|| base.timezone.clone()),
            topup_valid_for: topup_valid_for.or_else(|| base.topup_valid_for.clone()),
            use_every: use_every.or(base.use_every),
            topup_counts_as_use: topup_counts_as_use.or(base.topup_counts_as_use),
            fee: fee.or(base.fee),
            pause_max: pause_max.or(base.pause_max),
            grace: grace.or_else(|| base.grace.clone()),
            source: source.or_else(|| base.source.clone()),
            checked: checked.or(base.checked),
        }
    }

    pub fn is_empty(&self) -> bool {
        let RuleSet {
            timezone,
            topup_valid_for,
            use_every,
            topup_counts_as_use,
            fee,
            pause_max,
            grace,
            source,
            checked,
        } = self;
        timezone.is_none()
            && topup_valid_for.is_none()
            && use_every.is_none()
            && topup_counts_as_use.is_none()
            && fee.is_none()
            && pause_max.is_none()
            && grace.is_none()
            && source.is_none()
            && checked.is_none()
    }
}

#[derive(Clone, Debug)]
pub struct Carrier {
    pub id: String,
    pub name: Option<String>,
    pub rules: RuleSet,
}

/// A number's rules after overrides: the number's own key if set, else its carrier's.
#[derive(Clone, Copy, Debug)]
pub struct EffectiveRules<'a> {
    pub timezone: Option<&'a Zone>,
    pub topup_valid_for: Option<&'a TopupValidity>,
    pub use_every: Option<UseEvery>,
    pub topup_counts_as_use: bool,
    pub fee: Option<Fee>,
    pub pause_max: Option<Period>,
    pub grace: &'a [GracePhase],
}
