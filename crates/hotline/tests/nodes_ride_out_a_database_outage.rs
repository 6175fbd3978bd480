//! Two nodes behind Kamailio lose their PostgreSQL for 6 s (twice their
//! 3 s lease) while citizens keep calling: every call is answered and
//! ended, every call record reaches the store once the database is back
//! (the nodes spooled them), and neither node takes the other over (both
//! leases ran out during the outage, and the first node back gives the
//! other a whole lease to renew before judging it). Needs PostgreSQL
//! (`HOTLINE_TEST_PG_URL`), Kamailio and SIPp.

mod support;

use std::time::{Duration, Instant};

use support::centre::{
    citizens_calling_through, drop_schema, in_schema, kamailio_available, node, started_calls,
    test_schema, via_port, wait_until, DbRelay, Kamailio,
};
use support::sipp_available;

const TEST: &str = "nodes_ride_out_a_database_outage";

#[test]
fn calls_are_answered_and_recorded_through_a_database_outage() {
    if !sipp_available(TEST) || !kamailio_available(TEST) {
        return;
    }
    let Some(url) = support::pg_url(TEST) else {
        return;
    };
    let (runtime, store, schema) = test_schema(&url, "outage");
    let (_, upstream) = via_port(&url, 0);
    let relay = DbRelay::start(upstream);
    let (relayed, _) = via_port(&url, relay.port);
    let node_url = in_schema(&relayed, &schema);
    let n1 = node("n1", &node_url);
    let n2 = node("n2", &node_url);
    for n in [&n1, &n2] {
        assert!(n.wait_for_log("joined the centre", Duration::from_secs(10)));
    }
    let edge = Kamailio::start(&[n1.sip, n2.sip]);
    // Both nodes have seen the store for a lease: they would take over a
    // silent node from now on.
    std::thread::sleep(Duration::from_secs(4));

    // 16 citizens over 8 s; the database is away from 2 s to 8 s.
    let citizens = citizens_calling_through(&edge, 16, 2, 500);
    std::thread::sleep(Duration::from_secs(2));
    relay.cut();
    let cut = Instant::now();
    std::thread::sleep(Duration::from_secs(6));
    relay.restore();
    let outage = cut.elapsed();
    let run = citizens.wait(Duration::from_secs(30));
    assert!(
        run.succeeded(),
        "every citizen answered through the outage: {}\n{}\n{}",
        run.errors(),
        n1.log(),
        n2.log()
    );
    let calls: Vec<_> = started_calls(&n1)
        .into_iter()
        .chain(started_calls(&n2))
        .collect();
    assert_eq!(calls.len(), 16);

    // Every record reaches the store, ended by the citizen.
    wait_until(
        "every call record in the store",
        Duration::from_secs(30),
        || {
            calls.iter().all(|call| {
                runtime
                    .block_on(store.call_record(*call))
                    .ok()
                    .flatten()
                    .is_some_and(|r| r.ended_at_ms.is_some())
            })
        },
    );
    for call in &calls {
        let record = runtime.block_on(store.call_record(*call)).unwrap().unwrap();
        assert_ne!(
            record.hangup_cause.as_deref(),
            Some("crashed_process"),
            "{record:?}"
        );
    }
    // A lease and a round later, still nobody taken over.
    std::thread::sleep(Duration::from_secs(5));
    for n in [&n1, &n2] {
        assert!(!n.log().contains("took over a node"), "{}", n.log());
        assert!(
            n.log().contains("the lease could not be renewed"),
            "the outage was seen"
        );
    }
    let nodes = runtime.block_on(store.nodes()).unwrap();
    assert!(nodes.iter().all(|n| n.taken_over_by.is_none()), "{nodes:?}");
    eprintln!("{TEST}: 16 calls answered and recorded through a {outage:?} outage");

    drop((n1, n2, edge));
    runtime.block_on(store.close());
    drop_schema(&url, &schema);
}
