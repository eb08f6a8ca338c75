//! Where a request's DataLoader batches run.
//!
//! async-graphql resolves the fields of one level of a query in a single
//! poll of the request's future: every sibling registers its keys with the
//! loaders, then the request waits. A loader can only know that it has all
//! the keys of a level if it runs after that poll, so the usual remedy is a
//! timer (collect keys for a few milliseconds, in a task of its own). Every
//! level of every request then waits that long, which caps a closed-loop
//! client far below what the CPU and the database could do.
//!
//! [`Batches::drive`] instead runs a request together with its batches in
//! one task: a batch is queued when its first key arrives and started as
//! soon as the request's poll returns `Pending`, that is, once every sibling
//! has registered its keys. A level is one statement with no timer at all.
//! WebSocket operations, which async-graphql drives itself, keep the timer
//! (see [`super::DEFAULT_BATCH_DELAY_MS`]).

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

/// The batches a request's loaders have queued and not yet started.
#[derive(Clone, Default)]
pub struct Batches(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Batches {
    /// The spawner to give this request's loaders.
    pub fn spawner(&self) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static {
        let queue = self.0.clone();
        move |batch| {
            queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(batch);
        }
    }

    /// Runs `request` and, each time it waits, the batches it queued.
    pub fn drive<F: Future>(self, request: F) -> Driven<F> {
        Driven {
            request: Box::pin(request),
            queue: self,
            running: FuturesUnordered::new(),
            waker: None,
        }
    }

    fn take_queued(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A request running with its batches (see [`Batches::drive`]).
pub struct Driven<F: Future> {
    request: Pin<Box<F>>,
    queue: Batches,
    running: FuturesUnordered<BoxFuture<'static, ()>>,
    waker: Option<Arc<Yielded>>,
}

/// The request's waker, noting whether the request woke itself during a
/// poll. futures' `FuturesUnordered` (behind every list of more than 30
/// items) does so to yield halfway through a level; the rest of the level
/// registers its keys on the next poll, so the level's batches must wait.
struct Yielded {
    task: Waker,
    woken: AtomicBool,
}

impl Wake for Yielded {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake_by_ref();
    }
}

impl<F: Future> Driven<F> {
    /// The waker to poll the request with, for the task behind `cx`.
    fn request_waker(&mut self, cx: &Context<'_>) -> Arc<Yielded> {
        match &self.waker {
            Some(waker) if waker.task.will_wake(cx.waker()) => waker.clone(),
            _ => {
                let waker = Arc::new(Yielded {
                    task: cx.waker().clone(),
                    woken: AtomicBool::new(false),
                });
                self.waker = Some(waker.clone());
                waker
            }
        }
    }
}

impl<F: Future> Future for Driven<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let yielded = this.request_waker(cx);
        let request_waker = Waker::from(yielded.clone());
        loop {
            yielded.woken.store(false, Ordering::Release);
            if let Poll::Ready(output) = this
                .request
                .as_mut()
                .poll(&mut Context::from_waker(&request_waker))
            {
                return Poll::Ready(output);
            }
            if yielded.woken.load(Ordering::Acquire) {
                // Halfway through a level: the task is already woken to
                // finish it, then the level's batches start.
                return Poll::Pending;
            }
            // The request waits: every key of this level is registered.
            this.running.extend(this.queue.take_queued());
            let mut answered = false;
            while let Poll::Ready(Some(())) = this.running.poll_next_unpin(cx) {
                answered = true;
            }
            // A finished batch has answered resolvers: let them go on now
            // rather than after a trip through the scheduler.
            if !answered {
                return Poll::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Batches;
    use async_graphql::dataloader::{DataLoader, Loader};
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    /// Records the batches it is asked for.
    #[derive(Default)]
    struct Recording(Mutex<Vec<Vec<i32>>>);

    impl Loader<i32> for Recording {
        type Value = i32;
        type Error = String;

        async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, i32>, String> {
            let mut sorted = keys.to_vec();
            sorted.sort_unstable();
            self.0.lock().unwrap().push(sorted);
            Ok(keys.iter().map(|&k| (k, k * 10)).collect())
        }
    }

    #[tokio::test]
    async fn each_level_is_one_batch_even_when_a_long_list_yields_halfway() {
        let batches = Batches::default();
        let loader = DataLoader::new(Recording::default(), batches.spawner()).delay(Duration::ZERO);
        let loader = &loader;
        // 31 × 31 siblings: lists of more than 30 futures run in a
        // `FuturesUnordered`, which yields after its first two such lists.
        let grid = |level: i32| {
            futures_util::future::join_all((0..31).map(move |row| {
                futures_util::future::join_all((0..31).map(move |column| async move {
                    let key = level * 10_000 + row * 100 + column;
                    loader.load_one(key).await.unwrap().unwrap()
                }))
            }))
        };
        let answers = batches
            .drive(async {
                let first = grid(1).await;
                // The second level starts from the first one's answers.
                assert_eq!(first[30][30], (10_000 + 3_030) * 10);
                grid(2).await
            })
            .await;
        assert_eq!(answers[1][2], (20_000 + 102) * 10);
        let seen = loader.loader().0.lock().unwrap().clone();
        let sizes: Vec<usize> = seen.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![961, 961], "one batch per level");
    }
}
