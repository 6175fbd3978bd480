//! The pages' static files (the agent console, the wallboard, the reports
//! and the department view, and their shared script, words, charts and
//! style),
//! embedded in the binary (no build step, no CDN), served with headers that
//! keep them from being framed or from loading anything from elsewhere.

use axum::http::{header, HeaderName};
use axum::response::{IntoResponse, Redirect, Response};

const INDEX_HTML: &str = include_str!("../static/index.html");
const CONSOLE_JS: &str = include_str!("../static/console.js");
const CONSOLE_CSS: &str = include_str!("../static/console.css");
const WALLBOARD_HTML: &str = include_str!("../static/wallboard.html");
const WALLBOARD_JS: &str = include_str!("../static/wallboard.js");
const REPORTS_HTML: &str = include_str!("../static/reports.html");
const REPORTS_JS: &str = include_str!("../static/reports.js");
const DEPARTMENTS_HTML: &str = include_str!("../static/departments.html");
const DEPARTMENTS_JS: &str = include_str!("../static/departments.js");
const CALLBACKS_HTML: &str = include_str!("../static/callbacks.html");
const CALLBACKS_JS: &str = include_str!("../static/callbacks.js");
const COMMON_JS: &str = include_str!("../static/ui/common.js");
const TEXTS_JS: &str = include_str!("../static/ui/texts.js");
const CHARTS_JS: &str = include_str!("../static/ui/charts.js");
const PAGES_CSS: &str = include_str!("../static/ui/pages.css");

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

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
    asset(HTML, INDEX_HTML)
}

/// `GET /console/console.js`.
pub(crate) async fn script() -> Response {
    asset(JS, CONSOLE_JS)
}

/// `GET /console/console.css`.
pub(crate) async fn style() -> Response {
    asset(CSS, CONSOLE_CSS)
}

/// `GET /wallboard`.
pub(crate) async fn to_wallboard() -> Redirect {
    Redirect::to("/wallboard/")
}

/// `GET /wallboard/`.
pub(crate) async fn wallboard() -> Response {
    asset(HTML, WALLBOARD_HTML)
}

/// `GET /wallboard/wallboard.js`.
pub(crate) async fn wallboard_script() -> Response {
    asset(JS, WALLBOARD_JS)
}

/// `GET /reports`.
pub(crate) async fn to_reports() -> Redirect {
    Redirect::to("/reports/")
}

/// `GET /reports/`.
pub(crate) async fn reports() -> Response {
    asset(HTML, REPORTS_HTML)
}

/// `GET /reports/reports.js`.
pub(crate) async fn reports_script() -> Response {
    asset(JS, REPORTS_JS)
}

/// `GET /departments`.
pub(crate) async fn to_departments() -> Redirect {
    Redirect::to("/departments/")
}

/// `GET /departments/`.
pub(crate) async fn departments() -> Response {
    asset(HTML, DEPARTMENTS_HTML)
}

/// `GET /departments/departments.js`.
pub(crate) async fn departments_script() -> Response {
    asset(JS, DEPARTMENTS_JS)
}

/// `GET /callbacks`.
pub(crate) async fn to_callbacks() -> Redirect {
    Redirect::to("/callbacks/")
}

/// `GET /callbacks/`: the callback list, for supervisors.
pub(crate) async fn callbacks() -> Response {
    asset(HTML, CALLBACKS_HTML)
}

/// `GET /callbacks/callbacks.js`.
pub(crate) async fn callbacks_script() -> Response {
    asset(JS, CALLBACKS_JS)
}

/// `GET /ui/common.js`: login, language, API calls, shared by the pages.
pub(crate) async fn common_script() -> Response {
    asset(JS, COMMON_JS)
}

/// `GET /ui/texts.js`: every page's words in English and Chinese.
pub(crate) async fn texts_script() -> Response {
    asset(JS, TEXTS_JS)
}

/// `GET /ui/charts.js`: the SVG charts.
pub(crate) async fn charts_script() -> Response {
    asset(JS, CHARTS_JS)
}

/// `GET /ui/pages.css`: the wallboard's, reports' and department view's style.
pub(crate) async fn pages_style() -> Response {
    asset(CSS, PAGES_CSS)
}
