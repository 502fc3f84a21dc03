//! The channels reminders go out on, one module per kind (`log`, `email`, `notify` for the
//! `[[notify]]` push channels, over `http` where they speak HTTP), behind one
//! interface: [`Sender`] takes a rendered [`Message`] for one recipient and answers
//! delivered, failed for now, or failed for good. Who gets what, and when a failed send is
//! tried again, is the core's decision (`engine::plan::recipients`, `engine::retry`).
//!
//! Adding a kind: its module here, one arm in [`Senders::for_config`] and in
//! `engine::plan::recipients`, and its config reader entry.

mod email;
mod http;
mod log;
mod notify;

use std::cell::OnceCell;

use futures_util::future::LocalBoxFuture;
use jiff::civil::Date;

use crate::engine::plan::{Alert, Channel, ChannelKind};
use crate::model::{Config, Settings};
use crate::render;

pub use email::EmailSender;
pub use http::http_timeout;
pub use log::LogSender;
pub use notify::NotifySender;

/// One message for one channel: the alerts due, and their digest for people, rendered once
/// on first use (channels that send structured events, as the log does, read the alerts).
pub struct Message<'m> {
    pub alerts: &'m [Alert<'m>],
    pub settings: &'m Settings,
    /// Today in `settings.timezone`, for the digest.
    pub today: Date,
    digest: OnceCell<render::digest::Message>,
    /// What push channels carry besides the digest: the reminders' JSON and their keys.
    payload: Option<Payload>,
}

/// A push message's JSON (`{"event": …, "numbers": [status --json objects]}`) and the
/// reminder keys it settles (a webhook's id is derived from them, so that a retry of the
/// same reminders carries the same id).
#[derive(Clone, Debug)]
pub struct Payload {
    pub json: String,
    pub keys: Vec<String>,
}

impl<'m> Message<'m> {
    pub fn new(settings: &'m Settings, alerts: &'m [Alert<'m>], today: Date) -> Message<'m> {
        Message {
            alerts,
            settings,
            today,
            digest: OnceCell::new(),
            payload: None,
        }
    }

    /// The same message with the JSON and keys push channels carry.
    pub fn with_payload(mut self, payload: Payload) -> Message<'m> {
        self.payload = Some(payload);
        self
    }

    /// The JSON and keys for push channels (a test message's: no numbers, no keys).
    pub fn payload(&self) -> Payload {
        self.payload.clone().unwrap_or_else(|| Payload {
            json: "{\"event\":\"numkeep.test\",\"numbers\":[]}".into(),
            keys: Vec::new(),
        })
    }

    /// The short body push channels show: the digest's body for a test message.
    pub fn push_body(&self) -> String {
        if self.alerts.is_empty() {
            return self.digest().body.clone();
        }
        render::push::body(self.settings, self.alerts)
    }

    /// A message of its own words, with no alerts (`test-alert`'s).
    pub fn text(settings: &'m Settings, today: Date, subject: String, body: String) -> Message<'m> {
        Message {
            alerts: &[],
            settings,
            today,
            digest: OnceCell::from(render::digest::Message { subject, body }),
            payload: None,
        }
    }

    /// The subject and body people read, in the config's language.
    pub fn digest(&self) -> &render::digest::Message {
        self.digest
            .get_or_init(|| render::digest::message(self.settings, self.alerts, self.today))
    }
}

/// A failed send: what went wrong, and a hint for the usual mistakes.
#[derive(Debug, Clone)]
pub struct SendFailure {
    pub message: String,
    pub hint: Option<String>,
}

impl std::fmt::Display for SendFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SendFailure {}

/// What a channel answers for one message.
#[derive(Debug)]
pub enum Sent {
    /// Accepted: the reminders it carries are done.
    Delivered,
    /// Not accepted this time (a server down, a timeout): worth trying again.
    FailedTransient(SendFailure),
    /// Refused for good (a 5xx, an invalid address): the same message will not get through
    /// soon. It is still kept pending, so that fixing the config lets it through.
    FailedPermanent(SendFailure),
}

impl Sent {
    /// The failure, if the message was not delivered.
    pub fn error(self) -> Option<SendFailure> {
        match self {
            Sent::Delivered => None,
            Sent::FailedTransient(error) | Sent::FailedPermanent(error) => Some(error),
        }
    }
}

/// One kind of channel: sends a rendered message to one of its recipients.
pub trait Sender {
    fn send<'a>(&'a self, to: &'a Channel, message: &'a Message<'a>) -> LocalBoxFuture<'a, Sent>;
}

/// A sender of every kind the config uses.
pub struct Senders {
    log: LogSender,
    email: Option<EmailSender>,
    notify: Vec<NotifySender>,
}

impl Senders {
    pub fn for_config(config: &Config) -> Senders {
        Senders {
            log: LogSender,
            email: config.email.as_ref().map(EmailSender::new),
            notify: config
                .notify
                .iter()
                .cloned()
                .map(NotifySender::new)
                .collect(),
        }
    }

    /// The `[[notify]]` senders, in config order.
    pub fn notify(&self) -> &[NotifySender] {
        &self.notify
    }

    /// The sender for `channel`'s kind, or why there is none.
    pub fn for_channel(&self, channel: &Channel) -> Result<&dyn Sender, SendFailure> {
        match channel.kind() {
            ChannelKind::Log => Ok(&self.log),
            ChannelKind::Email => match &self.email {
                Some(email) => Ok(email),
                None => Err(SendFailure {
                    message: "no [email] section in the config".into(),
                    hint: None,
                }),
            },
            ChannelKind::Notify => self
                .notify
                .iter()
                .find(|sender| Channel::Notify(sender.name().to_owned()) == *channel)
                .map(|sender| sender as &dyn Sender)
                .ok_or_else(|| SendFailure {
                    message: format!("no [[notify]] entry for {channel}"),
                    hint: None,
                }),
        }
    }

    pub fn email(&self) -> Option<&EmailSender> {
        self.email.as_ref()
    }
}

/// A secret read from a file or the environment; its `Debug` never shows it. Shared by the
/// channels that read one (`notify`) and the senders that use one (`http`).
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}
