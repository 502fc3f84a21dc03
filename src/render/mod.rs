//! Pure rendering of what the core computed: status tables, JSON, reminder messages.

pub mod digest;
pub mod notice;
pub mod push;
pub mod status;
pub mod table;
pub mod words;
