//! Sending email through lettre: SMTP over rustls (STARTTLS, implicit TLS, or plain to a
//! loopback relay) or the local sendmail program. The SMTP password is read here and never
//! logged or printed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSendmailTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::model::{EmailSettings, SmtpSettings, TlsMode, Transport};

/// How long one SMTP conversation may take. lettre's own timeout covers only the connect,
/// so a server that never answers (or a TLS mode that does not match the port) would hang
/// the check; the whole send is bounded instead. `NUMKEEP_SMTP_TIMEOUT` (seconds) overrides.
pub fn smtp_timeout() -> Duration {
    std::env::var("NUMKEEP_SMTP_TIMEOUT")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .map_or(Duration::from_secs(30), Duration::from_secs)
}

pub struct Mailer {
    from: Mailbox,
    transport: MailTransport,
    /// `host:port (mode)` or the sendmail path, for messages.
    pub description: String,
    /// What to say when the server does not answer in time.
    timeout_hint: String,
}

enum MailTransport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Sendmail(AsyncSendmailTransport<Tokio1Executor>),
}

/// A failed send, with the server's words and a hint for the usual mistakes.
#[derive(Debug, Clone)]
pub struct SendError {
    pub message: String,
    pub hint: Option<String>,
    /// The server refused for good (5xx): retrying the same message will not help soon.
    pub permanent: bool,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Where the SMTP password comes from, in order: the systemd credential `smtp-password`
/// (what the service unit loads, readable only by the service), `password_file`, the
/// environment variable `NUMKEEP_SMTP_PASSWORD`. An empty value counts as none.
fn read_password(smtp: &SmtpSettings) -> Result<Option<String>, String> {
    let from_file = |path: &Path| {
        std::fs::read_to_string(path)
            .map(|text| text.trim_end_matches(['\r', '\n']).to_owned())
            .map_err(|error| {
                let mut message = format!("cannot read the SMTP password file {}: {error}", path.display());
                if error.kind() == std::io::ErrorKind::PermissionDenied {
                    message.push_str(
                        "; under systemd, leave password_file unset and let LoadCredential=smtp-password pass it",
                    );
                }
                message
            })
    };
    let non_empty = |password: String| (!password.is_empty()).then_some(password);
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let path = PathBuf::from(dir).join("smtp-password");
        if path.exists()
            && let Some(password) = non_empty(from_file(&path)?)
        {
            return Ok(Some(password));
        }
    }
    if let Some(path) = &smtp.password_file {
        return from_file(path).map(non_empty);
    }
    Ok(std::env::var("NUMKEEP_SMTP_PASSWORD")
        .ok()
        .and_then(non_empty))
}

impl Mailer {
    pub fn new(email: &EmailSettings) -> Result<Mailer, String> {
        let from: Mailbox = email
            .from
            .parse()
            .map_err(|error| format!("invalid sender address {:?}: {error}", email.from))?;
        let timeout_hint = match &email.transport {
            Transport::Smtp(smtp) => timeout_hint(smtp),
            Transport::Sendmail(_) => String::new(),
        };
        let (transport, description) = match &email.transport {
            Transport::Smtp(smtp) => (MailTransport::Smtp(smtp_transport(smtp)?), describe(smtp)),
            Transport::Sendmail(path) => (
                MailTransport::Sendmail(AsyncSendmailTransport::new_with_command(path.as_os_str())),
                format!("sendmail {}", path.display()),
            ),
        };
        Ok(Mailer {
            from,
            transport,
            description,
            timeout_hint,
        })
    }

    /// Sends one plain-text message; Ok only once the server (or sendmail) accepted it.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), SendError> {
        let build_error = |message: String| SendError {
            message,
            hint: None,
            permanent: true,
        };
        let to: Mailbox = to
            .parse()
            .map_err(|error| build_error(format!("invalid recipient {to:?}: {error}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|error| build_error(format!("cannot build the message: {error}")))?;
        match &self.transport {
            MailTransport::Smtp(transport) => {
                let timeout = smtp_timeout();
                match tokio::time::timeout(timeout, transport.send(message)).await {
                    Ok(result) => result
                        .map(drop)
                        .map_err(|error| smtp_error(&error, &self.description)),
                    Err(_) => Err(SendError {
                        message: format!(
                            "{}: no answer within {} seconds",
                            self.description,
                            timeout.as_secs()
                        ),
                        hint: Some(self.timeout_hint.clone()),
                        permanent: false,
                    }),
                }
            }
            MailTransport::Sendmail(transport) => {
                transport.send(message).await.map(drop).map_err(|error| SendError {
                    message: format!("sendmail failed: {error}"),
                    hint: Some("check that the sendmail path exists and that the local mail system is configured".into()),
                    permanent: false,
                })
            }
        }
    }
}

/// A silent server is blamed on the TLS mode only when the config shows the mismatch that
/// makes both sides wait (STARTTLS or plain to port 465, which waits for a TLS handshake).
fn timeout_hint(smtp: &SmtpSettings) -> String {
    if smtp.port == 465 && smtp.tls != TlsMode::Tls {
        "port 465 expects TLS from the first byte: set tls = \"tls\"".into()
    } else {
        "the server did not answer in time: it may be overloaded or stalled, or a firewall drops the traffic".into()
    }
}

fn describe(smtp: &SmtpSettings) -> String {
    format!("{}:{} ({})", smtp.host, smtp.port, smtp.tls.name())
}

fn smtp_transport(smtp: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match smtp.tls {
        TlsMode::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
        TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
        TlsMode::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &smtp.host,
        )),
    }
    .map_err(|error| format!("cannot set up SMTP to {}: {error}", smtp.host))?;
    let mut builder = builder.port(smtp.port).timeout(Some(smtp_timeout()));
    if let Some(user) = &smtp.user {
        let password = read_password(smtp)?.ok_or_else(|| {
            format!(
                "SMTP user {user:?} is set but no password was found: set password_file, NUMKEEP_SMTP_PASSWORD or the systemd credential smtp-password"
            )
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

fn smtp_error(error: &lettre::transport::smtp::Error, description: &str) -> SendError {
    let text = error.to_string();
    let source_text = std::error::Error::source(error)
        .map(ToString::to_string)
        .unwrap_or_default();
    let all = format!("{text} {source_text}").to_lowercase();
    let code = error.status().map(|code| code.to_string());
    let hint = if all.contains("connection refused") {
        Some(format!(
            "nothing accepts connections at {description}: check host and port"
        ))
    } else if code
        .as_deref()
        .is_some_and(|code| code.starts_with("535") || code.starts_with("534"))
        || all.contains("authentication")
    {
        Some("the server refused the login: check `user` and the password".into())
    } else if all.contains("notvalidforname")
        || all.contains("not valid for name")
        || all.contains("certificate")
    {
        Some("the server's TLS certificate does not match `host` or is not trusted: use the host name on its certificate".into())
    } else if error.is_timeout() {
        Some(format!(
            "no answer from {description} in time: check host and port, and that no firewall drops the traffic"
        ))
    } else if all.contains("corrupt message")
        || all.contains("invalid content type")
        || all.contains("received corrupt")
    {
        Some("the TLS mode may not match the port: port 465 uses tls = \"tls\", port 587 uses tls = \"starttls\"".into())
    } else if error.is_tls() || all.contains("starttls") {
        Some(
            "TLS failed: check that `tls` matches the port (465: \"tls\", 587: \"starttls\")"
                .into(),
        )
    } else {
        None
    };
    let message = match code {
        Some(_) if source_text.is_empty() => format!("{description}: {text}"),
        _ if source_text.is_empty() => format!("{description}: {text}"),
        _ => format!("{description}: {text}: {source_text}"),
    };
    SendError {
        message,
        hint,
        permanent: error.is_permanent(),
    }
}
