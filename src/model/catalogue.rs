//! The built-in carriers: rules compiled into the binary, each from a carrier's own
//! published terms (the High-confidence rows of `../shared/CARRIERS.md`), with the page it
//! comes from (`source`), the day it was checked (`checked`) and the source's own words.
//! A number names one with `carrier = "giffgaff"`; `[carriers.x] base = "giffgaff"` starts
//! from one and overrides keys.
//!
//! Carriers whose terms are not published get no rule at all (Kuwait's Zain, Ooredoo and
//! stc among them): for those the user records the validity date the carrier's balance
//! query shows (`valid_until`).

use std::sync::{Arc, OnceLock};

use jiff::civil::{Date, date};
use rust_decimal::Decimal;

use super::period::Period;
use super::rules::{AmountTier, Carrier, GracePhase, RuleSet, TopupValidity, UseEvery};

/// One built-in carrier and the words of its source the rule is read from.
#[derive(Debug)]
pub struct BuiltinCarrier {
    pub carrier: Arc<Carrier>,
    /// The source's own wording, quoted (or closely summarised) from `source`.
    pub wording: &'static str,
    /// The IANA zone of the carrier's calendar, for a country with one zone; `None` (the
    /// user's own zone) where the carrier spans several and its terms do not say which.
    /// The config reader loads it: the model reads no files.
    pub zone: Option<&'static str>,
}

/// The zone of a built-in carrier's calendar, by id.
fn zone_of(id: &str) -> Option<&'static str> {
    match id {
        "giffgaff" | "ee" | "superdrug" | "valuegb" => Some("Europe/London"),
        "csl" => Some("Asia/Hong_Kong"),
        "vodafone-nz" => Some("Pacific/Auckland"),
        "albtelecom" => Some("Europe/Tirane"),
        "metfone" => Some("Asia/Phnom_Penh"),
        _ => None,
    }
}

/// Carriers people keep numbers with whose terms state no validity rule: `numkeep carriers`
/// and the README tell their users to record the date the balance query shows.
pub const UNPUBLISHED: &[&str] = &["Zain Kuwait", "Ooredoo Kuwait", "stc Kuwait"];

/// The day the catalogue's rules were last checked against their sources.
const CHECKED: Date = date(2026, 11, 30);

/// Every built-in carrier, in the order `numkeep carriers` lists them.
pub fn builtin_carriers() -> &'static [BuiltinCarrier] {
    static CATALOGUE: OnceLock<Vec<BuiltinCarrier>> = OnceLock::new();
    CATALOGUE.get_or_init(catalogue)
}

/// The built-in carrier `id`, if there is one.
pub fn builtin_carrier(id: &str) -> Option<&'static BuiltinCarrier> {
    builtin_carriers()
        .iter()
        .find(|builtin| builtin.carrier.id == id)
}

fn grace(phases: &[(Period, &str)]) -> Option<Vec<GracePhase>> {
    Some(
        phases
            .iter()
            .map(|(length, state)| GracePhase {
                length: *length,
                state: Some((*state).to_owned()),
            })
            .collect(),
    )
}

fn entry(
    id: &str,
    name: &str,
    source: &str,
    wording: &'static str,
    rules: RuleSet,
) -> BuiltinCarrier {
    BuiltinCarrier {
        carrier: Arc::new(Carrier {
            id: id.to_owned(),
            name: Some(name.to_owned()),
            rules: RuleSet {
                source: Some(source.to_owned()),
                checked: Some(CHECKED),
                ..rules
            },
        }),
        wording,
        zone: zone_of(id),
    }
}

fn catalogue() -> Vec<BuiltinCarrier> {
    let days = Period::days;
    let months = Period::months;
    vec![
        entry(
            "giffgaff",
            "giffgaff (UK)",
            "https://www.giffgaff.com/boiler-plate/cancellation-rights",
            "disconnected unless at least once every six months the account makes a call, \
             SMS or MMS, makes an internet connection, or buys airtime credit or a Bundle",
            RuleSet {
                use_every: Some(UseEvery::Period(months(6))),
                topup_counts_as_use: Some(true),
                ..RuleSet::default()
            },
        ),
        entry(
            "ee",
            "EE pay as you go (UK)",
            "https://ee.co.uk/help/mobile/manage-use/pay-as-you-go/pay-as-you-go-credit-run-out-when-i-havent-made-calls",
            "after 179 days with no chargeable activity the account goes into hibernation \
             and credit is removed",
            RuleSet {
                use_every: Some(UseEvery::Period(days(179))),
                // Whether a top-up alone is chargeable activity is not stated: it does not
                // count here.
                topup_counts_as_use: Some(false),
                ..RuleSet::default()
            },
        ),
        entry(
            "superdrug",
            "Superdrug Mobile (UK)",
            "https://help.superdrugmobile.com/en/articles/2006697",
            "if the plan isn't active for 180 days, the account is closed",
            RuleSet {
                use_every: Some(UseEvery::Period(days(180))),
                topup_counts_as_use: Some(false),
                ..RuleSet::default()
            },
        ),
        entry(
            "us-mobile",
            "US Mobile",
            "usmobile.com/help/knowledge-base/inactive-for-45-days/",
            "plans are 30 days; an unpaid line is suspended and permanently disconnected \
             after 45 days",
            RuleSet {
                topup_valid_for: Some(TopupValidity::Fixed(days(30))),
                grace: grace(&[(days(45), "suspended")]),
                ..RuleSet::default()
            },
        ),
        entry(
            "ultra-mobile",
            "Ultra Mobile (US)",
            "https://www.ultramobile.com/ufaqs/what-happens-if-i-forget-to-make-a-payment/",
            "plans run on a 30-day cycle regardless of how many days are in each month; a \
             missed renewal is suspended, with 30 days to pay before the number is \
             hard-deleted",
            RuleSet {
                topup_valid_for: Some(TopupValidity::Fixed(days(30))),
                grace: grace(&[(days(30), "suspended: only 911 and 611 work")]),
                ..RuleSet::default()
            },
        ),
        entry(
            "red-pocket",
            "Red Pocket (US)",
            "help.redpocket.com",
            "30 days from the airtime expiry or end date to refill or renew, otherwise the \
             number is lost (record the end date as valid_until)",
            RuleSet {
                grace: grace(&[(days(30), "expired: refill to keep the number")]),
                ..RuleSet::default()
            },
        ),
        entry(
            "tello",
            "Tello pay as you go (US)",
            "tello.com/help_center (pay as you go)",
            "with no active plan, pay-as-you-go credit expires 3 months after purchase and \
             the number is then deleted permanently",
            RuleSet {
                topup_valid_for: Some(TopupValidity::Fixed(months(3))),
                ..RuleSet::default()
            },
        ),
        entry(
            "verizon-prepaid",
            "Verizon prepaid (US, plans started after 2018-11-06)",
            "https://www.verizon.com/support/prepaid-billing-payment-faqs",
            "renew within 60 days of the plan renewal date to stay active (record the \
             renewal date as valid_until)",
            RuleSet {
                grace: grace(&[(days(60), "plan expired: renew to stay active")]),
                ..RuleSet::default()
            },
        ),
        entry(
            "csl",
            "csl / PCCW-HKT Rechargeable SIM (Hong Kong)",
            "https://www.hkcsl.com/en/prepaid-pccw-hkt-rechargeable-sim-card/",
            "SIM Card Validity 180 days",
            RuleSet {
                topup_valid_for: Some(TopupValidity::Fixed(days(180))),
                ..RuleSet::default()
            },
        ),
        entry(
            "valuegb",
            "ValueGB (Hong Kong)",
            "https://www.valuegb.com/service-site/ValueGB/en/faq.jsp",
            "validity is reset to 365 days by a recharge of HK$50 or more; after expiry \
             the balance is forfeited, but service can resume within a 30-day grace period \
             by topping up",
            RuleSet {
                topup_valid_for: Some(TopupValidity::ByAmount(vec![AmountTier {
                    min: Decimal::from(50),
                    valid_for: days(365),
                }])),
                grace: grace(&[(days(30), "expired: top up to resume, balance forfeited")]),
                ..RuleSet::default()
            },
        ),
        entry(
            "vodafone-au",
            "Vodafone prepaid (Australia)",
            "https://www.vodafone.com.au/support/notify/reconnect-number",
            "disconnected if there is no recharge for 395 days since the last recharge",
            RuleSet {
                topup_valid_for: Some(TopupValidity::Fixed(days(395))),
                ..RuleSet::default()
            },
        ),
        entry(
            "vodafone-nz",
            "One NZ (Vodafone NZ) prepay",
            "vodafone.co.nz prepay terms and conditions",
            "credit lasts 360 days; no top-up for 360 days and the connection becomes \
             inactive and the number is lost",
            RuleSet {
                topup_valid_for: Some(TopupValidity::Fixed(days(360))),
                ..RuleSet::default()
            },
        ),
        entry(
            "albtelecom",
            "ALBtelecom prepaid (Albania)",
            "albtelecom.al (2021-11-05)",
            "active 6 months from the last recharge, then passive (incoming only) 3 months, \
             then blocked in and out 3 months, then closed",
            RuleSet {
                topup_valid_for: Some(TopupValidity::Fixed(months(6))),
                grace: grace(&[
                    (months(3), "passive: incoming only"),
                    (months(3), "blocked in and out"),
                ]),
                ..RuleSet::default()
            },
        ),
        entry(
            "metfone",
            "Metfone prepaid (Cambodia)",
            "metfone.com.kh",
            "after the main balance expires: outgoing blocked 60 days, then incoming and \
             outgoing blocked 30 days, then terminated (record the expiry as valid_until)",
            RuleSet {
                grace: grace(&[
                    (days(60), "outgoing blocked"),
                    (days(30), "incoming and outgoing blocked"),
                ]),
                ..RuleSet::default()
            },
        ),
    ]
}
