//! HTTPS built in: with `http.tls` on and no certificate configured, the
//! first start makes a self-signed one in `<data_dir>/tls/http.crt` (its key
//! readable by the owner only); the console, the API and /health answer
//! over TLS to a client that trusts it, every answer carries HSTS, and a
//! request in clear gets no HTTP answer. `hotline cert self-signed` renews
//! the certificate, and the running hotline serves the new one to new
//! connections without a restart.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use support::Hotline;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// GET `path` over TLS, trusting only `cert_pem`: the answer's text and the
/// certificate the server showed.
async fn https_get(
    addr: std::net::SocketAddr,
    path: &str,
    cert_pem: &[u8],
) -> (String, CertificateDer<'static>) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(cert_pem).expect("a PEM certificate"))
        .expect("a root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("a TLS handshake with the hotline's certificate");
    let shown = tls.get_ref().1.peer_certificates().expect("a certificate")[0].clone();
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    (String::from_utf8_lossy(&answer).into_owned(), shown)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_answers_over_https_with_a_renewable_certificate() {
    let hotline = Hotline::start(&[("HOTLINE_HTTP_TLS", "true")]);
    assert!(hotline.wait_for_log("HTTP listening on https://", Duration::from_secs(5)));
    let tls_dir = hotline.data_dir.path().join("tls");
    let cert = std::fs::read(tls_dir.join("http.crt")).expect("a certificate made at start");
    let key_mode = std::fs::metadata(tls_dir.join("http.key"))
        .expect("its key")
        .permissions()
        .mode();
    assert_eq!(
        key_mode & 0o077,
        0,
        "the key is the owner's only: {key_mode:o}"
    );

    let (health, first) = https_get(hotline.http, "/health", &cert).await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok\n"), "{health}");
    let lower = health.to_ascii_lowercase();
    assert!(
        lower.contains("strict-transport-security: max-age=31536000"),
        "{health}"
    );
    let (page, _) = https_get(hotline.http, "/console/", &cert).await;
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("<html"),
        "{page}"
    );
    let (api, _) = https_get(hotline.http, "/api/me", &cert).await;
    assert!(api.starts_with("HTTP/1.1 401"), "{api}");

    // In clear: no HTTP answer.
    let mut plain = tokio::net::TcpStream::connect(hotline.http).await.unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut got)).await;
    assert!(
        !String::from_utf8_lossy(&got).contains("HTTP/1.1 200"),
        "answered in clear"
    );

    // Renewed beside the running hotline.
    let renewed = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["cert", "self-signed", "--name", "hotline.example"])
        .current_dir(hotline.data_dir.path())
        .env("HOTLINE_LOG_LEVEL", "warn")
        .env("HOTLINE_DATABASE_DATA_DIR", hotline.data_dir.path())
        .output()
        .expect("hotline cert self-signed");
    let said = String::from_utf8_lossy(&renewed.stdout);
    assert!(
        renewed.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&renewed.stderr)
    );
    assert!(said.contains("SHA-256 fingerprint: "), "{said}");
    let new_cert = std::fs::read(tls_dir.join("http.crt")).unwrap();
    assert_ne!(new_cert, cert);
    let renewed_at = Instant::now();
    loop {
        // Trusting only the new certificate: the handshake succeeds once
        // the hotline serves it.
        let attempt = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::spawn({
                let new_cert = new_cert.clone();
                let addr = hotline.http;
                async move { https_get(addr, "/health", &new_cert).await }
            }),
        )
        .await;
        if let Ok(Ok((answer, shown))) = attempt {
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert_ne!(shown, first, "a new certificate");
            break;
        }
        assert!(
            renewed_at.elapsed() < Duration::from_secs(25),
            "the renewed certificate is not served:\n{}",
            hotline.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(hotline.wait_for_log("a renewed certificate is in force", Duration::from_secs(2)));
}
