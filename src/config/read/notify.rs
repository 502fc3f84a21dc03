//! `[[notify]]` entries, the push channels (DESIGN.md §3, "Channels beyond email"), and the
//! check of a number's `notify = [...]` against their names.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use crate::model::{
    DEFAULT_BARK_SERVER, DEFAULT_COMMAND_TIMEOUT, DEFAULT_PUSHPLUS_SERVER, DEFAULT_TELEGRAM_API,
    NOTIFY_TYPES, NotifyChannel, NotifyKind,
};

use super::values::{FileReader, closest_match};
use super::{Value, get};

/// The keys every entry has, then each type's own.
const COMMON_KEYS: &[&str] = &["name", "type"];
fn type_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "command" => &["argv", "timeout"],
        "webhook" => &["url", "secret_file"],
        "ntfy" => &["url", "token_file"],
        "telegram" => &["bot_token_file", "chat_id", "api_base"],
        "bark" => &["device_key_file", "server"],
        "serverchan" => &["sendkey_file", "server"],
        "pushplus" => &["token_file", "server"],
        _ => &[],
    }
}

/// The longest a command may run (a day): anything longer is surely a typo.
const LONGEST_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

impl FileReader<'_> {
    /// The `notify` array of tables, each entry checked; names are unique and are not
    /// `email` or `log` (the built-in channels' names).
    pub(super) fn notify_channels(&mut self, value: &Value<'_>) -> Vec<NotifyChannel> {
        let Some(entries) = self.array_of_tables("notify", value) else {
            return Vec::new();
        };
        let mut channels: Vec<NotifyChannel> = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(table) = entry.get_ref().as_table() else {
                continue;
            };
            let Some((channel, name_span)) = self.notify_channel(table, entry.span()) else {
                continue;
            };
            if channels.iter().any(|known| known.name == channel.name) {
                self.error(
                    name_span,
                    format!(
                        "a [[notify]] entry named {:?} is defined twice",
                        channel.name
                    ),
                );
                continue;
            }
            channels.push(channel);
        }
        channels
    }

    fn notify_channel(
        &mut self,
        table: &DeTable<'_>,
        span: Range<usize>,
    ) -> Option<(NotifyChannel, Range<usize>)> {
        let errors_before = self.errors;
        let kind_text = match get(table, "type") {
            Some(value) => {
                let text = self.string("type", value)?;
                if !NOTIFY_TYPES.contains(&text.as_str()) {
                    let mut message = format!(
                        "unknown [[notify]] type {text:?}: use one of {}",
                        NOTIFY_TYPES.join(", ")
                    );
                    if let Some(close) = closest_match(&text, NOTIFY_TYPES) {
                        message =
                            format!("unknown [[notify]] type {text:?}; did you mean {close:?}?");
                    }
                    self.error(value.span(), message);
                    return None;
                }
                text
            }
            None => {
                self.error(
                    span.clone(),
                    format!(
                        "[[notify]] needs `type`: one of {}",
                        NOTIFY_TYPES.join(", ")
                    ),
                );
                return None;
            }
        };
        let allowed: Vec<&str> = COMMON_KEYS
            .iter()
            .chain(type_keys(&kind_text))
            .copied()
            .collect();
        let context = format!("a [[notify]] entry of type {kind_text:?}");
        self.check_keys(table, &allowed, &context, |_| None);
        let (name, name_span) = match get(table, "name") {
            Some(value) => (self.notify_name(value), value.span()),
            None => {
                self.error(
                    span.clone(),
                    "[[notify]] needs `name`, which a number's `notify = [...]` and the reminder keys use",
                );
                (None, span.clone())
            }
        };
        let path = |reader: &mut Self, key: &str| {
            get(table, key)
                .and_then(|value| reader.single_line_string(key, value))
                .map(PathBuf::from)
        };
        let kind = match kind_text.as_str() {
            "command" => {
                let argv = match get(table, "argv") {
                    Some(value) => {
                        let argv = self.string_array("argv", value);
                        if argv.as_ref().is_some_and(Vec::is_empty) {
                            self.error(value.span(), "`argv` needs at least the program to run");
                        }
                        argv.map(|argv| argv.into_iter().map(|(arg, _)| arg).collect())
                    }
                    None => {
                        self.error(
                            span.clone(),
                            "a [[notify]] entry of type \"command\" needs `argv`, like [\"/usr/local/bin/notify-me\", \"--quiet\"]",
                        );
                        None
                    }
                };
                let timeout = match get(table, "timeout") {
                    Some(value) => self.timeout(value),
                    None => Some(DEFAULT_COMMAND_TIMEOUT),
                };
                NotifyKind::Command {
                    argv: argv.unwrap_or_default(),
                    timeout: timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT),
                }
            }
            "webhook" => NotifyKind::Webhook {
                url: self
                    .notify_url(table, "url", None, &span)
                    .unwrap_or_default(),
                secret_file: path(self, "secret_file"),
            },
            "ntfy" => NotifyKind::Ntfy {
                url: self
                    .notify_url(table, "url", None, &span)
                    .unwrap_or_default(),
                token_file: path(self, "token_file"),
            },
            "telegram" => NotifyKind::Telegram {
                bot_token_file: path(self, "bot_token_file"),
                chat_id: match get(table, "chat_id") {
                    Some(value) => match value.get_ref() {
                        DeValue::Integer(integer) => Some(integer.as_str().to_owned()),
                        _ => self.single_line_string("chat_id", value),
                    },
                    None => {
                        self.error(
                            span.clone(),
                            "a [[notify]] entry of type \"telegram\" needs `chat_id`",
                        );
                        None
                    }
                }
                .unwrap_or_default(),
                api_base: self
                    .notify_url(table, "api_base", Some(DEFAULT_TELEGRAM_API), &span)
                    .unwrap_or_default(),
            },
            "bark" => NotifyKind::Bark {
                device_key_file: path(self, "device_key_file"),
                server: self
                    .notify_url(table, "server", Some(DEFAULT_BARK_SERVER), &span)
                    .unwrap_or_default(),
            },
            "serverchan" => NotifyKind::ServerChan {
                sendkey_file: path(self, "sendkey_file"),
                server: match get(table, "server") {
                    Some(_) => self.notify_url(table, "server", None, &span),
                    None => None,
                },
            },
            _ => NotifyKind::PushPlus {
                token_file: path(self, "token_file"),
                server: self
                    .notify_url(table, "server", Some(DEFAULT_PUSHPLUS_SERVER), &span)
                    .unwrap_or_default(),
            },
        };
        if self.errors > errors_before {
            return None;
        }
        Some((NotifyChannel { name: name?, kind }, name_span))
    }

    fn notify_name(&mut self, value: &Value<'_>) -> Option<String> {
        let name = self.single_line_string("name", value)?;
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if !valid {
            self.error(
                value.span(),
                format!("[[notify]] name {name:?}: use 1 to 64 letters, digits, `-` or `_` (it names the systemd credential notify-NAME)"),
            );
            return None;
        }
        if name == "email" || name == "log" {
            self.error(
                value.span(),
                format!("[[notify]] name {name:?} is taken by the built-in channel of that name"),
            );
            return None;
        }
        Some(name)
    }

    /// An http(s) URL at `key`, or `default`; plain http only to this machine.
    fn notify_url(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        default: Option<&str>,
        span: &Range<usize>,
    ) -> Option<String> {
        let Some(value) = get(table, key) else {
            if default.is_none() {
                self.error(
                    span.clone(),
                    format!("this [[notify]] entry needs `{key}`, an https URL"),
                );
            }
            return default.map(str::to_owned);
        };
        let url = self.single_line_string(key, value)?;
        let Some((scheme, rest)) = url.split_once("://") else {
            self.error(
                value.span(),
                format!("`{key}`: {url:?} is not a URL; write https://…"),
            );
            return None;
        };
        let host = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .rsplit('@')
            .next()
            .unwrap_or("");
        let host_only = match host.strip_prefix('[') {
            Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
            None => host.split(':').next().unwrap_or(""),
        };
        if host_only.is_empty() {
            self.error(value.span(), format!("`{key}`: {url:?} names no host"));
            return None;
        }
        match scheme {
            "https" => Some(url),
            "http" if super::sections::is_loopback_host(host_only) => Some(url),
            "http" => {
                self.error(
                    value.span(),
                    format!("`{key}`: plain http sends reminders and tokens in clear text; it is allowed only to this machine (localhost, 127.0.0.1, ::1), not to {host_only:?}: use https"),
                );
                None
            }
            _ => {
                self.error(
                    value.span(),
                    format!("`{key}`: {url:?} must start with https://"),
                );
                None
            }
        }
    }

    /// A command's timeout: `"30s"`, `"2m"`, or whole seconds.
    fn timeout(&mut self, value: &Value<'_>) -> Option<Duration> {
        let seconds = match value.get_ref() {
            DeValue::Integer(integer) => {
                u64::from_str_radix(integer.as_str(), integer.radix()).ok()
            }
            DeValue::String(text) => parse_seconds(text),
            other => {
                self.type_error("timeout", value.span(), "a duration like \"30s\"", other);
                return None;
            }
        };
        match seconds.map(Duration::from_secs) {
            Some(timeout) if !timeout.is_zero() && timeout <= LONGEST_TIMEOUT => Some(timeout),
            _ => {
                self.error(
                    value.span(),
                    "`timeout` must be a duration from 1s to 24h, like \"30s\" or \"2m\"",
                );
                None
            }
        }
    }

    /// A number's `notify = [...]`: names of `[[notify]]` entries or `email`.
    pub(super) fn number_notify(
        &mut self,
        value: &Value<'_>,
        known: &[NotifyChannel],
        has_email: bool,
    ) -> Option<Vec<String>> {
        let names = self.string_array("notify", value)?;
        let mut candidates: Vec<&str> = known.iter().map(|channel| channel.name.as_str()).collect();
        candidates.push("email");
        let mut ok = true;
        for (name, span) in &names {
            let exists = if name == "email" {
                has_email
            } else {
                known.iter().any(|channel| channel.name == *name)
            };
            if !exists {
                ok = false;
                let mut message = if name == "email" {
                    "`notify` names `email`, but the config has no [email] section".to_owned()
                } else {
                    format!("`notify` names {name:?}, which is not the name of a [[notify]] entry")
                };
                if name != "email"
                    && let Some(close) = closest_match(name, &candidates)
                {
                    message.push_str(&format!("; did you mean {close:?}?"));
                }
                self.error(span.clone(), message);
            }
        }
        ok.then(|| names.into_iter().map(|(name, _)| name).collect())
    }
}

fn parse_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, factor) = if let Some(digits) = text.strip_suffix('s') {
        (digits, 1)
    } else if let Some(digits) = text.strip_suffix('m') {
        (digits, 60)
    } else if let Some(digits) = text.strip_suffix('h') {
        (digits, 3600)
    } else {
        (text, 1)
    };
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;

    #[test]
    fn timeouts_read_seconds_minutes_and_hours() {
        assert_eq!(parse_seconds("30s"), Some(30));
        assert_eq!(parse_seconds("2m"), Some(120));
        assert_eq!(parse_seconds("1h"), Some(3600));
        assert_eq!(parse_seconds("45"), Some(45));
        assert_eq!(parse_seconds("3d"), None);
        assert_eq!(parse_seconds("s"), None);
    }
}
