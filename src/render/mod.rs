//! Pure rendering of what the core computed: status tables, JSON, reminder messages.

pub mod carriers;
pub mod diff;
pub mod digest;
pub mod notice;
pub mod status;
pub mod table;
pub mod words;
