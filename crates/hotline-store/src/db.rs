//! Connecting to SQLite or PostgreSQL, and applying the embedded migrations.
//!
//! Both backends run the same SQL text: `$1`-style placeholders, which
//! SQLite also accepts, `ON CONFLICT` upserts and `RETURNING`, all present
//! in both. [`with_pool!`] expands one block of code once per backend.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};

use crate::error::{short_detail, Result, StoreError};

/// Runs `$body` with `$pool` bound to the SQLite or the PostgreSQL pool.
/// The body is compiled once per backend, so it may use backend-generic
/// sqlx calls (`query`, `bind`, `fetch_*`, `FromRow`) freely.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store.pool() {
            $crate::db::Pool::Sqlite($pool) => $body,
            $crate::db::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Starts a transaction that will write. SQLite's default deferred
/// transaction fails at once, without waiting, when it upgrades from
/// reading to writing under a concurrent writer; `BEGIN IMMEDIATE` takes the
/// write lock up front and waits for it with the busy timeout.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// How to connect. The defaults suit one hotline node.
#[derive(Clone)]
pub struct StoreOptions {
    /// Key of the HMAC-SHA256 under which national ID numbers are stored for
    /// lookup. Keep it secret and stable: changing it makes stored IDs
    /// unfindable. At least 16 bytes.
    pub national_id_key: Vec<u8>,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// How long one statement may wait for a lock (SQLite busy timeout,
    /// PostgreSQL `lock_timeout`) before it fails and the event writer
    /// spools instead.
    pub lock_timeout: Duration,
    /// PostgreSQL only: the schema to use (created if missing). Lets several
    /// stores share one database, which the test suite uses for isolation.
    pub postgres_schema: Option<String>,
    /// Whether to apply pending migrations while connecting.
    pub migrate_on_connect: bool,
    /// How long to keep trying to reach PostgreSQL at start, and to wait for
    /// a free pooled connection later.
    pub connect_timeout: Duration,
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field("national_id_key", &"<redacted>")
            .field("max_connections", &self.max_connections)
            .field("lock_timeout", &self.lock_timeout)
            .field("postgres_schema", &self.postgres_schema)
            .field("migrate_on_connect", &self.migrate_on_connect)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl StoreOptions {
    /// Defaults with the given national-ID key.
    pub fn new(national_id_key: impl Into<Vec<u8>>) -> Self {
        Self {
            national_id_key: national_id_key.into(),
            max_connections: 8,
            lock_timeout: Duration::from_secs(5),
            postgres_schema: None,
            migrate_on_connect: true,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// The call-log store and citizen record. Cheap to clone (shares the pool).
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: Pool,
    pub(crate) national_id_key: Vec<u8>,
    pub(crate) sqlite_path: Option<PathBuf>,
    /// PostgreSQL: the schema `migrate` creates first if missing.
    pub(crate) pg_schema: Option<String>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("sqlite_path", &self.inner.sqlite_path)
            .finish_non_exhaustive()
    }
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl Store {
    /// Connects with default options and a national-ID key; applies
    /// migrations. See [`Store::connect_with`].
    pub async fn connect(url: &str, national_id_key: impl Into<Vec<u8>>) -> Result<Self> {
        Self::connect_with(url, StoreOptions::new(national_id_key)).await
    }

    /// Connects to `sqlite://path`, a plain file path (SQLite, created on
    /// first start, WAL mode) or `postgres://...`.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Self> {
        if options.national_id_key.len() < 16 {
            return Err(StoreError::InvalidValue {
                field: "national_id_key",
                reason: format!(
                    "it has {} bytes; use at least 16 random bytes",
                    options.national_id_key.len()
                ),
            });
        }
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(url, &options).await?
        } else if url.contains("://") && !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl {
                url: redact_url(url),
            });
        } else {
            Self::connect_sqlite(url, &options).await?
        };
        if options.migrate_on_connect {
            store.migrate().await?;
        }
        Ok(store)
    }

    async fn connect_sqlite(url: &str, options: &StoreOptions) -> Result<Self> {
        let path = PathBuf::from(
            url.strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url),
        );
        if path.as_os_str().is_empty() {
            return Err(StoreError::UnsupportedUrl { url: url.into() });
        }
        let connect = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: a commit survives a process crash; only an OS
            // crash can lose the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(options.lock_timeout)
            .foreign_keys(true)
            // A deleted or overwritten row's bytes are zeroed, not left in
            // free pages: an erased citizen's number must not stay readable
            // in the database file (the erasure checkpoints the WAL too).
            .pragma("secure_delete", "on")
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.lock_timeout + options.connect_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| sqlite_open_error(&path, &e))?;
        // Reading the schema proves the file is a database.
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .fetch_one(&pool)
            .await
            .map_err(|e| sqlite_open_error(&path, &e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                pool: Pool::Sqlite(pool),
                national_id_key: options.national_id_key.clone(),
                sqlite_path: Some(path),
                pg_schema: None,
            }),
        })
    }

    /// PostgreSQL's connect options from the URL and `options`.
    fn postgres_options(url: &str, options: &StoreOptions) -> Result<PgConnectOptions> {
        let mut connect =
            PgConnectOptions::from_str(url).map_err(|_| StoreError::UnsupportedUrl {
                url: redact_url(url),
            })?;
        let lock_ms = options.lock_timeout.as_millis().to_string();
        connect = connect.options([("lock_timeout", lock_ms.as_str())]);
        if let Some(schema) = &options.postgres_schema {
            check_schema_name(schema)?;
            connect = connect.options([("search_path", schema.as_str())]);
        }
        Ok(connect)
    }

    fn postgres_pool_options(options: &StoreOptions) -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.connect_timeout)
    }

    fn postgres_store(pool: PgPool, options: &StoreOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool: Pool::Postgres(pool),
                national_id_key: options.national_id_key.clone(),
                sqlite_path: None,
                pg_schema: options.postgres_schema.clone(),
            }),
        }
    }

    async fn connect_postgres(url: &str, options: &StoreOptions) -> Result<Self> {
        let target = redact_url(url);
        let connect = Self::postgres_options(url, options)?;
        if let Some(schema) = &options.postgres_schema {
            // The schema must exist before the pool's first statement.
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(options.connect_timeout)
                .connect_with(connect.clone())
                .await
                .map_err(|e| pg_unreachable(&target, &e))?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .execute(&admin)
                .await?;
            admin.close().await;
        }
        let pool = Self::postgres_pool_options(options)
            .connect_with(connect)
            .await
            .map_err(|e| pg_unreachable(&target, &e))?;
        Ok(Self::postgres_store(pool, options))
    }

    /// A PostgreSQL store that connects when first used, for a hotline that
    /// must answer while its database is down: every operation fails as
    /// [`StoreError::is_database_down`] until the server answers, and
    /// [`Store::migrate`] (which also creates the configured schema) is
    /// what the caller retries to learn that it is back. Nothing is
    /// migrated here. A SQLite URL connects at once, as
    /// [`Store::connect_with`] does (a local file is not "down").
    pub async fn connect_lazy_with(url: &str, options: StoreOptions) -> Result<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Self::connect_with(url, options).await;
        }
        let connect = Self::postgres_options(url, &options)?;
        let pool = Self::postgres_pool_options(&options).connect_lazy_with(connect);
        Ok(Self::postgres_store(pool, &options))
    }

    /// Applies the embedded migrations that are not applied yet (what
    /// `hotline migrate` runs). Safe to run repeatedly and from several
    /// nodes at once (sqlx takes a lock).
    pub async fn migrate(&self) -> Result<()> {
        match self.pool() {
            Pool::Sqlite(pool) => SQLITE_MIGRATOR.run(pool).await?,
            Pool::Postgres(pool) => {
                if let Some(schema) = &self.inner.pg_schema {
                    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                        .execute(pool)
                        .await?;
                }
                POSTGRES_MIGRATOR.run(pool).await?
            }
        }
        Ok(())
    }

    /// Which engine this store uses.
    pub fn backend(&self) -> Backend {
        match self.pool() {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether a connection of the pool reaches the server over TLS
    /// (PostgreSQL's `pg_stat_ssl`; `sslmode` in the URL asks for it). A
    /// SQLite store is a local file: false.
    pub async fn connection_is_encrypted(&self) -> Result<bool> {
        match self.pool() {
            Pool::Sqlite(_) => Ok(false),
            Pool::Postgres(pool) => Ok(sqlx::query_scalar(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            )
            .fetch_one(pool)
            .await?),
        }
    }

    /// Closes every pooled connection (waits for checked-out ones).
    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.inner.pool
    }
}

/// The versions and descriptions of the embedded migrations of a backend.
pub fn migration_versions(backend: Backend) -> Vec<(i64, String)> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATOR,
        Backend::Postgres => &POSTGRES_MIGRATOR,
    };
    migrator
        .iter()
        .map(|m| (m.version, m.description.to_string()))
        .collect()
}

/// The SQL of the embedded migrations of a backend, in order.
pub(crate) fn migration_sql(backend: Backend) -> Vec<String> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATOR,
        Backend::Postgres => &POSTGRES_MIGRATOR,
    };
    migrator.iter().map(|m| m.sql.to_string()).collect()
}

fn check_schema_name(schema: &str) -> Result<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidValue {
            field: "postgres_schema",
            reason: "use 1 to 63 lowercase letters, digits or underscores".into(),
        })
    }
}

/// The URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..scheme_end + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

fn pg_unreachable(target: &str, e: &sqlx::Error) -> StoreError {
    StoreError::PostgresUnreachable {
        target: target.to_owned(),
        detail: short_detail(e),
    }
}

fn sqlite_open_error(path: &std::path::Path, e: &sqlx::Error) -> StoreError {
    let detail = short_detail(e);
    let code = match e {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .unwrap_or_default(),
        _ => 0,
    };
    // SQLite primary result codes live in the low byte of extended codes.
    match code & 0xff {
        11 | 26 => StoreError::SqliteCorrupt {
            path: path.to_owned(),
            detail,
        },
        5 | 6 => StoreError::SqliteLocked {
            path: path.to_owned(),
            detail,
        },
        _ => StoreError::SqliteOpen {
            path: path.to_owned(),
            detail,
        },
    }
}

/// `c = excluded.c, ...` for `columns`: an upsert's update of every column
/// it does not conflict on.
pub(crate) fn set_from_excluded<'a>(columns: impl IntoIterator<Item = &'a str>) -> String {
    columns
        .into_iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds `($1,$2,..),($k,..)` for a multi-row insert of `rows` rows
/// (the event writer does it for every batch: no allocation per number).
pub(crate) fn values_placeholders(rows: usize, columns: usize) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(rows * columns * 6 + rows * 3);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..columns {
            if c > 0 {
                s.push(',');
            }
            // Writing to a String cannot fail.
            let _ = write!(s, "${n}");
            n += 1;
        }
        s.push(')');
    }
    s
}

/// Builds `$first,$first+1,..` for an `IN (...)` list.
pub(crate) fn list_placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_value() {
        assert_eq!(values_placeholders(2, 2), "($1,$2),($3,$4)");
        assert_eq!(list_placeholders(3, 2), "$3,$4");
    }

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(
            redact_url("postgres://hotline:s3cret@db:5432/hl"),
            "postgres://hotline@db:5432/hl"
        );
        assert_eq!(redact_url("postgres://db/hl"), "postgres://db/hl");
    }
}
