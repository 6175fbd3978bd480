//! The store's one error type. Messages say what went wrong and what to do;
//! they never carry SQL text, and constraint violations name the field.

use std::path::PathBuf;

use hotline_orders::OrderError;
use hotline_types::CaseRef;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is neither SQLite nor PostgreSQL.
    #[error("unsupported database URL {url:?}: use `sqlite://path/to/file.db`, a plain file path, or `postgres://user@host/db`")]
    UnsupportedUrl { url: String },
    /// The SQLite file exists but is not a database, or is damaged.
    #[error("the SQLite file {path:?} is corrupt or not a database ({detail}); restore it from a backup, or move it away to start with an empty store")]
    SqliteCorrupt { path: PathBuf, detail: String },
    /// Another process holds a lock on the SQLite file for too long.
    #[error("the SQLite file {path:?} is locked by another process ({detail}); stop the other hotline process or tool using it, then retry")]
    SqliteLocked { path: PathBuf, detail: String },
    /// The SQLite file cannot be opened or created.
    #[error("cannot open or create the SQLite file {path:?} ({detail}); check that the directory exists and is writable")]
    SqliteOpen { path: PathBuf, detail: String },
    /// PostgreSQL did not answer or refused the connection.
    #[error("PostgreSQL at {target} is unreachable ({detail}); check that it is running and that the URL's host, port, user and database are right")]
    PostgresUnreachable { target: String, detail: String },
    /// Applying the embedded migrations failed.
    #[error(
        "database migration failed ({detail}); the schema was left as it was before this migration"
    )]
    Migration { detail: String },
    /// A value that must be unique already exists.
    #[error("this {field} is already in use")]
    AlreadyExists { field: &'static str },
    /// A value was refused before it reached the database.
    #[error("invalid {field}: {reason}")]
    InvalidValue { field: &'static str, reason: String },
    /// The thing asked for does not exist.
    #[error("no {what} {key}")]
    NotFound { what: &'static str, key: String },
    /// A case status change that the lifecycle does not allow.
    #[error("case {case_ref} cannot go from {from} to {to}")]
    InvalidTransition {
        case_ref: String,
        from: &'static str,
        to: &'static str,
    },
    /// The order core refused a work-order command (who, phase, input), as
    /// it said; nothing was written.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// Other writers kept appending to a work order while this command was
    /// decided again and again; nothing was written, retrying later is safe.
    #[error(
        "work order {reference} kept changing during {attempts} attempts; reload it and retry"
    )]
    OrderConflict { reference: CaseRef, attempts: u32 },
    /// A work-order operation on a case that has no event log (opened
    /// before work orders, or with `create_case`).
    #[error("case {case_ref} has no work-order log (a case opened with the case API); use the case API for it")]
    LegacyCase { case_ref: CaseRef },
    /// A case-API change of a work order, whose row only its log changes.
    #[error("case {case_ref} is a work order; change it with its commands, not the case API")]
    WorkOrderCase { case_ref: CaseRef },
    /// Someone else changed the same row at the same moment; retrying is safe.
    #[error("{what} was changed concurrently; reload and retry")]
    Concurrent { what: &'static str },
    /// The database failed during an operation (down, locked, timed out, full).
    #[error("the database is unavailable or failed ({detail}); the operation was not done")]
    Unavailable { detail: String },
    /// Stored data that should have been written by this crate does not parse.
    #[error("stored {what} is unreadable ({detail})")]
    CorruptData { what: &'static str, detail: String },
    /// The local event spool could not be written or read.
    #[error(
        "event spool {path:?}: {source}; check the spool directory's disk space and permissions"
    )]
    Spool {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Call events wait in the spool: an erasure now would be undone when
    /// they are replayed (they may carry the citizen's number).
    #[error(
        "{events} call events wait in the spool for the database; erase once they are written"
    )]
    EventsSpooled { events: usize },
    /// Hashing a password failed (argon2 parameters or input).
    #[error("password hashing failed ({detail})")]
    PasswordHash { detail: String },
}

impl StoreError {
    /// The database failed as a whole (unreachable, locked, unreadable),
    /// not one record: what a pass over many records stops for.
    pub fn is_database_down(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. }
                | StoreError::PostgresUnreachable { .. }
                | StoreError::SqliteLocked { .. }
                | StoreError::SqliteCorrupt { .. }
                | StoreError::SqliteOpen { .. }
                | StoreError::Migration { .. }
        )
    }
}

/// A short result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Known constraint names (PostgreSQL) and `table.column` pairs (SQLite) to
/// the field named in the error.
/// `Ok` when a write touched a row; else [`StoreError::NotFound`] for `what`
/// `key` (an `UPDATE` or `DELETE` by a key that names nothing).
pub(crate) fn touched(rows_affected: u64, what: &'static str, key: &str) -> Result<()> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound {
            what,
            key: key.to_owned(),
        });
    }
    Ok(())
}

const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("users_login_unique", "users.login", "login"),
    ("phones_pkey", "phones.login", "phone"),
    (
        "citizens_national_id_unique",
        "citizens.national_id_hmac",
        "national ID",
    ),
    ("cases_case_ref_unique", "cases.case_ref", "case reference"),
    (
        "citizen_phones_pkey",
        "citizen_phones.number",
        "phone number",
    ),
    ("citizen_tags_pkey", "citizen_tags.tag", "tag"),
    ("user_skills_pkey", "user_skills.skill", "skill"),
    ("case_events_pkey", "case_events.seq", "work-order event"),
];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                let constraint = db.constraint().unwrap_or_default();
                let message = db.message();
                for (pg_name, sqlite_column, field) in UNIQUE_FIELDS {
                    if constraint == *pg_name || message.contains(sqlite_column) {
                        return StoreError::AlreadyExists { field };
                    }
                }
                return StoreError::AlreadyExists { field: "value" };
            }
            if db.is_foreign_key_violation() {
                return StoreError::InvalidValue {
                    field: "reference",
                    reason: "it points at a record that does not exist".into(),
                };
            }
            if db.is_check_violation() {
                return StoreError::InvalidValue {
                    field: "value",
                    reason: "it is outside the allowed range".into(),
                };
            }
        }
        StoreError::Unavailable {
            detail: short_detail(&e),
        }
    }
}

/// The database's own message, without any statement text.
pub(crate) fn short_detail(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("{} (code {code})", db.message()),
            None => db.message().to_owned(),
        },
        sqlx::Error::PoolTimedOut => "no database connection became free in time".into(),
        sqlx::Error::PoolClosed => "the connection pool is closed".into(),
        sqlx::Error::Io(io) => format!("i/o error: {io}"),
        other => other.to_string(),
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration {
            detail: e.to_string(),
        }
    }
}
