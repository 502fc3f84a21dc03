//! Fuzzing with proptest: no input may panic the config reader, the engine or the state store
//! (DESIGN.md §3 "Bad input"; ARCHITECTURE.md, invariants). These call the library directly,
//! not the binary, for speed.
//!
//! Targets: arbitrary bytes and strings; structure-aware mutations of valid configs; the
//! state file. Budgets, from the environment:
//!
//! - nothing set: a small number of cases per target, with a fixed seed (CI, a few seconds);
//! - `NUMKEEP_FUZZ_CASES=N`: N cases per target;
//! - `NUMKEEP_FUZZ_SECONDS=S`: keep generating batches with fresh seeds until S seconds have
//!   passed in total, shared among the targets by weight (so a session lasts S seconds of
//!   fuzzing in all, S wall-clock seconds with `--test-threads=1`);
//! - `NUMKEEP_FUZZ_SEED=N`: the base seed (otherwise fixed by count, from the clock by time).
//!
//! Each target prints its executions (every call of the property, shrinking included).
//! A long local session:
//!
//! ```text
//! NUMKEEP_FUZZ_SECONDS=600 nice -n 10 \
//!     cargo test --release --test integration fuzz -- --nocapture --test-threads=1
//! ```

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use numkeep::config::{self, Diagnostics, Loaded, ReadContext};
use numkeep::engine::{deadline, plan, status};
use numkeep::model::{Config, LineStatus, Zone};
use numkeep::render;
use numkeep::shell::store::Store;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{self, RngSeed, TestCaseError, TestError, TestRunner};

// ---------------------------------------------------------------------------------------
// Budget and driver

/// Cases per target in a default (CI) run, each target's share of a timed session, and the
/// least share of its executions each named outcome must have: a generator that stopped
/// producing configs that load (or that get past the syntax to validation) would otherwise
/// still pass, exercising only the parser's first error. The minimums are about a third of
/// what the default run measured (`cargo test --test integration fuzz -- --nocapture`
/// prints the outcomes), so that timed runs on other seeds pass too.
struct Target {
    name: &'static str,
    default_cases: u32,
    share: f64,
    least_shares: &'static [(&'static str, f64)],
}

const BYTES: Target = Target {
    name: "bytes",
    default_cases: 800,
    share: 0.10,
    // Random bytes are almost never TOML: nothing to ask of them.
    least_shares: &[],
};
const STRINGS: Target = Target {
    name: "strings",
    default_cases: 800,
    share: 0.10,
    // Measured: loaded 3.4%, refused by validation 13.6%.
    least_shares: &[("loaded", 0.01), ("refused", 0.04)],
};
const CONFIGS: Target = Target {
    name: "mutated configs",
    default_cases: 3000,
    share: 0.60,
    // Measured: loaded 13.2%, refused by validation 42.3%, syntax error 44.5%.
    least_shares: &[("loaded", 0.05), ("refused", 0.15), ("syntax error", 0.15)],
};
const STATE: Target = Target {
    name: "state file",
    default_cases: 800,
    share: 0.20,
    // Measured: read 3.5%, set aside 96.5%.
    least_shares: &[("read", 0.01), ("set aside", 0.30)],
};

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    match text.trim().parse() {
        Ok(value) => Some(value),
        Err(_) => panic!("{name} must be a whole number, not {text:?}"),
    }
}

/// Runs `test` on values of `strategy` within the target's budget; panics at the end with every
/// (shrunk) failing input if any case failed or panicked.
fn fuzz<S>(
    target: &Target,
    strategy: S,
    test: impl Fn(S::Value) -> Result<&'static str, TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let seconds = env_number("NUMKEEP_FUZZ_SECONDS");
    let seed = env_number("NUMKEEP_FUZZ_SEED").unwrap_or_else(|| match seconds {
        Some(_) => jiff::Timestamp::now().as_nanosecond().unsigned_abs() as u64,
        None => 0x006e_756d_6b65_6570,
    });
    let deadline =
        seconds.map(|total| Instant::now() + Duration::from_secs_f64(total as f64 * target.share));
    let total_cases = match deadline {
        Some(_) => u64::MAX,
        None => env_number("NUMKEEP_FUZZ_CASES").unwrap_or(u64::from(target.default_cases)),
    };
    let executions = Cell::new(0u64);
    let outcomes: RefCell<BTreeMap<&'static str, u64>> = RefCell::default();
    let counted = |value: S::Value| {
        executions.set(executions.get() + 1);
        let outcome = test(value)?;
        *outcomes.borrow_mut().entry(outcome).or_default() += 1;
        Ok(())
    };
    let started = Instant::now();
    let mut generated = 0u64;
    // Failing inputs, one per distinct first line of the failure, with how often it recurred.
    let mut failures: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut batch = 0u64;
    while generated < total_cases && deadline.is_none_or(|end| Instant::now() < end) {
        let cases = (total_cases - generated).min(if deadline.is_some() { 200 } else { 1000 });
        let batch_seed = seed.wrapping_add(batch.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut runner = TestRunner::new(test_runner::Config {
            cases: cases as u32,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(batch_seed),
            max_shrink_iters: 2048,
            ..test_runner::Config::default()
        });
        let failure = match runner.run(&strategy, counted) {
            Ok(()) => None,
            Err(TestError::Fail(reason, value)) => Some((
                reason.to_string(),
                format!("seed {batch_seed}: {reason}\nminimal input: {value:#?}"),
            )),
            Err(TestError::Abort(reason)) => Some((
                reason.to_string(),
                format!("seed {batch_seed}: aborted: {reason}"),
            )),
        };
        if let Some((reason, report)) = failure {
            let kind = reason.lines().next().unwrap_or_default().to_owned();
            failures.entry(kind).or_insert((report, 0)).1 += 1;
        }
        generated += cases;
        batch += 1;
        // A count-bounded run stops at the first failure; a timed one goes on looking for
        // other failures until its time is up.
        if deadline.is_none() && !failures.is_empty() {
            break;
        }
    }
    eprintln!(
        "fuzz {}: {} executions ({} generated cases, {} batches, base seed {seed}) in {:.1}s, \
         {} failing; outcomes {:?}",
        target.name,
        executions.get(),
        generated,
        batch,
        started.elapsed().as_secs_f64(),
        failures.len(),
        outcomes.borrow()
    );
    for (outcome, least) in target.least_shares {
        let count = outcomes.borrow().get(outcome).copied().unwrap_or(0);
        let share = count as f64 / executions.get().max(1) as f64;
        assert!(
            share >= *least,
            "fuzz {}: {outcome:?} in {:.1}% of the executions, below the least {:.1}%: {:?}",
            target.name,
            share * 100.0,
            least * 100.0,
            outcomes.borrow()
        );
    }
    let reports: Vec<String> = failures
        .values()
        .map(|(report, count)| format!("(failed {count} times) {report}"))
        .collect();
    assert!(
        failures.is_empty(),
        "fuzz {}: {} distinct failures:\n\n{}",
        target.name,
        failures.len(),
        reports.join("\n\n")
    );
}

/// Runs `check` on an input, turning a failure or a panic into a failure that quotes the
/// exact input (the shrunk mutation list alone would not say what text failed).
fn quoting_input(
    input: &dyn Debug,
    check: impl FnOnce() -> Result<&'static str, TestCaseError>,
) -> Result<&'static str, TestCaseError> {
    quiet_panics_in_this_thread(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
    quiet_panics_in_this_thread(false);
    let failure = match result {
        Ok(Ok(outcome)) => return Ok(outcome),
        Ok(Err(error)) => error.to_string(),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            format!("PANIC: {message}")
        }
    };
    Err(TestCaseError::fail(format!(
        "{failure}\n--- exact input:\n{input:?}"
    )))
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Panics caught by the fuzzer are reported with their input at the end; printing each one
/// (with a backtrace, shrinking included) would bury the report. Other threads' panics (other
/// tests) still print.
fn quiet_panics_in_this_thread(quiet: bool) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|flag| flag.set(quiet));
}

// ---------------------------------------------------------------------------------------
// The properties

fn context() -> ReadContext {
    ReadContext {
        system_zone: Zone {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        },
        today: date(2026, 11, 23),
    }
}

/// A path in a directory that does not exist, so that `include` globs find nothing on disk.
fn config_path() -> PathBuf {
    PathBuf::from("/nonexistent-numkeep-fuzz/config.toml")
}

fn load_text(text: &str) -> Result<Loaded, Diagnostics> {
    config::load_with(&config_path(), &context(), |_| Ok(text.to_owned()))
}

/// A directory holding `conf.d/extra.toml`, so that `include = ["conf.d/*.toml"]` finds one
/// file; its text comes from the fuzzer, not from the disk.
fn include_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("numkeep-fuzz");
    fs::create_dir_all(dir.join("conf.d")).expect("create the include directory");
    fs::write(dir.join("conf.d/extra.toml"), "").expect("create the included file");
    dir
}

/// Loads `main` as the main file and `included` as every file it includes.
fn load_with_include(dir: &Path, main: &str, included: &str) -> Result<Loaded, Diagnostics> {
    let main_path = dir.join("config.toml");
    config::load_with(&main_path, &context(), |path| {
        Ok(if path == main_path { main } else { included }.to_owned())
    })
}

/// Loads `text` and checks what DESIGN.md §3 promises: no panic; every problem has a position
/// and a message; a loaded config can be evaluated, rendered and planned on any day.
fn check_config_text(text: &str, days: &[Date]) -> Result<&'static str, TestCaseError> {
    check_load(load_text(text), days)
}

fn check_load(
    result: Result<Loaded, Diagnostics>,
    days: &[Date],
) -> Result<&'static str, TestCaseError> {
    match result {
        Err(diagnostics) => {
            prop_assert!(
                diagnostics.has_errors(),
                "a refused config must say why: {diagnostics:?}"
            );
            check_positions(&diagnostics.items)?;
            let syntax = diagnostics
                .items
                .iter()
                .any(|item| item.message.starts_with("invalid TOML"));
            Ok(if syntax { "syntax error" } else { "refused" })
        }
        Ok(loaded) => {
            check_positions(&loaded.warnings)?;
            check_loaded(&loaded.config, days)?;
            Ok("loaded")
        }
    }
}

fn check_positions(items: &[config::Diagnostic]) -> Result<(), TestCaseError> {
    for item in items {
        prop_assert!(item.line >= 1, "line 0: {item:?}");
        prop_assert!(item.column >= 1, "column 0: {item:?}");
        prop_assert!(!item.message.trim().is_empty(), "empty message: {item:?}");
    }
    Ok(())
}

fn check_loaded(config: &Config, days: &[Date]) -> Result<(), TestCaseError> {
    // Validation promises that every active number has a computable deadline: the status
    // and the planner silently drop a number whose obligations cannot be computed.
    for number in &config.numbers {
        if number.status == LineStatus::Active {
            let found = deadline::obligations(number);
            prop_assert!(
                found.as_ref().is_some_and(|found| !found.is_empty()),
                "active number {} loaded without a deadline: {found:?}",
                number.number
            );
        }
    }
    let settings = &config.settings;
    for &day in days {
        // The day in every calendar, and its start in the user's zone as an instant.
        let instant = day.to_zoned(settings.timezone.tz.clone()).ok();
        let moments =
            std::iter::once(status::Now::on_day(day)).chain(instant.as_ref().map(status::Now::at));
        for now in moments {
            let reports = status::evaluate(config, now);
            prop_assert_eq!(reports.len(), config.numbers.len());
            let _ = render::status::json(&reports, settings);
            let _ = render::table::table(&reports, settings, day, render::table::Layout::default());
            let narrow = render::table::Layout {
                width: Some(40),
                colour: true,
            };
            let _ = render::table::table(&reports, settings, day, narrow);
            let planned = plan::plan(config, &HashSet::<String>::new(), now);
            for delivery in &planned.deliveries {
                let _ = render::digest::message(settings, &delivery.alerts, day);
            }
        }
    }
    Ok(())
}

fn any_day() -> impl Strategy<Value = Date> {
    prop_oneof![
        3 => (1990i16..=2100, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| clamped_date(y, m, d)),
        1 => (1i16..=9999, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| clamped_date(y, m, d)),
        1 => prop::sample::select(vec![
            date(1, 1, 1),
            date(9999, 12, 31),
            date(2028, 2, 29),
            date(2026, 12, 31),
        ]),
    ]
}

fn clamped_date(year: i16, month: i8, day: i8) -> Date {
    let first = date(year, month, 1);
    date(year, month, day.min(first.days_in_month()))
}

/// The days a loaded config is evaluated on: the context's today, the ends of the range and
/// one random day.
fn days_with(random: Date) -> Vec<Date> {
    vec![context().today, date(1, 1, 1), date(9999, 12, 31), random]
}

#[test]
fn arbitrary_bytes_never_panic_the_reader() {
    let strategy = (prop::collection::vec(any::<u8>(), 0..2048), any_day());
    fuzz(&BYTES, strategy, |(bytes, day)| {
        let text = String::from_utf8_lossy(&bytes);
        quoting_input(&(&text, day), || check_config_text(&text, &days_with(day)))
    });
}

#[test]
fn arbitrary_strings_never_panic_the_reader() {
    let strategy = (
        prop_oneof![
            any::<String>(),
            // TOML's own alphabet, so that more inputs get past the syntax check.
            "[\\[\\]{}=\"'\n.,#a-z_0-9 :+T-]{0,400}",
            prop::collection::vec(line(), 0..30).prop_map(|lines| lines.join("\n")),
        ],
        any_day(),
    );
    fuzz(&STRINGS, strategy, |(text, day)| {
        quoting_input(&(&text, day), || check_config_text(&text, &days_with(day)))
    });
}

#[test]
fn mutated_configs_never_panic_and_report_positions() {
    let strategy = (
        any::<Index>(),
        prop_oneof![
            3 => prop::collection::vec(mutation(), 1..3),
            1 => prop::collection::vec(mutation(), 1..12),
        ],
        any_day(),
        // Sometimes an included file, itself mutated.
        prop::option::weighted(
            0.3,
            (any::<Index>(), prop::collection::vec(mutation(), 0..3)),
        ),
    );
    let dir = include_dir();
    fuzz(&CONFIGS, strategy, |(seed, mutations, day, include)| {
        let text = mutate(SEEDS[seed.index(SEEDS.len())], &mutations);
        let days = days_with(day);
        match include {
            None => quoting_input(&(&text, day), || check_config_text(&text, &days)),
            Some((included_seed, included_mutations)) => {
                let included = mutate(
                    INCLUDED_SEEDS[included_seed.index(INCLUDED_SEEDS.len())],
                    &included_mutations,
                );
                let main = format!("include = [\"conf.d/*.toml\"]\n{text}");
                quoting_input(&(&main, &included, day), || {
                    check_load(load_with_include(&dir, &main, &included), &days)
                })
            }
        }
    });
}

/// The seeds must be valid: mutations start from configs that load.
#[test]
fn fuzz_seeds_are_valid_configs() {
    for (index, seed) in SEEDS.iter().enumerate() {
        if let Err(diagnostics) = load_text(seed) {
            panic!("seed {index} does not load:\n{diagnostics}");
        }
    }
    let dir = include_dir();
    for (index, included) in INCLUDED_SEEDS.iter().enumerate() {
        let main = format!("include = [\"conf.d/*.toml\"]\n{}", SEEDS[0]);
        match load_with_include(&dir, &main, included) {
            Ok(loaded) => assert_eq!(loaded.files.len(), 2),
            Err(diagnostics) => panic!("included seed {index} does not load:\n{diagnostics}"),
        }
    }
    for seed in STATE_SEEDS {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.json"), seed).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(dir.path().join("state.json").exists(), "{seed}");
        drop(store);
    }
}

#[test]
fn corrupt_state_files_never_panic_the_store() {
    let strategy = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        3 => (any::<Index>(), prop::collection::vec(json_mutation(), 1..4)).prop_map(
            |(seed, mutations)| {
                mutate_json(STATE_SEEDS[seed.index(STATE_SEEDS.len())], &mutations)
            }
        ),
    ];
    let dir = tempfile::tempdir().expect("a temporary directory");
    fuzz(&STATE, strategy, |bytes| {
        quoting_input(&String::from_utf8_lossy(&bytes), || {
            check_state_bytes(dir.path(), &bytes)
        })
    });
}

/// Writes `bytes` as the state file and opens the store: Ok with the file either read or set
/// aside, or a refusal with a message that leaves the file untouched; never a panic.
fn check_state_bytes(dir: &Path, bytes: &[u8]) -> Result<&'static str, TestCaseError> {
    for entry in fs::read_dir(dir).expect("list the state directory") {
        let path = entry.expect("a directory entry").path();
        if path.file_name().is_some_and(|name| name != "numkeep.lock") {
            fs::remove_file(&path).expect("clean the state directory");
        }
    }
    let state_file = dir.join("state.json");
    fs::write(&state_file, bytes).expect("write the state file");
    let set_aside = || {
        fs::read_dir(dir)
            .expect("list the state directory")
            .filter(|entry| {
                entry
                    .as_ref()
                    .is_ok_and(|entry| entry.file_name().to_string_lossy().contains("corrupt"))
            })
            .count()
    };
    match Store::open(dir) {
        Ok(store) => {
            let kept = state_file.exists();
            let aside = set_aside();
            prop_assert!(
                (kept && aside == 0) || (!kept && aside == 1),
                "kept {kept}, set aside {aside}"
            );
            if !kept {
                prop_assert!(store.done.is_empty() && store.pending.is_empty());
                prop_assert!(store.last_check.is_none());
                return Ok("set aside");
            }
            Ok("read")
        }
        Err(error) => {
            let message = error.to_string();
            prop_assert!(!message.trim().is_empty());
            let now_on_disk = fs::read(&state_file).ok();
            prop_assert_eq!(
                now_on_disk.as_deref(),
                Some(bytes),
                "a refused state file must stay untouched ({})",
                message
            );
            Ok("refused")
        }
    }
}

// ---------------------------------------------------------------------------------------
// Seeds

const HANDWRITTEN: &str = r#"
include = ["conf.d/*.toml"]

[settings]
timezone = "Pacific/Kiritimati"
check_at = "30 8 * * MON-FRI"
remind_before = ["1mo", "2w", "3d", "0d"]
language = "zh-CN"
state_dir = "/var/lib/numkeep"

[email]
from = "numkeep <alerts@example.org>"
to = ["me@example.org", "you@example.org"]

[email.smtp]
host = "localhost"
port = 2525
tls = "none"
user = "alerts@example.org"
password_file = "/etc/numkeep/smtp-password"

[carriers.kw]
name = "Kuwait"
timezone = "Asia/Kuwait"
topup_valid_for = [
  { min = 1, for = "3d" }, { min = "3.000", for = "5d" }, { min = 10.5, for = "1w" },
]
grace = [{ for = "1mo", state = "incoming only" }, { for = "30d" }]
source = "https://example.com/terms"
checked = 2025-01-31

[carriers.gv]
timezone = "Pacific/Pago_Pago"
use_every = "calendar-month"
topup_counts_as_use = false
grace = "0d"

[carriers.fee]
timezone = "America/Los_Angeles"
fee = { amount = 2.98, every = "1 month" }
pause_max = "3 months"
grace = "45 days"

[[number]]
number = "+965 5123 4567"
label = "by amount"
carrier = "kw"
last_topup = 2028-02-29
last_topup_amount = "10.500"
remind_before = ["60d", "7d"]

[[number]]
number = "+1 (555) 010-0199"
carrier = "fee"
balance = { amount = "11.92", on = 2026-01-31 }
next_charge = 2026-01-31
email = ["alice@example.org"]

[[number]]
number = "+1 555 010 0200"
carrier = "fee"
balance = { amount = 0, on = 2026-12-31 }
paused_since = 2026-10-01

[[number]]
number = "+1 684 733 1234"
carrier = "gv"
last_used = 2026-01-31
timezone = "Europe/London"

[[number]]
number = "+44 7700 900123"
valid_until = 2027-01-31
use_every = "179d"
last_used = 2026-08-01
grace = [{ for = "1y", state = "barred" }]

[[number]]
number = "+852 9123 4567"
status = "retired"
"#;

const SEEDS: &[&str] = &[
    include_str!("../config.example.toml"),
    include_str!("fixtures/core/status.toml"),
    include_str!("fixtures/core/table.toml"),
    include_str!("fixtures/core/renew.toml"),
    HANDWRITTEN,
];

/// Files to include next to the first seed (config.example.toml).
const INCLUDED_SEEDS: &[&str] = &[
    r#"
[carriers.extra]
name = "an included carrier"
timezone = "Asia/Hong_Kong"
topup_valid_for = "180d"
grace = [{ for = "2w", state = "barred" }]

[[number]]
number = "+852 9123 0000"
carrier = "extra"
last_topup = 2026-06-01
"#,
    r#"
[[number]]
number = "+965 5123 0009"
carrier = "zain-kw"
last_topup = 2026-11-30
last_topup_amount = 3

[[number]]
number = "+44 7700 900999"
carrier = "giffgaff"
last_used = 2026-02-28
"#,
];

const STATE_SEEDS: &[&str] = &[
    r#"{"schema": 1, "last_check": null}"#,
    r#"{
  "schema": 1,
  "last_check": "2026-11-23T06:00:00Z",
  "done": [
    "log|+96551234567|fee|2026-11-30|lead:7d",
    "mailto:me@example.org|+96551234567|topup_valid_for|2026-11-30|grace:2026-12-01",
    "log|+447700900123|use_every|2027-04-14|lost"
  ],
  "pending": {
    "mailto:me@example.org": {
      "attempts": 3,
      "last_error": "connection refused",
      "next_attempt": "2026-11-23T06:05:00Z"
    },
    "log": {
      "attempts": 0,
      "last_error": "",
      "next_attempt": null
    }
  }
}"#,
];

// ---------------------------------------------------------------------------------------
// Config mutations

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(Index),
    DuplicateLine(Index, Index),
    SwapLines(Index, Index),
    /// Replaces what follows the first `=` of a line.
    ReplaceValue(Index, String),
    /// Replaces one token (a quoted string or a bare word) of a line.
    ReplaceToken(Index, Index, String),
    InsertLine(Index, String),
    InsertChar(Index, char),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::DuplicateLine(a, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        4 => (any::<Index>(), value()).prop_map(|(a, v)| Mutation::ReplaceValue(a, v)),
        4 => (any::<Index>(), any::<Index>(), value())
            .prop_map(|(a, b, v)| Mutation::ReplaceToken(a, b, v)),
        3 => (any::<Index>(), line()).prop_map(|(a, l)| Mutation::InsertLine(a, l)),
        1 => (any::<Index>(), any::<char>()).prop_map(|(a, c)| Mutation::InsertChar(a, c)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(seed: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = seed.lines().map(str::to_owned).collect();
    for mutation in mutations {
        let len = lines.len();
        match mutation {
            Mutation::DeleteLine(at) if len > 0 => {
                lines.remove(at.index(len));
            }
            Mutation::DuplicateLine(from, to) if len > 0 => {
                let line = lines[from.index(len)].clone();
                lines.insert(to.index(len + 1), line);
            }
            Mutation::SwapLines(a, b) if len > 0 => lines.swap(a.index(len), b.index(len)),
            Mutation::ReplaceValue(at, value) if len > 0 => {
                let line = &mut lines[at.index(len)];
                if let Some(equals) = line.find('=') {
                    line.truncate(equals + 1);
                    line.push(' ');
                    line.push_str(value);
                }
            }
            Mutation::ReplaceToken(at, which, value) if len > 0 => {
                let line = &mut lines[at.index(len)];
                // Values are more interesting than keys: keep to the right of `=` if any.
                let value_start = line.find('=').map_or(0, |equals| equals + 1);
                let spans: Vec<_> = tokens(line)
                    .into_iter()
                    .filter(|span| span.start >= value_start)
                    .collect();
                if !spans.is_empty() {
                    let span = spans[which.index(spans.len())].clone();
                    line.replace_range(span, value);
                }
            }
            Mutation::InsertLine(at, new_line) => lines.insert(at.index(len + 1), new_line.clone()),
            Mutation::InsertChar(at, character) => {
                let mut text = lines.join("\n");
                let boundaries: Vec<usize> = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .collect();
                text.insert(boundaries[at.index(boundaries.len())], *character);
                lines = text.split('\n').map(str::to_owned).collect();
            }
            Mutation::Truncate(at) => {
                let text = lines.join("\n");
                let boundaries: Vec<usize> = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .collect();
                let end = boundaries[at.index(boundaries.len())];
                lines = text[..end].split('\n').map(str::to_owned).collect();
            }
            _ => {}
        }
    }
    lines.join("\n")
}

/// Byte ranges of the tokens of a line: quoted strings, and runs of word characters.
fn tokens(line: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some((start, character)) = chars.next() {
        if character == '"' {
            let mut end = line.len();
            let mut escaped = false;
            for (index, inner) in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if inner == '\\' {
                    escaped = true;
                } else if inner == '"' {
                    end = index + 1;
                    break;
                }
            }
            spans.push(start..end);
        } else if is_word(character) {
            let mut end = start + character.len_utf8();
            while let Some(&(index, next)) = chars.peek() {
                if !is_word(next) {
                    break;
                }
                end = index + next.len_utf8();
                chars.next();
            }
            spans.push(start..end);
        }
    }
    spans
}

fn is_word(character: char) -> bool {
    character.is_alphanumeric() || "_.:+-".contains(character)
}

/// A line to insert: a header, or `key = value` with a known or random key.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => prop::sample::select(vec![
            "[settings]",
            "[email]",
            "[email.smtp]",
            "[carriers]",
            "[carriers.x]",
            "[carriers.zain-kw]",
            "[carriers.\"\"]",
            "[carriers.zain-kw.fee]",
            "[[carriers]]",
            "[[number]]",
            "[number]",
            "[[settings]]",
            "[[number.balance]]",
            "[number.fee]",
            "[]",
            "",
            "#",
        ])
        .prop_map(str::to_owned),
        4 => (key(), value()).prop_map(|(key, value)| format!("{key} = {value}")),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "timezone", "check_at", "remind_before", "language", "state_dir", "from", "to",
            "smtp", "sendmail", "host", "port", "tls", "user", "password_file", "name",
            "topup_valid_for", "use_every", "topup_counts_as_use", "fee", "pause_max", "grace",
            "source", "checked", "number", "label", "carrier", "last_topup",
            "last_topup_amount", "last_used", "balance", "next_charge", "valid_until",
            "paused_since", "status", "email", "include", "fee.amount", "fee.every",
            "balance.on", "balance.amount", "settings.timezone", "carriers.x.fee",
            "number", "\"number\"", "'last_used'", "min", "for", "state", "amount", "every", "on",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z_]{1,20}",
    ]
}

/// A TOML value as text: durations, dates, money, zones, cron lines, numbers, addresses,
/// booleans, arbitrary strings, and arrays and inline tables of those.
fn value() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        3 => duration(),
        3 => date_value(),
        3 => money(),
        2 => zone(),
        2 => cron(),
        1 => phone(),
        1 => prop::sample::select(vec![
            "true", "false", "\"active\"", "\"retired\"", "\"en\"", "\"zh-CN\"", "\"tls\"",
            "\"none\"", "\"starttls\"", "\"me@example.org\"", "\"numkeep <a@b.c>\"",
            "\"not an address\"", "\"zain-kw\"", "\"giffgaff\"", "\"conf.d/*.toml\"",
            "\"[\"", "\"/usr/sbin/sendmail\"", "\"a\\nb\"", "'''multi\nline'''",
            "\"\"\"\"\"\"", "{}", "[]", "[[]]", "{ a = 1 }",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>().prop_map(|text| toml_quote(&text)),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec((key(), inner), 0..4).prop_map(|pairs| {
                let body: Vec<String> = pairs
                    .into_iter()
                    .map(|(key, value)| format!("{key} = {value}"))
                    .collect();
                format!("{{ {} }}", body.join(", "))
            }),
            Just("[{ min = 1, for = \"3d\" }, { min = 1, for = \"5d\" }]".to_owned()),
            Just("[{ min = \"1e9\", for = \"99999y\" }]".to_owned()),
            Just("[{ for = \"30d\", state = \"x\" }, { for = \"0d\" }]".to_owned()),
            Just("{ amount = \"0.0000001\", every = \"1d\" }".to_owned()),
            Just("{ amount = \"79228162514264337593543950335\", on = 2026-11-01 }".to_owned()),
            Just("{ amount = 1e9, on = 9999-12-31 }".to_owned()),
        ]
    })
    .boxed()
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "3m", "0d", "99999y", "36600y", "36600d", "36601d", "19999y", "240000mo", "-3d",
            "", "calendar-month", " 6 mo ", "1 month", "2 years", "3 fortnights", "d", "1.5d",
            "1e3d", "0mo", "0w", "0y", "1d", "90d", "6mo", "1y", "2w", "１d", "٣d",
            "18446744073709551616d", "4294967296d",
        ])
        .prop_map(|text| format!("\"{text}\"")),
        3 => (
            prop_oneof![0u64..=400, 0u64..=100_000, any::<u64>()],
            prop::sample::select(vec![
                "d", "w", "mo", "y", "m", "days", " day", " months", "month", "years", "", "h",
            ]),
        )
            .prop_map(|(count, unit)| format!("\"{count}{unit}\"")),
        1 => prop_oneof![0i64..=400, any::<i64>()].prop_map(|count| count.to_string()),
    ]
}

fn date_value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "9999-12-31", "0001-01-01", "0000-01-01", "2028-02-29", "2027-02-29", "2026-02-30",
            "2026-13-01", "2026-11-01T09:00:00", "2026-11-01T09:00:00Z",
            "2026-11-01 09:00:00+03:00", "09:00:00", "\"2026-11-01\"", "\" 2026-11-01 \"",
            "\"9999-12-31\"", "\"0001-01-01\"", "\"2026-11-31\"", "\"yesterday\"",
            "\"-002026-11-01\"", "\"+2026-11-01\"", "9999-12-31T23:59:59.999999999-23:59",
        ])
        .prop_map(str::to_owned),
        3 => (0u16..=9999, 1u8..=12, 1u8..=31, any::<bool>()).prop_map(|(y, m, d, quoted)| {
            let text = format!("{y:04}-{m:02}-{d:02}");
            if quoted { format!("\"{text}\"") } else { text }
        }),
    ]
}

fn money() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "\"1e9\"", "\"-0\"", "\"0.0000001\"", "\"-1\"", "\"0\"", "\"0.000\"",
            "\"79228162514264337593543950335\"", "\"79228162514264337593543950336\"",
            "\"0.0000000000000000000000000001\"", "\"0.00000000000000000000000000001\"",
            "\"NaN\"", "\"inf\"", "\"1,5\"", "\" 2.98 \"", "\"2.98\"", "\"12.500\"", "\"\"",
            "1e9", "-0", "-0.0", "0.0000001", "nan", "-nan", "inf", "-inf", "1e308", "1e-308",
            "5e-324", "9223372036854775807", "-9223372036854775808", "0x10", "0o7", "0b1",
            "2.98", "0.1", "3", "0", "1_000", "1e28", "7.9228162514264337593543950335e28",
        ])
        .prop_map(str::to_owned),
        1 => any::<f64>().prop_map(toml_float),
        1 => any::<i64>().prop_map(|value| value.to_string()),
        1 => (any::<u64>(), 0u32..=30).prop_map(|(digits, scale)| {
            format!("\"{}\"", rust_decimal_text(digits, scale))
        }),
    ]
}

fn rust_decimal_text(digits: u64, scale: u32) -> String {
    let text = digits.to_string();
    let scale = scale as usize;
    if scale == 0 {
        text
    } else if text.len() > scale {
        format!(
            "{}.{}",
            &text[..text.len() - scale],
            &text[text.len() - scale..]
        )
    } else {
        format!("0.{}{text}", "0".repeat(scale - text.len()))
    }
}

fn toml_float(value: f64) -> String {
    if value.is_nan() {
        "nan".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format!("{value:?}")
    }
}

fn zone() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Auckland", "Pacific/Apia",
            "America/Los_Angeles", "America/New_York", "Asia/Kuwait", "Europe/London",
            "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns", "UTC", "Etc/GMT-14",
            "Etc/GMT+12", "EST5EDT", "", " Asia/Kuwait ", "asia/kuwait", "Mars/Olympus",
            "/etc/localtime", "../../../../etc/passwd", "localtime", "posixrules", "Factory",
            "EST+5EDT,M3.2.0/2,M11.1.0/2", "Asia/Kuwait\u{0}", "right/UTC", "zone.tab",
        ])
        .prop_map(toml_quote),
        1 => "[A-Za-z_/+.-]{0,30}".prop_map(|text| toml_quote(&text)),
    ]
}

fn cron() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "*",
        "*/0",
        "*/15",
        "0",
        "59",
        "60",
        "1-5",
        "5-1",
        "MON",
        "SUN-SAT",
        "L",
        "W",
        "?",
        "#",
        "5#3",
        "1,2,3",
        "31",
        "2",
        "-1",
        "99999999999999999999",
        "JAN",
        "13",
        "0/0",
    ]);
    prop_oneof![
        2 => prop::sample::select(vec![
            "0 9 * * *", "@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@annually",
            "@reboot", "61 9 * * *", "* * * * * *", "0 0 31 2 *", "0 0 30 2 *", "", " ",
            "0 9 * * MON-FRI", "*/0 * * * *", "0 9 L * *", "0 9 * * 5L", "0 9 ? * *",
            "0 9 * * 7", "0 0 29 2 1",
        ])
        .prop_map(toml_quote),
        3 => prop::collection::vec(field, 0..7).prop_map(|fields| toml_quote(&fields.join(" "))),
    ]
}

fn phone() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "+965 5123 4567",
            "+0 123 4567",
            "+",
            "",
            "5123 4567",
            "+١٢٣٤٥٦٧٨",
            "+12345678901234567",
            "+1 (555) 010-0199",
            "++1 555 010 0199",
            "+1\u{0}5550100199",
        ])
        .prop_map(toml_quote),
        "\\+[0-9 ()-.]{0,24}".prop_map(|text| toml_quote(&text)),
    ]
}

/// A TOML basic string holding `text` exactly.
fn toml_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------
// State file mutations

#[derive(Clone, Debug)]
enum JsonMutation {
    /// Replaces the value after the n-th `:` (up to the next `,` or closing bracket).
    ReplaceValue(Index, String),
    /// Replaces the n-th string literal.
    ReplaceString(Index, String),
    DeleteByte(Index),
    InsertByte(Index, u8),
    FlipBit(Index, u8),
    Truncate(Index),
    /// Inserts `"key": value,` after the first `{`.
    InsertField(String, String),
}

fn json_mutation() -> impl Strategy<Value = JsonMutation> {
    prop_oneof![
        4 => (any::<Index>(), json_value()).prop_map(|(a, v)| JsonMutation::ReplaceValue(a, v)),
        3 => (any::<Index>(), json_string()).prop_map(|(a, v)| JsonMutation::ReplaceString(a, v)),
        1 => any::<Index>().prop_map(JsonMutation::DeleteByte),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(a, b)| JsonMutation::InsertByte(a, b)),
        1 => (any::<Index>(), 0u8..8).prop_map(|(a, b)| JsonMutation::FlipBit(a, b)),
        1 => any::<Index>().prop_map(JsonMutation::Truncate),
        2 => (
            prop::sample::select(vec![
                "schema", "last_check", "done", "pending", "extra", "attempts", "",
            ]),
            json_value(),
        )
            .prop_map(|(k, v)| JsonMutation::InsertField(k.to_owned(), v)),
    ]
}

fn json_value() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        3 => prop::sample::select(vec![
            "0", "1", "2", "99", "-1", "4294967295", "4294967296", "1.5", "1e400", "-0",
            "null", "true", "false", "\"\"", "[]", "{}", "\"2026-11-23T06:00:00Z\"",
            "\"9999-12-31T23:59:59Z\"", "\"-009999-01-01T00:00:00Z\"",
            "\"2026-11-23T06:00:00+25:00\"", "\"2026-02-30T00:00:00Z\"", "\"2026-11-23\"",
            "\"log|+1|fee|9999-12-31|lead:7d\"", "\"log|+1|fee|0000-01-01|lost\"",
            "\"|||||\"", "18446744073709551616", "\"\\ud800\"", "\"\\u0000\"",
        ])
        .prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|value| value.to_string()),
        1 => json_string(),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(("[a-z_]{0,12}", inner), 0..3).prop_map(|pairs| {
                let body: Vec<String> = pairs
                    .into_iter()
                    .map(|(key, value)| format!("\"{key}\":{value}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
    .boxed()
}

fn json_string() -> BoxedStrategy<String> {
    any::<String>()
        .prop_map(|text| serde_json::to_string(&text).expect("a string serialises"))
        .boxed()
}

fn mutate_json(seed: &str, mutations: &[JsonMutation]) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    for mutation in mutations {
        match mutation {
            JsonMutation::ReplaceValue(which, value) => {
                let colons: Vec<usize> = positions(&bytes, |byte| byte == b':');
                if colons.is_empty() {
                    continue;
                }
                let start = colons[which.index(colons.len())] + 1;
                let end = bytes[start..]
                    .iter()
                    .position(|byte| matches!(byte, b',' | b'}' | b']' | b'\n'))
                    .map_or(bytes.len(), |offset| start + offset);
                bytes.splice(start..end, value.bytes());
            }
            JsonMutation::ReplaceString(which, value) => {
                let quotes = positions(&bytes, |byte| byte == b'"');
                let pairs: Vec<(usize, usize)> = quotes
                    .chunks_exact(2)
                    .map(|pair| (pair[0], pair[1]))
                    .collect();
                if pairs.is_empty() {
                    continue;
                }
                let (start, end) = pairs[which.index(pairs.len())];
                bytes.splice(start..=end, value.bytes());
            }
            JsonMutation::DeleteByte(at) if !bytes.is_empty() => {
                bytes.remove(at.index(bytes.len()));
            }
            JsonMutation::InsertByte(at, byte) => bytes.insert(at.index(bytes.len() + 1), *byte),
            JsonMutation::FlipBit(at, bit) if !bytes.is_empty() => {
                let index = at.index(bytes.len());
                bytes[index] ^= 1 << bit;
            }
            JsonMutation::Truncate(at) => bytes.truncate(at.index(bytes.len() + 1)),
            JsonMutation::InsertField(key, value) => {
                if let Some(brace) = bytes.iter().position(|byte| *byte == b'{') {
                    let field = format!("\"{key}\": {value},");
                    bytes.splice(brace + 1..brace + 1, field.bytes());
                }
            }
            _ => {}
        }
    }
    bytes
}

fn positions(bytes: &[u8], wanted: impl Fn(u8) -> bool) -> Vec<usize> {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, byte)| wanted(**byte))
        .map(|(index, _)| index)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Regressions: inputs the fuzzer found. Each fails while its bug is there.

/// Found by the mutated-config fuzzer: a balance over about 7.9 × 10²⁸ fee charges overflowed
/// the decimal division in `engine::deadline::charges_covered` (`balance / fee`), which
/// panicked ("Division overflowed") inside `config::load` — so `numkeep check`, `status`,
/// `run` and `renew` crashed instead of reporting the line (DESIGN.md §3: never a panic).
/// Fixed by a checked division in commit d3891be.
#[test]
fn regression_huge_balance_over_a_tiny_fee_is_a_diagnostic_not_a_panic() {
    let text = r#"
[[number]]
number = "+1 555 010 0199"
fee = { amount = "0.0000001", every = "1mo" }
balance = { amount = "10000000000000000000000", on = 2026-11-01 }
"#;
    // The input as the fuzzer found it: the handwritten seed with two values replaced.
    let found = HANDWRITTEN
        .replace(
            "balance = { amount = 0, on = 2026-12-31 }",
            r#"balance = { amount = "79228162514264337593543950335", on = 2026-11-01 }"#,
        )
        .replace(
            r#"fee = { amount = 2.98, every = "1 month" }"#,
            r#"fee = { amount = "0.0000001", every = "1d" }"#,
        );
    assert_eq!(found.matches("0.0000001").count(), 1);
    assert_eq!(found.matches("79228162514264337593543950335").count(), 1);
    for input in [text, found.as_str()] {
        let result = std::panic::catch_unwind(|| load_text(input).map(|_| ()));
        match result {
            Ok(Err(diagnostics)) => check_positions(&diagnostics.items).unwrap(),
            Ok(Ok(())) => panic!("a balance for 10²⁹ charges cannot give a deadline in range"),
            Err(_) => panic!("config::load panicked on a huge balance over a tiny fee:\n{input}"),
        }
    }
}
