//! The imperative shell: the command line, the daemon loop, senders, the state store and
//! systemd. It reads the clock and does the I/O; every decision comes from the core.

pub mod app;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod daemon;
pub mod deliver;
pub mod files;
pub mod logging;
pub mod mail;
pub mod manual;
pub mod once;
pub mod outputs;
pub mod record;
pub mod retire;
pub mod store;
pub mod systemd;
pub mod watch;
pub mod watchdog;
