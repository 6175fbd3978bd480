//! The UAC side (how the ACD will ring agents' phones), against SIPp as the
//! called party: INVITE → 180/200 → ACK, then our BYE; and a phone that
//! rejects gets its non-2xx ACKed and reported.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_sip::endpoint::EndpointConfig;
use hotline_sip::transport::{self, Command, TransportConfig};
use hotline_sip::{Codec, Direction, Endpoint, Event, LocalMedia, OutgoingCall, Peer, Transport};
use support::{free_port, sipp_available};

async fn next_event(events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>) -> Event {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the driver is running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotline_places_a_call_to_sipp_and_hangs_up() {
    if !sipp_available("hotline_places_a_call_to_sipp_and_hangs_up") {
        return;
    }
    let uas_port = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut uas = std::process::Command::new("sipp")
        .args([
            "-sn",
            "uas",
            "-i",
            "127.0.0.1",
            "-p",
            &uas_port.to_string(),
            "-m",
            "1",
            "-rtp_echo",
            "-trace_err",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start sipp uas");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let endpoint = Endpoint::new(
        EndpointConfig {
            advertised: listen,
            ..EndpointConfig::default()
        },
        [1; 32],
        Instant::now(),
    );
    let (sip, _stream, tasks) = transport::start(
        TransportConfig {
            listen: vec![listen],
            ..TransportConfig::default()
        },
        endpoint,
    )
    .await
    .expect("start SIP");
    let phone: SocketAddr = format!("127.0.0.1:{uas_port}").parse().expect("addr");
    // The placed call's events come on a route of its own.
    let (route, mut events) = tokio::sync::mpsc::unbounded_channel();
    let route = transport::EventRoute::new(move |event| {
        let _ = route.send(event);
    });
    let call = sip
        .place(
            OutgoingCall {
                target: format!("sip:agent@{phone}"),
                peer: Peer {
                    transport: Transport::Udp,
                    addr: phone,
                    connection: None,
                },
                from_user: "12345".into(),
                from_display: Some("Hotline".into()),
                local_media: LocalMedia {
                    rtp: "127.0.0.1:41000".parse().expect("addr"),
                    codecs: vec![Codec::Pcmu, Codec::Pcma],
                    telephone_event_pt: Some(101),
                    direction: Direction::SendRecv,
                    session_id: 1,
                    version: 1,
                    crypto: None,
                },
            },
            route,
        )
        .await
        .expect("place the call");
    let mut answered = None;
    while answered.is_none() {
        match next_event(&mut events).await {
            Event::OutgoingProgress { call: c, status } => {
                assert!(c == call && (180..200).contains(&status))
            }
            Event::OutgoingAnswered {
                call: c,
                remote_media,
            } => {
                assert_eq!(c, call);
                answered = Some(remote_media.expect("SIPp answers with SDP"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(answered.expect("answered").codec, Codec::Pcmu);
    sip.send(Command::Hangup(call)).expect("hang up");
    match next_event(&mut events).await {
        Event::CallEnded {
            call: c, reason, ..
        } => {
            assert_eq!(c, call);
            assert_eq!(reason, "local_hangup");
        }
        other => panic!("unexpected {other:?}"),
    }
    let status = tokio::task::spawn_blocking(move || uas.wait())
        .await
        .expect("join")
        .expect("sipp exit");
    assert!(status.success(), "SIPp as the called party saw an error");
    drop(tasks);
}
