//! Reloading scripts: new calls get the new version, calls in progress finish
//! on the version they started with, and a script that fails to compile is
//! refused as a whole with every error while the old version stays in force.

mod common;

use std::path::PathBuf;

use common::*;
use hotline_ivr::*;
use hotline_types::CallEvent;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for lang in ["zh", "en"] {
        std::fs::create_dir_all(dir.join("prompts").join(lang)).expect("mkdir");
        for prompt in ["greeting", "greeting_new"] {
            std::fs::write(
                dir.join("prompts").join(lang).join(format!("{prompt}.wav")),
                b"",
            )
            .expect("write");
        }
    }
    dir
}

fn script(prompt: &str) -> String {
    format!(
        r#"
[script]
name = "main"
start = "hello"
languages = ["zh", "en"]
default_language = "zh"

[[play]]
id = "hello"
prompts = ["{prompt}"]
next = "bye"

[[hangup]]
id = "bye"
"#
    )
}

#[test]
fn calls_keep_their_version_and_a_broken_reload_changes_nothing() {
    let dir = scratch_dir("reload");
    std::fs::write(dir.join("main.toml"), script("greeting")).expect("write");
    let set = ScriptSet::load(&dir, Environment::default()).expect("first load");

    // A call starts on version 1.
    let mut old_call = Call::started(set.script("main").expect("main"), monday_10am());
    assert_eq!(old_call.ivr.script().version(), 1);

    // The script changes; the reload makes version 2 current.
    std::fs::write(dir.join("main.toml"), script("greeting_new")).expect("write");
    assert_eq!(set.reload().expect("reload"), 2);
    let new_call = Call::started(set.script("main").expect("main"), monday_10am());
    assert_eq!(new_call.played(), ["zh/greeting_new"]);
    assert!(new_call.events().contains(&CallEvent::IvrNodeEntered {
        script: "main".into(),
        version: 2,
        node: "hello".into()
    }));

    // The call in progress goes on with version 1.
    old_call.prompts_end();
    assert_eq!(old_call.played(), ["zh/greeting"]);
    assert!(old_call.events().iter().all(|e| !matches!(
        e,
        CallEvent::IvrNodeEntered { version, .. } if *version != 1
    )));

    // A broken edit: two errors, both reported; version 2 stays in force.
    std::fs::write(
        dir.join("main.toml"),
        script("greeting").replace("next = \"bye\"", "next = \"by\"")
            + "\n[[hangup]]\nid = \"bye\"\n",
    )
    .expect("write");
    match set.reload() {
        Err(IvrError::Rejected { report }) => {
            let errors: Vec<&Problem> = report.errors().collect();
            assert_eq!(errors.len(), 2, "{report}");
            assert!(errors
                .iter()
                .any(|p| p.message.contains("unknown node \"by\"")));
            assert!(errors.iter().any(|p| p.message.contains("used twice")));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(set.current().version(), 2);
    let call = Call::started(set.script("main").expect("main"), monday_10am());
    assert_eq!(call.played(), ["zh/greeting_new"]);
}

#[test]
fn a_missing_recording_refuses_the_load() {
    let dir = scratch_dir("missing_prompt");
    std::fs::remove_file(dir.join("prompts/en/greeting.wav")).expect("remove");
    std::fs::write(dir.join("main.toml"), script("greeting")).expect("write");
    match ScriptSet::load(&dir, Environment::default()) {
        Err(IvrError::Rejected { report }) => {
            let p = report.errors().next().expect("an error");
            assert_eq!(p.line, 10, "the prompts line");
            assert!(
                p.message
                    .contains("\"greeting\" has no recording in language \"en\""),
                "{p}"
            );
            assert!(p.fix.contains("en/greeting.wav"), "{p}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_configuration_that_drops_a_used_queue_is_refused_and_not_kept() {
    let dir = scratch_dir("reload_env");
    std::fs::write(
        dir.join("main.toml"),
        script("greeting").replace(
            "[[hangup]]",
            "[[queue]]\nid = \"q\"\nqueue = \"housing\"\noverflow = \"bye\"\n\n[[hangup]]",
        ),
    )
    .expect("write");
    let set =
        ScriptSet::load(&dir, Environment::new(["housing"], Vec::<String>::new())).expect("loads");
    match set.reload_with(Environment::default()) {
        Err(IvrError::Rejected { report }) => {
            assert!(
                report
                    .to_string()
                    .contains("queue \"housing\" is not defined"),
                "{report}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The old configuration is still the one reloads use.
    assert_eq!(set.reload().expect("reload"), 2);
    assert_eq!(
        set.reload_with(Environment::new(
            ["housing", "general"],
            Vec::<String>::new()
        ))
        .expect("reload"),
        3
    );
}
