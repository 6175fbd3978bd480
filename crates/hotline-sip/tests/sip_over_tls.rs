//! SIP over TLS with real sockets: a phone's request over TLS is answered
//! over the same connection (Via and Contact say TLS), a call placed to a
//! TLS peer opens a verified TLS connection, and a certificate replaced on
//! disk is used for new connections without a restart.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_sip::tls::{TlsIdentity, TlsSettings};
use hotline_sip::transport::{self, SipHandle, TransportConfig};
use hotline_sip::{
    Codec, Direction, Endpoint, EndpointConfig, LocalMedia, OutgoingCall, Peer, Transport,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// A self-signed certificate for 127.0.0.1, written as PEM files.
fn write_identity(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let cert_path = dir.join(format!("{name}.crt"));
    let key_path = dir.join(format!("{name}.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path, cert.pem())
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client that trusts exactly `pem`.
fn client_trusting(pem: &str) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn start(
    settings: TlsSettings,
) -> (
    SipHandle,
    tokio::task::JoinSet<()>,
    tokio::sync::mpsc::UnboundedReceiver<hotline_sip::Event>,
) {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let identity = Arc::new(TlsIdentity::load(settings).expect("a valid identity"));
    let endpoint = Endpoint::new(
        EndpointConfig {
            advertised: listen,
            advertised_tls: Some("127.0.0.1:5061".parse().unwrap()),
            ..EndpointConfig::default()
        },
        [3; 32],
        Instant::now(),
    );
    let (sip, events, tasks) = transport::start(
        TransportConfig {
            listen: vec![listen],
            tls_listen: vec![listen],
            tls: Some(identity),
            ..TransportConfig::default()
        },
        endpoint,
    )
    .await
    .expect("loopback binds");
    (sip, tasks, events)
}

fn options(call_id: &str) -> String {
    format!(
        "OPTIONS sip:12345@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-{call_id}\r\n\
Max-Forwards: 70\r\n\
From: <sip:phone@127.0.0.1>;tag=1\r\n\
To: <sip:12345@127.0.0.1>\r\n\
Call-ID: {call_id}\r\n\
CSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n"
    )
}

/// Sends an OPTIONS over a fresh TLS connection; the response and the
/// certificate the hotline presented.
async fn options_over_tls(addr: SocketAddr, trust: &str, call_id: &str) -> (String, Vec<u8>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::IpAddress(addr.ip().into());
    let mut tls = client_trusting(trust)
        .connect(name, tcp)
        .await
        .expect("handshake");
    let presented = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    tls.write_all(options(call_id).as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf))
        .await
        .expect("a response in time")
        .unwrap();
    (String::from_utf8_lossy(&buf[..n]).into_owned(), presented)
}

fn der_of(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn a_request_over_tls_is_answered_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem) = write_identity(dir.path(), "hotline");
    let (sip, _tasks, _events) = start(TlsSettings {
        cert_file: cert,
        key_file: key,
        ca_file: None,
        reload_every: Duration::from_secs(60),
    })
    .await;
    let (response, presented) = options_over_tls(sip.tls_addrs()[0], &pem, "tls-1").await;
    assert!(response.starts_with("SIP/2.0 200"), "{response}");
    assert!(response.contains("Via: SIP/2.0/TLS"), "{response}");
    assert_eq!(presented, der_of(&pem));
    // A client that does not trust the certificate cannot talk at all.
    let (_, _, other_pem) = write_identity(dir.path(), "stranger");
    let tcp = TcpStream::connect(sip.tls_addrs()[0]).await.unwrap();
    let name = ServerName::IpAddress(sip.tls_addrs()[0].ip().into());
    assert!(client_trusting(&other_pem)
        .connect(name, tcp)
        .await
        .is_err());
}

#[tokio::test]
async fn a_replaced_certificate_serves_new_connections() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, first_pem) = write_identity(dir.path(), "hotline");
    let (sip, _tasks, _events) = start(TlsSettings {
        cert_file: cert.clone(),
        key_file: key.clone(),
        ca_file: None,
        reload_every: Duration::from_millis(100),
    })
    .await;
    let addr = sip.tls_addrs()[0];
    let (_, presented) = options_over_tls(addr, &first_pem, "before").await;
    assert_eq!(presented, der_of(&first_pem));
    // Renewed on disk (as certbot would), a second later for the mtime.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (new_cert, new_key, second_pem) = write_identity(dir.path(), "renewed");
    std::fs::rename(new_key, &key).unwrap();
    std::fs::rename(new_cert, &cert).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::IpAddress(addr.ip().into());
        if let Ok(tls) = client_trusting(&second_pem).connect(name, tcp).await {
            let presented = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
            assert_eq!(presented, der_of(&second_pem));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A broken file later is refused and the renewed one stays in force.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    std::fs::write(&cert, "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (response, presented) = options_over_tls(addr, &second_pem, "after").await;
    assert!(response.starts_with("SIP/2.0 200"));
    assert_eq!(presented, der_of(&second_pem));
}

#[tokio::test]
async fn a_call_to_a_tls_peer_opens_a_verified_tls_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = write_identity(dir.path(), "hotline");
    // The peer (a trunk over TLS) with its own certificate, trusted by the hotline.
    let (peer_cert, peer_key, peer_pem) = write_identity(dir.path(), "trunk");
    let (sip, _tasks, _events) = start(TlsSettings {
        cert_file: cert,
        key_file: key,
        ca_file: Some(peer_cert.clone()),
        reload_every: Duration::from_secs(60),
    })
    .await;
    let certs = vec![CertificateDer::from_pem_slice(peer_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_file(&peer_key).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let trunk = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trunk_addr = trunk.local_addr().unwrap();
    sip.place(
        OutgoingCall {
            target: format!("sip:13800138000@{trunk_addr};transport=tls"),
            peer: Peer {
                transport: Transport::Tls,
                addr: trunk_addr,
                connection: None,
            },
            from_user: "12345".into(),
            from_display: None,
            local_media: LocalMedia {
                rtp: "127.0.0.1:40000".parse().unwrap(),
                codecs: vec![Codec::Pcmu],
                telephone_event_pt: Some(101),
                direction: Direction::SendRecv,
                session_id: 1,
                version: 1,
                crypto: None,
            },
        },
        hotline_sip::transport::EventRoute::new(|_| {}),
    )
    .await
    .unwrap();
    let (tcp, _) = tokio::time::timeout(Duration::from_secs(5), trunk.accept())
        .await
        .expect("the hotline connects")
        .unwrap();
    let mut tls = TlsAcceptor::from(Arc::new(server))
        .accept(tcp)
        .await
        .expect("the hotline verifies and completes the handshake");
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf))
        .await
        .expect("an INVITE")
        .unwrap();
    let invite = String::from_utf8_lossy(&buf[..n]);
    assert!(invite.starts_with("INVITE sip:13800138000@"), "{invite}");
    assert!(
        invite.contains("Via: SIP/2.0/TLS 127.0.0.1:5061"),
        "{invite}"
    );
    assert!(invite.contains(";transport=tls>"), "{invite}");
}
