//! The REST handlers, one module per area. Each runs after the guard in
//! `routes` (session, CSRF, role), so it receives the session as
//! `Extension<Authed>` and decides only what its own data needs (which
//! call, which citizen, which case).

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod agent;
pub(crate) mod auth;
pub(crate) mod callbacks;
pub(crate) mod cases;
pub(crate) mod citizens;
pub(crate) mod config;
pub(crate) mod monitor;
pub(crate) mod orders;
pub(crate) mod privacy;
pub(crate) mod reports;
pub(crate) mod wallboard;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use hotline_store::Role;
use hotline_types::AgentId;

use crate::session::Authed;

/// API answers hold personal data: no caching anywhere.
pub(crate) async fn no_store_for_api(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    if api {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

impl Authed {
    /// The user as an ACD agent (agent id = login).
    pub(crate) fn agent(&self) -> AgentId {
        AgentId::from(self.user.login.as_str())
    }

    /// Supervisors and admins may open any record (audited).
    pub(crate) fn oversees(&self) -> bool {
        matches!(self.user.role, Role::Supervisor | Role::Admin)
    }
}
