//! The route table and the guard: each route is added once, with its
//! method, path and the roles allowed, and the guard layered on it checks
//! the session, the CSRF token and Origin, and the role before the handler
//! runs. The same table is what [`crate::Console::routes`] returns, so tests
//! and the OpenAPI check cover exactly what is served.

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use hotline_store::Role;

use crate::api::ConsoleConfig;
use crate::error::ConsoleError;
use crate::session::{same_secret, session_from_cookie_header, Authed};
use crate::{assets, handlers, open311, openapi, ws, App};

/// Header carrying the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Every signed-in user, whatever their role.
const ANYONE: &[Role] = &[
    Role::Agent,
    Role::Supervisor,
    Role::Admin,
    Role::Dispatcher,
    Role::Handler,
];
/// The hotline's own staff: citizens' records, cases, live figures.
const HOTLINE_STAFF: &[Role] = &[Role::Agent, Role::Supervisor, Role::Admin];
/// Everyone who works on orders reads every order (a department's
/// handlers see the citizen only on their own department's orders).
const ORDER_STAFF: &[Role] = ANYONE;
/// The hotline's side of orders (follow-up lists name citizens).
const ORDER_HOTLINE: &[Role] = &[Role::Agent, Role::Dispatcher, Role::Supervisor, Role::Admin];
/// Supervisors may take calls too.
const CALL_TAKERS: &[Role] = &[Role::Agent, Role::Supervisor];
const SUPERVISORS: &[Role] = &[Role::Supervisor, Role::Admin];
const ADMINS: &[Role] = &[Role::Admin];

/// One route of the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    /// In axum's syntax, e.g. `/api/calls/{call}/hold`.
    pub path: &'static str,
    /// Roles allowed; `None` for a public route (no session needed).
    pub roles: Option<&'static [Role]>,
}

struct Builder {
    app: App,
    router: Router<App>,
    table: Vec<RouteInfo>,
}

impl Builder {
    fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        roles: Option<&'static [Role]>,
        handler: H,
    ) -> Self
    where
        H: Handler<T, App>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .expect("the route table uses GET, POST and DELETE");
        let mut route = on(filter, handler);
        if let Some(roles) = roles {
            route = route.route_layer(middleware::from_fn_with_state(
                Gate {
                    app: self.app.clone(),
                    roles,
                },
                guard,
            ));
        }
        self.router = self.router.route(path, route);
        self.table.push(RouteInfo {
            method,
            path,
            roles,
        });
        self
    }
}

/// Builds the router and the table it was built from.
pub(crate) fn build(app: App) -> (Router, Vec<RouteInfo>) {
    use Method as M;
    let b = Builder {
        app: app.clone(),
        router: Router::new(),
        table: Vec::new(),
    };
    let b = b
        .add(M::GET, "/", None, assets::to_console)
        .add(M::GET, "/console", None, assets::to_console)
        .add(M::GET, "/console/", None, assets::index)
        .add(M::GET, "/console/console.js", None, assets::script)
        .add(M::GET, "/console/console.css", None, assets::style)
        .add(M::GET, "/wallboard", None, assets::to_wallboard)
        .add(M::GET, "/wallboard/", None, assets::wallboard)
        .add(
            M::GET,
            "/wallboard/wallboard.js",
            None,
            assets::wallboard_script,
        )
        .add(M::GET, "/reports", None, assets::to_reports)
        .add(M::GET, "/reports/", None, assets::reports)
        .add(M::GET, "/reports/reports.js", None, assets::reports_script)
        .add(M::GET, "/departments", None, assets::to_departments)
        .add(M::GET, "/departments/", None, assets::departments)
        .add(
            M::GET,
            "/departments/departments.js",
            None,
            assets::departments_script,
        )
        .add(M::GET, "/callbacks", None, assets::to_callbacks)
        .add(M::GET, "/callbacks/", None, assets::callbacks)
        .add(
            M::GET,
            "/callbacks/callbacks.js",
            None,
            assets::callbacks_script,
        )
        .add(M::GET, "/orders", None, assets::to_orders)
        .add(M::GET, "/orders/", None, assets::orders)
        .add(M::GET, "/orders/orders.js", None, assets::orders_script)
        .add(M::GET, "/admin", None, assets::to_admin)
        .add(M::GET, "/admin/", None, assets::admin)
        .add(M::GET, "/admin/admin.js", None, assets::admin_script)
        .add(M::GET, "/ui/common.js", None, assets::common_script)
        .add(M::GET, "/ui/texts.js", None, assets::texts_script)
        .add(M::GET, "/ui/charts.js", None, assets::charts_script)
        .add(M::GET, "/ui/pages.css", None, assets::pages_style)
        .add(M::GET, "/api/openapi.json", None, openapi::document)
        // Open311 GeoReport v2: public routes, each but the services
        // checking its client's api_key (src/open311.rs).
        .add(M::GET, "/open311/v2/services.json", None, open311::services)
        .add(
            M::GET,
            "/open311/v2/services/{service}",
            None,
            open311::service_definition,
        )
        .add(
            M::POST,
            "/open311/v2/requests.json",
            None,
            open311::create_request,
        )
        .add(
            M::GET,
            "/open311/v2/requests.json",
            None,
            open311::list_requests,
        )
        .add(
            M::GET,
            "/open311/v2/requests/{request}",
            None,
            open311::get_request,
        )
        .add(M::POST, "/api/login", None, handlers::auth::login)
        .add(M::POST, "/api/logout", Some(ANYONE), handlers::auth::logout)
        .add(M::GET, "/api/me", Some(ANYONE), handlers::auth::me)
        .add(
            M::POST,
            "/api/me/password",
            Some(ANYONE),
            handlers::auth::change_password,
        )
        .add(
            M::GET,
            "/api/config",
            Some(ANYONE),
            handlers::config::config,
        )
        .add(
            M::GET,
            "/api/queues",
            Some(HOTLINE_STAFF),
            handlers::config::queues,
        )
        .add(
            M::GET,
            "/api/queues/waiting",
            Some(HOTLINE_STAFF),
            handlers::config::queues_waiting,
        )
        .add(
            M::POST,
            "/api/agent/login",
            Some(CALL_TAKERS),
            handlers::agent::login,
        )
        .add(
            M::POST,
            "/api/agent/state",
            Some(CALL_TAKERS),
            handlers::agent::set_state,
        )
        .add(M::GET, "/api/agent/ws", Some(CALL_TAKERS), ws::agent_socket)
        .add(
            M::POST,
            "/api/agent/wrap_up/extend",
            Some(CALL_TAKERS),
            handlers::agent::extend_wrap_up,
        )
        .add(
            M::POST,
            "/api/calls/{call}/hold",
            Some(CALL_TAKERS),
            handlers::agent::hold,
        )
        .add(
            M::POST,
            "/api/calls/{call}/transfer",
            Some(CALL_TAKERS),
            handlers::agent::transfer,
        )
        .add(
            M::POST,
            "/api/calls/{call}/consult",
            Some(CALL_TAKERS),
            handlers::agent::consult,
        )
        .add(
            M::POST,
            "/api/calls/{call}/consult/complete",
            Some(CALL_TAKERS),
            handlers::agent::complete_consult,
        )
        .add(
            M::POST,
            "/api/calls/{call}/consult/return",
            Some(CALL_TAKERS),
            handlers::agent::return_from_consult,
        )
        .add(
            M::POST,
            "/api/calls/{call}/hangup",
            Some(CALL_TAKERS),
            handlers::agent::hangup,
        )
        .add(
            M::POST,
            "/api/calls/{call}/wrap_up",
            Some(CALL_TAKERS),
            handlers::agent::wrap_up,
        )
        .add(
            M::GET,
            "/api/calls/{call}/citizens",
            Some(CALL_TAKERS),
            handlers::citizens::call_citizens,
        )
        .add(
            M::GET,
            "/api/citizens",
            Some(HOTLINE_STAFF),
            handlers::citizens::search,
        )
        .add(
            M::POST,
            "/api/citizens",
            Some(HOTLINE_STAFF),
            handlers::citizens::create,
        )
        .add(
            M::GET,
            "/api/citizens/{id}",
            Some(HOTLINE_STAFF),
            handlers::citizens::get,
        )
        .add(
            M::POST,
            "/api/cases",
            Some(HOTLINE_STAFF),
            handlers::cases::create,
        )
        .add(
            M::GET,
            "/api/cases/{case_ref}",
            Some(HOTLINE_STAFF),
            handlers::cases::get,
        )
        .add(
            M::POST,
            "/api/cases/{case_ref}/notes",
            Some(HOTLINE_STAFF),
            handlers::cases::add_note,
        )
        .add(
            M::POST,
            "/api/cases/{case_ref}/status",
            Some(HOTLINE_STAFF),
            handlers::cases::set_status,
        )
        .add(
            M::GET,
            "/api/supervisor/ws",
            Some(SUPERVISORS),
            ws::supervisor_socket,
        )
        .add(
            M::GET,
            "/api/wallboard",
            Some(HOTLINE_STAFF),
            handlers::wallboard::wallboard,
        )
        .add(
            M::POST,
            "/api/supervisor/agents/{agent}/monitor",
            Some(SUPERVISORS),
            handlers::monitor::monitor,
        )
        .add(
            M::GET,
            "/api/callbacks",
            Some(SUPERVISORS),
            handlers::callbacks::list,
        )
        .add(
            M::POST,
            "/api/callbacks/{id}/cancel",
            Some(SUPERVISORS),
            handlers::callbacks::cancel,
        )
        .add(
            M::POST,
            "/api/callbacks/{id}/priority",
            Some(SUPERVISORS),
            handlers::callbacks::priority,
        )
        .add(
            M::GET,
            "/api/reports/queues",
            Some(SUPERVISORS),
            handlers::reports::queues,
        )
        .add(
            M::GET,
            "/api/reports/waits",
            Some(SUPERVISORS),
            handlers::reports::waits,
        )
        .add(
            M::GET,
            "/api/reports/agents",
            Some(HOTLINE_STAFF),
            handlers::reports::agents,
        )
        .add(
            M::GET,
            "/api/reports/occupancy",
            Some(HOTLINE_STAFF),
            handlers::reports::occupancy,
        )
        .add(
            M::GET,
            "/api/reports/ivr",
            Some(SUPERVISORS),
            handlers::reports::ivr,
        )
        .add(
            M::GET,
            "/api/reports/cases",
            Some(SUPERVISORS),
            handlers::reports::cases,
        )
        .add(
            M::GET,
            "/api/reports/orders",
            Some(SUPERVISORS),
            handlers::reports::orders,
        )
        .add(M::GET, "/api/audit", Some(ADMINS), handlers::admin::audit)
        .add(
            M::GET,
            "/api/admin/users",
            Some(ADMINS),
            handlers::accounts::users,
        )
        .add(
            M::POST,
            "/api/admin/users",
            Some(ADMINS),
            handlers::accounts::add_user,
        )
        .add(
            M::POST,
            "/api/admin/users/{login}/role",
            Some(ADMINS),
            handlers::accounts::set_role,
        )
        .add(
            M::POST,
            "/api/admin/users/{login}/disable",
            Some(ADMINS),
            handlers::accounts::disable_user,
        )
        .add(
            M::POST,
            "/api/admin/users/{login}/enable",
            Some(ADMINS),
            handlers::accounts::enable_user,
        )
        .add(
            M::POST,
            "/api/admin/users/{login}/reset_password",
            Some(ADMINS),
            handlers::accounts::reset_password,
        )
        .add(
            M::GET,
            "/api/admin/phones",
            Some(ADMINS),
            handlers::accounts::phones,
        )
        .add(
            M::POST,
            "/api/admin/phones",
            Some(ADMINS),
            handlers::accounts::add_phone,
        )
        .add(
            M::POST,
            "/api/admin/phones/{login}/reset_secret",
            Some(ADMINS),
            handlers::accounts::reset_phone_secret,
        )
        .add(
            M::DELETE,
            "/api/admin/phones/{login}",
            Some(ADMINS),
            handlers::accounts::remove_phone,
        )
        .add(
            M::GET,
            "/api/orders/catalogue",
            Some(ORDER_STAFF),
            handlers::orders::catalogue,
        )
        .add(
            M::POST,
            "/api/orders",
            Some(CALL_TAKERS),
            handlers::orders::create,
        )
        .add(
            M::GET,
            "/api/orders/inbox",
            Some(ORDER_STAFF),
            handlers::orders::inbox,
        )
        .add(
            M::GET,
            "/api/orders/counts",
            Some(ORDER_STAFF),
            handlers::orders::counts,
        )
        .add(
            M::GET,
            "/api/orders/overdue",
            Some(ORDER_STAFF),
            handlers::orders::overdue,
        )
        .add(
            M::GET,
            "/api/orders/awaiting_dispatch",
            Some(ORDER_STAFF),
            handlers::orders::awaiting_dispatch,
        )
        .add(
            M::GET,
            "/api/orders/follow_ups",
            Some(ORDER_HOTLINE),
            handlers::orders::follow_ups,
        )
        .add(
            M::GET,
            "/api/orders/mine",
            Some(CALL_TAKERS),
            handlers::orders::mine,
        )
        .add(
            M::GET,
            "/api/orders/{reference}",
            Some(ORDER_STAFF),
            handlers::orders::get,
        )
        .add(
            M::POST,
            "/api/orders/{reference}/commands",
            Some(ORDER_STAFF),
            handlers::orders::command,
        )
        .add(
            M::POST,
            "/api/orders/{reference}/attachments",
            Some(ORDER_STAFF),
            handlers::orders::attach
                .layer(DefaultBodyLimit::max(hotline_store::MAX_ATTACHMENT_BYTES)),
        )
        .add(
            M::GET,
            "/api/orders/{reference}/attachments/{id}",
            Some(ORDER_STAFF),
            handlers::orders::attachment,
        )
        .add(
            M::POST,
            "/api/orders/{reference}/merge",
            Some(ORDER_STAFF),
            handlers::orders::merge,
        );
    let router = b
        .router
        .layer(middleware::from_fn(handlers::no_store_for_api))
        .with_state(app);
    (router, b.table)
}

#[derive(Clone)]
struct Gate {
    app: App,
    roles: &'static [Role],
}

async fn guard(State(gate): State<Gate>, mut req: Request, next: Next) -> Response {
    match check(&gate, &req) {
        Ok(authed) => {
            req.extensions_mut().insert(authed);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

fn check(gate: &Gate, req: &Request) -> Result<Authed, ConsoleError> {
    let headers = req.headers();
    let session_id = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session_from_cookie_header)
        .ok_or(ConsoleError::Unauthenticated)?;
    let authed = gate
        .app
        .sessions()
        .touch(session_id, Instant::now())
        .ok_or(ConsoleError::Unauthenticated)?;
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let upgrades = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if (changes_state || upgrades) && !origin_allowed(&gate.app.config(), headers, req.uri()) {
        return Err(ConsoleError::Csrf {
            reason: "the request comes from another site",
        });
    }
    if changes_state {
        let token = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !same_secret(token, &authed.csrf_token) {
            return Err(ConsoleError::Csrf {
                reason: "missing or wrong X-CSRF-Token",
            });
        }
    }
    if !gate.roles.contains(&authed.user.role) {
        return Err(ConsoleError::Forbidden {
            reason: "your role may not do this",
        });
    }
    if authed.user.must_change_password
        && !matches!(
            req.uri().path(),
            "/api/me" | "/api/me/password" | "/api/logout"
        )
    {
        return Err(ConsoleError::PasswordChangeRequired);
    }
    Ok(authed)
}

/// Whether the request's `Origin` (if any) is the console's own or one
/// configured. A request without `Origin` is not from a browser's
/// cross-site context (browsers send it on cross-site POSTs and on every
/// WebSocket).
pub(crate) fn origin_allowed(config: &ConsoleConfig, headers: &HeaderMap, uri: &Uri) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if config
        .allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let own_host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    let Some(host) = own_host else {
        return false;
    };
    match origin.split_once("://") {
        Some(("http" | "https", authority)) => authority.eq_ignore_ascii_case(host),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(host: &str, origin: Option<&str>) -> Request {
        let mut b = Request::post("/api/logout").header(header::HOST, host);
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn own_and_configured_origins_pass_others_do_not() {
        let config = ConsoleConfig {
            allowed_origins: vec!["https://desk.city.example/".into()],
            ..ConsoleConfig::default()
        };
        let ok = |host, origin| {
            let req = request(host, origin);
            origin_allowed(&config, req.headers(), req.uri())
        };
        assert!(ok("hotline.city.example", None));
        assert!(ok(
            "hotline.city.example",
            Some("https://hotline.city.example")
        ));
        assert!(ok("127.0.0.1:8080", Some("http://127.0.0.1:8080")));
        assert!(ok(
            "hotline.city.example",
            Some("https://desk.city.example")
        ));
        assert!(!ok("hotline.city.example", Some("https://evil.example")));
        assert!(!ok("127.0.0.1:8080", Some("http://127.0.0.1:8081")));
        assert!(!ok("hotline.city.example", Some("null")));
        assert!(!ok(
            "hotline.city.example",
            Some("ftp://hotline.city.example")
        ));
    }
}
