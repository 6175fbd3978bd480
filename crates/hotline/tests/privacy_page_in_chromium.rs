//! The privacy officer's page in real Chromium (Debian's `chromium`, driven
//! by `playwright-core` from tests/browser): the demo officer opens
//! /privacy/, finds the demo citizen under a request's reference, sees who
//! read the record, downloads the archive (a tar holding citizen.json),
//! erases the citizen and reads the receipt; the store agrees. Skipped
//! loudly when Chromium or playwright-core is missing, required in CI
//! (`HOTLINE_REQUIRE_CHROMIUM=1`).

mod support;

use std::io::Read;

use support::console::ConsoleClient;
use support::{chromium_available, step_json, Hotline};

#[test]
fn the_privacy_officer_exports_and_erases_a_citizen_in_the_browser() {
    let test = "the_privacy_officer_exports_and_erases_a_citizen_in_the_browser";
    if !chromium_available(test) {
        return;
    }
    let hotline =
        Hotline::start_with_args(&["--demo"], &[("HOTLINE_CONSOLE_SECURE_COOKIES", "false")]);
    // Someone saw the record first: the supervisor, with a reason.
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let found = supervisor.get(
        "/api/citizens?q=13800138000&reason=the%20caller%20is%20on%20the%20line%20and%20gave%20these%20details",
    );
    assert_eq!(found.status, 200, "{found:?}");
    let citizen = found.body[0]["citizen"]["id"]
        .as_i64()
        .expect("the demo citizen");

    let mut browser = support::BrowserScript::start(
        "privacy.mjs",
        &[
            ("HOTLINE_URL", &format!("http://{}", hotline.http)),
            ("OFFICER_LOGIN", "privacy1"),
            ("OFFICER_PASSWORD", "privacy1-demo-pass"),
            ("NUMBER", "13800138000"),
            ("REQUEST", "DPR-2026-0042"),
        ],
    );
    let mut next = |what: &str| browser.step(what, &hotline);
    let found = step_json(&next("FOUND"), "FOUND");
    assert!(
        found["name"].as_str().unwrap().contains("Chen Jing"),
        "{found}"
    );
    assert_eq!(found["phones"], "13800138000", "{found}");
    assert!(
        found["access"].as_i64().unwrap() >= 2,
        "who saw it: {found}"
    );
    assert_eq!(found["nav"], true, "{found}");
    assert_eq!(
        found["console_link"], false,
        "the officer takes no calls: {found}"
    );

    let exported = step_json(&next("EXPORTED"), "EXPORTED");
    let file = exported["file"].as_str().expect("the archive's path");
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .expect("the downloaded archive");
    // A tar: its first member's name, then "ustar" at 257.
    assert!(bytes.starts_with(b"citizen.json"), "{exported}");
    assert_eq!(&bytes[257..262], b"ustar", "{exported}");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("Chen Jing") && text.contains("supervisor1"),
        "{exported}"
    );

    let erased = step_json(&next("ERASED"), "ERASED");
    assert_eq!(erased["kind"], "Erasure", "{erased}");
    assert_eq!(erased["request"], "DPR-2026-0042", "{erased}");
    assert_eq!(erased["officer"], "privacy1", "{erased}");
    assert!(
        erased["removed"].as_str().unwrap().contains("\"phones\":1"),
        "{erased}"
    );
    assert_eq!(erased["citizen_shown"], false, "{erased}");
    assert!(erased["requests"].as_i64().unwrap() >= 2, "{erased}");
    let zh = step_json(&next("ZH"), "ZH");
    assert_eq!(zh["title"], "个人信息保护", "{zh}");
    assert_eq!(next("DONE"), "DONE");
    browser.wait();

    // The store agrees: the receipts, and the citizen is gone.
    let officer = ConsoleClient::login(hotline.http, "privacy1", "privacy1-demo-pass");
    let receipts = officer.get(&format!("/api/privacy/receipts?citizen={citizen}"));
    let kinds: Vec<&str> = receipts
        .body
        .as_array()
        .expect("receipts")
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["erasure", "access"], "{receipts:?}");
    let gone = officer.get(&format!(
        "/api/privacy/citizens/{citizen}?request=DPR-2026-0043"
    ));
    assert_eq!(gone.status, 404, "{gone:?}");
}
