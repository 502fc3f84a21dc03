//! Integration tests, compiled as one binary: each module drives the real `numkeep` binary.

mod support;

mod add;
mod carriers;
mod check;
mod clock;
mod crash;
mod daemon;
mod delivery;
mod faults;
mod fuzz;
mod journald;
mod layering;
mod life;
mod manual;
mod messages;
mod outputs;
mod push;
mod reference;
mod renew;
mod security;
mod status;
mod watch;
mod zones;
