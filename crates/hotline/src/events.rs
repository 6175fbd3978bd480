//! Where call events go: a non-blocking sink the call tasks hand events to.
//!
//! Calls never wait on it. Until the store is wired in (issue 5), events are
//! written to the log at debug level; the sink's interface stays the same.

use hotline_types::CallEventRecord;
use tokio::sync::mpsc;

/// A cheap, cloneable, never-blocking handle.
#[derive(Debug, Clone)]
pub struct EventSink {
    tx: mpsc::UnboundedSender<CallEventRecord>,
}

impl EventSink {
    /// A sink and the receiving end its consumer drains.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<CallEventRecord>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }

    /// Hands an event over; never waits.
    pub fn submit(&self, record: CallEventRecord) {
        metrics::counter!("hotline_call_events_total", "kind" => record.event.kind()).increment(1);
        if self.tx.send(record).is_err() {
            tracing::error!("call event sink is closed: an event was not recorded");
        }
    }
}

/// Drains events into the log until every sink is dropped.
pub async fn log_events(mut rx: mpsc::UnboundedReceiver<CallEventRecord>) {
    while let Some(record) = rx.recv().await {
        let event = serde_json::to_string(&record.event).unwrap_or_default();
        tracing::debug!(target: "hotline::events", call = %record.call_id, kind = record.event.kind(), event = %event);
    }
}
