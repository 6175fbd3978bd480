//! What the nodes of a centre share beyond their leases (`nodes.rs`): the
//! agents' phones' registrations, the messages between nodes, and which
//! node holds the centre's ACD.
//!
//! - A phone registers with whichever node Kamailio hands its REGISTER to;
//!   every node writes its live registrations here (`put_registrations`),
//!   so any node finds any phone (`registration`).
//! - Messages between nodes are PostgreSQL notifications (`LISTEN` /
//!   `NOTIFY`): a batch is sent in one statement, in order, in one
//!   transaction (`bus_send`); a message over the 8,000-byte limit waits in
//!   `bus_spill` and its notification carries only `@<id>`. Channels and
//!   the lock are named after the store's schema (`centre_name`), since
//!   notifications and advisory locks are per database.
//! - One node of the centre leads its ACD: it holds a session-level
//!   advisory lock on a connection of its own (`try_lead`). A node that
//!   dies loses its connection and with it the lock; the next node to ask
//!   gets it.
//!
//! PostgreSQL only: a centre of several nodes shares one PostgreSQL. On
//! SQLite these answer [`StoreError::InvalidValue`] (registrations are kept
//! on both, for the migrations to match).

use sqlx::postgres::{PgListener, PgPool};
use sqlx::{Connection, PgConnection};

use crate::db::{with_pool, Pool};
use crate::error::{Result, StoreError};
use crate::Store;

/// A phone's registration as a node's registrar keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Registration {
    pub sip_user: String,
    pub contact: String,
    /// The address its REGISTER came from (`ip:port`).
    pub source: String,
    /// `Udp`, `Tcp` or `Tls`.
    pub transport: String,
    /// The digest algorithm it authenticated with, if any.
    pub digest: Option<String>,
    pub expires_at_ms: i64,
    pub node_id: String,
}

/// The largest notification payload PostgreSQL takes is 8,000 bytes; a
/// longer message is spilled.
const MAX_PAYLOAD: usize = 7_900;

impl Store {
    /// Replaces `node`'s registrations with `live`: each upserted (a phone
    /// that moved to this node is this node's now), this node's others
    /// deleted.
    pub async fn put_registrations(&self, node: &str, live: &[Registration]) -> Result<()> {
        let users: Vec<String> = live.iter().map(|r| r.sip_user.clone()).collect();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for r in live {
                sqlx::query(
                    "INSERT INTO registrations \
                     (sip_user, contact, source, transport, digest, expires_at_ms, node_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (sip_user) DO UPDATE SET contact = excluded.contact, \
                     source = excluded.source, transport = excluded.transport, \
                     digest = excluded.digest, expires_at_ms = excluded.expires_at_ms, \
                     node_id = excluded.node_id",
                )
                .bind(&r.sip_user)
                .bind(&r.contact)
                .bind(&r.source)
                .bind(&r.transport)
                .bind(&r.digest)
                .bind(r.expires_at_ms)
                .bind(node)
                .execute(&mut *tx)
                .await?;
            }
            let mine: Vec<(String,)> =
                sqlx::query_as("SELECT sip_user FROM registrations WHERE node_id = $1")
                    .bind(node)
                    .fetch_all(&mut *tx)
                    .await?;
            for (user,) in mine {
                if !users.contains(&user) {
                    sqlx::query("DELETE FROM registrations WHERE sip_user = $1 AND node_id = $2")
                        .bind(&user)
                        .bind(node)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// `sip_user`'s registration on any node, if it runs past `now_ms`.
    pub async fn registration(&self, sip_user: &str, now_ms: i64) -> Result<Option<Registration>> {
        let row = with_pool!(self, |pool| {
            sqlx::query_as::<_, Registration>(
                "SELECT sip_user, contact, source, transport, digest, expires_at_ms, node_id \
                 FROM registrations WHERE sip_user = $1 AND expires_at_ms > $2",
            )
            .bind(sip_user)
            .bind(now_ms)
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    fn centre_pool(&self) -> Result<&PgPool> {
        match self.pool() {
            Pool::Postgres(pool) => Ok(pool),
            Pool::Sqlite(_) => Err(StoreError::InvalidValue {
                field: "database",
                reason: "a centre of several nodes needs PostgreSQL".into(),
            }),
        }
    }

    /// The name of this store's centre, `hotline.<schema>`: channels and
    /// locks are per database, and two centres may share one database in
    /// two schemas (the search path in the URL, or `postgres_schema`).
    pub async fn centre_name(&self) -> Result<String> {
        let pool = self.centre_pool()?;
        let (schema,): (Option<String>,) = sqlx::query_as("SELECT current_schema()::text")
            .fetch_one(pool)
            .await?;
        let schema = schema
            .or_else(|| self.inner.pg_schema.clone())
            .unwrap_or_else(|| "public".into());
        Ok(format!("hotline.{schema}"))
    }

    /// A listener on this store's database (it listens to nothing yet).
    pub async fn bus_listener(&self) -> Result<BusListener> {
        let pool = self.centre_pool()?.clone();
        let listener = PgListener::connect_with(&pool).await?;
        Ok(BusListener { listener, pool })
    }

    /// Sends `(channel, body)` notifications in order, in one statement
    /// (one round trip; its notifications are delivered together, in
    /// order, when it commits). Long bodies are spilled first.
    pub async fn bus_send(&self, messages: &[(String, String)]) -> Result<()> {
        let pool = self.centre_pool()?;
        let mut conn = pool.acquire().await?;
        send_on(&mut conn, messages).await
    }

    /// A connection of its own for sending, so that messages between nodes
    /// never wait for one of the pool's.
    pub async fn bus_sender(&self) -> Result<BusSender> {
        let pool = self.centre_pool()?;
        Ok(BusSender {
            conn: pool.acquire().await?.detach(),
        })
    }
}

/// Sends messages on a connection of its own ([`Store::bus_sender`]).
#[derive(Debug)]
pub struct BusSender {
    conn: PgConnection,
}

impl BusSender {
    /// As [`Store::bus_send`]; after an error, make a new sender.
    pub async fn send(&mut self, messages: &[(String, String)]) -> Result<()> {
        send_on(&mut self.conn, messages).await
    }
}

async fn send_on(conn: &mut PgConnection, messages: &[(String, String)]) -> Result<()> {
    {
        if messages.is_empty() {
            return Ok(());
        }
        let mut channels = Vec::with_capacity(messages.len());
        let mut bodies = Vec::with_capacity(messages.len());
        for (channel, body) in messages {
            channels.push(channel.as_str());
            if body.len() > MAX_PAYLOAD {
                let (id,): (i64,) =
                    sqlx::query_as("INSERT INTO bus_spill (body) VALUES ($1) RETURNING id")
                        .bind(body)
                        .fetch_one(&mut *conn)
                        .await?;
                bodies.push(format!("@{id}"));
            } else {
                bodies.push(body.clone());
            }
        }
        sqlx::query(
            "SELECT pg_notify(c, b) FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY \
             AS m(c, b, n) ORDER BY n",
        )
        .bind(&channels)
        .bind(&bodies)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Takes the lock `key` (e.g. `<centre_name>.acd`) if nobody holds it:
    /// `Some` while this process keeps the returned connection.
    pub async fn try_lead(&self, key: &str) -> Result<Option<Leadership>> {
        let pool = self.centre_pool()?;
        let mut conn = pool.acquire().await?.detach();
        let (got,): (bool,) =
            sqlx::query_as("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                .bind(key)
                .fetch_one(&mut conn)
                .await?;
        Ok(got.then_some(Leadership { conn }))
    }
}

/// Holding the centre's lock: dropping it (or losing the connection)
/// lets it go.
#[derive(Debug)]
pub struct Leadership {
    conn: PgConnection,
}

impl Leadership {
    /// Whether the lock is still held: its connection still answers.
    pub async fn holds(&mut self) -> bool {
        self.conn.ping().await.is_ok()
    }
}

/// Notifications arriving on this node.
pub struct BusListener {
    listener: PgListener,
    pool: PgPool,
}

impl std::fmt::Debug for BusListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusListener").finish_non_exhaustive()
    }
}

/// What [`BusListener::recv`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    Message {
        channel: String,
        body: String,
    },
    /// The connection was lost: notifications may have been missed. The
    /// next `recv` reconnects and listens again.
    Lost,
}

impl BusListener {
    pub async fn listen(&mut self, channel: &str) -> Result<()> {
        self.listener.listen(channel).await?;
        Ok(())
    }

    /// The next notification (a spilled one read back and deleted).
    pub async fn recv(&mut self) -> Result<Heard> {
        let Some(n) = self.listener.try_recv().await? else {
            return Ok(Heard::Lost);
        };
        let channel = n.channel().to_owned();
        let payload = n.payload();
        let body = match payload.strip_prefix('@').map(str::parse::<i64>) {
            Some(Ok(id)) => {
                let row: Option<(String,)> =
                    sqlx::query_as("DELETE FROM bus_spill WHERE id = $1 RETURNING body")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                match row {
                    Some((body,)) => body,
                    None => return Ok(Heard::Lost),
                }
            }
            _ => payload.to_owned(),
        };
        Ok(Heard::Message { channel, body })
    }
}
