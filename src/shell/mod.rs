//! The imperative shell.
