//! `numkeep run`, `run --once` and `test-alert`: carries out the core's plan on the log and
//! email channels, records what was delivered, and (for `run`) sleeps until the next tick.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use jiff::{Timestamp, Zoned};
use tokio::signal::unix::{SignalKind, signal};

use crate::config::Loaded;
use crate::config::model::{Config, Language};
use crate::engine::plan::{Alert, Channel, Delivery, Threshold, plan};
use crate::engine::schedule::{Wake, check_due_at, on_wake, sleep_for};
use crate::engine::status::{Now, State, most_urgent};
use crate::render;
use crate::render::words::{Edge, Zones};

use super::cli::{Failure, load_config, load_config_with, warn_about_permissions};
use super::clock;
use super::mail::{Mailer, SendError, smtp_timeout};
use super::store::{Pending, Store, state_directory};
use super::systemd;
use super::watch::{ConfigWatcher, ReadLog, Snapshot};
use super::watchdog::{self, Liveness};

/// The longest single sleep: the monotonic clock does not see wall-clock steps or suspend,
/// so the daemon wakes this often to look at the wall clock again.
const MAX_SLEEP: Duration = Duration::from_secs(5 * 60);
/// Retry delays after failed sends: 1, 2, 4, … minutes, at most an hour. The environment
/// variable `NUMKEEP_RETRY_BASE_SECS` (whole seconds, > 0) replaces this first delay so that
/// tests need not wait a minute; the doubling and the cap stay the same.
const FIRST_RETRY: Duration = Duration::from_secs(60);
const LONGEST_RETRY: Duration = Duration::from_secs(60 * 60);
/// How many messages are in flight at once: every recipient of a check is sent to at the same
/// time (a stalled server costs one timeout, not one per recipient), but not so many at once
/// that a server limiting connections per client refuses them.
const SENDS_AT_ONCE: usize = 8;
/// How long the editor gets to finish a save (several events arrive for one) before the
/// config is read; later events in the window join the same reload.
const SETTLE: Duration = Duration::from_millis(200);

/// The longest a pass of deliveries may take: every send is bounded by the SMTP timeout, and
/// the pass as a whole by twice that (room for a second wave when there are more recipients
/// than [`SENDS_AT_ONCE`]). What is not accepted by then stays pending for a retry.
fn delivery_budget() -> Duration {
    smtp_timeout().saturating_mul(2)
}

/// What one pass of deliveries did.
#[derive(Debug, Default)]
struct Outcome {
    logged: usize,
    emailed: usize,
    failed: Vec<(Channel, SendError)>,
    /// The last failed save of the state during the pass, if any.
    save_error: Option<String>,
}

/// Which channels a pass handles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// A scheduled (or catch-up, or `--once`) check: every channel.
    Check,
    /// Between checks: only channels whose failed send is due for a retry.
    Retry,
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::Runtime(format!("cannot start the async runtime: {error}")))
}

fn open_store(config: &Config) -> Result<Store, Failure> {
    let dir = state_directory(config.settings.state_dir.as_deref()).ok_or_else(|| {
        Failure::Runtime(
            "no state directory: set settings.state_dir, STATE_DIRECTORY, XDG_STATE_HOME or HOME"
                .into(),
        )
    })?;
    Store::open(&dir).map_err(|error| Failure::Runtime(error.to_string()))
}

/// The mailer for the config, or the reason email cannot work (reported per channel).
fn mailer_for(config: &Config) -> Option<Result<Mailer, String>> {
    config.email.as_ref().map(Mailer::new)
}

pub fn run_once(path: &Path, at: Option<&str>) -> Result<(), Failure> {
    let loaded = load_config(path, at)?;
    let config = &loaded.config;
    let (now, core_now) =
        clock::now_for_core(&config.settings.timezone.tz, at).map_err(Failure::Usage)?;
    let mut store = open_store(config)?;
    let mailer = mailer_for(config);
    let outcome = runtime()?.block_on(deliver(
        config,
        &mut store,
        mailer.as_ref(),
        (&now, core_now),
        Pass::Check,
    ));
    store.last_check = Some(now.timestamp());
    // The sends were attempted whatever the disk said; now the state must reach it.
    save(&mut store, &now)?;
    tracing::info!(
        logged = outcome.logged,
        emailed = outcome.emailed,
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

fn save(store: &mut Store, now: &Zoned) -> Result<(), Failure> {
    store
        .save(now.date())
        .map_err(|error| Failure::Runtime(error.to_string()))
}

/// Delivers everything the plan says is due: the log at once, then every email recipient
/// concurrently, the whole pass bounded by [`delivery_budget`]. Each channel's reminders are
/// recorded as done only after the channel accepted them, and the state is saved at once, so
/// a crash at any instant loses nothing (at worst one message is sent again). A failed save
/// stops nothing: the sends go on (a duplicate later is better than a reminder lost now),
/// and the caller decides what the failure means for the check.
async fn deliver(
    config: &Config,
    store: &mut Store,
    mailer: Option<&Result<Mailer, String>>,
    (now, core_now): (&Zoned, Now),
    pass: Pass,
) -> Outcome {
    let plan = plan(config, &store.done, core_now);
    let today = plan.today;
    let due_channels: HashSet<String> = plan
        .deliveries
        .iter()
        .map(|delivery| delivery.channel.to_string())
        .collect();
    let mut outcome = Outcome::default();
    let mut emails: Vec<Delivery<'_>> = Vec::new();
    for delivery in plan.deliveries {
        if pass == Pass::Retry {
            let due = store
                .pending
                .get(&delivery.channel.to_string())
                .is_some_and(|pending| pending.next_attempt.is_none_or(|at| at <= now.timestamp()));
            if !due {
                continue;
            }
        }
        if delivery.channel == Channel::Log {
            log_alerts(config, &delivery);
            outcome.logged += delivery.alerts.len();
            record(store, &mut outcome, &delivery, Ok(()), now);
        } else {
            emails.push(delivery);
        }
    }

    let deadline = tokio::time::Instant::now() + delivery_budget();
    let mut settled = vec![false; emails.len()];
    {
        let mut sends = futures_util::stream::iter(emails.iter().enumerate())
            .map(|(index, delivery)| async move {
                let result = match &delivery.channel {
                    Channel::Email(address) => {
                        send_digest(config, mailer, address, delivery, today).await
                    }
                    Channel::Log => Ok(()),
                };
                (index, result)
            })
            .buffer_unordered(SENDS_AT_ONCE);
        while let Ok(Some((index, result))) = tokio::time::timeout_at(deadline, sends.next()).await
        {
            settled[index] = true;
            if result.is_ok() {
                outcome.emailed += 1;
            }
            record(store, &mut outcome, &emails[index], result, now);
        }
    }
    for (index, delivery) in emails.iter().enumerate() {
        if !settled[index] {
            let error = SendError {
                message: format!(
                    "not accepted within the {} seconds a pass of sends may take",
                    delivery_budget().as_secs()
                ),
                hint: None,
                permanent: false,
            };
            record(store, &mut outcome, delivery, Err(error), now);
        }
    }
    // A channel that had nothing due at this check (renewed, retired) is no longer pending.
    if pass == Pass::Check {
        store
            .pending
            .retain(|channel, _| due_channels.contains(channel));
    }
    outcome
}

/// Records one channel's result and saves the state at once.
fn record(
    store: &mut Store,
    outcome: &mut Outcome,
    delivery: &Delivery<'_>,
    result: Result<(), SendError>,
    now: &Zoned,
) {
    let channel_key = delivery.channel.to_string();
    match result {
        Ok(()) => {
            store.done.extend(delivery.marks.iter().cloned());
            store.pending.remove(&channel_key);
        }
        Err(error) => {
            let pending = store.pending.entry(channel_key).or_default();
            pending.attempts = pending.attempts.saturating_add(1);
            pending.last_error = error.to_string();
            pending.next_attempt = now
                .timestamp()
                .checked_add(retry_delay(pending.attempts))
                .ok();
            tracing::error!(channel = %delivery.channel, attempts = pending.attempts, error = %error, "reminder not delivered; it stays pending");
            outcome.failed.push((delivery.channel.clone(), error));
        }
    }
    if let Err(failure) = save(store, now) {
        if outcome.save_error.is_none() {
            tracing::error!(error = %failure, "cannot save the state; sending goes on");
        }
        outcome.save_error = Some(failure.to_string());
    }
}

fn retry_delay(attempts: u32) -> Duration {
    let first = std::env::var("NUMKEEP_RETRY_BASE_SECS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .map_or(FIRST_RETRY, Duration::from_secs);
    let factor = 1u32 << attempts.saturating_sub(1).min(6);
    first.saturating_mul(factor).min(LONGEST_RETRY)
}

async fn send_digest(
    config: &Config,
    mailer: Option<&Result<Mailer, String>>,
    address: &str,
    delivery: &Delivery<'_>,
    today: jiff::civil::Date,
) -> Result<(), SendError> {
    let mailer = match mailer {
        Some(Ok(mailer)) => mailer,
        Some(Err(reason)) => {
            return Err(SendError {
                message: reason.clone(),
                hint: None,
                permanent: false,
            });
        }
        None => {
            return Err(SendError {
                message: "no [email] section in the config".into(),
                hint: None,
                permanent: true,
            });
        }
    };
    let message = render::digest::message(&config.settings, &delivery.alerts, today);
    mailer.send(address, &message.subject, message.body).await
}

/// Every alert as one structured event: warn when due, error in grace or lost.
fn log_alerts(config: &Config, delivery: &Delivery<'_>) {
    for alert in &delivery.alerts {
        log_alert(config, alert);
    }
}

fn log_alert(config: &Config, alert: &Alert<'_>) {
    let number = alert.number;
    let deadline = &alert.deadline;
    let obligation = &deadline.obligation;
    let carrier = number.carrier_id().unwrap_or("-");
    let label: String = number
        .label
        .as_deref()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let action = obligation.action().key();
    let act_by = obligation.act_by.to_string();
    let lost_on = obligation.lost_on.to_string();
    let why = render::words::why(crate::config::model::Language::English, &obligation.why);
    let days_left = deadline.days_left;
    let english = crate::config::model::Language::English;
    let todo = render::words::action(english, obligation);
    // Log lines are English whatever `language` says: operators read them.
    let zones = Zones::of(number, &config.settings);
    let act_by_text = render::words::deadline(english, deadline, Edge::ActBy, zones);
    let lost_on_text = render::words::deadline(english, deadline, Edge::LostOn, zones);
    let number = number.number.as_str();
    match alert.threshold {
        Threshold::Lead(lead) => tracing::warn!(
            number, carrier, act_by, days_left, action, lost_on, label, why, lead = %lead,
            "{number}: {todo} by {act_by_text} ({days_left} days left)"
        ),
        Threshold::Grace(_) => tracing::error!(
            number,
            carrier,
            act_by,
            days_left,
            action,
            lost_on,
            label,
            why,
            "{number}: past its act-by date {act_by_text}, in grace: {todo} now; lost on {lost_on_text}"
        ),
        Threshold::Lost => tracing::error!(
            number,
            carrier,
            act_by,
            days_left,
            action,
            lost_on,
            label,
            why,
            "{number}: lost on {lost_on_text} (final notice)"
        ),
    }
}

/// `numkeep test-alert`: one test message through every channel, with the outcome of each.
pub fn test_alert(path: &Path, at: Option<&str>) -> Result<(), Failure> {
    let loaded = load_config(path, at)?;
    let config = &loaded.config;
    let (now, core_now) =
        clock::now_for_core(&config.settings.timezone.tz, at).map_err(Failure::Usage)?;
    tracing::warn!(test = true, "numkeep test alert: the log channel works");
    println!("log: ok (a warning was written to the log)");
    let Some(email) = &config.email else {
        println!("email: not configured; alerts go to the log only");
        return Ok(());
    };
    let mailer = match Mailer::new(email) {
        Ok(mailer) => mailer,
        Err(reason) => {
            println!("email: failed: {reason}");
            return Err(Failure::Reported(1));
        }
    };
    let mut recipients: Vec<&String> = email.to.iter().collect();
    for number in &config.numbers {
        for address in &number.extras.email {
            if !recipients.contains(&address) {
                recipients.push(address);
            }
        }
    }
    let body = test_message_body(config, &now, core_now);
    // Concurrently, as the checks send: one silent server must not hold up the rest.
    let results: Vec<(&String, Result<(), SendError>)> = runtime()?.block_on(
        futures_util::stream::iter(recipients)
            .map(|address| {
                let body = body.clone();
                let mailer = &mailer;
                async move {
                    let result = mailer.send(address, "numkeep test message", body).await;
                    (address, result)
                }
            })
            .buffered(SENDS_AT_ONCE)
            .collect(),
    );
    let mut failures = 0;
    for (address, result) in results {
        match result {
            Ok(()) => println!(
                "email to {address} via {}: ok (accepted by the server)",
                mailer.description
            ),
            Err(error) => {
                failures += 1;
                // The message names the server or sendmail already.
                println!("email to {address}: failed: {}", error.message);
                if let Some(hint) = error.hint {
                    println!("  hint: {hint}");
                }
            }
        }
    }
    if failures == 0 {
        Ok(())
    } else {
        Err(Failure::Reported(1))
    }
}

fn test_message_body(config: &Config, now: &Zoned, core_now: Now) -> String {
    let mut body = format!(
        "This is a test message from numkeep, sent {}.\nIf you can read it, reminders will reach you here.\n\nnumkeep watches {} number(s); checks run at \"{}\" ({}).\n",
        now.strftime("%Y-%m-%d %H:%M %Z"),
        config.numbers.len(),
        config.settings.check_at.text,
        config.settings.timezone.name,
    );
    if let Some(report) = most_urgent(config, core_now)
        && let Some(deadline) = report.most_urgent()
    {
        // The rest of this message is English; one language per message.
        let language = Language::English;
        let zones = Zones::of(report.entry, &config.settings);
        body.push_str(&format!(
            "The most urgent is {}: {} by {} ({}).\n",
            report.entry.number,
            render::words::action(language, &deadline.obligation),
            render::words::deadline(language, deadline, Edge::ActBy, zones),
            render::words::days_left(language, deadline.days_left),
        ));
    }
    body
}

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
    mailer: Option<Result<Mailer, String>>,
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
            self.mailer.as_ref(),
            (&now, Now::at(&now)),
            pass,
        )
        .await;
        if pass == Pass::Check {
            self.store.last_check = Some(now.timestamp());
        }
        let saved = self.save(&now);
        if pass == Pass::Check {
            if saved {
                tracing::info!(
                    logged = outcome.logged,
                    emailed = outcome.emailed,
                    pending = outcome.failed.len(),
                    "check done"
                );
            } else {
                tracing::error!(
                    logged = outcome.logged,
                    emailed = outcome.emailed,
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
                let next_attempt = now
                    .timestamp()
                    .checked_add(retry_delay(attempts))
                    .unwrap_or_else(|_| now.timestamp());
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
                self.mailer = mailer_for(&loaded.config);
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
                for line in failure.to_string().lines() {
                    tracing::error!("{line}");
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
    let mailer = mailer_for(&loaded.config);
    let mut daemon = Daemon {
        path: path.to_path_buf(),
        snapshot: Snapshot::new(reads, &loaded.include_patterns),
        loaded,
        mailer,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_from_one_minute_up_to_an_hour() {
        // The production schedule; NUMKEEP_RETRY_BASE_SECS (a test override) must be unset.
        if std::env::var_os("NUMKEEP_RETRY_BASE_SECS").is_some() {
            return;
        }
        let minutes = |attempts| retry_delay(attempts).as_secs() / 60;
        let schedule: Vec<u64> = (1..=9).map(minutes).collect();
        assert_eq!(schedule, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(retry_delay(1), Duration::from_secs(60));
        // Attempt 0 never happens (a failure counts itself first), but must not be shorter.
        assert_eq!(minutes(0), 1);
        assert_eq!(retry_delay(u32::MAX), LONGEST_RETRY);
    }
}
