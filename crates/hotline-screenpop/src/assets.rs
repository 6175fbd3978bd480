//! The pages' static files (the agent console, the wallboard, the reports,
//! the department view, the callback list, the work orders and the privacy
//! officer's page, and their
//! shared frame,
//! script, words, charts and style),
//! embedded in the binary (no build step, no CDN), served with headers that
//! keep them from being framed or from loading anything from elsewhere.
//!
//! Every page is the frame `static/ui/frame.html` (head, topbar with the
//! links, notices, sign-in form) with the page's own part put in: its page
//! file (its comment, its items in the topbar, its `<main>`) and the few
//! words of [`Page`]. Each is put together once, on its first request.

use std::sync::OnceLock;

use axum::http::{header, HeaderName};
use std::marker::PhantomData;

use axum::response::{IntoResponse, Response};

use crate::openapi::{Asset, HtmlPage, Script, SeeOther, StyleSheet};

const FRAME_HTML: &str = include_str!("../static/ui/frame.html");
const CONSOLE_JS: &str = include_str!("../static/console.js");
const CONSOLE_CSS: &str = include_str!("../static/console.css");
const SOFTPHONE_JS: &str = include_str!("../static/softphone.js");
const WALLBOARD_JS: &str = include_str!("../static/wallboard.js");
const REPORTS_JS: &str = include_str!("../static/reports.js");
const DEPARTMENTS_JS: &str = include_str!("../static/departments.js");
const CALLBACKS_JS: &str = include_str!("../static/callbacks.js");
const ORDERS_JS: &str = include_str!("../static/orders.js");
const ADMIN_JS: &str = include_str!("../static/admin.js");
const PRIVACY_JS: &str = include_str!("../static/privacy.js");
const COMMON_JS: &str = include_str!("../static/ui/common.js");
const TEXTS_JS: &str = include_str!("../static/ui/texts.js");
const CHARTS_JS: &str = include_str!("../static/ui/charts.js");
const PAGES_CSS: &str = include_str!("../static/ui/pages.css");

static CONSOLE: Page = Page {
    path: "/console/",
    title: "Hotline",
    heading: "Agent console",
    stylesheet: "console.css",
    script: "console.js",
    body_class: None,
    file: include_str!("../static/index.html"),
    html: OnceLock::new(),
};

static WALLBOARD: Page = Page {
    path: "/wallboard/",
    title: "Hotline · Wallboard",
    heading: "Wallboard",
    stylesheet: "/ui/pages.css",
    script: "wallboard.js",
    body_class: Some("wallboard"),
    file: include_str!("../static/wallboard.html"),
    html: OnceLock::new(),
};

static REPORTS: Page = Page {
    path: "/reports/",
    title: "Hotline · Reports",
    heading: "Reports",
    stylesheet: "/ui/pages.css",
    script: "reports.js",
    body_class: None,
    file: include_str!("../static/reports.html"),
    html: OnceLock::new(),
};

static DEPARTMENTS: Page = Page {
    path: "/departments/",
    title: "Hotline · Departments",
    heading: "Departments",
    stylesheet: "/ui/pages.css",
    script: "departments.js",
    body_class: None,
    file: include_str!("../static/departments.html"),
    html: OnceLock::new(),
};

static CALLBACKS: Page = Page {
    path: "/callbacks/",
    title: "Hotline · Callbacks",
    heading: "Callbacks",
    stylesheet: "/ui/pages.css",
    script: "callbacks.js",
    body_class: None,
    file: include_str!("../static/callbacks.html"),
    html: OnceLock::new(),
};

static ORDERS: Page = Page {
    path: "/orders/",
    title: "Hotline · Work orders",
    heading: "Work orders",
    stylesheet: "/ui/pages.css",
    script: "orders.js",
    body_class: None,
    file: include_str!("../static/orders.html"),
    html: OnceLock::new(),
};

static ADMIN: Page = Page {
    path: "/admin/",
    title: "Hotline · Accounts",
    heading: "Accounts",
    stylesheet: "/ui/pages.css",
    script: "admin.js",
    body_class: None,
    file: include_str!("../static/admin.html"),
    html: OnceLock::new(),
};

static PRIVACY: Page = Page {
    path: "/privacy/",
    title: "Hotline · Data protection",
    heading: "Data protection",
    stylesheet: "/ui/pages.css",
    script: "privacy.js",
    body_class: None,
    file: include_str!("../static/privacy.html"),
    html: OnceLock::new(),
};

/// One page of the web console: what it puts into the frame.
struct Page {
    /// Where it is served, also the `href` of its link in the topbar's nav
    /// (the one that gets `aria-current="page"`).
    path: &'static str,
    /// The window title.
    title: &'static str,
    /// The page title in the topbar in English, until the script puts in
    /// the words of the user's language.
    heading: &'static str,
    /// The style sheet's address, from the page.
    stylesheet: &'static str,
    /// The page script's address, from the page.
    script: &'static str,
    /// The `<body>`'s class, for a page styled apart (the dark wallboard).
    body_class: Option<&'static str>,
    /// The page file: its opening comment, then the lines that go into the
    /// topbar (none on most pages), then its `<main>`.
    file: &'static str,
    /// The whole page, put together on the first request.
    html: OnceLock<String>,
}

impl Page {
    /// The whole page, the frame with this page's part put in.
    fn html(&'static self) -> &'static str {
        self.html.get_or_init(|| self.compose())
    }

    /// The frame with its placeholders (listed at the top of
    /// `static/ui/frame.html`) filled from this page, and the page's own
    /// link in the nav marked current.
    fn compose(&self) -> String {
        let (about, rest) = split_after(self.file, "-->")
            .expect("every page file opens with its comment (a test checks each)");
        let main_at = rest
            .find("<main")
            .expect("every page file has a <main> (a test checks each)");
        // From the start of the `<main ...>` line, so its indent is kept.
        let main_at = rest[..main_at].rfind('\n').map_or(0, |nl| nl + 1);
        let (topbar, main) = rest.split_at(main_at);
        let body_class = self
            .body_class
            .map(|class| format!(r#" class="{class}""#))
            .unwrap_or_default();

        let (_, frame) = split_after(FRAME_HTML, "-->\n")
            .expect("ui/frame.html opens with the comment that describes it");
        let own_link = format!(r#"<a href="{}""#, self.path);
        let frame = frame.replacen(&own_link, &format!(r#"{own_link} aria-current="page""#), 1);
        fill(&frame, |name| match name {
            "about" => about,
            "title" => self.title,
            "stylesheet" => self.stylesheet,
            "script" => self.script,
            "body_class" => &body_class,
            "heading" => self.heading,
            "topbar" => topbar.trim_matches('\n'),
            "main" => main.trim_end(),
            other => panic!("ui/frame.html: no page fills the placeholder {other:?}"),
        })
    }
}

/// `text` up to and with the first `end`, and the rest.
fn split_after<'a>(text: &'a str, end: &str) -> Option<(&'a str, &'a str)> {
    let at = text.find(end)? + end.len();
    Some(text.split_at(at))
}

/// `template` with each `{{name}}` replaced by `value(name)`, in one pass:
/// the values are not searched for placeholders in their turn.
fn fill<'v>(template: &str, value: impl Fn(&str) -> &'v str) -> String {
    let mut out = String::with_capacity(template.len() * 3);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let (before, placeholder) = rest.split_at(start);
        let (name, after) = placeholder[2..]
            .split_once("}}")
            .expect("every {{ in ui/frame.html is closed by }}");
        out.push_str(before);
        out.push_str(value(name));
        rest = after;
    }
    out.push_str(rest);
    out
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub(crate) fn asset(content_type: &'static str, body: &'static str) -> Response {
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
pub(crate) async fn to_console() -> SeeOther {
    SeeOther("/console/")
}

/// `GET /console/`.
pub(crate) async fn index() -> Asset<HtmlPage> {
    Asset(CONSOLE.html(), PhantomData)
}

/// `GET /console/console.js`.
pub(crate) async fn script() -> Asset<Script> {
    Asset(CONSOLE_JS, PhantomData)
}

/// `GET /console/softphone.js`.
pub(crate) async fn softphone_script() -> Asset<Script> {
    Asset(SOFTPHONE_JS, PhantomData)
}

/// `GET /console/console.css`.
pub(crate) async fn style() -> Asset<StyleSheet> {
    Asset(CONSOLE_CSS, PhantomData)
}

/// `GET /wallboard`.
pub(crate) async fn to_wallboard() -> SeeOther {
    SeeOther("/wallboard/")
}

/// `GET /wallboard/`.
pub(crate) async fn wallboard() -> Asset<HtmlPage> {
    Asset(WALLBOARD.html(), PhantomData)
}

/// `GET /wallboard/wallboard.js`.
pub(crate) async fn wallboard_script() -> Asset<Script> {
    Asset(WALLBOARD_JS, PhantomData)
}

/// `GET /reports`.
pub(crate) async fn to_reports() -> SeeOther {
    SeeOther("/reports/")
}

/// `GET /reports/`.
pub(crate) async fn reports() -> Asset<HtmlPage> {
    Asset(REPORTS.html(), PhantomData)
}

/// `GET /reports/reports.js`.
pub(crate) async fn reports_script() -> Asset<Script> {
    Asset(REPORTS_JS, PhantomData)
}

/// `GET /departments`.
pub(crate) async fn to_departments() -> SeeOther {
    SeeOther("/departments/")
}

/// `GET /departments/`.
pub(crate) async fn departments() -> Asset<HtmlPage> {
    Asset(DEPARTMENTS.html(), PhantomData)
}

/// `GET /departments/departments.js`.
pub(crate) async fn departments_script() -> Asset<Script> {
    Asset(DEPARTMENTS_JS, PhantomData)
}

/// `GET /callbacks`.
pub(crate) async fn to_callbacks() -> SeeOther {
    SeeOther("/callbacks/")
}

/// `GET /callbacks/`: the callback list, for supervisors.
pub(crate) async fn callbacks() -> Asset<HtmlPage> {
    Asset(CALLBACKS.html(), PhantomData)
}

/// `GET /callbacks/callbacks.js`.
pub(crate) async fn callbacks_script() -> Asset<Script> {
    Asset(CALLBACKS_JS, PhantomData)
}

/// `GET /orders`.
pub(crate) async fn to_orders() -> SeeOther {
    SeeOther("/orders/")
}

/// `GET /orders/`: work orders, for everyone who works them.
pub(crate) async fn orders() -> Asset<HtmlPage> {
    Asset(ORDERS.html(), PhantomData)
}

/// `GET /orders/orders.js`.
pub(crate) async fn orders_script() -> Asset<Script> {
    Asset(ORDERS_JS, PhantomData)
}

/// `GET /privacy`.
pub(crate) async fn to_privacy() -> SeeOther {
    SeeOther("/privacy/")
}

/// `GET /privacy/`: data-protection requests, for the privacy officer.
pub(crate) async fn privacy() -> Asset<HtmlPage> {
    Asset(PRIVACY.html(), PhantomData)
}

/// `GET /privacy/privacy.js`.
pub(crate) async fn privacy_script() -> Asset<Script> {
    Asset(PRIVACY_JS, PhantomData)
}

/// `GET /admin`.
pub(crate) async fn to_admin() -> SeeOther {
    SeeOther("/admin/")
}

/// `GET /admin/`: accounts and phones, for admins.
pub(crate) async fn admin() -> Asset<HtmlPage> {
    Asset(ADMIN.html(), PhantomData)
}

/// `GET /admin/admin.js`.
pub(crate) async fn admin_script() -> Asset<Script> {
    Asset(ADMIN_JS, PhantomData)
}

/// `GET /ui/common.js`: login, language, API calls, shared by the pages.
pub(crate) async fn common_script() -> Asset<Script> {
    Asset(COMMON_JS, PhantomData)
}

/// `GET /ui/texts.js`: every page's words in English and Chinese.
pub(crate) async fn texts_script() -> Asset<Script> {
    Asset(TEXTS_JS, PhantomData)
}

/// `GET /ui/charts.js`: the SVG charts.
pub(crate) async fn charts_script() -> Asset<Script> {
    Asset(CHARTS_JS, PhantomData)
}

/// `GET /ui/pages.css`: the style of every page but the console.
pub(crate) async fn pages_style() -> Asset<StyleSheet> {
    Asset(PAGES_CSS, PhantomData)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGES: [&Page; 8] = [
        &CONSOLE,
        &WALLBOARD,
        &REPORTS,
        &DEPARTMENTS,
        &CALLBACKS,
        &ORDERS,
        &ADMIN,
        &PRIVACY,
    ];

    #[test]
    fn every_page_has_the_frame_once_with_its_own_link_current() {
        for page in PAGES {
            let html = page.html();
            let path = page.path;
            let count = |text: &str| html.matches(text).count();
            assert!(html.starts_with("<!doctype html>\n<!-- "), "{path}: {html}");
            assert_eq!(count(r#"<header id="topbar">"#), 1, "{path}: topbar");
            assert_eq!(count("<nav>"), 1, "{path}: nav");
            for other in PAGES {
                let link = format!(r#"<a href="{}""#, other.path);
                assert_eq!(count(&link), 1, "{path}: the link to {}", other.path);
            }
            assert_eq!(count(r#" id="login-view""#), 1, "{path}: sign-in");
            assert_eq!(count(r#" id="notice""#), 1, "{path}: notices");
            assert_eq!(count("<main "), 1, "{path}: main");
            assert_eq!(count("aria-current"), 1, "{path}: aria-current");
            let own_link = format!(
                r#"<a href="{path}" aria-current="page" data-testid="link-{}""#,
                path.trim_matches('/')
            );
            assert!(html.contains(&own_link), "{path}: no {own_link}");
            assert!(
                !html.contains("{{") && !html.contains("}}"),
                "{path}: a placeholder is left: {html}"
            );
            assert!(html.ends_with("</main>\n</body>\n</html>\n"), "{path}");
        }
    }

    #[test]
    fn no_id_is_used_twice_on_a_page() {
        for page in PAGES {
            let mut ids: Vec<&str> = page
                .html()
                .split(r#" id=""#)
                .skip(1)
                .filter_map(|rest| rest.split_once('"').map(|(id, _)| id))
                .collect();
            let all = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), all, "{}: an id twice", page.path);
            assert!(all > 15, "{}: only {all} ids", page.path);
        }
    }

    #[test]
    fn a_pages_own_topbar_items_and_body_class_land_in_the_frame() {
        let topbar = |html: &'static str| {
            let start = html.find(r#"<header id="topbar">"#).expect("a topbar");
            let end = html.find("</header>").expect("the topbar ends");
            &html[start..end]
        };
        let console = topbar(CONSOLE.html());
        assert!(console.contains(r#"<span id="state-controls" hidden>"#));
        assert!(console.contains(r#"id="btn-logout""#));
        let wallboard = topbar(WALLBOARD.html());
        assert!(wallboard.contains(r#"id="wb-status""#));
        assert!(wallboard.contains(r#"id="wb-clock""#));
        assert!(WALLBOARD.html().contains("<body class=\"wallboard\">\n"));
        assert!(REPORTS.html().contains("<body>\n"));
        assert!(CONSOLE
            .html()
            .contains(r#"<link rel="stylesheet" href="console.css">"#));
        assert!(CALLBACKS
            .html()
            .contains(r#"<script type="module" src="callbacks.js"></script>"#));
    }

    #[test]
    fn a_value_is_not_searched_for_placeholders() {
        let filled = fill("<p>{{a}} and {{b}}</p>", |name| match name {
            "a" => "{{b}}",
            _ => "B",
        });
        assert_eq!(filled, "<p>{{b}} and B</p>");
    }
}
