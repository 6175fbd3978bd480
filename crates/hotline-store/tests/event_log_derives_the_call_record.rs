//! Writing a call's events produces its call record (CDR), and the events
//! read back exactly as written.

mod common;

use common::*;
use hotline_types::CallId;

#[tokio::test]
async fn event_log_derives_the_call_record() {
    for ts in stores().await {
        let call = CallId::new();
        let events = answered_call(call, "+8613900000001", "housing", 0, 15_000);
        let outcome = ts.store.append_events(&events).await.unwrap();
        assert_eq!(outcome.inserted, events.len(), "{}", ts.label);

        let r = ts.store.call_record(call).await.unwrap().expect("record");
        assert_eq!(r.caller.as_deref(), Some("+8613900000001"), "{}", ts.label);
        assert_eq!(r.called.as_deref(), Some("12345"));
        assert_eq!(r.node.as_deref(), Some("node-a"));
        assert_eq!(r.started_at_ms, Some(T0));
        assert_eq!(r.answered_at_ms, Some(T0 + 500));
        assert_eq!(r.ivr_path.as_deref(), Some("welcome>department"));
        assert_eq!(r.queue.as_deref(), Some("housing"));
        assert_eq!(r.queued_at_ms, Some(T0 + 10_000));
        assert_eq!(r.wait_ms, Some(15_000));
        assert_eq!(r.agent.as_deref(), Some("alice"));
        assert_eq!(r.offered_count, 1);
        assert_eq!(r.hold_ms, 10_000);
        // 60 s from answer to hang-up, minus 10 s on hold.
        assert_eq!(r.talk_ms, Some(50_000));
        assert_eq!(r.wrap_ms, Some(30_000));
        assert_eq!(r.disposition.as_deref(), Some("information_given"));
        assert_eq!(r.hangup_side.as_deref(), Some("caller"));
        assert_eq!(r.hangup_cause.as_deref(), Some("bye"));
        assert_eq!(
            r.recording.as_deref(),
            Some(format!("rec/{call}.wav").as_str())
        );
        assert_eq!(r.event_count, events.len() as i64);
        assert_eq!(r.abandoned, 0);

        // Written in two halves, the record is the same (incremental derivation).
        let call2 = CallId::new();
        let events2: Vec<_> = answered_call(call2, "+8613900000001", "housing", 0, 15_000);
        ts.store.append_events(&events2[..5]).await.unwrap();
        let partial = ts.store.call_record(call2).await.unwrap().unwrap();
        assert_eq!(partial.ended_at_ms, None);
        ts.store.append_events(&events2[5..]).await.unwrap();
        let whole = ts.store.call_record(call2).await.unwrap().unwrap();
        assert_eq!(
            hotline_store::CallRecord {
                call_id: r.call_id.clone(),
                sip_call_id: r.sip_call_id.clone(),
                recording: r.recording.clone(),
                ..whole
            },
            r
        );

        let back = ts.store.call_events(call).await.unwrap();
        assert_eq!(back, events, "{}", ts.label);
        ts.finish().await;
    }
}
