//! The callback list: every promise to call a citizen back, kept until it
//! is kept, given up or cancelled, so that a restart loses none.
//!
//! The store only keeps the list; when and how often to try is decided by
//! the call core's callback scheduler (`hotline-call`), which writes each
//! decision back here.

use std::fmt;
use std::str::FromStr;

use hotline_types::{CallId, CallbackId, QueueId, Timestamp};
use serde::Serialize;

use crate::citizens::check_name;
use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::Store;

/// Why the hotline owes the citizen a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackKind {
    /// Asked for in the IVR while the hotline was closed.
    AfterHours,
    /// Asked for while waiting in a queue (keeps the caller's place).
    InQueue,
    /// The caller hung up while waiting (a queue's `callback_abandoned`).
    Abandoned,
}

/// Where a callback is in its life.
///
/// pending → placing → done (a person talked to the citizen), or back to
/// pending for a retry, or failed (attempts used up); pending or placing →
/// expired (its window passed) or cancelled (a supervisor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    Pending,
    Placing,
    Done,
    Failed,
    Expired,
    Cancelled,
}

macro_rules! names {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = StoreError;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($name => Ok(Self::$variant),)*
                    other => Err(StoreError::InvalidValue {
                        field: stringify!($ty),
                        reason: format!("{other:?} is not one of {}", [$($name),*].join(", ")),
                    }),
                }
            }
        }
    };
}

names!(CallbackKind {
    AfterHours => "after_hours",
    InQueue => "in_queue",
    Abandoned => "abandoned",
});

names!(CallbackStatus {
    Pending => "pending",
    Placing => "placing",
    Done => "done",
    Failed => "failed",
    Expired => "expired",
    Cancelled => "cancelled",
});

impl CallbackStatus {
    /// Still to be worked (pending or being placed).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Placing)
    }
}

/// A new promise to call back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallback {
    pub call: CallId,
    pub number: String,
    pub queue: QueueId,
    pub kind: CallbackKind,
    pub language: String,
    pub priority: u8,
    pub requested_at: Timestamp,
    pub expires_at: Timestamp,
    /// The node of a centre that works it (`cluster.node`); `None` on a
    /// single node.
    pub node: Option<String>,
}

/// One callback as the list holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Callback {
    pub id: CallbackId,
    pub call: CallId,
    pub number: String,
    pub queue: QueueId,
    pub kind: CallbackKind,
    pub language: String,
    pub priority: u8,
    pub requested_at: Timestamp,
    pub not_before: Timestamp,
    pub expires_at: Timestamp,
    pub attempts: u32,
    pub status: CallbackStatus,
    pub outcome: Option<String>,
    pub last_call: Option<CallId>,
    pub updated_at: Timestamp,
    pub updated_by: Option<String>,
}

/// A change to one callback, as the scheduler or a supervisor decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUpdate {
    pub status: CallbackStatus,
    pub attempts: u32,
    pub not_before: Timestamp,
    pub priority: u8,
    pub outcome: Option<String>,
    pub last_call: Option<CallId>,
    pub at: Timestamp,
    pub by: Option<String>,
}

impl Callback {
    /// The update that leaves everything as it is, to change from.
    pub fn update(&self, at: Timestamp) -> CallbackUpdate {
        CallbackUpdate {
            status: self.status,
            attempts: self.attempts,
            not_before: self.not_before,
            priority: self.priority,
            outcome: self.outcome.clone(),
            last_call: self.last_call,
            at,
            by: None,
        }
    }
}

pub(crate) const COLUMNS: &str = "callback_id, call_id, number, queue, kind, language, priority, \
     requested_at_ms, not_before_ms, expires_at_ms, attempts, status, outcome, last_call_id, \
     updated_at_ms, updated_by";

pub(crate) type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
);

fn uuid(field: &'static str, s: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|e| StoreError::InvalidValue {
        field,
        reason: format!("{s:?} is not a UUID: {e}"),
    })
}

pub(crate) fn from_row(row: Row) -> Result<Callback> {
    let (
        id,
        call,
        number,
        queue,
        kind,
        language,
        priority,
        requested_at,
        not_before,
        expires_at,
        attempts,
        status,
        outcome,
        last_call,
        updated_at,
        updated_by,
    ) = row;
    Ok(Callback {
        id: CallbackId(uuid("callback_id", &id)?),
        call: CallId(uuid("call_id", &call)?),
        number,
        queue: QueueId(queue),
        kind: kind.parse()?,
        language,
        priority: u8::try_from(priority.clamp(0, 255)).unwrap_or(u8::MAX),
        requested_at: Timestamp(requested_at),
        not_before: Timestamp(not_before),
        expires_at: Timestamp(expires_at),
        attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        status: status.parse()?,
        outcome,
        last_call: last_call
            .map(|c| uuid("last_call_id", &c).map(CallId))
            .transpose()?,
        updated_at: Timestamp(updated_at),
        updated_by,
    })
}

/// How many callbacks a list query returns at most.
pub const MAX_CALLBACKS_LISTED: u32 = 1000;

impl Store {
    /// Adds a promise to call back. A citizen who asks twice for the same
    /// queue while the first is still open gets the first one back (with
    /// the higher of the two priorities), not a second call.
    pub async fn add_callback(&self, new: &NewCallback) -> Result<Callback> {
        check_name("number", &new.number, 64)?;
        check_name("queue", new.queue.as_str(), 64)?;
        check_name("language", &new.language, 16)?;
        if new.expires_at <= new.requested_at {
            return Err(StoreError::InvalidValue {
                field: "expires_at",
                reason: "it is not after the request".into(),
            });
        }
        let id = CallbackId::new();
        let select = format!(
            "SELECT {COLUMNS} FROM callbacks WHERE number = $1 AND queue = $2 \
             AND status IN ('pending', 'placing') ORDER BY requested_at_ms LIMIT 1"
        );
        let insert = format!(
            "INSERT INTO callbacks ({COLUMNS}, node) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, 0, 'pending', NULL, NULL, $8, NULL, $10)"
        );
        let row: Row = with_pool!(self, |pool| {
            let mut tx = crate::db::BeginWrite::begin_write(pool).await?;
            let open: Option<Row> = sqlx::query_as(&select)
                .bind(&new.number)
                .bind(new.queue.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(open) = open {
                if i64::from(new.priority) > open.6 {
                    sqlx::query("UPDATE callbacks SET priority = $1 WHERE callback_id = $2")
                        .bind(i64::from(new.priority))
                        .bind(&open.0)
                        .execute(&mut *tx)
                        .await?;
                }
                let row: Row = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM callbacks WHERE callback_id = $1"
                ))
                .bind(&open.0)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                return from_row(row);
            }
            sqlx::query(&insert)
                .bind(id.to_string())
                .bind(new.call.to_string())
                .bind(&new.number)
                .bind(new.queue.as_str())
                .bind(new.kind.as_str())
                .bind(&new.language)
                .bind(i64::from(new.priority))
                .bind(new.requested_at.as_millis())
                .bind(new.expires_at.as_millis())
                .bind(new.node.as_deref())
                .execute(&mut *tx)
                .await?;
            let row: Row = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM callbacks WHERE callback_id = $1"
            ))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<Row, StoreError>(row)
        })?;
        from_row(row)
    }

    /// One callback by its id.
    pub async fn callback(&self, id: CallbackId) -> Result<Callback> {
        let sql = format!("SELECT {COLUMNS} FROM callbacks WHERE callback_id = $1");
        let row: Option<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(from_row).transpose()?.ok_or(StoreError::NotFound {
            what: "callback",
            key: id.to_string(),
        })
    }

    /// The open list (pending and placing), in the order it is worked:
    /// higher priority first, then the oldest request.
    pub async fn open_callbacks(&self) -> Result<Vec<Callback>> {
        self.open_callbacks_of(None).await
    }

    /// The open list of one node of a centre (the callbacks it works), or
    /// with `None` the whole list, in the order it is worked.
    pub async fn open_callbacks_of(&self, node: Option<&str>) -> Result<Vec<Callback>> {
        let of_node = if node.is_some() { "AND node = $1" } else { "" };
        let sql = format!(
            "SELECT {COLUMNS} FROM callbacks WHERE status IN ('pending', 'placing') {of_node} \
             ORDER BY priority DESC, requested_at_ms, callback_id LIMIT {MAX_CALLBACKS_LISTED}"
        );
        let rows: Vec<Row> = with_pool!(self, |pool| {
            let mut q = sqlx::query_as(&sql);
            if let Some(node) = node {
                q = q.bind(node);
            }
            q.fetch_all(pool).await
        })?;
        rows.into_iter().map(from_row).collect()
    }

    /// Callbacks requested in `[from, to)`, newest first, any status (for
    /// supervisors), at most [`MAX_CALLBACKS_LISTED`].
    pub async fn list_callbacks(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Callback>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM callbacks WHERE requested_at_ms >= $1 AND requested_at_ms < $2 \
             ORDER BY requested_at_ms DESC, callback_id LIMIT {MAX_CALLBACKS_LISTED}"
        );
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(from.as_millis())
                .bind(to.as_millis())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(from_row).collect()
    }

    /// Every callback owed to one number, any status, oldest first.
    pub async fn callbacks_of_number(&self, number: &str) -> Result<Vec<Callback>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM callbacks WHERE number = $1 \
             ORDER BY requested_at_ms, callback_id LIMIT {MAX_CALLBACKS_LISTED}"
        );
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(number).fetch_all(pool).await
        })?;
        rows.into_iter().map(from_row).collect()
    }

    /// Writes a decision about one callback. A callback that is already
    /// closed (done, failed, expired, cancelled) is not reopened: the
    /// update is refused with `InvalidValue` so a late outcome cannot undo
    /// a supervisor's cancel.
    pub async fn update_callback(
        &self,
        id: CallbackId,
        update: &CallbackUpdate,
    ) -> Result<Callback> {
        let sql = "UPDATE callbacks SET status = $1, attempts = $2, not_before_ms = $3, \
             priority = $4, outcome = $5, last_call_id = $6, updated_at_ms = $7, \
             updated_by = COALESCE($8, updated_by) \
             WHERE callback_id = $9 AND status IN ('pending', 'placing')";
        let changed = with_pool!(self, |pool| {
            sqlx::query(sql)
                .bind(update.status.as_str())
                .bind(i64::from(update.attempts))
                .bind(update.not_before.as_millis())
                .bind(i64::from(update.priority))
                .bind(update.outcome.as_deref())
                .bind(update.last_call.map(|c| c.to_string()))
                .bind(update.at.as_millis())
                .bind(update.by.as_deref())
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        let current = self.callback(id).await?;
        if changed == 0 {
            return Err(StoreError::InvalidValue {
                field: "callback",
                reason: format!("it is {} already", current.status),
            });
        }
        Ok(current)
    }
}
