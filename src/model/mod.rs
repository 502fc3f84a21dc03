//! The domain's vocabulary, shared by every layer: numbers and their carriers' rules,
//! periods, money, phone numbers and the settings. `config` reads files into these types,
//! `engine` computes on them, `render` and the shell show and carry out the results. Every
//! value here has been checked by the reader, so later stages never re-validate user input.
//! How an entry is packed in memory ([`Sparse`]) stays inside [`number`]: everything else
//! goes through accessors.

pub mod catalogue;
pub mod money;
mod notify;
mod number;
pub mod period;
pub mod phone;
mod rules;
mod settings;
mod sparse;

pub use notify::{
    DEFAULT_BARK_SERVER, DEFAULT_COMMAND_TIMEOUT, DEFAULT_PUSHPLUS_SERVER, DEFAULT_TELEGRAM_API,
    NOTIFY_TYPES, NotifyChannel, NotifyKind,
};
pub use number::{Balance, LineStatus, Location, NumberEntry};
pub use rules::{
    AmountTier, Carrier, EffectiveRules, Fee, GracePhase, RuleSet, TopupValidity, UseEvery,
};
pub use settings::{
    EmailSettings, Language, Schedule, Settings, SmtpSettings, TlsMode, Transport, Zone,
};

use std::fmt;
use std::sync::Arc;

/// A value written in a form the model does not take (a duration, an amount, a phone
/// number…), with what to write instead: a lowercase fragment fit to follow a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidText(pub String);

impl fmt::Display for InvalidText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidText {}

impl From<String> for InvalidText {
    fn from(message: String) -> InvalidText {
        InvalidText(message)
    }
}

/// A whole config, validated: what the engine and the shell work from.
#[derive(Clone, Debug)]
pub struct Config {
    pub settings: Settings,
    pub email: Option<EmailSettings>,
    /// The `[[notify]]` push channels, in file order; names are unique.
    pub notify: Vec<NotifyChannel>,
    /// `[calendar] path`: the calendar file the daemon keeps up to date.
    pub calendar: Option<std::path::PathBuf>,
    pub carriers: Vec<Arc<Carrier>>,
    pub numbers: Vec<NumberEntry>,
}
