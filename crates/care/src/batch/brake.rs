//! The brake a batch shares across its concurrent writes: when D1 answers 429, everyone slows
//! down.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use super::control::RunControl;

/// The shared brake: a concurrency limit that halves on every 429 and grows back by one per
/// round of successes, and a time before which nobody sends.
pub(super) struct Brake {
    pub(super) permits: Semaphore,
    /// Items made ready (journaled, claimed) ahead of their turn to send: at most `max`.
    pub(super) ahead: Semaphore,
    pub(super) limit: AtomicUsize,
    max: usize,
    successes: AtomicUsize,
    not_before: Mutex<Instant>,
}

impl Brake {
    pub(super) fn new(max: usize) -> Self {
        Self {
            permits: Semaphore::new(max),
            ahead: Semaphore::new(max),
            limit: AtomicUsize::new(max),
            max,
            successes: AtomicUsize::new(0),
            not_before: Mutex::new(Instant::now()),
        }
    }

    /// Waits until D1's last "slow down" has passed, or the operator pauses or cancels (then at
    /// once: the caller looks at `control`).
    pub(super) async fn wait_turn(&self, control: &mut watch::Receiver<RunControl>) {
        loop {
            if *control.borrow_and_update() != RunControl::Run {
                return;
            }
            let until = *self.not_before.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            if until <= now {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(until - now) => {}
                changed = control.changed() => {
                    if changed.is_err() {
                        // Nobody can pause or cancel any more: wait the time out.
                        tokio::time::sleep(until - now).await;
                    }
                }
            }
        }
    }

    pub(super) fn slow_down(&self, retry_after: Duration) {
        {
            let mut until = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
            *until = (*until).max(Instant::now() + retry_after);
        }
        let limit = self.limit.load(Ordering::SeqCst);
        let cut = limit / 2;
        if cut > 0
            && self
                .limit
                .compare_exchange(limit, limit - cut, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            self.permits.forget_permits(cut);
        }
        self.successes.store(0, Ordering::SeqCst);
    }

    pub(super) fn succeeded(&self) {
        let limit = self.limit.load(Ordering::SeqCst);
        if limit < self.max && self.successes.fetch_add(1, Ordering::SeqCst) + 1 >= limit {
            self.successes.store(0, Ordering::SeqCst);
            if self
                .limit
                .compare_exchange(limit, limit + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                self.permits.add_permits(1);
            }
        }
    }
}
