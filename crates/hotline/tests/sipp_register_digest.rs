//! An agent's phone registers with digest authentication: the right password
//! is accepted and the binding is saved for restarts; a wrong one gets 403,
//! and the failure is logged for fail2ban.

mod support;

use std::time::Duration;

use support::{scenario, sipp, sipp_available, Hotline};

#[test]
fn register_with_right_and_wrong_password() {
    if !sipp_available("register_with_right_and_wrong_password") {
        return;
    }
    let hotline = Hotline::start(&[(
        "HOTLINE_PHONES",
        r#"[{user="agent7", password="s3cret-7"}]"#,
    )]);
    let ok = sipp(
        hotline.sip,
        &[
            "-sf",
            &scenario("register_auth.xml"),
            "-s",
            "agent7",
            "-au",
            "agent7",
            "-ap",
            "s3cret-7",
            "-m",
            "1",
        ],
        Duration::from_secs(15),
    );
    assert!(
        ok.succeeded(),
        "REGISTER with the right password failed: {}\n{}",
        ok.errors(),
        hotline.log()
    );
    assert!(hotline.wait_for_log("phone registered", Duration::from_secs(5)));
    let saved = hotline.data_dir.path().join("registrations.json");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !saved.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&saved).expect("registrations saved for restarts");
    assert!(text.contains("agent7"), "{text}");

    let wrong = sipp(
        hotline.sip,
        &[
            "-sf",
            &scenario("register_wrong_password.xml"),
            "-s",
            "agent7",
            "-au",
            "agent7",
            "-ap",
            "wrong",
            "-m",
            "1",
        ],
        Duration::from_secs(15),
    );
    assert!(
        wrong.succeeded(),
        "a wrong password must get 403: {}\n{}",
        wrong.errors(),
        hotline.log()
    );
    assert!(hotline.wait_for_log(
        "SIP authentication failure from 127.0.0.1",
        Duration::from_secs(5)
    ));
}

#[test]
fn registrations_survive_a_restart() {
    if !sipp_available("registrations_survive_a_restart") {
        return;
    }
    let phones = [("HOTLINE_PHONES", r#"[{user="agent8", password="pw8"}]"#)];
    let hotline = Hotline::start(&phones);
    let ok = sipp(
        hotline.sip,
        &[
            "-sf",
            &scenario("register_auth.xml"),
            "-s",
            "agent8",
            "-au",
            "agent8",
            "-ap",
            "pw8",
            "-m",
            "1",
        ],
        Duration::from_secs(15),
    );
    assert!(ok.succeeded(), "{}", ok.errors());
    assert!(hotline.wait_for_log("phone registered", Duration::from_secs(5)));
    let saved = std::fs::read(hotline.data_dir.path().join("registrations.json"));
    let data_dir = hotline.data_dir.path().to_path_buf();
    let saved = saved.expect("registrations saved");
    drop(hotline);
    // A new process on the same data directory picks the binding up.
    std::fs::create_dir_all(&data_dir).expect("data dir");
    std::fs::write(data_dir.join("registrations.json"), saved).expect("write back");
    let data = data_dir.display().to_string();
    let again = Hotline::start(&[phones[0], ("HOTLINE_DATABASE_DATA_DIR", data.as_str())]);
    assert!(
        again.wait_for_log("\"restored_registrations\":1", Duration::from_secs(5)),
        "{}",
        again.log()
    );
}

/// A `[[phones]]` entry with only the digest hashes for the realm (what
/// `deploy/hotline.example.toml` shows): the phone registers with its
/// password, the wrong one is refused, and no plaintext warning is logged.
#[test]
fn a_phone_configured_by_its_digest_hashes_registers() {
    if !sipp_available("a_phone_configured_by_its_digest_hashes_registers") {
        return;
    }
    // Made as the example configuration says, with coreutils.
    let hash = |tool: &str| {
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("printf 'agent9:hotline:pw9-only-hashed' | {tool}"),
            ])
            .output()
            .expect("coreutils");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let (md5, sha256) = (hash("md5sum"), hash("sha256sum"));
    let phones = format!(r#"[{{user="agent9", ha1_md5="{md5}", ha1_sha256="{sha256}"}}]"#);
    let hotline = Hotline::start(&[
        ("HOTLINE_PHONES", phones.as_str()),
        ("HOTLINE_SIP_MAX_AUTH_FAILURES", "100"),
    ]);
    let register = |password: &str| {
        sipp(
            hotline.sip,
            &[
                "-sf",
                &scenario("register_auth.xml"),
                "-s",
                "agent9",
                "-au",
                "agent9",
                "-ap",
                password,
                "-m",
                "1",
            ],
            Duration::from_secs(15),
        )
        .succeeded()
    };
    assert!(register("pw9-only-hashed"), "{}", hotline.log());
    assert!(!register("not-the-password"));
    assert!(!hotline.log().contains("plaintext"), "{}", hotline.log());
}
