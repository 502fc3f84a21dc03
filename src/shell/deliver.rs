//! Carries out one pass of the core's plan: every channel's message through its sender, at
//! once, each channel's reminders recorded as done only once the channel accepted them, and
//! the state saved after each. What is due, to whom, and when a failure is tried again is
//! the core's (`engine::plan`, `engine::retry`); this module only does the sending and the
//! recording.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use jiff::Zoned;

use crate::engine::plan::{Channel, ChannelKind, Delivery, plan};
use crate::engine::retry::RetryPolicy;
use crate::engine::status::{Now, evaluate_number};
use crate::model::Config;

use super::app::save;
use super::channels::{Message, Payload, SendFailure, Senders, Sent, http_timeout};
use super::mail::smtp_timeout;
use super::store::Store;

/// How many messages are in flight at once: every recipient of a check is sent to at the same
/// time (a stalled server costs one timeout, not one per recipient), but not so many at once
/// that a server limiting connections per client refuses them.
pub const SENDS_AT_ONCE: usize = 8;

/// The longest a pass of deliveries may take: every send is bounded by the SMTP timeout, and
/// the pass as a whole by twice that (room for a second wave when there are more recipients
/// than [`SENDS_AT_ONCE`]). What is not accepted by then stays pending for a retry.
pub fn delivery_budget() -> Duration {
    smtp_timeout().saturating_mul(2)
}

/// The budget of a pass for `config`: [`delivery_budget`], or longer when a `[[notify]]`
/// command's timeout or the HTTP timeout needs it, but never more than 100 seconds longer
/// (the watchdog allows a step [`delivery_budget`] and two minutes).
pub fn pass_budget(config: &Config) -> Duration {
    let margin = Duration::from_secs(10);
    let longest_push = config
        .notify
        .iter()
        .map(|channel| match &channel.kind {
            crate::model::NotifyKind::Command { timeout, .. } => *timeout,
            _ => http_timeout(),
        })
        .max()
        .map_or(Duration::ZERO, |longest| longest + margin);
    delivery_budget()
        .max(longest_push)
        .min(delivery_budget() + Duration::from_secs(100))
}

/// The retry policy: the core's standard one, whose first delay the environment variable
/// `NUMKEEP_RETRY_BASE_SECS` (whole seconds, > 0) replaces so that tests need not wait a
/// minute; the doubling and the cap stay the same.
pub fn retry_policy() -> RetryPolicy {
    std::env::var("NUMKEEP_RETRY_BASE_SECS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .map_or(RetryPolicy::STANDARD, |seconds| {
            RetryPolicy::starting_at(Duration::from_secs(seconds))
        })
}

/// What one pass of deliveries did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub logged: usize,
    pub emailed: usize,
    /// Messages accepted by `[[notify]]` channels.
    pub pushed: usize,
    pub failed: Vec<(Channel, SendFailure)>,
    /// The last failed save of the state during the pass, if any.
    pub save_error: Option<String>,
}

/// Which channels a pass handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// A scheduled (or catch-up, or `--once`) check: every channel.
    Check,
    /// Between checks: only channels whose failed send is due for a retry.
    Retry,
}

/// Delivers everything the plan says is due: every channel at once, the whole pass bounded
/// by [`delivery_budget`]. Each channel's reminders are recorded as done only after the
/// channel accepted them, and the state is saved at once, so a crash at any instant loses
/// nothing (at worst one message is sent again). A failed save stops nothing: the sends go
/// on (a duplicate later is better than a reminder lost now), and the caller decides what
/// the failure means for the check.
pub async fn deliver(
    config: &Config,
    store: &mut Store,
    senders: &Senders,
    (now, core_now): (&Zoned, Now),
    pass: Pass,
) -> Outcome {
    let policy = retry_policy();
    let plan = plan(config, &store.done, core_now);
    let today = plan.today;
    let due_channels: HashSet<String> = plan
        .deliveries
        .iter()
        .map(|delivery| delivery.channel.to_string())
        .collect();
    let deliveries: Vec<Delivery<'_>> = plan
        .deliveries
        .into_iter()
        .filter(|delivery| {
            pass == Pass::Check
                || store
                    .pending
                    .get(&delivery.channel.to_string())
                    .is_some_and(|pending| pending.is_due(now.timestamp()))
        })
        .collect();
    let messages: Vec<Message<'_>> = deliveries
        .iter()
        .map(|delivery| {
            let message = Message::new(&config.settings, &delivery.alerts, today);
            match delivery.channel.kind() {
                ChannelKind::Notify => message.with_payload(payload(config, delivery, core_now)),
                ChannelKind::Log | ChannelKind::Email => message,
            }
        })
        .collect();

    let mut outcome = Outcome::default();
    let budget = pass_budget(config);
    let deadline = tokio::time::Instant::now() + budget;
    let mut settled = vec![false; deliveries.len()];
    {
        let mut sends = futures_util::stream::iter(deliveries.iter().zip(&messages).enumerate())
            .map(|(index, (delivery, message))| async move {
                let sent = match senders.for_channel(&delivery.channel) {
                    Ok(sender) => sender.send(&delivery.channel, message).await,
                    Err(failure) => Sent::FailedPermanent(failure),
                };
                (index, sent)
            })
            .buffer_unordered(SENDS_AT_ONCE);
        while let Ok(Some((index, sent))) = tokio::time::timeout_at(deadline, sends.next()).await {
            settled[index] = true;
            let delivery = &deliveries[index];
            if matches!(sent, Sent::Delivered) {
                match delivery.channel.kind() {
                    ChannelKind::Log => outcome.logged += delivery.alerts.len(),
                    ChannelKind::Email => outcome.emailed += 1,
                    ChannelKind::Notify => outcome.pushed += 1,
                }
            }
            record(store, &mut outcome, &policy, delivery, sent.error(), now);
        }
    }
    for (index, delivery) in deliveries.iter().enumerate() {
        if !settled[index] {
            let error = SendFailure {
                message: format!(
                    "not accepted within the {} seconds a pass of sends may take",
                    budget.as_secs()
                ),
                hint: None,
            };
            record(store, &mut outcome, &policy, delivery, Some(error), now);
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

/// What a push channel carries besides the digest: the due numbers as `status --json`
/// objects, most urgent first, and the keys the delivery settles.
fn payload(config: &Config, delivery: &Delivery<'_>, now: Now) -> Payload {
    let mut seen: Vec<&str> = Vec::new();
    let mut reports = Vec::new();
    for alert in &delivery.alerts {
        let number = alert.number.number.as_str();
        if !seen.contains(&number) {
            seen.push(number);
            reports.push(evaluate_number(config, alert.number, now));
        }
    }
    Payload {
        json: crate::render::push::reminders_json(&reports, &config.settings),
        keys: delivery.marks.clone(),
    }
}

/// Records one channel's result (`None`: delivered) and saves the state at once.
fn record(
    store: &mut Store,
    outcome: &mut Outcome,
    policy: &RetryPolicy,
    delivery: &Delivery<'_>,
    failure: Option<SendFailure>,
    now: &Zoned,
) {
    let channel_key = delivery.channel.to_string();
    match failure {
        None => {
            store.done.extend(delivery.marks.iter().cloned());
            store.pending.remove(&channel_key);
            let at = now.timestamp();
            store
                .delivered
                .extend(delivery.sent_keys().into_iter().map(|key| (key, at)));
            let counter = store
                .counters
                .entry(delivery.channel.metrics_name())
                .or_default();
            counter.sent = counter.sent.saturating_add(delivery.alerts.len() as u64);
        }
        Some(error) => {
            let counter = store
                .counters
                .entry(delivery.channel.metrics_name())
                .or_default();
            counter.failures = counter.failures.saturating_add(1);
            let pending = store.pending.entry(channel_key).or_default();
            pending.failed(policy, now.timestamp(), error.to_string());
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
