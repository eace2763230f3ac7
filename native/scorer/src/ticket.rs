//! The ordering gate: batches run their stateful phase strictly in ticket order, whatever thread calls.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a batch waits for its turn before giving up.
pub const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Tickets 0, 1, 2, ... pass in order; `next` is the first ticket not yet done.
#[derive(Default)]
pub struct Gate {
    next: AtomicU64,
    /// Tickets done ahead of `next` (skipped or finished out of order).
    ahead: Mutex<BTreeSet<u64>>,
}

/// Why a wait ended without the turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateError {
    /// The ticket was already done (a duplicate).
    AlreadyDone(u64),
    /// The ticket's turn did not come within `WAIT_LIMIT`.
    TimedOut { ticket: u64, next: u64 },
}

impl std::fmt::Display for GateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AlreadyDone(t) => write!(f, "ticket {t} was already used or skipped"),
            Self::TimedOut { ticket, next } => write!(
                f,
                "ticket {ticket} waited {}s for its turn, the gate is at ticket {next} (a batch was never dispatched or skipped)",
                WAIT_LIMIT.as_secs()
            ),
        }
    }
}

impl Gate {
    /// The first ticket not yet done.
    #[must_use]
    pub fn next(&self) -> u64 {
        self.next.load(Ordering::Acquire)
    }

    /// Whether `ticket` is done: behind `next`, or done ahead of it.
    #[must_use]
    pub fn is_done(&self, ticket: u64) -> bool {
        ticket < self.next()
            || self
                .ahead
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&ticket)
    }

    /// Waits until `ticket` is next: spins briefly, then yields, then sleeps in short steps.
    ///
    /// # Errors
    /// `AlreadyDone` for a ticket behind the gate, `TimedOut` after `limit`.
    pub fn wait(&self, ticket: u64, limit: Duration) -> Result<(), GateError> {
        let start = Instant::now();
        let mut round = 0u32;
        loop {
            let next = self.next();
            if next == ticket {
                return Ok(());
            }
            if next > ticket {
                return Err(GateError::AlreadyDone(ticket));
            }
            round = round.saturating_add(1);
            if round < 200 {
                std::hint::spin_loop();
            } else if round < 400 {
                std::thread::yield_now();
            } else {
                if start.elapsed() >= limit {
                    return Err(GateError::TimedOut { ticket, next });
                }
                std::thread::sleep(Duration::from_micros(50));
            }
        }
    }

    /// Marks `ticket` done; `next` advances over every consecutive done ticket. Done tickets are ignored.
    pub fn done(&self, ticket: u64) {
        let mut ahead = self.ahead.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = self.next.load(Ordering::Acquire);
        if ticket < next {
            return;
        }
        if ticket > next {
            ahead.insert(ticket);
            return;
        }
        next += 1;
        while ahead.remove(&next) {
            next += 1;
        }
        self.next.store(next, Ordering::Release);
    }
}

/// Marks its ticket done when dropped, so the gate advances on success, error and panic alike.
pub struct TicketGuard<'a> {
    gate: &'a Gate,
    ticket: u64,
}

impl<'a> TicketGuard<'a> {
    /// A guard for `ticket`.
    #[must_use]
    pub fn new(gate: &'a Gate, ticket: u64) -> Self {
        Self { gate, ticket }
    }
}

impl Drop for TicketGuard<'_> {
    fn drop(&mut self) {
        self.gate.done(self.ticket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_out_of_order_advances_over_runs() {
        let g = Gate::default();
        g.done(2);
        g.done(1);
        assert_eq!(g.next(), 0);
        assert!(g.is_done(2) && !g.is_done(0));
        g.done(0);
        assert_eq!(g.next(), 3);
        assert!(g.is_done(0) && !g.is_done(3));
        g.done(1);
        assert_eq!(g.next(), 3);
        assert_eq!(g.wait(1, WAIT_LIMIT), Err(GateError::AlreadyDone(1)));
        assert!(matches!(
            g.wait(5, Duration::from_millis(20)),
            Err(GateError::TimedOut { ticket: 5, next: 3 })
        ));
    }

    #[test]
    fn guard_advances_on_panic() {
        let g = Gate::default();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _guard = TicketGuard::new(&g, 0);
            panic!("boom");
        }));
        assert!(r.is_err());
        assert_eq!(g.next(), 1);
    }

    #[test]
    fn threads_pass_in_ticket_order() {
        let g = std::sync::Arc::new(Gate::default());
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let handles: Vec<_> = (0..8u64)
            .rev()
            .map(|t| {
                let (g, order) = (g.clone(), order.clone());
                std::thread::spawn(move || {
                    g.wait(t, WAIT_LIMIT).unwrap();
                    let _guard = TicketGuard::new(&g, t);
                    order.lock().unwrap().push(t);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());
    }
}
