//! Integration tests: the built-in carriers. Each rule is checked against the words of its
//! source (`../shared/CARRIERS.md` quotes them), with dates worked out by hand; a config
//! naming every one reads cleanly; `base` overrides keys; a stale built-in rule warns.

use serde_json::Value;

use crate::support::cli::Scratch;

/// One built-in carrier: its id, the words of its source the rule comes from, the keys a
/// number records, and by hand the act-by and lost-on dates they give.
struct Case {
    id: &'static str,
    wording: &'static str,
    keys: &'static str,
    act_by: &'static str,
    lost_on: &'static str,
}

const CASES: &[Case] = &[
    // Use on 1 Jun; six months of windows end 30 Nov; no grace.
    Case {
        id: "giffgaff",
        wording: "at least once every six months",
        keys: "last_used = 2026-06-01",
        act_by: "2026-11-30",
        lost_on: "2026-12-01",
    },
    // 1 Jun + 178 days = 26 Nov (29 to 30 Jun, 31 Jul, 31 Aug, 30 Sep, 31 Oct, 26 Nov); a
    // later top-up alone does not count as chargeable activity.
    Case {
        id: "ee",
        wording: "179 days with no chargeable activity",
        keys: "last_used = 2026-06-01\nlast_topup = 2026-08-01",
        act_by: "2026-11-26",
        lost_on: "2026-11-27",
    },
    // 1 Jun + 179 days = 27 Nov.
    Case {
        id: "superdrug",
        wording: "isn't active for 180 days",
        keys: "last_used = 2026-06-01",
        act_by: "2026-11-27",
        lost_on: "2026-11-28",
    },
    // A 30-day plan bought 1 Nov runs to 30 Nov; 45 days suspended from 1 Dec: lost 15 Jan.
    Case {
        id: "us-mobile",
        wording: "permanently disconnected after 45 days",
        keys: "last_topup = 2026-11-01",
        act_by: "2026-11-30",
        lost_on: "2027-01-15",
    },
    // 30-day cycle from 1 Nov: 30 Nov; 30 days to pay from 1 Dec: lost 31 Dec.
    Case {
        id: "ultra-mobile",
        wording: "30-day cycle regardless of how many days are in each month",
        keys: "last_topup = 2026-11-01",
        act_by: "2026-11-30",
        lost_on: "2026-12-31",
    },
    // Airtime ends 10 Dec; 30 days to refill from 11 Dec: lost 10 Jan.
    Case {
        id: "red-pocket",
        wording: "30 days from the airtime expiry",
        keys: "valid_until = 2026-12-10",
        act_by: "2026-12-10",
        lost_on: "2027-01-10",
    },
    // Bought 31 Aug: three months is 30 Nov (clamped), so the last day is 29 Nov.
    Case {
        id: "tello",
        wording: "credit expires 3 months after purchase",
        keys: "last_topup = 2026-08-31",
        act_by: "2026-11-29",
        lost_on: "2026-11-30",
    },
    // Renewal date 10 Dec; 60 days from 11 Dec: 11 Jan is 31 days, 9 Feb is 60.
    Case {
        id: "verizon-prepaid",
        wording: "renew within 60 days of the plan renewal date",
        keys: "valid_until = 2026-12-10",
        act_by: "2026-12-10",
        lost_on: "2027-02-09",
    },
    // 1 Jun + 179 days = 27 Nov.
    Case {
        id: "csl",
        wording: "SIM Card Validity 180 days",
        keys: "last_topup = 2026-06-01",
        act_by: "2026-11-27",
        lost_on: "2026-11-28",
    },
    // HK$50 on 10 Jan 2026: 365 days end 9 Jan 2027; 30 days of grace from 10 Jan: 9 Feb.
    Case {
        id: "valuegb",
        wording: "reset to 365 days by a recharge of HK$50 or more",
        keys: "last_topup = 2026-01-10\nlast_topup_amount = 50",
        act_by: "2027-01-09",
        lost_on: "2027-02-09",
    },
    // 1 Nov 2025 + 394 days: 1 Nov 2026 is +365, 30 Nov is +394.
    Case {
        id: "vodafone-au",
        wording: "no recharge for 395 days since the last recharge",
        keys: "last_topup = 2025-11-01",
        act_by: "2026-11-30",
        lost_on: "2026-12-01",
    },
    // 1 Dec 2025 + 359 days: 1 Dec 2026 is +365, so 25 Nov.
    Case {
        id: "vodafone-nz",
        wording: "no top-up for 360 days",
        keys: "last_topup = 2025-12-01",
        act_by: "2026-11-25",
        lost_on: "2026-11-26",
    },
    // 6 months from 1 Jun: 30 Nov; then 3 months passive and 3 blocked: 1 Mar, 1 Jun 2027.
    Case {
        id: "albtelecom",
        wording: "active 6 months from the last recharge",
        keys: "last_topup = 2026-06-01",
        act_by: "2026-11-30",
        lost_on: "2027-06-01",
    },
    // Expiry 10 Dec; 60 days outgoing blocked from 11 Dec (to 9 Feb), 30 days fully blocked
    // (19 days of February 2027 and 11 of March): 11 Mar.
    Case {
        id: "metfone",
        wording: "outgoing blocked 60 days",
        keys: "valid_until = 2026-12-10",
        act_by: "2026-12-10",
        lost_on: "2027-03-11",
    },
];

/// A config with one number per case, `+1 555 010 01NN`, naming the carrier alone.
fn every_builtin() -> String {
    let mut text = String::from("[settings]\ntimezone = \"UTC\"\n");
    for (index, case) in CASES.iter().enumerate() {
        text.push_str(&format!(
            "\n[[number]]\nnumber = \"+1 555 010 01{index:02}\"\ncarrier = \"{}\"\n{}\n",
            case.id, case.keys
        ));
    }
    text
}

fn catalogue() -> Vec<Value> {
    let outcome = Scratch::new()
        .numkeep(&["carriers", "--json"])
        .output()
        .success();
    serde_json::from_str::<Value>(&outcome.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_builtin_carrier_gives_the_dates_its_source_states() {
    let catalogue = catalogue();
    let ids: Vec<&str> = catalogue
        .iter()
        .map(|carrier| carrier["id"].as_str().unwrap())
        .collect();
    let tested: Vec<&str> = CASES.iter().map(|case| case.id).collect();
    assert_eq!(ids, tested, "every built-in carrier has a case here");
    assert!(ids.len() >= 10);

    let scratch = Scratch::with_config(&every_builtin());
    let outcome = scratch
        .numkeep(&["status", "--json", "--at", "2026-11-01"])
        .output()
        .success();
    // Clean: no warning, no error.
    assert_eq!(outcome.stderr, "", "{}", outcome.stderr);
    scratch.numkeep(&["check"]).output().success();
    let numbers: Vec<Value> = serde_json::from_str(&outcome.stdout).unwrap();
    for (index, case) in CASES.iter().enumerate() {
        let listed = &catalogue[index];
        assert!(
            listed["wording"].as_str().unwrap().contains(case.wording),
            "{}: {}",
            case.id,
            listed["wording"]
        );
        assert!(
            listed["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{}",
            case.id
        );
        assert!(listed["checked"].as_str().is_some(), "{}", case.id);
        let number = format!("+155501001{index:02}");
        let entry = numbers
            .iter()
            .find(|entry| entry["number"] == number.as_str())
            .unwrap();
        assert_eq!(entry["carrier"], case.id);
        assert_eq!(
            (entry["act_by"].as_str(), entry["lost_on"].as_str()),
            (Some(case.act_by), Some(case.lost_on)),
            "{} ({})",
            case.id,
            case.wording
        );
    }
}

#[test]
fn base_starts_from_a_builtin_and_overrides_keys() {
    let scratch = Scratch::with_config(
        r#"
[settings]
timezone = "UTC"

[carriers.gg-strict]
base = "giffgaff"
use_every = "3mo"

[carriers.gg-grace]
base = "giffgaff"
grace = "30d"

[[number]]
number = "+44 7700 900123"
carrier = "gg-strict"
last_used = 2026-06-01

[[number]]
number = "+44 7700 900124"
carrier = "gg-grace"
last_used = 2026-06-01
"#,
    );
    let outcome = scratch
        .numkeep(&["status", "--json", "--at", "2026-07-01"])
        .output()
        .success();
    assert_eq!(outcome.stderr, "");
    let numbers: Vec<Value> = serde_json::from_str(&outcome.stdout).unwrap();
    // 3 months from 1 Jun: 31 Aug. The name comes from the base.
    assert_eq!(numbers[0]["act_by"], "2026-08-31");
    assert_eq!(numbers[0]["carrier_name"], "giffgaff (UK)");
    // giffgaff's six months (30 Nov), with 30 days of grace: lost 31 Dec.
    assert_eq!(numbers[1]["act_by"], "2026-11-30");
    assert_eq!(numbers[1]["lost_on"], "2026-12-31");

    let typo =
        Scratch::with_config("[settings]\ntimezone = \"UTC\"\n[carriers.x]\nbase = \"giffgaf\"\n");
    let outcome = typo.numkeep(&["check"]).output().expect_code(2);
    assert!(
        outcome
            .stderr
            .contains("unknown built-in carrier `giffgaf`; did you mean `giffgaff`?"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn a_stale_builtin_rule_in_use_warns_once_saying_how_to_pin_it() {
    let config = "[settings]\ntimezone = \"UTC\"\n\
         [[number]]\nnumber = \"+44 7700 900123\"\ncarrier = \"giffgaff\"\nlast_used = 2027-11-01\n\
         [[number]]\nnumber = \"+44 7700 900124\"\ncarrier = \"giffgaff\"\nlast_used = 2027-11-01\n";
    let scratch = Scratch::with_config(config);
    // Checked 2026-11-30: stale from 2027-11-30 on.
    let fresh = scratch
        .numkeep(&["status", "--at", "2027-11-29"])
        .output()
        .success();
    assert_eq!(fresh.stderr, "");
    let stale = scratch
        .numkeep(&["status", "--at", "2027-11-30"])
        .output()
        .success();
    assert_eq!(
        stale.stderr.matches("warning:").count(),
        1,
        "{}",
        stale.stderr
    );
    assert!(
        stale.stderr.contains(
            "the built-in rule of `giffgaff` was last checked on 2026-11-30, over a year ago"
        ) && stale
            .stderr
            .contains("[carriers.giffgaff] base = \"giffgaff\" and checked ="),
        "{}",
        stale.stderr
    );
    // Pinned after verifying it: no warning.
    let pinned = Scratch::new();
    let pinned_config = config.replacen(
        "[[number]]",
        "[carriers.giffgaff]\nbase = \"giffgaff\"\nchecked = 2027-11-20\n\n[[number]]",
        1,
    );
    pinned.write("config.toml", &pinned_config);
    let outcome = pinned
        .numkeep(&["status", "--at", "2027-11-30"])
        .output()
        .success();
    assert_eq!(outcome.stderr, "");
}

#[test]
fn carriers_without_published_terms_are_told_to_record_the_validity_date() {
    let outcome = Scratch::new().numkeep(&["carriers"]).output().success();
    assert!(
        outcome
            .stdout
            .contains("Zain Kuwait, Ooredoo Kuwait, stc Kuwait")
    );
    assert!(
        outcome.stdout.contains(
            "record the validity date the carrier's balance query shows as `valid_until`"
        )
    );
    for case in CASES {
        assert!(
            outcome.stdout.contains(&format!("\n{}  ", case.id)),
            "{}",
            case.id
        );
    }
    for id in ["zain", "ooredoo", "stc"] {
        assert!(
            !catalogue()
                .iter()
                .any(|carrier| carrier["id"].as_str().unwrap().contains(id))
        );
    }
}
