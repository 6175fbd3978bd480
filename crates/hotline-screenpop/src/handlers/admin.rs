//! Administration: the audit log of one citizen, or of one call (admins
//! only; reading it is itself audited by the store).

use axum::extract::State;
use axum::{Extension, Json};
use hotline_store::{Access, AuditContext, AuditEntry};
use hotline_types::{CallId, CitizenId};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::ConsoleError;
use crate::extract::QueryArgs;
use crate::openapi::{Fails, Invalid};
use crate::session::Authed;
use crate::{wall_clock, App};

/// Exactly one of the two.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    citizen: Option<i64>,
    call: Option<CallId>,
}

/// `GET /api/audit?citizen=ID` or `?call=ID`.
pub(crate) async fn audit(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(q): QueryArgs<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, Fails<(Invalid,)>> {
    let ctx = AuditContext {
        actor: me.user.login.clone(),
        access: Access::Administration,
        reason: "audit log review".into(),
        at: wall_clock(),
    };
    let trail = match (q.citizen, q.call) {
        (Some(citizen), None) => app.store.audit_trail(&ctx, CitizenId(citizen)).await?,
        (None, Some(call)) => app.store.call_audit_trail(&ctx, call).await?,
        _ => {
            return Err(ConsoleError::Invalid {
                field: "query",
                reason: "give exactly one of citizen and call".into(),
            }
            .into())
        }
    };
    Ok(Json(trail))
}
