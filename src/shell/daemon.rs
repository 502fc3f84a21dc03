//! `numkeep run`: the daemon's loop. It only runs checks (through `deliver`), timers,
//! retries and reloads; what is due comes from the core, the sending from `channels`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::{Timestamp, Zoned};
use tokio::signal::unix::{SignalKind, signal};

use crate::config::Loaded;
use crate::engine::schedule::{Wake, check_due_at, on_wake, sleep_for};
use crate::engine::status::{Now, State, most_urgent};
use crate::model::{Config, Language};
use crate::render;
use crate::render::words::{Edge, Zones};

use super::app::{Failure, load_config_with, open_store, runtime, save, warn_about_permissions};
use super::channels::Senders;
use super::clock;
use super::deliver::{Pass, deliver, delivery_budget, retry_policy};
use super::store::{Pending, Store};
use super::systemd;
use super::watch::{ConfigWatcher, ReadLog, Snapshot};
use super::watchdog::{self, Liveness};

/// The longest single sleep: the monotonic clock does not see wall-clock steps or suspend,
/// so the daemon wakes this often to look at the wall clock again.
const MAX_SLEEP: Duration = Duration::from_secs(5 * 60);
/// How long the editor gets to finish a save (several events arrive for one) before the
/// config is read; later events in the window join the same reload.
const SETTLE: Duration = Duration::from_millis(200);

/// The one-line STATUS systemd shows: the next check and the most urgent number.
fn status_line(config: &Config, now: &Zoned, next_tick: Option<&Zoned>) -> String {
    let next = next_tick.map_or_else(
        || "never".to_owned(),
        |tick| tick.strftime("%Y-%m-%d %H:%M %Z").to_string(),
    );
    // Retired numbers come last: if the most urgent is retired, all are.
    let urgent = most_urgent(config, Now::at(now))
        .filter(|report| report.state != State::Retired)
        .and_then(|report| {
            report.most_urgent().map(|deadline| {
                let zones = Zones::of(report.entry, &config.settings);
                format!(
                    "; most urgent {} act by {} ({} days, {})",
                    report.entry.number,
                    render::words::deadline(Language::English, deadline, Edge::ActBy, zones),
                    deadline.days_left,
                    report.state.key()
                )
            })
        });
    format!("next check {next}{}", urgent.unwrap_or_default())
}

/// A state save that failed, waiting for its retry.
struct Unsaved {
    attempts: u32,
    error: String,
    next_attempt: Timestamp,
}

/// The daemon's mutable world.
struct Daemon {
    path: PathBuf,
    loaded: Loaded,
    /// What the running config was read from, to see a change that no event reported.
    snapshot: Snapshot,
    senders: Senders,
    store: Store,
    /// The last check whose results reached the disk: the schedule counts from it, so a
    /// check that could not be saved is not done.
    saved_last_check: Option<Timestamp>,
    unsaved: Option<Unsaved>,
}

impl Daemon {
    fn config(&self) -> &Config {
        &self.loaded.config
    }

    fn now(&self) -> Zoned {
        clock::daemon_now().to_zoned(self.config().settings.timezone.tz.clone())
    }

    /// When the next check is due, from the wall clock and the last saved check: computed
    /// afresh on every wake-up and reload, never kept from an earlier reading.
    fn check_due_at(&self, now: &Zoned) -> Option<Zoned> {
        let zone = &self.config().settings.timezone.tz;
        let last = self
            .saved_last_check
            .map(|instant| instant.to_zoned(zone.clone()));
        let not_before = self
            .unsaved
            .as_ref()
            .map(|unsaved| unsaved.next_attempt.to_zoned(zone.clone()));
        check_due_at(self.config(), last.as_ref(), not_before.as_ref(), now)
    }

    /// The one-line STATUS: a state that cannot be saved comes first.
    fn status(&self, now: &Zoned) -> String {
        let line = status_line(self.config(), now, self.check_due_at(now).as_ref());
        match &self.unsaved {
            Some(unsaved) => format!(
                "error: cannot save the state ({}), retrying at {}; {line}",
                unsaved.error,
                unsaved
                    .next_attempt
                    .to_zoned(self.config().settings.timezone.tz.clone())
                    .strftime("%H:%M:%S")
            ),
            None => line,
        }
    }

    async fn check(&mut self, pass: Pass) {
        let now = self.now();
        let config = &self.loaded.config;
        let outcome = deliver(
            config,
            &mut self.store,
            &self.senders,
            (&now, Now::at(&now)),
            pass,
        )
        .await;
        if pass == Pass::Check {
            self.store.last_check = Some(now.timestamp());
        }
        let saved = self.save(&now);
        if pass == Pass::Check {
            super::outputs::refresh_calendar(self.config(), Now::at(&now));
            if saved {
                tracing::info!(
                    logged = outcome.logged,
                    emailed = outcome.emailed,
                    pushed = outcome.pushed,
                    pending = outcome.failed.len(),
                    "check done"
                );
            } else {
                tracing::error!(
                    logged = outcome.logged,
                    emailed = outcome.emailed,
                    pushed = outcome.pushed,
                    pending = outcome.failed.len(),
                    "check not saved: it does not count as done and runs again when the state can be written"
                );
            }
        }
        systemd::status(&self.status(&now));
    }

    /// Saves the state; on failure, schedules another try with backoff.
    fn save(&mut self, now: &Zoned) -> bool {
        match save(&mut self.store, now) {
            Ok(()) => {
                if self.unsaved.take().is_some() {
                    tracing::info!("the state is saved again");
                }
                self.saved_last_check = self.store.last_check;
                true
            }
            Err(failure) => {
                let attempts = self
                    .unsaved
                    .as_ref()
                    .map_or(1, |unsaved| unsaved.attempts.saturating_add(1));
                let next_attempt = retry_policy()
                    .next_attempt(now.timestamp(), attempts)
                    .unwrap_or_else(|| now.timestamp());
                tracing::error!(attempts, error = %failure, "cannot save the state; retrying with backoff");
                self.unsaved = Some(Unsaved {
                    attempts,
                    error: failure.to_string(),
                    next_attempt,
                });
                false
            }
        }
    }

    /// The earliest retry of a failed send or a failed save, if any.
    fn next_retry(&self) -> Option<Timestamp> {
        self.store
            .pending
            .values()
            .filter_map(|pending: &Pending| pending.next_attempt)
            .chain(self.unsaved.as_ref().map(|unsaved| unsaved.next_attempt))
            .min()
    }

    fn reload(&mut self, why: &str) {
        systemd::reloading();
        let mut reads = ReadLog::default();
        match load_config_with(&self.path, None, |file| reads.read(file)) {
            Ok(loaded) => {
                let old_zone = self.config().settings.timezone.name.clone();
                self.senders = Senders::for_config(&loaded.config);
                self.snapshot = Snapshot::new(reads, &loaded.include_patterns);
                self.loaded = loaded;
                if self.config().settings.timezone.name != old_zone {
                    tracing::info!("the time zone changed; the schedule follows the new zone");
                }
                tracing::info!(
                    reason = why,
                    numbers = self.config().numbers.len(),
                    "config reloaded"
                );
            }
            Err(failure) => {
                // What the failed load read: a fix to it is a change.
                self.snapshot = Snapshot::new(reads, &[]);
                // One event a problem, by its first line: the journal shows no carets.
                match &failure {
                    Failure::Config(diagnostics) => {
                        for diagnostic in &diagnostics.items {
                            tracing::error!("{}", diagnostic.headline());
                        }
                    }
                    other => {
                        for line in other.to_string().lines() {
                            tracing::error!("{line}");
                        }
                    }
                }
                tracing::error!("the new config is invalid; still running on the last good one");
            }
        }
        let now = self.now();
        systemd::ready(&self.status(&now));
    }
}

pub fn run_daemon(path: &Path) -> Result<(), Failure> {
    let mut reads = ReadLog::default();
    let loaded = load_config_with(path, None, |file| reads.read(file))?;
    warn_about_permissions(&loaded);
    let store = open_store(&loaded.config)?;
    let senders = Senders::for_config(&loaded.config);
    let mut daemon = Daemon {
        path: path.to_path_buf(),
        snapshot: Snapshot::new(reads, &loaded.include_patterns),
        loaded,
        senders,
        saved_last_check: store.last_check,
        store,
        unsaved: None,
    };
    runtime()?.block_on(daemon_loop(&mut daemon))
}

/// What woke the loop.
enum Event {
    Stop,
    Hangup,
    ConfigChanged,
    Timer,
}

async fn daemon_loop(daemon: &mut Daemon) -> Result<(), Failure> {
    let signal_error =
        |error: std::io::Error| Failure::Runtime(format!("cannot listen for signals: {error}"));
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let mut hangup = signal(SignalKind::hangup()).map_err(signal_error)?;
    let mut watcher = ConfigWatcher::start();
    // A config change waiting for the editor to finish; later changes join it. One may
    // already have happened between the first load and the watches.
    let mut reload_at =
        watch_and_compare(daemon, &mut watcher).then(|| tokio::time::Instant::now() + SETTLE);
    // A wait lasts at most MAX_SLEEP; a step at most a pass of sends, a reload and the saves.
    let liveness: Arc<Liveness> = watchdog::start(
        MAX_SLEEP + Duration::from_secs(60),
        delivery_budget() + Duration::from_secs(120),
    );
    liveness.busy();

    let now = daemon.now();
    tracing::info!(
        numbers = daemon.config().numbers.len(),
        check_at = %daemon.config().settings.check_at.text,
        timezone = %daemon.config().settings.timezone.name,
        state = %daemon.store.path().display(),
        "numkeep started"
    );
    systemd::ready(&daemon.status(&now));
    if daemon.check_due_at(&now).is_some_and(|due| due <= now) {
        tracing::info!("a scheduled check was missed while numkeep was not running; checking now");
        let stopped = run_interruptible(daemon, Pass::Check, &mut terminate, &mut interrupt).await;
        if stopped {
            return stop(daemon);
        }
    }

    loop {
        let now = daemon.now();
        let due_at = daemon.check_due_at(&now);
        let next_retry = daemon.next_retry();
        // At least a little, so that a tick in the past cannot spin the loop.
        let mut sleep = sleep_for(
            due_at.as_ref(),
            next_retry,
            &now,
            clock::longest_sleep(MAX_SLEEP),
        )
        .max(Duration::from_millis(10));
        if let Some(at) = reload_at {
            sleep = sleep.min(at.saturating_duration_since(tokio::time::Instant::now()));
        }
        liveness.waiting();
        let event = tokio::select! {
            _ = terminate.recv() => Event::Stop,
            _ = interrupt.recv() => Event::Stop,
            _ = hangup.recv() => Event::Hangup,
            () = watcher.changed() => Event::ConfigChanged,
            () = tokio::time::sleep(sleep) => Event::Timer,
        };
        liveness.busy();
        match event {
            Event::Stop => return stop(daemon),
            Event::ConfigChanged => {
                reload_at.get_or_insert_with(|| tokio::time::Instant::now() + SETTLE);
            }
            Event::Hangup => {
                reload_at = None;
                daemon.reload("SIGHUP");
                if watch_and_compare(daemon, &mut watcher) {
                    // Read again once the writer is done, as after an event.
                    reload_at = Some(tokio::time::Instant::now() + SETTLE);
                }
            }
            Event::Timer if reload_at.is_some_and(|at| at <= tokio::time::Instant::now()) => {
                reload_at = None;
                daemon.reload("the config file changed");
                if watch_and_compare(daemon, &mut watcher) {
                    // Read again once the writer is done, as after an event.
                    reload_at = Some(tokio::time::Instant::now() + SETTLE);
                }
            }
            Event::Timer => {
                // What is due is decided now, from the wall clock: the reading before the
                // sleep may be minutes old, or from before a clock step.
                let now = daemon.now();
                let due_at = daemon.check_due_at(&now);
                let pass = match on_wake(due_at.as_ref(), daemon.next_retry(), &now) {
                    Wake::Check => Some(Pass::Check),
                    Wake::Retry => Some(Pass::Retry),
                    Wake::Sleep => None,
                };
                if let Some(pass) = pass
                    && run_interruptible(daemon, pass, &mut terminate, &mut interrupt).await
                {
                    return stop(daemon);
                }
            }
        }
    }
}

/// Points the watcher at what the running config needs, then compares what was loaded with
/// the disk: true when they differ and the config must be read again. The watches are in
/// place before the comparison, so a change is either seen by it or reported as an event.
fn watch_and_compare(daemon: &Daemon, watcher: &mut ConfigWatcher) -> bool {
    watcher.watch(
        &daemon.path,
        &daemon.loaded.files,
        &daemon.loaded.include_patterns,
    );
    let changed = daemon.snapshot.changed_on_disk();
    if changed {
        tracing::info!("the config changed while it was read; reading it again");
    }
    changed
}

/// Runs a pass, abandoning it if asked to stop: every delivery already accepted is saved,
/// and whatever was in flight stays pending for the next start.
async fn run_interruptible(
    daemon: &mut Daemon,
    pass: Pass,
    terminate: &mut tokio::signal::unix::Signal,
    interrupt: &mut tokio::signal::unix::Signal,
) -> bool {
    tokio::select! {
        () = daemon.check(pass) => false,
        _ = terminate.recv() => true,
        _ = interrupt.recv() => true,
    }
}

fn stop(daemon: &mut Daemon) -> Result<(), Failure> {
    systemd::stopping();
    tracing::info!("stopping");
    let now = daemon.now();
    save(&mut daemon.store, &now)
}
