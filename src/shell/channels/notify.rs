//! The `[[notify]]` channels: a `command` run here, or an HTTP service (`http.rs`). Each
//! is one channel (`notify:NAME`) with its own reminder keys and its own pending queue.
//!
//! Secrets (tokens, keys, a webhook's signing secret) are read at each send, in order, from
//! the systemd credential `notify-NAME`, the entry's `*_file`, then the environment variable
//! `NUMKEEP_NOTIFY_NAME` (the name upper-cased, `-` as `_`). They are never logged, never
//! put in a message, and scrubbed from any error text that might echo a URL holding one.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use tokio::io::AsyncWriteExt as _;

use crate::engine::plan::Channel;
use crate::model::{NotifyChannel, NotifyKind};

use super::{Message, Secret, SendFailure, Sender, Sent, http};

/// Sends to one `[[notify]]` entry.
pub struct NotifySender {
    channel: NotifyChannel,
}

impl NotifySender {
    pub fn new(channel: NotifyChannel) -> NotifySender {
        NotifySender { channel }
    }

    pub fn name(&self) -> &str {
        &self.channel.name
    }

    pub fn channel(&self) -> &NotifyChannel {
        &self.channel
    }

    /// The secret, if one is found; an unreadable file is an error (named, never its content).
    pub fn secret(&self) -> Result<Option<Secret>, SendFailure> {
        let Some((key, file)) = self.channel.kind.secret_file() else {
            return Ok(None);
        };
        let credential = std::env::var_os("CREDENTIALS_DIRECTORY")
            .map(|dir| PathBuf::from(dir).join(format!("notify-{}", self.channel.name)));
        let secret = read_secret(
            credential.as_deref(),
            file.map(PathBuf::as_path),
            key,
            &env_name(&self.channel.name),
        )?;
        if secret.is_none() && self.channel.kind.needs_secret() {
            return Err(SendFailure {
                message: format!(
                    "no {} found for the {} channel {:?}",
                    what_secret(&self.channel.kind),
                    self.channel.kind.type_name(),
                    self.channel.name
                ),
                hint: Some(format!(
                    "set `{key}`, the environment variable {} or the systemd credential notify-{}",
                    env_name(&self.channel.name),
                    self.channel.name
                )),
            });
        }
        Ok(secret)
    }
}

fn what_secret(kind: &NotifyKind) -> &'static str {
    match kind {
        NotifyKind::Telegram { .. } => "bot token",
        NotifyKind::Bark { .. } => "device key",
        NotifyKind::ServerChan { .. } => "SendKey",
        _ => "token",
    }
}

/// `NUMKEEP_NOTIFY_` and the channel's name, upper-cased, `-` as `_`.
pub fn env_name(name: &str) -> String {
    let mut variable = String::from("NUMKEEP_NOTIFY_");
    variable.extend(name.chars().map(|c| {
        if c == '-' {
            '_'
        } else {
            c.to_ascii_uppercase()
        }
    }));
    variable
}

fn read_secret(
    credential: Option<&Path>,
    file: Option<&Path>,
    key: &str,
    variable: &str,
) -> Result<Option<Secret>, SendFailure> {
    let clean = |text: String| {
        let text = text.trim().to_owned();
        (!text.is_empty()).then_some(Secret(text))
    };
    if let Some(path) = credential
        && let Ok(text) = std::fs::read_to_string(path)
        && let Some(secret) = clean(text)
    {
        return Ok(Some(secret));
    }
    if let Some(path) = file {
        return match std::fs::read_to_string(path) {
            Ok(text) => Ok(clean(text)),
            Err(error) => Err(SendFailure {
                message: format!("cannot read `{key}` {}: {error}", path.display()),
                hint: Some(
                    "the file must be readable by the user numkeep runs as; under systemd, use LoadCredential=notify-NAME:/path instead".into(),
                ),
            }),
        };
    }
    Ok(std::env::var(variable).ok().and_then(clean))
}

impl Sender for NotifySender {
    fn send<'a>(&'a self, _to: &'a Channel, message: &'a Message<'a>) -> LocalBoxFuture<'a, Sent> {
        Box::pin(async move {
            let secret = match self.secret() {
                Ok(secret) => secret,
                Err(failure) => return Sent::FailedTransient(failure),
            };
            let sent = match &self.channel.kind {
                NotifyKind::Command { argv, timeout } => run_command(argv, *timeout, message).await,
                kind => http::send(kind, secret.as_ref(), message).await,
            };
            match &secret {
                Some(secret) => scrub(sent, secret.expose()),
                None => sent,
            }
        })
    }
}

/// Replaces every occurrence of the secret in a failure's text.
fn scrub(sent: Sent, secret: &str) -> Sent {
    let clean = |failure: SendFailure| SendFailure {
        message: failure.message.replace(secret, "***"),
        hint: failure.hint.map(|hint| hint.replace(secret, "***")),
    };
    match sent {
        Sent::Delivered => Sent::Delivered,
        Sent::FailedTransient(failure) => Sent::FailedTransient(clean(failure)),
        Sent::FailedPermanent(failure) => Sent::FailedPermanent(clean(failure)),
    }
}

/// Runs `argv` without a shell, in a process group of its own: the JSON on stdin, the title
/// and body in `NUMKEEP_TITLE` and `NUMKEEP_BODY`; exit 0 is delivered. Past `timeout` the
/// whole group is killed and the reminders stay pending.
async fn run_command(argv: &[String], timeout: Duration, message: &Message<'_>) -> Sent {
    let Some((program, args)) = argv.split_first() else {
        return Sent::FailedPermanent(SendFailure {
            message: "`argv` is empty".into(),
            hint: None,
        });
    };
    let digest = message.digest();
    let payload = message.payload();
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env("NUMKEEP_TITLE", &digest.subject)
        .env("NUMKEEP_BODY", message.push_body())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return Sent::FailedPermanent(SendFailure {
                message: format!("cannot run {program}: {error}"),
                hint: Some("`argv` runs without a shell: its first item must be a program's path (or a name on PATH), and numkeep's user must be allowed to run it".into()),
            });
        }
    };
    let group = child.id();
    if let Some(mut stdin) = child.stdin.take() {
        let json = payload.json.into_bytes();
        // A program that does not read its input closes the pipe: that is no failure.
        tokio::spawn(async move {
            let _ = stdin.write_all(&json).await;
        });
    }
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) if output.status.success() => Sent::Delivered,
        Ok(Ok(output)) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|line| !line.trim().is_empty())
                .map(|line| line.chars().take(200).collect::<String>());
            let status = match output.status.code() {
                Some(code) => format!("exit status {code}"),
                None => "killed by a signal".to_owned(),
            };
            Sent::FailedTransient(SendFailure {
                message: match last {
                    Some(line) => format!("{program} failed ({status}): {line}"),
                    None => format!("{program} failed ({status})"),
                },
                hint: Some("the command must exit 0 once the message is delivered; the reminders stay pending and are retried".into()),
            })
        }
        Ok(Err(error)) => Sent::FailedTransient(SendFailure {
            message: format!("{program}: {error}"),
            hint: None,
        }),
        Err(_) => {
            // The child itself is killed when dropped; its process group (anything it
            // started) here.
            if let Some(pid) = group
                .and_then(|pid| i32::try_from(pid).ok())
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            }
            Sent::FailedTransient(SendFailure {
                message: format!(
                    "{program} did not finish within {} seconds and was killed",
                    timeout.as_secs()
                ),
                hint: Some(
                    "raise `timeout`, or make the command return once it has handed the message on"
                        .into(),
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_and_sources() {
        assert_eq!(env_name("my-phone"), "NUMKEEP_NOTIFY_MY_PHONE");
        let dir = tempfile::tempdir().unwrap();
        let credential = dir.path().join("notify-x");
        let file = dir.path().join("token");
        std::fs::write(&file, "from-file\n").unwrap();
        let read = |credential: Option<&Path>, file: Option<&Path>| {
            read_secret(
                credential,
                file,
                "token_file",
                "NUMKEEP_NOTIFY_UNSET_FOR_TEST",
            )
            .map(|secret| secret.map(|secret| secret.expose().to_owned()))
            .map_err(|failure| failure.message)
        };
        assert_eq!(
            read(Some(&credential), Some(&file)),
            Ok(Some("from-file".into()))
        );
        std::fs::write(&credential, "from-credential").unwrap();
        assert_eq!(
            read(Some(&credential), Some(&file)),
            Ok(Some("from-credential".into()))
        );
        assert_eq!(read(None, None), Ok(None));
        let missing = dir.path().join("missing");
        assert!(
            read(None, Some(&missing))
                .unwrap_err()
                .contains("cannot read `token_file`")
        );
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "Secret(***)");
    }
}
