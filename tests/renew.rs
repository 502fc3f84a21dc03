//! Integration tests: `numkeep renew`.
