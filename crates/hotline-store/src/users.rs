//! Users of the consoles: agents, supervisors and admins, the work-order
//! roles (dispatchers at the hotline, handlers in a department), their
//! department and skills, and argon2 password hashes. Hashing runs on the blocking
//! pool: it is deliberately slow.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hotline_types::Timestamp;
use serde::Serialize;

use crate::citizens::check_name;
use crate::db::{with_pool, BeginWrite};
use crate::error::{touched, Result, StoreError};
use crate::Store;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers calls and takes orders down.
    Agent,
    /// Supervises queues, agents and orders (urges, decides extensions).
    Supervisor,
    Admin,
    /// At the hotline: re-dispatches orders that were returned.
    Dispatcher,
    /// Staff of the department named on their account: works its orders.
    Handler,
    /// The privacy officer: carries out citizens' data-protection requests
    /// (access, rectification, restriction, erasure) and reads who saw a
    /// record; takes no calls and works no orders.
    Privacy,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::Handler => "handler",
            Role::Privacy => "privacy",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(Role::Agent),
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            "dispatcher" => Some(Role::Dispatcher),
            "handler" => Some(Role::Handler),
            "privacy" => Some(Role::Privacy),
            _ => None,
        }
    }
}

/// A skill with a level (1 to 10, higher is better), used by ACD routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct Skill {
    pub skill: String,
    pub level: i64,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    /// In clear; only its argon2 hash is stored.
    pub password: String,
    /// Set by an administrator (printed once): the user must choose their
    /// own at their first login before the console lets them do anything.
    pub must_change_password: bool,
    pub skills: Vec<Skill>,
}

/// A user as the consoles see it (never the hash).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub disabled: bool,
    /// Their password was set by an administrator: the console allows
    /// nothing but choosing their own.
    pub must_change_password: bool,
    pub skills: Vec<Skill>,
}

impl User {
    /// The departments their account names: `department` may name several,
    /// separated by commas (a supervisor of two, a handler working for
    /// two), each trimmed, empty names left out.
    pub fn departments(&self) -> impl Iterator<Item = &str> {
        self.department
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    user_id: i64,
    login: String,
    display_name: String,
    role: String,
    department: Option<String>,
    disabled: i64,
    must_change_password: i64,
    password_hash: String,
}

/// Characters of a one-time password (about 92 bits).
pub const ONE_TIME_PASSWORD_CHARS: usize = 16;

/// A secret for a person to type once (a one-time password, a phone's SIP
/// secret): `chars` characters from an alphabet without look-alikes (no
/// 0/O, 1/l/I), from the OS's generator: 5.8 bits a character.
pub fn generated_secret(chars: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..chars)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::InvalidValue {
            field: "password",
            reason: format!("it must have at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    if password.len() > 1024 {
        return Err(StoreError::InvalidValue {
            field: "password",
            reason: "it is longer than 1024 bytes".into(),
        });
    }
    Ok(())
}

/// A login of a console account or a phone (the phone of an agent has the
/// agent's login): 1 to 64 letters, digits, `.`, `_`, `-`; refused as `field`.
pub(crate) fn check_login(field: &'static str, login: &str) -> Result<()> {
    let ok = (1..=64).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidValue {
            field,
            reason: "use 1 to 64 letters, digits, dots, dashes or underscores".into(),
        })
    }
}

fn check_skills(skills: &[Skill]) -> Result<()> {
    for s in skills {
        check_name("skill", &s.skill, 64)?;
        if !(1..=10).contains(&s.level) {
            return Err(StoreError::InvalidValue {
                field: "skill level",
                reason: format!("{} is not a level from 1 to 10", s.level),
            });
        }
    }
    Ok(())
}

/// Argon2 hashes at once, in this process: each takes ~20 MiB and a core
/// for tens of milliseconds, so a flood of logins (or of wrong passwords)
/// queues here instead of taking the machine's memory and the calls' CPU.
const MAX_HASHES_AT_ONCE: usize = 2;

fn hashing() -> &'static tokio::sync::Semaphore {
    static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_HASHES_AT_ONCE);
    &PERMITS
}

async fn hash_password(password: String) -> Result<String> {
    let _permit = hashing()
        .acquire()
        .await
        .map_err(|e| StoreError::PasswordHash {
            detail: e.to_string(),
        })?;
    tokio::task::spawn_blocking(move || {
        let salt = new_salt()?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::PasswordHash {
                detail: e.to_string(),
            })
    })
    .await
    .map_err(|e| StoreError::PasswordHash {
        detail: e.to_string(),
    })?
}

async fn verify_password(password: String, hash: String) -> bool {
    let Ok(_permit) = hashing().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

impl Store {
    /// Creates a user; the login must be unused, and a handler works for
    /// a department.
    pub async fn create_user(&self, new: &NewUser, now: Timestamp) -> Result<User> {
        check_login("login", &new.login)?;
        check_name("display name", &new.display_name, 200)?;
        if let Some(d) = &new.department {
            check_name("department", d, 64)?;
        }
        if new.role == Role::Handler && new.department.is_none() {
            return Err(StoreError::InvalidValue {
                field: "department",
                reason: "a handler works for a department: name it".into(),
            });
        }
        check_password(&new.password)?;
        check_skills(&new.skills)?;
        let hash = hash_password(new.password.clone()).await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (login, display_name, role, department, password_hash, created_at_ms, must_change_password) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING user_id",
            )
            .bind(&new.login)
            .bind(&new.display_name)
            .bind(new.role.as_str())
            .bind(new.department.clone())
            .bind(&hash)
            .bind(now.as_millis())
            .bind(i64::from(new.must_change_password))
            .fetch_one(&mut *tx)
            .await?;
            for s in &new.skills {
                sqlx::query("INSERT INTO user_skills (user_id, skill, level) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(&s.skill)
                    .bind(s.level)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.user(&new.login)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "user",
                key: new.login.clone(),
            })
    }

    async fn user_row(&self, login: &str) -> Result<Option<(UserRow, Vec<Skill>)>> {
        with_pool!(self, |pool| {
            let row = sqlx::query_as::<_, UserRow>(
                "SELECT user_id, login, display_name, role, department, disabled, must_change_password, password_hash \
                 FROM users WHERE login = $1",
            )
            .bind(login)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let skills = sqlx::query_as::<_, Skill>(
                "SELECT skill, level FROM user_skills WHERE user_id = $1 ORDER BY skill",
            )
            .bind(row.user_id)
            .fetch_all(pool)
            .await?;
            Ok(Some((row, skills)))
        })
    }

    fn to_user(row: UserRow, skills: Vec<Skill>) -> Result<User> {
        Ok(User {
            id: row.user_id,
            role: Role::parse(&row.role).ok_or_else(|| StoreError::CorruptData {
                what: "user role",
                detail: row.role.clone(),
            })?,
            login: row.login,
            display_name: row.display_name,
            department: row.department,
            disabled: row.disabled != 0,
            must_change_password: row.must_change_password != 0,
            skills,
        })
    }

    /// A user by login.
    pub async fn user(&self, login: &str) -> Result<Option<User>> {
        match self.user_row(login).await? {
            Some((row, skills)) => Ok(Some(Self::to_user(row, skills)?)),
            None => Ok(None),
        }
    }

    /// Checks a login and password. `None` for an unknown login, a wrong
    /// password or a disabled user, without saying which.
    pub async fn authenticate(&self, login: &str, password: &str) -> Result<Option<User>> {
        let found = self.user_row(login).await?;
        // An unknown login costs the same hashing time as a known one.
        let hash = match &found {
            Some((row, _)) => row.password_hash.clone(),
            None => dummy_hash(),
        };
        let ok = verify_password(password.to_owned(), hash).await;
        match found {
            Some((row, skills)) if ok && row.disabled == 0 => Ok(Some(Self::to_user(row, skills)?)),
            _ => Ok(None),
        }
    }

    /// Replaces a user's password with one they chose (it no longer has
    /// to be changed).
    pub async fn set_password(&self, login: &str, password: &str) -> Result<()> {
        check_password(password)?;
        let hash = hash_password(password.to_owned()).await?;
        self.update_user(
            login,
            "UPDATE users SET password_hash = $1, must_change_password = 0 WHERE login = $2",
            hash,
        )
        .await
    }

    /// Replaces a user's password with one an administrator gives them
    /// (a reset): they must choose their own at their next login.
    pub async fn set_one_time_password(&self, login: &str, password: &str) -> Result<()> {
        check_password(password)?;
        let hash = hash_password(password.to_owned()).await?;
        self.update_user(
            login,
            "UPDATE users SET password_hash = $1, must_change_password = 1 WHERE login = $2",
            hash,
        )
        .await
    }

    /// Changes a user's own password: `current` must be their password
    /// now ([`StoreError::InvalidValue`] on `current password` otherwise,
    /// after the same hashing time), and the new one must differ from it.
    pub async fn change_own_password(&self, login: &str, current: &str, new: &str) -> Result<()> {
        check_password(new)?;
        if self.authenticate(login, current).await?.is_none() {
            return Err(StoreError::InvalidValue {
                field: "current password",
                reason: "it is not this account's password".into(),
            });
        }
        if current == new {
            return Err(StoreError::InvalidValue {
                field: "password",
                reason: "choose a password other than the one you were given".into(),
            });
        }
        self.set_password(login, new).await
    }

    /// Gives a user another role and department (a handler must have one).
    /// Their console sessions end at the console's next accounts check.
    pub async fn set_role(&self, login: &str, role: Role, department: Option<&str>) -> Result<()> {
        if let Some(d) = department {
            check_name("department", d, 64)?;
        }
        if role == Role::Handler && department.is_none() {
            return Err(StoreError::InvalidValue {
                field: "department",
                reason: "a handler works for a department: name it".into(),
            });
        }
        with_pool!(self, |pool| {
            let n = sqlx::query("UPDATE users SET role = $1, department = $2 WHERE login = $3")
                .bind(role.as_str())
                .bind(department)
                .bind(login)
                .execute(pool)
                .await?
                .rows_affected();
            touched(n, "user", login)
        })
    }

    /// The logins of disabled users (their SIP phones must not register).
    pub async fn disabled_logins(&self) -> Result<Vec<String>> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT login FROM users WHERE disabled <> 0 ORDER BY login")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Disables or re-enables a user (disabled users cannot log in).
    pub async fn set_user_disabled(&self, login: &str, disabled: bool) -> Result<()> {
        with_pool!(self, |pool| {
            let n = sqlx::query("UPDATE users SET disabled = $1 WHERE login = $2")
                .bind(i64::from(disabled))
                .bind(login)
                .execute(pool)
                .await?
                .rows_affected();
            touched(n, "user", login)
        })
    }

    async fn update_user(&self, login: &str, sql: &'static str, value: String) -> Result<()> {
        with_pool!(self, |pool| {
            let n = sqlx::query(sql)
                .bind(value)
                .bind(login)
                .execute(pool)
                .await?
                .rows_affected();
            touched(n, "user", login)
        })
    }

    /// Replaces a user's skills.
    pub async fn set_skills(&self, login: &str, skills: &[Skill]) -> Result<()> {
        check_skills(skills)?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar("SELECT user_id FROM users WHERE login = $1")
                .bind(login)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(id) = id else {
                return Err(StoreError::NotFound {
                    what: "user",
                    key: login.to_owned(),
                });
            };
            sqlx::query("DELETE FROM user_skills WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for s in skills {
                sqlx::query("INSERT INTO user_skills (user_id, skill, level) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(&s.skill)
                    .bind(s.level)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The accounts' version: a counter that every change to an account
    /// or its skills moves on, whoever made it (triggers in the schema).
    /// Reading it is one row, so a check once a second costs nothing;
    /// [`Store::list_users`] only when it moved.
    pub async fn accounts_version(&self) -> Result<i64> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT n FROM accounts_version WHERE id = 1")
                .fetch_one(pool)
                .await?
        }))
    }

    /// Every user, by login.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let logins: Vec<String> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT login FROM users ORDER BY login")
                .fetch_all(pool)
                .await?
        });
        let mut out = Vec::with_capacity(logins.len());
        for login in logins {
            if let Some(u) = self.user(&login).await? {
                out.push(u);
            }
        }
        Ok(out)
    }
}

/// A valid argon2 hash of a random string, to verify against when the
/// login does not exist.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let Ok(salt) = new_salt() else {
                return String::new();
            };
            Argon2::default()
                .hash_password(b"no such user; this hash only costs time", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
        .clone()
}

fn new_salt() -> Result<SaltString> {
    let bytes: [u8; 16] = rand::random();
    SaltString::encode_b64(&bytes).map_err(|e| StoreError::PasswordHash {
        detail: e.to_string(),
    })
}
