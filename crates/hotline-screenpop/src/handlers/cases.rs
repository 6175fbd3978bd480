//! Cases from the console: open one (linked to the call and the citizen),
//! read it, add notes, move its status. An agent works on a case they
//! opened or one of a citizen they may see; supervisors and admins on any.
//! Every read and change is audited by the store.

use std::time::Instant;

use axum::extract::State;
use axum::response::NoContent;
use axum::{Extension, Json};
use hotline_store::{AuditContext, CaseDetail, CaseStatus, CaseSummary, NewCase};
use hotline_types::{CallId, CaseRef, CitizenId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::citizens::{departmental_context, oversight_context};
use super::config::departments;
use crate::access::GrantVia;
use crate::api::AgentRequest;
use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg, QueryArgs};
use crate::openapi::{Conflict, Created, Fails, Forbidden, Invalid, NotFound};
use crate::session::Authed;
use crate::{wall_clock, App};

/// A case with its reference grouped for reading aloud (`261122-00017-4`).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CaseAnswer {
    #[serde(flatten)]
    case: CaseSummary,
    case_ref_display: String,
}

impl From<CaseSummary> for CaseAnswer {
    fn from(case: CaseSummary) -> Self {
        Self {
            case_ref_display: case.case_ref.to_string(),
            case,
        }
    }
}

/// A case with its notes, and the grouped reference.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CaseDetailAnswer {
    #[serde(flatten)]
    detail: CaseDetail,
    case_ref_display: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCaseBody {
    #[serde(default)]
    call: Option<CallId>,
    #[serde(default)]
    citizen: Option<CitizenId>,
    category: String,
    department: String,
    #[serde(default)]
    summary: String,
}

/// `POST /api/cases`.
pub(crate) async fn create(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    JsonBody(body): JsonBody<NewCaseBody>,
) -> Result<Created<CaseAnswer>, Fails<(Invalid, Forbidden, NotFound, Conflict)>> {
    let category = body.category.trim().to_owned();
    if !app.config().case_categories.is_empty() && !app.config().case_categories.contains(&category)
    {
        return Err(ConsoleError::Invalid {
            field: "category",
            reason: format!("{category:?} is not a configured case category"),
        }
        .into());
    }
    let department = body.department.trim().to_owned();
    let known = departments(&app.config().queues);
    if !known.is_empty() && !known.contains(&department) {
        return Err(ConsoleError::Invalid {
            field: "department",
            reason: format!("{department:?} is not a configured department"),
        }
        .into());
    }
    let via = record_grant(&app, &me, body.call, body.citizen)?;
    let ctx = match &via {
        Some(via) => via.audit_context(&me.user.login, wall_clock()),
        None if body.citizen.is_some() => oversight_context(&me, None),
        None => GrantVia::Console.audit_context(&me.user.login, wall_clock()),
    };
    let case = app
        .store
        .create_case(
            &ctx,
            &NewCase {
                citizen: body.citizen,
                call: body.call,
                category,
                department,
                summary: body.summary,
            },
        )
        .await?;
    app.access().grant_case(
        &me.user.login,
        case.case_ref.clone(),
        via.unwrap_or(GrantVia::Console),
        Instant::now(),
    );
    if let Some(call) = body.call {
        app.tell(AgentRequest::CaseLinked {
            agent: me.agent(),
            call,
            case_ref: case.case_ref.clone(),
        });
    }
    Ok(Created(case.into()))
}

/// How `me` may write a record (a case, a work order) about `call` and
/// `citizen`: the call must have been offered to them, and the citizen be
/// one they hold a grant for (supervisors and admins need none: `None`,
/// audited as oversight); `None` with neither.
pub(crate) fn record_grant(
    app: &App,
    me: &Authed,
    call: Option<CallId>,
    citizen: Option<CitizenId>,
) -> Result<Option<GrantVia>, ConsoleError> {
    let now = Instant::now();
    let access = app.access();
    if let Some(call) = call {
        access
            .offered_to(call, &me.agent(), now)
            .ok_or(ConsoleError::Forbidden {
                reason: "this call was not offered to you",
            })?;
    }
    let citizen_grant = match citizen {
        Some(c) => match access.citizen_grant(&me.user.login, c, now) {
            Some(via) => Some(via),
            None if me.oversees() => None,
            None => {
                return Err(ConsoleError::Forbidden {
                    reason: "this citizen is not on a call offered to you",
                })
            }
        },
        None => None,
    };
    Ok(match (call, citizen_grant) {
        (Some(call), _) => Some(GrantVia::Call(call)),
        (None, via) => via,
    })
}

/// The audit context under which `me` may work on this case, or 403/404.
async fn case_context(
    app: &App,
    me: &Authed,
    case_ref: &CaseRef,
    reason: Option<&str>,
) -> Result<AuditContext, ConsoleError> {
    let citizen = app
        .store
        .case_citizen(case_ref)
        .await?
        .ok_or(ConsoleError::NotFound {
            what: "case",
            key: case_ref.to_string(),
        })?;
    let via = {
        let now = Instant::now();
        let access = app.access();
        access
            .case_grant(&me.user.login, case_ref, now)
            .or_else(|| citizen.and_then(|c| access.citizen_grant(&me.user.login, c, now)))
    };
    match via {
        Some(via) => Ok(via.audit_context(&me.user.login, wall_clock())),
        None if me.oversees() => {
            let department = app.store.case_department(case_ref).await?;
            departmental_context(app, me, department.as_slice(), reason)
        }
        None => Err(ConsoleError::Forbidden {
            reason: "this case is not about a citizen on a call offered to you",
        }),
    }
}

/// `GET /api/cases/{case_ref}`.
pub(crate) async fn get(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(case_ref): PathArg<CaseRef>,
    QueryArgs(q): QueryArgs<super::citizens::ViewQuery>,
) -> Result<Json<CaseDetailAnswer>, Fails<(Forbidden, NotFound)>> {
    let ctx = case_context(&app, &me, &case_ref, q.reason.as_deref()).await?;
    let detail = app
        .store
        .case_detail(&ctx, &case_ref)
        .await?
        .ok_or(ConsoleError::NotFound {
            what: "case",
            key: case_ref.to_string(),
        })?;
    Ok(Json(CaseDetailAnswer {
        case_ref_display: case_ref.to_string(),
        detail,
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteBody {
    text: String,
}

/// `POST /api/cases/{case_ref}/notes` `{text}`.
pub(crate) async fn add_note(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(case_ref): PathArg<CaseRef>,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<NoContent, Fails<(Forbidden, NotFound, Invalid, Conflict)>> {
    let ctx = case_context(&app, &me, &case_ref, None).await?;
    app.store.add_case_note(&ctx, &case_ref, &body.text).await?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusBody {
    #[schemars(extend("enum" = ["accepted", "dispatched", "in_progress", "resolved", "closed", "reopened"]))]
    status: String,
}

/// `POST /api/cases/{case_ref}/status` `{status}`.
pub(crate) async fn set_status(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(case_ref): PathArg<CaseRef>,
    JsonBody(body): JsonBody<StatusBody>,
) -> Result<Json<CaseAnswer>, Fails<(Invalid, Forbidden, NotFound, Conflict)>> {
    let next = CaseStatus::parse(body.status.trim()).ok_or_else(|| ConsoleError::Invalid {
        field: "status",
        reason: format!("{:?} is not a case status", body.status),
    })?;
    let ctx = case_context(&app, &me, &case_ref, None).await?;
    let case = app.store.transition_case(&ctx, &case_ref, next).await?;
    Ok(Json(case.into()))
}
