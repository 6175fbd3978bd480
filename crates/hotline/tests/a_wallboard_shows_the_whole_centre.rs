//! Two demo nodes of a centre on one PostgreSQL: agent 1 logs in on node
//! 1 (phone and console) and takes a break; the supervisor's wallboard on
//! node 2, whose own ACD has agent 1 logged out, shows agent 1 on the break
//! within seconds. When node 1 stops, node 2's wallboard drops its
//! picture.
//! Needs PostgreSQL (`HOTLINE_TEST_PG_URL`) and SIPp (the agent's phone).

mod support;

use std::time::{Duration, Instant};

use support::centre::{drop_schema, in_schema, test_schema};
use support::console::ConsoleClient;
use support::{agent1_on_a_break, sipp_available, Hotline};

const TEST: &str = "a_wallboard_shows_the_whole_centre";

fn demo_node(name: &str, url: &str) -> Hotline {
    Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_DATABASE_URL", url),
            ("HOTLINE_CLUSTER_NODE", name),
            ("HOTLINE_CLUSTER_LEASE_SECS", "3"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    )
}

/// agent1's state on `supervisor`'s wallboard.
fn agent1_state(supervisor: &ConsoleClient) -> Option<String> {
    let board = supervisor.get("/api/wallboard");
    assert_eq!(board.status, 200, "{board:?}");
    board.body["agents"]
        .as_array()?
        .iter()
        .find(|a| a["agent"] == "agent1")
        .and_then(|a| a["state"].as_str().map(str::to_owned))
}

fn wait_for_state(supervisor: &ConsoleClient, state: &str, timeout: Duration) -> Option<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = agent1_state(supervisor);
        if seen.as_deref() == Some(state) || Instant::now() > deadline {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_wallboard_on_one_node_shows_an_agent_on_another() {
    if !sipp_available(TEST) {
        return;
    }
    let Some(url) = support::pg_url(TEST) else {
        return;
    };
    let (runtime, store, schema) = test_schema(&url, "centre");
    let node_url = in_schema(&url, &schema);
    let n1 = demo_node("n1", &node_url);
    let n2 = demo_node("n2", &node_url);

    let (_phone, _agent) = agent1_on_a_break(&n1);
    let on_n1 = ConsoleClient::login(n1.http, "supervisor1", "supervisor1-demo-pass");
    assert_eq!(
        wait_for_state(&on_n1, "break", Duration::from_secs(5)).as_deref(),
        Some("break"),
        "{}",
        n1.log()
    );
    let on_n2 = ConsoleClient::login(n2.http, "supervisor1", "supervisor1-demo-pass");
    let seen = wait_for_state(&on_n2, "break", Duration::from_secs(6));
    assert_eq!(
        seen.as_deref(),
        Some("break"),
        "node 2's wallboard shows agent 1 as node 1 sees them\n{}",
        n2.log()
    );

    // Node 1 stops: its picture leaves node 2's wallboard within 5 s (node
    // 2's ACD knows agent 1 only from a login there).
    assert!(n1.stop().success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while agent1_state(&on_n2).as_deref() == Some("break") {
        assert!(
            Instant::now() < deadline,
            "node 1's stale picture stayed\n{}",
            n2.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    drop(n2);
    runtime.block_on(store.close());
    drop_schema(&url, &schema);
}
