//! A real softphone: baresip, driven headless through its ctrl_tcp module,
//! calls the hotline, presses 2 (RFC 4733, sent between its audio packets)
//! and hangs up. Its SDP announces the host's interface address while its
//! packets come from loopback, like a softphone behind NAT: the hotline must
//! still hear it. Skips loudly without baresip unless HOTLINE_REQUIRE_BARESIP=1.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{free_port, installed, External, Hotline};

fn baresip_available() -> bool {
    let baresip = External {
        program: "baresip",
        probe: "-h",
        require: "HOTLINE_REQUIRE_BARESIP",
        package: "baresip",
    };
    installed("baresip_softphone_calls", &baresip, "SKIPPED")
}

/// One ctrl_tcp command, as a netstring of JSON.
fn command(control: &mut TcpStream, name: &str, params: &str) {
    let body = format!(r#"{{"command":"{name}","params":"{params}","token":"{name}"}}"#);
    write!(control, "{}:{body},", body.len()).expect("send a baresip command");
}

/// baresip in a directory of its own, dialling `target` at start, its
/// ctrl_tcp port open; killed on drop. `extra` is added to its config.
struct Baresip {
    child: std::process::Child,
    control: TcpStream,
    dir: tempfile::TempDir,
}

impl Baresip {
    fn dial(target: &str, account: &str, extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let sip_port = free_port();
        let control_port = free_port();
        let config = format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{sip_port}\n{extra}audio_player aufile,{}/heard.wav\naudio_source ausine,440\n\
             audio_alert aufile,/dev/null\nausrc_srate 48000\nauplay_srate 48000\nausrc_channels 2\nauplay_channels 1\n\
             module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule ausine.so\nmodule aufile.so\nmodule srtp.so\n\
             module_app account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{control_port}\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("config"), config).expect("baresip config");
        std::fs::write(dir.path().join("accounts"), format!("{account}\n")).expect("accounts");
        let log = |name: &str| std::fs::File::create(dir.path().join(name)).expect("a log file");
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .args(["-e", &format!("/dial {target}")])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log("baresip.log"))
            .stderr(log("baresip.err"))
            .spawn()
            .expect("start baresip");
        let deadline = Instant::now() + Duration::from_secs(10);
        let control = loop {
            match TcpStream::connect(("127.0.0.1", control_port)) {
                Ok(stream) => break stream,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => panic!("baresip's control port did not open: {e}"),
            }
        };
        Self {
            child,
            control,
            dir,
        }
    }

    fn command(&mut self, name: &str, params: &str) {
        command(&mut self.control, name, params);
    }

    /// What baresip printed (its status line goes to stderr).
    fn output(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name));
        read("baresip.log").unwrap_or_default() + &read("baresip.err").unwrap_or_default()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn baresip_calls_presses_a_key_and_hangs_up() {
    if !baresip_available() {
        return;
    }
    let hotline = Hotline::start(&[]);
    let mut phone = Baresip::dial(
        &format!("sip:12345@{}", hotline.sip),
        "<sip:citizen@127.0.0.1>;regint=0",
        "",
    );
    assert!(
        !hotline
            .wait_for_events("answered", 1, Duration::from_secs(10))
            .is_empty(),
        "{}",
        hotline.log()
    );
    std::thread::sleep(Duration::from_millis(1_500));
    phone.command("sndcode", "2");
    let chosen = hotline.wait_for_events("language_selected", 1, Duration::from_secs(5));
    phone.command("hangup", "");
    let ended = hotline.wait_for_events("ended", 1, Duration::from_secs(5));
    let mut reply = [0u8; 256];
    phone
        .control
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let _ = phone.control.read(&mut reply);
    drop(phone);
    assert_eq!(
        chosen.len(),
        1,
        "the hotline did not hear baresip's key:\n{}",
        hotline.log()
    );
    assert_eq!(chosen[0]["event"]["language"], "en");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["event"]["side"], "caller");
    let quality = hotline
        .events()
        .into_iter()
        .find(|e| e["kind"] == "media_quality")
        .expect("RTP from baresip was counted");
    assert!(
        quality["event"]["packets_lost"].as_u64().is_some(),
        "{quality}"
    );
}

/// The same softphone over SIP/TLS with mandatory SRTP (SDES): baresip
/// verifies the hotline's certificate (the self-signed one it made in its
/// data directory), the hotline answers RTP/SAVP with a key of its own, and
/// the key baresip sends inside SRTP is heard, while baresip decodes the
/// hotline's encrypted prompts.
#[test]
fn baresip_calls_over_tls_with_srtp() {
    if !baresip_available() {
        return;
    }
    let tls_port = free_port();
    let tls_listen = format!("127.0.0.1:{tls_port}");
    let hotline = Hotline::start(&[("HOTLINE_SIP_TLS_LISTEN", &tls_listen)]);
    let ca = hotline.data_dir.path().join("tls/sip.crt");
    assert!(
        ca.exists(),
        "the hotline made its certificate: {}",
        hotline.log()
    );
    let mut phone = Baresip::dial(
        &format!("sip:12345@{tls_listen};transport=tls"),
        "<sip:citizen@127.0.0.1>;mediaenc=srtp-mand;regint=0",
        &format!("sip_cafile {}\n", ca.display()),
    );
    let answered = hotline.wait_for_events("answered", 1, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1_500));
    phone.command("sndcode", "2");
    let chosen = hotline.wait_for_events("language_selected", 1, Duration::from_secs(5));
    // Let the English menu play a while, encrypted, before hanging up
    // (baresip's status line reports the bit rates once a second).
    std::thread::sleep(Duration::from_millis(4_000));
    phone.command("hangup", "");
    let ended = hotline.wait_for_events("ended", 1, Duration::from_secs(5));
    let said = phone.output();
    drop(phone);
    assert_eq!(answered.len(), 1, "{said}\n{}", hotline.log());
    assert!(
        said.contains("SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)"),
        "baresip negotiated SRTP with the hotline:\n{said}"
    );
    assert_eq!(
        chosen.len(),
        1,
        "the hotline did not hear the key inside SRTP:\n{said}\n{}",
        hotline.log()
    );
    assert_eq!(chosen[0]["event"]["language"], "en");
    assert_eq!(ended.len(), 1);
    // baresip's status line: bit rates received/sent. Audio it could not
    // authenticate would not count: the hotline's SRTP was decoded.
    let received = said
        .split("audio=")
        .skip(1)
        .filter_map(|s| s.split('/').next()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    assert!(
        received >= 60_000,
        "baresip received the hotline's audio at {received} bit/s:\n{said}"
    );
}
