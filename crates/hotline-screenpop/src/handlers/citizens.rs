//! Citizen records in the console: the pop of a call again, one record,
//! the audited search, and the quick form for an unknown caller.
//!
//! Who may read what is decided here from the grants in `access`; the
//! store writes the audit entry of every read under the grant's call or
//! search.

use std::time::Instant;

use axum::extract::State;
use axum::{Extension, Json};
use hotline_store::{Access, AuditContext, CitizenRecord, NewCitizen};
use hotline_types::{CallId, CitizenId};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::access::GrantVia;
use crate::api::ScreenPop;
use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg, QueryArgs};
use crate::openapi::{Conflict, Created, Fails, Forbidden, Invalid, NotFound, TooMany};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App};

/// Most people one console search returns.
pub const SEARCH_LIMIT: u32 = 20;

/// `GET /api/calls/{call}/citizens`: the pop of a call offered to this
/// agent, with the records read again (audited for that call).
pub(crate) async fn call_citizens(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(call): PathArg<CallId>,
) -> Result<Json<ScreenPop>, Fails<(Forbidden,)>> {
    let offered = app
        .access()
        .offered_to(call, &me.agent(), Instant::now())
        .ok_or(ConsoleError::Forbidden {
            reason: "this call was not offered to you",
        })?;
    // Read as this agent, whoever the call was offered to last.
    let mut offer = offered.offer.clone();
    offer.agent = me.agent();
    let (citizens, lookup_failed) = app
        .lookup(&offer, &offered.added_citizens, wall_clock())
        .await;
    app.grant_call_citizens(&offer, &citizens, Instant::now());
    Ok(Json(app.screen_pop(
        &offer,
        citizens,
        lookup_failed,
        offered.offered_at_ms,
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ViewQuery {
    /// Why a supervisor or admin opens a record they hold no grant for
    /// (required for a record of other departments than theirs).
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// The audit context under which `me` may read this citizen, or 403.
pub(crate) async fn citizen_context(
    app: &App,
    me: &Authed,
    citizen: CitizenId,
    reason: Option<&str>,
) -> Result<AuditContext, ConsoleError> {
    let at = wall_clock();
    let grant = app
        .access()
        .citizen_grant(&me.user.login, citizen, Instant::now());
    match grant {
        Some(via) => Ok(via.audit_context(&me.user.login, at)),
        None if me.oversees() => {
            let departments = app.store.citizen_departments(citizen).await?;
            departmental_context(app, me, &departments, reason)
        }
        None => Err(ConsoleError::Forbidden {
            reason: "this citizen is not on a call offered to you; search for them with a reason",
        }),
    }
}

/// Least access for supervisors: a record or case whose business is with
/// one of their departments (`departments`: a case's department, the
/// queues a citizen's calls waited in) is theirs to read; any other needs
/// a reason, audited as a cross-department read. Admins and supervisors
/// of the whole centre read everything (audited as oversight).
pub(crate) fn departmental_context(
    app: &App,
    me: &Authed,
    departments: &[String],
    reason: Option<&str>,
) -> Result<AuditContext, ConsoleError> {
    let scope = Scope::of(&me.user);
    let config = app.config();
    let queues = || {
        config
            .queues
            .iter()
            .map(|q| (q.name.as_str(), q.department.as_str()))
    };
    let own = scope.is_all()
        || departments
            .iter()
            .any(|d| scope.sees_department(d, queues()));
    let given = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().take(200).collect::<String>());
    let reason = match (own, given) {
        (true, given) => given.unwrap_or_else(|| "supervisor or admin review".into()),
        (false, Some(given)) => format!("cross-department read: {given}"),
        (false, None) => return Err(ConsoleError::Forbidden {
            reason:
                "this record's business is with other departments: give a reason (it is audited)",
        }),
    };
    Ok(AuditContext {
        actor: me.user.login.clone(),
        access: Access::Administration,
        reason,
        at: wall_clock(),
    })
}

/// A supervisor's or admin's read without a call or search.
pub(crate) fn oversight_context(me: &Authed, reason: Option<&str>) -> AuditContext {
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("supervisor or admin review");
    AuditContext {
        actor: me.user.login.clone(),
        access: Access::Administration,
        reason: reason.chars().take(200).collect(),
        at: wall_clock(),
    }
}

/// `GET /api/citizens/{id}`.
pub(crate) async fn get(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CitizenId>,
    QueryArgs(q): QueryArgs<ViewQuery>,
) -> Result<Json<CitizenRecord>, Fails<(Forbidden, NotFound)>> {
    let ctx = citizen_context(&app, &me, id, q.reason.as_deref()).await?;
    let record = app
        .store
        .citizen(&ctx, id)
        .await?
        .ok_or(ConsoleError::NotFound {
            what: "citizen",
            key: id.to_string(),
        })?;
    Ok(Json(record))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchQuery {
    /// A phone number, a national ID, or part of a name (at least the
    /// configured number of characters, 4 by default).
    #[serde(default)]
    q: String,
    /// Why you search: one of the configured reasons (`/api/config`,
    /// `search_reasons`); kept in the audit log.
    #[serde(default)]
    reason: String,
}

/// `GET /api/citizens?q=...&reason=...`: by phone number, national ID or
/// name; audited as a search, its terms kept only masked and keyed-hashed;
/// a reason from the configured list, a shortest query and a limit per
/// user (least access); the results are granted to the user for
/// [`crate::SEARCH_GRANT`].
pub(crate) async fn search(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(q): QueryArgs<SearchQuery>,
) -> Result<Json<Vec<CitizenRecord>>, Fails<(Invalid, TooMany)>> {
    let policy = app.config().search.clone();
    let reason = q.reason.trim().to_owned();
    if !policy.reasons.contains(&reason) {
        return Err(ConsoleError::Invalid {
            field: "reason",
            reason: format!("choose one of: {}", policy.reasons.join("; ")),
        }
        .into());
    }
    let terms = q.q.trim().to_owned();
    if terms.chars().count() < policy.min_chars {
        return Err(ConsoleError::Invalid {
            field: "search",
            reason: format!(
                "enter a phone number, national ID or name of at least {} characters",
                policy.min_chars
            ),
        }
        .into());
    }
    if let Err(wait) = app
        .search_limiter()
        .attempt(&[format!("search:{}", me.user.login)], Instant::now())
    {
        return Err(ConsoleError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        }
        .into());
    }
    let audited = app.store.search_terms(&terms);
    let ctx = AuditContext {
        actor: me.user.login.clone(),
        access: Access::Search(audited.clone()),
        reason: reason.clone(),
        at: wall_clock(),
    };
    let found = app
        .store
        .search_citizens(&ctx, &terms, SEARCH_LIMIT)
        .await?;
    {
        let now = Instant::now();
        let mut access = app.access();
        for r in &found {
            access.grant_citizen(
                &me.user.login,
                r.citizen.id,
                GrantVia::Search {
                    terms: audited.clone(),
                    reason: reason.clone(),
                },
                now,
            );
        }
    }
    Ok(Json(found))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCitizenBody {
    full_name: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    preferred_language: Option<String>,
    #[serde(default)]
    national_id: Option<String>,
    /// The call of this caller, if any (then the record joins its pop).
    #[serde(default)]
    call: Option<CallId>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `POST /api/citizens`: the quick form for an unknown caller.
pub(crate) async fn create(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    JsonBody(body): JsonBody<NewCitizenBody>,
) -> Result<Created<CitizenRecord>, Fails<(Forbidden, Conflict, Invalid)>> {
    let via = match body.call {
        Some(call) => {
            app.access()
                .offered_to(call, &me.agent(), Instant::now())
                .ok_or(ConsoleError::Forbidden {
                    reason: "this call was not offered to you",
                })?;
            GrantVia::Call(call)
        }
        None => GrantVia::Console,
    };
    let ctx = via.audit_context(&me.user.login, wall_clock());
    let new = NewCitizen {
        full_name: body.full_name,
        national_id: non_empty(body.national_id),
        preferred_language: non_empty(body.preferred_language),
        phones: non_empty(body.phone).into_iter().collect(),
        tags: Vec::new(),
    };
    let id = app.store.create_citizen(&ctx, &new).await?;
    {
        let mut access = app.access();
        access.grant_citizen(&me.user.login, id, via, Instant::now());
        if let Some(call) = body.call {
            access.add_citizen_to_call(call, id);
        }
    }
    let record = app
        .store
        .citizen(&ctx, id)
        .await?
        .ok_or(ConsoleError::NotFound {
            what: "citizen",
            key: id.to_string(),
        })?;
    Ok(Created(record))
}
