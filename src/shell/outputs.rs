//! The commands that write a view of the numbers for other programs — `calendar` (RFC 5545)
//! and `metrics` (Prometheus text) — and `history`; and the daemon's refresh of the
//! `[calendar]` file after a check. The text is the core's (`render::calendar`,
//! `render::metrics`, `render::history`); this module reads the clock and the state and
//! writes files atomically.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use crate::engine::status::Now;
use crate::model::Config;
use crate::render;
use crate::render::metrics::ChannelCounts;

use super::app::{Failure, core_now, load_config};
use super::clock;
use super::files::write_atomically;
use super::store::{Snapshot, state_directory};

/// `numkeep calendar [--output FILE]`.
pub fn calendar(path: &Path, output: Option<&Path>) -> Result<(), Failure> {
    let loaded = load_config(path, None)?;
    let config = &loaded.config;
    let text = render::calendar::calendar(config, core_now(config, None)?, clock::now());
    emit(output, &text)
}

/// `numkeep metrics [--output FILE]`.
pub fn metrics(path: &Path, output: Option<&Path>) -> Result<(), Failure> {
    let loaded = load_config(path, None)?;
    let config = &loaded.config;
    let snapshot = snapshot(config)?;
    let text = render::metrics::metrics(
        config,
        core_now(config, None)?,
        snapshot.last_check,
        &channel_counts(config, &snapshot),
    );
    emit(output, &text)
}

/// `numkeep history [--json]`.
pub fn history(path: &Path, json: bool) -> Result<(), Failure> {
    let loaded = load_config(path, None)?;
    let config = &loaded.config;
    let snapshot = snapshot(config)?;
    let entries = render::history::entries(
        snapshot
            .delivered
            .iter()
            .map(|(key, at)| (key.as_str(), *at)),
    );
    let zone = &config.settings.timezone.tz;
    let text = if json {
        render::history::json(&entries, zone)
    } else {
        render::history::table(&entries, zone)
    };
    emit(None, &text)
}

/// After a check: rewrites `[calendar] path` when what it says changed (the `DTSTAMP`
/// alone does not count), atomically. A failure is logged, never fatal.
pub fn refresh_calendar(config: &Config, now: Now) {
    let Some(path) = &config.calendar else {
        return;
    };
    let text = render::calendar::calendar(config, now, clock::now());
    let unchanged = std::fs::read_to_string(path).is_ok_and(|old| {
        render::calendar::without_stamps(&old) == render::calendar::without_stamps(&text)
    });
    if unchanged {
        return;
    }
    match write_atomically(path, text.as_bytes()) {
        Ok(()) => tracing::info!(calendar = %path.display(), "calendar written"),
        Err(error) => {
            tracing::error!(calendar = %path.display(), %error, "cannot write the calendar");
        }
    }
}

fn snapshot(config: &Config) -> Result<Snapshot, Failure> {
    let dir = state_directory(config.settings.state_dir.as_deref()).ok_or_else(|| {
        Failure::Runtime(
            "no state directory: set settings.state_dir, STATE_DIRECTORY, XDG_STATE_HOME or HOME"
                .into(),
        )
    })?;
    Ok(Snapshot::read(&dir)?)
}

/// Every channel the config uses (at zero until it sends), and any the state counted.
fn channel_counts(config: &Config, snapshot: &Snapshot) -> BTreeMap<String, ChannelCounts> {
    let mut channels: BTreeMap<String, ChannelCounts> = BTreeMap::new();
    channels.insert("log".into(), ChannelCounts::default());
    if config.email.is_some() {
        channels.insert("email".into(), ChannelCounts::default());
    }
    for channel in &config.notify {
        channels.insert(format!("notify:{}", channel.name), ChannelCounts::default());
    }
    for (channel, counter) in &snapshot.counters {
        channels.insert(
            channel.clone(),
            ChannelCounts {
                sent: counter.sent,
                failures: counter.failures,
            },
        );
    }
    channels
}

/// Prints `text`, or writes it to `output` atomically (a reader such as node-exporter's
/// textfile collector never sees half a file).
fn emit(output: Option<&Path>, text: &str) -> Result<(), Failure> {
    match output {
        Some(path) => write_atomically(path, text.as_bytes())
            .map_err(|error| Failure::Runtime(format!("cannot write {}: {error}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|error| Failure::Runtime(format!("cannot write output: {error}")))
        }
    }
}
