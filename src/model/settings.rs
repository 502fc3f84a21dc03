//! The settings: zones, the check schedule, languages, email.

use std::path::PathBuf;

use jiff::tz::TimeZone;

use super::period::Period;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    SimplifiedChinese,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::SimplifiedChinese => "zh-CN",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Zone {
    /// The name as written (or `UTC` / the system zone's name), for messages.
    pub name: String,
    pub tz: TimeZone,
}

#[derive(Clone, Debug)]
pub struct Schedule {
    pub text: String,
    pub cron: croner::Cron,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub timezone: Zone,
    pub check_at: Schedule,
    pub remind_before: Vec<Period>,
    pub language: Language,
    pub state_dir: Option<PathBuf>,
    /// Replaces the built-in items of the cancellation checklist (the lines for the
    /// `bound_to` accounts always come first).
    pub retire_checklist: Option<Vec<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    StartTls,
    Tls,
    None,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsMode::StartTls => "starttls",
            TlsMode::Tls => "tls",
            TlsMode::None => "none",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub enum Transport {
    Smtp(SmtpSettings),
    Sendmail(PathBuf),
}

#[derive(Clone, Debug)]
pub struct EmailSettings {
    pub from: String,
    pub to: Vec<String>,
    pub transport: Transport,
}
