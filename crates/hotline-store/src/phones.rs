//! SIP phone accounts: the digest hashes (HA1, RFC 2617 / RFC 8760) a
//! registrar checks a phone's REGISTER against, and the realm they were
//! made for. The secret itself is never stored: [`PhoneAccount::with_secret`]
//! hashes it and drops it.

use hotline_types::Timestamp;
use md5::Md5;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::with_pool;
use crate::error::{touched, Result, StoreError};
use crate::users::check_login;
use crate::Store;

/// A phone's account as stored: who registers, and what the registrar
/// needs to check them. Neither its `Debug` nor its JSON shows the hashes
/// (they register as this phone as well as the secret does).
#[derive(Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PhoneAccount {
    /// The SIP user (the agent's login: the ACD rings the phone of this name).
    pub login: String,
    /// The realm the hashes were made for.
    pub realm: String,
    /// Lowercase hex of MD5(login:realm:secret).
    #[serde(skip)]
    pub ha1_md5: String,
    /// Lowercase hex of SHA-256(login:realm:secret).
    #[serde(skip)]
    pub ha1_sha256: String,
    /// This phone's challenge order ("SHA-256", "MD5"), or empty for the
    /// hotline's.
    pub algorithms: Vec<String>,
}

impl PhoneAccount {
    /// The account of a phone registering as `login` with `secret` in
    /// `realm`: HA1 = H(login:realm:secret) for MD5 and SHA-256, as the
    /// phone computes it (RFC 2617 §3.2.2.2, RFC 8760). The secret is not
    /// kept.
    pub fn with_secret(login: &str, realm: &str, secret: &str, algorithms: Vec<String>) -> Self {
        let a1 = format!("{login}:{realm}:{secret}");
        Self {
            login: login.to_owned(),
            realm: realm.to_owned(),
            ha1_md5: hex::encode(Md5::digest(a1.as_bytes())),
            ha1_sha256: hex::encode(Sha256::digest(a1.as_bytes())),
            algorithms,
        }
    }
}

impl std::fmt::Debug for PhoneAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneAccount")
            .field("login", &self.login)
            .field("realm", &self.realm)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct PhoneRow {
    login: String,
    realm: String,
    ha1_md5: String,
    ha1_sha256: String,
    algorithms: Option<String>,
}

impl From<PhoneRow> for PhoneAccount {
    fn from(row: PhoneRow) -> Self {
        Self {
            login: row.login,
            realm: row.realm,
            ha1_md5: row.ha1_md5,
            ha1_sha256: row.ha1_sha256,
            algorithms: row
                .algorithms
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// Characters of a phone's generated SIP secret (about 115 bits).
pub const PHONE_SECRET_CHARS: usize = 20;

/// The digest algorithms a phone may be challenged with, as stored.
const ALGORITHMS: [&str; 2] = ["MD5", "SHA-256"];

/// A digest algorithm's stored name ("MD5", "SHA-256") from a name in any
/// case; `None` for any other algorithm.
pub fn digest_algorithm(name: &str) -> Option<&'static str> {
    ALGORITHMS
        .into_iter()
        .find(|a| a.eq_ignore_ascii_case(name))
}

fn check_phone(phone: &PhoneAccount) -> Result<()> {
    check_login("phone login", &phone.login)?;
    let hex = |h: &str, len: usize| {
        h.len() == len && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if !hex(&phone.ha1_md5, 32) || !hex(&phone.ha1_sha256, 64) {
        return Err(StoreError::InvalidValue {
            field: "phone digest",
            reason: "HA1 must be lowercase hex: 32 digits for MD5, 64 for SHA-256".into(),
        });
    }
    for a in &phone.algorithms {
        if !ALGORITHMS.contains(&a.as_str()) {
            return Err(StoreError::InvalidValue {
                field: "phone algorithms",
                reason: format!("{a:?} is not MD5 or SHA-256"),
            });
        }
    }
    Ok(())
}

impl Store {
    /// Adds a phone account; its login must have none yet
    /// ([`StoreError::AlreadyExists`]).
    pub async fn add_phone_account(&self, phone: &PhoneAccount, now: Timestamp) -> Result<()> {
        check_phone(phone)?;
        let algorithms = (!phone.algorithms.is_empty()).then(|| phone.algorithms.join(","));
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO phones (login, realm, ha1_md5, ha1_sha256, algorithms, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(&phone.login)
            .bind(&phone.realm)
            .bind(&phone.ha1_md5)
            .bind(&phone.ha1_sha256)
            .bind(algorithms)
            .bind(now.as_millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Gives an existing phone new hashes (a new secret) and challenge order.
    pub async fn replace_phone_account(&self, phone: &PhoneAccount, now: Timestamp) -> Result<()> {
        check_phone(phone)?;
        let algorithms = (!phone.algorithms.is_empty()).then(|| phone.algorithms.join(","));
        with_pool!(self, |pool| {
            let n = sqlx::query(
                "UPDATE phones SET realm = $2, ha1_md5 = $3, ha1_sha256 = $4, algorithms = $5, \
                 updated_at_ms = $6 WHERE login = $1",
            )
            .bind(&phone.login)
            .bind(&phone.realm)
            .bind(&phone.ha1_md5)
            .bind(&phone.ha1_sha256)
            .bind(algorithms)
            .bind(now.as_millis())
            .execute(pool)
            .await?
            .rows_affected();
            touched(n, "phone", &phone.login)
        })
    }

    /// Removes a phone account: it can no longer register.
    pub async fn remove_phone_account(&self, login: &str) -> Result<()> {
        with_pool!(self, |pool| {
            let n = sqlx::query("DELETE FROM phones WHERE login = $1")
                .bind(login)
                .execute(pool)
                .await?
                .rows_affected();
            touched(n, "phone", login)
        })
    }

    /// One phone account, `None` if there is none of that login.
    pub async fn phone_account(&self, login: &str) -> Result<Option<PhoneAccount>> {
        let row: Option<PhoneRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT login, realm, ha1_md5, ha1_sha256, algorithms FROM phones WHERE login = $1",
            )
            .bind(login)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(PhoneAccount::from))
    }

    /// Every phone account, by login. Changes move
    /// [`Store::accounts_version`].
    pub async fn phone_accounts(&self) -> Result<Vec<PhoneAccount>> {
        let rows: Vec<PhoneRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT login, realm, ha1_md5, ha1_sha256, algorithms FROM phones ORDER BY login",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(PhoneAccount::from).collect())
    }
}
