//! Logging in and out of the console, and who am I.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::NoContent;
use axum::{Extension, Json};
use hotline_store::User;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{AgentRequest, AgentStatus, RequestedState};
use crate::error::ConsoleError;
use crate::extract::{ClientIp, JsonBody};
use crate::openapi::{Fails, Forbidden, Invalid, SetsCookie, TooMany, Unauthorized};
use crate::routes::origin_allowed;
use crate::session::{clear_cookie, session_cookie, session_from_cookie_header, Authed};
use crate::App;

/// How long `/api/me` and the WebSocket wait for the agent's status.
pub(crate) const STATUS_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    #[schemars(length(max = 64))]
    login: String,
    #[schemars(length(max = 1024))]
    password: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct LoginAnswer {
    user: User,
    csrf_token: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Me {
    user: User,
    csrf_token: String,
    /// The ACD's view of the user as agent (`null` for non-agents or when
    /// the call side did not answer).
    agent: Option<AgentStatus>,
}

/// `POST /api/login`.
pub(crate) async fn login(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    uri: Uri,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<SetsCookie<Json<LoginAnswer>>, Fails<(Unauthorized, Forbidden, TooMany)>> {
    if !origin_allowed(&app.config(), &headers, &uri) {
        return Err(ConsoleError::Csrf {
            reason: "the request comes from another site",
        }
        .into());
    }
    let previous = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session_from_cookie_header)
        .map(str::to_owned);
    let login_key: String = body.login.trim().to_lowercase().chars().take(64).collect();
    let ip_key = match ip {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".to_owned(),
    };
    if let Err(wait) = app
        .limiter()
        .attempt(&[ip_key, format!("login:{login_key}")], Instant::now())
    {
        return Err(ConsoleError::RateLimited {
            retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
        }
        .into());
    }
    if body.login.len() > 64 || body.password.len() > 1024 {
        return Err(ConsoleError::BadCredentials.into());
    }
    let Some(user) = app
        .store
        .authenticate(body.login.trim(), &body.password)
        .await?
    else {
        tracing::info!(login = %login_key, client = ?ip, "console login refused: wrong login or password");
        return Err(ConsoleError::BadCredentials.into());
    };
    let authed = {
        let mut sessions = app.sessions();
        if let Some(old) = &previous {
            sessions.remove(old);
        }
        sessions.create(user, Instant::now())
    };
    if let Some(old) = &previous {
        app.hub.close_session(old);
    }
    tracing::info!(login = %authed.user.login, client = ?ip, "console login");
    let cookie = session_cookie(&authed.session_id, app.config().secure_cookies);
    Ok(SetsCookie(
        HeaderValue::from_str(&cookie).ok(),
        Json(LoginAnswer {
            user: authed.user,
            csrf_token: authed.csrf_token,
        }),
    ))
}

/// `POST /api/logout`: ends the session, closes its sockets, and logs the
/// agent out of the ACD when this was their last session.
pub(crate) async fn logout(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
) -> SetsCookie<NoContent> {
    let last_session = {
        let mut sessions = app.sessions();
        sessions.remove(&me.session_id);
        sessions.count_for(&me.user.login) == 0
    };
    app.hub.close_session(&me.session_id);
    if last_session && me.user.role != hotline_store::Role::Admin {
        let agent = me.agent();
        let status = app
            .ask(STATUS_TIMEOUT, |reply| AgentRequest::Status {
                agent: agent.clone(),
                reply,
            })
            .await;
        if let Ok(Some(status)) = status {
            if status.state != "logged_out" {
                let outcome = app
                    .ask(STATUS_TIMEOUT, |reply| AgentRequest::SetState {
                        agent: agent.clone(),
                        state: RequestedState::LoggedOut,
                        reply,
                    })
                    .await;
                if !matches!(outcome, Ok(Ok(_))) {
                    tracing::warn!(%agent, "console logout: the ACD did not log the agent out");
                }
            }
        }
    }
    SetsCookie(
        HeaderValue::from_str(&clear_cookie(app.config().secure_cookies)).ok(),
        NoContent,
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    #[schemars(length(max = 1024))]
    current: String,
    /// At least 10 characters, not the current one.
    #[schemars(length(min = 10, max = 1024))]
    new: String,
}

/// `POST /api/me/password`: the user chooses their own password (the one
/// they logged in with must be given again). Their other sessions end;
/// this one goes on, no longer held to a password change. Wrong current
/// passwords count against the login rate limit.
pub(crate) async fn change_password(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<NoContent, Fails<(Unauthorized, Invalid, TooMany)>> {
    if body.current.len() > 1024 {
        return Err(ConsoleError::BadCredentials.into());
    }
    if let Err(wait) = app
        .limiter()
        .attempt(&[format!("login:{}", me.user.login)], Instant::now())
    {
        return Err(ConsoleError::RateLimited {
            retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
        }
        .into());
    }
    app.store
        .change_own_password(&me.user.login, &body.current, &body.new)
        .await?;
    let ended = app
        .sessions()
        .password_changed(&me.user.login, &me.session_id);
    for id in &ended {
        app.hub.close_session(id);
    }
    tracing::info!(login = %me.user.login, other_sessions_ended = ended.len(), "console password changed");
    Ok(NoContent)
}

/// `GET /api/me`.
pub(crate) async fn me(State(app): State<App>, Extension(me): Extension<Authed>) -> Json<Me> {
    let agent = if me.user.role == hotline_store::Role::Admin {
        None
    } else {
        let agent = me.agent();
        app.ask(STATUS_TIMEOUT, |reply| AgentRequest::Status {
            agent,
            reply,
        })
        .await
        .ok()
        .flatten()
    };
    Json(Me {
        user: me.user,
        csrf_token: me.csrf_token,
        agent,
    })
}
