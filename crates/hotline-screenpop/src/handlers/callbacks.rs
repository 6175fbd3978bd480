//! The callback list for supervisors: what the hotline has promised to call
//! back (open first, then the last week's closed ones), in the queues of
//! their departments, with the numbers masked; cancel one, or change its
//! priority. The changes go to the binary's callback scheduler, which owns
//! the list's decisions.

use std::time::Duration;

use axum::extract::State;
use axum::response::NoContent;
use axum::{Extension, Json};
use hotline_store::Callback;
use hotline_types::{CallbackId, Timestamp};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::api::{AgentRequest, CallbackChange};
use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg};
use crate::openapi::{Conflict, Fails, NotFound, Unavailable};
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
) -> Result<Json<Vec<Callback>>, Fails<()>> {
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
    for callback in &mut all {
        callback.number = masked(&callback.number);
    }
    Ok(Json(all))
}

/// A number as the list shows it: the first three digits (the mobile
/// network or the area code) and the last four, the rest as stars
/// (`138****8000`); a short number keeps only its last four. Enough to
/// tell callbacks apart and to answer a citizen who asks about theirs,
/// without a list of citizens' numbers on every supervisor's screen.
fn masked(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let n = chars.len();
    let head = if n >= 10 { 3 } else { 0 };
    let tail = 4.min(n.saturating_sub(head + 1));
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriorityBody {
    /// Higher is placed sooner.
    priority: u8,
}

/// `POST /api/callbacks/{id}/cancel`.
pub(crate) async fn cancel(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CallbackId>,
) -> Result<NoContent, Fails<(NotFound, Conflict, Unavailable)>> {
    change(&app, &me, id, CallbackChange::Cancel).await
}

/// `POST /api/callbacks/{id}/priority` `{priority}` (0-255, higher sooner).
pub(crate) async fn priority(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(id): PathArg<CallbackId>,
    JsonBody(body): JsonBody<PriorityBody>,
) -> Result<NoContent, Fails<(NotFound, Conflict, Unavailable)>> {
    change(&app, &me, id, CallbackChange::Priority(body.priority)).await
}

async fn change(
    app: &App,
    me: &Authed,
    id: CallbackId,
    change: CallbackChange,
) -> Result<NoContent, Fails<(NotFound, Conflict, Unavailable)>> {
    let callback = app.store.callback(id).await?;
    let department = app.department_of(callback.queue.as_str());
    if !Scope::of(&me.user).sees_queue(callback.queue.as_str(), &department) {
        return Err(ConsoleError::NotFound {
            what: "callback",
            key: id.to_string(),
        }
        .into());
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
    Ok(NoContent)
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn numbers_keep_their_head_and_tail_only() {
        assert_eq!(masked("13800138000"), "138****8000");
        assert_eq!(masked("01012345678"), "010****5678");
        assert_eq!(masked("88881234"), "****1234");
        assert_eq!(masked("1234"), "*234", "a short number shows less");
        assert_eq!(masked("1"), "*");
        assert_eq!(masked(""), "");
        assert_eq!(masked("+8613800138000"), "+86*******8000");
    }
}
