//! Administration of accounts (admins only): console users with their
//! roles, departments and skills, and SIP phone accounts. The same
//! operations as `hotline user …` and `hotline phone …`.
//!
//! A new account's or a reset's one-time password, and a phone's secret,
//! are in the answer to the request that made them and nowhere else: not
//! stored (only their hashes), not logged, not shown again. A changed,
//! disabled or reset account loses its console sessions at the next
//! accounts check (within a second); a removed phone is unregistered at
//! the next phone check.

use axum::extract::State;
use axum::response::NoContent;
use axum::{Extension, Json};
use hotline_orders::DepartmentId;
use hotline_store::{
    digest_algorithm, generated_secret, NewUser, PhoneAccount, Role, Skill, User,
    ONE_TIME_PASSWORD_CHARS, PHONE_SECRET_CHARS,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg};
use crate::openapi::{Conflict, Created, Fails, Forbidden, Invalid, NotFound};
use crate::session::Authed;
use crate::{wall_clock, App};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccount {
    login: String,
    #[schemars(extend("enum" = ["agent", "supervisor", "admin", "dispatcher", "handler"]))]
    role: String,
    display_name: Option<String>,
    department: Option<String>,
    #[serde(default)]
    skills: Vec<SkillBody>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SkillBody {
    skill: String,
    level: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleChange {
    #[schemars(extend("enum" = ["agent", "supervisor", "admin", "dispatcher", "handler"]))]
    role: String,
    /// A handler's departments (the catalogue's codes, comma-separated);
    /// an agent's or supervisor's department.
    department: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct WithPassword {
    user: User,
    /// Shown once: the user must change it at their first login.
    one_time_password: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPhone {
    login: String,
    /// The phone's challenge order; empty for the hotline's.
    #[serde(default)]
    #[schemars(extend("items" = { "enum": ["MD5", "SHA-256"] }))]
    algorithms: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct WithSecret {
    phone: PhoneAccount,
    /// Shown once, to be entered in the phone; only its digest hashes are kept.
    secret: String,
}

fn role(text: &str) -> Result<Role, ConsoleError> {
    Role::parse(text).ok_or_else(|| ConsoleError::Invalid {
        field: "role",
        reason: "one of agent, supervisor, admin, dispatcher, handler".into(),
    })
}

/// A handler's departments must be the catalogue's: a handler of a
/// department that receives no orders would see an empty inbox for ever.
fn check_department(app: &App, role: Role, department: Option<&str>) -> Result<(), ConsoleError> {
    let config = app.config();
    let (Role::Handler, Some(departments), Some(rules)) =
        (role, department, config.orders.as_deref())
    else {
        return Ok(());
    };
    for d in departments
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        if rules.catalogue.department(&DepartmentId::from(d)).is_none() {
            return Err(ConsoleError::Invalid {
                field: "department",
                reason: format!("the work orders' catalogue has no department {d:?}"),
            });
        }
    }
    Ok(())
}

async fn user_named(app: &App, login: &str) -> Result<User, ConsoleError> {
    app.store
        .user(login)
        .await?
        .ok_or_else(|| ConsoleError::NotFound {
            what: "user",
            key: login.to_owned(),
        })
}

/// `GET /api/admin/users`: every account (never a password hash).
pub(crate) async fn users(State(app): State<App>) -> Result<Json<Vec<User>>, Fails<()>> {
    Ok(Json(app.store.list_users().await?))
}

/// `POST /api/admin/users`: a new account with a one-time password.
pub(crate) async fn add_user(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    JsonBody(body): JsonBody<NewAccount>,
) -> Result<Created<WithPassword>, Fails<(Invalid, Conflict)>> {
    let role = role(&body.role)?;
    check_department(&app, role, body.department.as_deref())?;
    let password = generated_secret(ONE_TIME_PASSWORD_CHARS);
    let user = app
        .store
        .create_user(
            &NewUser {
                display_name: body.display_name.unwrap_or_else(|| body.login.clone()),
                login: body.login,
                role,
                department: body.department,
                password: password.clone(),
                must_change_password: true,
                skills: body
                    .skills
                    .into_iter()
                    .map(|s| Skill {
                        skill: s.skill,
                        level: s.level,
                    })
                    .collect(),
            },
            wall_clock(),
        )
        .await?;
    tracing::info!(admin = %me.user.login, login = %user.login, role = user.role.as_str(), "account created");
    Ok(Created(WithPassword {
        user,
        one_time_password: password,
    }))
}

/// `POST /api/admin/users/{login}/role`: another role and department.
pub(crate) async fn set_role(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(login): PathArg<String>,
    JsonBody(body): JsonBody<RoleChange>,
) -> Result<Json<User>, Fails<(Invalid, Forbidden, NotFound)>> {
    let role = role(&body.role)?;
    check_department(&app, role, body.department.as_deref())?;
    if login == me.user.login && role != Role::Admin {
        return Err(ConsoleError::Forbidden {
            reason: "an admin cannot take away their own admin role",
        }
        .into());
    }
    app.store
        .set_role(&login, role, body.department.as_deref())
        .await?;
    tracing::info!(admin = %me.user.login, %login, role = role.as_str(), "account's role changed");
    let _ = crate::Console::from_app(&app).enforce_accounts().await;
    Ok(Json(user_named(&app, &login).await?))
}

/// `POST /api/admin/users/{login}/disable`: a leaver; sessions end at once.
pub(crate) async fn disable_user(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(login): PathArg<String>,
) -> Result<Json<User>, Fails<(Forbidden, NotFound)>> {
    if login == me.user.login {
        return Err(ConsoleError::Forbidden {
            reason: "an admin cannot disable their own account",
        }
        .into());
    }
    app.store.set_user_disabled(&login, true).await?;
    tracing::info!(admin = %me.user.login, %login, "account disabled");
    // At once rather than at the next second's check.
    let _ = crate::Console::from_app(&app).enforce_accounts().await;
    Ok(Json(user_named(&app, &login).await?))
}

/// `POST /api/admin/users/{login}/enable`.
pub(crate) async fn enable_user(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(login): PathArg<String>,
) -> Result<Json<User>, Fails<(NotFound,)>> {
    app.store.set_user_disabled(&login, false).await?;
    tracing::info!(admin = %me.user.login, %login, "account enabled");
    Ok(Json(user_named(&app, &login).await?))
}

/// `POST /api/admin/users/{login}/reset_password`: a new one-time
/// password; the user's sessions end and they must choose their own.
pub(crate) async fn reset_password(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(login): PathArg<String>,
) -> Result<Json<WithPassword>, Fails<(NotFound,)>> {
    let password = generated_secret(ONE_TIME_PASSWORD_CHARS);
    app.store.set_one_time_password(&login, &password).await?;
    tracing::info!(admin = %me.user.login, %login, "password reset");
    let _ = crate::Console::from_app(&app).enforce_accounts().await;
    Ok(Json(WithPassword {
        user: user_named(&app, &login).await?,
        one_time_password: password,
    }))
}

/// `GET /api/admin/phones`: the phone accounts (never a hash).
pub(crate) async fn phones(State(app): State<App>) -> Result<Json<Vec<PhoneAccount>>, Fails<()>> {
    Ok(Json(app.store.phone_accounts().await?))
}

fn algorithms(names: Vec<String>) -> Result<Vec<String>, ConsoleError> {
    names
        .into_iter()
        .map(|name| {
            digest_algorithm(&name)
                .map(str::to_owned)
                .ok_or_else(|| ConsoleError::Invalid {
                    field: "algorithms",
                    reason: format!("{name:?} is not MD5 or SHA-256"),
                })
        })
        .collect()
}

/// `POST /api/admin/phones`: a new phone account with a generated secret.
pub(crate) async fn add_phone(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    JsonBody(body): JsonBody<NewPhone>,
) -> Result<Created<WithSecret>, Fails<(Invalid, Conflict)>> {
    let secret = generated_secret(PHONE_SECRET_CHARS);
    let phone = PhoneAccount::with_secret(
        &body.login,
        &app.config().sip_realm,
        &secret,
        algorithms(body.algorithms)?,
    );
    app.store.add_phone_account(&phone, wall_clock()).await?;
    tracing::info!(admin = %me.user.login, phone = %phone.login, "phone account created");
    Ok(Created(WithSecret { phone, secret }))
}

/// `POST /api/admin/phones/{login}/reset_secret`: the old secret stops
/// registering.
pub(crate) async fn reset_phone_secret(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(login): PathArg<String>,
) -> Result<Json<WithSecret>, Fails<(NotFound,)>> {
    let existing =
        app.store
            .phone_account(&login)
            .await?
            .ok_or_else(|| ConsoleError::NotFound {
                what: "phone",
                key: login.clone(),
            })?;
    let secret = generated_secret(PHONE_SECRET_CHARS);
    let phone = PhoneAccount::with_secret(
        &login,
        &app.config().sip_realm,
        &secret,
        existing.algorithms,
    );
    app.store
        .replace_phone_account(&phone, wall_clock())
        .await?;
    tracing::info!(admin = %me.user.login, phone = %login, "phone secret reset");
    Ok(Json(WithSecret { phone, secret }))
}

/// `DELETE /api/admin/phones/{login}`: it is unregistered at once.
pub(crate) async fn remove_phone(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(login): PathArg<String>,
) -> Result<NoContent, Fails<(NotFound,)>> {
    app.store.remove_phone_account(&login).await?;
    tracing::info!(admin = %me.user.login, phone = %login, "phone account removed");
    Ok(NoContent)
}
