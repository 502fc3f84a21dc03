//! numkeep keeps phone numbers from being lost: it computes, for every number in a TOML
//! config, the last day to act and the day it would be lost, and reminds its owner.
//!
//! Layers, lowest first (ARCHITECTURE.md; `tests/layering.rs` keeps them): `model`, the
//! vocabulary; `engine`, which computes on it; `config`, which reads files into it, and
//! `render`, which writes text for people. These are the functional core (no I/O beyond
//! reading the config files and the time-zone database, no clock); `shell` carries out what
//! the core decides.
#![forbid(unsafe_code)]

pub mod config;
pub mod engine;
pub mod model;
pub mod render;
pub mod shell;
