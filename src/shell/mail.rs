//! Sending email through lettre: SMTP over rustls (STARTTLS, implicit TLS, or plain to a
//! loopback relay) or the local sendmail program. The SMTP password is read here and never
//! logged or printed.

use std::hash::BuildHasher as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lettre::message::header::{self, ContentType};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSendmailTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::model::{EmailSettings, SmtpSettings, TlsMode, Transport};

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
}

enum MailTransport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// For hints: what the user configured.
        tls: TlsMode,
        port: u16,
    },
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

impl std::error::Error for SendError {}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Why the mailer could not be set up: an invalid sender, an unreadable password file…
#[derive(Debug, Clone)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

/// Where the SMTP password comes from, in order: the systemd credential `smtp-password`
/// (what the service unit loads, readable only by the service), `password_file`, the
/// environment variable `NUMKEEP_SMTP_PASSWORD`. An empty value counts as none.
fn read_password(smtp: &SmtpSettings) -> Result<Option<String>, SetupError> {
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
                SetupError(message)
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
    pub fn new(email: &EmailSettings) -> Result<Mailer, SetupError> {
        let from: Mailbox = email.from.parse().map_err(|error| {
            SetupError(format!("invalid sender address {:?}: {error}", email.from))
        })?;
        let (transport, description) = match &email.transport {
            Transport::Smtp(smtp) => (
                MailTransport::Smtp {
                    transport: smtp_transport(smtp)?,
                    tls: smtp.tls,
                    port: smtp.port,
                },
                describe(smtp),
            ),
            Transport::Sendmail(path) => (
                MailTransport::Sendmail(AsyncSendmailTransport::new_with_command(path.as_os_str())),
                format!("sendmail {}", path.display()),
            ),
        };
        Ok(Mailer {
            from,
            transport,
            description,
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
        // lettre adds `MIME-Version` only to multipart builds, and a `Message-ID` on this
        // machine's host name only when asked; large providers reject or spam-fold mail
        // without them, whatever the transport.
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(new_message_id(self.from.email.domain()))
            .header(header::MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|error| build_error(format!("cannot build the message: {error}")))?;
        match &self.transport {
            MailTransport::Smtp { transport, tls, port } => {
                let timeout = smtp_timeout();
                match tokio::time::timeout(timeout, transport.send(message)).await {
                    Ok(result) => result.map(drop).map_err(|error| {
                        let problem = SmtpProblem::of(&error);
                        SendError {
                            message: format!("{}: {}", self.description, problem.text),
                            hint: smtp_hint(&problem, *tls, *port, &self.description),
                            permanent: error.is_permanent(),
                        }
                    }),
                    Err(_) => {
                        let problem = SmtpProblem {
                            text: format!("no answer within {} seconds", timeout.as_secs()),
                            code: None,
                            timeout: true,
                        };
                        Err(SendError {
                            message: format!("{}: {}", self.description, problem.text),
                            hint: smtp_hint(&problem, *tls, *port, &self.description),
                            permanent: false,
                        })
                    }
                }
            }
            MailTransport::Sendmail(transport) => {
                transport.send(message).await.map(drop).map_err(|error| SendError {
                    message: format!("{}: {}", self.description, error_text(&error)),
                    hint: Some("check that the sendmail path exists and that the local mail system is configured".into()),
                    permanent: false,
                })
            }
        }
    }
}

fn describe(smtp: &SmtpSettings) -> String {
    format!("{}:{} ({})", smtp.host, smtp.port, smtp.tls.name())
}

fn smtp_transport(smtp: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, SetupError> {
    let builder = match smtp.tls {
        TlsMode::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
        TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
        TlsMode::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &smtp.host,
        )),
    }
    .map_err(|error| SetupError(format!("cannot set up SMTP to {}: {error}", smtp.host)))?;
    let mut builder = builder.port(smtp.port).timeout(Some(smtp_timeout()));
    if let Some(user) = &smtp.user {
        let password = read_password(smtp)?.ok_or_else(|| {
            SetupError(format!(
                "SMTP user {user:?} is set but no password was found: set password_file, NUMKEEP_SMTP_PASSWORD or the systemd credential smtp-password"
            ))
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// A fresh `Message-ID` on the sender's domain (RFC 5322 section 3.6.4):
/// `<random.numkeep@domain>`. lettre's own uses this machine's host name, which is often
/// not a public name and ties the id to no domain the sender answers for.
fn new_message_id(domain: &str) -> Option<String> {
    static SENT: AtomicU64 = AtomicU64::new(0);
    // A non-ASCII (internationalised) domain cannot stand in a header as is: lettre's
    // default then applies.
    if !domain.is_ascii() {
        return None;
    }
    // std's RandomState is keyed from the system's randomness: 128 unpredictable bits with
    // no random-number crate and no clock. The counter and the process id keep one
    // machine's ids apart even if the keys were not random.
    let count = SENT.fetch_add(1, Ordering::Relaxed);
    let keys = std::collections::hash_map::RandomState::new();
    let random = [0u8, 1].map(|half| keys.hash_one((half, count, std::process::id())));
    Some(message_id_on(domain, random))
}

fn message_id_on(domain: &str, [high, low]: [u64; 2]) -> String {
    format!("<{high:016x}{low:016x}.numkeep@{domain}>")
}

/// An error and its sources as one line, each text once: lettre's errors already print
/// their source, and an `io::Error` often prints the error it wraps, so chaining every
/// source blindly repeated them ("Connection error: Connection refused: Connection refused").
fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// What an SMTP failure said, as the hints need it.
struct SmtpProblem {
    /// The error and its causes, once each.
    text: String,
    /// The server's reply code, if it answered with one.
    code: Option<String>,
    /// No answer in time: a stalled server or network, not a wrong setting.
    timeout: bool,
}

impl SmtpProblem {
    fn of(error: &lettre::transport::smtp::Error) -> SmtpProblem {
        SmtpProblem {
            text: error_text(error),
            code: error.status().map(|code| code.to_string()),
            timeout: error.is_timeout(),
        }
    }
}

/// A hint for the usual causes of an SMTP failure, from the error's words and the settings.
/// Pure, so that every case is unit-tested without a server.
fn smtp_hint(problem: &SmtpProblem, tls: TlsMode, port: u16, description: &str) -> Option<String> {
    let all = problem.text.to_lowercase();
    let code = problem.code.as_deref().unwrap_or("");
    // The port's usual mode, when it has one and it is not the configured one.
    let usual_mode = [
        (465, TlsMode::Tls),
        (587, TlsMode::StartTls),
        (25, TlsMode::None),
    ]
    .into_iter()
    .find(|(usual_port, mode)| *usual_port == port && *mode != tls)
    .map(|(_, mode)| mode);
    let mode_for_port = usual_mode.map(|mode| {
        format!(
            "port {port} usually takes tls = \"{}\", not \"{}\"",
            mode.name(),
            tls.name()
        )
    });
    if all.contains("connection refused") {
        return Some(format!(
            "nothing accepts connections at {description}: check host and port"
        ));
    }
    if problem.timeout {
        let mut hint = "the server did not answer in time: it may be overloaded, or a firewall drops the connection; the message is retried later".to_owned();
        // A mode that does not match the port also hangs (each side waits for the other),
        // but only a port that says which mode it wants makes that the likely cause.
        if let Some(mode_for_port) = mode_for_port {
            hint = format!("{mode_for_port}: each side waits for the other to start");
        }
        return Some(hint);
    }
    if all.contains("no compatible authentication mechanism") {
        return Some(match tls {
            // Servers offer AUTH only on an encrypted connection: a plain session to a
            // submission port sees no login at all.
            TlsMode::None => "the server offers login only after STARTTLS: set tls = \"starttls\" (and use port 587) rather than sending the password in the clear".into(),
            TlsMode::StartTls | TlsMode::Tls => "the server offers no login method numkeep can use (PLAIN or LOGIN): check `user`, or leave it unset if the server needs no login".into(),
        });
    }
    if code.starts_with("535") || code.starts_with("534") || all.contains("authentication") {
        return Some("the server refused the login: check `user` and the password".into());
    }
    if all.contains("caused as end entity") || all.contains("causedasendentity") {
        return Some("the server presents a CA certificate as its own: its administrator must install a server certificate issued by that CA (basicConstraints CA:FALSE); the host name is not the problem".into());
    }
    if all.contains("notvalidforname") || all.contains("not valid for name") {
        return Some("the server's TLS certificate is for another name: set `host` to a name on its certificate".into());
    }
    if all.contains("certificate") {
        return Some("the server's TLS certificate does not match `host` or is not trusted: use the host name on its certificate".into());
    }
    if all.contains("corrupt message")
        || all.contains("invalid content type")
        || all.contains("received corrupt")
        || all.contains("starttls")
        || all.contains("tls")
    {
        return Some(mode_for_port.unwrap_or_else(|| {
            "TLS failed: check that `tls` matches the port (465: \"tls\", 587: \"starttls\")".into()
        }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str, code: Option<&str>, timeout: bool) -> SmtpProblem {
        SmtpProblem {
            text: text.into(),
            code: code.map(Into::into),
            timeout,
        }
    }

    #[test]
    fn hints_name_the_real_cause() {
        let at = "mail.example.org:587 (starttls)";
        // (error text, reply code, timed out, tls, port) → the start of the hint.
        type Case = (
            &'static str,
            Option<&'static str>,
            bool,
            TlsMode,
            u16,
            &'static str,
        );
        let cases: [Case; 11] = [
            (
                "Connection error: Connection refused (os error 111)",
                None,
                false,
                TlsMode::StartTls,
                587,
                "nothing accepts connections at mail.example.org:587",
            ),
            (
                "no answer within 30 seconds",
                None,
                true,
                TlsMode::StartTls,
                587,
                "the server did not answer in time",
            ),
            (
                "network error: timed out",
                None,
                true,
                TlsMode::Tls,
                2465,
                "the server did not answer in time",
            ),
            (
                "no answer within 30 seconds",
                None,
                true,
                TlsMode::StartTls,
                465,
                "port 465 usually takes tls = \"tls\", not \"starttls\"",
            ),
            (
                "internal client error: No compatible authentication mechanism was found",
                None,
                false,
                TlsMode::None,
                587,
                "the server offers login only after STARTTLS: set tls = \"starttls\"",
            ),
            (
                "internal client error: No compatible authentication mechanism was found",
                None,
                false,
                TlsMode::StartTls,
                587,
                "the server offers no login method",
            ),
            (
                "permanent error (535): 5.7.8 authentication failed",
                Some("535"),
                false,
                TlsMode::StartTls,
                587,
                "the server refused the login",
            ),
            (
                "tls error: invalid peer certificate: CaUsedAsEndEntity",
                None,
                false,
                TlsMode::StartTls,
                587,
                "the server presents a CA certificate as its own",
            ),
            (
                "tls error: invalid peer certificate: certificate not valid for name \"mx\"",
                None,
                false,
                TlsMode::Tls,
                465,
                "the server's TLS certificate is for another name",
            ),
            (
                "tls error: invalid peer certificate: UnknownIssuer",
                None,
                false,
                TlsMode::Tls,
                465,
                "the server's TLS certificate does not match `host` or is not trusted",
            ),
            (
                "tls error: received corrupt message of type InvalidContentType",
                None,
                false,
                TlsMode::Tls,
                587,
                "port 587 usually takes tls = \"starttls\", not \"tls\"",
            ),
        ];
        for (text, code, timeout, tls, port, expected) in cases {
            let hint = smtp_hint(&problem(text, code, timeout), tls, port, at).unwrap_or_default();
            assert!(hint.starts_with(expected), "{text}: {hint}");
        }
        // A timeout never blames the mode when the port does not say which one it wants.
        let hint = smtp_hint(
            &problem("no answer", None, true),
            TlsMode::StartTls,
            2525,
            at,
        );
        assert!(!hint.unwrap_or_default().contains("tls"));
        assert_eq!(
            smtp_hint(
                &problem("permanent error (550): no such user", Some("550"), false),
                TlsMode::StartTls,
                587,
                at
            ),
            None
        );
    }

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|layer| layer as _)
        }
    }

    #[test]
    fn each_cause_is_printed_once() {
        let refused = Layer("Connection refused (os error 111)", None);
        let error = Layer(
            "Connection error: Connection refused (os error 111)",
            Some(Box::new(refused)),
        );
        assert_eq!(
            error_text(&error),
            "Connection error: Connection refused (os error 111)"
        );
        let deeper = Layer("tls error", Some(Box::new(Layer("bad record", None))));
        assert_eq!(error_text(&deeper), "tls error: bad record");
    }

    #[test]
    fn message_ids_are_on_the_senders_domain_and_unique() {
        assert_eq!(
            message_id_on("example.org", [0x1f, 0xab]),
            "<000000000000001f00000000000000ab.numkeep@example.org>"
        );
        let first = new_message_id("example.org").unwrap_or_default();
        let second = new_message_id("example.org").unwrap_or_default();
        assert!(first.ends_with(".numkeep@example.org>"), "{first}");
        assert_ne!(first, second);
        assert_eq!(new_message_id("bücher.example"), None);
    }
}
