//! TCP connections are bounded and always released: a hostile
//! Content-Length, too many connections from one address, and idle
//! connections all end with the socket closed and its slot freed.
//!
//! These open real loopback sockets (the transport is the part under test).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_sip::transport::{self, SipHandle, TransportConfig};
use hotline_sip::{Endpoint, EndpointConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(config: TransportConfig) -> (SipHandle, tokio::task::JoinSet<()>) {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let endpoint = Endpoint::new(
        EndpointConfig {
            advertised: listen,
            ..EndpointConfig::default()
        },
        [7; 32],
        Instant::now(),
    );
    let (sip, _events, tasks) = transport::start(
        TransportConfig {
            listen: vec![listen],
            ..config
        },
        endpoint,
    )
    .await
    .expect("loopback binds");
    // The events receiver is dropped: nothing here needs them.
    (sip, tasks)
}

fn options_with_length(length: &str) -> String {
    format!(
        "OPTIONS sip:12345@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-big\r\n\
Max-Forwards: 70\r\n\
From: <sip:probe@127.0.0.1>;tag=1\r\n\
To: <sip:12345@127.0.0.1>\r\n\
Call-ID: hostile-length\r\n\
CSeq: 1 OPTIONS\r\n\
Content-Length: {length}\r\n\r\n"
    )
}

/// Reads until the hotline closes the connection; `false` if it stays open.
async fn closed_by_hotline(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

async fn open_connections(sip: &SipHandle, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let open = sip.stats().await.unwrap().tcp_connections;
        if open == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{open} TCP connections open, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_content_length_near_2_pow_64_closes_the_connection_and_frees_it() {
    let (sip, _tasks) = start(TransportConfig::default()).await;
    let addr = sip.local_addrs()[0];
    for length in ["18446744073709551615", "18446744073709551000"] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(options_with_length(length).as_bytes())
            .await
            .unwrap();
        assert!(
            closed_by_hotline(&mut stream, Duration::from_secs(5)).await,
            "Content-Length {length}: the hotline must close the stream"
        );
    }
    open_connections(&sip, 0).await;
    // The transport still serves: an honest OPTIONS gets its 200.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(options_with_length("0").as_bytes())
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("a response")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("SIP/2.0 200"));
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let (sip, _tasks) = start(TransportConfig {
        max_tcp_connections_per_source: 4,
        ..TransportConfig::default()
    })
    .await;
    let addr = sip.local_addrs()[0];
    let mut kept = Vec::new();
    for _ in 0..4 {
        kept.push(TcpStream::connect(addr).await.unwrap());
    }
    open_connections(&sip, 4).await;
    let mut fifth = TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_by_hotline(&mut fifth, Duration::from_secs(5)).await,
        "a fifth connection from the same address is closed at once"
    );
    assert!(sip.stats().await.unwrap().tcp_refused >= 1);
    drop(kept);
    open_connections(&sip, 0).await;
    // Slots freed: the address may connect again.
    let _again = TcpStream::connect(addr).await.unwrap();
    open_connections(&sip, 1).await;
}

#[tokio::test]
async fn the_total_connection_limit_holds_for_every_address() {
    let (sip, _tasks) = start(TransportConfig {
        max_tcp_connections: 3,
        trusted_sources: vec!["127.0.0.1".parse().unwrap()],
        ..TransportConfig::default()
    })
    .await;
    let addr = sip.local_addrs()[0];
    let mut kept = Vec::new();
    for _ in 0..3 {
        kept.push(TcpStream::connect(addr).await.unwrap());
    }
    open_connections(&sip, 3).await;
    let mut fourth = TcpStream::connect(addr).await.unwrap();
    assert!(closed_by_hotline(&mut fourth, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let (sip, _tasks) = start(TransportConfig {
        tcp_idle_timeout: Duration::from_millis(300),
        ..TransportConfig::default()
    })
    .await;
    let mut stream = TcpStream::connect(sip.local_addrs()[0]).await.unwrap();
    open_connections(&sip, 1).await;
    assert!(closed_by_hotline(&mut stream, Duration::from_secs(5)).await);
    open_connections(&sip, 0).await;
}
