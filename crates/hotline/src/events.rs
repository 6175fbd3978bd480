//! Where call events go: the store's batching writer, handed over without
//! waiting, so a call never waits on the database.
//!
//! If the writer is saturated (its bounded queue is full, which means the
//! database and the spool both fell far behind), the event is written to the
//! log at error level instead of being dropped silently, so it can still be
//! recovered: whole but for the caller's personal data, which is masked
//! unless `log.personal_data` is on. With `hotline::events=debug`, every event is also
//! logged as JSON (the end-to-end tests read them there).

use hotline_store::EventWriterHandle;
use hotline_types::CallEventRecord;

/// A cheap, cloneable, never-blocking handle.
#[derive(Debug, Clone)]
pub struct EventSink {
    writer: EventWriterHandle,
}

impl EventSink {
    pub fn new(writer: EventWriterHandle) -> Self {
        Self { writer }
    }

    /// Hands an event over; never waits.
    pub fn submit(&self, record: CallEventRecord) {
        metrics::counter!("hotline_call_events_total").increment(1);
        if tracing::enabled!(target: "hotline::events", tracing::Level::DEBUG) {
            let event = serde_json::to_string(&record.event).unwrap_or_default();
            tracing::debug!(target: "hotline::events", call = %record.call_id, kind = record.event.kind(), event = %event);
        }
        // The writer refuses only when saturated; keep a copy for that case.
        if !self.writer.submit(record.clone()) {
            // The record minus the caller's personal data (masked unless
            // log.personal_data is on): the call's figures survive.
            let mut logged = record;
            logged.event = logged.event.for_log();
            let json = serde_json::to_string(&logged).unwrap_or_default();
            tracing::error!(target: "hotline::events::lost", record = %json, "the store writer is saturated: call event kept in this log line only");
        }
    }
}
