//! The operator's HTTP endpoints served by the binary (health, and
//! metrics on a listener of their own or behind a token), and HTTPS for everything on the HTTP port: a listener that
//! hands TCP connections to rustls, with HSTS on every answer. (The agent
//! console and its API come from hotline-screenpop.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hotline_sip::tls::TlsIdentity;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;

/// What the console's port serves besides the console: `/health`, and
/// `/metrics` only to a scraper with `Authorization: Bearer <token>` when a
/// token is configured (else the figures are only on [`metrics_router`]'s
/// own listener).
pub fn router(metrics: PrometheusHandle, token: Option<String>) -> Router {
    match token {
        Some(token) => health().route(
            "/metrics",
            get(render_with_token).with_state(Arc::new((metrics, token))),
        ),
        None => health(),
    }
}

fn health<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/health", get(|| async { "ok\n" }))
}

/// `/metrics` (Prometheus text format) and `/health` for the metrics
/// listener (`http.metrics_listen`, loopback by default).
pub fn metrics_router(metrics: PrometheusHandle) -> Router {
    health()
        .route("/metrics", get(render_metrics))
        .with_state(metrics)
}

async fn render_metrics(State(handle): State<PrometheusHandle>) -> Response {
    ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], handle.render()).into_response()
}

/// The Prometheus text exposition format's media type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

async fn render_with_token(
    State(scrape): State<Arc<(PrometheusHandle, String)>>,
    headers: HeaderMap,
) -> Response {
    let (handle, token) = &*scrape;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared in constant time: the token is a password.
    use subtle::ConstantTimeEq;
    if bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        render_metrics(State(handle.clone())).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "/metrics needs Authorization: Bearer <http.metrics_token>\n",
        )
            .into_response()
    }
}

/// A client that has not finished its TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes under way at once; more connections wait to be accepted.
const MAX_HANDSHAKES: usize = 256;

/// HTTPS: accepted TCP connections go through the TLS handshake each in a
/// task of its own (a slow or silent client holds up nobody), and only
/// finished ones reach the HTTP server. The certificate is the identity's
/// current one, so a renewal applies to the next connection.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, identity: Arc<TlsIdentity>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
        tokio::spawn(async move {
            loop {
                let Ok(permit) = handshakes.clone().acquire_owned().await else {
                    return;
                };
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "HTTPS: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let acceptor = identity.acceptor();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "HTTPS: handshake failed"),
                        Err(_) => tracing::debug!(%peer, "HTTPS: handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accepting task is gone (the runtime is shutting down).
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// `Strict-Transport-Security` on every answer served over HTTPS: a browser
/// that once reached the console safely never tries it in clear again.
pub async fn hsts(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn handle_with_a_counter() -> PrometheusHandle {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("hotline_test_total").increment(3)
        });
        handle
    }

    async fn get(app: &Router, path: &str, bearer: Option<&str>) -> (StatusCode, String) {
        let mut req = Request::get(path);
        if let Some(token) = bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_metrics_listener_serves_the_figures() {
        let app = metrics_router(handle_with_a_counter());
        assert_eq!(get(&app, "/health", None).await.0, StatusCode::OK);
        let (status, body) = get(&app, "/metrics", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("# TYPE hotline_test_total counter"), "{body}");
        assert!(body.contains("hotline_test_total 3"), "{body}");
    }

    #[tokio::test]
    async fn the_console_port_serves_metrics_only_with_the_token() {
        let without = router(handle_with_a_counter(), None);
        assert_eq!(get(&without, "/health", None).await.0, StatusCode::OK);
        assert_eq!(
            get(&without, "/metrics", None).await.0,
            StatusCode::NOT_FOUND
        );

        let token = "scrape-token-0123456789";
        let with = router(handle_with_a_counter(), Some(token.into()));
        assert_eq!(
            get(&with, "/metrics", None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            get(&with, "/metrics", Some("scrape-token-wrong")).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (status, body) = get(&with, "/metrics", Some(token)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("hotline_test_total 3"));
    }
}
