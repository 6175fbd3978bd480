//! The work orders page in real Chromium (Debian's `chromium`, driven by
//! `playwright-core` from tests/browser): an agent takes a request down
//! through the API (the catalogue sends it to housing); the demo housing
//! handler opens /orders/, finds it in the department's inbox, accepts,
//! replies and closes it with the page's buttons, and the store agrees:
//! the order is closed on time (an anonymous report: no follow-up due).
//! Skipped loudly when Chromium or playwright-core is missing, required in
//! CI (`HOTLINE_REQUIRE_CHROMIUM=1`).

mod support;

use serde_json::{json, Value};
use support::console::ConsoleClient;
use support::{chromium_available, step_json, Hotline};

#[test]
fn a_handler_accepts_replies_and_closes_an_order_in_the_browser() {
    let test = "a_handler_accepts_replies_and_closes_an_order_in_the_browser";
    if !chromium_available(test) {
        return;
    }
    let hotline =
        Hotline::start_with_args(&["--demo"], &[("HOTLINE_CONSOLE_SECURE_COOKIES", "false")]);
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let created = agent.post(
        "/api/orders",
        json!({
            "category": "request", "address": "景山前街 4 号", "district": "东城区",
            "street": "景山街道", "summary": "The stairwell light has been out for a week"
        }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["order"]["department"], "housing");
    let reference = created.body["order"]["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();

    let mut browser = support::BrowserScript::start(
        "orders.mjs",
        &[
            ("HOTLINE_URL", &format!("http://{}", hotline.http)),
            ("HANDLER_LOGIN", "handler-housing"),
            ("HANDLER_PASSWORD", "handler-housing-demo-pass"),
            ("REFERENCE", &reference),
        ],
    );
    let mut next = |what: &str| browser.step(what, &hotline);
    let inbox = step_json(&next("INBOX"), "INBOX");
    assert_eq!(inbox["department"], "housing", "{inbox}");
    assert_eq!(inbox["phase"], "dispatched", "{inbox}");
    assert_eq!(
        inbox["hotlineLists"], false,
        "a handler sees no hotline lists: {inbox}"
    );
    assert_eq!(inbox["nav"]["orders"], true, "{inbox}");
    assert_eq!(
        inbox["nav"]["console"], false,
        "a handler takes no calls: {inbox}"
    );
    let opened = step_json(&next("OPENED"), "OPENED");
    let buttons: Vec<String> = serde_json::from_value(opened["buttons"].clone()).expect("buttons");
    assert!(buttons.contains(&"order-do-accept".to_owned()), "{opened}");
    assert!(buttons.contains(&"order-do-return".to_owned()), "{opened}");
    assert!(
        !buttons.contains(&"order-do-close".to_owned()),
        "not before accepting: {opened}"
    );
    let closed = step_json(&next("CLOSED"), "CLOSED");
    assert_eq!(
        closed["history"],
        // An anonymous report: nobody to call back, so no follow-up is due.
        json!([
            "created",
            "dispatched",
            "accepted",
            "attachment_added",
            "replied",
            "closed"
        ]),
        "{closed}"
    );
    assert_eq!(
        closed["reply"],
        "The stairwell light was replaced on Thursday."
    );
    assert_eq!(closed["attachments"], json!(["site-visit.txt"]), "{closed}");
    let zh = step_json(&next("ZH"), "ZH");
    assert_eq!(zh["title"], "工单", "{zh}");
    assert_eq!(zh["phase"], "已办结", "{zh}");
    assert_eq!(next("DONE"), "DONE");

    // The store agrees: closed by the handler, on time, no follow-up due
    // (anonymous).
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let order = supervisor.get(&format!("/api/orders/{reference}")).body;
    assert_eq!(order["order"]["phase"], "closed", "{order}");
    assert_eq!(order["order"]["closure"]["on_time"], true, "{order}");
    assert_eq!(order["order"]["follow_up_due"], Value::Null, "{order}");
    // The file the handler attached, as the browser sent it.
    let file = supervisor.get(&format!("/api/orders/{reference}/attachments/1"));
    assert_eq!(file.status, 200, "{file:?}");
    assert_eq!(
        file.text,
        format!("Site visit for {reference}: seen and fixed.\n")
    );
    let headers = file.headers.to_ascii_lowercase();
    assert!(headers.contains("content-type: text/plain"), "{headers}");
    assert!(
        headers.contains("content-disposition: attachment"),
        "{headers}"
    );
    assert!(browser.artifacts.join("orders-closed.png").exists());
}

/// An agent takes down the same request twice; the demo dispatcher merges
/// the second into the first with the page's merge button (并单), typing the
/// master's reference as it is read out, and the store agrees: the
/// duplicate is merged into the master, which goes on with its department.
#[test]
fn a_dispatcher_merges_a_duplicate_in_the_browser() {
    let test = "a_dispatcher_merges_a_duplicate_in_the_browser";
    if !chromium_available(test) {
        return;
    }
    let hotline =
        Hotline::start_with_args(&["--demo"], &[("HOTLINE_CONSOLE_SECURE_COOKIES", "false")]);
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let take_down = || {
        let created = agent.post(
            "/api/orders",
            json!({
                "category": "request", "address": "景山前街 4 号", "district": "东城区",
                "street": "景山街道", "summary": "The courtyard gate is broken"
            }),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        created.body["order"]["reference"]
            .as_str()
            .expect("a reference")
            .to_owned()
    };
    let master = take_down();
    let duplicate = take_down();

    let (login, password) = ("dispatcher1", "dispatcher1-demo-pass");
    let mut browser = support::BrowserScript::start(
        "orders_merge.mjs",
        &[
            ("HOTLINE_URL", &format!("http://{}", hotline.http)),
            ("LOGIN", login),
            ("PASSWORD", password),
            ("DUPLICATE", &duplicate),
            ("MASTER", &master),
        ],
    );
    let mut next = |what: &str| browser.step(what, &hotline);
    let opened = step_json(&next("OPENED"), "OPENED");
    assert!(
        opened["buttons"]
            .as_array()
            .expect("buttons")
            .contains(&json!("order-do-merge")),
        "the core lets a dispatcher merge a dispatched order: {opened}"
    );
    assert_eq!(opened["into"], true, "{opened}");
    let merged = step_json(&next("MERGED"), "MERGED");
    assert_eq!(
        merged["history"],
        json!(["created", "dispatched", "merged_into"]),
        "{merged}"
    );
    assert_eq!(merged["phase"], "Merged", "{merged}");
    let grouped = format!("{}-{}-{}", &master[..6], &master[6..11], &master[11..]);
    assert_eq!(
        merged["into"],
        json!(grouped),
        "the master, as read out: {merged}"
    );
    assert!(
        !merged["buttons"]
            .as_array()
            .expect("buttons")
            .contains(&json!("order-do-merge")),
        "a merged order is merged no further: {merged}"
    );
    assert_eq!(next("DONE"), "DONE");

    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let gone = supervisor.get(&format!("/api/orders/{duplicate}")).body;
    assert_eq!(gone["order"]["phase"], "merged", "{gone}");
    assert_eq!(gone["order"]["merged_into"], json!(master), "{gone}");
    let kept = supervisor.get(&format!("/api/orders/{master}")).body;
    assert_eq!(kept["order"]["phase"], "dispatched", "{kept}");
    assert!(browser.artifacts.join("orders-merged.png").exists());
}
