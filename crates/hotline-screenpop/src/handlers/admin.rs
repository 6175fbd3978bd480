//! Administration: the audit log of one citizen (admins only; reading it is
//! itself audited by the store).

use axum::extract::State;
use axum::{Extension, Json};
use hotline_store::{Access, AuditContext, AuditEntry};
use hotline_types::CitizenId;
use serde::Deserialize;

use crate::error::ConsoleError;
use crate::extract::QueryArgs;
use crate::session::Authed;
use crate::{wall_clock, App};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    citizen: i64,
}

/// `GET /api/audit?citizen=ID`.
pub(crate) async fn audit(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(q): QueryArgs<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ConsoleError> {
    let ctx = AuditContext {
        actor: me.user.login.clone(),
        access: Access::Administration,
        reason: "audit log review".into(),
        at: wall_clock(),
    };
    Ok(Json(
        app.store.audit_trail(&ctx, CitizenId(q.citizen)).await?,
    ))
}
