//! The conformance harness: every test runs against a fresh SQLite file and,
//! when `HOTLINE_TEST_PG_URL` is set, a fresh PostgreSQL schema.
#![allow(dead_code)]

use std::time::Duration;

use hotline_store::{Access, AuditContext, Store, StoreOptions};
use hotline_types::{CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};

pub const KEY: &[u8] = b"test-national-id-key-0123456789";
/// 2026-11-22T08:00:00Z.
pub const T0: i64 = 1_795_334_400_000;

pub struct TestStore {
    pub label: &'static str,
    pub store: Store,
    pub url: String,
    pub schema: Option<String>,
    pub dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// Another store on the same database (a second node, or a restart).
    pub async fn reopen(&self) -> Store {
        Store::connect_with(&self.url, self.options())
            .await
            .expect("reopen")
    }

    pub fn options(&self) -> StoreOptions {
        let mut o = StoreOptions::new(KEY);
        o.postgres_schema = self.schema.clone();
        o
    }

    /// Drops the PostgreSQL schema (SQLite files go with the temp dir).
    pub async fn finish(self) {
        self.store.close().await;
        if let Some(schema) = &self.schema {
            let admin = sqlx::PgPool::connect(&self.url)
                .await
                .expect("admin connect");
            sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .execute(&admin)
                .await
                .expect("drop schema");
            admin.close().await;
        }
    }
}

pub fn pg_url() -> Option<String> {
    match std::env::var("HOTLINE_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "\n!!!!!!!! PostgreSQL half of this conformance test SKIPPED: \
                 set HOTLINE_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test to run it !!!!!!!!\n"
            );
            None
        }
    }
}

pub async fn sqlite_store() -> TestStore {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("hotline.db").display());
    let store = Store::connect_with(&url, StoreOptions::new(KEY))
        .await
        .expect("sqlite store");
    TestStore {
        label: "sqlite",
        store,
        url,
        schema: None,
        dir: Some(dir),
    }
}

pub async fn pg_store(url: &str) -> TestStore {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut options = StoreOptions::new(KEY);
    options.postgres_schema = Some(schema.clone());
    let store = Store::connect_with(url, options)
        .await
        .expect("postgres store");
    TestStore {
        label: "postgres",
        store,
        url: url.to_owned(),
        schema: Some(schema),
        dir: Some(tempfile::tempdir().expect("tempdir")),
    }
}

/// A fresh store per available backend.
pub async fn stores() -> Vec<TestStore> {
    let mut out = vec![sqlite_store().await];
    if let Some(url) = pg_url() {
        out.push(pg_store(&url).await);
    }
    out
}

pub fn at(offset_ms: i64) -> Timestamp {
    Timestamp(T0 + offset_ms)
}

pub fn admin(offset_ms: i64) -> AuditContext {
    AuditContext {
        actor: "admin".into(),
        access: Access::Administration,
        reason: "test".into(),
        at: at(offset_ms),
    }
}

pub fn agent_on_call(call: CallId, offset_ms: i64) -> AuditContext {
    AuditContext::for_call("alice", call, at(offset_ms))
}

/// The events of one complete answered call from `caller`, starting at
/// `start_ms` after T0: 10 s IVR, `wait_ms` in queue, 60 s talk with 10 s
/// hold, 30 s wrap-up.
pub fn answered_call(
    call: CallId,
    caller: &str,
    queue: &str,
    start_ms: i64,
    wait_ms: u64,
) -> Vec<CallEventRecord> {
    let q = start_ms + 10_000;
    let a = q + wait_ms as i64;
    vec![
        rec(
            call,
            start_ms,
            CallEvent::CallStarted {
                caller: caller.into(),
                called: "12345".into(),
                sip_call_id: format!("{call}@test"),
                node: Some("node-a".into()),
                linked_call: None,
            },
        ),
        rec(call, start_ms + 500, CallEvent::Answered),
        rec(
            call,
            start_ms + 600,
            CallEvent::IvrNodeEntered {
                script: "main".into(),
                version: 1,
                node: "welcome".into(),
            },
        ),
        rec(
            call,
            start_ms + 5_000,
            CallEvent::IvrNodeEntered {
                script: "main".into(),
                version: 1,
                node: "department".into(),
            },
        ),
        rec(
            call,
            q,
            CallEvent::Queued {
                queue: queue.into(),
                priority: 1,
                skills: vec![],
            },
        ),
        rec(
            call,
            a - 1_000,
            CallEvent::Offered {
                queue: queue.into(),
                agent: "alice".into(),
            },
        ),
        rec(
            call,
            a,
            CallEvent::AgentAnswered {
                queue: queue.into(),
                agent: "alice".into(),
                wait_ms,
            },
        ),
        rec(call, a + 20_000, CallEvent::HoldStarted),
        rec(call, a + 30_000, CallEvent::HoldEnded),
        rec(
            call,
            a + 31_000,
            CallEvent::RecordingStarted {
                recording: format!("rec/{call}.wav"),
            },
        ),
        rec(
            call,
            a + 60_000,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ),
        rec(
            call,
            a + 90_000,
            CallEvent::WrapUpDone {
                agent: "alice".into(),
                disposition: "information_given".into(),
                wrap_ms: 30_000,
            },
        ),
    ]
}

/// A call abandoned in `queue` after `wait_ms`.
pub fn abandoned_call(
    call: CallId,
    caller: &str,
    queue: &str,
    start_ms: i64,
    wait_ms: u64,
) -> Vec<CallEventRecord> {
    let q = start_ms + 10_000;
    vec![
        rec(
            call,
            start_ms,
            CallEvent::CallStarted {
                caller: caller.into(),
                called: "12345".into(),
                sip_call_id: format!("{call}@test"),
                node: Some("node-a".into()),
                linked_call: None,
            },
        ),
        rec(
            call,
            q,
            CallEvent::Queued {
                queue: queue.into(),
                priority: 1,
                skills: vec![],
            },
        ),
        rec(
            call,
            q + wait_ms as i64,
            CallEvent::Abandoned {
                queue: queue.into(),
                wait_ms,
                position: 2,
            },
        ),
        rec(
            call,
            q + wait_ms as i64,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ),
    ]
}

pub fn rec(call: CallId, offset_ms: i64, event: CallEvent) -> CallEventRecord {
    CallEventRecord::new(call, at(offset_ms), event)
}

pub const SHORT: Duration = Duration::from_millis(200);

/// Another connection that holds the database's write lock until released:
/// to the store, the database is down for writing (a lock held by another
/// process, a PostgreSQL table lock). Running as root, a read-only file
/// mode would not stop anything, so the lock is the honest fault here.
pub enum WriteLock {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::SqlitePool),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>, sqlx::PgPool),
}

impl TestStore {
    pub async fn lock_writes(&self) -> WriteLock {
        match &self.schema {
            None => {
                let path = self.url.trim_start_matches("sqlite://");
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(path))
                    .await
                    .expect("locker connect");
                let tx = pool
                    .begin_with("BEGIN EXCLUSIVE")
                    .await
                    .expect("exclusive lock");
                WriteLock::Sqlite(tx, pool)
            }
            Some(schema) => {
                use std::str::FromStr;
                let options = sqlx::postgres::PgConnectOptions::from_str(&self.url)
                    .expect("pg url")
                    .options([("search_path", schema.as_str())]);
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .expect("locker connect");
                let mut tx = pool.begin().await.expect("begin");
                sqlx::query("LOCK TABLE call_events IN EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await
                    .expect("table lock");
                WriteLock::Postgres(tx, pool)
            }
        }
    }

    /// A store on the same database whose statements give up on a lock
    /// after `timeout`.
    pub async fn impatient_store(&self, timeout: Duration) -> Store {
        let mut o = self.options();
        o.lock_timeout = timeout;
        Store::connect_with(&self.url, o)
            .await
            .expect("impatient store")
    }
}

impl WriteLock {
    pub async fn release(self) {
        match self {
            WriteLock::Sqlite(tx, pool) => {
                tx.rollback().await.expect("rollback");
                pool.close().await;
            }
            WriteLock::Postgres(tx, pool) => {
                tx.rollback().await.expect("rollback");
                pool.close().await;
            }
        }
    }
}

/// Waits (bounded) until the writer's spool is empty.
pub async fn wait_until_spool_empty(handle: &hotline_store::EventWriterHandle) {
    for _ in 0..400 {
        handle.flush().await.expect("flush");
        if handle.stats().pending_in_spool == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the spool never drained: {:?}", handle.stats());
}

impl TestStore {
    /// Runs a query returning one text (or null) column, outside the store
    /// API, to look at what is really stored.
    pub async fn raw_strings(&self, sql: &str) -> Vec<Option<String>> {
        match &self.schema {
            None => {
                let pool = sqlx::SqlitePool::connect(&self.url)
                    .await
                    .expect("raw connect");
                let out = sqlx::query_scalar(sql).fetch_all(&pool).await.expect(sql);
                pool.close().await;
                out
            }
            Some(schema) => {
                use std::str::FromStr;
                let options = sqlx::postgres::PgConnectOptions::from_str(&self.url)
                    .expect("pg url")
                    .options([("search_path", schema.as_str())]);
                let pool = sqlx::PgPool::connect_with(options)
                    .await
                    .expect("raw connect");
                let out = sqlx::query_scalar(sql).fetch_all(&pool).await.expect(sql);
                pool.close().await;
                out
            }
        }
    }

    /// Every (table, column) of the store's schema whose type holds text.
    pub async fn text_columns(&self) -> Vec<(String, String)> {
        let pairs = match &self.schema {
            None => {
                self.raw_strings(
                    "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
                     AND upper(p.type) = 'TEXT'",
                )
                .await
            }
            Some(schema) => {
                self.raw_strings(&format!(
                    "SELECT table_name::text || '.' || column_name::text FROM information_schema.columns \
                     WHERE table_schema = '{schema}' AND table_name NOT LIKE '\\_sqlx%' AND data_type = 'text'"
                ))
                .await
            }
        };
        pairs
            .into_iter()
            .flatten()
            .filter_map(|p| p.split_once('.').map(|(t, c)| (t.to_owned(), c.to_owned())))
            .collect()
    }
}

pub mod orders;
pub mod retention;
