//! A real SIPp caller (the Debian `sip-tester` package) streams audio with
//! `rtp_stream` and presses keys with `play_dtmf` against a bare media leg:
//! the leg reports exactly the keys sent and receives the audio. A minimal
//! answering side in this test does the SIP part (the SIP stack is another
//! crate's job). Skipped when sipp is not installed, unless
//! HOTLINE_REQUIRE_SIPP=1 (as CI sets).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use hotline_media::{Codec, DtmfSource, LegParams, MediaEvent};
use tokio::net::UdpSocket;

const SCENARIO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="caller with audio and keys">
  <send retrans="500"><![CDATA[
INVITE sip:hotline@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:hotline@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtpstream_audio_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
]]></send>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:hotline@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:hotline@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec rtp_stream="AUDIO_FILE,1,0"/></action></nop>
  <pause milliseconds="1200"/>
  <nop><action><exec play_dtmf="1590#"/></action></nop>
  <pause milliseconds="2500"/>
  <send retrans="500"><![CDATA[
BYE sip:hotline@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:hotline@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"#;

fn sipp_available() -> bool {
    std::process::Command::new("sipp")
        .arg("-v")
        .output()
        .is_ok()
}

fn free_udp_port() -> u16 {
    // Bind, read, release: good enough for a test on loopback.
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Answers the INVITE with the leg's address and the BYE with 200; returns
/// the caller's media address from its SDP.
async fn answer(sip: UdpSocket, leg_port: u16, media_tx: tokio::sync::oneshot::Sender<SocketAddr>) {
    let mut media_tx = Some(media_tx);
    let mut buf = vec![0u8; 65535];
    loop {
        let Ok((n, from)) = sip.recv_from(&mut buf).await else {
            return;
        };
        let msg = String::from_utf8_lossy(&buf[..n]).to_string();
        let first = msg.lines().next().unwrap_or_default().to_owned();
        let is_invite = first.starts_with("INVITE");
        let is_bye = first.starts_with("BYE");
        if !is_invite && !is_bye {
            continue; // the ACK
        }
        let mut headers: Vec<String> = msg
            .split("\r\n")
            .filter(|l| {
                ["Via:", "From:", "To:", "Call-ID:", "CSeq:"]
                    .iter()
                    .any(|h| l.starts_with(h))
            })
            .map(|l| {
                if l.starts_with("To:") && !l.contains("tag=") {
                    format!("{l};tag=media-test")
                } else {
                    l.to_owned()
                }
            })
            .collect();
        headers.push("Contact: <sip:hotline@127.0.0.1>".into());
        let mut body = String::new();
        if is_invite {
            let sdp = msg.split("\r\n\r\n").nth(1).unwrap_or_default();
            let port: u16 = sdp
                .lines()
                .find_map(|l| l.strip_prefix("m=audio "))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|p| p.parse().ok())
                .expect("SIPp's SDP has an m=audio line");
            if let Some(tx) = media_tx.take() {
                let _ = tx.send(SocketAddr::from(([127, 0, 0, 1], port)));
            }
            body = format!(
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {leg_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
            );
            headers.push("Content-Type: application/sdp".into());
        }
        let response = format!(
            "SIP/2.0 200 OK\r\n{}\r\nContent-Length: {}\r\n\r\n{body}",
            headers.join("\r\n"),
            body.len()
        );
        let _ = sip.send_to(response.as_bytes(), from).await;
        if is_bye {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_audio_and_keys_reach_the_leg() {
    if !sipp_available() {
        assert!(
            std::env::var("HOTLINE_REQUIRE_SIPP").is_err(),
            "HOTLINE_REQUIRE_SIPP is set but sipp is not installed (apt-get install sip-tester)"
        );
        eprintln!("skipped: sipp is not installed");
        return;
    }
    let dir = temp_dir("sipp");
    let audio: Vec<u8> = sine(440.0, 1000, 8000.0)
        .iter()
        .map(|s| Codec::Pcmu.encode(*s))
        .collect();
    let audio_path = dir.join("caller.ul");
    std::fs::write(&audio_path, audio).unwrap();
    let scenario_path = dir.join("caller.xml");
    std::fs::write(
        &scenario_path,
        SCENARIO.replace("AUDIO_FILE", &audio_path.to_string_lossy()),
    )
    .unwrap();

    let engine = engine(32_000);
    let mut leg = engine.allocate_leg().unwrap();
    let sip = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sip_port = sip.local_addr().unwrap().port();
    let (media_tx, media_rx) = tokio::sync::oneshot::channel();
    let uas = tokio::spawn(answer(sip, leg.local_addr().port(), media_tx));

    let sipp = tokio::process::Command::new("sipp")
        .arg("-sf")
        .arg(&scenario_path)
        .args([
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-timeout",
            "30s",
            "-timeout_error",
        ])
        .args(["-p", &free_udp_port().to_string()])
        .args(["-mp", &(free_udp_port() & !1).to_string()])
        .arg(format!("127.0.0.1:{sip_port}"))
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sipp starts");

    let caller_media = tokio::time::timeout(Duration::from_secs(10), media_rx)
        .await
        .expect("SIPp sent its INVITE")
        .unwrap();
    leg.start(LegParams::new(caller_media, Codec::Pcmu, Some(101)))
        .unwrap();

    let mut keys = String::new();
    wait_for_event(&mut leg, Duration::from_secs(20), |e| {
        if let MediaEvent::Dtmf { key, source, .. } = e {
            assert_eq!(*source, DtmfSource::Rfc4733);
            keys.push(*key);
        }
        keys.len() == 5
    })
    .await;
    assert_eq!(keys, "1590#");

    let output = sipp.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "sipp failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    uas.await.unwrap();
    let stats = leg.stats().await.unwrap();
    assert!(
        stats.counters.rtp_received >= 45,
        "SIPp's audio reached the leg: {stats:?}"
    );
    // Nothing more came after the five keys (no duplicate from end packets).
    while let Some(e) = leg.try_event() {
        assert!(!matches!(e, MediaEvent::Dtmf { .. }), "extra key {e:?}");
    }
    std::fs::remove_dir_all(dir).ok();
}
