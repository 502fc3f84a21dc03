//! The systemd watchdog, pinged from a thread of its own on its own timer (half of
//! `WATCHDOG_USEC`): no check, send, reload or SIGHUP storm on the daemon's loop can delay a
//! ping. The loop reports its phase (waiting for something to happen, or busy with a step)
//! and the thread stops pinging when a phase has lasted longer than any healthy one can, so
//! systemd still restarts a daemon whose loop is stuck.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::systemd;

/// The loop's phase, shared with the ping thread.
pub struct Liveness {
    start: Instant,
    /// Milliseconds from `start` to the start of the current phase; the top bit is set while
    /// the loop is busy.
    phase: AtomicU64,
    /// Longest healthy phases: waiting is bounded by the loop's longest sleep, a step by the
    /// delivery budget and a reload.
    longest_wait: Duration,
    longest_step: Duration,
}

const BUSY: u64 = 1 << 63;

impl Liveness {
    pub fn new(longest_wait: Duration, longest_step: Duration) -> Liveness {
        Liveness {
            start: Instant::now(),
            phase: AtomicU64::new(0),
            longest_wait,
            longest_step,
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(BUSY - 1) & !BUSY
    }

    /// The loop waits for a signal, a config change or its timer.
    pub fn waiting(&self) {
        self.phase.store(self.elapsed_ms(), Ordering::Relaxed);
    }

    /// The loop starts a step (a check, a retry, a reload).
    pub fn busy(&self) {
        self.phase
            .store(self.elapsed_ms() | BUSY, Ordering::Relaxed);
    }

    /// Whether the current phase is one a healthy loop can be in.
    fn healthy(&self) -> bool {
        let phase = self.phase.load(Ordering::Relaxed);
        let since = Duration::from_millis(self.elapsed_ms().saturating_sub(phase & !BUSY));
        phase_is_healthy(
            phase & BUSY != 0,
            since,
            self.longest_wait,
            self.longest_step,
        )
    }
}

/// A phase is healthy while it is no longer than the longest the loop allows it.
fn phase_is_healthy(
    busy: bool,
    since: Duration,
    longest_wait: Duration,
    longest_step: Duration,
) -> bool {
    since <= if busy { longest_step } else { longest_wait }
}

/// Starts the ping thread when systemd asked for a watchdog; returns the shared phase the
/// loop must keep up to date either way.
pub fn start(longest_wait: Duration, longest_step: Duration) -> Arc<Liveness> {
    let liveness = Arc::new(Liveness::new(longest_wait, longest_step));
    let Some(interval) = systemd::watchdog_interval() else {
        return liveness;
    };
    let shared = Arc::clone(&liveness);
    let spawned = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || ping(&shared, interval));
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the watchdog thread; systemd will restart numkeep");
    }
    liveness
}

fn ping(liveness: &Liveness, interval: Duration) {
    let mut next = Instant::now();
    let mut reported = false;
    loop {
        if liveness.healthy() {
            systemd::watchdog();
            reported = false;
        } else if !reported {
            tracing::error!(
                "the main loop has made no progress for too long; the watchdog is no longer pinged, so systemd restarts numkeep"
            );
            reported = true;
        }
        // A fixed cadence, not a fixed pause: the pings keep their period.
        next += interval;
        let now = Instant::now();
        if next <= now {
            next = now;
        }
        std::thread::sleep(next - now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_longer_than_its_bound_stops_the_pings() {
        let wait = Duration::from_secs(300);
        let step = Duration::from_secs(180);
        assert!(phase_is_healthy(
            false,
            Duration::from_secs(299),
            wait,
            step
        ));
        assert!(!phase_is_healthy(
            false,
            Duration::from_secs(301),
            wait,
            step
        ));
        assert!(phase_is_healthy(true, Duration::from_secs(179), wait, step));
        assert!(!phase_is_healthy(
            true,
            Duration::from_secs(181),
            wait,
            step
        ));
    }

    #[test]
    fn the_loop_reports_its_phase() {
        let liveness = Liveness::new(Duration::from_millis(50), Duration::from_millis(50));
        liveness.busy();
        assert!(liveness.healthy());
        std::thread::sleep(Duration::from_millis(80));
        assert!(!liveness.healthy(), "a step stuck past its bound");
        liveness.waiting();
        assert!(liveness.healthy());
        std::thread::sleep(Duration::from_millis(80));
        assert!(!liveness.healthy(), "a wait past the longest sleep");
        liveness.busy();
        assert!(liveness.healthy());
    }
}
