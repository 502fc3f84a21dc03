//! Integration tests: `numkeep status`.
