//! The OpenAPI 3.1 description of the console's REST and WebSocket API,
//! served at `/api/openapi.json` so a city can integrate its own desktop.
//!
//! Written by hand, next to the route table it describes; the test
//! `openapi_lists_every_route` fails when a route is served but not
//! described here, or described but not served. The pages and the
//! supervisor API (wallboard, reports) are in `pages_and_reports` and
//! `report_schemas`.

use axum::http::{header, HeaderName};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn answer(description: &str, schema: Option<Value>) -> Value {
    match schema {
        Some(schema) => json!({
            "description": description,
            "content": { "application/json": { "schema": schema } }
        }),
        None => json!({ "description": description }),
    }
}

fn error(description: &str) -> Value {
    answer(description, Some(schema_ref("Error")))
}

struct Op {
    summary: &'static str,
    tag: &'static str,
    /// Needs a session (and the CSRF token if it changes state).
    session: bool,
    changes_state: bool,
    params: Vec<Value>,
    body: Option<Value>,
    ok: (&'static str, &'static str, Option<Value>),
    extra: Vec<(&'static str, &'static str)>,
    description: Option<&'static str>,
}

impl Op {
    fn new(tag: &'static str, summary: &'static str) -> Self {
        Self {
            summary,
            tag,
            session: true,
            changes_state: false,
            params: Vec::new(),
            body: None,
            ok: ("200", "OK", None),
            extra: Vec::new(),
            description: None,
        }
    }
    fn public(mut self) -> Self {
        self.session = false;
        self
    }
    fn post(mut self, body: Option<Value>) -> Self {
        self.changes_state = true;
        self.body = body;
        self
    }
    fn param(mut self, p: Value) -> Self {
        self.params.push(p);
        self
    }
    fn ok(
        mut self,
        status: &'static str,
        description: &'static str,
        schema: Option<Value>,
    ) -> Self {
        self.ok = (status, description, schema);
        self
    }
    fn also(mut self, status: &'static str, description: &'static str) -> Self {
        self.extra.push((status, description));
        self
    }
    fn describe(mut self, d: &'static str) -> Self {
        self.description = Some(d);
        self
    }

    fn build(self) -> Value {
        let mut responses = Map::new();
        responses.insert(self.ok.0.into(), answer(self.ok.1, self.ok.2));
        if self.session {
            responses.insert("401".into(), error("No session, or it expired."));
            responses.insert(
                "403".into(),
                error("Wrong role, no grant for this record or call, or (on changes) a missing CSRF token or foreign Origin."),
            );
        }
        for (status, description) in self.extra {
            responses.insert(status.into(), error(description));
        }
        let mut op = json!({
            "summary": self.summary,
            "tags": [self.tag],
            "responses": Value::Object(responses),
        });
        if let Some(d) = self.description {
            op["description"] = json!(d);
        }
        let mut params = self.params;
        if self.session && self.changes_state {
            params.push(json!({ "$ref": "#/components/parameters/CsrfToken" }));
        }
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(body) = self.body {
            op["requestBody"] = json_body(body);
        }
        if self.session {
            op["security"] = json!([{ "session": [] }]);
        } else {
            op["security"] = json!([]);
        }
        op
    }
}

fn path_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema })
}

fn query_param(name: &str, required: bool, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": schema })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties, "additionalProperties": false })
}

fn call_param() -> Value {
    path_param(
        "call",
        "The call id (UUID).",
        json!({ "type": "string", "format": "uuid" }),
    )
}

fn callback_param() -> Value {
    path_param(
        "id",
        "The callback's id (a UUID, from GET /api/callbacks).",
        json!({ "type": "string", "format": "uuid" }),
    )
}

fn case_param() -> Value {
    path_param(
        "case_ref",
        "The case reference, with or without dashes (261122-00017-4).",
        json!({ "type": "string", "pattern": "^[0-9 -]+$" }),
    )
}

fn components() -> Value {
    let s = json!({ "type": "string" });
    let ns = json!({ "type": ["string", "null"] });
    let ni = json!({ "type": ["integer", "null"] });
    let i = json!({ "type": "integer" });
    json!({
        "securitySchemes": {
            "session": {
                "type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE,
                "description": "Set by POST /api/login: HttpOnly, SameSite=Strict, Secure unless configured off; expires when idle."
            }
        },
        "parameters": {
            "CsrfToken": {
                "name": "X-CSRF-Token", "in": "header", "required": true,
                "description": "The session's csrf_token (from login or /api/me); required on every POST.",
                "schema": s
            }
        },
        "schemas": {
            "Error": object(&["error"], json!({
                "error": { "type": "string", "description": "For the user; never internal details." },
                "field": { "type": "string", "description": "The field at fault, for validation errors." },
                "code": { "type": "string", "description": "Refusals of the call centre (409): what was refused, e.g. not_talking, phone_not_registered, call_ended; the refusal's fields (agent, queue, state, wanted, sip_user) come beside it, for the page to word in the user's language." }
            })),
            "User": object(&["id", "login", "display_name", "role", "disabled", "must_change_password", "skills"], json!({
                "id": i, "login": s, "display_name": s,
                "role": { "enum": ["agent", "supervisor", "admin", "dispatcher", "handler"] },
                "department": ns, "disabled": { "type": "boolean" },
                "must_change_password": { "type": "boolean", "description": "The password was set by an administrator: nothing but POST /api/me/password is allowed until the user chooses their own." },
                "skills": { "type": "array", "items": object(&["skill", "level"], json!({ "skill": s, "level": i })) }
            })),
            "LoginAnswer": object(&["user", "csrf_token"], json!({ "user": schema_ref("User"), "csrf_token": s })),
            "Me": object(&["user", "csrf_token", "agent"], json!({
                "user": schema_ref("User"), "csrf_token": s,
                "agent": { "oneOf": [schema_ref("AgentStatus"), { "type": "null" }] }
            })),
            "AgentStatus": object(&["state", "reason", "call", "since_ms"], json!({
                "state": { "enum": ["logged_out", "available", "offered", "on_call", "wrap_up", "break"] },
                "reason": ns,
                "call": { "type": ["string", "null"], "format": "uuid" },
                "since_ms": { "type": "integer", "description": "Unix ms; keep the newest status seen." }
            })),
            "QueueInfo": object(&["name", "department"], json!({ "name": s, "department": s })),
            "PageConfig": object(&["queues", "departments", "dispositions", "case_categories", "break_reasons", "utc_offset_minutes", "queue_targets"], json!({
                "queues": { "type": "array", "items": schema_ref("QueueInfo") },
                "departments": { "type": "array", "items": s },
                "dispositions": { "type": "array", "items": s },
                "case_categories": { "type": "array", "items": s },
                "break_reasons": { "type": "array", "items": s },
                "utc_offset_minutes": { "type": "integer", "description": "The hotline's local time minus UTC (480 for Asia/Shanghai)." },
                "queue_targets": { "type": "array", "items": schema_ref("QueueTarget") }
            })),
            "Consent": object(&["what", "granted", "channel", "at_ms"], json!({ "what": s, "granted": i, "channel": s, "at_ms": i })),
            "Citizen": object(&["id", "full_name", "national_id_masked", "preferred_language", "phones", "tags", "consents", "created_at_ms"], json!({
                "id": i, "full_name": ns,
                "national_id_masked": { "type": ["string", "null"], "description": "Only the last four characters readable." },
                "preferred_language": ns,
                "phones": { "type": "array", "items": s },
                "tags": { "type": "array", "items": s },
                "consents": { "type": "array", "items": schema_ref("Consent") },
                "created_at_ms": i
            })),
            "CallSummary": object(&["call_id", "abandoned"], json!({
                "call_id": s, "caller": ns, "started_at_ms": ni, "ended_at_ms": ni, "queue": ns,
                "agent": ns, "disposition": ns, "case_ref": ns, "abandoned": i
            })),
            "CaseSummary": object(&["case_ref", "category", "department", "status", "summary", "opened_at_ms", "updated_at_ms"], json!({
                "case_ref": { "type": "string", "pattern": "^[0-9]{12}$" },
                "citizen": ni, "category": s, "department": s,
                "status": schema_ref("CaseStatus"), "summary": s,
                "opened_at_ms": i, "deadline_at_ms": ni, "updated_at_ms": i,
                "satisfaction": ni, "merged_into": ns
            })),
            "CaseStatus": { "enum": ["accepted", "dispatched", "in_progress", "resolved", "closed", "reopened"] },
            "CaseAnswer": {
                "allOf": [schema_ref("CaseSummary"), { "type": "object", "required": ["case_ref_display"], "properties": {
                    "case_ref_display": { "type": "string", "description": "Grouped for reading aloud: 261122-00017-4." }
                } }]
            },
            "CaseNote": object(&["author", "at_ms", "body"], json!({ "author": s, "at_ms": i, "body": s })),
            "CaseDetail": object(&["case", "call_id", "notes", "case_ref_display"], json!({
                "case": schema_ref("CaseSummary"), "call_id": ns,
                "notes": { "type": "array", "items": schema_ref("CaseNote") },
                "case_ref_display": s
            })),
            "CitizenRecord": object(&["citizen", "recent_calls", "open_cases"], json!({
                "citizen": schema_ref("Citizen"),
                "recent_calls": { "type": "array", "items": schema_ref("CallSummary"), "description": "Newest first." },
                "open_cases": { "type": "array", "items": schema_ref("CaseSummary"), "description": "Oldest first." }
            })),
            "ScreenPop": object(&["call", "queue", "department", "caller", "waited_ms", "callback", "ivr_path", "ivr_vars", "citizens", "lookup_failed", "offered_at_ms"], json!({
                "call": { "type": "string", "format": "uuid" }, "queue": s, "department": s, "caller": s,
                "waited_ms": i, "callback": { "type": "boolean" },
                "ivr_path": { "type": "array", "items": s },
                "ivr_vars": { "type": "array", "items": { "type": "array", "prefixItems": [s, s], "minItems": 2, "maxItems": 2 },
                              "description": "[name, value] pairs the caller entered." },
                "citizens": { "type": "array", "items": schema_ref("CitizenRecord"), "description": "Empty for an unknown caller." },
                "lookup_failed": { "type": "boolean", "description": "The store did not answer in time: citizens is empty for that reason." },
                "offered_at_ms": i
            })),
            "AuditEntry": object(&["audit_id", "at_ms", "actor", "action", "reason"], json!({
                "audit_id": i, "at_ms": i, "actor": s, "action": s, "citizen_id": ni,
                "case_ref": ns, "via_call": ns, "via_search": ns, "reason": s
            })),
            "ConsoleEvent": {
                "description": "A WebSocket text message: JSON with a `type` tag.",
                "oneOf": [
                    { "allOf": [{ "type": "object", "required": ["type"], "properties": { "type": { "const": "state" } } }, schema_ref("AgentStatus")] },
                    { "allOf": [{ "type": "object", "required": ["type"], "properties": { "type": { "const": "pop" } } }, schema_ref("ScreenPop")] },
                    object(&["type", "call"], json!({ "type": { "const": "answered" }, "call": s })),
                    object(&["type", "call", "on"], json!({ "type": { "const": "hold" }, "call": s, "on": { "type": "boolean" } })),
                    object(&["type", "call", "by"], json!({ "type": { "const": "ended" }, "call": s, "by": s })),
                    object(&["type", "call", "until_ms"], json!({ "type": { "const": "wrap_up" }, "call": s, "until_ms": i })),
                    object(&["type", "message"], json!({ "type": { "const": "notice" }, "message": s }))
                ],
                "discriminator": { "propertyName": "type" }
            }
        }
    })
}

/// The whole document.
pub fn document_value() -> Value {
    let citizen_list = json!({ "type": "array", "items": schema_ref("CitizenRecord") });
    let paths = json!({
        "/": { "get": Op::new("console", "Redirects to the console page.").public()
            .ok("303", "To /console/.", None).build() },
        "/console": { "get": Op::new("console", "Redirects to the console page.").public()
            .ok("303", "To /console/.", None).build() },
        "/console/": { "get": Op::new("console", "The agent console page (HTML).").public()
            .ok("200", "text/html", None).build() },
        "/console/console.js": { "get": Op::new("console", "The console's script.").public()
            .ok("200", "text/javascript", None).build() },
        "/console/console.css": { "get": Op::new("console", "The console's style sheet.").public()
            .ok("200", "text/css", None).build() },
        "/api/openapi.json": { "get": Op::new("meta", "This document.").public().build() },
        "/api/login": { "post": Op::new("session", "Log in: sets the session cookie.").public()
            .post(Some(object(&["login", "password"], json!({ "login": { "type": "string" }, "password": { "type": "string" } }))))
            .ok("200", "Logged in; the cookie is set.", Some(schema_ref("LoginAnswer")))
            .also("401", "Wrong login or password (the same answer for both).")
            .also("403", "Foreign Origin.")
            .also("429", "Too many attempts from this address or for this login; see Retry-After.")
            .describe("Rate limited per source address and per login.").build() },
        "/api/logout": { "post": Op::new("session", "Log out: ends the session, closes its sockets, and logs the agent out of the ACD if it was their last session.")
            .post(None).ok("204", "Logged out; the cookie is cleared.", None).build() },
        "/api/me": { "get": Op::new("session", "The user, the CSRF token and the agent's ACD status.")
            .ok("200", "OK", Some(schema_ref("Me"))).build() },
        "/api/me/password": { "post": Op::new("session", "Choose your own password: give the current one and the new one (at least 10 characters, not the current one). Your other sessions end; this one goes on.")
            .post(Some(json!({ "type": "object", "required": ["current", "new"], "additionalProperties": false, "properties": { "current": { "type": "string", "maxLength": 1024 }, "new": { "type": "string", "minLength": 10, "maxLength": 1024 } } })))
            .ok("204", "Changed.", None)
            .also("401", "The current password is wrong (counted against the login rate limit).")
            .also("422", "The new password is too short, too long or the current one (field: password), or the current one is wrong (field: current password).")
            .also("429", "Too many attempts; Retry-After says when to try again.")
            .describe("An account whose password an administrator set (new, reset, the first admin's printed one) has user.must_change_password true: every other route answers 403 with code password_change_required until this succeeds.").build() },
        "/api/config": { "get": Op::new("config", "Lists for the page: queues, departments, dispositions, case categories, break reasons.")
            .ok("200", "OK", Some(schema_ref("PageConfig"))).build() },
        "/api/queues": { "get": Op::new("config", "The configured queues (transfer targets).")
            .ok("200", "OK", Some(json!({ "type": "array", "items": schema_ref("QueueInfo") }))).build() },
        "/api/queues/waiting": { "get": Op::new("config", "Callers waiting in each queue now (queue, department, waiting, longest_wait_ms), from the ACD's latest live picture: what an agent sees between calls.")
            .ok("200", "OK", Some(json!({ "type": "array", "items": { "type": "object" } }))).build() },
        "/api/agent/login": { "post": Op::new("agent", "Start taking calls: binds the agent to their SIP phone and logs them in to the ACD.")
            .post(None).ok("200", "The new status.", Some(schema_ref("AgentStatus")))
            .also("409", "The call side refused (e.g. the phone is not registered); the message says why.")
            .also("503", "The call side did not answer.").build() },
        "/api/agent/state": { "post": Op::new("agent", "State buttons: available, break (with a reason), logged out.")
            .post(Some(object(&["state"], json!({ "state": { "enum": ["available", "break", "logged_out"] }, "reason": { "type": "string" } }))))
            .ok("200", "The new status.", Some(schema_ref("AgentStatus")))
            .also("409", "The call side refused.").also("422", "Unknown state or missing break reason.")
            .also("503", "The call side did not answer.").build() },
        "/api/agent/ws": { "get": Op::new("agent", "The agent's WebSocket: screen-pops and call updates.")
            .ok("101", "Switching protocols; then ConsoleEvent messages.", None)
            .describe("Upgrade to a WebSocket (the session cookie and Origin are checked). The server first sends a `state` event, then pushes every ConsoleEvent for this agent (schema ConsoleEvent): `pop` when a call is offered (before the phone rings), then `answered`, `hold`, `ended`, `wrap_up`, `state` and `notice`. The client sends nothing; the server pings every 30 s.").build() },
        "/api/agent/wrap_up/extend": { "post": Op::new("agent", "Extend the current wrap-up.")
            .post(Some(object(&["seconds"], json!({ "seconds": { "type": "integer", "minimum": 1, "maximum": 3600 } }))))
            .ok("200", "The new status.", Some(schema_ref("AgentStatus")))
            .also("409", "The call side refused.").also("422", "Out of range.").build() },
        "/api/calls/{call}/hold": { "post": Op::new("calls", "Put the caller on hold or take them off it.").param(call_param())
            .post(Some(object(&["on"], json!({ "on": { "type": "boolean" } }))))
            .ok("204", "Done.", None).also("409", "The call side refused.").build() },
        "/api/calls/{call}/transfer": { "post": Op::new("calls", "Blind transfer to another queue.").param(call_param())
            .post(Some(object(&["queue"], json!({ "queue": { "type": "string" } }))))
            .ok("204", "Done.", None).also("409", "The call side refused.").also("422", "Not a configured queue.").build() },
        "/api/calls/{call}/consult": { "post": Op::new("calls", "Attended transfer: the caller holds while you consult a colleague, the next free agent of a queue, or a configured destination.").param(call_param())
            .post(Some(object(&[], json!({ "agent": { "type": "string" }, "queue": { "type": "string" }, "destination": { "type": "string" } }))))
            .ok("200", "Who is being called.", Some(object(&["consulting"], json!({ "consulting": { "type": "string" } }))))
            .also("409", "The call side refused (not talking, already consulting, the colleague is not available, nobody free in the queue).").also("422", "Not exactly one of agent, queue, destination; or not configured.").build() },
        "/api/calls/{call}/consult/complete": { "post": Op::new("calls", "Put the caller through to whom you consulted (after they answered).").param(call_param())
            .post(None).ok("204", "Done.", None).also("409", "The call side refused.").build() },
        "/api/calls/{call}/consult/return": { "post": Op::new("calls", "Take the caller back; the consulted party is hung up.").param(call_param())
            .post(None).ok("204", "Done.", None).also("409", "The call side refused.").build() },
        "/api/calls/{call}/hangup": { "post": Op::new("calls", "Hang up the call.").param(call_param())
            .post(None).ok("204", "Done.", None).also("409", "The call side refused.").build() },
        "/api/calls/{call}/wrap_up": { "post": Op::new("calls", "Finish wrap-up with a disposition code.").param(call_param())
            .post(Some(object(&["disposition"], json!({ "disposition": { "type": "string" } }))))
            .ok("200", "The new status.", Some(schema_ref("AgentStatus")))
            .also("409", "The call side refused.").also("422", "Not a configured disposition.").build() },
        "/api/calls/{call}/citizens": { "get": Op::new("calls", "The screen-pop of a call offered to this agent, read again (audited).").param(call_param())
            .ok("200", "OK", Some(schema_ref("ScreenPop"))).build() },
        "/api/citizens": {
            "get": Op::new("citizens", "Search citizens by phone number, national ID or name (audited; a reason is required).")
                .param(query_param("q", true, "Phone number, national ID, or part of a name (at least 2 characters).", json!({ "type": "string" })))
                .param(query_param("reason", true, "Why you search; kept in the audit log.", json!({ "type": "string" })))
                .ok("200", "Up to 20 records; each is granted to you for 30 minutes.", Some(citizen_list.clone()))
                .also("422", "Missing reason or bad search terms.").build(),
            "post": Op::new("citizens", "Quick form for an unknown caller.")
                .post(Some(object(&["full_name"], json!({
                    "full_name": { "type": "string" }, "phone": { "type": "string" },
                    "preferred_language": { "type": "string" }, "national_id": { "type": "string" },
                    "call": { "type": "string", "format": "uuid", "description": "The caller's call; the record joins its pop." }
                }))))
                .ok("201", "Created.", Some(schema_ref("CitizenRecord")))
                .also("409", "Already in use (e.g. the national ID).").also("422", "Invalid field.").build()
        },
        "/api/citizens/{id}": { "get": Op::new("citizens", "One citizen's full record (audited).")
            .param(path_param("id", "The citizen id.", json!({ "type": "integer" })))
            .param(query_param("reason", false, "For supervisors and admins without a call or search grant.", json!({ "type": "string" })))
            .describe("Agents: only a citizen of a call offered to them, found by their own search, or created by them.")
            .ok("200", "OK", Some(schema_ref("CitizenRecord"))).also("404", "No such citizen.").build() },
        "/api/cases": { "post": Op::new("cases", "Open a case; linked to the call (CaseLinked) and the citizen when given.")
            .post(Some(object(&["category", "department"], json!({
                "call": { "type": "string", "format": "uuid" }, "citizen": { "type": "integer" },
                "category": { "type": "string" }, "department": { "type": "string" }, "summary": { "type": "string" }
            }))))
            .ok("201", "Created; read case_ref_display to the citizen.", Some(schema_ref("CaseAnswer")))
            .also("422", "Invalid field (category, department, summary).").build() },
        "/api/cases/{case_ref}": { "get": Op::new("cases", "A case with its notes (audited).").param(case_param())
            .ok("200", "OK", Some(schema_ref("CaseDetail"))).also("404", "No such case.").build() },
        "/api/cases/{case_ref}/notes": { "post": Op::new("cases", "Add a note.").param(case_param())
            .post(Some(object(&["text"], json!({ "text": { "type": "string" } }))))
            .ok("204", "Added.", None).also("404", "No such case.").also("422", "Empty or too long.").build() },
        "/api/cases/{case_ref}/status": { "post": Op::new("cases", "Move a case along its lifecycle.").param(case_param())
            .post(Some(object(&["status"], json!({ "status": schema_ref("CaseStatus") }))))
            .ok("200", "The case.", Some(schema_ref("CaseAnswer")))
            .also("404", "No such case.").also("409", "The lifecycle does not allow this move.").also("422", "Unknown status.").build() },
        "/api/supervisor/ws": { "get": Op::new("supervisor", "Supervisors' WebSocket (wallboard feed).")
            .ok("101", "Switching protocols; then Wallboard and ConsoleEvent messages.", None)
            .describe("Supervisors and admins. First the wallboard as this user may see it (schema Wallboard, `type: wallboard`), then a new one each time the hotline publishes its live picture (about every second), and whatever else the hotline pushes to supervisors (ConsoleEvent). A supervisor with a department sees that department's queues and agents; without one, and admins, everything. The client sends nothing; the server pings every 30 s.").build() },
        "/api/audit": { "get": Op::new("admin", "The audit log of one citizen, or the entries made through one call (screen-pops, cases, supervisors listening in), newest first (admins; itself audited). Give exactly one of citizen and call.")
            .param(query_param("citizen", false, "The citizen id.", json!({ "type": "integer" })))
            .param(query_param("call", false, "The call id.", json!({ "type": "string", "format": "uuid" })))
            .ok("200", "OK", Some(json!({ "type": "array", "items": schema_ref("AuditEntry") }))).build() }
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Hotline agent console API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "REST + WebSocket API of the Hotline agent console. Log in with POST /api/login (session cookie), send the returned csrf_token as X-CSRF-Token on every POST, and open /api/agent/ws for screen-pops. Agents see a citizen record only through a call offered to them or their own audited search; every view is in the audit log."
        },
        "paths": with_entries(with_entries(with_entries(paths, pages_and_reports()), work_orders()), accounts()),
        "components": with_schemas(components(), report_schemas()),
        "tags": [
            { "name": "session" }, { "name": "agent" }, { "name": "calls" }, { "name": "citizens" },
            { "name": "cases" }, { "name": "config" }, { "name": "supervisor" },
            { "name": "reports", "description": "Historical statistics (definitions in docs/statistics.md), JSON or CSV." },
            { "name": "admin" }, { "name": "console" }, { "name": "pages" }, { "name": "meta" }
        ]
    })
}

/// The admins' routes for accounts and phones.
fn accounts() -> Value {
    let login = || {
        path_param(
            "login",
            "The account's or phone's login.",
            json!({ "type": "string" }),
        )
    };
    let user = || Some(schema_ref("User"));
    let with_password = || {
        Some(
            json!({ "type": "object", "description": "user (User) and one_time_password: shown only in this answer; the user must change it at their first login." }),
        )
    };
    let with_secret = || {
        Some(
            json!({ "type": "object", "description": "phone (login, realm, algorithms; never a hash) and secret: shown only in this answer, to be entered in the phone; only its digest hashes (HA1, MD5 and SHA-256) are stored." }),
        )
    };
    let role_body = json!({ "type": "object", "required": ["role"], "additionalProperties": false, "properties": {
        "role": { "type": "string", "enum": ["agent", "supervisor", "admin", "dispatcher", "handler"] },
        "department": { "type": ["string", "null"], "description": "A handler's departments (the catalogue's codes, comma-separated); an agent's or supervisor's department." } } });
    json!({
        "/api/admin/users": {
            "get": Op::new("admin", "Every console account (never a password hash).")
                .ok("200", "OK", Some(json!({ "type": "array", "items": schema_ref("User") }))).build(),
            "post": Op::new("admin", "Create an account with a one-time password.")
                .post(Some(json!({ "type": "object", "required": ["login", "role"], "additionalProperties": false, "properties": {
                    "login": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$" },
                    "role": { "type": "string", "enum": ["agent", "supervisor", "admin", "dispatcher", "handler"] },
                    "display_name": { "type": ["string", "null"], "maxLength": 200 },
                    "department": { "type": ["string", "null"] },
                    "skills": { "type": "array", "items": { "type": "object", "required": ["skill", "level"], "properties": { "skill": { "type": "string" }, "level": { "type": "integer", "minimum": 1, "maximum": 10 } } } } } })))
                .ok("201", "Created.", with_password())
                .also("409", "The login is taken.").also("422", "A bad value (login, role, department, skills).").build()
        },
        "/api/admin/users/{login}/role": { "post": Op::new("admin", "Give an account another role and department; its sessions end within a second.")
            .param(login()).post(Some(role_body))
            .ok("200", "The account.", user()).also("404", "No such account.").also("422", "A bad value.").build() },
        "/api/admin/users/{login}/disable": { "post": Op::new("admin", "Disable an account (a leaver): it can no longer log in, its sessions and WebSockets close at once, its history stays.")
            .param(login()).post(None)
            .ok("200", "The account.", user()).also("404", "No such account.").build() },
        "/api/admin/users/{login}/enable": { "post": Op::new("admin", "Let a disabled account log in again.")
            .param(login()).post(None)
            .ok("200", "The account.", user()).also("404", "No such account.").build() },
        "/api/admin/users/{login}/reset_password": { "post": Op::new("admin", "Give an account a new one-time password; its sessions end and it must choose its own at the next login.")
            .param(login()).post(None)
            .ok("200", "The account and its one-time password.", with_password()).also("404", "No such account.").build() },
        "/api/admin/phones": {
            "get": Op::new("admin", "The SIP phone accounts (login, realm, algorithms; never a hash).")
                .ok("200", "OK", Some(json!({ "type": "array", "items": { "type": "object" } }))).build(),
            "post": Op::new("admin", "Create a SIP phone account with a generated secret; it can register within a second.")
                .post(Some(json!({ "type": "object", "required": ["login"], "additionalProperties": false, "properties": {
                    "login": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$", "description": "The agent's login: the ACD rings the phone of this name." },
                    "algorithms": { "type": "array", "items": { "type": "string", "enum": ["MD5", "SHA-256"] }, "description": "This phone's challenge order (default: sip.digest_algorithms)." } } })))
                .ok("201", "Created.", with_secret())
                .also("409", "That phone exists.").also("422", "A bad login or algorithm.").build()
        },
        "/api/admin/phones/{login}/reset_secret": { "post": Op::new("admin", "Give a phone a new secret: the old one stops registering.")
            .param(login()).post(None)
            .ok("200", "The phone and its secret.", with_secret()).also("404", "No such phone.").build() },
        "/api/admin/phones/{login}": { "delete": Op::new("admin", "Remove a phone account: it is unregistered within a second.")
            .param(login()).post(None)
            .ok("204", "Removed.", None).also("404", "No such phone.").build() }
    })
}

fn with_entries(mut base: Value, more: Value) -> Value {
    if let (Some(base), Value::Object(more)) = (base.as_object_mut(), more) {
        base.extend(more);
    }
    base
}

fn with_schemas(mut components: Value, more: Value) -> Value {
    if let Some(schemas) = components.get_mut("schemas") {
        *schemas = with_entries(schemas.take(), more);
    }
    components
}

fn report_params(op: Op, groups: Option<&'static str>) -> Op {
    let op = op
        .param(query_param("from", false, "First local day (2026-11-22) or Unix ms (rounded down to a quarter hour). Default: today.", json!({ "type": "string" })))
        .param(query_param("to", false, "Last local day, included (2026-11-22), or Unix ms, excluded (rounded up to a quarter hour). Default: now. At most 400 days.", json!({ "type": "string" })))
        .param(query_param("tz", false, "Local time minus UTC in minutes, a multiple of 15 (480 for Asia/Shanghai). Default: the hotline's.", json!({ "type": "integer" })))
        .param(query_param("format", false, "json (default) or csv (UTF-8 with a byte-order mark; a download).", json!({ "enum": ["json", "csv"] })))
        .also("422", "A parameter is invalid (the field says which).");
    match groups {
        Some(groups) => op.param(query_param(
            "group",
            false,
            groups,
            json!({ "type": "string" }),
        )),
        None => op,
    }
}

fn bucket_param() -> Value {
    query_param(
        "bucket",
        false,
        "15min, hour, day (default), week or whole; hours and days start on local time, weeks on Monday. At most 3,000 buckets.",
        json!({ "enum": ["15min", "hour", "day", "week", "whole"] }),
    )
}

fn report_answer(row: &str) -> Value {
    json!({
        "type": "object",
        "required": ["from_ms", "to_ms", "tz", "bucket", "group", "rows"],
        "properties": {
            "from_ms": { "type": "integer" }, "to_ms": { "type": "integer" },
            "tz": { "type": "integer" }, "bucket": { "type": "string" }, "group": { "type": "string" },
            "rows": { "type": "array", "items": schema_ref(row) }
        },
        "description": "JSON; with format=csv the same rows as text/csv, one line per row."
    })
}

/// The wallboard, the reports and the pages.
/// The work-order API (`handlers/orders.rs`).
fn work_orders() -> Value {
    let reference = || {
        path_param(
            "reference",
            "The order's reference: 12 digits, grouped or not (261204-00017-3).",
            json!({ "type": "string" }),
        )
    };
    let order = || {
        Some(
            json!({ "type": "object", "description": "OrderAnswer: order (the folded WorkOrder: reference, channel, category, citizen, location, summary, created_at/by, phase, department, deadline, handler, pending_extension, notes, attachments (id, at, by, name, content_type, bytes, sha256), reply, closure, follow_up_due, awaiting_follow_up, follow_ups, linked, merged_into, counters), reference_display, events, history (GET only: every OrderEvent, oldest first), personal_masked, may (the commands you may give now)." }),
        )
    };
    let lines = || {
        Some(
            json!({ "type": "array", "items": { "type": "object", "description": "OrderLine: reference, category, department, phase, class (new, in_progress, due_soon, overdue; null when no department has it), channel, district, street, deadline, handler, extension_pending, reminded (the department was reminded of the deadline in force), opened_at, updated_at, returns, urges, reopens. No personal data." } }),
        )
    };
    let department = || {
        query_param(
            "department",
            false,
            "A department code of the catalogue; defaults to a handler's own.",
            json!({ "type": "string" }),
        )
    };
    let limit = || {
        query_param(
            "limit",
            false,
            "At most this many lines (1-500).",
            json!({ "type": "integer", "minimum": 1, "maximum": 500 }),
        )
    };
    let refused = "The orders core refused (code: wrong_phase, role_not_allowed, not_your_department, unknown_category, unknown_street, ...), the order was contested too often, or the case is not a work order.";
    json!({
        "/open311/v2/services.json": { "get": Op::new("open311", "Open311 GeoReport v2: the services (the catalogue's categories).").public()
            .ok("200", "Services: service_code, service_name, description, metadata (true), type, keywords, group.", Some(json!({ "type": "array", "items": { "type": "object" } }))).build() },
        "/open311/v2/services/{service}": { "get": Op::new("open311", "Open311: a service's definition (its attributes district and street, from the catalogue).").public()
            .param(path_param("service", "The service_code, with .json.", json!({ "type": "string" })))
            .ok("200", "The definition.", Some(json!({ "type": "object" }))).also("404", "No such service.").build() },
        "/open311/v2/requests.json": {
            "post": Op::new("open311", "Open311: submit a service request (form-encoded or JSON): api_key, service_code, lat and long or address_string, attribute[district], attribute[street], description, phone (links a known citizen). It becomes a work order (channel web) dispatched by the catalogue.").public()
                .ok("201", "[{service_request_id, service_notice, account_id}]", Some(json!({ "type": "array", "items": { "type": "object" } })))
                .also("400", "A missing or bad field, or the orders core refused (unknown district or street).").also("403", "No or unknown api_key.").build(),
            "get": Op::new("open311", "Open311: service requests by service_request_id (comma-separated), or by service_code, start_date, end_date (w3c datetimes) and status (open, closed), the latest first, 500 at most. Needs api_key.").public()
                .ok("200", "Requests: service_request_id, status, status_notes, service_name, service_code, description, agency_responsible, service_notice, requested/updated/expected_datetime, address, lat, long.", Some(json!({ "type": "array", "items": { "type": "object" } })))
                .also("400", "A bad date or status.").also("403", "No or unknown api_key.").build(),
        },
        "/open311/v2/requests/{request}": { "get": Op::new("open311", "Open311: one service request (with the department's reply as status_notes). Needs api_key.").public()
            .param(path_param("request", "The service_request_id, with .json.", json!({ "type": "string" })))
            .ok("200", "[request]", Some(json!({ "type": "array", "items": { "type": "object" } })))
            .also("403", "No or unknown api_key.").also("404", "No such request.").build() },
        "/api/orders/catalogue": { "get": Op::new("orders", "The dispatch catalogue: categories (department, deadline in working days, follow-up), departments, districts and their streets.")
            .ok("200", "OK", Some(json!({ "type": "object" }))).also("404", "Work orders are not configured.").build() },
        "/api/orders": { "post": Op::new("orders", "Take an order down (受理), then dispatch it to its category's department (default), resolve it on the call, or keep it at the hotline.")
            .post(Some(object(&["category", "address", "district", "street", "summary"], json!({
                "call": { "type": "string", "format": "uuid", "description": "A call offered to you; the order is linked to it." },
                "citizen": { "type": "integer", "description": "A citizen you hold a grant for." },
                "channel": { "type": "string", "enum": ["call", "voice_message", "web", "email", "other"] },
                "category": { "type": "string" }, "address": { "type": "string" },
                "district": { "type": "string" }, "street": { "type": "string" },
                "latitude": { "type": "number" }, "longitude": { "type": "number" },
                "summary": { "type": "string" },
                "then": { "type": "string", "enum": ["dispatch", "resolve", "keep"] },
                "reply": { "type": "string", "description": "What the citizen was told (then = resolve)." }
            }))))
            .ok("201", "Taken down (and sent on, if that was allowed).", order())
            .also("409", refused).also("422", "A bad value (field named).")
            .describe("Agents and supervisors. The reference is the day's next case reference; the order is linked to the call, as a case would be.").build() },
        "/api/orders/inbox": { "get": Op::new("orders", "A page of a department's inbox, the earliest deadline first.")
            .param(department())
            .param(query_param("class", false, "Only this class.", json!({ "type": "string", "enum": ["new", "in_progress", "due_soon", "overdue"] })))
            .param(query_param("after", false, "The `next` cursor of the previous page.", json!({ "type": "string" })))
            .param(limit())
            .ok("200", "OK", Some(object(&["orders", "next"], json!({ "orders": lines().unwrap_or_default(), "next": { "type": ["string", "null"] } }))))
            .describe("Every department reads every department's inbox.").build() },
        "/api/orders/counts": { "get": Op::new("orders", "How many of a department's orders are new, in progress, due soon and overdue.")
            .param(department())
            .ok("200", "OK", Some(object(&["new", "in_progress", "due_soon", "overdue"], json!({ "new": { "type": "integer" }, "in_progress": { "type": "integer" }, "due_soon": { "type": "integer" }, "overdue": { "type": "integer" } })))).build() },
        "/api/orders/overdue": { "get": Op::new("orders", "Orders past their deadline and not closed, the most overdue first: one department's or every one's.")
            .param(department()).param(limit()).ok("200", "OK", lines()).build() },
        "/api/orders/awaiting_dispatch": { "get": Op::new("orders", "New and returned orders waiting at the hotline for a dispatcher, the oldest first.")
            .param(limit()).ok("200", "OK", lines()).build() },
        "/api/orders/follow_ups": { "get": Op::new("orders", "The follow-up (回访) lists, one line per reporter: for_agents (the hotline does not call them again) and due (calls due now).")
            .param(limit()).ok("200", "{for_agents, due}: lines of order, reporter, citizen, category, department, due_at, next_call_at, attempts, last_outcome.", Some(json!({ "type": "object" }))).build() },
        "/api/orders/mine": { "get": Op::new("orders", "The orders you took down, the latest first, with their class while a department has them.")
            .param(limit()).ok("200", "OK", lines()).build() },
        "/api/orders/{reference}": { "get": Op::new("orders", "One order with its history and the commands you may give it (audited).")
            .param(reference()).ok("200", "OK", order())
            .also("404", "No such order.").also("409", "The case is not a work order (a case from before work orders).")
            .describe("The citizen (and merged reporters) are null for handlers of other departments (personal_masked).").build() },
        "/api/orders/{reference}/commands": { "post": Op::new("orders", "Give the order a command: dispatch, resolve_on_call {reply}, accept, add_note {text}, request_extension {working_days, reason}, decide_extension {approve}, return {reason}, redispatch {department}, urge {note}, reply {text}, close, record_follow_up {reporter, score}.")
            .param(reference())
            .post(Some(json!({ "type": "object", "required": ["command"], "properties": { "command": { "type": "string" } } })))
            .ok("200", "The order as it now is.", order())
            .also("404", "No such order.").also("409", refused).also("422", "A bad value.")
            .describe("The orders core decides who may: agents take down, dispatch and resolve on the call; the handling department's handlers accept, note, ask for an extension, return, reply and close; dispatchers re-dispatch; supervisors urge and decide extensions.").build() },
        "/api/orders/{reference}/attachments": { "post": attach_op(reference(), order()) },
        "/api/orders/{reference}/attachments/{id}": { "get": Op::new("orders", "One file of the order, as a download (audited).")
            .param(reference())
            .param(path_param("id", "The attachment's number on the order (1, 2, ...).", json!({ "type": "integer", "minimum": 1 })))
            .ok("200", "The file, with its Content-Type, as an attachment (nosniff).", None)
            .also("404", "No such order or attachment, or its file was erased.")
            .describe("For the hotline's staff and the handling department's handlers; other departments get 403 (and see no file names).").build() },
        "/api/orders/{reference}/merge": { "post": Op::new("orders", "Merge this order into another that reports the same thing (并单); its reporter is followed up with the master's.")
            .param(reference())
            .post(Some(object(&["into"], json!({ "into": { "type": "string" } }))))
            .ok("200", "The master order as it now is.", order())
            .also("404", "No such order.").also("409", refused).build() },
    })
}

/// The upload: the body is the file itself, not JSON.
fn attach_op(reference: Value, order: Option<Value>) -> Value {
    let mut op = Op::new("orders", "Add a file to the order (a photo, a letter): the body is the file, its Content-Type the file's type.")
        .param(reference)
        .param(query_param("name", true, "The file's name, without folders (at most 120 characters).", json!({ "type": "string" })))
        .post(None)
        .ok("201", "The order as it now is, the file in its attachments.", order)
        .also("404", "No such order.").also("409", "Refused: not the handling department's handler, the order merged, or 20 files already.")
        .also("422", "Empty, over 10 MiB, or not image/jpeg, image/png, image/webp, application/pdf, text/plain, audio/wav or audio/mpeg.")
        .describe("Only the handling department's handlers add files, as for notes.")
        .build();
    op["requestBody"] = json!({ "required": true, "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } } });
    op
}

fn pages_and_reports() -> Value {
    let page = |summary: &'static str| {
        Op::new("pages", summary)
            .public()
            .ok("200", "text/html, text/javascript or text/css", None)
            .build()
    };
    let redirect = |to: &'static str| Op::new("pages", to).public().ok("303", to, None).build();
    json!({
        "/wallboard": { "get": redirect("Redirects to /wallboard/.") },
        "/wallboard/": { "get": page("The live wallboard (HTML), for a wall screen.") },
        "/wallboard/wallboard.js": { "get": page("The wallboard's script.") },
        "/reports": { "get": redirect("Redirects to /reports/.") },
        "/reports/": { "get": page("The historical reports (HTML): charts, tables, exports.") },
        "/reports/reports.js": { "get": page("The reports' script.") },
        "/departments": { "get": redirect("Redirects to /departments/.") },
        "/departments/": { "get": page("The department view (HTML): cases, deadlines, satisfaction.") },
        "/departments/departments.js": { "get": page("The department view's script.") },
        "/callbacks": { "get": redirect("Redirects to /callbacks/.") },
        "/callbacks/": { "get": page("The callback list (HTML), for supervisors: priority and cancel.") },
        "/callbacks/callbacks.js": { "get": page("The callback list's script.") },
        "/orders": { "get": redirect("Redirects to /orders/.") },
        "/orders/": { "get": page("Work orders (HTML): a department's inbox, the hotline's lists, one order with its history and commands.") },
        "/orders/orders.js": { "get": page("The work orders page's script.") },
        "/admin": { "get": redirect("Redirects to /admin/.") },
        "/admin/": { "get": page("Accounts (HTML), for admins: users, roles, one-time passwords, SIP phones.") },
        "/admin/admin.js": { "get": page("The accounts page's script.") },
        "/ui/common.js": { "get": page("Login, language and API helpers shared by the pages.") },
        "/ui/texts.js": { "get": page("The pages' words in English and Chinese.") },
        "/ui/charts.js": { "get": page("The pages' SVG charts.") },
        "/ui/pages.css": { "get": page("The pages' style sheet.") },
        "/api/callbacks": { "get": Op::new("supervisor", "The callback list: open callbacks in the order they are worked, then the last 7 days' closed ones.")
            .ok("200", "Callbacks (id, call, number, queue, kind, language, priority, requested_at, not_before, expires_at, attempts, status, outcome, last_call, updated_at, updated_by).", Some(json!({ "type": "array", "items": { "type": "object" } })))
            .describe("Supervisors see the queues of their department (all without one); admins everything. Status: pending, placing, done, failed, expired, cancelled. Numbers are masked (first three and last four digits, e.g. 138****8000): the list needs no more to be worked, and the full number stays with the call's audited record.").build() },
        "/api/supervisor/agents/{agent}/monitor": { "post": Op::new("supervisor", "Listen in on the agent's conversation, whisper to the agent (the citizen never hears it), barge in, or stop. The hotline calls your own phone (the SIP user named like your login) and mixes it in; asked again, the mode changes. Audited through the call.")
            .param(path_param("agent", "The agent's login, as on the wallboard.", json!({ "type": "string" })))
            .post(Some(object(&["mode"], json!({ "mode": { "type": "string", "enum": ["listen", "whisper", "barge", "stop"] } }))))
            .ok("200", "Your phone is being called (or the mode changed, or you left).", Some(object(&["call", "mode"], json!({ "call": { "type": "string", "format": "uuid" }, "mode": { "type": "string" } }))))
            .also("404", "No such agent on your wallboard.").also("409", "The agent is not talking with a citizen, your phone is not registered, another supervisor is on the call, or you are not on it (stop).").build() },
        "/api/callbacks/{id}/cancel": { "post": Op::new("supervisor", "Cancel an open callback (taken out of the queue if it waits there).").param(callback_param())
            .ok("204", "Cancelled.", None)
            .also("404", "No such callback, or not in your departments.").also("409", "It is not open any more (code callback_closed).").build() },
        "/api/callbacks/{id}/priority": { "post": Op::new("supervisor", "Change an open callback's priority (higher is placed sooner).").param(callback_param())
            .post(Some(object(&["priority"], json!({ "priority": { "type": "integer", "minimum": 0, "maximum": 255 } }))))
            .ok("204", "Changed.", None)
            .also("404", "No such callback, or not in your departments.").also("409", "It is not open any more (code callback_closed).").also("422", "A bad priority.").build() },
        "/api/wallboard": { "get": Op::new("supervisor", "The live wallboard as you may see it.")
            .ok("200", "OK", Some(schema_ref("Wallboard")))
            .describe("The same view /api/supervisor/ws pushes. Supervisors: their departments' queues and agents (all without a department); admins: everything; agents: only their own row (queues empty). `live` is false until the hotline has published its live picture.").build() },
        "/api/reports/queues": { "get": report_params(Op::new("reports", "Queue figures per queue, department or in total, by bucket."), Some("queue (default), department or total."))
            .param(bucket_param())
            .param(query_param("queue", false, "Only this queue.", json!({ "type": "string" })))
            .ok("200", "OK", Some(report_answer("QueueRow")))
            .describe("Supervisors (their departments' queues) and admins. Each row is the store's QueueRow: offered, answered, abandoned (short abandons apart), both service levels, ASA, AHT, abandonment rate... Queues use their own service-level T.").build() },
        "/api/reports/waits": { "get": report_params(Op::new("reports", "Waiting-time distribution of answered and abandoned callers."), Some("queue (default), department or total."))
            .param(query_param("queue", false, "Only this queue.", json!({ "type": "string" })))
            .ok("200", "OK", Some(report_answer("WaitRow")))
            .describe("Over the whole interval (no buckets). Bands end at 5, 10, 20, 30, 60, 120 and 300 s, then everything longer; abandons include short ones.").build() },
        "/api/reports/agents": { "get": report_params(Op::new("reports", "Agent figures by bucket: offers, answers, ring-no-answers, transfers, handle times, surveys."), None)
            .param(bucket_param())
            .param(query_param("agent", false, "Only this agent. Agents may name only themselves (and get only their own rows without it).", json!({ "type": "string" })))
            .ok("200", "OK", Some(report_answer("AgentRow")))
            .describe("Supervisors see the agents of their departments (by the agent's department or a skill named like one of their queues), admins everyone, agents themselves.").build() },
        "/api/reports/occupancy": { "get": report_params(Op::new("reports", "Agent occupancy by bucket, from the agent state history."), None)
            .param(bucket_param())
            .param(query_param("agent", false, "Only this agent (agents: only themselves).", json!({ "type": "string" })))
            .ok("200", "OK", Some(report_answer("OccupancyRow"))).build() },
        "/api/reports/ivr": { "get": report_params(Op::new("reports", "Incoming calls per IVR path, with containment."), Some("path (default), after (with node) or total."))
            .param(bucket_param())
            .param(query_param("node", false, "With group=after: count the node chosen after this one.", json!({ "type": "string" })))
            .ok("200", "OK", Some(report_answer("IvrRow")))
            .describe("Supervisors without a department and admins (the IVR serves the whole centre).").build() },
        "/api/reports/cases": { "get": report_params(Op::new("reports", "The public-service report: cases by category and department."), Some("category_department (default), department or category."))
            .ok("200", "OK", Some(report_answer("CaseRow")))
            .describe("Cases opened in the interval (on time, late, pending, satisfaction) and open or overdue now. Supervisors see their departments' cases.").build() },
        "/api/reports/orders": { "get": report_params(Op::new("reports", "The official work-order figures: accepted, resolved on the call, dispatched, returns, extensions, closed on time, overdue, reopens, follow-ups, satisfaction, time to close."), Some("department (default), category, district or street."))
            .param(query_param("bucket", false, "day (default), week, month or whole.", json!({ "enum": ["day", "week", "month", "whole"] })))
            .ok("200", "OK", Some(json!({ "type": "object", "description": "{from_ms, to_ms, tz, bucket, group, rows: [{key, bucket_start_ms, figures: OrderFigures}]}; every figure is defined in docs/statistics.md (Work orders)." })))
            .describe("from and to are local dates (whole days). Figures are kept in the store's one local offset; tz, if given, must be it. A department's supervisor reads their departments' rows of the department grouping only.").build() }
    })
}

/// Schemas of the wallboard and the reports' rows.
fn report_schemas() -> Value {
    let s = json!({ "type": "string" });
    let i = json!({ "type": "integer" });
    let ni = json!({ "type": ["integer", "null"] });
    let nn = json!({ "type": ["number", "null"] });
    let level = json!({ "enum": ["ok", "warn", "alert"] });
    json!({
        "Wallboard": object(&["type", "at_ms", "live", "utc_offset_minutes", "day_start_ms", "today_read_at_ms", "scope", "queues", "agents"], json!({
            "type": { "const": "wallboard" }, "at_ms": i, "live": { "type": "boolean" },
            "utc_offset_minutes": i, "day_start_ms": { "type": "integer", "description": "Local midnight: today's figures start here." },
            "today_read_at_ms": { "type": ["integer", "null"], "description": "When today's figures were read from the store (every 5 s at most)." },
            "scope": { "description": "\"all\", your departments, or \"self\"." },
            "queues": { "type": "array", "items": schema_ref("WallQueue") },
            "agents": { "type": "array", "items": schema_ref("WallAgent") }
        })),
        "WallQueue": object(&["queue", "department", "waiting", "longest_wait_ms", "agents_logged_in", "available", "offered", "on_call", "wrap_up", "on_break", "today", "target", "levels"], json!({
            "queue": s, "department": s,
            "waiting": { "type": "integer", "description": "Callers waiting now." },
            "longest_wait_ms": i, "agents_logged_in": i, "available": i,
            "offered": { "type": "integer", "description": "Agents whose phone rings now." },
            "on_call": i, "wrap_up": i, "on_break": i,
            "today": object(&["offered", "answered", "answered_within_threshold", "abandoned", "short_abandoned", "overflowed", "callback_requests", "service_level", "service_level_strict", "asa_ms", "abandonment_rate", "max_queued_ms"], json!({
                "offered": i, "answered": i, "answered_within_threshold": i, "abandoned": i, "short_abandoned": i,
                "overflowed": i, "callback_requests": i, "service_level": nn, "service_level_strict": nn,
                "asa_ms": nn, "abandonment_rate": nn, "max_queued_ms": ni
            })),
            "target": schema_ref("QueueTarget"),
            "levels": object(&["waiting", "longest_wait", "service_level"], json!({ "waiting": level, "longest_wait": level, "service_level": level }))
        })),
        "QueueTarget": object(&["queue", "service_level_secs", "service_level_target", "max_waiting", "max_wait_secs"], json!({
            "queue": s, "service_level_secs": i, "service_level_target": { "type": "number" }, "max_waiting": i, "max_wait_secs": i
        })),
        "WallAgent": object(&["agent", "state", "reason", "in_state_ms", "calls_answered", "queues", "answered_today", "aht_today_ms"], json!({
            "agent": s, "state": { "enum": ["logged_out", "available", "offered", "on_call", "wrap_up", "break"] },
            "reason": { "type": ["string", "null"] }, "in_state_ms": i, "calls_answered": i,
            "queues": { "type": "array", "items": s }, "answered_today": i, "aht_today_ms": nn
        })),
        "Survey": object(&["count", "mean", "distribution"], json!({
            "count": i, "mean": nn, "distribution": { "type": "array", "items": i, "minItems": 5, "maxItems": 5, "description": "How many gave 1, 2, 3, 4 and 5." }
        })),
        "QueueRow": object(&["key", "bucket_start_ms", "figures"], json!({
            "key": s, "bucket_start_ms": i,
            "figures": { "type": "object", "description": "The store's QueueFigures: offered, answered, answered_within_threshold, abandoned, abandoned_within_threshold, short_abandoned, overflowed, callback_requests, callbacks_answered, transferred_out, ended_in_queue, still_waiting, ring_no_answers, total_answer_wait_ms, max_queued_ms, handled, talk_ms, hold_ms, wrap_ms, service_level, service_level_strict, asa_ms, aht_ms, abandonment_rate, survey (Survey)." }
        })),
        "WaitRow": object(&["key", "answered", "abandoned", "bands"], json!({
            "key": s, "answered": i, "abandoned": i,
            "bands": { "type": "array", "items": object(&["up_to_secs", "answered", "abandoned"], json!({ "up_to_secs": ni, "answered": i, "abandoned": i })) }
        })),
        "AgentRow": object(&["agent", "bucket_start_ms", "figures"], json!({
            "agent": s, "bucket_start_ms": i,
            "figures": { "type": "object", "description": "The store's AgentFigures: offers, answered, callbacks_answered, ring_no_answers, transferred_out, handled, talk_ms, hold_ms, wrap_ms, aht_ms, survey (Survey)." }
        })),
        "OccupancyRow": object(&["agent", "bucket_start_ms", "on_call_ms", "wrap_up_ms", "available_ms", "offered_ms", "break_ms", "occupancy"], json!({
            "agent": s, "bucket_start_ms": i, "on_call_ms": i, "wrap_up_ms": i, "available_ms": i, "offered_ms": i, "break_ms": i,
            "occupancy": { "type": ["number", "null"], "description": "(on_call + wrap_up) / (on_call + wrap_up + available + offered)." }
        })),
        "IvrRow": object(&["key", "bucket_start_ms", "figures"], json!({
            "key": s, "bucket_start_ms": i,
            "figures": { "type": "object", "description": "The store's IvrFigures: calls, answered, queued, agent_answered, abandoned, in_progress, contained, self_service, voicemail, callback_request, caller_hung_up, other_ended, containment_rate." }
        })),
        "CaseRow": object(&["category", "department", "opened", "with_deadline", "on_time", "late", "pending", "on_time_rate", "open_now", "overdue_now", "satisfaction"], json!({
            "category": s, "department": s, "opened": i, "with_deadline": i, "on_time": i, "late": i, "pending": i,
            "on_time_rate": { "type": ["number", "null"], "description": "on_time / (on_time + late)." },
            "open_now": i, "overdue_now": i, "satisfaction": schema_ref("Survey")
        }))
    })
}

/// `GET /api/openapi.json`.
pub(crate) async fn document() -> Response {
    let body = document_value().to_string();
    let headers: [(HeaderName, &'static str); 1] = [(header::CONTENT_TYPE, "application/json")];
    (headers, body).into_response()
}
