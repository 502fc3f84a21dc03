//! The log channel: every alert as one structured event, warn when due, error in grace or
//! lost. Log lines are English whatever `language` says: operators read them.

use futures_util::future::{self, LocalBoxFuture};

use crate::engine::plan::{Alert, Channel, Threshold};
use crate::model::{Language, Settings};
use crate::render;
use crate::render::words::{Edge, Zones};

use super::{Message, Sender, Sent};

/// Writes alerts to the log (tracing): always delivered.
pub struct LogSender;

impl Sender for LogSender {
    fn send<'a>(&'a self, _to: &'a Channel, message: &'a Message<'a>) -> LocalBoxFuture<'a, Sent> {
        for alert in message.alerts {
            log_alert(message.settings, alert);
        }
        Box::pin(future::ready(Sent::Delivered))
    }
}

fn log_alert(settings: &Settings, alert: &Alert<'_>) {
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
    let english = Language::English;
    let why = render::words::why(english, &obligation.why);
    let days_left = deadline.days_left;
    let todo = render::words::action(english, obligation);
    let zones = Zones::of(number, settings);
    let act_by_text = render::words::deadline(english, deadline, Edge::ActBy, zones);
    let lost_on_text = render::words::deadline(english, deadline, Edge::LostOn, zones);
    let bound_to: String = number
        .bound_to()
        .join(", ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let notes: String = number
        .notes()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let number = number.number.as_str();
    match alert.threshold {
        Threshold::Lead(lead) => tracing::warn!(
            number, carrier, act_by, days_left, action, lost_on, label, why, bound_to, notes, lead = %lead,
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
            bound_to,
            notes,
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
            bound_to,
            notes,
            "{number}: lost on {lost_on_text} (final notice)"
        ),
    }
}
