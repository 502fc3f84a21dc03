//! Command-line entry: parses arguments, loads the config and runs one command.
//! Exit codes: 0 ok, 1 runtime failure, 2 bad config or usage.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::engine::status::evaluate;
use crate::render;

use super::app::{Failure, core_now, load_config, warn_about_permissions};
use super::record::{AddArgs, RenewArgs, add, renew};

const DEFAULT_CONFIG_PATH: &str = "/etc/numkeep/config.toml";

#[derive(Parser, Debug)]
#[command(
    name = "numkeep",
    version,
    about = "Keeps phone numbers from being lost"
)]
struct Cli {
    /// The config file [default: $NUMKEEP_CONFIG, else /etc/numkeep/config.toml]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the daemon: check at every `check_at` tick and send due reminders
    Run {
        /// One check now, then exit (exit 1 if some reminder could not be delivered)
        #[arg(long)]
        once: bool,
        /// Evaluate as if now were DATE or DATETIME (with --once)
        #[arg(long, value_name = "WHEN", requires = "once")]
        at: Option<String>,
    },
    /// Validate the config; exit 0 when valid, 2 when not
    Check,
    /// Show every number: act-by date, days left, state, next action, why
    Status {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
        /// Evaluate as if today were DATE (or DATETIME)
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Record a top-up, a use, a new balance, a pause or its end, rewriting the config in place
    Renew {
        /// The number, in international form (+965 5123 4567)
        number: String,
        /// Record a top-up (with its amount when validity depends on it)
        #[arg(long, value_name = "AMOUNT", num_args = 0..=1)]
        topup: Option<Option<String>>,
        /// Record a use (call, SMS, data)
        #[arg(long)]
        used: bool,
        /// Record the balance read today (or --on)
        #[arg(long, value_name = "AMOUNT")]
        balance: Option<String>,
        /// Record the start of a pause (paused_since)
        #[arg(long, conflicts_with = "resume")]
        pause: bool,
        /// Record the end of the pause: removes paused_since, writes resumed_on
        #[arg(long)]
        resume: bool,
        /// Record the expiry date the carrier states (valid_until)
        #[arg(long, value_name = "DATE")]
        valid_until: Option<String>,
        /// The day it happened [default: today in the carrier's time zone]
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        /// Print the change as a unified diff and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Add a number to the config (a new [[number]] table)
    Add {
        /// The number, in international form (+965 5123 4567)
        number: String,
        /// Its carrier's id (a [carriers.ID] table)
        #[arg(long, value_name = "ID")]
        carrier: String,
        /// A label to recognise it by
        #[arg(long, value_name = "TEXT")]
        label: Option<String>,
        /// Record a top-up (with its amount when validity depends on it)
        #[arg(long, value_name = "AMOUNT", num_args = 0..=1)]
        topup: Option<Option<String>>,
        /// Record a use (call, SMS, data)
        #[arg(long)]
        used: bool,
        /// The day of the top-up or use [default: today in the carrier's time zone]
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        /// An account that sends codes to this number (repeat for each)
        #[arg(long = "bound-to", value_name = "NAME")]
        bound_to: Vec<String>,
        /// Free text: PUK, account id…
        #[arg(long, value_name = "TEXT")]
        notes: Option<String>,
        /// The file to add it to: the main config or one it includes [default: the main config]
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Print the change as a unified diff and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Start cancelling a number (a `cancel` reminder with its checklist), or record it
    /// cancelled with --done
    Retire {
        /// The number, in international form (+965 5123 4567)
        number: String,
        /// Cancel by this day [default: the day before the next fee charge, else the
        /// number's earliest deadline]
        #[arg(long, value_name = "DATE", conflicts_with = "done")]
        by: Option<String>,
        /// Record the number as cancelled: no more reminders, kept as a record
        #[arg(long)]
        done: bool,
        /// The day it was cancelled (with --done) [default: today]
        #[arg(long, value_name = "DATE", requires = "done")]
        on: Option<String>,
        /// Count the default dates as if now were DATE or DATETIME
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// List the built-in carrier rules: id, name, rules, source, date checked
    Carriers {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// Send a test message through every configured channel and report what happened
    TestAlert {
        /// Evaluate as if now were DATE or DATETIME
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Every delivered reminder, newest first
    History {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// Print every obligation as an RFC 5545 calendar (all-day events on act-by dates)
    Calendar {
        /// Write the calendar to FILE (atomically) instead of printing it
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print Prometheus metrics (text format 0.0.4): deadlines, states, sends
    Metrics {
        /// Write the metrics to FILE (atomically), e.g. for node-exporter's textfile collector
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the completion script for SHELL, as in `numkeep completions bash > FILE`
    Completions {
        /// The shell to complete in
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the numkeep(1) manual page (roff): for packaging
    #[command(hide = true)]
    Manpage {
        /// The date in the page's title line
        #[arg(long, value_name = "DATE", default_value = "")]
        date: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    super::logging::init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let text = failure.to_string();
            if !text.is_empty() {
                eprintln!("{text}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let config_path = config_path(cli.config);
    match cli.command {
        Command::Check => check(&config_path),
        Command::Status { json, at } => status(&config_path, json, at.as_deref()),
        Command::Renew {
            number,
            topup,
            used,
            balance,
            pause,
            resume,
            valid_until,
            on,
            dry_run,
        } => renew(
            &config_path,
            &number,
            RenewArgs {
                topup,
                used,
                balance,
                pause,
                resume,
                valid_until,
                on,
                dry_run,
            },
        ),
        Command::Add {
            number,
            carrier,
            label,
            topup,
            used,
            on,
            bound_to,
            notes,
            file,
            dry_run,
        } => add(
            &config_path,
            &number,
            AddArgs {
                carrier,
                label,
                topup,
                used,
                on,
                bound_to,
                notes,
                file,
                dry_run,
            },
        ),
        Command::Retire {
            number,
            by,
            done,
            on,
            at,
        } => super::retire::retire(
            &config_path,
            &super::retire::RetireRequest {
                number: &number,
                by: by.as_deref(),
                done,
                on: on.as_deref(),
                at: at.as_deref(),
            },
        ),
        Command::Carriers { json } => {
            let carriers = crate::model::catalogue::builtin_carriers();
            let text = if json {
                render::carriers::json(carriers)
            } else {
                render::carriers::text(carriers)
            };
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|error| Failure::Runtime(format!("cannot write output: {error}")))
        }
        Command::Run { once: true, at } => super::once::run_once(&config_path, at.as_deref()),
        Command::Run { once: false, .. } => super::daemon::run_daemon(&config_path),
        Command::TestAlert { at } => super::once::test_alert(&config_path, at.as_deref()),
        Command::History { json } => super::outputs::history(&config_path, json),
        Command::Calendar { output } => super::outputs::calendar(&config_path, output.as_deref()),
        Command::Metrics { output } => super::outputs::metrics(&config_path, output.as_deref()),
        Command::Completions { shell } => {
            super::manual::write_completions(shell, Cli::command(), &mut std::io::stdout());
            Ok(())
        }
        Command::Manpage { date } => {
            super::manual::write_manpage(Cli::command(), &date, &mut std::io::stdout())
                .map_err(|error| Failure::Runtime(format!("cannot write output: {error}")))
        }
    }
}

fn config_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("NUMKEEP_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH))
}

fn check(path: &Path) -> Result<(), Failure> {
    let loaded = load_config(path, None)?;
    warn_about_permissions(&loaded);
    let config = &loaded.config;
    let count = render::words::count;
    println!(
        "{}: ok ({}, {}, {})",
        path.display(),
        count(config.numbers.len(), "number", "numbers"),
        count(config.carriers.len(), "carrier", "carriers"),
        count(loaded.files.len(), "file", "files"),
    );
    // As in `status`: the process ends now; no need to free the config entry by entry.
    std::mem::forget(loaded);
    Ok(())
}

fn status(path: &Path, json: bool, at: Option<&str>) -> Result<(), Failure> {
    let loaded = load_config(path, at)?;
    let config = &loaded.config;
    let now = core_now(config, at)?;
    let reports = evaluate(config, now);
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let result = if json {
        render::status::write_json(&mut stdout, &reports, &config.settings)
    } else {
        let layout = terminal_layout(&std::io::stdout());
        let table = render::table::table(&reports, &config.settings, now.user_today(), layout);
        stdout.write_all(table.as_bytes())
    };
    let result = match result.and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`numkeep status | head`) is not an error worth reporting.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(Failure::Runtime(format!("cannot write output: {error}"))),
    };
    // The process ends right after: freeing 100,000 reports and entries one by one would
    // cost about 5% of the run for nothing (the operating system reclaims it all at once).
    std::mem::forget(reports);
    std::mem::forget(loaded);
    result
}

/// The table fits the terminal and colours its states there; in a pipe or a file it is
/// neither cut nor coloured. `COLUMNS` sets the width anywhere, `NO_COLOR` (or a dumb
/// terminal) turns colour off.
fn terminal_layout(stdout: &std::io::Stdout) -> render::table::Layout {
    use std::io::IsTerminal;
    let terminal = stdout.is_terminal();
    let size = terminal
        .then(|| rustix::termios::tcgetwinsize(stdout).ok())
        .flatten()
        .map(|size| usize::from(size.ws_col));
    layout_for(terminal, size, |name| std::env::var(name).ok())
}

fn layout_for(
    terminal: bool,
    terminal_width: Option<usize>,
    env: impl Fn(&str) -> Option<String>,
) -> render::table::Layout {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    let width = set("COLUMNS")
        .and_then(|text| text.trim().parse::<usize>().ok())
        .or(terminal_width)
        .filter(|width| *width > 0);
    let dumb = set("TERM").is_some_and(|term| term == "dumb");
    render::table::Layout {
        width,
        colour: terminal && set("NO_COLOR").is_none() && !dumb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use render::table::Layout;

    #[test]
    fn the_table_is_cut_and_coloured_only_where_it_should_be() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        let cases = [
            // (terminal, its width, environment, layout)
            (
                true,
                Some(120),
                env(&[]),
                Layout {
                    width: Some(120),
                    colour: true,
                },
            ),
            (
                true,
                Some(120),
                env(&[("NO_COLOR", "1")]),
                Layout {
                    width: Some(120),
                    colour: false,
                },
            ),
            (
                true,
                Some(120),
                env(&[("NO_COLOR", "")]),
                Layout {
                    width: Some(120),
                    colour: true,
                },
            ),
            (
                true,
                Some(120),
                env(&[("TERM", "dumb")]),
                Layout {
                    width: Some(120),
                    colour: false,
                },
            ),
            (
                true,
                Some(120),
                env(&[("COLUMNS", "80")]),
                Layout {
                    width: Some(80),
                    colour: true,
                },
            ),
            (
                false,
                None,
                env(&[]),
                Layout {
                    width: None,
                    colour: false,
                },
            ),
            (
                false,
                None,
                env(&[("COLUMNS", "80")]),
                Layout {
                    width: Some(80),
                    colour: false,
                },
            ),
            (
                false,
                None,
                env(&[("COLUMNS", "wide")]),
                Layout {
                    width: None,
                    colour: false,
                },
            ),
        ];
        for (terminal, width, env, expected) in cases {
            assert_eq!(layout_for(terminal, width, env), expected);
        }
    }
}
