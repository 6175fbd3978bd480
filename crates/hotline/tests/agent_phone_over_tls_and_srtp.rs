//! An agent's softphone on SIP/TLS with mandatory SRTP: Linphone's
//! command-line client (Debian `linphone-cli`) registers over TLS,
//! verifying the hotline's certificate, with digest authentication; a
//! citizen (SIPp, plain RTP) reaches the housing queue; the hotline rings
//! the phone over its TLS connection offering RTP/SAVP with a key of its
//! own; Linphone, which refuses unencrypted media, answers, and the two
//! talk until the citizen hangs up. Skips loudly without linphonec unless
//! HOTLINE_REQUIRE_LINPHONE=1 (CI sets it).

mod support;

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent_path_scripts, free_port, installed, scenario, sipp_available, sipp_with_files,
    voice_ulaw, External, Hotline,
};

fn linphone_available(test: &str) -> bool {
    let linphone = External {
        program: "linphonec",
        probe: "--version",
        require: "HOTLINE_REQUIRE_LINPHONE",
        package: "linphone-cli",
    };
    installed(test, &linphone, "SKIPPED")
}

/// linphonec with a configuration of its own, driven through its stdin.
struct Linphone {
    child: Child,
    stdin: ChildStdin,
    log: std::path::PathBuf,
    _home: tempfile::TempDir,
}

impl Linphone {
    fn start(ca: &std::path::Path) -> Self {
        let home = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(home.path().join(".local/share/linphone")).expect("linphone dir");
        let rc = home.path().join("linphonerc");
        std::fs::write(
            &rc,
            format!(
                "[sip]\nsip_port=-1\nsip_tcp_port=-1\nsip_tls_port=-1\nroot_ca={}\nverify_server_certs=1\n\
                 verify_server_cn=0\nmedia_encryption=srtp\nmedia_encryption_mandatory=1\n\
                 [rtp]\naudio_rtp_port={}\n\
                 [sound]\nplayback_dev_id=Null Sound Card\nringer_dev_id=Null Sound Card\n\
                 capture_dev_id=Null Sound Card\n[misc]\nenable_sound_daemon=0\n",
                ca.display(),
                free_port()
            ),
        )
        .expect("linphonerc");
        let log = home.path().join("linphonec.log");
        let mut child = Command::new("linphonec")
            .args(["-d", "6", "-c"])
            .arg(&rc)
            .env("HOME", home.path())
            .current_dir(home.path())
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create(&log).expect("a log file"))
            .stderr(std::fs::File::create(home.path().join("linphonec.err")).expect("a log file"))
            .spawn()
            .expect("start linphonec");
        let stdin = child.stdin.take().expect("stdin piped");
        Self {
            child,
            stdin,
            log,
            _home: home,
        }
    }

    fn home(&self) -> std::path::PathBuf {
        self._home.path().to_owned()
    }

    fn say(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("a linphonec command");
        self.stdin.flush().expect("flush");
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
            + &std::fs::read_to_string(self.log.with_extension("err")).unwrap_or_default()
    }
}

impl Drop for Linphone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ten seconds of a 440 Hz tone, 8 kHz mono 16-bit PCM: what the phone
/// sends in place of a microphone.
fn write_tone_wav(path: &std::path::Path) {
    let samples: Vec<i16> = (0..80_000)
        .map(|n| ((f64::from(n) * std::f64::consts::TAU * 440.0 / 8000.0).sin() * 8000.0) as i16)
        .collect();
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    let data_len = (samples.len() * 2) as u32;
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&16000u32.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, bytes).expect("the phone's audio file");
}

#[test]
fn an_agent_phone_registers_over_tls_and_talks_over_srtp() {
    let test = "an_agent_phone_registers_over_tls_and_talks_over_srtp";
    if !sipp_available(test) || !linphone_available(test) {
        return;
    }
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let tls_listen = format!("127.0.0.1:{}", free_port());
    let hotline = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
            ("HOTLINE_SIP_TLS_LISTEN", &tls_listen),
        ],
    );
    let mut phone = Linphone::start(&hotline.data_dir.path().join("tls/sip.crt"));
    // No sound card here: audio comes from and goes to files, so the
    // phone still sends RTP (silence) and plays what it receives.
    phone.say("soundcard use files");
    let voice = phone.home().join("voice.wav");
    write_tone_wav(&voice);
    phone.say(&format!("play {}", voice.display()));
    phone.say("autoanswer enable");
    phone.say(&format!(
        "register sip:agent1@127.0.0.1 sip:{tls_listen};transport=tls agent1-sip-pass"
    ));
    assert!(
        hotline.wait_for_log("transport=tls", Duration::from_secs(20)),
        "the phone registers over TLS:\n{}\n{}",
        phone.output(),
        hotline.log()
    );

    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let socket = agent.open_socket();
    assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    assert!(socket.wait_for_state("available", Duration::from_secs(5)));

    let citizen = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_reaches_agent.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[("voice.ul", &voice_ulaw(8))],
        Duration::from_secs(40),
    );
    let answered = hotline.wait_for_events("agent_answered", 1, Duration::from_secs(30));
    assert_eq!(
        answered.len(),
        1,
        "the phone answers the SRTP offer:\n{}\n{}",
        phone.output(),
        hotline.log()
    );
    let citizen = citizen.wait(Duration::from_secs(40));
    assert!(
        citizen.succeeded(),
        "{}\n{}",
        citizen.errors(),
        hotline.log()
    );
    let said = phone.output();
    assert!(
        said.contains("RTP/SAVP") && said.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80"),
        "the hotline offered SRTP to the TLS phone:\n{said}"
    );
    // The agent leg's figures: RTP that authenticated and decrypted came
    // from the phone (a packet that fails SRTP is dropped before counting).
    assert!(hotline.wait_for_log("agent leg figures", Duration::from_secs(10)));
    let log = hotline.log();
    let figures: serde_json::Value = log
        .lines()
        .find(|l| l.contains("agent leg figures"))
        .and_then(|l| serde_json::from_str(l).ok())
        .expect("the agent leg's figures as a JSON line");
    let received = figures["fields"]["rtp_received"].as_u64().unwrap_or(0);
    assert!(
        received > 50,
        "the phone's SRTP was decrypted on the agent leg: {figures}\n{log}"
    );
}
