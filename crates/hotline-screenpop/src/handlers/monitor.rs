//! A supervisor listens in on an agent's conversation, whispers to the
//! agent or barges in, from the wallboard: `POST
//! /api/supervisor/agents/{agent}/monitor` `{"mode": "listen" | "whisper" |
//! "barge" | "stop"}`. The hotline calls the supervisor's own phone (the
//! SIP user named like their login) and mixes it into the bridge. Only
//! agents the supervisor sees on the wallboard can be joined, and every
//! join, change and stop is in the audit log through the call, like a
//! view of the citizen's record.

use axum::extract::State;
use axum::{Extension, Json};
use hotline_store::{Access, AuditContext};
use hotline_types::{AgentId, CallId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{AgentRequest, MonitorAction};
use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg};
use crate::handlers::reports::{known_queues, pairs};
use crate::openapi::{Conflict, Fails, NotFound, Unavailable};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App, ACD_REPLY_TIMEOUT};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MonitorBody {
    mode: MonitorAction,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Monitoring {
    call: CallId,
    mode: MonitorAction,
}

/// `POST /api/supervisor/agents/{agent}/monitor`.
pub(crate) async fn monitor(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(agent): PathArg<String>,
    JsonBody(body): JsonBody<MonitorBody>,
) -> Result<Json<Monitoring>, Fails<(NotFound, Conflict, Unavailable)>> {
    // Who the supervisor may join is who they see on the wallboard, decided
    // from the agent's account (not the last published board, which may
    // lag a login by a tick).
    let scope = Scope::of(&me.user);
    let user = app.store.user(&agent).await?;
    let known = known_queues(&app);
    if user.is_none() || !scope.sees_agent(&agent, user.as_ref(), pairs(&known)) {
        return Err(ConsoleError::NotFound {
            what: "agent",
            key: agent,
        }
        .into());
    }
    let supervisor = me.user.login.clone();
    let ask = |action: MonitorAction| {
        let (supervisor, agent) = (supervisor.clone(), AgentId::from(agent.as_str()));
        move |reply| AgentRequest::Monitor {
            supervisor,
            agent,
            action,
            reply,
        }
    };
    let call = app
        .ask(ACD_REPLY_TIMEOUT, ask(body.mode))
        .await?
        .map_err(ConsoleError::Refused)?;
    let ctx = AuditContext {
        actor: supervisor.clone(),
        access: Access::Call(call),
        reason: format!("supervisor monitoring of agent {agent}"),
        at: wall_clock(),
    };
    let action = match body.mode {
        MonitorAction::Stop => "monitor_end".to_owned(),
        mode => format!("monitor_{}", mode.as_str()),
    };
    if let Err(e) = app.store.audit_monitoring(&ctx, &action).await {
        // No listening in without its audit entry.
        if body.mode != MonitorAction::Stop {
            let _ = app.ask(ACD_REPLY_TIMEOUT, ask(MonitorAction::Stop)).await;
        }
        return Err(e.into());
    }
    Ok(Json(Monitoring {
        call,
        mode: body.mode,
    }))
}
