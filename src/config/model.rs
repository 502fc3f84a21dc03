//! The validated config: what the engine and the shell work from. Every value here has been
//! checked, so later stages never re-validate user input.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;

use super::period::Period;
use super::phone::PhoneNumber;

#[derive(Clone, Debug)]
pub struct Config {
    pub settings: Settings,
    pub email: Option<EmailSettings>,
    pub carriers: Vec<Arc<Carrier>>,
    pub numbers: Vec<NumberEntry>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    SimplifiedChinese,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::SimplifiedChinese => "zh-CN",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Zone {
    /// The name as written (or `UTC` / the system zone's name), for messages.
    pub name: String,
    pub tz: TimeZone,
}

#[derive(Clone, Debug)]
pub struct Schedule {
    pub text: String,
    pub cron: croner::Cron,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub timezone: Zone,
    pub check_at: Schedule,
    pub remind_before: Vec<Period>,
    pub language: Language,
    pub state_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    StartTls,
    Tls,
    None,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsMode::StartTls => "starttls",
            TlsMode::Tls => "tls",
            TlsMode::None => "none",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub enum Transport {
    Smtp(SmtpSettings),
    Sendmail(PathBuf),
}

#[derive(Clone, Debug)]
pub struct EmailSettings {
    pub from: String,
    pub to: Vec<String>,
    pub transport: Transport,
}

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

/// A struct most entries leave empty, stored as one null pointer until something is written
/// to it; read and written as a `T` through `Deref`/`DerefMut` (any write, even of `None`,
/// allocates it). A fleet's config has one [`NumberEntry`] per line, and most set none of
/// these keys.
#[derive(Clone, Default)]
pub struct Sparse<T: Unset + 'static>(Option<Box<T>>);

/// A type with an everything-unset value, shared by every empty [`Sparse`].
pub trait Unset: Sized + 'static {
    const UNSET: &'static Self;
    fn is_unset(&self) -> bool;
}

impl<T: Unset> From<T> for Sparse<T> {
    fn from(value: T) -> Sparse<T> {
        Sparse((!value.is_unset()).then(|| Box::new(value)))
    }
}

impl<T: Unset> Deref for Sparse<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or(T::UNSET)
    }
}

impl<T: Unset + Default> DerefMut for Sparse<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_default()
    }
}

impl<T: Unset + fmt::Debug> fmt::Debug for Sparse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}

impl Unset for RuleSet {
    const UNSET: &'static RuleSet = &RuleSet::EMPTY;

    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

/// The rule keys set on a number itself; most numbers set none, since their carrier does.
pub type NumberRules = Sparse<RuleSet>;

/// A number's keys that few numbers set.
#[derive(Clone, Debug, Default)]
pub struct NumberExtras {
    pub last_topup_amount: Option<Decimal>,
    pub balance: Option<Balance>,
    pub next_charge: Option<Date>,
    pub paused_since: Option<Date>,
    /// Recipients of this number's reminders besides `email.to`.
    pub email: Vec<String>,
    /// This number's own lead times, instead of `settings.remind_before`.
    pub remind_before: Option<Vec<Period>>,
}

// Each field is named in `UNSET` and in `is_unset`'s destructuring: a new field does not
// compile until both (and `Default`, derived) account for it.
impl Unset for NumberExtras {
    const UNSET: &'static NumberExtras = &NumberExtras {
        last_topup_amount: None,
        balance: None,
        next_charge: None,
        paused_since: None,
        email: Vec::new(),
        remind_before: None,
    };

    fn is_unset(&self) -> bool {
        let NumberExtras {
            last_topup_amount,
            balance,
            next_charge,
            paused_since,
            email,
            remind_before,
        } = self;
        last_topup_amount.is_none()
            && balance.is_none()
            && next_charge.is_none()
            && paused_since.is_none()
            && email.is_empty()
            && remind_before.is_none()
    }
}

#[derive(Clone, Debug)]
pub struct Carrier {
    pub id: String,
    pub name: Option<String>,
    pub rules: RuleSet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStatus {
    Active,
    Retired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    pub amount: Decimal,
    pub on: Date,
}

/// Where an entry was written, for messages that point back at the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Shared by every entry of the file.
    pub path: Arc<PathBuf>,
    pub line: u32,
}

#[derive(Clone, Debug)]
pub struct NumberEntry {
    pub number: PhoneNumber,
    pub label: Option<Box<str>>,
    pub carrier: Option<Arc<Carrier>>,
    /// Rule keys set on the number itself; they override the carrier's.
    pub rules: NumberRules,
    pub last_topup: Option<Date>,
    pub last_used: Option<Date>,
    pub valid_until: Option<Date>,
    pub status: LineStatus,
    pub extras: Sparse<NumberExtras>,
    pub location: Location,
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

impl NumberEntry {
    /// An active number with no rule and no recorded date, written at `location`.
    pub fn new(number: PhoneNumber, location: Location) -> NumberEntry {
        NumberEntry {
            number,
            label: None,
            carrier: None,
            rules: Sparse::default(),
            last_topup: None,
            last_used: None,
            valid_until: None,
            status: LineStatus::Active,
            extras: Sparse::default(),
            location,
        }
    }

    pub fn effective_rules(&self) -> EffectiveRules<'_> {
        let own: &RuleSet = &self.rules;
        let inherited = self.carrier.as_deref().map(|carrier| &carrier.rules);
        macro_rules! pick {
            ($field:ident) => {
                own.$field
                    .as_ref()
                    .or_else(|| inherited.and_then(|rules| rules.$field.as_ref()))
            };
        }
        EffectiveRules {
            timezone: pick!(timezone),
            topup_valid_for: pick!(topup_valid_for),
            use_every: pick!(use_every).copied(),
            topup_counts_as_use: pick!(topup_counts_as_use).copied().unwrap_or(true),
            fee: pick!(fee).copied(),
            pause_max: pick!(pause_max).copied(),
            grace: pick!(grace).map_or(&[], Vec::as_slice),
        }
    }

    pub fn carrier_id(&self) -> Option<&str> {
        self.carrier.as_deref().map(|carrier| carrier.id.as_str())
    }

    pub fn is_paused(&self) -> bool {
        self.extras.paused_since.is_some()
    }

    /// Lead times for this number: its own list, else the global one.
    pub fn remind_before<'a>(&'a self, settings: &'a Settings) -> &'a [Period] {
        self.extras
            .remind_before
            .as_deref()
            .unwrap_or(&settings.remind_before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_entry_stays_small() {
        // A fleet's config holds one entry per line; what few numbers set lives behind
        // `extras` and `rules`.
        assert!(
            size_of::<NumberEntry>() <= 96,
            "{}",
            size_of::<NumberEntry>()
        );
    }

    #[test]
    fn sparse_values_read_as_unset_until_written() {
        let mut extras: Sparse<NumberExtras> = NumberExtras::default().into();
        assert!(extras.0.is_none());
        assert!(extras.email.is_empty() && extras.balance.is_none());
        extras.next_charge = Some(jiff::civil::date(2026, 12, 1));
        assert!(extras.0.is_some());
        assert_eq!(extras.next_charge, Some(jiff::civil::date(2026, 12, 1)));
    }
}
