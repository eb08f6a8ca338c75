//! How much work executes at once. An executing operation holds its
//! resolvers' state and its whole answer in memory (Q2 of the benchmark,
//! 3,300 objects, about 7 MB), and past a few operations per core more at
//! once is no faster, only bigger. So each HTTP operation holds as many
//! permits as its cost points while it runs, up to a share that lets only a
//! few of the heaviest run at once: a cheap query (1 point) never waits for
//! another cheap one, while the heaviest take turns and the others queue,
//! holding nothing but their request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The permits of one server.
#[derive(Clone)]
pub struct Concurrency {
    permits: Arc<Semaphore>,
    capacity: u32,
    /// The most permits one operation holds.
    most: u32,
    waiting: Arc<AtomicU64>,
}

/// How many of the heaviest operations run at once on a database. On
/// PostgreSQL an operation spends much of its time waiting for the
/// database, so four overlap usefully. On SQLite every statement runs in the
/// server's own threads, so more at once than the cores can run is no
/// faster, only bigger; but while a statement runs on its connection's
/// thread, its operation has nothing for the async workers to do, so one
/// more than the cores keeps them busy (Q2 of the benchmark on two cores:
/// 33.9 req/s two at a time, 39.8 three at a time, medians of five; the
/// server's own memory at the peak 72 -> 89 MB; with SQLite's allocation
/// mutex gone, 46 against 54 req/s, 77 against 93 MB).
pub fn heaviest_at_once(backend: sea_orm::DbBackend) -> u32 {
    match backend {
        sea_orm::DbBackend::Sqlite => {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            u32::try_from(cores + 1).unwrap_or(u32::MAX).clamp(3, 5)
        }
        _ => 4,
    }
}

/// Permits an operation holds while it runs.
pub struct Running {
    _permits: Option<OwnedSemaphorePermit>,
}

impl Concurrency {
    /// `capacity` cost points executing at once (at least one per heavy
    /// operation), of which `heaviest` of the heaviest operations may hold
    /// all.
    pub fn new(capacity: u32, heaviest: u32) -> Self {
        let heaviest = heaviest.max(1);
        let capacity = capacity.max(heaviest);
        Self {
            permits: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
            most: capacity / heaviest,
            waiting: Arc::default(),
        }
    }

    /// The permits an operation of `points` holds.
    pub fn share(&self, points: u64) -> u32 {
        u32::try_from(points)
            .unwrap_or(u32::MAX)
            .clamp(1, self.most)
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
        let concurrency = Concurrency::new(64, 4);
        assert_eq!(concurrency.share(0), 1);
        assert_eq!(concurrency.share(1), 1);
        assert_eq!(concurrency.share(9), 9);
        assert_eq!(concurrency.share(5_101), 16);
        assert_eq!(Concurrency::new(64, 2).share(5_101), 32);
        assert_eq!(
            Concurrency::new(1, 4).share(100),
            1,
            "at least one permit per heavy operation"
        );
    }

    #[tokio::test]
    async fn a_fifth_heavy_operation_waits_for_one_of_four_to_finish() {
        one_more_heavy_operation_waits(4).await;
    }

    #[tokio::test]
    async fn where_three_heavy_operations_run_at_once_a_fourth_waits() {
        one_more_heavy_operation_waits(3).await;
    }

    async fn one_more_heavy_operation_waits(heaviest: u32) {
        let concurrency = Concurrency::new(64, heaviest);
        let mut running = Vec::new();
        for _ in 0..heaviest {
            running.push(concurrency.admit(5_101).await);
        }
        assert_eq!(concurrency.running(), u64::from(64 / heaviest * heaviest));
        let one_more = tokio::spawn({
            let concurrency = concurrency.clone();
            async move { concurrency.admit(5_101).await }
        });
        while concurrency.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!one_more.is_finished());
        running.pop();
        let _one_more = one_more.await.expect("admitted");
        assert_eq!(concurrency.running(), u64::from(64 / heaviest * heaviest));
        assert_eq!(concurrency.waiting(), 0);
    }
}
