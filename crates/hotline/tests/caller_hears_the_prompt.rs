//! What the caller hears is the recorded prompt: a caller with its own RTP
//! socket calls the hotline, and the first menu's audio it receives is, byte
//! for byte, the μ-law encoding of `ivr_scripts/prompts/zh/choose_language.wav`,
//! paced at 20 ms packets with consecutive sequence numbers and timestamps.

mod support;

use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::Hotline;

#[test]
fn the_language_menu_is_played_as_recorded() {
    let hotline = Hotline::start(&[]);
    let rtp = UdpSocket::bind("127.0.0.1:0").expect("bind RTP");
    rtp.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let rtp_port = rtp.local_addr().expect("addr").port();
    let sip = UdpSocket::bind("127.0.0.1:0").expect("bind SIP");
    sip.connect(hotline.sip).expect("connect");
    sip.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let sip_port = sip.local_addr().expect("addr").port();
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {rtp_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    );
    let invite = format!(
        "INVITE sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{sip_port};branch=z9hG4bKhear1\r\nFrom: <sip:13800138000@127.0.0.1>;tag=c1\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: hear-1\r\nCSeq: 1 INVITE\r\nContact: <sip:13800138000@127.0.0.1:{sip_port}>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    sip.send(invite.as_bytes()).expect("send INVITE");
    let mut buf = [0u8; 4096];
    let ok = loop {
        let n = sip.recv(&mut buf).expect("a response to the INVITE");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.starts_with("SIP/2.0 200") {
            break text;
        }
        assert!(text.starts_with("SIP/2.0 1"), "{text}");
    };
    let to = ok
        .lines()
        .find(|l| l.starts_with("To:"))
        .expect("To header")
        .to_owned();
    let ack = format!(
        "ACK sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{sip_port};branch=z9hG4bKhear2\r\nFrom: <sip:13800138000@127.0.0.1>;tag=c1\r\n{to}\r\nCall-ID: hear-1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    sip.send(ack.as_bytes()).expect("send ACK");

    let prompt = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../ivr_scripts/prompts/zh/choose_language.wav");
    let expected = hotline_media::Prompt::load_wav(&prompt).expect("the shipped prompt loads");
    let expected = expected.encoded(hotline_media::Codec::Pcmu).to_vec();
    // The prompt starts after a little comfort noise; find its first
    // non-silent 20 ms in what was heard, then compare from there.
    let first = expected
        .iter()
        .position(|&b| b != 0xFF && b != 0x7F)
        .expect("the prompt has audio");
    let anchor = &expected[first..first + 160];
    let wanted = 8_000; // one second of the prompt
    let mut heard = Vec::new();
    let mut last: Option<(u16, u32)> = None;
    let mut found: Option<usize> = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(at) = found {
            if heard.len() >= at + wanted {
                break;
            }
        }
        let Ok(n) = rtp.recv(&mut buf) else { continue };
        let packet =
            hotline_media::rtp::parse(&buf[..n]).expect("well-formed RTP from the hotline");
        if packet.header.payload_type != 0 {
            continue;
        }
        if let Some((seq, ts)) = last {
            assert_eq!(
                packet.header.sequence,
                seq.wrapping_add(1),
                "consecutive sequence numbers"
            );
            assert_eq!(
                packet.header.timestamp,
                ts.wrapping_add(160),
                "20 ms of samples per packet"
            );
        }
        last = Some((packet.header.sequence, packet.header.timestamp));
        heard.extend_from_slice(packet.payload);
        if found.is_none() {
            found = heard.windows(anchor.len()).position(|w| w == anchor);
        }
    }
    let at = found.expect("the prompt's opening was heard");
    let compare = wanted.min(heard.len() - at).min(expected.len() - first);
    assert!(
        compare >= 4_000,
        "at least half a second of the prompt heard, got {compare} bytes"
    );
    let mismatch = (0..compare).find(|&i| heard[at + i] != expected[first + i]);
    assert_eq!(
        mismatch, None,
        "the caller hears the recorded prompt exactly (first difference at byte)"
    );
    let bye = format!(
        "BYE sip:hotline@{} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{sip_port};branch=z9hG4bKhear3\r\nFrom: <sip:13800138000@127.0.0.1>;tag=c1\r\n{to}\r\nCall-ID: hear-1\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        hotline.sip
    );
    sip.send(bye.as_bytes()).expect("send BYE");
    assert_eq!(
        hotline
            .wait_for_events("ended", 1, Duration::from_secs(5))
            .len(),
        1
    );
}
