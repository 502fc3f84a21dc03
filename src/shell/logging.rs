//! Log output: human-readable on a terminal, plain lines for journald under systemd.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

const LETTRE_AT_MOST_INFO: &str = "lettre=info";

/// Logs go to stderr (stdout carries `status` output), colours only on a terminal, without
/// timestamps under systemd (journald adds its own). `RUST_LOG` overrides the `info` level.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        // lettre logs the SMTP dialogue at debug level, `AUTH PLAIN <base64 of the
        // password>` included: whatever RUST_LOG asks, it stops at info.
        .add_directive(LETTRE_AT_MOST_INFO.parse().expect("a valid directive"));
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let result = if under_journald {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
    // A second initialisation (in tests) keeps the first subscriber; nothing to report.
    drop(result);
}
