//! Calls to numbers the configuration does not name get 404 (the hotline is
//! never a relay), malformed SIP gets 400 or is dropped, and none of it
//! disturbs the process: it still answers afterwards.

mod support;

use std::net::UdpSocket;
use std::time::Duration;

use support::Hotline;

fn exchange(socket: &UdpSocket, message: &str) -> Option<String> {
    socket.send(message.as_bytes()).expect("send");
    let mut buf = [0u8; 4096];
    match socket.recv(&mut buf) {
        Ok(n) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Err(_) => None,
    }
}

fn invite(to: &str, call_id: &str, extra: &str) -> String {
    format!(
        "INVITE sip:{to}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{call_id}\r\nFrom: <sip:13800138000@127.0.0.1>;tag=t{call_id}\r\nTo: <sip:{to}@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n{extra}Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn unknown_numbers_get_404_and_garbage_is_survived() {
    let hotline = Hotline::start(&[]);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.connect(hotline.sip).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");

    let reply = exchange(
        &socket,
        &invite("0086123456789", "toll1", "Max-Forwards: 70\r\n"),
    )
    .expect("an answer");
    assert!(reply.starts_with("SIP/2.0 404"), "{reply}");

    let reply =
        exchange(&socket, &invite("12345", "hops1", "Max-Forwards: 0\r\n")).expect("an answer");
    assert!(reply.starts_with("SIP/2.0 483"), "{reply}");

    let mismatch = invite("12345", "cseq1", "").replace("CSeq: 1 INVITE", "CSeq: 1 BYE");
    let reply = exchange(&socket, &mismatch).expect("an answer");
    assert!(reply.starts_with("SIP/2.0 400"), "{reply}");

    let no_call_id = invite("12345", "x1", "").replace("Call-ID: x1\r\n", "");
    let reply = exchange(&socket, &no_call_id).expect("an answer");
    assert!(reply.starts_with("SIP/2.0 400"), "{reply}");

    // A method we do not implement gets 501 with its own CSeq echoed (§8.2.1).
    let foo = "FOO sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKfoo\r\nFrom: <sip:1@127.0.0.1>;tag=f\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: foo1\r\nCSeq: 7 FOO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    let reply = exchange(&socket, foo).expect("an answer to FOO");
    assert!(reply.starts_with("SIP/2.0 501"), "{reply}");
    assert!(reply.contains("CSeq: 7 FOO"), "{reply}");

    for garbage in [
        &b"\x00\xff\xfe garbage"[..],
        b"INVITE",
        b"SIP/2.0 200 OK\r\n\r\n",
        &[b'A'; 20_000],
    ] {
        socket.send(garbage).expect("send garbage");
    }
    // Still alive and answering OPTIONS.
    let options = "OPTIONS sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKopt\r\nFrom: <sip:mon@127.0.0.1>;tag=m\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: opt1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    let reply = exchange(&socket, options).expect("still answering after garbage");
    assert!(reply.starts_with("SIP/2.0 200"), "{reply}");
    assert!(!hotline.log().contains("panicked"), "{}", hotline.log());
    assert!(hotline.stop().success());
}

#[test]
fn offers_without_a_common_codec_get_488() {
    let hotline = Hotline::start(&[]);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.connect(hotline.sip).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    let request = invite(
        "12345",
        "g729",
        "Max-Forwards: 70\r\nContent-Type: application/sdp\r\n",
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Length: {}\r\n\r\n{sdp}", sdp.len()),
    );
    socket.send(request.as_bytes()).expect("send");
    let mut buf = [0u8; 4096];
    // 100 Trying may come first; the final answer is 488.
    let mut finals = Vec::new();
    while let Ok(n) = socket.recv(&mut buf) {
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if !text.starts_with("SIP/2.0 100") {
            finals.push(text);
            break;
        }
    }
    assert!(
        finals.first().is_some_and(|r| r.starts_with("SIP/2.0 488")),
        "{finals:?}"
    );
}
