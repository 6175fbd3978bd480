//! An operator manages console accounts with `hotline user …` (no `--demo`):
//! adds an agent and gets a one-time password, lists the accounts, and,
//! while the hotline runs on the same database, disables a leaver (who can
//! no longer log in, and whose open session ends within a second), enables them again and resets their password (the old
//! one stops working). Mistakes get a plain answer and a failing exit code.

mod support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::json;
use support::console::{request, ConsoleClient};
use support::Hotline;

struct Operator {
    data: tempfile::TempDir,
}

impl Operator {
    fn new() -> Self {
        Self {
            data: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn env(&self) -> [(String, String); 2] {
        [
            (
                "HOTLINE_DATABASE_URL".into(),
                format!("sqlite://{}/hotline.db", self.data.path().display()),
            ),
            (
                "HOTLINE_DATABASE_DATA_DIR".into(),
                self.data.path().display().to_string(),
            ),
        ]
    }

    fn hotline(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hotline"));
        command
            .args(args)
            .current_dir(self.data.path())
            .env("HOTLINE_LOG_LEVEL", "warn");
        for (key, value) in self.env() {
            command.env(key, value);
        }
        command.output().expect("run hotline")
    }

    /// Runs a command that must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.hotline(args);
        assert!(
            out.status.success(),
            "hotline {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs a command that must fail; its standard error.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.hotline(args);
        assert!(!out.status.success(), "hotline {args:?} succeeded");
        String::from_utf8(out.stderr).expect("utf-8")
    }
}

/// The one-time password in `user add` / `reset-password` output.
fn password_in(output: &str) -> String {
    output
        .lines()
        .find_map(|line| line.strip_prefix("one-time password for "))
        .and_then(|rest| rest.split(": ").nth(1))
        .unwrap_or_else(|| panic!("no password in {output:?}"))
        .trim()
        .to_owned()
}

fn login_status(hotline: &Hotline, login: &str, password: &str) -> u16 {
    request(
        hotline.http,
        "POST",
        "/api/login",
        &[],
        Some(&json!({ "login": login, "password": password })),
    )
    .status
}

#[test]
fn an_operator_adds_lists_disables_enables_and_resets_accounts() {
    let operator = Operator::new();
    let added = operator.ok(&[
        "user",
        "add",
        "clerk1",
        "--role",
        "agent",
        "--name",
        "王芳",
        "--department",
        "housing",
        "--skill",
        "cantonese:3",
    ]);
    let first = password_in(&added);
    assert_eq!(first.chars().count(), 16, "{added}");
    assert!(operator
        .refused(&["user", "add", "clerk1", "--role", "agent"])
        .contains("the login \"clerk1\" is taken"));
    assert!(operator
        .refused(&["user", "add", "clerk2", "--role", "boss"])
        .contains("agent, supervisor, admin, dispatcher or handler"));
    // A handler works the orders of one of the catalogue's departments.
    let refused = operator.refused(&[
        "user",
        "add",
        "handler-parks",
        "--role",
        "handler",
        "--department",
        "parks",
    ]);
    assert!(
        refused.contains("the catalogue has no department \"parks\"")
            && refused.contains("housing"),
        "{refused}"
    );
    let handler = operator.ok(&[
        "user",
        "add",
        "handler-housing2",
        "--role",
        "handler",
        "--department",
        "housing",
    ]);
    assert!(
        handler.contains("created handler-housing2 (handler)"),
        "{handler}"
    );
    assert!(operator
        .refused(&["user", "disable", "nobody"])
        .contains("there is no account \"nobody\""));
    let listed = operator.ok(&["user", "list"]);
    let row = listed
        .lines()
        .find(|line| line.starts_with("clerk1 "))
        .unwrap_or_else(|| panic!("clerk1 listed: {listed}"));
    for column in ["agent", "housing", "active", "cantonese:3"] {
        assert!(row.contains(column), "{column} in {row:?}");
    }
    assert!(!listed.contains(&first), "no secret in the list");

    // The hotline runs on the same database; the operator works beside it.
    let env = operator.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("HOTLINE_CONSOLE_SECURE_COOKIES", "false"));
    let hotline = Hotline::start_with_args(&[], &env);
    assert_eq!(login_status(&hotline, "clerk1", &first), 200);
    let open = ConsoleClient::login(hotline.http, "clerk1", &first);
    assert_eq!(open.get("/api/me").status, 200);

    operator.ok(&["user", "disable", "clerk1"]);
    assert_eq!(login_status(&hotline, "clerk1", &first), 401);
    // The session already open ends within about a second.
    let disabled_at = Instant::now();
    while open.get("/api/me").status != 401 {
        assert!(
            disabled_at.elapsed() < Duration::from_secs(3),
            "the disabled account's session still works:\n{}",
            hotline.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(operator
        .ok(&["user", "list"])
        .lines()
        .any(|line| line.starts_with("clerk1 ") && line.contains("disabled")));

    operator.ok(&["user", "enable", "clerk1"]);
    let reset = password_in(&operator.ok(&["user", "reset-password", "clerk1"]));
    assert_ne!(reset, first);
    assert_eq!(login_status(&hotline, "clerk1", &first), 401);
    assert_eq!(login_status(&hotline, "clerk1", &reset), 200);
}

/// The SIP secret in `phone add` / `phone reset-secret` output.
fn secret_in(output: &str) -> String {
    output
        .lines()
        .find_map(|line| line.strip_prefix("SIP secret for "))
        .and_then(|rest| rest.split(": ").nth(1))
        .unwrap_or_else(|| panic!("no secret in {output:?}"))
        .trim()
        .to_owned()
}

/// SIPp registers as `user` with `secret`; whether the hotline took it.
fn registers(hotline: &Hotline, user: &str, secret: &str) -> bool {
    support::sipp(
        hotline.sip,
        &[
            "-sf",
            &support::scenario("register_auth.xml"),
            "-s",
            user,
            "-au",
            user,
            "-ap",
            secret,
            "-m",
            "1",
        ],
        Duration::from_secs(10),
    )
    .succeeded()
}

#[test]
fn an_operator_adds_a_phone_that_registers_at_once_and_removes_it() {
    if !support::sipp_available("an_operator_adds_a_phone_that_registers_at_once_and_removes_it") {
        return;
    }
    let operator = Operator::new();
    let env = operator.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Wrong secrets on purpose below: not a brute force to block.
    env.push(("HOTLINE_SIP_MAX_AUTH_FAILURES", "100"));
    let hotline = Hotline::start_with_args(&[], &env);

    // Added beside the running hotline: it registers within a second or so.
    let added = operator.ok(&["phone", "add", "clerk7"]);
    let secret = secret_in(&added);
    assert_eq!(secret.chars().count(), 20, "{added}");
    assert!(operator
        .refused(&["phone", "add", "clerk7"])
        .contains("phone \"clerk7\" exists"));
    assert!(operator
        .refused(&["phone", "add", "clerk8", "--algorithms", "SHA-512"])
        .contains("not MD5 or SHA-256"));
    assert!(
        hotline.wait_for_log("phone added: it may register", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );
    assert!(registers(&hotline, "clerk7", &secret), "{}", hotline.log());
    assert!(!registers(&hotline, "clerk7", "not-the-secret"));

    // What is kept and shown: digest hashes in the store, never the secret.
    let listed = operator.ok(&["phone", "list"]);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("clerk7 ") && l.contains("hotline")),
        "{listed}"
    );
    assert!(!listed.contains(&secret));
    let db = std::fs::read(operator.data.path().join("hotline.db")).expect("the database");
    let wal = std::fs::read(operator.data.path().join("hotline.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is in the database files"
        );
    }
    assert!(!hotline.log().contains(&secret), "the secret is in the log");
    let config = operator.ok(&["config"]);
    assert!(!config.contains(&secret));

    // A new secret: the old one stops working.
    let reset = secret_in(&operator.ok(&["phone", "reset-secret", "clerk7"]));
    assert_ne!(reset, secret);
    assert!(hotline.wait_for_log("phone secret changed", Duration::from_secs(5)));
    assert!(
        !registers(&hotline, "clerk7", &secret),
        "the old secret still registers"
    );
    assert!(registers(&hotline, "clerk7", &reset));

    // A leaver: disabling clerk7's account takes the phone off too, and
    // enabling it brings the phone back.
    operator.ok(&["user", "add", "clerk7", "--role", "agent"]);
    operator.ok(&["user", "disable", "clerk7"]);
    assert!(
        hotline.wait_for_log(
            "the phone's user is disabled: unregistered",
            Duration::from_secs(5)
        ),
        "{}",
        hotline.log()
    );
    assert!(
        !registers(&hotline, "clerk7", &reset),
        "a disabled user's phone still registers"
    );
    operator.ok(&["user", "enable", "clerk7"]);
    let enabled_at = Instant::now();
    while !registers(&hotline, "clerk7", &reset) {
        assert!(
            enabled_at.elapsed() < Duration::from_secs(5),
            "the enabled user's phone does not register again:\n{}",
            hotline.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Removed: unregistered, and it can register no more.
    operator.ok(&["phone", "remove", "clerk7"]);
    assert!(hotline.wait_for_log("phone removed: unregistered", Duration::from_secs(5)));
    assert!(!registers(&hotline, "clerk7", &reset));
    assert!(operator
        .refused(&["phone", "remove", "clerk7"])
        .contains("there is no phone \"clerk7\""));
}
