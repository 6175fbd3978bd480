//! The callback list for supervisors: what the hotline has promised to call
//! back (open first, then the last week's closed ones), in the queues of
//! their departments; cancel one, or change its priority. The changes go
//! to the binary's callback scheduler, which owns the list's decisions.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use hotline_store::Callback;
use hotline_types::{CallbackId, Timestamp};
use serde::Deserialize;

use crate::api::{AgentRequest, CallbackChange};
use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App};

const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
const ASK: Duration = Duration::from_secs(5);

/// `GET /api/callbacks`: the open list in the order it is worked, then the
/// callbacks of the last seven days that are closed, newest first.
pub(crate) async fn list(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
) -> Result<Json<Vec<Callback>>, ConsoleError> {
    let scope = Scope::of(&me.user);
    let now = wall_clock();
    let open = app.store.open_callbacks().await?;
    let recent = app
        .store
        .list_callbacks(
            Timestamp(now.as_millis() - WEEK_MS),
            now.plus(Duration::from_secs(1)),
        )
        .await?;
    let mut all = open;
    all.extend(recent.into_iter().filter(|c| !c.status.is_open()));
    all.retain(|c| {
        let department = app.department_of(c.queue.as_str());
        scope.sees_queue(c.queue.as_str(), &department)
    });
    Ok(Json(all))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriorityBody {
    priority: u8,
}

/// `POST /api/callbacks/{id}/cancel`.
pub(crate) async fn cancel(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CallbackId>,
) -> Result<StatusCode, ConsoleError> {
    change(&app, &me, id, CallbackChange::Cancel).await
}

/// `POST /api/callbacks/{id}/priority` `{priority}` (0-255, higher sooner).
pub(crate) async fn priority(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CallbackId>,
    JsonBody(body): JsonBody<PriorityBody>,
) -> Result<StatusCode, ConsoleError> {
    change(&app, &me, id, CallbackChange::Priority(body.priority)).await
}

async fn change(
    app: &App,
    me: &Authed,
    id: CallbackId,
    change: CallbackChange,
) -> Result<StatusCode, ConsoleError> {
    let callback = app.store.callback(id).await?;
    let department = app.department_of(callback.queue.as_str());
    if !Scope::of(&me.user).sees_queue(callback.queue.as_str(), &department) {
        return Err(ConsoleError::NotFound {
            what: "callback",
            key: id.to_string(),
        });
    }
    let by = me.user.login.clone();
    let answer = app
        .ask(ASK, |reply| AgentRequest::Callback {
            by,
            id,
            change,
            reply,
        })
        .await?;
    answer?;
    Ok(StatusCode::NO_CONTENT)
}
