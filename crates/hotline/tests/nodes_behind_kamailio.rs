//! Three hotline nodes on one PostgreSQL behind Kamailio with the shipped
//! `deploy/kamailio/kamailio.cfg`: SIPp citizens' calls through Kamailio
//! are spread over the nodes, record-routed (SIPp's ACK and BYE go back
//! through Kamailio to the node that answered) and each call's record names
//! its node. Then one node is killed (`kill -9`) in the middle of a call:
//! new calls through Kamailio are all served by the other two from the
//! first one on (Kamailio moves on within its 2 s reply timer), another
//! node takes the dead one over within its lease (3 s here), closing out
//! the dead node's call in the record while the call on a live node stays
//! open, and adopts the dead node's callback. The dead node restarts under
//! the same name and rejoins without closing out anyone else's calls.
//!
//! Needs PostgreSQL (`HOTLINE_TEST_PG_URL`), Kamailio and SIPp; CI has all
//! three (`HOTLINE_REQUIRE_KAMAILIO=1`).

mod support;

use std::time::{Duration, Instant};

use hotline_store::{CallbackKind, NewCallback};
use hotline_types::{QueueId, Timestamp};
use support::centre::{
    citizens_through, drop_schema, in_schema, kamailio_available, node, started_calls, test_schema,
    wait_until, Kamailio,
};
use support::{sipp_available, sipp_with_files};

const TEST: &str = "nodes_behind_kamailio";

#[test]
fn calls_spread_over_three_nodes_and_a_dead_node_is_taken_over() {
    if !sipp_available(TEST) || !kamailio_available(TEST) {
        return;
    }
    let Some(url) = support::pg_url(TEST) else {
        return;
    };
    let (runtime, store, schema) = test_schema(&url, "nodes");
    let node_url = in_schema(&url, &schema);
    let n1 = node("n1", &node_url);
    let mut n2 = Some(node("n2", &node_url));
    let n3 = node("n3", &node_url);
    for n in [&n1, n2.as_ref().unwrap(), &n3] {
        assert!(
            n.wait_for_log("joined the centre", Duration::from_secs(10)),
            "{}",
            n.log()
        );
    }
    let sip2 = n2.as_ref().unwrap().sip;
    let edge = Kamailio::start(&[n1.sip, sip2, n3.sip]);

    // Six citizens through Kamailio: every node answers some, and every
    // call ends cleanly (SIPp's ACK and BYE follow the record-route).
    let run = citizens_through(&edge, 6, 3, 800);
    let nodes = [&n1, n2.as_ref().unwrap(), &n3];
    let logs = || {
        nodes
            .iter()
            .map(|n| n.log())
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    assert!(
        run.succeeded(),
        "{}\n{}\n{}",
        run.errors(),
        edge.log(),
        logs()
    );
    let per_node: Vec<usize> = nodes.iter().map(|n| started_calls(n).len()).collect();
    assert_eq!(per_node.iter().sum::<usize>(), 6, "{per_node:?}");
    assert!(
        per_node.iter().all(|&n| n >= 1),
        "calls spread over the nodes: {per_node:?}"
    );
    for (name, n) in ["n1", "n2", "n3"].iter().zip(nodes) {
        for call in started_calls(n) {
            let record = runtime
                .block_on(store.call_record(call))
                .unwrap()
                .expect("the record");
            assert_eq!(record.node.as_deref(), Some(*name));
        }
    }

    // A long call on n1 and one on n2, straight to each; a callback that
    // n2 works.
    let long = ["-sn", "uac", "-s", "12345", "-m", "1", "-d", "60000"];
    let _on_n1 = sipp_with_files(n1.sip, &long, &[], Duration::from_secs(70));
    let _on_n2 = sipp_with_files(sip2, &long, &[], Duration::from_secs(70));
    let before = (
        started_calls(&n1).len(),
        started_calls(n2.as_ref().unwrap()).len(),
    );
    wait_until("both long calls started", Duration::from_secs(10), || {
        started_calls(&n1).len() > before.0 && started_calls(n2.as_ref().unwrap()).len() > before.1
    });
    let call_n1 = *started_calls(&n1).last().unwrap();
    let call_n2 = *started_calls(n2.as_ref().unwrap()).last().unwrap();
    let now = Timestamp::from_system_time(std::time::SystemTime::now());
    let callback = runtime
        .block_on(store.add_callback(&NewCallback {
            call: call_n2,
            number: "13800138000".into(),
            queue: QueueId::from("general"),
            kind: CallbackKind::AfterHours,
            language: "zh".into(),
            priority: 0,
            requested_at: now,
            expires_at: now.plus(Duration::from_secs(3600)),
            node: Some("n2".into()),
        }))
        .unwrap();

    // n2 dies.
    n2.as_ref().unwrap().signal("KILL");
    let killed = Instant::now();
    let killed_at = jiff::Timestamp::now();
    // New calls through Kamailio right away: every one is served.
    let run = citizens_through(&edge, 4, 2, 300);
    assert!(
        run.succeeded(),
        "{}\n{}\n{}",
        run.errors(),
        edge.log(),
        n1.log()
    );
    let served = killed.elapsed();
    assert!(
        served < Duration::from_secs(2 + 5),
        "4 calls at 2/s after the kill took {served:?}"
    );
    assert!(
        edge.log().contains("did not take INVITE"),
        "Kamailio moved past the dead node: {}",
        edge.log()
    );

    // Taken over within the lease (3 s) and a round (1 s): n2's call is
    // closed out, n1's is alive; the callback is worked by n1 or n3.
    wait_until("n2 taken over", Duration::from_secs(10), || {
        n1.log().contains("took over a node") || n3.log().contains("took over a node")
    });
    // When, by the taker's own log line.
    let line = [&n1, &n3]
        .iter()
        .flat_map(|n| n.log().lines().map(str::to_owned).collect::<Vec<_>>())
        .find(|l| l.contains("took over a node"))
        .expect("the take-over's line");
    let at: jiff::Timestamp = serde_json::from_str::<serde_json::Value>(&line).unwrap()
        ["timestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let taken_over = Duration::try_from(at.duration_since(killed_at)).unwrap_or_default();
    assert!(
        taken_over < Duration::from_secs(3 + 2),
        "a lease of 3 s and a round of 1 s: {taken_over:?}"
    );
    eprintln!(
        "{TEST}: after kill -9, 4 calls at 2/s all served in {served:?}; taken over after {taken_over:?}"
    );
    let record = runtime
        .block_on(store.call_record(call_n2))
        .unwrap()
        .unwrap();
    assert_eq!(record.hangup_cause.as_deref(), Some("crashed_process"));
    let alive = runtime
        .block_on(store.call_record(call_n1))
        .unwrap()
        .unwrap();
    assert_eq!(alive.ended_at_ms, None, "n1's call is alive");
    wait_until("the callback adopted", Duration::from_secs(5), || {
        ["n1", "n3"].iter().any(|node| {
            runtime
                .block_on(store.open_callbacks_of(Some(node)))
                .unwrap()
                .iter()
                .any(|c| c.id == callback.id)
        })
    });
    assert!(
        n1.log().contains("callbacks taken over from another node")
            || n3.log().contains("callbacks taken over from another node"),
        "{}\n{}",
        n1.log(),
        n3.log()
    );

    // n2 restarts under its name: it rejoins; n1's call is still open.
    drop(n2.take());
    let n2 = node("n2", &node_url);
    assert!(n2.wait_for_log("joined the centre", Duration::from_secs(10)));
    let alive = runtime
        .block_on(store.call_record(call_n1))
        .unwrap()
        .unwrap();
    assert_eq!(
        alive.ended_at_ms, None,
        "a restart closes out only its own calls"
    );
    let nodes = runtime.block_on(store.nodes()).unwrap();
    let now = Timestamp::from_system_time(std::time::SystemTime::now());
    assert_eq!(
        nodes.iter().filter(|n| n.is_alive(now)).count(),
        3,
        "{nodes:?}"
    );

    drop(n2);
    drop((n1, n3, edge));
    runtime.block_on(store.close());
    drop_schema(&url, &schema);
}
