//! Log output: human-readable on a terminal, plain lines for journald under systemd, each
//! prefixed with its syslog priority there so `journalctl -p warning` picks out the alerts.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Logs go to stderr (stdout carries `status` output), colours only on a terminal, without
/// timestamps under systemd (journald adds its own). `RUST_LOG` overrides the `info` level.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let under_journald = stderr_is_journal_stream(std::env::var("JOURNAL_STREAM").ok().as_deref());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && !under_journald)
        .with_target(false);
    let result = if under_journald {
        let plain = format::format().without_time().with_target(false);
        let builder = builder.event_format(JournalPriority { inner: plain });
        builder.finish().with(no_smtp_dialogue()).try_init()
    } else {
        builder.finish().with(no_smtp_dialogue()).try_init()
    };
    // A second initialisation (in tests) keeps the first subscriber; nothing to report.
    drop(result);
}

/// lettre logs the SMTP dialogue at debug level, `AUTH PLAIN <base64 of the password>`
/// included. A filter of its own, after `RUST_LOG`'s, stops it at info whatever `RUST_LOG`
/// says, however specific the target it names.
fn no_smtp_dialogue<S: Subscriber>() -> impl tracing_subscriber::Layer<S> {
    tracing_subscriber::filter::filter_fn(|metadata| {
        !(metadata.target().starts_with("lettre") && *metadata.level() > Level::INFO)
    })
}

/// True when stderr is the stream systemd connected to journald. systemd sets
/// `JOURNAL_STREAM=DEVICE:INODE` of that stream; a child process that inherited the variable
/// but writes elsewhere (a shell started from a service, a redirect to a file) must not get
/// the `<N>` prefixes, so the pair is compared with stderr's own (systemd.exec(5)).
fn stderr_is_journal_stream(journal_stream: Option<&str>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some((device, inode)) = journal_stream.and_then(|value| value.split_once(':')) else {
        return false;
    };
    let (Ok(device), Ok(inode)) = (device.parse::<u64>(), inode.parse::<u64>()) else {
        return false;
    };
    // `/proc/self/fd/2` follows to the stream itself, a socket or a pipe, as fstat would.
    std::fs::metadata("/proc/self/fd/2")
        .is_ok_and(|stderr| stderr.dev() == device && stderr.ino() == inode)
}

/// The sd-daemon prefix journald reads as the line's priority (sd-daemon(3)): alerts are
/// warnings (due) and errors (grace, lost), so `journalctl -p warning` shows exactly them
/// and the problems that need an operator.
pub fn journal_prefix(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "<3>",
        Level::WARN => "<4>",
        Level::INFO => "<6>",
        Level::DEBUG | Level::TRACE => "<7>",
    }
}

/// Writes each event as the inner format does, with every line prefixed by the event's
/// priority: journald reads each line of a stream as an entry of its own, so a multi-line
/// message keeps its priority on every line.
struct JournalPriority<F> {
    inner: F,
}

impl<S, N, F> FormatEvent<S, N> for JournalPriority<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut text = String::new();
        self.inner
            .format_event(context, Writer::new(&mut text), event)?;
        write_with_prefix(&mut writer, journal_prefix(event.metadata().level()), &text)
    }
}

fn write_with_prefix(writer: &mut impl fmt::Write, prefix: &str, text: &str) -> fmt::Result {
    // The level is padded to five columns (" WARN"); after the prefix the padding is noise.
    for line in text.trim_start().lines() {
        writeln!(writer, "{prefix}{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_carries_the_priority() {
        let mut out = String::new();
        write_with_prefix(&mut out, "<4>", " WARN first\nsecond\n").unwrap();
        assert_eq!(out, "<4>WARN first\n<4>second\n");
    }

    #[test]
    fn priorities_follow_syslog() {
        assert_eq!(journal_prefix(&Level::ERROR), "<3>");
        assert_eq!(journal_prefix(&Level::WARN), "<4>");
        assert_eq!(journal_prefix(&Level::INFO), "<6>");
        assert_eq!(journal_prefix(&Level::DEBUG), "<7>");
    }

    #[test]
    fn journal_stream_must_name_stderr() {
        assert!(!stderr_is_journal_stream(None));
        assert!(!stderr_is_journal_stream(Some("")));
        assert!(!stderr_is_journal_stream(Some("not:numbers")));
        assert!(!stderr_is_journal_stream(Some("0:0")));
    }
}
