//! How much work executes at once. An executing operation holds its
//! resolvers' state and its whole answer in memory (Q2 of the benchmark,
//! 3,300 objects, about 7 MB), and past a few operations per core more at
//! once is no faster, only bigger. So each HTTP operation holds as many
//! permits as its cost points while it runs, at most a quarter of them: a
//! cheap query (1 point) never waits for another cheap one, while at most
//! four of the heaviest run at once and the others queue, holding nothing
//! but their request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The permits of one server.
#[derive(Clone)]
pub struct Concurrency {
    permits: Arc<Semaphore>,
    capacity: u32,
    waiting: Arc<AtomicU64>,
}

/// Permits an operation holds while it runs.
pub struct Running {
    _permits: Option<OwnedSemaphorePermit>,
}

impl Concurrency {
    /// `capacity` cost points executing at once (at least 4).
    pub fn new(capacity: u32) -> Self {
        let capacity = capacity.max(4);
        Self {
            permits: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
            waiting: Arc::default(),
        }
    }

    /// The permits an operation of `points` holds.
    pub fn share(&self, points: u64) -> u32 {
        let most = self.capacity / 4;
        u32::try_from(points).unwrap_or(u32::MAX).clamp(1, most)
    }

    /// Waits until an operation of `points` may run.
    pub async fn admit(&self, points: u64) -> Running {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        // Never closed, so a permit always comes.
        let permit = self
            .permits
            .clone()
            .acquire_many_owned(self.share(points))
            .await
            .ok();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        Running { _permits: permit }
    }

    /// Cost points executing now.
    pub fn running(&self) -> u64 {
        u64::from(self.capacity).saturating_sub(self.permits.available_permits() as u64)
    }

    /// Operations waiting for their turn.
    pub fn waiting(&self) -> u64 {
        self.waiting.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::Concurrency;

    #[test]
    fn cheap_operations_take_one_permit_and_heavy_ones_a_quarter() {
        let concurrency = Concurrency::new(64);
        assert_eq!(concurrency.share(0), 1);
        assert_eq!(concurrency.share(1), 1);
        assert_eq!(concurrency.share(9), 9);
        assert_eq!(concurrency.share(5_101), 16);
        assert_eq!(Concurrency::new(1).share(100), 1, "at least 4 permits");
    }

    #[tokio::test]
    async fn a_fifth_heavy_operation_waits_for_one_of_four_to_finish() {
        let concurrency = Concurrency::new(64);
        let mut running = Vec::new();
        for _ in 0..4 {
            running.push(concurrency.admit(5_101).await);
        }
        assert_eq!(concurrency.running(), 64);
        let fifth = tokio::spawn({
            let concurrency = concurrency.clone();
            async move { concurrency.admit(5_101).await }
        });
        while concurrency.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!fifth.is_finished());
        running.pop();
        let _fifth = fifth.await.expect("admitted");
        assert_eq!(concurrency.running(), 64);
        assert_eq!(concurrency.waiting(), 0);
    }
}
