//! The functional core: deadlines, states and reminder planning. No I/O, no clock, not async.

pub mod deadline;
pub mod plan;
#[cfg(test)]
mod properties;
pub mod schedule;
pub mod status;
