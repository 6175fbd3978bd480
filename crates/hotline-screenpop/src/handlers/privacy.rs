//! The privacy officer's API: find a citizen for a data-protection
//! request, read their record with who saw it and the earlier requests,
//! export everything as one archive, correct fields, restrict the record,
//! erase it; and the agents' consent changes on the citizen's word.
//!
//! Every officer's operation names the citizen's request (`request`, the
//! reference the office files it under) and leaves a receipt in the store;
//! an erasure also makes this node forget what it holds in memory about
//! the citizen (grants, the pops of their calls). Who may call what is in
//! the route table (privacy officers and admins; consents: call takers).

use std::time::Instant;

use axum::extract::State;
use axum::http::header;
use axum::response::NoContent;
use axum::{Extension, Json};
use hotline_store::{Access, AuditContext, AuditEntry, CitizenRecord, Receipt, Rectification};
use hotline_types::{CallId, CitizenId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg, QueryArgs};
use crate::handlers::citizens::citizen_context;
use crate::openapi::{Archive, Conflict, Fails, Forbidden, Invalid, NotFound};
use crate::session::Authed;
use crate::{wall_clock, App};

/// The purposes a citizen consents to, or not.
pub const CONSENT_PURPOSES: &[&str] = &["recording", "follow_up", "sms", "email"];

/// The audit context of an officer acting on `request`.
fn officer(me: &Authed, request: &str) -> Result<AuditContext, ConsoleError> {
    hotline_store::check_request_ref(request)?;
    Ok(AuditContext {
        actor: me.user.login.clone(),
        access: Access::Administration,
        reason: format!("data-protection request {request}"),
        at: wall_clock(),
    })
}

fn files(app: &App) -> Result<hotline_store::DataFiles, ConsoleError> {
    app.config()
        .data_files
        .clone()
        .ok_or(ConsoleError::NotConfigured {
            what: "data files (the recordings and spool folders)",
        })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindQuery {
    /// A phone number, a national ID, or part of a name.
    #[serde(default)]
    q: String,
    /// The request's reference (letters, digits, `-_./`).
    #[serde(default)]
    request: String,
}

/// `GET /api/privacy/citizens?q=&request=`: the citizens a request may be
/// about (audited as a search under the request).
pub(crate) async fn find(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(q): QueryArgs<FindQuery>,
) -> Result<Json<Vec<CitizenRecord>>, Fails<(Invalid,)>> {
    let mut ctx = officer(&me, q.request.trim())?;
    let terms = q.q.trim();
    if terms.is_empty() {
        return Err(ConsoleError::Invalid {
            field: "search",
            reason: "enter a phone number, national ID or name".into(),
        }
        .into());
    }
    ctx.access = Access::Search(app.store.search_terms(terms));
    Ok(Json(
        app.store
            .search_citizens(&ctx, terms, super::citizens::SEARCH_LIMIT)
            .await?,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestQuery {
    /// The request's reference (letters, digits, `-_./`).
    #[serde(default)]
    request: String,
}

/// One citizen as the privacy officer sees them.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OfficerView {
    record: CitizenRecord,
    /// Who saw or changed the record, newest first ("who saw my data").
    access_log: Vec<AuditEntry>,
    /// The requests carried out about them, newest first.
    requests: Vec<Receipt>,
}

/// `GET /api/privacy/citizens/{id}?request=`: the record, who saw it and
/// the earlier requests (audited).
pub(crate) async fn view(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CitizenId>,
    QueryArgs(q): QueryArgs<RequestQuery>,
) -> Result<Json<OfficerView>, Fails<(NotFound, Invalid)>> {
    let ctx = officer(&me, q.request.trim())?;
    let record = app
        .store
        .citizen(&ctx, id)
        .await?
        .ok_or(ConsoleError::NotFound {
            what: "citizen",
            key: id.to_string(),
        })?;
    let access_log = app.store.audit_trail(&ctx, id).await?;
    let requests = app.store.privacy_requests(Some(id), 200).await?;
    Ok(Json(OfficerView {
        record,
        access_log,
        requests,
    }))
}

/// `GET /api/privacy/citizens/{id}/export?request=`: everything held about
/// the citizen as one tar archive (`citizen.json` and `recordings/`).
pub(crate) async fn export(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CitizenId>,
    QueryArgs(q): QueryArgs<RequestQuery>,
) -> Result<Archive, Fails<(NotFound, Invalid)>> {
    let request = q.request.trim();
    let ctx = officer(&me, request)?;
    let (bytes, receipt) = app
        .store
        .export_archive(&ctx, id, request, &files(&app)?)
        .await?;
    tracing::info!(
        citizen = %id,
        request = %request,
        officer = %me.user.login,
        receipt = receipt.request_id,
        bytes = bytes.len(),
        "data-protection request: the citizen's data exported"
    );
    let name = format!("attachment; filename=\"citizen-{id}-{request}.tar\"");
    Ok(Archive(
        [
            (header::CONTENT_TYPE, "application/x-tar".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RectifyBody {
    /// The request's reference (letters, digits, `-_./`).
    request: String,
    #[serde(default)]
    full_name: Option<String>,
    /// An empty text removes it.
    #[serde(default)]
    national_id: Option<String>,
    #[serde(default)]
    preferred_language: Option<String>,
    /// The full new list.
    #[serde(default)]
    phones: Option<Vec<String>>,
}

/// `POST /api/privacy/citizens/{id}/rectify`: corrects fields; the old
/// values stay only in the audit log. Answers the receipt.
pub(crate) async fn rectify(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CitizenId>,
    JsonBody(body): JsonBody<RectifyBody>,
) -> Result<Json<Receipt>, Fails<(NotFound, Conflict, Invalid)>> {
    let request = body.request.trim().to_owned();
    let ctx = officer(&me, &request)?;
    let change = Rectification {
        full_name: body.full_name,
        national_id: body.national_id,
        preferred_language: body.preferred_language,
        phones: body.phones,
    };
    Ok(Json(
        app.store
            .rectify_citizen(&ctx, id, &request, &change)
            .await?,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestrictBody {
    /// The request's reference (letters, digits, `-_./`).
    request: String,
    /// `true` restricts (no follow-up calls, no analytics), `false` lifts it.
    restricted: bool,
}

/// `POST /api/privacy/citizens/{id}/restrict`. Answers the receipt.
pub(crate) async fn restrict(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CitizenId>,
    JsonBody(body): JsonBody<RestrictBody>,
) -> Result<Json<Receipt>, Fails<(NotFound, Invalid)>> {
    let request = body.request.trim().to_owned();
    let ctx = officer(&me, &request)?;
    Ok(Json(
        app.store
            .restrict_citizen(&ctx, id, &request, body.restricted)
            .await?,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EraseBody {
    /// The request's reference (letters, digits, `-_./`).
    request: String,
}

/// `POST /api/privacy/citizens/{id}/erase`: the record, their calls'
/// numbers and recordings, their cases' texts, the files; work orders are
/// anonymised, not deleted. Answers the receipt.
pub(crate) async fn erase(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CitizenId>,
    JsonBody(body): JsonBody<EraseBody>,
) -> Result<Json<Receipt>, Fails<(NotFound, Conflict, Invalid)>> {
    let request = body.request.trim().to_owned();
    let ctx = officer(&me, &request)?;
    // Their numbers, to find the pops of their calls this node keeps.
    let numbers = match app.store.citizen(&ctx, id).await? {
        Some(record) => record.citizen.phones,
        None => {
            return Err(ConsoleError::NotFound {
                what: "citizen",
                key: id.to_string(),
            }
            .into())
        }
    };
    let mut receipt = app
        .store
        .erase_citizen_everywhere(&ctx, id, &request, &files(&app)?)
        .await?;
    let forgotten = app.access().forget_citizen(id, &numbers);
    receipt.details["screen_pops_forgotten"] = forgotten.into();
    tracing::info!(
        citizen = %id,
        request = %request,
        officer = %me.user.login,
        receipt = receipt.request_id,
        "data-protection request: the citizen is erased"
    );
    Ok(Json(receipt))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReceiptsQuery {
    /// One citizen's receipts; all (the last 200) without it.
    #[serde(default)]
    citizen: Option<CitizenId>,
}

/// `GET /api/privacy/receipts?citizen=`: the receipts, newest first.
pub(crate) async fn receipts(
    State(app): State<App>,
    QueryArgs(q): QueryArgs<ReceiptsQuery>,
) -> Result<Json<Vec<Receipt>>, Fails<()>> {
    Ok(Json(app.store.privacy_requests(q.citizen, 200).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsentBody {
    /// `recording`, `follow_up`, `sms` or `email`.
    #[schemars(extend("enum" = ["recording", "follow_up", "sms", "email"]))]
    purpose: String,
    granted: bool,
    /// The call the citizen said it on (then the change is audited under
    /// that call).
    #[serde(default)]
    call: Option<CallId>,
}

/// `POST /api/citizens/{id}/consents`: the agent records a consent given
/// or withdrawn on the citizen's word, audited with who and which call.
pub(crate) async fn consent(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CitizenId>,
    JsonBody(body): JsonBody<ConsentBody>,
) -> Result<NoContent, Fails<(Forbidden, NotFound, Invalid)>> {
    if !CONSENT_PURPOSES.contains(&body.purpose.as_str()) {
        return Err(ConsoleError::Invalid {
            field: "purpose",
            reason: format!("use one of {}", CONSENT_PURPOSES.join(", ")),
        }
        .into());
    }
    let mut ctx = citizen_context(&app, &me, id, None).await?;
    if let Some(call) = body.call {
        app.access()
            .offered_to(call, &me.agent(), Instant::now())
            .ok_or(ConsoleError::Forbidden {
                reason: "this call was not offered to you",
            })?;
        ctx = AuditContext::for_call(&me.user.login, call, ctx.at);
        ctx.reason = "the citizen's word on the call".into();
    }
    app.store
        .record_consent(&ctx, id, &body.purpose, body.granted, "agent")
        .await?;
    Ok(NoContent)
}
