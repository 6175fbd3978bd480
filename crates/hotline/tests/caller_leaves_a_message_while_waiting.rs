//! A queued caller presses 2 to leave a message instead of waiting: the
//! call leaves the queue (not an abandon), the IVR records the message,
//! takes it down as a work order of the voicemail node's category,
//! dispatched at once to the department the catalogue names (the water
//! authority's inbox has it), and reads its number back.

mod support;

use std::time::Duration;

use support::console::ConsoleClient;
use support::sipp_available;

#[test]
fn a_waiting_caller_leaves_a_message_instead() {
    if !sipp_available("a_waiting_caller_leaves_a_message_instead") {
        return;
    }
    let (hotline, _scripts) = support::demo_on_the_agent_path(&[]);
    // An agent is logged in but on a break, so the caller waits.
    let (_phone, _agent) = support::agent1_on_a_break(&hotline);

    let caller = support::citizen_leaving_a_message(&hotline);
    assert!(
        caller.succeeded(),
        "the message is taken and the hotline hangs up: {}\n{}",
        caller.errors(),
        hotline.log()
    );
    let overflowed = hotline.wait_for_events("overflowed", 1, Duration::from_secs(2));
    assert_eq!(overflowed.len(), 1, "{}", hotline.log());
    assert_eq!(overflowed[0]["event"]["to"], "voicemail");
    assert_eq!(overflowed[0]["event"]["reason"], "caller_choice");
    assert!(
        hotline
            .wait_for_events("abandoned", 1, Duration::from_millis(200))
            .is_empty(),
        "leaving for a message is not an abandon"
    );
    let recorded = hotline.wait_for_events("voicemail_recorded", 1, Duration::from_secs(2));
    assert_eq!(recorded.len(), 1, "{}", hotline.log());
    assert!(recorded[0]["event"]["duration_ms"].as_u64().unwrap_or(0) >= 2_000);
    let case_ref = recorded[0]["event"]["case_ref"]
        .as_str()
        .expect("a case")
        .to_owned();
    let linked = hotline.wait_for_events("case_linked", 1, Duration::from_secs(2));
    assert_eq!(linked[0]["event"]["case_ref"], case_ref.as_str());

    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let order = supervisor.get(&format!("/api/orders/{case_ref}"));
    assert_eq!(order.status, 200, "{}", order.body);
    let order = &order.body["order"];
    assert_eq!(order["channel"], "voice_message");
    assert_eq!(order["category"], "water_outage");
    assert_eq!(order["phase"], "dispatched");
    assert_eq!(order["department"], "water");
    assert_eq!(order["created_by"], "ivr");
    assert!(
        order["summary"].as_str().unwrap().contains("Voice message"),
        "{order}"
    );
    let inbox = supervisor.get("/api/orders/inbox?department=water");
    assert_eq!(
        inbox.body["orders"][0]["reference"],
        case_ref.as_str(),
        "{}",
        inbox.body
    );
}
