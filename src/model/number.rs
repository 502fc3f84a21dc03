//! One phone number of the config: its recorded dates, its carrier and own rules, and the
//! keys few numbers set. An entry is kept small (a fleet's config holds one per line): those
//! keys live behind one [`Sparse`] pointer, null until one is written, which only this module
//! sees; everything else reads and writes them through accessors.

use std::path::PathBuf;
use std::sync::Arc;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::period::Period;
use super::phone::PhoneNumber;
use super::rules::{Carrier, EffectiveRules, Fee, RuleSet};
use super::settings::Settings;
use super::sparse::{Sparse, Unset};

impl Unset for RuleSet {
    const UNSET: &'static RuleSet = &RuleSet::EMPTY;

    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

/// The rule keys set on a number itself; most numbers set none, since their carrier does.
type NumberRules = Sparse<RuleSet>;

/// A number's keys that few numbers set.
#[derive(Clone, Debug, Default)]
struct NumberExtras {
    last_topup_amount: Option<Decimal>,
    balance: Option<Balance>,
    next_charge: Option<Date>,
    paused_since: Option<Date>,
    /// The day the last pause ended: the top-up and use windows count from it at the
    /// earliest.
    resumed_on: Option<Date>,
    /// With `status = "retiring"`: the day to cancel by (else a default, DESIGN.md §2).
    retire_by: Option<Date>,
    /// With `status = "retired"`: the day it was cancelled, kept as a record.
    retired_on: Option<Date>,
    /// Accounts that send codes to this number, named in every reminder.
    bound_to: Vec<Box<str>>,
    /// Free text shown in `status` and in reminders.
    notes: Option<Box<str>>,
    /// Recipients of this number's reminders besides `email.to`.
    email: Vec<String>,
    /// This number's own lead times, instead of `settings.remind_before`.
    remind_before: Option<Vec<Period>>,
    /// The only channels (by name, `email` included) this number's reminders go to.
    notify: Option<Vec<String>>,
}

// Each field is named in `UNSET` and in `is_unset`'s destructuring: a new field does not
// compile until both (and `Default`, derived) account for it.
impl Unset for NumberExtras {
    const UNSET: &'static NumberExtras = &NumberExtras {
        last_topup_amount: None,
        balance: None,
        next_charge: None,
        paused_since: None,
        resumed_on: None,
        retire_by: None,
        retired_on: None,
        bound_to: Vec::new(),
        notes: None,
        email: Vec::new(),
        remind_before: None,
        notify: None,
    };

    fn is_unset(&self) -> bool {
        let NumberExtras {
            last_topup_amount,
            balance,
            next_charge,
            paused_since,
            resumed_on,
            retire_by,
            retired_on,
            bound_to,
            notes,
            email,
            remind_before,
            notify,
        } = self;
        last_topup_amount.is_none()
            && balance.is_none()
            && next_charge.is_none()
            && paused_since.is_none()
            && resumed_on.is_none()
            && retire_by.is_none()
            && retired_on.is_none()
            && bound_to.is_empty()
            && notes.is_none()
            && email.is_empty()
            && remind_before.is_none()
            && notify.is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStatus {
    Active,
    /// Being cancelled: every rule still applies, plus the `retire_by` obligation.
    Retiring,
    /// Cancelled: no reminders; kept as a record.
    Retired,
}

impl LineStatus {
    /// The config's spelling.
    pub fn key(self) -> &'static str {
        match self {
            LineStatus::Active => "active",
            LineStatus::Retiring => "retiring",
            LineStatus::Retired => "retired",
        }
    }
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
    rules: NumberRules,
    pub last_topup: Option<Date>,
    pub last_used: Option<Date>,
    pub valid_until: Option<Date>,
    pub status: LineStatus,
    extras: Sparse<NumberExtras>,
    pub location: Location,
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

    /// The rule keys set on the number itself (most numbers set none).
    pub fn own_rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The number's own rule keys, to write one (this allocates them).
    pub fn own_rules_mut(&mut self) -> &mut RuleSet {
        &mut self.rules
    }

    pub fn set_own_rules(&mut self, rules: RuleSet) {
        self.rules = rules.into();
    }

    /// The amount of the last top-up, when validity depends on it.
    pub fn last_topup_amount(&self) -> Option<Decimal> {
        self.extras.last_topup_amount
    }

    /// The balance and the day it was read, for a fee.
    pub fn balance(&self) -> Option<Balance> {
        self.extras.balance
    }

    /// The fee's billing anchor as written, if it was.
    pub fn next_charge(&self) -> Option<Date> {
        self.extras.next_charge
    }

    pub fn paused_since(&self) -> Option<Date> {
        self.extras.paused_since
    }

    /// The day the last pause ended, if one did.
    pub fn resumed_on(&self) -> Option<Date> {
        self.extras.resumed_on
    }

    /// The cancel-by day as written (a retiring number without one gets a default).
    pub fn retire_by(&self) -> Option<Date> {
        self.extras.retire_by
    }

    /// The day a retired number was cancelled.
    pub fn retired_on(&self) -> Option<Date> {
        self.extras.retired_on
    }

    /// Accounts that send codes to this number.
    pub fn bound_to(&self) -> &[Box<str>] {
        &self.extras.bound_to
    }

    /// The user's free-text notes.
    pub fn notes(&self) -> Option<&str> {
        self.extras.notes.as_deref()
    }

    /// Recipients of this number's reminders besides `email.to`.
    pub fn own_recipients(&self) -> &[String] {
        &self.extras.email
    }

    /// This number's own lead times, if it sets them (see [`NumberEntry::remind_before`]).
    pub fn own_remind_before(&self) -> Option<&[Period]> {
        self.extras.remind_before.as_deref()
    }

    /// The anchor the fee's charges step from: `next_charge` if written, else the day the
    /// balance was read plus one fee period (DESIGN.md §2). `None` without a balance, or
    /// out of the date range.
    pub fn fee_anchor(&self, fee: Fee) -> Option<Date> {
        match self.next_charge() {
            Some(date) => Some(date),
            None => fee.default_anchor(self.balance()?.on),
        }
    }

    // The setters write nothing for `None` while the keys are unset, so that an entry keeps
    // its null pointer.

    pub fn set_last_topup_amount(&mut self, amount: Option<Decimal>) {
        if amount.is_some() || !self.extras.is_unset() {
            self.extras.last_topup_amount = amount;
        }
    }

    pub fn set_balance(&mut self, balance: Option<Balance>) {
        if balance.is_some() || !self.extras.is_unset() {
            self.extras.balance = balance;
        }
    }

    pub fn set_next_charge(&mut self, date: Option<Date>) {
        if date.is_some() || !self.extras.is_unset() {
            self.extras.next_charge = date;
        }
    }

    pub fn set_paused_since(&mut self, date: Option<Date>) {
        if date.is_some() || !self.extras.is_unset() {
            self.extras.paused_since = date;
        }
    }

    pub fn set_resumed_on(&mut self, date: Option<Date>) {
        if date.is_some() || !self.extras.is_unset() {
            self.extras.resumed_on = date;
        }
    }

    pub fn set_retire_by(&mut self, date: Option<Date>) {
        if date.is_some() || !self.extras.is_unset() {
            self.extras.retire_by = date;
        }
    }

    pub fn set_retired_on(&mut self, date: Option<Date>) {
        if date.is_some() || !self.extras.is_unset() {
            self.extras.retired_on = date;
        }
    }

    pub fn set_bound_to(&mut self, accounts: Vec<Box<str>>) {
        if !accounts.is_empty() || !self.extras.is_unset() {
            self.extras.bound_to = accounts;
        }
    }

    pub fn set_notes(&mut self, notes: Option<Box<str>>) {
        if notes.is_some() || !self.extras.is_unset() {
            self.extras.notes = notes;
        }
    }

    pub fn set_own_recipients(&mut self, recipients: Vec<String>) {
        if !recipients.is_empty() || !self.extras.is_unset() {
            self.extras.email = recipients;
        }
    }

    pub fn set_own_remind_before(&mut self, periods: Option<Vec<Period>>) {
        if periods.is_some() || !self.extras.is_unset() {
            self.extras.remind_before = periods;
        }
    }

    /// The channels this number is limited to (`notify = [...]`), if it sets them.
    pub fn own_notify(&self) -> Option<&[String]> {
        self.extras.notify.as_deref()
    }

    pub fn set_own_notify(&mut self, channels: Option<Vec<String>>) {
        if channels.is_some() || !self.extras.is_unset() {
            self.extras.notify = channels;
        }
    }

    /// Lead times for this number: its own list, else the global one.
    pub fn remind_before<'a>(&'a self, settings: &'a Settings) -> &'a [Period] {
        self.own_remind_before().unwrap_or(&settings.remind_before)
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
