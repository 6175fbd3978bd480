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

use support::{free_port, Hotline};

fn baresip_available() -> bool {
    let found = Command::new("baresip")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var("HOTLINE_REQUIRE_BARESIP").as_deref() == Ok("1") {
            panic!("baresip is required (HOTLINE_REQUIRE_BARESIP=1) but not installed (apt-get install baresip)");
        }
        eprintln!("\n!!!!!!!! SKIPPED baresip_softphone_calls: baresip is not installed (apt-get install baresip) !!!!!!!!\n");
    }
    found
}

/// One ctrl_tcp command, as a netstring of JSON.
fn command(control: &mut TcpStream, name: &str, params: &str) {
    let body = format!(r#"{{"command":"{name}","params":"{params}","token":"{name}"}}"#);
    write!(control, "{}:{body},", body.len()).expect("send a baresip command");
}

#[test]
fn baresip_calls_presses_a_key_and_hangs_up() {
    if !baresip_available() {
        return;
    }
    let hotline = Hotline::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let sip_port = free_port();
    let control_port = free_port();
    let config = format!(
        "poll_method epoll\nsip_listen 127.0.0.1:{sip_port}\naudio_player aufile,{}/heard.wav\naudio_source ausine,440\n\
         audio_alert aufile,/dev/null\nausrc_srate 48000\nauplay_srate 48000\nausrc_channels 2\nauplay_channels 1\n\
         module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule ausine.so\nmodule aufile.so\n\
         module_app account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{control_port}\n",
        dir.path().display()
    );
    std::fs::write(dir.path().join("config"), config).expect("baresip config");
    std::fs::write(
        dir.path().join("accounts"),
        "<sip:citizen@127.0.0.1>;regint=0\n",
    )
    .expect("accounts");
    let mut phone = Command::new("baresip")
        .arg("-f")
        .arg(dir.path())
        .args(["-e", &format!("/dial sip:12345@{}", hotline.sip)])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start baresip");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut control = loop {
        match TcpStream::connect(("127.0.0.1", control_port)) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("baresip's control port did not open: {e}"),
        }
    };
    assert!(
        !hotline
            .wait_for_events("answered", 1, Duration::from_secs(10))
            .is_empty(),
        "{}",
        hotline.log()
    );
    std::thread::sleep(Duration::from_millis(1_500));
    command(&mut control, "sndcode", "2");
    let chosen = hotline.wait_for_events("language_selected", 1, Duration::from_secs(5));
    command(&mut control, "hangup", "");
    let ended = hotline.wait_for_events("ended", 1, Duration::from_secs(5));
    let mut reply = [0u8; 256];
    control
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let _ = control.read(&mut reply);
    let _ = phone.kill();
    let _ = phone.wait();
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
