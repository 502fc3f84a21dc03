//! The main file's sections: `[settings]` and `[email]` (with `[email.smtp]`).

use std::path::PathBuf;

use toml::de::DeValue;

use crate::model::period::Period;
use crate::model::{
    EmailSettings, InvalidText, Language, Schedule, Settings, SmtpSettings, TlsMode, Transport,
};

use super::values::{FileReader, ZoneCache};
use super::{ReadContext, Value, get};

const DEFAULT_CHECK_AT: &str = "0 9 * * *";
const DEFAULT_REMIND_BEFORE: [Period; 5] = [
    Period::days(30),
    Period::days(7),
    Period::days(3),
    Period::days(1),
    Period::days(0),
];

pub(super) const SETTINGS_KEYS: &[&str] = &[
    "timezone",
    "check_at",
    "remind_before",
    "language",
    "state_dir",
    "retire_checklist",
];
const EMAIL_KEYS: &[&str] = &["from", "to", "smtp", "sendmail"];
const SMTP_KEYS: &[&str] = &["host", "port", "tls", "user", "password_file"];
impl FileReader<'_> {
    pub(super) fn settings(
        &mut self,
        value: Option<&Value<'_>>,
        context: &ReadContext,
        zones: &mut ZoneCache,
    ) -> Settings {
        let mut settings = Settings {
            timezone: context.system_zone.clone(),
            check_at: default_schedule(),
            remind_before: DEFAULT_REMIND_BEFORE.to_vec(),
            language: Language::English,
            state_dir: None,
            retire_checklist: None,
        };
        let Some(table) = value.and_then(|value| self.table("settings", value)) else {
            return settings;
        };
        self.check_keys(table, SETTINGS_KEYS, "[settings]", |_| None);
        for (key, value) in table {
            match key.get_ref().as_ref() {
                "timezone" => {
                    if let Some(zone) = self.zone("timezone", value, zones) {
                        settings.timezone = zone;
                    }
                }
                "check_at" => {
                    if let Some(schedule) = self.schedule(value) {
                        settings.check_at = schedule;
                    }
                }
                "remind_before" => {
                    if let Some(periods) = self.periods("remind_before", value) {
                        settings.remind_before = periods;
                    }
                }
                "language" => {
                    if let Some(language) = self.language(value) {
                        settings.language = language;
                    }
                }
                "retire_checklist" => {
                    settings.retire_checklist = self
                        .string_array("retire_checklist", value)
                        .map(|items| items.into_iter().map(|(item, _)| item).collect());
                }
                "state_dir" => {
                    settings.state_dir = self
                        .single_line_string("state_dir", value)
                        .map(PathBuf::from);
                }
                _ => {}
            }
        }
        settings
    }

    pub(super) fn schedule(&mut self, value: &Value<'_>) -> Option<Schedule> {
        let text = self.string("check_at", value)?;
        match parse_schedule(&text) {
            Ok(schedule) => Some(schedule),
            Err(message) => {
                self.error(value.span(), message.0);
                None
            }
        }
    }

    pub(super) fn language(&mut self, value: &Value<'_>) -> Option<Language> {
        let text = self.string("language", value)?;
        match text.as_str() {
            "en" => Some(Language::English),
            "zh-CN" | "zh-cn" | "zh" => Some(Language::SimplifiedChinese),
            _ => {
                self.error(
                    value.span(),
                    format!("unknown language {text:?}: use \"en\" or \"zh-CN\""),
                );
                None
            }
        }
    }

    pub(super) fn email(&mut self, value: &Value<'_>) -> Option<EmailSettings> {
        let table = self.table("email", value)?;
        self.check_keys(table, EMAIL_KEYS, "[email]", |_| None);
        let from = match get(table, "from") {
            Some(value) => self.mailbox("from", value),
            None => {
                self.error(value.span(), "[email] needs `from`, the sender address");
                None
            }
        };
        let to = match get(table, "to") {
            Some(value) => self.mailboxes("to", value),
            None => {
                self.error(
                    value.span(),
                    "[email] needs `to`, a list of recipient addresses",
                );
                None
            }
        };
        let transport = match (get(table, "smtp"), get(table, "sendmail")) {
            (Some(_), Some(sendmail)) => {
                self.error(
                    sendmail.span(),
                    "[email] takes either `smtp` or `sendmail`, not both",
                );
                None
            }
            (Some(smtp), None) => self.smtp(smtp).map(Transport::Smtp),
            (None, Some(sendmail)) => self
                .single_line_string("sendmail", sendmail)
                .map(|path| Transport::Sendmail(PathBuf::from(path))),
            (None, None) => {
                self.error(
                    value.span(),
                    "[email] needs a transport: an [email.smtp] table or `sendmail = \"/usr/sbin/sendmail\"`",
                );
                None
            }
        };
        Some(EmailSettings {
            from: from?,
            to: to?,
            transport: transport?,
        })
    }

    pub(super) fn mailbox(&mut self, key: &str, value: &Value<'_>) -> Option<String> {
        let text = self.single_line_string(key, value)?;
        if text.parse::<lettre::message::Mailbox>().is_err() {
            self.error(
                value.span(),
                format!("`{key}`: {text:?} is not a valid email address"),
            );
            return None;
        }
        Some(text)
    }

    pub(super) fn mailboxes(&mut self, key: &str, value: &Value<'_>) -> Option<Vec<String>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(
                key,
                value.span(),
                "an array of email addresses",
                value.get_ref(),
            );
            return None;
        };
        let mut addresses = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match self.mailbox(key, item) {
                Some(address) => addresses.push(address),
                None => ok = false,
            }
        }
        ok.then_some(addresses)
    }

    pub(super) fn smtp(&mut self, value: &Value<'_>) -> Option<SmtpSettings> {
        let table = self.table("smtp", value)?;
        self.check_keys(table, SMTP_KEYS, "[email.smtp]", |_| None);
        let host = match get(table, "host") {
            Some(host) => self.single_line_string("host", host),
            None => {
                self.error(value.span(), "[email.smtp] needs `host`");
                None
            }
        };
        let tls = match get(table, "tls") {
            None => Some(TlsMode::StartTls),
            Some(tls) => match self.string("tls", tls)?.as_str() {
                "starttls" => Some(TlsMode::StartTls),
                "tls" => Some(TlsMode::Tls),
                "none" => Some(TlsMode::None),
                other => {
                    self.error(
                        tls.span(),
                        format!(
                            "unknown tls mode {other:?}: use \"starttls\", \"tls\" or \"none\""
                        ),
                    );
                    None
                }
            },
        };
        let port = match get(table, "port") {
            None => tls.map(TlsMode::default_port),
            Some(port) => match port.get_ref() {
                DeValue::Integer(integer) => {
                    let parsed = u16::from_str_radix(integer.as_str(), integer.radix())
                        .ok()
                        .filter(|port| *port != 0);
                    if parsed.is_none() {
                        self.error(port.span(), "`port` must be between 1 and 65535");
                    }
                    parsed
                }
                other => {
                    self.type_error("port", port.span(), "a port number", other);
                    None
                }
            },
        };
        let user = get(table, "user").and_then(|user| self.single_line_string("user", user));
        let password_file = get(table, "password_file")
            .and_then(|path| self.single_line_string("password_file", path))
            .map(PathBuf::from);
        let (host, tls, port) = (host?, tls?, port?);
        if tls == TlsMode::None
            && !is_loopback_host(&host)
            && let Some(tls_value) = get(table, "tls")
        {
            self.error(
                tls_value.span(),
                format!(
                    "tls = \"none\" sends mail and passwords in clear text; it is allowed only to a relay on this machine (localhost, 127.0.0.1, ::1), not to {host:?}"
                ),
            );
            return None;
        }
        Some(SmtpSettings {
            host,
            port,
            tls,
            user,
            password_file,
        })
    }
}

fn default_schedule() -> Schedule {
    parse_schedule(DEFAULT_CHECK_AT).unwrap_or_else(|_| unreachable!("the default schedule parses"))
}

/// Parses a standard 5-field crontab line (or `@daily` and friends).
pub fn parse_schedule(text: &str) -> Result<Schedule, InvalidText> {
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build();
    match parser.parse(text) {
        Ok(cron) => Ok(Schedule {
            text: text.to_owned(),
            cron,
        }),
        Err(error) => Err(format!(
            "invalid cron line {text:?} for `check_at`: {error}; write 5 fields: minute hour day-of-month month day-of-week, like \"0 9 * * *\""
        ).into()),
    }
}

pub(super) fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}
