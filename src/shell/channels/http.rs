//! The `[[notify]]` channels that speak HTTP: webhook, ntfy, telegram, bark, serverchan and
//! pushplus. Each request is built here, sent by ureq (blocking, on tokio's blocking pool,
//! bounded by a timeout) over rustls with ring and the system's CA certificates, and judged
//! by the service's own success signal: a 2xx and, where the API has one, its success field
//! (Telegram `ok`, ServerChan `code = 0`, PushPlus `code = 200`, Bark `code = 200`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use ring::{digest, hmac};

use crate::model::NotifyKind;
use crate::render::push::{self, Urgency};

use super::{Message, Secret, SendFailure, Sent};

/// How long one HTTP request may take, connecting included.
pub fn http_timeout() -> Duration {
    std::env::var("NUMKEEP_HTTP_TIMEOUT_SECS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .map_or(Duration::from_secs(30), Duration::from_secs)
}

/// One request: always a POST of JSON.
#[derive(Debug)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// The service's own success field, checked in a 2xx answer's JSON.
    pub success: Success,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Success {
    /// Any 2xx.
    Status,
    /// `"ok": true` (Telegram).
    OkTrue,
    /// `"code"` equal to this (ServerChan 0, PushPlus and Bark 200).
    Code(i64),
}

pub async fn send(kind: &NotifyKind, secret: Option<&Secret>, message: &Message<'_>) -> Sent {
    let request = match build(kind, secret.map(Secret::expose), message, &timestamp_now()) {
        Ok(request) => request,
        Err(failure) => return Sent::FailedPermanent(failure),
    };
    let timeout = http_timeout();
    let success = request.success;
    let call = tokio::task::spawn_blocking(move || post(&request, timeout));
    // ureq's own timeout bounds the call; this one bounds the wait for a blocking thread too.
    let answer = match tokio::time::timeout(timeout + Duration::from_secs(5), call).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => Err(format!("the request's thread failed: {error}")),
        Err(_) => Err(format!("no answer within {} seconds", timeout.as_secs())),
    };
    judge(answer, success)
}

fn timestamp_now() -> String {
    crate::shell::clock::now().as_second().to_string()
}

/// Builds the request for `kind`. `timestamp` is the real clock's Unix time (a webhook's
/// `webhook-timestamp`, whatever `--at` says).
pub fn build(
    kind: &NotifyKind,
    secret: Option<&str>,
    message: &Message<'_>,
    timestamp: &str,
) -> Result<Request, SendFailure> {
    let digest_message = message.digest();
    let title = digest_message.subject.clone();
    let body = message.push_body();
    let high = push::urgency(message.alerts) == Urgency::High;
    let json_header = ("Content-Type", "application/json".to_owned());
    let request = match kind {
        NotifyKind::Webhook { url, .. } => {
            let payload = message.payload();
            let mut headers = vec![json_header];
            if let Some(secret) = secret {
                let id = webhook_id(&payload.keys, timestamp);
                let signature = sign(secret, &id, timestamp, &payload.json)?;
                headers.push(("webhook-id", id));
                headers.push(("webhook-timestamp", timestamp.to_owned()));
                headers.push(("webhook-signature", signature));
            }
            Request {
                url: url.clone(),
                headers,
                body: payload.json,
                success: Success::Status,
            }
        }
        NotifyKind::Ntfy { url, .. } => {
            let (root, topic) = ntfy_root_and_topic(url).ok_or_else(|| SendFailure {
                message: format!("the ntfy url {url:?} names no topic"),
                hint: Some("write the topic URL, like https://ntfy.sh/numkeep-8c1f2d".into()),
            })?;
            let mut headers = vec![json_header];
            if let Some(token) = secret {
                headers.push(("Authorization", format!("Bearer {token}")));
            }
            let body = serde_json::json!({
                "topic": topic,
                "title": title,
                "message": body,
                "priority": if high { 4 } else { 3 },
                "tags": [if high { "rotating_light" } else { "phone" }],
            });
            Request {
                url: root,
                headers,
                body: body.to_string(),
                success: Success::Status,
            }
        }
        NotifyKind::Telegram {
            chat_id, api_base, ..
        } => {
            let token = secret.unwrap_or_default();
            let body = serde_json::json!({
                "chat_id": chat_id,
                "text": format!("{title}\n\n{body}"),
                "disable_web_page_preview": true,
                "disable_notification": !high,
            });
            Request {
                url: format!("{}/bot{token}/sendMessage", api_base.trim_end_matches('/')),
                headers: vec![json_header],
                body: body.to_string(),
                success: Success::OkTrue,
            }
        }
        NotifyKind::Bark { server, .. } => {
            let body = serde_json::json!({
                "device_key": secret.unwrap_or_default(),
                "title": title,
                "body": body,
                "group": "numkeep",
                "level": if high { "timeSensitive" } else { "active" },
            });
            Request {
                url: format!("{}/push", server.trim_end_matches('/')),
                headers: vec![json_header],
                body: body.to_string(),
                success: Success::Code(200),
            }
        }
        NotifyKind::ServerChan { server, .. } => {
            let key = secret.unwrap_or_default();
            let body = serde_json::json!({ "title": title, "desp": body });
            Request {
                url: serverchan_url(key, server.as_deref()).ok_or_else(|| SendFailure {
                    message: "the ServerChan SendKey is neither SCT… nor sctp{uid}t…".into(),
                    hint: Some("copy the SendKey from the ServerChan site as it is".into()),
                })?,
                headers: vec![json_header],
                body: body.to_string(),
                success: Success::Code(0),
            }
        }
        NotifyKind::PushPlus { server, .. } => {
            let body = serde_json::json!({
                "token": secret.unwrap_or_default(),
                "title": title,
                "content": body,
                "template": "txt",
            });
            Request {
                url: format!("{}/send", server.trim_end_matches('/')),
                headers: vec![json_header],
                body: body.to_string(),
                success: Success::Code(200),
            }
        }
        NotifyKind::Command { .. } => unreachable!("commands are not sent over HTTP"),
    };
    Ok(request)
}

/// The Standard Webhooks message id: the same reminders give the same id, so a receiver can
/// drop a retry it already processed. A test message (no keys) gets one per send.
pub fn webhook_id(keys: &[String], timestamp: &str) -> String {
    let text = if keys.is_empty() {
        format!("test|{timestamp}")
    } else {
        push::key_text(keys)
    };
    let hash = digest::digest(&digest::SHA256, text.as_bytes());
    let hex: String = hash.as_ref()[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("msg_{hex}")
}

/// `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed by the secret (after a
/// `whsec_` prefix, the base64 of the key; else its bytes).
pub fn sign(secret: &str, id: &str, timestamp: &str, body: &str) -> Result<String, SendFailure> {
    let key = match secret.strip_prefix("whsec_") {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| SendFailure {
                message: "the webhook secret starts with whsec_ but the rest is not base64".into(),
                hint: Some("paste the secret exactly as the receiver shows it".into()),
            })?,
        None => secret.as_bytes().to_vec(),
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    ))
}

/// ntfy's server root and topic from a topic URL: `https://ntfy.sh/numkeep` →
/// (`https://ntfy.sh/`, `numkeep`); a server under a path keeps it.
pub fn ntfy_root_and_topic(url: &str) -> Option<(String, String)> {
    let url = url.trim_end_matches('/');
    let (scheme, rest) = url.split_once("://")?;
    let (before, topic) = rest.rsplit_once('/')?;
    if topic.is_empty() || before.is_empty() {
        return None;
    }
    Some((format!("{scheme}://{before}/"), topic.to_owned()))
}

/// ServerChan's URL from its key: `SCT…` → sctapi.ftqq.com; `sctp{uid}t…` → {uid}.push.ft07.com.
/// A configured `server` (a relay) replaces the host part.
pub fn serverchan_url(key: &str, server: Option<&str>) -> Option<String> {
    if let Some(server) = server {
        return Some(format!("{}/{key}.send", server.trim_end_matches('/')));
    }
    if let Some(rest) = key.strip_prefix("sctp") {
        let uid: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if uid.is_empty() || !rest[uid.len()..].starts_with('t') {
            return None;
        }
        return Some(format!("https://{uid}.push.ft07.com/send/{key}.send"));
    }
    key.starts_with("SCT")
        .then(|| format!("https://sctapi.ftqq.com/{key}.send"))
}

/// The agent all channels share: rustls with ring, the system's CA certificates, no
/// redirects (a push API that redirects is misconfigured), HTTP errors as answers.
fn agent(timeout: Duration) -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        let roots: Vec<ureq::tls::Certificate<'static>> = rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("numkeep/", env!("CARGO_PKG_VERSION")))
            .build()
            .into()
    })
}

/// Sends a request and returns the status and (at most 64 KiB of) the answer's text.
fn post(request: &Request, timeout: Duration) -> Result<(u16, String), String> {
    let mut call = agent(timeout).post(&request.url);
    for (name, value) in &request.headers {
        call = call.header(*name, value);
    }
    let mut response = call
        .send(request.body.as_bytes())
        .map_err(|error| error_text(&error))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    Ok((status, text))
}

fn error_text(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => "no answer in time".to_owned(),
        other => other.to_string(),
    }
}

/// What an answer means: delivered, worth retrying, or refused.
pub fn judge(answer: Result<(u16, String), String>, success: Success) -> Sent {
    let (status, text) = match answer {
        Ok(answer) => answer,
        Err(error) => {
            return Sent::FailedTransient(SendFailure {
                message: error,
                hint: Some("check that this machine reaches the service (DNS, firewall, proxy) and that the URL is right".into()),
            });
        }
    };
    let excerpt: String = text
        .chars()
        .take(200)
        .collect::<String>()
        .replace(['\r', '\n'], " ");
    if !(200..300).contains(&status) {
        let failure = SendFailure {
            message: format!("HTTP {status}: {excerpt}")
                .trim_end_matches([':', ' '])
                .to_owned(),
            hint: Some(status_hint(status).into()),
        };
        return if status >= 500 || status == 408 || status == 429 {
            Sent::FailedTransient(failure)
        } else {
            Sent::FailedPermanent(failure)
        };
    }
    let json: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    let ok = match success {
        Success::Status => true,
        Success::OkTrue => {
            json.as_ref()
                .and_then(|value| value.get("ok"))
                .and_then(serde_json::Value::as_bool)
                == Some(true)
        }
        Success::Code(code) => {
            json.as_ref()
                .and_then(|value| value.get("code"))
                .and_then(serde_json::Value::as_i64)
                == Some(code)
        }
    };
    if ok {
        Sent::Delivered
    } else {
        Sent::FailedPermanent(SendFailure {
            message: format!("HTTP {status} but the service reported a failure: {excerpt}"),
            hint: Some("the service refused the message: check the token or key and the chat or device it names".into()),
        })
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => "the service refused the credentials: check the token, key or secret",
        404 => "the URL is wrong, or the token or key in it is",
        413 => "the message is too long for the service",
        429 => "the service limits how often it is called; numkeep retries later",
        500..=599 => "the service has a problem of its own; numkeep retries later",
        _ => "the service refused the request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntfy_topic_urls_split_into_root_and_topic() {
        assert_eq!(
            ntfy_root_and_topic("https://ntfy.sh/numkeep-8c1f2d"),
            Some(("https://ntfy.sh/".into(), "numkeep-8c1f2d".into()))
        );
        assert_eq!(
            ntfy_root_and_topic("http://127.0.0.1:8080/ntfy/alerts/"),
            Some(("http://127.0.0.1:8080/ntfy/".into(), "alerts".into()))
        );
        assert_eq!(ntfy_root_and_topic("https://ntfy.sh"), None);
    }

    #[test]
    fn serverchan_keys_choose_the_url() {
        assert_eq!(
            serverchan_url("SCT123abc", None).as_deref(),
            Some("https://sctapi.ftqq.com/SCT123abc.send")
        );
        assert_eq!(
            serverchan_url("sctp42tXYZ", None).as_deref(),
            Some("https://42.push.ft07.com/send/sctp42tXYZ.send")
        );
        assert_eq!(serverchan_url("nope", None), None);
    }

    #[test]
    fn webhook_ids_follow_the_keys_not_their_order() {
        let keys = |list: &[&str]| list.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
        let a = webhook_id(&keys(&["b", "a"]), "1");
        assert_eq!(a, webhook_id(&keys(&["a", "b"]), "2"));
        assert_ne!(a, webhook_id(&keys(&["a", "c"]), "1"));
        assert!(a.starts_with("msg_") && a.len() == 4 + 32);
    }

    #[test]
    fn answers_are_judged_by_the_services_own_signal() {
        let delivered = |sent: Sent| matches!(sent, Sent::Delivered);
        let ok = |status, text: &str| Ok((status, text.to_owned()));
        assert!(delivered(judge(ok(200, ""), Success::Status)));
        assert!(delivered(judge(ok(200, r#"{"ok":true}"#), Success::OkTrue)));
        assert!(!delivered(judge(
            ok(200, r#"{"ok":false}"#),
            Success::OkTrue
        )));
        assert!(delivered(judge(ok(200, r#"{"code":0}"#), Success::Code(0))));
        assert!(!delivered(judge(
            ok(200, r#"{"code":40001}"#),
            Success::Code(0)
        )));
        assert!(matches!(
            judge(ok(503, ""), Success::Status),
            Sent::FailedTransient(_)
        ));
        assert!(matches!(
            judge(ok(401, ""), Success::Status),
            Sent::FailedPermanent(_)
        ));
        assert!(matches!(
            judge(Err("refused".into()), Success::Status),
            Sent::FailedTransient(_)
        ));
    }
}
