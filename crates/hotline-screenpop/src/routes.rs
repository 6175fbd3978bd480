//! The route table and the guard: each route is added once, with its
//! method, path and the roles allowed, and the guard layered on it checks
//! the session, the CSRF token and Origin, and the role before the handler
//! runs. The same table is what [`crate::Console::routes`] returns, and
//! each route's OpenAPI operation is generated here from its handler's
//! types (`openapi`), so the document describes exactly what is served.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use aide::operation::OperationHandler;
use aide::{OperationInput, OperationOutput};

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
use crate::openapi::{self, doc, Doc, DocumentJson, RouteShape};
use crate::session::{same_secret, session_from_cookie_header, Authed};
use crate::{assets, handlers, open311, ws, App};

/// Header carrying the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Every signed-in user, whatever their role.
const ANYONE: &[Role] = &[
    Role::Agent,
    Role::Supervisor,
    Role::Admin,
    Role::Dispatcher,
    Role::Handler,
    Role::Privacy,
];
/// The hotline's own staff: citizens' records, cases, live figures.
const HOTLINE_STAFF: &[Role] = &[Role::Agent, Role::Supervisor, Role::Admin];
/// Everyone who works on orders reads every order (a department's
/// handlers see the citizen only on their own department's orders).
const ORDER_STAFF: &[Role] = &[
    Role::Agent,
    Role::Supervisor,
    Role::Admin,
    Role::Dispatcher,
    Role::Handler,
];
/// The hotline's side of orders (follow-up lists name citizens).
const ORDER_HOTLINE: &[Role] = &[Role::Agent, Role::Dispatcher, Role::Supervisor, Role::Admin];
/// Supervisors may take calls too.
const CALL_TAKERS: &[Role] = &[Role::Agent, Role::Supervisor];
const SUPERVISORS: &[Role] = &[Role::Supervisor, Role::Admin];
const ADMINS: &[Role] = &[Role::Admin];
/// Citizens' data-protection requests: the privacy officer, or an admin.
const PRIVACY_OFFICERS: &[Role] = &[Role::Privacy, Role::Admin];

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
    /// Each route's OpenAPI operation, generated from its handler's types.
    operations: Vec<(&'static str, &'static str, serde_json::Value)>,
}

impl Builder {
    /// Adds a route: the handler, the guard when it needs a session, its
    /// line in the table, and its operation in the OpenAPI document
    /// (generated from the handler's input `I` and output `O`; `doc` adds
    /// the words).
    fn add<H, T, I, O>(
        self,
        method: Method,
        path: &'static str,
        roles: Option<&'static [Role]>,
        handler: H,
        doc: Doc,
    ) -> Self
    where
        H: Handler<T, App> + OperationHandler<I, O>,
        I: OperationInput,
        O: OperationOutput,
        T: 'static,
    {
        self.add_route::<H, T, I, O>(method, path, roles, handler, doc, None)
    }

    /// [`Builder::add`] for an upload: the body may be up to
    /// [`hotline_store::MAX_ATTACHMENT_BYTES`] (axum's default is 2 MB).
    fn add_upload<H, T, I, O>(
        self,
        method: Method,
        path: &'static str,
        roles: Option<&'static [Role]>,
        handler: H,
        doc: Doc,
    ) -> Self
    where
        H: Handler<T, App> + OperationHandler<I, O>,
        I: OperationInput,
        O: OperationOutput,
        T: 'static,
    {
        let limit = Some(hotline_store::MAX_ATTACHMENT_BYTES);
        self.add_route::<H, T, I, O>(method, path, roles, handler, doc, limit)
    }

    fn add_route<H, T, I, O>(
        mut self,
        method: Method,
        path: &'static str,
        roles: Option<&'static [Role]>,
        handler: H,
        doc: Doc,
        body_limit: Option<usize>,
    ) -> Self
    where
        H: Handler<T, App> + OperationHandler<I, O>,
        I: OperationInput,
        O: OperationOutput,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .expect("the route table uses GET, POST and DELETE");
        let mut route = on(filter, handler);
        if let Some(limit) = body_limit {
            route = route.layer(DefaultBodyLimit::max(limit));
        }
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
        let shape = RouteShape {
            path,
            guarded: roles.is_some(),
            changes_state: !matches!(method, Method::GET | Method::HEAD),
        };
        let operation = openapi::operation::<I, O>(shape, doc);
        self.operations
            .push((method_name(&method), path, operation));
        self.table.push(RouteInfo {
            method,
            path,
            roles,
        });
        self
    }
}

/// The method as an OpenAPI path item names it.
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "get",
        Method::POST => "post",
        Method::DELETE => "delete",
        Method::PUT => "put",
        Method::PATCH => "patch",
        _ => "options",
    }
}

/// The console's router, its route table and its OpenAPI document.
pub(crate) struct Built {
    pub(crate) router: Router,
    pub(crate) table: Vec<RouteInfo>,
    pub(crate) document: serde_json::Value,
}

/// Builds the router, the table it was built from and the OpenAPI
/// document generated from the same routes.
pub(crate) fn build(app: App) -> Built {
    use Method as M;
    openapi::start();
    let document_json: Arc<OnceLock<String>> = Arc::default();
    let serve_document = {
        let document_json = document_json.clone();
        move || {
            let document_json = document_json.clone();
            async move { DocumentJson(document_json) }
        }
    };
    let b = Builder {
        app: app.clone(),
        router: Router::new(),
        table: Vec::new(),
        operations: Vec::new(),
    };
    let b = b
        .add(
            M::GET,
            "/",
            None,
            assets::to_console,
            doc("console", "Redirects to the console page."),
        )
        .add(
            M::GET,
            "/console",
            None,
            assets::to_console,
            doc("console", "Redirects to the console page."),
        )
        .add(
            M::GET,
            "/console/",
            None,
            assets::index,
            doc("console", "The agent console page (HTML)."),
        )
        .add(
            M::GET,
            "/console/console.js",
            None,
            assets::script,
            doc("console", "The console's script."),
        )
        .add(
            M::GET,
            "/console/softphone.js",
            None,
            assets::softphone_script,
            doc(
                "console",
                "The console's browser phone (WebRTC), a module of its script.",
            ),
        )
        .add(
            M::GET,
            "/console/console.css",
            None,
            assets::style,
            doc("console", "The console's style sheet."),
        )
        .add(
            M::GET,
            "/wallboard",
            None,
            assets::to_wallboard,
            doc("pages", "Redirects to /wallboard/."),
        )
        .add(
            M::GET,
            "/wallboard/",
            None,
            assets::wallboard,
            doc("pages", "The live wallboard (HTML), for a wall screen."),
        )
        .add(
            M::GET,
            "/wallboard/wallboard.js",
            None,
            assets::wallboard_script,
            doc("pages", "The wallboard's script."),
        )
        .add(
            M::GET,
            "/reports",
            None,
            assets::to_reports,
            doc("pages", "Redirects to /reports/."),
        )
        .add(
            M::GET,
            "/reports/",
            None,
            assets::reports,
            doc(
                "pages",
                "The historical reports (HTML): charts, tables, exports.",
            ),
        )
        .add(
            M::GET,
            "/reports/reports.js",
            None,
            assets::reports_script,
            doc("pages", "The reports' script."),
        )
        .add(
            M::GET,
            "/departments",
            None,
            assets::to_departments,
            doc("pages", "Redirects to /departments/."),
        )
        .add(
            M::GET,
            "/departments/",
            None,
            assets::departments,
            doc(
                "pages",
                "The department view (HTML): cases, deadlines, satisfaction.",
            ),
        )
        .add(
            M::GET,
            "/departments/departments.js",
            None,
            assets::departments_script,
            doc("pages", "The department view's script."),
        )
        .add(
            M::GET,
            "/callbacks",
            None,
            assets::to_callbacks,
            doc("pages", "Redirects to /callbacks/."),
        )
        .add(
            M::GET,
            "/callbacks/",
            None,
            assets::callbacks,
            doc(
                "pages",
                "The callback list (HTML), for supervisors: priority and cancel.",
            ),
        )
        .add(
            M::GET,
            "/callbacks/callbacks.js",
            None,
            assets::callbacks_script,
            doc("pages", "The callback list's script."),
        )
        .add(
            M::GET,
            "/privacy",
            None,
            assets::to_privacy,
            doc("pages", "Redirects to /privacy/."),
        )
        .add(
            M::GET,
            "/privacy/",
            None,
            assets::privacy,
            doc(
                "pages",
                "The privacy officer's page (HTML): find a citizen, who saw their data, \
                export, correct, restrict, erase, receipts.",
            ),
        )
        .add(
            M::GET,
            "/privacy/privacy.js",
            None,
            assets::privacy_script,
            doc("pages", "The privacy page's script."),
        )
        .add(
            M::GET,
            "/orders",
            None,
            assets::to_orders,
            doc("pages", "Redirects to /orders/."),
        )
        .add(
            M::GET,
            "/orders/",
            None,
            assets::orders,
            doc(
                "pages",
                "Work orders (HTML): a department's inbox, the hotline's lists, one \
                order with its history and commands.",
            ),
        )
        .add(
            M::GET,
            "/orders/orders.js",
            None,
            assets::orders_script,
            doc("pages", "The work orders page's script."),
        )
        .add(
            M::GET,
            "/admin",
            None,
            assets::to_admin,
            doc("pages", "Redirects to /admin/."),
        )
        .add(
            M::GET,
            "/admin/",
            None,
            assets::admin,
            doc(
                "pages",
                "Accounts (HTML), for admins: users, roles, one-time passwords, SIP \
                phones.",
            ),
        )
        .add(
            M::GET,
            "/admin/admin.js",
            None,
            assets::admin_script,
            doc("pages", "The accounts page's script."),
        )
        .add(
            M::GET,
            "/ui/common.js",
            None,
            assets::common_script,
            doc(
                "pages",
                "Login, language and API helpers shared by the pages.",
            ),
        )
        .add(
            M::GET,
            "/ui/texts.js",
            None,
            assets::texts_script,
            doc("pages", "The pages' words in English and Chinese."),
        )
        .add(
            M::GET,
            "/ui/charts.js",
            None,
            assets::charts_script,
            doc("pages", "The pages' SVG charts."),
        )
        .add(
            M::GET,
            "/ui/pages.css",
            None,
            assets::pages_style,
            doc("pages", "The pages' style sheet."),
        )
        .add(
            M::GET,
            "/api/openapi.json",
            None,
            serve_document,
            doc("meta", "This document."),
        )
        .add(
            M::GET,
            "/open311/v2/services.json",
            None,
            open311::services,
            doc(
                "open311",
                "Open311 GeoReport v2: the services (the catalogue's categories).",
            ),
        )
        .add(
            M::GET,
            "/open311/v2/services/{service}",
            None,
            open311::service_definition,
            doc(
                "open311",
                "Open311: a service's definition (its attributes district and street, \
                from the catalogue).",
            ),
        )
        .add(
            M::POST,
            "/open311/v2/requests.json",
            None,
            open311::create_request,
            doc(
                "open311",
                "Open311: submit a service request (form-encoded or JSON): api_key, \
                service_code, lat and long or address_string, attribute[district], \
                attribute[street], description, phone (links a known citizen). It becomes a work \
                order (channel web) dispatched by the catalogue.",
            ),
        )
        .add(
            M::GET,
            "/open311/v2/requests.json",
            None,
            open311::list_requests,
            doc(
                "open311",
                "Open311: service requests by service_request_id (comma-separated), or \
                by service_code, start_date, end_date (w3c datetimes) and status (open, closed), \
                the latest first, 500 at most. Needs api_key.",
            ),
        )
        .add(
            M::GET,
            "/open311/v2/requests/{request}",
            None,
            open311::get_request,
            doc(
                "open311",
                "Open311: one service request (with the department's reply as \
                status_notes). Needs api_key.",
            ),
        )
        .add(
            M::POST,
            "/api/login",
            None,
            handlers::auth::login,
            doc("session", "Log in: sets the session cookie.")
                .describe("Rate limited per source address and per login."),
        )
        .add(
            M::POST,
            "/api/logout",
            Some(ANYONE),
            handlers::auth::logout,
            doc(
                "session",
                "Log out: ends the session, closes its sockets, and logs the agent out \
                of the ACD if it was their last session.",
            ),
        )
        .add(
            M::GET,
            "/api/me",
            Some(ANYONE),
            handlers::auth::me,
            doc(
                "session",
                "The user, the CSRF token and the agent's ACD status.",
            ),
        )
        .add(
            M::POST,
            "/api/me/password",
            Some(ANYONE),
            handlers::auth::change_password,
            doc(
                "session",
                "Choose your own password: give the current one and the new one (at \
                least 10 characters, not the current one). Your other sessions end; this one \
                goes on.",
            )
            .describe(
                "An account whose password an administrator set (new, reset, the first \
                admin's printed one) has user.must_change_password true: every other route \
                answers 403 with code password_change_required until this succeeds.",
            ),
        )
        .add(
            M::GET,
            "/api/config",
            Some(ANYONE),
            handlers::config::config,
            doc(
                "config",
                "Lists for the page: queues, departments, dispositions, case \
                categories, break reasons.",
            ),
        )
        .add(
            M::GET,
            "/api/queues",
            Some(HOTLINE_STAFF),
            handlers::config::queues,
            doc("config", "The configured queues (transfer targets)."),
        )
        .add(
            M::GET,
            "/api/queues/waiting",
            Some(HOTLINE_STAFF),
            handlers::config::queues_waiting,
            doc(
                "config",
                "Callers waiting in each queue now (queue, department, waiting, \
                longest_wait_ms), from the ACD's latest live picture: what an agent sees between \
                calls.",
            ),
        )
        .add(
            M::POST,
            "/api/agent/login",
            Some(CALL_TAKERS),
            handlers::agent::login,
            doc(
                "agent",
                "Start taking calls: binds the agent to their SIP phone and logs them in \
                to the ACD.",
            ),
        )
        .add(
            M::POST,
            "/api/agent/state",
            Some(CALL_TAKERS),
            handlers::agent::set_state,
            doc(
                "agent",
                "State buttons: available, break (with a reason), logged out.",
            ),
        )
        .add(
            M::GET,
            "/api/agent/ws",
            Some(CALL_TAKERS),
            ws::agent_socket,
            doc(
                "agent",
                "The agent's WebSocket: screen-pops and call updates.",
            )
            .describe(
                "Upgrade to a WebSocket (the session cookie and Origin are checked). The \
                server first sends a `state` event, then pushes every ConsoleEvent for this \
                agent (schema ConsoleEvent): `pop` when a call is offered (before the phone \
                rings), then `answered`, `hold`, `ended`, `wrap_up`, `state` and `notice`. The \
                client sends nothing; the server pings every 30 s.",
            ),
        )
        .add(
            M::POST,
            "/api/agent/wrap_up/extend",
            Some(CALL_TAKERS),
            handlers::agent::extend_wrap_up,
            doc("agent", "Extend the current wrap-up."),
        )
        .add(
            M::POST,
            "/api/calls/{call}/hold",
            Some(CALL_TAKERS),
            handlers::agent::hold,
            doc("calls", "Put the caller on hold or take them off it."),
        )
        .add(
            M::POST,
            "/api/calls/{call}/transfer",
            Some(CALL_TAKERS),
            handlers::agent::transfer,
            doc("calls", "Blind transfer to another queue."),
        )
        .add(
            M::POST,
            "/api/calls/{call}/consult",
            Some(CALL_TAKERS),
            handlers::agent::consult,
            doc(
                "calls",
                "Attended transfer: the caller holds while you consult a colleague, the \
                next free agent of a queue, or a configured destination.",
            ),
        )
        .add(
            M::POST,
            "/api/calls/{call}/consult/complete",
            Some(CALL_TAKERS),
            handlers::agent::complete_consult,
            doc(
                "calls",
                "Put the caller through to whom you consulted (after they answered).",
            ),
        )
        .add(
            M::POST,
            "/api/calls/{call}/consult/return",
            Some(CALL_TAKERS),
            handlers::agent::return_from_consult,
            doc(
                "calls",
                "Take the caller back; the consulted party is hung up.",
            ),
        )
        .add(
            M::POST,
            "/api/calls/{call}/hangup",
            Some(CALL_TAKERS),
            handlers::agent::hangup,
            doc("calls", "Hang up the call."),
        )
        .add(
            M::POST,
            "/api/calls/{call}/wrap_up",
            Some(CALL_TAKERS),
            handlers::agent::wrap_up,
            doc("calls", "Finish wrap-up with a disposition code."),
        )
        .add(
            M::GET,
            "/api/calls/{call}/citizens",
            Some(CALL_TAKERS),
            handlers::citizens::call_citizens,
            doc(
                "calls",
                "The screen-pop of a call offered to this agent, read again (audited).",
            ),
        )
        .add(
            M::GET,
            "/api/citizens",
            Some(HOTLINE_STAFF),
            handlers::citizens::search,
            doc(
                "citizens",
                "Search citizens by phone number, national ID or name (audited; a \
                reason is required).",
            ),
        )
        .add(
            M::POST,
            "/api/citizens",
            Some(HOTLINE_STAFF),
            handlers::citizens::create,
            doc("citizens", "Quick form for an unknown caller."),
        )
        .add(
            M::POST,
            "/api/citizens/{id}/consents",
            Some(HOTLINE_STAFF),
            handlers::privacy::consent,
            doc(
                "citizens",
                "Record a consent given or withdrawn on the citizen's word (recording, \
                follow_up, sms, email), audited with who and which call.",
            ),
        )
        .add(
            M::GET,
            "/api/privacy/citizens",
            Some(PRIVACY_OFFICERS),
            handlers::privacy::find,
            doc(
                "privacy",
                "Find the citizen a data-protection request is about (audited as a search \
                under the request's reference).",
            ),
        )
        .add(
            M::GET,
            "/api/privacy/citizens/{id}",
            Some(PRIVACY_OFFICERS),
            handlers::privacy::view,
            doc(
                "privacy",
                "The citizen's record, who saw or changed it (newest first), and the \
                requests carried out about them.",
            ),
        )
        .add(
            M::GET,
            "/api/privacy/citizens/{id}/export",
            Some(PRIVACY_OFFICERS),
            handlers::privacy::export,
            doc(
                "privacy",
                "Access: everything held about the citizen as one tar archive (citizen.json \
                with the record, cases, work orders, calls, events, callbacks and the access \
                log; recordings/ with their recordings and voice messages). Leaves a receipt.",
            ),
        )
        .add(
            M::POST,
            "/api/privacy/citizens/{id}/rectify",
            Some(PRIVACY_OFFICERS),
            handlers::privacy::rectify,
            doc(
                "privacy",
                "Rectification: correct the name, national ID, language or phone numbers; the \
                old values stay only in the audit log. Answers the receipt.",
            ),
        )
        .add(
            M::POST,
            "/api/privacy/citizens/{id}/restrict",
            Some(PRIVACY_OFFICERS),
            handlers::privacy::restrict,
            doc(
                "privacy",
                "Restriction: the record is kept but not used for follow-up calls or \
                analytics (restricted false lifts it). Answers the receipt.",
            ),
        )
        .add(
            M::POST,
            "/api/privacy/citizens/{id}/erase",
            Some(PRIVACY_OFFICERS),
            handlers::privacy::erase,
            doc(
                "privacy",
                "Erasure: the record, the numbers, recordings and voice messages of their \
                calls (the files too), their cases' texts; work orders are anonymised, not \
                deleted, so the statistics stay true. Answers the receipt.",
            ),
        )
        .add(
            M::GET,
            "/api/privacy/receipts",
            Some(PRIVACY_OFFICERS),
            handlers::privacy::receipts,
            doc(
                "privacy",
                "The receipts of the data-protection requests, newest first.",
            ),
        )
        .add(
            M::GET,
            "/api/citizens/{id}",
            Some(HOTLINE_STAFF),
            handlers::citizens::get,
            doc("citizens", "One citizen's full record (audited).").describe(
                "Agents: only a citizen of a call offered to them, found by their own \
                search, or created by them.",
            ),
        )
        .add(
            M::POST,
            "/api/cases",
            Some(HOTLINE_STAFF),
            handlers::cases::create,
            doc(
                "cases",
                "Open a case; linked to the call (CaseLinked) and the citizen when \
                given.",
            ),
        )
        .add(
            M::GET,
            "/api/cases/{case_ref}",
            Some(HOTLINE_STAFF),
            handlers::cases::get,
            doc("cases", "A case with its notes (audited)."),
        )
        .add(
            M::POST,
            "/api/cases/{case_ref}/notes",
            Some(HOTLINE_STAFF),
            handlers::cases::add_note,
            doc("cases", "Add a note."),
        )
        .add(
            M::POST,
            "/api/cases/{case_ref}/status",
            Some(HOTLINE_STAFF),
            handlers::cases::set_status,
            doc("cases", "Move a case along its lifecycle."),
        )
        .add(
            M::GET,
            "/api/supervisor/ws",
            Some(SUPERVISORS),
            ws::supervisor_socket,
            doc("supervisor", "Supervisors' WebSocket (wallboard feed).").describe(
                "Supervisors and admins. First the wallboard as this user may see it \
                (schema Wallboard, `type: wallboard`), then a new one each time the hotline \
                publishes its live picture (about every second), and whatever else the hotline \
                pushes to supervisors (ConsoleEvent). A supervisor with a department sees that \
                department's queues and agents; without one, and admins, everything. The client \
                sends nothing; the server pings every 30 s.",
            ),
        )
        .add(
            M::GET,
            "/api/wallboard",
            Some(HOTLINE_STAFF),
            handlers::wallboard::wallboard,
            doc("supervisor", "The live wallboard as you may see it.").describe(
                "The same view /api/supervisor/ws pushes. Supervisors: their departments' \
                queues and agents (all without a department); admins: everything; agents: only \
                their own row (queues empty). `live` is false until the hotline has published \
                its live picture.",
            ),
        )
        .add(
            M::POST,
            "/api/supervisor/agents/{agent}/monitor",
            Some(SUPERVISORS),
            handlers::monitor::monitor,
            doc(
                "supervisor",
                "Listen in on the agent's conversation, whisper to the agent (the \
                citizen never hears it), barge in, or stop. The hotline calls your own phone \
                (the SIP user named like your login) and mixes it in; asked again, the mode \
                changes. Audited through the call.",
            ),
        )
        .add(
            M::GET,
            "/api/callbacks",
            Some(SUPERVISORS),
            handlers::callbacks::list,
            doc(
                "supervisor",
                "The callback list: open callbacks in the order they are worked, \
                then the last 7 days' closed ones.",
            )
            .describe(
                "Supervisors see the queues of their department (all without one); admins \
                everything. Status: pending, placing, done, failed, expired, cancelled. Numbers \
                are masked (first three and last four digits, e.g. 138****8000): the list needs \
                no more to be worked, and the full number stays with the call's audited record.",
            ),
        )
        .add(
            M::POST,
            "/api/callbacks/{id}/cancel",
            Some(SUPERVISORS),
            handlers::callbacks::cancel,
            doc(
                "supervisor",
                "Cancel an open callback (taken out of the queue if it waits \
                there).",
            ),
        )
        .add(
            M::POST,
            "/api/callbacks/{id}/priority",
            Some(SUPERVISORS),
            handlers::callbacks::priority,
            doc(
                "supervisor",
                "Change an open callback's priority (higher is placed sooner).",
            ),
        )
        .add(
            M::GET,
            "/api/reports/queues",
            Some(SUPERVISORS),
            handlers::reports::queues,
            doc(
                "reports",
                "Queue figures per queue, department or in total, by bucket.",
            )
            .describe(
                "Supervisors (their departments' queues) and admins. Each row is the \
                store's QueueRow: offered, answered, abandoned (short abandons apart), both \
                service levels, ASA, AHT, abandonment rate... Queues use their own service-level \
                T.",
            ),
        )
        .add(
            M::GET,
            "/api/reports/waits",
            Some(SUPERVISORS),
            handlers::reports::waits,
            doc(
                "reports",
                "Waiting-time distribution of answered and abandoned callers.",
            )
            .describe(
                "Over the whole interval (no buckets). Bands end at 5, 10, 20, 30, 60, 120 \
                and 300 s, then everything longer; abandons include short ones.",
            ),
        )
        .add(
            M::GET,
            "/api/reports/agents",
            Some(HOTLINE_STAFF),
            handlers::reports::agents,
            doc(
                "reports",
                "Agent figures by bucket: offers, answers, ring-no-answers, transfers, \
                handle times, surveys.",
            )
            .describe(
                "Supervisors see the agents of their departments (by the agent's department \
                or a skill named like one of their queues), admins everyone, agents themselves.",
            ),
        )
        .add(
            M::GET,
            "/api/reports/occupancy",
            Some(HOTLINE_STAFF),
            handlers::reports::occupancy,
            doc(
                "reports",
                "Agent occupancy by bucket, from the agent state history.",
            ),
        )
        .add(
            M::GET,
            "/api/reports/ivr",
            Some(SUPERVISORS),
            handlers::reports::ivr,
            doc("reports", "Incoming calls per IVR path, with containment.").describe(
                "Supervisors without a department and admins (the IVR serves the whole \
                centre).",
            ),
        )
        .add(
            M::GET,
            "/api/reports/cases",
            Some(SUPERVISORS),
            handlers::reports::cases,
            doc(
                "reports",
                "The public-service report: cases by category and department.",
            )
            .describe(
                "Cases opened in the interval (on time, late, pending, satisfaction) and \
                open or overdue now. Supervisors see their departments' cases.",
            ),
        )
        .add(
            M::GET,
            "/api/reports/orders",
            Some(SUPERVISORS),
            handlers::reports::orders,
            doc(
                "reports",
                "The official work-order figures: accepted, resolved on the call, \
                dispatched, returns, extensions, closed on time, overdue, reopens, follow-ups, \
                satisfaction, time to close.",
            )
            .describe(
                "from and to are local dates (whole days). Figures are kept in the store's \
                one local offset; tz, if given, must be it. A department's supervisor reads \
                their departments' rows of the department grouping only.",
            ),
        )
        .add(
            M::GET,
            "/api/audit",
            Some(ADMINS),
            handlers::admin::audit,
            doc(
                "admin",
                "The audit log of one citizen, or the entries made through one call \
                (screen-pops, cases, supervisors listening in), newest first (admins; itself \
                audited). Give exactly one of citizen and call.",
            ),
        )
        .add(
            M::GET,
            "/api/admin/users",
            Some(ADMINS),
            handlers::accounts::users,
            doc("admin", "Every console account (never a password hash)."),
        )
        .add(
            M::POST,
            "/api/admin/users",
            Some(ADMINS),
            handlers::accounts::add_user,
            doc("admin", "Create an account with a one-time password."),
        )
        .add(
            M::POST,
            "/api/admin/users/{login}/role",
            Some(ADMINS),
            handlers::accounts::set_role,
            doc(
                "admin",
                "Give an account another role and department; its sessions end within a \
                second.",
            ),
        )
        .add(
            M::POST,
            "/api/admin/users/{login}/disable",
            Some(ADMINS),
            handlers::accounts::disable_user,
            doc(
                "admin",
                "Disable an account (a leaver): it can no longer log in, its sessions \
                and WebSockets close at once, its history stays.",
            ),
        )
        .add(
            M::POST,
            "/api/admin/users/{login}/enable",
            Some(ADMINS),
            handlers::accounts::enable_user,
            doc("admin", "Let a disabled account log in again."),
        )
        .add(
            M::POST,
            "/api/admin/users/{login}/reset_password",
            Some(ADMINS),
            handlers::accounts::reset_password,
            doc(
                "admin",
                "Give an account a new one-time password; its sessions end and it must \
                choose its own at the next login.",
            ),
        )
        .add(
            M::GET,
            "/api/admin/phones",
            Some(ADMINS),
            handlers::accounts::phones,
            doc(
                "admin",
                "The SIP phone accounts (login, realm, algorithms; never a hash).",
            ),
        )
        .add(
            M::POST,
            "/api/admin/phones",
            Some(ADMINS),
            handlers::accounts::add_phone,
            doc(
                "admin",
                "Create a SIP phone account with a generated secret; it can register \
                within a second.",
            ),
        )
        .add(
            M::POST,
            "/api/admin/phones/{login}/reset_secret",
            Some(ADMINS),
            handlers::accounts::reset_phone_secret,
            doc(
                "admin",
                "Give a phone a new secret: the old one stops registering.",
            ),
        )
        .add(
            M::DELETE,
            "/api/admin/phones/{login}",
            Some(ADMINS),
            handlers::accounts::remove_phone,
            doc(
                "admin",
                "Remove a phone account: it is unregistered within a second.",
            ),
        )
        .add(
            M::GET,
            "/api/orders/catalogue",
            Some(ORDER_STAFF),
            handlers::orders::catalogue,
            doc(
                "orders",
                "The dispatch catalogue: categories (department, deadline in working \
                days, follow-up), departments, districts and their streets.",
            ),
        )
        .add(
            M::POST,
            "/api/orders",
            Some(CALL_TAKERS),
            handlers::orders::create,
            doc(
                "orders",
                "Take an order down (受理), then dispatch it to its category's department \
                (default), resolve it on the call, or keep it at the hotline.",
            )
            .describe(
                "Agents and supervisors. The reference is the day's next case reference; \
                the order is linked to the call, as a case would be.",
            ),
        )
        .add(
            M::GET,
            "/api/orders/inbox",
            Some(ORDER_STAFF),
            handlers::orders::inbox,
            doc(
                "orders",
                "A page of a department's inbox, the earliest deadline first.",
            )
            .describe("Every department reads every department's inbox."),
        )
        .add(
            M::GET,
            "/api/orders/counts",
            Some(ORDER_STAFF),
            handlers::orders::counts,
            doc(
                "orders",
                "How many of a department's orders are new, in progress, due soon and \
                overdue.",
            ),
        )
        .add(
            M::GET,
            "/api/orders/overdue",
            Some(ORDER_STAFF),
            handlers::orders::overdue,
            doc(
                "orders",
                "Orders past their deadline and not closed, the most overdue first: one \
                department's or every one's.",
            ),
        )
        .add(
            M::GET,
            "/api/orders/awaiting_dispatch",
            Some(ORDER_STAFF),
            handlers::orders::awaiting_dispatch,
            doc(
                "orders",
                "New and returned orders waiting at the hotline for a dispatcher, the \
                oldest first.",
            ),
        )
        .add(
            M::GET,
            "/api/orders/follow_ups",
            Some(ORDER_HOTLINE),
            handlers::orders::follow_ups,
            doc(
                "orders",
                "The follow-up (回访) lists, one line per reporter: for_agents (the \
                hotline does not call them again) and due (calls due now).",
            ),
        )
        .add(
            M::GET,
            "/api/orders/mine",
            Some(CALL_TAKERS),
            handlers::orders::mine,
            doc(
                "orders",
                "The orders you took down, the latest first, with their class while a \
                department has them.",
            ),
        )
        .add(
            M::GET,
            "/api/orders/{reference}",
            Some(ORDER_STAFF),
            handlers::orders::get,
            doc(
                "orders",
                "One order with its history and the commands you may give it (audited).",
            )
            .describe(
                "The citizen (and merged reporters) are null for handlers of other \
                departments (personal_masked).",
            ),
        )
        .add(
            M::POST,
            "/api/orders/{reference}/commands",
            Some(ORDER_STAFF),
            handlers::orders::command,
            doc(
                "orders",
                "Give the order a command: dispatch, resolve_on_call {reply}, accept, \
                add_note {text}, request_extension {working_days, reason}, decide_extension \
                {approve}, return {reason}, redispatch {department}, urge {note}, reply {text}, \
                close, record_follow_up {reporter, score}.",
            )
            .describe(
                "The orders core decides who may: agents take down, dispatch and resolve on \
                the call; the handling department's handlers accept, note, ask for an extension, \
                return, reply and close; dispatchers re-dispatch; supervisors urge and decide \
                extensions.",
            ),
        )
        .add_upload(
            M::POST,
            "/api/orders/{reference}/attachments",
            Some(ORDER_STAFF),
            handlers::orders::attach,
            doc(
                "orders",
                "Add a file to the order (a photo, a letter): the body is the file, its \
                Content-Type the file's type.",
            )
            .describe("Only the handling department's handlers add files, as for notes."),
        )
        .add(
            M::GET,
            "/api/orders/{reference}/attachments/{id}",
            Some(ORDER_STAFF),
            handlers::orders::attachment,
            doc("orders", "One file of the order, as a download (audited).").describe(
                "For the hotline's staff and the handling department's handlers; other \
                departments get 403 (and see no file names).",
            ),
        )
        .add(
            M::POST,
            "/api/orders/{reference}/merge",
            Some(ORDER_STAFF),
            handlers::orders::merge,
            doc(
                "orders",
                "Merge this order into another that reports the same thing (并单); its \
                reporter is followed up with the master's.",
            ),
        );
    let document = openapi::finish(b.operations);
    let _ = document_json.set(document.to_string());
    let router = b
        .router
        .layer(middleware::from_fn(handlers::no_store_for_api))
        .with_state(app);
    Built {
        router,
        table: b.table,
        document,
    }
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
