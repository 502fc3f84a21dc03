//! The one-shot commands that send: `run --once` (one check, then exit) and `test-alert`
//! (a test message through every channel, with the outcome of each).

use std::path::Path;

use futures_util::StreamExt;
use jiff::Zoned;

use crate::engine::plan::{Channel, ChannelKind, all_recipients};
use crate::engine::status::{Now, most_urgent};
use crate::model::Config;
use crate::render;

use super::app::{Failure, load_config, open_store, runtime, save};
use super::channels::{Message, NotifySender, Sender, Senders, Sent};
use super::clock;
use super::deliver::{Pass, SENDS_AT_ONCE, deliver};

pub fn run_once(path: &Path, at: Option<&str>) -> Result<(), Failure> {
    let loaded = load_config(path, at)?;
    let config = &loaded.config;
    let zone = &config.settings.timezone.tz;
    let (_, core_now) = clock::now_for_core(zone, at)?;
    // `--at` moves only the evaluation (DESIGN.md §4): retry times, the state's pruning and
    // the record of the last check follow the real clock.
    let wall = clock::now().to_zoned(zone.clone());
    let mut store = open_store(config)?;
    let senders = Senders::for_config(config);
    let outcome = runtime()?.block_on(deliver(
        config,
        &mut store,
        &senders,
        (&wall, core_now),
        Pass::Check,
    ));
    // A what-if check at another moment is not today's scheduled check: the daemon must
    // still run that one.
    if at.is_none() {
        store.last_check = Some(wall.timestamp());
    }
    // The sends were attempted whatever the disk said; now the state must reach it.
    save(&mut store, &wall)?;
    super::outputs::refresh_calendar(config, core_now);
    tracing::info!(
        logged = outcome.logged,
        emailed = outcome.emailed,
        pushed = outcome.pushed,
        pending = outcome.failed.len(),
        "check done"
    );
    if outcome.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Runtime(format!(
            "{} message(s) could not be delivered and stay pending; they are retried at the next check",
            outcome.failed.len()
        )))
    }
}

/// `numkeep test-alert`: one test message through every channel, with the outcome of each.
pub fn test_alert(path: &Path, at: Option<&str>) -> Result<(), Failure> {
    let loaded = load_config(path, at)?;
    let config = &loaded.config;
    let zone = &config.settings.timezone.tz;
    let (_, core_now) = clock::now_for_core(zone, at)?;
    // The message says when it was really sent; `--at` moves only the evaluation.
    let now = clock::now().to_zoned(zone.clone());
    tracing::warn!(test = true, "numkeep test alert: the log channel works");
    println!("log: ok (a warning was written to the log)");
    let senders = Senders::for_config(config);
    let body = test_message_body(config, &now, core_now);
    let message = Message::text(
        &config.settings,
        now.date(),
        "numkeep test message".into(),
        body,
    );
    let runtime = runtime()?;
    let mut failures = test_email(config, &senders, &message, &runtime);
    failures += test_notify(&senders, &message, &runtime);
    if failures == 0 {
        Ok(())
    } else {
        Err(Failure::Reported(1))
    }
}

/// The email part of `test-alert`: every recipient, with the outcome of each; the failures.
fn test_email(
    config: &Config,
    senders: &Senders,
    message: &Message<'_>,
    runtime: &tokio::runtime::Runtime,
) -> usize {
    let Some(email) = senders.email() else {
        println!("email: not configured (no [email] section)");
        return 0;
    };
    let mailer = match email.mailer() {
        Ok(mailer) => mailer,
        Err(reason) => {
            println!("email: failed: {reason}");
            return 1;
        }
    };
    let recipients: Vec<Channel> = all_recipients(config)
        .into_iter()
        .filter(|channel| channel.kind() == ChannelKind::Email)
        .collect();
    // Concurrently, as the checks send: one silent server must not hold up the rest.
    let results: Vec<(&Channel, Sent)> = runtime.block_on(
        futures_util::stream::iter(&recipients)
            .map(|channel| async move { (channel, email.send(channel, message).await) })
            .buffered(SENDS_AT_ONCE)
            .collect(),
    );
    let mut failures = 0;
    for (channel, sent) in results {
        let Channel::Email(address) = channel else {
            continue;
        };
        match sent.error() {
            None => println!(
                "email to {address} via {}: ok (accepted by the server)",
                mailer.description
            ),
            Some(error) => {
                failures += 1;
                // The message names the server or sendmail already.
                println!("email to {address}: failed: {}", error.message);
                if let Some(hint) = error.hint {
                    println!("  hint: {hint}");
                }
            }
        }
    }
    failures
}

/// The `[[notify]]` part of `test-alert`: every channel at once, each named with its type
/// and what happened; the failures.
fn test_notify(
    senders: &Senders,
    message: &Message<'_>,
    runtime: &tokio::runtime::Runtime,
) -> usize {
    let results: Vec<(&NotifySender, Sent)> = runtime.block_on(
        futures_util::stream::iter(senders.notify())
            .map(|sender| async move {
                let channel = Channel::Notify(sender.name().to_owned());
                (sender, sender.send(&channel, message).await)
            })
            .buffered(SENDS_AT_ONCE)
            .collect(),
    );
    let mut failures = 0;
    for (sender, sent) in results {
        let kind = sender.channel().kind.type_name();
        let name = sender.name();
        match sent.error() {
            None => {
                let what = if kind == "command" {
                    "the command exited 0"
                } else {
                    "accepted by the service"
                };
                println!("notify:{name} ({kind}): ok ({what})");
            }
            Some(error) => {
                failures += 1;
                println!("notify:{name} ({kind}): failed: {}", error.message);
                if let Some(hint) = error.hint {
                    println!("  hint: {hint}");
                }
            }
        }
    }
    failures
}

fn test_message_body(config: &Config, now: &Zoned, core_now: Now) -> String {
    let urgent = most_urgent(config, core_now);
    render::notice::test_message(&config.settings, now, config.numbers.len(), urgent.as_ref())
}
