//! A malformed script is refused with every problem at once, each with its
//! line and a fix; never a panic, never half-loaded.

mod common;

use common::*;
use hotline_ivr::*;
use proptest::prelude::*;

fn errors(text: &str) -> Vec<Problem> {
    let (script, problems) = try_compile(text);
    assert!(script.is_none(), "accepted:\n{text}");
    problems
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

fn find<'a>(problems: &'a [Problem], needle: &str) -> &'a Problem {
    problems
        .iter()
        .find(|p| p.message.contains(needle))
        .unwrap_or_else(|| panic!("no problem mentions {needle:?}: {problems:#?}"))
}

const HEADER: &str = r#"[script]
name = "t"
start = "main"
languages = ["zh", "en"]
default_language = "zh"
"#;

#[test]
fn every_error_is_reported_at_once_with_its_line() {
    let text = format!(
        r#"{HEADER}
[[menu]]
id = "main"
prompts = ["main_menu"]
keys = {{ "1" = "housng", "x" = "bye", "2" = "dept" }}
timeout_ms = 0

[[queue]]
id = "housing"
queue = "housing_dept"
overflow = "bye"

[[collect]]
id = "dept"
prompts = ["Bad Name"]
var = "v"
max_len = 4
pattern = "([0-9]"
next = "bye"
after_retries = "bye"

[[transfer]]
id = "out"
destination = "+8613800000000"

[[hangup]]
id = "bye"

[[hangup]]
id = "bye"
"#
    );
    let problems = errors(&text);
    let unknown = find(&problems, "unknown node \"housng\"");
    assert_eq!(unknown.line, 10);
    assert!(
        unknown.fix.contains("did you mean \"housing\""),
        "{unknown}"
    );
    assert_eq!(find(&problems, "key \"x\" cannot be pressed").line, 10);
    assert_eq!(find(&problems, "timeout_ms is 0").line, 8);
    assert_eq!(
        find(&problems, "does not say what happens after the last retry").line,
        8
    );
    assert_eq!(
        find(&problems, "queue \"housing_dept\" is not defined").line,
        15
    );
    assert_eq!(find(&problems, "prompt name \"Bad Name\"").line, 20);
    assert_eq!(find(&problems, "pattern does not compile").line, 23);
    assert!(
        find(&problems, "destination \"+8613800000000\" is not defined")
            .fix
            .contains("emergency_110")
    );
    assert_eq!(find(&problems, "\"bye\" is used twice").line, 35);
}

#[test]
fn a_syntax_error_names_its_line() {
    let text = format!("{HEADER}\n[[hangup]]\nid = \"main\"\nreason = \"unterminated\n");
    let problems = errors(&text);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 9);
}

#[test]
fn a_key_used_twice_in_a_menu_names_its_line() {
    let text = format!(
        "{HEADER}\n[[menu]]\nid = \"main\"\nprompts = [\"main_menu\"]\nkeys = {{ \"1\" = \"main\", \"1\" = \"bye\" }}\nafter_retries = \"bye\"\n\n[[hangup]]\nid = \"bye\"\n"
    );
    let problems = errors(&text);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 10, "{}", problems[0]);
    assert!(
        problems[0].message.contains("duplicate key"),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].fix.contains("once per table"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_wrong_type_names_its_line() {
    let text = format!(
        "{HEADER}\n[[menu]]\nid = \"main\"\nprompts = \"main_menu\"\nkeys = {{ \"1\" = \"main\" }}\nafter_retries = \"main\"\n"
    );
    let problems = errors(&text);
    assert_eq!(problems[0].line, 9, "{}", problems[0]);
    assert!(
        problems[0].message.contains("invalid type"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_menu_loop_without_a_way_out_is_refused() {
    let text = format!(
        r#"{HEADER}
[[menu]]
id = "main"
prompts = ["main_menu"]
keys = {{ "1" = "info" }}
after_retries = "main"

[[play]]
id = "info"
prompts = ["info_hours"]
next = "main"
"#
    );
    let problems = errors(&text);
    let p = find(&problems, "can never reach a person or a hang-up");
    assert!(p.fix.contains("queue"), "{p}");
}

#[test]
fn a_loop_of_instant_nodes_is_refused() {
    let text = format!(
        r#"{HEADER}
[[goto]]
id = "main"
target = "again"

[[set]]
id = "again"
var = "x"
value = "1"
next = "main"

[[hangup]]
id = "unused"
"#
    );
    let problems = errors(&text);
    find(&problems, "never plays a prompt or waits for the caller");
}

#[test]
fn a_bad_time_zone_and_opening_hours_are_refused() {
    let text = format!(
        r#"{HEADER}
[[schedule]]
id = "main"
timezone = "Asia/Beijing"
hours = {{ mon = ["22:00-02:00"], tue = ["8-12"] }}
open = "bye"
closed = "bye"

[[hangup]]
id = "bye"
"#
    );
    let problems = errors(&text);
    assert_eq!(find(&problems, "unknown time zone").line, 9);
    assert!(find(&problems, "crosses midnight").fix.contains("08:30"));
    find(&problems, "is not a time like");
}

#[test]
fn warnings_do_not_refuse_a_script() {
    let text = format!(
        r#"{HEADER}
[[menu]]
id = "main"
prompts = ["main_menu"]
keys = {{ "1" = "bye" }}
after_retries = "bye"

[[branch]]
id = "orphan"
otherwise = "bye"
[[branch.when]]
var = "ofice"
equals = "open"
next = "bye"

[[hangup]]
id = "bye"
"#
    );
    let (script, problems) = try_compile(&text);
    assert!(script.is_some());
    assert!(problems.iter().all(|p| p.severity == Severity::Warning));
    assert!(problems.iter().any(|p| p.message.contains("no timeout_ms")));
    assert!(problems
        .iter()
        .any(|p| p.message.contains("no invalid_prompt")));
    assert!(problems
        .iter()
        .any(|p| p.message.contains("\"orphan\" can never be reached")));
    assert!(problems.iter().any(|p| p
        .message
        .contains("reads variable \"ofice\", which nothing sets")));
}

fn shipped_text() -> String {
    std::fs::read_to_string(shipped_dir().join("menu.toml")).expect("read")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Cutting, duplicating or replacing any part of a real script gives a
    /// script or a list of problems, never a panic.
    #[test]
    fn mangled_scripts_never_panic(start in 0usize..20_000, len in 0usize..200, insert in ".{0,40}") {
        let text = shipped_text();
        let start = start % text.len();
        let end = (start + len).min(text.len());
        let (Some(head), Some(tail)) = (text.get(..start), text.get(end..)) else {
            return Ok(());
        };
        let mangled = format!("{head}{insert}{tail}");
        let (script, problems) = try_compile(&mangled);
        prop_assert!(script.is_some() || problems.iter().any(|p| p.severity == Severity::Error));
    }
}
