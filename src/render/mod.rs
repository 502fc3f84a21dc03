//! Pure rendering of what the core computed: status tables, JSON, reminder messages.

pub mod calendar;
pub mod carriers;
pub mod diff;
pub mod digest;
pub mod history;
pub mod metrics;
pub mod notice;
pub mod push;
pub mod status;
pub mod table;
pub mod words;
