//! The core's own costs, in process, without start-up, file I/O or a terminal: loading a
//! config (parse and validation), evaluating every number, writing `status --json`, and
//! planning a check. The configs are generated in memory and mix the rule kinds (top-up
//! validity fixed and by amount, activity, fees from a balance, fixed expiry), several
//! carriers and zones, unlike `benches/run.sh`, which uses one rule to match Remind.
//!
//!   cargo bench --bench engine                 1k, 10k and 100k numbers
//!   cargo bench --bench engine -- 1000000      other sizes
//!
//! Each figure is the best of several rounds, in nanoseconds per number; `plan` is a check
//! with nothing sent yet.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use jiff::civil::{Date, date};
use numkeep::config::{self, ReadContext};
use numkeep::engine::{plan, status};
use numkeep::model::Zone;
use numkeep::render;

const TODAY: Date = date(2026, 11, 23);

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000, 100_000]
    } else {
        sizes
    };
    println!(
        "| numbers | load ns/number | evaluate ns/number | evaluate + JSON ns/number | plan ns/number |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for size in sizes {
        bench(size);
    }
}

fn bench(size: usize) {
    let text = config_text(size);
    let context = ReadContext {
        system_zone: Zone {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        },
        today: TODAY,
    };
    let load = || {
        config::load_with(Path::new("bench.toml"), &context, |_| Ok(text.clone()))
            .unwrap_or_else(|diagnostics| panic!("the generated config is invalid:\n{diagnostics}"))
    };
    let rounds = (2_000_000 / size).clamp(3, 20);
    let loaded = load();
    let config = &loaded.config;
    assert_eq!(config.numbers.len(), size);
    let now = status::Now::at(
        &TODAY
            .at(9, 0, 0, 0)
            .to_zoned(config.settings.timezone.tz.clone())
            .expect("a valid instant"),
    );
    let sent = HashSet::new();

    let load_time = best_of(rounds, || drop(load()));
    let evaluate_time = best_of(rounds, || drop(status::evaluate(config, now)));
    let json_time = best_of(rounds, || {
        let reports = status::evaluate(config, now);
        render::status::write_json(&mut std::io::sink(), &reports, &config.settings)
            .expect("a sink takes everything");
    });
    let plan_time = best_of(rounds, || drop(plan::plan(config, &sent, now)));
    let per_number = |time: Duration| time.as_nanos() / size as u128;
    println!(
        "| {size} | {} | {} | {} | {} |",
        per_number(load_time),
        per_number(evaluate_time),
        per_number(json_time),
        per_number(plan_time)
    );
}

fn best_of(rounds: usize, mut run: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// `size` numbers over four carriers, each number with the dates its rules need.
fn config_text(size: usize) -> String {
    let mut text = String::from(
        r#"[settings]
timezone = "Asia/Kuwait"

[carriers.zain]
name = "Zain Kuwait"
timezone = "Asia/Kuwait"
topup_valid_for = "90d"
grace = [{ for = "30d", state = "incoming calls only" }, { for = "30d" }]

[carriers.giffgaff]
name = "giffgaff"
timezone = "Europe/London"
use_every = "6mo"

[carriers.tiered]
name = "Tiered prepaid"
topup_valid_for = [{ min = "5", for = "30d" }, { min = "20", for = "180d" }]
grace = "15d"

[carriers.monthly]
name = "Monthly plan"
fee = { amount = "2.98", every = "1mo" }
grace = "60d"
"#,
    );
    for index in 0..size {
        let day = |offset: usize| {
            TODAY
                .checked_sub(jiff::Span::new().days(((index * 37 + offset) % 150) as i64))
                .expect("in range")
        };
        let _ = write!(
            text,
            "\n[[number]]\nnumber = \"+9655{index:07}\"\nlabel = \"line {index}\"\n"
        );
        let _ = match index % 5 {
            0 => write!(text, "carrier = \"zain\"\nlast_topup = {}\n", day(0)),
            1 => write!(text, "carrier = \"giffgaff\"\nlast_used = {}\n", day(3)),
            2 => write!(
                text,
                "carrier = \"tiered\"\nlast_topup = {}\nlast_topup_amount = \"{}\"\n",
                day(5),
                5 + index % 40
            ),
            3 => write!(
                text,
                "carrier = \"monthly\"\nbalance = {{ amount = \"{}.50\", on = {} }}\n",
                index % 30,
                day(7)
            ),
            _ => writeln!(
                text,
                "valid_until = {}",
                day(0)
                    .checked_add(jiff::Span::new().days(200))
                    .expect("in range")
            ),
        };
    }
    text
}
