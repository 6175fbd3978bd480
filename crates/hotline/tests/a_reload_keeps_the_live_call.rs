//! The configuration reloaded while a citizen talks to an agent: `hotline
//! reload` checks the changed file and signals the hotline, the console
//! lists the new queue and department at once, and the call goes on to its
//! end. Then a file with an error (a queue the IVR script sends callers to
//! is gone): `hotline reload` says why and sends nothing, a plain SIGHUP
//! is refused in the log, and the running configuration stays whole.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{agent_phone, sipp_available};

const QUEUES: &str = r#"
[[queues]]
name = "housing"
department = "Housing"

[[queues]]
name = "transport"
department = "Transport"
"#;

const WATER: &str = r#"
[[queues]]
name = "water"
department = "Water Bureau"
wrap_up_secs = 5
"#;

fn queue_names(supervisor: &ConsoleClient) -> Vec<String> {
    let reply = supervisor.get("/api/queues");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
        .body
        .as_array()
        .expect("a list")
        .iter()
        .map(|q| q["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `hotline reload` as an operator runs it: the same file and the same
/// environment as the service.
fn hotline_reload(config: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("reload")
        .env("HOTLINE_CONFIG", config)
        .envs(env.iter().copied())
        .output()
        .expect("run hotline reload");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn a_reload_adds_a_queue_while_a_citizen_talks_and_a_broken_one_changes_nothing() {
    if !sipp_available(
        "a_reload_adds_a_queue_while_a_citizen_talks_and_a_broken_one_changes_nothing",
    ) {
        return;
    }
    let site = tempfile::tempdir().expect("temp dir");
    let config = site.path().join("hotline.toml");
    std::fs::write(&config, QUEUES).expect("write the configuration");
    let config_text = config.display().to_string();
    let (hotline, scripts) =
        support::demo_on_the_agent_path(&[("HOTLINE_CONFIG", config_text.as_str())]);
    let data_dir = hotline.data_dir.path().display().to_string();
    let scripts_dir = scripts.path().display().to_string();
    // What the service was started with besides the file.
    let env = [
        ("HOTLINE_DATABASE_DATA_DIR", data_dir.as_str()),
        ("HOTLINE_IVR_SCRIPTS_DIR", scripts_dir.as_str()),
        ("HOTLINE_IVR_SCRIPT", "agent_path"),
    ];
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    assert_eq!(queue_names(&supervisor), ["housing", "transport"]);

    let phone = agent_phone(&hotline, "agent1", "agent1-sip-pass");
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    let citizen = support::citizen_reaching_an_agent(&hotline);
    let answered = hotline.wait_for_events("agent_answered", 1, Duration::from_secs(15));
    assert_eq!(answered.len(), 1, "{}", hotline.log());

    // While they talk: a new queue and department.
    std::fs::write(&config, format!("{QUEUES}{WATER}")).expect("write the configuration");
    let (sent, said) = hotline_reload(&config, &env);
    assert!(sent, "hotline reload: {said}");
    assert!(said.contains("water"), "{said}");
    assert!(
        hotline.wait_for_log("configuration reloaded", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );
    assert_eq!(queue_names(&supervisor), ["housing", "transport", "water"]);
    let departments = supervisor.get("/api/config");
    assert!(
        departments.text.contains("Water Bureau"),
        "{}",
        departments.text
    );

    // The conversation was not touched: the citizen's whole scenario ran.
    let citizen = citizen.wait(Duration::from_secs(40));
    assert!(
        citizen.succeeded(),
        "the live call went on: {}\n{}",
        citizen.errors(),
        hotline.log()
    );
    let ended = hotline.wait_for_events("ended", 1, Duration::from_secs(10));
    assert_eq!(ended[0]["event"]["side"], "caller", "{}", hotline.log());

    // An error: transport is gone, but agent_path.toml queues callers there.
    std::fs::write(
        &config,
        format!(
            "{}{WATER}",
            &QUEUES[..QUEUES.find("[[queues]]\nname = \"transport\"").unwrap()]
        ),
    )
    .expect("write the configuration");
    let (sent, said) = hotline_reload(&config, &env);
    assert!(!sent, "a broken configuration is not sent: {said}");
    assert!(
        said.contains("transport") && said.contains("nothing was sent"),
        "{said}"
    );
    hotline.signal("HUP");
    assert!(
        hotline.wait_for_log("configuration not reloaded", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );
    assert_eq!(
        queue_names(&supervisor),
        ["housing", "transport", "water"],
        "the running configuration stays whole"
    );
    drop(phone);
    assert!(hotline.stop().success());
}
