//! The email channel: one message per recipient through the configured transport
//! (`shell::mail`: SMTP or sendmail).

use futures_util::future::LocalBoxFuture;

use crate::engine::plan::Channel;
use crate::model::EmailSettings;
use crate::shell::mail::{Mailer, SetupError};

use super::{Message, SendFailure, Sender, Sent};

/// Sends through the configured mailer; a mailer that could not be set up (an unreadable
/// password file…) fails every send for now, so the reminders stay pending until it is fixed.
pub struct EmailSender {
    mailer: Result<Mailer, SetupError>,
}

impl EmailSender {
    pub fn new(email: &EmailSettings) -> EmailSender {
        EmailSender {
            mailer: Mailer::new(email),
        }
    }

    /// The mailer, or why there is none.
    pub fn mailer(&self) -> Result<&Mailer, &SetupError> {
        self.mailer.as_ref()
    }
}

impl Sender for EmailSender {
    fn send<'a>(&'a self, to: &'a Channel, message: &'a Message<'a>) -> LocalBoxFuture<'a, Sent> {
        Box::pin(async move {
            let Channel::Email(address) = to else {
                return Sent::FailedPermanent(SendFailure {
                    message: format!("{to} is not an email recipient"),
                    hint: None,
                });
            };
            let mailer = match &self.mailer {
                Ok(mailer) => mailer,
                Err(reason) => {
                    return Sent::FailedTransient(SendFailure {
                        message: reason.to_string(),
                        hint: None,
                    });
                }
            };
            let digest = message.digest();
            match mailer
                .send(address, &digest.subject, digest.body.clone())
                .await
            {
                Ok(()) => Sent::Delivered,
                Err(error) => {
                    let failure = SendFailure {
                        message: error.message,
                        hint: error.hint,
                    };
                    if error.permanent {
                        Sent::FailedPermanent(failure)
                    } else {
                        Sent::FailedTransient(failure)
                    }
                }
            }
        })
    }
}
