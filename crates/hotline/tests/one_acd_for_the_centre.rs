//! One ACD for a centre of three nodes on one PostgreSQL, Kamailio in
//! front (`crate::centre`):
//! - n2 starts first and leads the centre's ACD; agent1's phone (SIPp)
//!   registers through Kamailio, which hands the REGISTER to one node;
//!   agent1's console is on n1;
//! - with agent1 on a break, citizen A calls n3 and queues, then citizen B
//!   calls n1 (the agent's own node) and queues; agent1 becomes available
//!   and is offered A's call first (first come, first served across the
//!   centre): the screen-pop arrives on n1's console with the citizen's
//!   record, n3 places the agent's leg (through Kamailio, to the phone's
//!   Contact) and the call is answered; A's record is n3's and names
//!   agent1;
//! - the leader is killed (`kill -9`): another node takes the lead within
//!   seconds, agent1 is logged in again there (from what n1 knew), and a
//!   new citizen C calling n3 reaches agent1 on n1 again.
//!
//! Needs PostgreSQL (`HOTLINE_TEST_PG_URL`), Kamailio and SIPp; CI has all
//! three.

mod support;

use std::time::{Duration, Instant};

use hotline_types::CallId;
use serde_json::json;
use support::centre::{
    demo_node, drop_schema, in_schema, kamailio_available, test_schema, via_port, wait_until,
    DbRelay, Kamailio,
};
use support::console::ConsoleClient;
use support::{agent_path_scripts, agent_phone_registered_at, sipp_available, Hotline};

const TEST: &str = "one_acd_for_the_centre";

/// The calls `node` queued, in order.
fn queued_calls(node: &Hotline) -> Vec<CallId> {
    node.events()
        .iter()
        .filter(|e| e["kind"] == "queued")
        .map(|e| serde_json::from_value(e["call"].clone()).expect("a call id"))
        .collect()
}

/// The `n`th screen-pop (from 1) on the socket.
fn nth_pop(
    socket: &support::console::Socket,
    n: usize,
    timeout: Duration,
) -> Option<serde_json::Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let pops: Vec<_> = socket
            .all()
            .into_iter()
            .filter(|m| m["type"] == "pop")
            .collect();
        if let Some(pop) = pops.into_iter().nth(n - 1) {
            return Some(pop);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `n`th message of `kind` (from 1) on the socket.
fn nth(socket: &support::console::Socket, kind: &str, n: usize, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while socket.all().iter().filter(|m| m["type"] == kind).count() < n {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// The agent logs in to take calls: within 5 s, as soon as their phone's
/// registration has reached the store (`logs` when it did not).
fn takes_calls(agent: &ConsoleClient, logs: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let login = agent.post("/api/agent/login", json!({}));
        if login.status == 200 {
            return;
        }
        assert!(Instant::now() < deadline, "{login:?}\n{}", logs());
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn leads(node: &Hotline) -> bool {
    node.log().contains("this node leads the centre's ACD")
}

#[test]
fn an_agent_on_one_node_answers_calls_from_another_in_the_centres_order() {
    if !sipp_available(TEST) || !kamailio_available(TEST) {
        return;
    }
    let Some(url) = support::pg_url(TEST) else {
        return;
    };
    let (runtime, store, schema) = test_schema(&url, "centre_acd");
    let node_url = in_schema(&url, &schema);
    let scripts = agent_path_scripts();
    let n2 = demo_node("n2", &node_url, scripts.path());
    wait_until("n2 leads", Duration::from_secs(10), || leads(&n2));
    let n1 = demo_node("n1", &node_url, scripts.path());
    let n3 = demo_node("n3", &node_url, scripts.path());
    let logs = |nodes: &[&Hotline]| {
        nodes
            .iter()
            .map(|n| n.log())
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    for n in [&n1, &n3] {
        assert!(
            n.wait_for_log("led by another node", Duration::from_secs(10)),
            "{}",
            n.log()
        );
    }
    let edge = Kamailio::start(&[n1.sip, n2.sip, n3.sip]);

    // agent1's phone registers through Kamailio and answers three calls.
    let phone = agent_phone_registered_at(
        edge.addr,
        "agent1",
        "agent1-sip-pass",
        &["-sn", "uas", "-rtp_echo", "-m", "3"],
    );
    // agent1's console is on n1; the registration reaches the store within
    // half a second.
    let agent = ConsoleClient::login(n1.http, "agent1", "agent1-demo-pass");
    let socket = agent.open_socket();
    takes_calls(&agent, || logs(&[&n1, &n2, &n3]));
    assert!(
        socket.wait_for_state("available", Duration::from_secs(5)),
        "{:?}",
        socket.all()
    );
    let on_break = agent.post(
        "/api/agent/state",
        json!({ "state": "break", "reason": "meeting" }),
    );
    assert_eq!(on_break.status, 200, "{on_break:?}");

    // A queues on n3, then B on n1.
    let citizen_a = support::citizen_reaching_an_agent(&n3);
    wait_until("A queued on n3", Duration::from_secs(10), || {
        !queued_calls(&n3).is_empty()
    });
    let call_a = queued_calls(&n3)[0];
    let _citizen_b = support::citizen_reaching_an_agent(&n1);
    wait_until("B queued on n1", Duration::from_secs(10), || {
        !queued_calls(&n1).is_empty()
    });
    let call_b = queued_calls(&n1)[0];

    // agent1 takes calls: A's comes first, with the citizen's record.
    let available = agent.post("/api/agent/state", json!({ "state": "available" }));
    assert_eq!(available.status, 200, "{available:?}");
    let offered = Instant::now();
    let pop = nth_pop(&socket, 1, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no pop: {:?}\n{}", socket.all(), logs(&[&n1, &n2, &n3])));
    let popped = offered.elapsed();
    assert_eq!(
        pop["call"],
        call_a.to_string(),
        "A queued first (B: {call_b})"
    );
    assert_eq!(pop["caller"], "13800138000", "{pop}");
    assert_eq!(
        pop["citizens"][0]["citizen"]["full_name"], "Chen Jing",
        "{pop}"
    );
    let (_, answered) = socket
        .wait_for("answered", Duration::from_secs(10))
        .unwrap_or_else(|| {
            panic!(
                "not answered: {:?}\n{}\n{}",
                socket.all(),
                edge.log(),
                logs(&[&n1, &n2, &n3])
            )
        });
    assert_eq!(answered["call"], call_a.to_string());
    assert!(
        n3.log().contains("ringing the agent's phone"),
        "n3, the call's node, rang the phone: {}",
        n3.log()
    );
    eprintln!("{TEST}: agent available -> pop on n1 for n3's call in {popped:?}");

    let citizen_a = citizen_a.wait(Duration::from_secs(40));
    assert!(citizen_a.succeeded(), "citizen A: {}", citizen_a.errors());
    assert!(
        socket.wait_for_state("wrap_up", Duration::from_secs(10)),
        "{:?}",
        socket.all()
    );
    let record = runtime
        .block_on(store.call_record(call_a))
        .unwrap()
        .expect("A's record");
    assert_eq!(record.node.as_deref(), Some("n3"));
    assert_eq!(record.agent.as_deref(), Some("agent1"), "{record:?}");
    let wrapped = agent.post(
        &format!("/api/calls/{call_a}/wrap_up"),
        json!({ "disposition": "case_opened" }),
    );
    assert_eq!(wrapped.status, 200, "{wrapped:?}");
    // B is offered next (or has hung up meanwhile: its script's time is
    // up); agent1 is free again before the leader dies.
    let mut pops = 1;
    if let Some(pop) = nth_pop(&socket, 2, Duration::from_secs(3)) {
        pops = 2;
        assert_eq!(pop["call"], call_b.to_string());
        if nth(&socket, "answered", 2, Duration::from_secs(10)) {
            assert!(socket.wait_for_state_times("wrap_up", 2, Duration::from_secs(30)));
            let wrapped = agent.post(
                &format!("/api/calls/{call_b}/wrap_up"),
                json!({ "disposition": "case_opened" }),
            );
            assert_eq!(wrapped.status, 200, "{wrapped:?}");
        }
    }
    wait_until("agent1 available again", Duration::from_secs(5), || {
        socket
            .all()
            .iter()
            .rev()
            .find(|m| m["type"] == "state")
            .is_some_and(|m| m["state"] == "available")
    });

    // The leader dies; another node leads within seconds and knows agent1.
    n2.signal("KILL");
    let killed = Instant::now();
    wait_until("a new leader", Duration::from_secs(10), || {
        leads(&n1) || leads(&n3)
    });
    let moved = killed.elapsed();
    eprintln!("{TEST}: the leader moved {moved:?} after kill -9");
    let citizen_c = support::citizen_reaching_an_agent(&n3);
    let pop = nth_pop(&socket, pops + 1, Duration::from_secs(20)).unwrap_or_else(|| {
        panic!(
            "no pop after the leader moved: {:?}\n{}",
            socket.all(),
            logs(&[&n1, &n3])
        )
    });
    let call_c = *queued_calls(&n3).last().unwrap();
    assert_eq!(pop["call"], call_c.to_string());
    assert!(
        nth(&socket, "answered", pops + 1, Duration::from_secs(10)),
        "{:?}\n{}",
        socket.all(),
        logs(&[&n1, &n3])
    );
    let citizen_c = citizen_c.wait(Duration::from_secs(40));
    assert!(citizen_c.succeeded(), "citizen C: {}", citizen_c.errors());
    drop(phone);
    drop((n1, n3, edge));
    drop_schema(&url, &schema);
}

/// Kamailio keeps no registration: the nodes do, in the store. After a
/// Kamailio restart a phone that registered through the old one is rung
/// through the new one at once, and its next REGISTER is taken as before.
#[test]
fn registrations_survive_a_kamailio_restart() {
    const TEST: &str = "registrations_survive_a_kamailio_restart";
    if !sipp_available(TEST) || !kamailio_available(TEST) {
        return;
    }
    let Some(url) = support::pg_url(TEST) else {
        return;
    };
    let (_runtime, _store, schema) = test_schema(&url, "edge_restart");
    let node_url = in_schema(&url, &schema);
    let scripts = agent_path_scripts();
    let n1 = demo_node("n1", &node_url, scripts.path());
    wait_until("n1 leads", Duration::from_secs(10), || leads(&n1));
    let n2 = demo_node("n2", &node_url, scripts.path());
    assert!(n2.wait_for_log("led by another node", Duration::from_secs(10)));
    let edge = Kamailio::start(&[n1.sip, n2.sip]);
    let port = edge.addr.port();
    let phone = agent_phone_registered_at(
        edge.addr,
        "agent1",
        "agent1-sip-pass",
        &["-sn", "uas", "-rtp_echo", "-m", "2"],
    );
    let agent = ConsoleClient::login(n2.http, "agent1", "agent1-demo-pass");
    let socket = agent.open_socket();
    takes_calls(&agent, || n2.log());

    // Kamailio restarts on the same address.
    drop(edge);
    let edge = Kamailio::start_on(&[n1.sip, n2.sip], port);
    // A citizen on n1: agent1's phone (registered through the old
    // Kamailio) rings through the new one.
    let citizen = support::citizen_reaching_an_agent(&n1);
    assert!(
        nth(&socket, "answered", 1, Duration::from_secs(20)),
        "{:?}\n{}\n{}",
        socket.all(),
        edge.log(),
        n1.log()
    );
    let citizen = citizen.wait(Duration::from_secs(40));
    assert!(citizen.succeeded(), "citizen: {}", citizen.errors());
    // The phone's next REGISTER (a refresh) goes through the new Kamailio.
    let refresh = support::sipp_with_files(
        edge.addr,
        &[
            "-sf",
            &support::scenario("register_auth.xml"),
            "-s",
            "agent1",
            "-au",
            "agent1",
            "-ap",
            "agent1-sip-pass",
            "-m",
            "1",
        ],
        &[],
        Duration::from_secs(10),
    )
    .wait(Duration::from_secs(10));
    assert!(refresh.succeeded(), "{}", refresh.errors());
    drop((phone, n1, n2, edge));
    drop_schema(&url, &schema);
}

/// The centre's ACD after PostgreSQL went away for longer than a lease:
/// the leader lost its lock with its connection, the nodes lost their
/// messages; once the database is back a node leads again, knows agent1
/// (whose console is on n1) and offers them a call that lands on n2.
#[test]
fn the_acd_comes_back_after_a_database_outage() {
    const TEST: &str = "the_acd_comes_back_after_a_database_outage";
    if !sipp_available(TEST) {
        return;
    }
    let Some(url) = support::pg_url(TEST) else {
        return;
    };
    let (_runtime, _store, schema) = test_schema(&url, "acd_outage");
    let (_, upstream) = via_port(&url, 0);
    let relay = DbRelay::start(upstream);
    let (relayed, _) = via_port(&url, relay.port);
    let node_url = in_schema(&relayed, &schema);
    let scripts = agent_path_scripts();
    let n1 = demo_node("n1", &node_url, scripts.path());
    wait_until("n1 leads", Duration::from_secs(10), || leads(&n1));
    let n2 = demo_node("n2", &node_url, scripts.path());
    assert!(n2.wait_for_log("led by another node", Duration::from_secs(10)));
    // agent1's phone registers with n2, their console is on n1.
    let phone = agent_phone_registered_at(
        n2.sip,
        "agent1",
        "agent1-sip-pass",
        &["-sn", "uas", "-rtp_echo", "-m", "1"],
    );
    let agent = ConsoleClient::login(n1.http, "agent1", "agent1-demo-pass");
    let socket = agent.open_socket();
    takes_calls(&agent, || n1.log());
    assert!(socket.wait_for_state("available", Duration::from_secs(5)));

    // The database is away for 5 s (the lease is 3 s).
    relay.cut();
    std::thread::sleep(Duration::from_secs(5));
    relay.restore();
    let led = |n: &Hotline| n.log().matches("this node leads the centre's ACD").count();
    wait_until("a node leads again", Duration::from_secs(20), || {
        led(&n1) + led(&n2) >= 2
    });
    // Give the nodes a heartbeat to hear the leader and replay.
    std::thread::sleep(Duration::from_secs(2));
    let citizen = support::citizen_reaching_an_agent(&n2);
    assert!(
        nth(&socket, "answered", 1, Duration::from_secs(30)),
        "{:?}\n{}\n---\n{}",
        socket.all(),
        n1.log(),
        n2.log()
    );
    let citizen = citizen.wait(Duration::from_secs(40));
    assert!(citizen.succeeded(), "citizen: {}", citizen.errors());
    drop((phone, n1, n2, relay));
    drop_schema(&url, &schema);
}
