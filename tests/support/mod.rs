//! Helpers shared by the integration tests.

pub mod cli;
pub mod daemon;
pub mod http_server;
pub mod mail;
pub mod smtp_server;
