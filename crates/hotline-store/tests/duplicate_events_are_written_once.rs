//! Writing the same events again (a replay) changes nothing: the log and
//! the call record count each event once.

mod common;

use common::*;
use hotline_types::CallId;

#[tokio::test]
async fn duplicate_events_are_written_once() {
    for ts in stores().await {
        let call = CallId::new();
        let events = abandoned_call(call, "+8613900000002", "water", 0, 30_000);
        ts.store.append_events(&events).await.unwrap();
        let before = ts.store.call_record(call).await.unwrap().unwrap();

        // The whole batch again, plus the same event twice in one batch.
        let mut again = events.clone();
        again.push(events[0].clone());
        let outcome = ts.store.append_events(&again).await.unwrap();
        assert_eq!(outcome.inserted, 0, "{}", ts.label);
        assert_eq!(outcome.duplicates, again.len());

        assert_eq!(ts.store.event_count().await.unwrap(), events.len() as i64);
        assert_eq!(ts.store.call_record(call).await.unwrap().unwrap(), before);
        assert_eq!(before.abandoned, 1);
        assert_eq!(before.abandon_wait_ms, Some(30_000));
        ts.finish().await;
    }
}
