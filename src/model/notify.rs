//! Push channels: the `[[notify]]` entries of the config (DESIGN.md §3, "Channels beyond
//! email"). Each has a unique name, which a number's `notify = [...]` and the reminder keys
//! (`notify:NAME`) use, and a kind with its own keys. Secrets are never held here: only the
//! file a secret may be read from; the shell reads it (or the environment, or the systemd
//! credential `notify-NAME`) when it sends.

use std::path::PathBuf;
use std::time::Duration;

/// One `[[notify]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyChannel {
    pub name: String,
    pub kind: NotifyKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyKind {
    /// A program run without a shell: the reminders' JSON on stdin, `NUMKEEP_TITLE` and
    /// `NUMKEEP_BODY` in its environment; exit 0 means delivered.
    Command {
        argv: Vec<String>,
        timeout: Duration,
    },
    /// A POST of the reminders' JSON, signed as Standard Webhooks when a secret is set.
    Webhook {
        url: String,
        secret_file: Option<PathBuf>,
    },
    /// A JSON publish to an ntfy server; `url` is the topic URL.
    Ntfy {
        url: String,
        token_file: Option<PathBuf>,
    },
    /// A Telegram bot's `sendMessage`.
    Telegram {
        bot_token_file: Option<PathBuf>,
        chat_id: String,
        api_base: String,
    },
    /// Bark (iOS push).
    Bark {
        device_key_file: Option<PathBuf>,
        server: String,
    },
    /// ServerChan (WeChat). `server` replaces the host the SendKey chooses (a relay).
    ServerChan {
        sendkey_file: Option<PathBuf>,
        server: Option<String>,
    },
    /// PushPlus (WeChat).
    PushPlus {
        token_file: Option<PathBuf>,
        server: String,
    },
}

/// The command channel's timeout when `timeout` is not set.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Telegram's API when `api_base` is not set.
pub const DEFAULT_TELEGRAM_API: &str = "https://api.telegram.org";
/// Bark's server when `server` is not set.
pub const DEFAULT_BARK_SERVER: &str = "https://api.day.app";
/// PushPlus's API when `server` is not set.
pub const DEFAULT_PUSHPLUS_SERVER: &str = "https://www.pushplus.plus";

impl NotifyKind {
    /// The `type` as written in the config.
    pub fn type_name(&self) -> &'static str {
        match self {
            NotifyKind::Command { .. } => "command",
            NotifyKind::Webhook { .. } => "webhook",
            NotifyKind::Ntfy { .. } => "ntfy",
            NotifyKind::Telegram { .. } => "telegram",
            NotifyKind::Bark { .. } => "bark",
            NotifyKind::ServerChan { .. } => "serverchan",
            NotifyKind::PushPlus { .. } => "pushplus",
        }
    }

    /// The file key its secret may be read from, and that file, if the kind has a secret.
    pub fn secret_file(&self) -> Option<(&'static str, Option<&PathBuf>)> {
        match self {
            NotifyKind::Command { .. } => None,
            NotifyKind::Webhook { secret_file, .. } => Some(("secret_file", secret_file.as_ref())),
            NotifyKind::Ntfy { token_file, .. } => Some(("token_file", token_file.as_ref())),
            NotifyKind::Telegram { bot_token_file, .. } => {
                Some(("bot_token_file", bot_token_file.as_ref()))
            }
            NotifyKind::Bark {
                device_key_file, ..
            } => Some(("device_key_file", device_key_file.as_ref())),
            NotifyKind::ServerChan { sendkey_file, .. } => {
                Some(("sendkey_file", sendkey_file.as_ref()))
            }
            NotifyKind::PushPlus { token_file, .. } => Some(("token_file", token_file.as_ref())),
        }
    }

    /// Whether a send cannot go without the secret (a webhook's and ntfy's are optional).
    pub fn needs_secret(&self) -> bool {
        matches!(
            self,
            NotifyKind::Telegram { .. }
                | NotifyKind::Bark { .. }
                | NotifyKind::ServerChan { .. }
                | NotifyKind::PushPlus { .. }
        )
    }
}

/// The `type` names the config accepts.
pub const NOTIFY_TYPES: &[&str] = &[
    "ntfy",
    "telegram",
    "webhook",
    "command",
    "bark",
    "serverchan",
    "pushplus",
];
