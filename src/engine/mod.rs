//! The functional core: deadlines, states, reminder planning (who gets what) and the retry
//! policy (when to try again). No I/O, no clock, not async.

pub mod deadline;
pub mod plan;
#[cfg(test)]
mod properties;
pub mod retry;
pub mod schedule;
pub mod status;
