//! The nodes of a centre: a node whose lease ran out is taken over by
//! exactly one live node (several sweeping at once), which closes out only
//! the dead node's calls and hands its callbacks round; each handed-back
//! callback is adopted by one node; a node that stops cleanly hands its
//! callbacks back itself; a node taken over while alive learns it when it
//! renews, and rejoins. Each node's live board is kept, one per node. On
//! both backends.

mod common;

use common::*;
use hotline_store::{CallbackKind, NewCallback};
use hotline_types::{CallEvent, CallEventRecord, CallId, QueueId, Timestamp};

const LEASE: i64 = 10_000;

fn call_on(node: &str, at: i64) -> (CallId, CallEventRecord) {
    let call = CallId::new();
    let started = CallEventRecord::new(
        call,
        Timestamp(at),
        CallEvent::CallStarted {
            caller: "13800000009".into(),
            called: "12345".into(),
            sip_call_id: format!("sip-{call}"),
            node: Some(node.into()),
            linked_call: None,
        },
    );
    (call, started)
}

fn callback_of(node: &str, number: &str, at: i64) -> NewCallback {
    NewCallback {
        call: CallId::new(),
        number: number.into(),
        queue: QueueId::from("general"),
        kind: CallbackKind::AfterHours,
        language: "zh".into(),
        priority: 0,
        requested_at: Timestamp(at),
        expires_at: Timestamp(at + 3 * 86_400_000),
        node: Some(node.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_node_is_taken_over_once() {
    for ts in stores().await {
        let s = &ts.store;
        let l = &ts.label;
        for node in ["n1", "n2", "n3"] {
            s.join_node(
                node,
                "127.0.0.1:5060",
                "127.0.0.1:8080",
                Timestamp(T0),
                LEASE,
            )
            .await
            .unwrap();
        }
        let (call_n1, start_n1) = call_on("n1", T0 + 1_000);
        let (call_n2, start_n2) = call_on("n2", T0 + 1_000);
        s.append_events(&[start_n1, start_n2]).await.unwrap();
        s.add_callback(&callback_of("n2", "13800000001", T0 + 2_000))
            .await
            .unwrap();
        s.add_callback(&callback_of("n2", "13800000002", T0 + 3_000))
            .await
            .unwrap();
        s.add_callback(&callback_of("n1", "13800000003", T0 + 3_000))
            .await
            .unwrap();
        assert!(
            s.adopt_callbacks("n3").await.unwrap().is_empty(),
            "{l}: every callback has a live node"
        );

        // n1 and n3 renew; n2 falls silent past its lease.
        let later = Timestamp(T0 + LEASE + 5_000);
        assert!(s.renew_node("n1", later, LEASE).await.unwrap(), "{l}");
        assert!(s.renew_node("n3", later, LEASE).await.unwrap(), "{l}");
        // n1 and n3 sweep at the same moment: one of them takes n2.
        let (by_n1, by_n3) = tokio::join!(
            s.take_over_lapsed_nodes("n1", later),
            s.take_over_lapsed_nodes("n3", later)
        );
        let (by_n1, by_n3) = (by_n1.unwrap(), by_n3.unwrap());
        let taken: Vec<_> = by_n1.iter().chain(&by_n3).collect();
        assert_eq!(taken.len(), 1, "{l}: n2 is taken over once: {taken:?}");
        assert_eq!(taken[0].node, "n2", "{l}");
        assert_eq!(taken[0].calls, vec![call_n2], "{l}: only n2's calls");
        assert_eq!(taken[0].callbacks, 2, "{l}");
        let record = s.call_record(call_n2).await.unwrap().unwrap();
        assert_eq!(
            record.hangup_cause.as_deref(),
            Some("crashed_process"),
            "{l}"
        );
        let alive = s.call_record(call_n1).await.unwrap().unwrap();
        assert_eq!(alive.ended_at_ms, None, "{l}: n1's call is alive");
        // Nothing more to take on a second sweep.
        assert!(s
            .take_over_lapsed_nodes("n1", later)
            .await
            .unwrap()
            .is_empty());

        // n1 and n3 adopt at once: each callback goes to one of them.
        let (a1, a3) = tokio::join!(s.adopt_callbacks("n1"), s.adopt_callbacks("n3"));
        let (a1, a3) = (a1.unwrap(), a3.unwrap());
        let mut numbers: Vec<_> = a1.iter().chain(&a3).map(|c| c.number.clone()).collect();
        numbers.sort();
        assert_eq!(numbers, ["13800000001", "13800000002"], "{l}");
        let of_n1 = s.open_callbacks_of(Some("n1")).await.unwrap();
        assert_eq!(of_n1.len(), a1.len() + 1, "{l}: its own and its adopted");
        assert_eq!(s.open_callbacks().await.unwrap().len(), 3, "{l}");

        // n2 comes back: it was taken over, so its renewal says so; it
        // rejoins and is alive again.
        assert!(!s.renew_node("n2", later, LEASE).await.unwrap(), "{l}");
        s.join_node("n2", "127.0.0.1:5060", "127.0.0.1:8080", later, LEASE)
            .await
            .unwrap();
        assert!(s.renew_node("n2", later, LEASE).await.unwrap(), "{l}");

        // n1 stops cleanly: its callbacks go back, and n2 adopts them.
        let released = s.leave_node("n1", later).await.unwrap();
        assert_eq!(released, of_n1.len() as u64, "{l}");
        let adopted = s.adopt_callbacks("n2").await.unwrap();
        assert_eq!(adopted.len(), of_n1.len(), "{l}");
        // A stopped node is not taken over (its calls were drained).
        let much_later = Timestamp(later.as_millis() + 3 * LEASE);
        assert!(s.renew_node("n2", much_later, LEASE).await.unwrap());
        let taken = s.take_over_lapsed_nodes("n2", much_later).await.unwrap();
        let names: Vec<_> = taken.iter().map(|t| t.node.as_str()).collect();
        assert_eq!(names, ["n3"], "{l}: n3 lapsed, n1 had stopped");
        let nodes = s.nodes().await.unwrap();
        let alive: Vec<_> = nodes
            .iter()
            .filter(|n| n.is_alive(much_later))
            .map(|n| n.node_id.as_str())
            .collect();
        assert_eq!(alive, ["n2"], "{l}");

        // Live boards: each node's last one replaces its previous; a node
        // reads the others' taken since a given time.
        s.put_live_board("n1", Timestamp(T0), "{\"old\":1}")
            .await
            .unwrap();
        s.put_live_board("n1", Timestamp(T0 + 1_000), "{\"n\":1}")
            .await
            .unwrap();
        s.put_live_board("n2", Timestamp(T0 + 1_000), "{\"n\":2}")
            .await
            .unwrap();
        s.put_live_board("n3", Timestamp(T0 - 9_000), "{\"n\":3}")
            .await
            .unwrap();
        let boards = s.live_boards("n2", Timestamp(T0)).await.unwrap();
        assert_eq!(
            boards,
            ["{\"n\":1}"],
            "{l}: n3's is too old, n2's own left out"
        );
    }
}
