//! The validated config: what the engine and the shell work from. Every value here has been
//! checked, so later stages never re-validate user input.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
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

static NO_RULES: RuleSet = RuleSet::EMPTY;

/// The rule keys set on a number itself, read and written as a [`RuleSet`] (through
/// `Deref`/`DerefMut`). Most numbers set none, so an empty set is stored as one null
/// pointer instead of a 150-byte `RuleSet` in every entry; writing a key allocates it.
#[derive(Clone, Default)]
pub struct NumberRules(Option<Box<RuleSet>>);

impl From<RuleSet> for NumberRules {
    fn from(rules: RuleSet) -> NumberRules {
        NumberRules((!rules.is_empty()).then(|| Box::new(rules)))
    }
}

impl Deref for NumberRules {
    type Target = RuleSet;

    fn deref(&self) -> &RuleSet {
        self.0.as_deref().unwrap_or(&NO_RULES)
    }
}

impl DerefMut for NumberRules {
    fn deref_mut(&mut self) -> &mut RuleSet {
        self.0.get_or_insert_default()
    }
}

impl fmt::Debug for NumberRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        RuleSet::fmt(self, f)
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
    pub path: Arc<Path>,
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct NumberEntry {
    pub number: PhoneNumber,
    pub label: Option<String>,
    pub carrier: Option<Arc<Carrier>>,
    /// Rule keys set on the number itself; they override the carrier's.
    pub rules: NumberRules,
    pub last_topup: Option<Date>,
    pub last_topup_amount: Option<Decimal>,
    pub last_used: Option<Date>,
    pub balance: Option<Balance>,
    pub next_charge: Option<Date>,
    pub valid_until: Option<Date>,
    pub paused_since: Option<Date>,
    pub status: LineStatus,
    pub email: Vec<String>,
    pub remind_before: Option<Vec<Period>>,
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
            rules: RuleSet::default().into(),
            last_topup: None,
            last_topup_amount: None,
            last_used: None,
            balance: None,
            next_charge: None,
            valid_until: None,
            paused_since: None,
            status: LineStatus::Active,
            email: Vec::new(),
            remind_before: None,
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
        self.paused_since.is_some()
    }

    /// Lead times for this number: its own list, else the global one.
    pub fn remind_before<'a>(&'a self, settings: &'a Settings) -> &'a [Period] {
        self.remind_before
            .as_deref()
            .unwrap_or(&settings.remind_before)
    }
}
