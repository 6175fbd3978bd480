//! Every table of every shipped script and calendar refuses a key it does not
//! know, naming the file and the line, so a misspelt setting is never
//! silently ignored.

mod common;

use std::path::PathBuf;

use common::*;
use hotline_ivr::*;

fn table_header_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with('['))
        .map(|(i, _)| i)
        .collect()
}

fn with_bogus_key_after(text: &str, header: usize) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(header + 1, "colour = \"blue\"");
    lines.join("\n")
}

#[test]
fn every_table_of_every_shipped_script_refuses_an_unknown_key() {
    let ctx = CompileContext {
        environment: hotline_environment(),
        prompts: PromptCatalog::scan(&shipped_dir().join("prompts")).expect("prompts"),
        base_dir: Some(shipped_dir()),
        version: 1,
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(shipped_dir()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let (script, problems) = compile_script(&path, &text, &ctx);
        assert!(script.is_some(), "{problems:?}");
        for header in table_header_lines(&text) {
            let broken = with_bogus_key_after(&text, header);
            let (script, problems) = compile_script(&path, &broken, &ctx);
            assert!(
                script.is_none(),
                "{}: key after line {} accepted",
                path.display(),
                header + 1
            );
            let p = &problems[0];
            assert_eq!(p.file, path);
            assert_eq!(p.line as usize, header + 2, "{p}");
            assert!(p.message.contains("unknown field `colour`"), "{p}");
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} tables checked");
}

#[test]
fn every_table_of_the_shipped_calendar_refuses_an_unknown_key() {
    let calendar = shipped_dir().join("calendars/cn.toml");
    let text = std::fs::read_to_string(&calendar).expect("read");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("calendar_keys");
    std::fs::create_dir_all(dir.join("calendars")).expect("mkdir");
    let script = r#"
[script]
name = "c"
start = "hours"
languages = ["zh"]
default_language = "zh"

[[schedule]]
id = "hours"
timezone = "Asia/Shanghai"
holidays = "calendars/cn.toml"
hours = { mon = ["08:00-20:00"] }
open = "bye"
closed = "bye"

[[hangup]]
id = "bye"
"#;
    std::fs::write(dir.join("c.toml"), script).expect("write");
    let headers = table_header_lines(&text);
    assert!(headers.len() > 30);
    for header in headers.into_iter().step_by(7) {
        std::fs::write(
            dir.join("calendars/cn.toml"),
            with_bogus_key_after(&text, header),
        )
        .expect("write");
        let report = check(&dir, &Environment::default()).expect("readable");
        let p = report.errors().next().expect("refused");
        assert!(p.file.ends_with("calendars/cn.toml"), "{p}");
        assert_eq!(p.line as usize, header + 2, "{p}");
        assert!(p.message.contains("unknown field `colour`"), "{p}");
    }
}
