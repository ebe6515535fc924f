//! Group commit for small writes that arrive in bursts (ADR 0018): each request queues its item;
//! whoever then finds no batch running takes every queued item (up to [`MAX_BATCH`]) into one
//! run, usually one transaction, and hands each request its own result. At one request at a time
//! a batch is that request alone, so nothing waits for company; under load, the writes queued
//! behind one transaction share the next one, its round trips to the database and its commit.

use std::future::Future;
use std::sync::Mutex;

use gatehouse_domain::{Error, Result};
use tokio::sync::oneshot;

/// The most items one run takes; the rest wait for the next.
pub(crate) const MAX_BATCH: usize = 128;

type Queue<T, R> = Vec<(T, oneshot::Sender<Result<R>>)>;

/// A queue of items that are written together.
pub(crate) struct Batcher<T, R> {
    queue: Mutex<Queue<T, R>>,
    /// Held while a run is being started and carried out: the turn to run the next batch.
    turn: tokio::sync::Mutex<()>,
}

impl<T, R> Default for Batcher<T, R> {
    fn default() -> Self {
        Batcher { queue: Mutex::new(Vec::new()), turn: tokio::sync::Mutex::new(()) }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Queues `item` and answers its result, running `run` over a batch when this request's
    /// turn comes before its item is done. `run` answers one result per item, in order. A run
    /// is a task of its own, so a request that goes away (a closed connection) never abandons
    /// the items of others.
    pub(crate) async fn submit<F, Fut>(&self, item: T, run: F) -> Result<R>
    where
        F: FnOnce(Vec<T>) -> Fut,
        Fut: Future<Output = Vec<Result<R>>> + Send + 'static,
    {
        let (reply, mut answer) = oneshot::channel();
        self.lock().push((item, reply));
        let turn = self.turn.lock().await;
        if let Ok(result) = answer.try_recv() {
            return result;
        }
        let taken: Queue<T, R> = {
            let mut queue = self.lock();
            let n = queue.len().min(MAX_BATCH);
            queue.drain(..n).collect()
        };
        if !taken.is_empty() {
            let (items, replies): (Vec<T>, Vec<_>) = taken.into_iter().unzip();
            let batch = run(items);
            let task = tokio::spawn(async move {
                let mut results = batch.await.into_iter();
                for reply in replies {
                    let result = results.next().unwrap_or_else(|| Err(Error::Internal("a batch lost an item".into())));
                    // The request may have gone away; its result then has nobody to go to.
                    let _ = reply.send(result);
                }
            });
            // The turn is kept until the run ends, so the next one starts with all queued since.
            task.await.map_err(|e| Error::Internal(format!("a batch failed: {e}")))?;
        }
        drop(turn);
        // Our item was in this run, or in one that began before (whose request went away).
        answer.await.map_err(|_| Error::Internal("a batch ended without answering".into()))?
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue<T, R>> {
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_item_gets_its_own_result_and_queued_items_share_a_run() {
        let batcher: Arc<Batcher<u32, u32>> = Arc::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for i in 0..200u32 {
            let (batcher, runs) = (batcher.clone(), runs.clone());
            handles.push(tokio::spawn(async move {
                batcher
                    .submit(i, move |items| async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                        items
                            .into_iter()
                            .map(|i| if i.is_multiple_of(7) { Err(Error::NotFound) } else { Ok(i * 2) })
                            .collect()
                    })
                    .await
            }));
        }
        for (i, h) in handles.into_iter().enumerate() {
            let i = i as u32;
            let expected = if i.is_multiple_of(7) { Err(Error::NotFound) } else { Ok(i * 2) };
            assert_eq!(h.await.unwrap(), expected, "item {i}");
        }
        let runs = runs.load(Ordering::SeqCst);
        assert!(runs < 200, "queued items shared runs ({runs} runs for 200 items)");
    }

    #[tokio::test]
    async fn one_item_alone_is_a_run_of_one() {
        let batcher: Batcher<u32, usize> = Batcher::default();
        let got = batcher.submit(5, |items| async move { vec![Ok(items.len())] }).await;
        assert_eq!(got, Ok(1));
    }
}
