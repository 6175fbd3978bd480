//! A citizen who asks for a callback after hours is called back when the
//! office opens, though the hotline was restarted in between: the request
//! is on the store's callback list, the restarted hotline loads it, and
//! once the office is open and an agent is free the agent's phone rings
//! first, then the citizen is dialled through the outbound trunk (a SIPp
//! UAS), hears the shipped callback script's intro and is put through; when
//! the agent hangs up the survey follows. The attempt's outcome closes the
//! promise. The per-number daily limit survives restarts too: with one
//! call a day allowed, the same citizen's second request that day rings
//! the agent but is refused before the trunk is used.
//! Supervisors see the list, and may reprioritise or cancel a callback.

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent_phone, free_port, phone_behind_the_trunk, scenario, sipp_available, sipp_with_files,
    Hotline,
};

/// The test's hotline script: the office schedule decides between taking a
/// callback request (closed) and a plain goodbye (open).
fn script(open: bool) -> String {
    let hours = if open {
        r#"{ mon = ["00:00-24:00"], tue = ["00:00-24:00"], wed = ["00:00-24:00"], thu = ["00:00-24:00"], fri = ["00:00-24:00"], sat = ["00:00-24:00"], sun = ["00:00-24:00"] }"#
    } else {
        "{}"
    };
    format!(
        r#"
[script]
name = "after_hours"
description = "Test: after hours, every caller asks for a callback."
start = "office_hours"
languages = ["zh", "en"]
default_language = "zh"

[[schedule]]
id = "office_hours"
timezone = "Asia/Shanghai"
hours = {hours}
open = "goodbye"
closed = "callback"
holiday = "callback"

[[callback]]
id = "callback"
queue = "general"
next = "callback_result"

[[branch]]
id = "callback_result"
otherwise = "goodbye"
[[branch.when]]
var = "callback"
equals = "requested"
next = "callback_confirmed"

[[hangup]]
id = "callback_confirmed"
prompts = ["callback_confirmed"]
reason = "callback_requested"

[[hangup]]
id = "goodbye"
prompts = ["goodbye"]
reason = "goodbye"
"#
    )
}

fn scripts_dir(open: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("after_hours.toml"), script(open)).expect("write the script");
    // The shipped callback script: what the citizen hears on the callback.
    std::fs::copy(
        format!(
            "{}/../../ivr_scripts/callback.toml",
            env!("CARGO_MANIFEST_DIR")
        ),
        dir.path().join("callback.toml"),
    )
    .expect("copy the callback script");
    std::os::unix::fs::symlink(
        format!("{}/../../ivr_scripts/prompts", env!("CARGO_MANIFEST_DIR")),
        dir.path().join("prompts"),
    )
    .expect("link the prompts");
    dir
}

/// A citizen (13800138000) calls after hours and asks for a callback.
fn ask_for_a_callback(hotline: &Hotline) {
    let citizen = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_hears_goodbye.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[],
        Duration::from_secs(40),
    )
    .wait(Duration::from_secs(40));
    assert!(
        citizen.succeeded(),
        "the hotline confirms the callback and hangs up: {}\n{}",
        citizen.errors(),
        hotline.log()
    );
    assert!(
        hotline.wait_for_log("callback on the list", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );
    assert!(
        !hotline.log().contains("callback due"),
        "nothing is placed while the office is closed:\n{}",
        hotline.log()
    );
}

#[test]
fn an_after_hours_callback_is_placed_when_the_office_opens_after_a_restart() {
    if !sipp_available("an_after_hours_callback_is_placed_when_the_office_opens_after_a_restart") {
        return;
    }
    let trunk_port = free_port();
    let outbound = format!("sip:{{number}}@127.0.0.1:{trunk_port}");

    // Night: the citizen asks for a callback and is told goodbye.
    let closed = scripts_dir(false);
    let closed_dir = closed.path().display().to_string();
    let night = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &closed_dir),
            ("HOTLINE_IVR_SCRIPT", "after_hours"),
            ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
        ],
    );
    ask_for_a_callback(&night);
    let (status, data) = night.stop_keeping_data();
    assert!(status.success(), "{status:?}");

    // Morning: the same database, the office open.
    let open = scripts_dir(true);
    let open_dir = open.path().display().to_string();
    let db = format!("sqlite://{}/hotline.db", data.path().display());
    let data_dir = data.path().display().to_string();
    let day = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &open_dir),
            ("HOTLINE_IVR_SCRIPT", "after_hours"),
            ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
            ("HOTLINE_DATABASE_URL", &db),
            ("HOTLINE_DATABASE_DATA_DIR", &data_dir),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    );
    assert!(
        day.wait_for_log("callback list loaded", Duration::from_secs(10)),
        "{}",
        day.log()
    );
    assert!(
        day.wait_for_log("callback due", Duration::from_secs(10)),
        "{}",
        day.log()
    );
    // The trunk answers the citizen's leg (echoing the audio) and, in the
    // survey, presses 5.
    let trunk = phone_behind_the_trunk(
        trunk_port,
        &["-sf", &scenario("trunk_citizen_rates_the_callback.xml")],
        Duration::from_secs(60),
    );
    // An agent logs in: their phone rings first, with the callback's pop.
    let phone = agent_phone(&day, "agent1", "agent1-sip-pass");
    let agent = ConsoleClient::login(day.http, "agent1", "agent1-demo-pass");
    let socket = agent.open_socket();
    assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    let (_, pop) = socket
        .wait_for("pop", Duration::from_secs(15))
        .unwrap_or_else(|| panic!("no pop: {:?}\n{}", socket.all(), day.log()));
    assert_eq!(pop["callback"], true, "{pop}");
    assert_eq!(pop["caller"], "13800138000", "{pop}");
    let original = pop["call"].as_str().expect("call id").to_owned();
    assert!(
        day.wait_for_log("callback: dialling the citizen", Duration::from_secs(10)),
        "{}",
        day.log()
    );
    let placed = day.wait_for_events("callback_placed", 1, Duration::from_secs(5));
    assert_eq!(placed.len(), 1, "{placed:?}");
    assert_eq!(placed[0]["call"], original.as_str());
    assert_eq!(placed[0]["event"]["number"], "13800138000");
    let callback_call = placed[0]["event"]["callback_call"]
        .as_str()
        .expect("callback call id")
        .to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !day
        .events()
        .iter()
        .any(|e| e["call"] == callback_call.as_str() && e["kind"] == "answered")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the citizen answered the callback:\n{}",
            day.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The callback script greets the citizen, then puts them through.
    let entered = |node: &str| {
        day.events().iter().any(|e| {
            e["call"] == callback_call.as_str()
                && e["kind"] == "ivr_node_entered"
                && e["event"]["script"] == "callback"
                && e["event"]["node"] == node
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !entered("agent") {
        assert!(
            std::time::Instant::now() < deadline,
            "the callback script puts the citizen through:\n{:?}\n{}",
            day.events(),
            day.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(entered("intro"), "{:?}", day.events());
    assert!(
        day.wait_for_log(
            "callback: the citizen is put through",
            Duration::from_secs(5)
        ),
        "{}",
        day.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    let hung_up = agent.post(&format!("/api/calls/{original}/hangup"), json!({}));
    assert_eq!(hung_up.status, 204, "{hung_up:?}");
    // The citizen stays for the survey and rates the call.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !entered("survey") {
        assert!(
            std::time::Instant::now() < deadline,
            "the survey follows the agent:\n{}",
            day.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let rated = day.wait_for_events("survey_answered", 1, Duration::from_secs(25));
    assert_eq!(rated.len(), 1, "{}", day.log());
    assert_eq!(rated[0]["call"], callback_call.as_str());
    assert_eq!(rated[0]["event"]["score"], 5);
    assert!(
        day.wait_for_log("outcome=\"talked\"", Duration::from_secs(15))
            || day.wait_for_log("\"outcome\":\"talked\"", Duration::from_secs(1)),
        "the promise is kept:\n{}",
        day.log()
    );
    assert!(trunk.wait(Duration::from_secs(10)).succeeded());
    assert!(phone.wait(Duration::from_secs(10)).succeeded());
    drop(agent);
    drop(day);

    // Evening of the same day, now with one call per number a day: the
    // restarted hotline counts the morning's call, and the citizen asks again.
    let evening = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &closed_dir),
            ("HOTLINE_IVR_SCRIPT", "after_hours"),
            ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
            ("HOTLINE_DATABASE_URL", &db),
            ("HOTLINE_DATABASE_DATA_DIR", &data_dir),
            ("HOTLINE_DIALPLAN_MAX_CALLS_PER_NUMBER_PER_DAY", "1"),
        ],
    );
    assert!(
        evening.wait_for_log(
            "today's calls placed restored into the dial plan's daily limit",
            Duration::from_secs(10)
        ),
        "{}",
        evening.log()
    );
    ask_for_a_callback(&evening);
    drop(evening);

    // Restarted again and open: the agent is rung, but the citizen's number
    // has had its one call today, so the trunk is not used and the refusal
    // is recorded.
    let late = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &open_dir),
            ("HOTLINE_IVR_SCRIPT", "after_hours"),
            ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
            ("HOTLINE_DATABASE_URL", &db),
            ("HOTLINE_DATABASE_DATA_DIR", &data_dir),
            ("HOTLINE_DIALPLAN_MAX_CALLS_PER_NUMBER_PER_DAY", "1"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    );
    let trunk = std::net::UdpSocket::bind(("127.0.0.1", trunk_port)).expect("bind the trunk");
    trunk
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("a timeout");
    assert!(
        late.wait_for_log("callback due", Duration::from_secs(10)),
        "{}",
        late.log()
    );
    let phone = agent_phone(&late, "agent1", "agent1-sip-pass");
    let agent = ConsoleClient::login(late.http, "agent1", "agent1-demo-pass");
    assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    let refused = late.wait_for_events("dial_refused", 1, Duration::from_secs(20));
    assert_eq!(refused.len(), 1, "{}", late.log());
    assert_eq!(refused[0]["event"]["number"], "13800138000");
    assert_eq!(refused[0]["event"]["reason"], "daily_limit");
    assert!(
        trunk.recv_from(&mut [0u8; 2048]).is_err(),
        "nothing reaches the trunk"
    );
    assert!(phone.wait(Duration::from_secs(10)).succeeded());
    drop(late);
    drop(data);
}

#[test]
fn supervisors_see_reprioritise_and_cancel_callbacks() {
    if !sipp_available("supervisors_see_reprioritise_and_cancel_callbacks") {
        return;
    }
    let closed = scripts_dir(false);
    let closed_dir = closed.path().display().to_string();
    let hotline = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &closed_dir),
            ("HOTLINE_IVR_SCRIPT", "after_hours"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    );
    let citizen = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_hears_goodbye.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[],
        Duration::from_secs(40),
    )
    .wait(Duration::from_secs(40));
    assert!(
        citizen.succeeded(),
        "{}\n{}",
        citizen.errors(),
        hotline.log()
    );
    assert!(
        hotline.wait_for_log("callback on the list", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let listed = supervisor.get("/api/callbacks");
    assert_eq!(listed.status, 200, "{listed:?}");
    let list = listed.body.as_array().expect("a list").clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["number"], "138****8000", "masked");
    assert_eq!(list[0]["status"], "pending");
    assert_eq!(list[0]["kind"], "after_hours");
    let id = list[0]["id"].as_str().expect("an id").to_owned();

    let raised = supervisor.post(
        &format!("/api/callbacks/{id}/priority"),
        json!({ "priority": 7 }),
    );
    assert_eq!(raised.status, 204, "{raised:?}");
    let cancelled = supervisor.post(&format!("/api/callbacks/{id}/cancel"), json!({}));
    assert_eq!(cancelled.status, 204, "{cancelled:?}");
    let list = supervisor.get("/api/callbacks").body;
    assert_eq!(list[0]["status"], "cancelled", "{list}");
    assert_eq!(list[0]["priority"], 7, "{list}");
    assert_eq!(list[0]["updated_by"], "supervisor1", "{list}");
    // Closed now: a second change is refused with a reason.
    let again = supervisor.post(&format!("/api/callbacks/{id}/cancel"), json!({}));
    assert_eq!(again.status, 409, "{again:?}");
    assert_eq!(again.body["code"], "callback_closed", "{again:?}");
    // Agents may not touch the list.
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    assert_eq!(agent.get("/api/callbacks").status, 403);
}
