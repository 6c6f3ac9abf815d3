//! Progress reports for long tool calls (MCP `notifications/progress`), when the
//! client asked for them with a progress token.

use std::sync::Arc;

use futures::future::BoxFuture;

type Sender = dyn Fn(f64, Option<f64>, String) -> BoxFuture<'static, ()> + Send + Sync;

#[derive(Clone, Default)]
pub struct Progress {
    send: Option<Arc<Sender>>,
}

impl Progress {
    pub fn new(send: impl Fn(f64, Option<f64>, String) -> BoxFuture<'static, ()> + Send + Sync + 'static) -> Self {
        Self {
            send: Some(Arc::new(send)),
        }
    }

    pub async fn report(&self, progress: f64, total: Option<f64>, message: impl Into<String>) {
        if let Some(send) = &self.send {
            send(progress, total, message.into()).await;
        }
    }
}
