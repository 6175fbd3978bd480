//! What an agent does with the ACD and their calls: start taking calls,
//! state buttons, hold, transfer, hang up, wrap-up. Each becomes an
//! [`AgentRequest`] answered by the binary; call controls are refused for a
//! call that was never offered to this agent.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::NoContent;
use axum::{Extension, Json};
use hotline_types::{AgentId, CallId, QueueId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{AgentRequest, AgentStatus, ConsultRequest, Refused, RequestedState};
use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg};
use crate::openapi::{Conflict, Fails, Forbidden, Invalid, Unavailable};
use crate::session::Authed;
use crate::{App, ACD_REPLY_TIMEOUT};

/// Longest wrap-up extension asked for at once.
pub const MAX_WRAP_UP_EXTENSION: Duration = Duration::from_secs(3600);

fn refused<T>(answer: Result<T, Refused>) -> Result<T, ConsoleError> {
    answer.map_err(ConsoleError::Refused)
}

/// Refuses call controls on calls not offered to this agent.
fn my_call(app: &App, me: &Authed, call: CallId) -> Result<(), ConsoleError> {
    app.access()
        .offered_to(call, &me.agent(), Instant::now())
        .map(|_| ())
        .ok_or(ConsoleError::Forbidden {
            reason: "this call was not offered to you",
        })
}

/// `POST /api/agent/login`: start taking calls.
pub(crate) async fn login(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
) -> Result<Json<AgentStatus>, Fails<(Conflict, Unavailable)>> {
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::Login {
            agent,
            user: me.user.clone(),
            reply,
        })
        .await?;
    Ok(Json(refused(answer)?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateBody {
    #[schemars(extend("enum" = ["available", "break", "logged_out"]))]
    state: String,
    /// Why, for a break (1 to 64 characters).
    #[serde(default)]
    #[schemars(length(max = 64))]
    reason: Option<String>,
}

/// `POST /api/agent/state` `{state: "available"|"break"|"logged_out", reason?}`.
pub(crate) async fn set_state(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    JsonBody(body): JsonBody<StateBody>,
) -> Result<Json<AgentStatus>, Fails<(Invalid, Conflict, Unavailable)>> {
    let state = match body.state.as_str() {
        "available" => RequestedState::Available,
        "logged_out" => RequestedState::LoggedOut,
        "break" => {
            let reason = body.reason.unwrap_or_default().trim().to_owned();
            if reason.is_empty() || reason.chars().count() > 64 {
                return Err(ConsoleError::Invalid {
                    field: "reason",
                    reason: "a break needs a reason of 1 to 64 characters".into(),
                }
                .into());
            }
            RequestedState::Break { reason }
        }
        other => {
            return Err(ConsoleError::Invalid {
                field: "state",
                reason: format!("{other:?} is not available, break or logged_out"),
            }
            .into())
        }
    };
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::SetState {
            agent,
            state,
            reply,
        })
        .await?;
    Ok(Json(refused(answer)?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoldBody {
    on: bool,
}

/// `POST /api/calls/{call}/hold` `{on}`.
pub(crate) async fn hold(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(call): PathArg<CallId>,
    JsonBody(body): JsonBody<HoldBody>,
) -> Result<NoContent, Fails<(Forbidden, Conflict, Unavailable)>> {
    my_call(&app, &me, call)?;
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::Hold {
            agent,
            call,
            on: body.on,
            reply,
        })
        .await?;
    refused(answer)?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransferBody {
    /// A configured queue (GET /api/queues).
    queue: String,
}

/// `POST /api/calls/{call}/transfer` `{queue}`: blind transfer to a
/// configured queue.
pub(crate) async fn transfer(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(call): PathArg<CallId>,
    JsonBody(body): JsonBody<TransferBody>,
) -> Result<NoContent, Fails<(Invalid, Forbidden, Conflict, Unavailable)>> {
    if !app.config().queues.iter().any(|q| q.name == body.queue) {
        return Err(ConsoleError::Invalid {
            field: "queue",
            reason: format!("{:?} is not a configured queue", body.queue),
        }
        .into());
    }
    my_call(&app, &me, call)?;
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::Transfer {
            agent,
            call,
            queue: QueueId::from(body.queue),
            reply,
        })
        .await?;
    refused(answer)?;
    Ok(NoContent)
}

/// Exactly one of the three.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsultBody {
    agent: Option<String>,
    queue: Option<String>,
    destination: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Consulting {
    /// Who is being called: an agent's id or a destination's name.
    consulting: String,
}

/// `POST /api/calls/{call}/consult` `{agent}`, `{queue}` or
/// `{destination}`: the citizen holds while the agent consults a colleague,
/// the next free agent of a queue, or a configured destination.
pub(crate) async fn consult(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(call): PathArg<CallId>,
    JsonBody(body): JsonBody<ConsultBody>,
) -> Result<Json<Consulting>, Fails<(Invalid, Forbidden, Conflict, Unavailable)>> {
    let target = match (body.agent, body.queue, body.destination) {
        (Some(agent), None, None) if !agent.trim().is_empty() => {
            ConsultRequest::Agent(AgentId::from(agent.trim()))
        }
        (None, Some(queue), None) => {
            if !app.config().queues.iter().any(|q| q.name == queue) {
                return Err(ConsoleError::Invalid {
                    field: "queue",
                    reason: format!("{queue:?} is not a configured queue"),
                }
                .into());
            }
            ConsultRequest::Queue(QueueId::from(queue))
        }
        (None, None, Some(destination)) => {
            if !app.config().destinations.contains(&destination) {
                return Err(ConsoleError::Invalid {
                    field: "destination",
                    reason: format!("{destination:?} is not a configured destination"),
                }
                .into());
            }
            ConsultRequest::Destination(destination)
        }
        _ => {
            return Err(ConsoleError::Invalid {
                field: "body",
                reason: "name exactly one of agent, queue or destination".into(),
            }
            .into())
        }
    };
    my_call(&app, &me, call)?;
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::Consult {
            agent,
            call,
            target,
            reply,
        })
        .await?;
    Ok(Json(Consulting {
        consulting: refused(answer)?,
    }))
}

/// `POST /api/calls/{call}/consult/complete`: the citizen is put through
/// to whom the agent consulted.
pub(crate) async fn complete_consult(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(call): PathArg<CallId>,
) -> Result<NoContent, Fails<(Forbidden, Conflict, Unavailable)>> {
    end_consult(app, me, call, true).await
}

/// `POST /api/calls/{call}/consult/return`: the agent takes the citizen
/// back; the consulted leg is hung up.
pub(crate) async fn return_from_consult(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(call): PathArg<CallId>,
) -> Result<NoContent, Fails<(Forbidden, Conflict, Unavailable)>> {
    end_consult(app, me, call, false).await
}

async fn end_consult(
    app: App,
    me: Authed,
    call: CallId,
    complete: bool,
) -> Result<NoContent, Fails<(Forbidden, Conflict, Unavailable)>> {
    my_call(&app, &me, call)?;
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::EndConsult {
            agent,
            call,
            complete,
            reply,
        })
        .await?;
    refused(answer)?;
    Ok(NoContent)
}

/// `POST /api/calls/{call}/hangup`.
pub(crate) async fn hangup(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(call): PathArg<CallId>,
) -> Result<NoContent, Fails<(Forbidden, Conflict, Unavailable)>> {
    my_call(&app, &me, call)?;
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::Hangup {
            agent,
            call,
            reply,
        })
        .await?;
    refused(answer)?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WrapUpBody {
    /// A configured disposition code (GET /api/config).
    #[schemars(length(min = 1, max = 64))]
    disposition: String,
}

/// `POST /api/calls/{call}/wrap_up` `{disposition}`: ends wrap-up with a
/// disposition code.
pub(crate) async fn wrap_up(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(call): PathArg<CallId>,
    JsonBody(body): JsonBody<WrapUpBody>,
) -> Result<Json<AgentStatus>, Fails<(Invalid, Forbidden, Conflict, Unavailable)>> {
    let disposition = body.disposition.trim().to_owned();
    let known = if app.config().dispositions.is_empty() {
        !disposition.is_empty() && disposition.chars().count() <= 64
    } else {
        app.config().dispositions.contains(&disposition)
    };
    if !known {
        return Err(ConsoleError::Invalid {
            field: "disposition",
            reason: format!("{disposition:?} is not a configured disposition code"),
        }
        .into());
    }
    my_call(&app, &me, call)?;
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::WrapUp {
            agent,
            call,
            disposition,
            reply,
        })
        .await?;
    Ok(Json(refused(answer)?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtendBody {
    #[schemars(range(min = 1, max = 3600))]
    seconds: u64,
}

/// `POST /api/agent/wrap_up/extend` `{seconds}`.
pub(crate) async fn extend_wrap_up(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    JsonBody(body): JsonBody<ExtendBody>,
) -> Result<Json<AgentStatus>, Fails<(Invalid, Conflict, Unavailable)>> {
    let extra = Duration::from_secs(body.seconds);
    if extra.is_zero() || extra > MAX_WRAP_UP_EXTENSION {
        return Err(ConsoleError::Invalid {
            field: "seconds",
            reason: format!("use 1 to {}", MAX_WRAP_UP_EXTENSION.as_secs()),
        }
        .into());
    }
    let agent = me.agent();
    let answer = app
        .ask(ACD_REPLY_TIMEOUT, |reply| AgentRequest::ExtendWrapUp {
            agent,
            extra,
            reply,
        })
        .await?;
    Ok(Json(refused(answer)?))
}
