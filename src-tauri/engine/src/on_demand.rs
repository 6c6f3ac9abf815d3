//! Requests for older messages waiting for the phone's answer. The phone answers
//! with a page of history naming the request; the account manager stores it and
//! hands the outcome here, where the tool call that asked waits (bounded). An answer
//! that comes first, or after the call gave up, is kept a while for a call that
//! asks again, and is stored either way.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::ingest::HistoryStored;

/// How long an answer nobody waits for is kept.
const KEEP: Duration = Duration::from_secs(600);
/// At most this many such answers are kept.
const KEEP_MAX: usize = 1000;

/// What the phone answered to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// What its page added to the store.
    pub stored: HistoryStored,
    /// How many messages it carried.
    pub received: usize,
    /// Whether the phone says it has older ones still (`None`: it did not say).
    pub more: Option<bool>,
}

#[derive(Default)]
pub struct OnDemand {
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    unclaimed: Mutex<HashMap<String, (Answer, Instant)>>,
}

impl OnDemand {
    /// The phone answered `request`.
    pub fn answered(&self, request: &str, answer: Answer) {
        // Both locks, in `wait`'s order: a call registering meanwhile finds it either way.
        let mut waiting = self.waiting.lock();
        if let Some(tx) = waiting.remove(request) {
            if tx.send(answer).is_ok() {
                return;
            }
        }
        let mut kept = self.unclaimed.lock();
        kept.retain(|_, (_, at)| at.elapsed() < KEEP);
        if kept.len() < KEEP_MAX {
            kept.insert(request.to_owned(), (answer, Instant::now()));
        }
    }

    /// Waits up to `timeout` for the answer to `request`; `None` when none came.
    pub async fn wait(&self, request: &str, timeout: Duration) -> Option<Answer> {
        let rx = {
            let mut waiting = self.waiting.lock();
            if let Some((answer, _)) = self.unclaimed.lock().remove(request) {
                return Some(answer);
            }
            let (tx, rx) = oneshot::channel();
            waiting.insert(request.to_owned(), tx);
            rx
        };
        let got = tokio::time::timeout(timeout, rx).await.ok().and_then(Result::ok);
        if got.is_none() {
            self.waiting.lock().remove(request);
        }
        got
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(new: usize) -> Answer {
        Answer {
            stored: HistoryStored { new, oldest: None },
            received: new,
            more: Some(true),
        }
    }

    #[tokio::test]
    async fn an_answer_reaches_its_request_whether_it_comes_before_or_after() {
        let od = std::sync::Arc::new(OnDemand::default());
        // After: the call waits for it.
        let waiter = {
            let od = od.clone();
            tokio::spawn(async move { od.wait("A", Duration::from_secs(5)).await })
        };
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        od.answered("A", answer(3));
        assert_eq!(waiter.await.unwrap(), Some(answer(3)));
        // Before: kept for the call.
        od.answered("B", answer(1));
        assert_eq!(od.wait("B", Duration::from_millis(10)).await, Some(answer(1)));
        // Never: the call gives up; a late answer is kept for another call.
        assert_eq!(od.wait("C", Duration::from_millis(10)).await, None);
        od.answered("C", answer(2));
        assert_eq!(od.wait("C", Duration::from_millis(10)).await, Some(answer(2)));
    }
}
