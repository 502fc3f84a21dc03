//! A small fluent helper to run the real `numkeep` binary in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory with a config file, a private state directory and a pinned zone.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    /// A scratch directory whose `config.toml` holds `text`.
    pub fn with_config(text: &str) -> Scratch {
        let scratch = Scratch::new();
        scratch.write("config.toml", text);
        scratch
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config_path(&self) -> PathBuf {
        self.path("config.toml")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.path("state")
    }

    pub fn write(&self, name: &str, text: &str) {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directories");
        }
        std::fs::write(path, text).expect("write a scratch file");
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read a scratch file")
    }

    /// `numkeep --config <scratch>/config.toml ARGS…`, with the state in the scratch
    /// directory, TZ pinned to UTC and no inherited SMTP password or systemd variables.
    pub fn numkeep(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_numkeep"));
        command
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .current_dir(self.dir.path())
            .env("TZ", "UTC")
            .env("XDG_STATE_HOME", self.path("xdg-state"))
            .env("STATE_DIRECTORY", self.state_dir())
            .env("RUST_LOG", "info")
            .env("NUMKEEP_SMTP_TIMEOUT", "3")
            .env("SSL_CERT_FILE", super::smtp_server::ca_path())
            .env_remove("NUMKEEP_CONFIG")
            .env_remove("NUMKEEP_SMTP_PASSWORD")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("JOURNAL_STREAM")
            .env_remove("WATCHDOG_USEC");
        Run { command }
    }
}

pub struct Run {
    pub command: Command,
}

impl Run {
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Run {
        self.command.env(key, value);
        self
    }

    pub fn output(mut self) -> Outcome {
        let output = self.command.output().expect("run numkeep");
        Outcome::from(output)
    }
}

/// What a run printed and how it exited.
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Outcome {
    fn from(output: Output) -> Outcome {
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Outcome {
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Outcome {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(self) -> Outcome {
        self.expect_code(0)
    }
}

/// The project's own files (config.example.toml, fixtures).
pub fn project_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}
