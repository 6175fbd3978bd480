//! A hotline put into service without `--demo`, in real Chromium: the
//! operator resets the first admin's password with `hotline user
//! reset-password admin`; the admin signs in with it and must choose their
//! own; on the Accounts page they create an agent with a SIP phone; the
//! agent signs in with the one-time password and chooses their own; a SIPp
//! phone registers with the secret the page showed and answers the agent's
//! first call (a SIPp citizen), whose pop the agent sees; the admin
//! disables the agent, whose open console signs out at once and whose
//! account can no longer sign in. Nothing the page showed once is in the
//! log or the database.
//!
//! Skipped loudly when SIPp or Chromium is missing, required in CI.

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::json;
use support::console::request;
use support::{
    agent_path_scripts, agent_phone, chromium_available, sipp_available, step_json, BrowserScript,
    Hotline,
};

#[test]
fn an_admin_puts_an_agent_into_service_in_chromium() {
    let test = "an_admin_puts_an_agent_into_service_in_chromium";
    if !sipp_available(test) || !chromium_available(test) {
        return;
    }
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let hotline = Hotline::start(&[
        ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
        ("HOTLINE_IVR_SCRIPT", "agent_path"),
    ]);
    let data_dir = hotline.data_dir.path();
    let reset = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["user", "reset-password", "admin"])
        .current_dir(data_dir)
        .env("HOTLINE_LOG_LEVEL", "warn")
        .env("HOTLINE_DATABASE_DATA_DIR", data_dir)
        .env(
            "HOTLINE_DATABASE_URL",
            format!("sqlite://{}/hotline.db", data_dir.display()),
        )
        .output()
        .expect("hotline user reset-password");
    let printed = String::from_utf8_lossy(&reset.stdout).to_string();
    let admin_password = printed
        .lines()
        .find_map(|l| l.strip_prefix("one-time password for admin: "))
        .unwrap_or_else(|| panic!("no password in {printed:?}"))
        .trim()
        .to_owned();

    let mut browser = BrowserScript::start(
        "accounts.mjs",
        &[
            ("HOTLINE_URL", &format!("http://{}", hotline.http)),
            ("ADMIN_LOGIN", "admin"),
            ("ADMIN_PASSWORD", &admin_password),
        ],
    );
    let must_change = step_json(
        &browser.step("ADMIN_MUST_CHANGE", &hotline),
        "ADMIN_MUST_CHANGE",
    );
    assert_eq!(
        must_change["usersHidden"], true,
        "nothing before the new password"
    );
    assert_eq!(browser.step("ADMIN_IN", &hotline), "ADMIN_IN");
    let made = step_json(&browser.step("CREATED", &hotline), "CREATED");
    let one_time = made["password"].as_str().expect("a one-time password");
    let secret = made["secret"].as_str().expect("a SIP secret").to_owned();
    assert_eq!(one_time.chars().count(), 16, "{made}");
    assert_eq!(secret.chars().count(), 20, "{made}");

    // The agent's phone registers with the secret the page showed, once
    // the running registrar has the new phone (within a second).
    assert!(hotline.wait_for_log("phone added: it may register", Duration::from_secs(5)));
    let _phone = agent_phone(&hotline, "wang.agent", &secret);
    assert_eq!(browser.step("AGENT_IN", &hotline), "AGENT_IN");
    assert_eq!(browser.step("AGENT_AVAILABLE", &hotline), "AGENT_AVAILABLE");
    let citizen = support::citizen_reaching_an_agent(&hotline);
    let pop = step_json(&browser.step("POP", &hotline), "POP");
    assert!(
        pop["caller"]
            .as_str()
            .unwrap_or_default()
            .contains("13800138000"),
        "{pop}"
    );
    let signed_out = step_json(
        &browser.step("AGENT_SIGNED_OUT", &hotline),
        "AGENT_SIGNED_OUT",
    );
    assert!(
        signed_out["afterMs"].as_u64().unwrap_or(u64::MAX) < 3_000,
        "signed out within a second or so: {signed_out}"
    );
    assert_eq!(browser.step("DONE", &hotline), "DONE");
    let citizen = citizen.wait(Duration::from_secs(40));
    assert!(
        citizen.succeeded(),
        "the citizen's call: {}",
        citizen.errors()
    );

    // The leaver can no longer sign in, with either password.
    for password in [one_time, "wang fang chose this"] {
        let login = request(
            hotline.http,
            "POST",
            "/api/login",
            &[],
            Some(&json!({ "login": "wang.agent", "password": password })),
        );
        assert_eq!(login.status, 401, "{login:?}");
    }
    // What the page showed once is nowhere else.
    let log = hotline.log();
    for shown in [one_time, secret.as_str(), admin_password.as_str()] {
        assert!(!log.contains(shown), "{shown} is in the log");
    }
    let db = std::fs::read(data_dir.join("hotline.db")).expect("the database");
    let wal = std::fs::read(data_dir.join("hotline.db-wal")).unwrap_or_default();
    for shown in [one_time, secret.as_str()] {
        for bytes in [&db, &wal] {
            assert!(
                !bytes.windows(shown.len()).any(|w| w == shown.as_bytes()),
                "{shown} is in the database files"
            );
        }
    }
}
