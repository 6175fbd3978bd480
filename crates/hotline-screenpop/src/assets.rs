//! The console page's static files, embedded in the binary (no build step,
//! no CDN), served with headers that keep them from being framed or from
//! loading anything from elsewhere.

use axum::http::{header, HeaderName};
use axum::response::{IntoResponse, Redirect, Response};

const INDEX_HTML: &str = include_str!("../static/index.html");
const CONSOLE_JS: &str = include_str!("../static/console.js");
const CONSOLE_CSS: &str = include_str!("../static/console.css");

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let headers: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    (headers, body).into_response()
}

/// `GET /` and `GET /console`: to the console page.
pub(crate) async fn to_console() -> Redirect {
    Redirect::to("/console/")
}

/// `GET /console/`.
pub(crate) async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /console/console.js`.
pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", CONSOLE_JS)
}

/// `GET /console/console.css`.
pub(crate) async fn style() -> Response {
    asset("text/css; charset=utf-8", CONSOLE_CSS)
}
