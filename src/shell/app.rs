//! What the commands share, between the command line and the daemon: loading the config
//! with its warnings, the permission checks, "now" for the core, and how a command fails
//! (and so which exit code it gets).

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use jiff::Zoned;

use crate::config::{self, Diagnostics, Loaded, ReadContext};
use crate::engine::status::Now;
use crate::model::{Config, InvalidText, Transport};

use super::clock;
use super::store::{Store, StoreError, state_directory};

/// Why a command failed, and so which exit code it gets.
#[derive(Debug)]
pub enum Failure {
    /// Invalid config: every problem, one per line (exit 2).
    Config(Diagnostics),
    /// Bad arguments (exit 2).
    Usage(String),
    /// Something at run time: a mail server, a file (exit 1).
    Runtime(String),
    /// The state store could not be opened or saved (exit 1).
    Store(StoreError),
    /// Already reported; only the exit code remains.
    Reported(u8),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Config(_) | Failure::Usage(_) => 2,
            Failure::Runtime(_) | Failure::Store(_) => 1,
            Failure::Reported(code) => *code,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Config(diagnostics) => write!(f, "{}", diagnostics.to_string().trim_end()),
            Failure::Usage(message) | Failure::Runtime(message) => {
                write!(f, "numkeep: error: {message}")
            }
            Failure::Store(error) => write!(f, "numkeep: error: {error}"),
            Failure::Reported(_) => Ok(()),
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl From<clock::AtError> for Failure {
    fn from(error: clock::AtError) -> Failure {
        Failure::Usage(error.to_string())
    }
}

impl From<InvalidText> for Failure {
    /// A value given on the command line (`renew`'s number or amount).
    fn from(error: InvalidText) -> Failure {
        Failure::Usage(error.0)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        Failure::Store(error)
    }
}

/// Loads the config, printing its warnings to stderr. `at` pins the day used to judge
/// stale rule sources.
pub fn load_config(path: &Path, at: Option<&str>) -> Result<Loaded, Failure> {
    load_config_with(path, at, |file| std::fs::read_to_string(file))
}

/// As [`load_config`], reading each file through `read_file` (the daemon notes what it read).
pub fn load_config_with(
    path: &Path,
    at: Option<&str>,
    read_file: impl FnMut(&Path) -> std::io::Result<String>,
) -> Result<Loaded, Failure> {
    let system_zone = clock::system_zone();
    let today = clock::now_in(&system_zone.tz, at)?.date();
    let context = ReadContext { system_zone, today };
    let loaded = config::load_with(path, &context, read_file).map_err(Failure::Config)?;
    print_warnings(&loaded);
    Ok(loaded)
}

fn print_warnings(loaded: &Loaded) {
    let mut stderr = std::io::stderr().lock();
    for warning in &loaded.warnings {
        let _ = writeln!(stderr, "{warning}");
    }
    // Per-number recipients need an [email] section to send through; say so rather than
    // let them wait for mail that never comes.
    if loaded.config.email.is_none() {
        let unreachable: Vec<_> = loaded
            .config
            .numbers
            .iter()
            .filter(|number| !number.own_recipients().is_empty())
            .collect();
        for number in unreachable.iter().take(3) {
            let _ = writeln!(
                stderr,
                "{}:{}:1: warning: {}: `email` is set but the config has no [email] section, so alerts go to the log only",
                number.location.path.display(),
                number.location.line,
                number.number
            );
        }
        if unreachable.len() > 3 {
            let _ = writeln!(
                stderr,
                "warning: {} more numbers set `email` without an [email] section",
                unreachable.len() - 3
            );
        }
    }
}

/// Secrets must not be readable by others, and whoever can write the config can redirect
/// every reminder: warn (to stderr) about loose permissions on either.
pub fn warn_about_permissions(loaded: &Loaded) {
    use std::os::unix::fs::PermissionsExt;
    let mode_of = |path: &Path| {
        std::fs::metadata(path)
            .ok()
            .map(|metadata| metadata.permissions().mode() & 0o777)
    };
    for file in &loaded.files {
        if let Some(mode) = mode_of(file).filter(|mode| mode & 0o022 != 0) {
            eprintln!(
                "{}: warning: the config is writable by other users (mode {mode:03o}): anyone could redirect your reminders; run chmod go-w on it",
                file.display()
            );
        }
    }
    let password_file = loaded
        .config
        .email
        .as_ref()
        .and_then(|email| match &email.transport {
            Transport::Smtp(smtp) => smtp.password_file.as_deref(),
            Transport::Sendmail(_) => None,
        });
    if let Some(password_file) = password_file
        && let Some(mode) = mode_of(password_file).filter(|mode| mode & 0o077 != 0)
    {
        eprintln!(
            "{}: warning: the SMTP password file is readable by other users (mode {mode:03o}); run chmod 600 on it",
            password_file.display()
        );
    }
}

/// "Now" for the core: the clock, or `--at`.
pub fn core_now(config: &Config, at: Option<&str>) -> Result<Now, Failure> {
    clock::now_for_core(&config.settings.timezone.tz, at)
        .map(|(_, now)| now)
        .map_err(Failure::from)
}

/// The async runtime the sends run on: one thread, as the daemon's loop does.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::Runtime(format!("cannot start the async runtime: {error}")))
}

/// Opens (and locks) the state store of the config's state directory.
pub fn open_store(config: &Config) -> Result<Store, Failure> {
    let dir = state_directory(config.settings.state_dir.as_deref()).ok_or_else(|| {
        Failure::Runtime(
            "no state directory: set settings.state_dir, STATE_DIRECTORY, XDG_STATE_HOME or HOME"
                .into(),
        )
    })?;
    Ok(Store::open(&dir)?)
}

/// Saves the state, stamped with the day of `now`.
pub fn save(store: &mut Store, now: &Zoned) -> Result<(), Failure> {
    Ok(store.save(now.date())?)
}
