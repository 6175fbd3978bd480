//! Work orders on disk: each order's append-only log (`case_events`) and its
//! `cases` row, the projection of the folded order.
//!
//! The store drives the sans-IO core of `hotline-orders` as its contract
//! says: load the log and fold it ([`WorkOrder::from_events`]), let the core
//! decide ([`WorkOrder::create`], [`WorkOrder::decide`],
//! [`WorkOrder::merge`]), then append the events and rewrite the projection
//! from the order they fold into, in one transaction. A refused command
//! comes back as [`StoreError::Order`] with the core's error untouched, and
//! writes nothing.
//!
//! Concurrency is optimistic: the append moves the row's `event_count` on
//! from the number of events the command was decided on (a compare-and-set,
//! backed by the log's primary key). Whoever loses waits a few random
//! milliseconds and decides again on the fresh log, up to [`ACT_ATTEMPTS`]
//! times in all, then gets
//! [`StoreError::OrderConflict`]. So the log never has gaps or duplicates,
//! and every command was decided on the order as it was when appended.
//!
//! Legacy cases: a `cases` row without events (`event_count = 0`: opened
//! before migration 0004, or with `create_case`) is not a work order. No
//! history is invented for it; the functions here answer
//! [`StoreError::LegacyCase`], and `cases.rs` keeps reading and changing it.
//!
//! The projection (see `migrations/*/0004_work_orders.sql`) is only ever
//! written from a folded [`WorkOrder`]; the order's phase is mapped onto
//! today's `status` so that the case statistics and the screen-pop read
//! work orders as they read cases ([`case_status_of`]).
//!
//! Must not touch: what a command means or who may give it (the core
//! decides), the clock (every function takes `now`).

use std::time::Duration;

use hotline_orders::{
    Actor, CategoryCode, Channel, Command, Location, NewOrder, OrderChange, OrderEvent, Phase,
    Rules, UserId, WorkOrder,
};
use hotline_types::{CallId, CaseRef, CitizenId, Timestamp};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{insert_audit, AuditContext};
use crate::cases::{next_case_ref, CaseStatus};
use crate::citizens::check_free_text;
use crate::db::{values_placeholders, with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::stats::UNASSIGNED_DEPARTMENT;
use crate::Store;

/// How many times a command is decided when other writers keep appending
/// to the same order in the meantime, before [`StoreError::OrderConflict`].
pub const ACT_ATTEMPTS: u32 = 6;

/// Longest texts the store keeps (characters).
const MAX_SUMMARY_CHARS: usize = 4000;
const MAX_ADDRESS_CHARS: usize = 500;
const MAX_TEXT_CHARS: usize = 8000;

/// A new order as the agent takes it down; the store gives it its
/// reference (the day's next, as [`Store::create_case`] does).
#[derive(Debug, Clone, PartialEq)]
pub struct NewWorkOrder {
    /// The call it was taken on (erasing the citizen anonymises that call).
    pub call: Option<CallId>,
    pub channel: Channel,
    pub category: CategoryCode,
    /// The reporting citizen; `None` for an anonymous report.
    pub citizen: Option<CitizenId>,
    pub location: Location,
    pub summary: String,
}

/// A work order as its log makes it, with the length of that log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredOrder {
    pub order: WorkOrder,
    /// Events in its log (numbered 1..=events).
    pub events: u64,
}

/// A new order, and why the step given with it was not taken, if it was not.
#[derive(Debug)]
pub struct TakenDown {
    /// The order as it now is: after the step, or as created.
    pub order: StoredOrder,
    /// Why the step was refused or failed (the order waits at the hotline).
    pub then_refused: Option<StoreError>,
}

/// Both orders of a merge, after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedOrders {
    pub duplicate: StoredOrder,
    pub master: StoredOrder,
}

/// The `status` a work order shows to today's case readers (statistics,
/// screen-pop, IVR): open while the hotline or a department still has work
/// (a returned order waits at the hotline like a new one; a replied order
/// is with the department until it closes), `closed` once closed (办结),
/// followed up or merged away. The statistics' completion time of a work
/// order is its close (`closed_at_ms`), as the core's on-time figure.
pub fn case_status_of(phase: Phase) -> CaseStatus {
    match phase {
        Phase::New | Phase::Returned => CaseStatus::Accepted,
        Phase::Dispatched => CaseStatus::Dispatched,
        Phase::InProgress | Phase::Replied => CaseStatus::InProgress,
        Phase::Reopened => CaseStatus::Reopened,
        Phase::Closed | Phase::FollowedUp | Phase::Merged => CaseStatus::Closed,
    }
}

pub(crate) const PHASES: [Phase; 9] = [
    Phase::New,
    Phase::Dispatched,
    Phase::InProgress,
    Phase::Returned,
    Phase::Replied,
    Phase::Closed,
    Phase::FollowedUp,
    Phase::Reopened,
    Phase::Merged,
];

pub(crate) fn parse_phase(name: &str) -> Result<Phase> {
    PHASES
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| StoreError::CorruptData {
            what: "work-order phase",
            detail: name.to_owned(),
        })
}

pub(crate) fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Call => "call",
        Channel::VoiceMessage => "voice_message",
        Channel::Web => "web",
        Channel::Email => "email",
        Channel::Other => "other",
    }
}

pub(crate) fn parse_channel(name: &str) -> Result<Channel> {
    [
        Channel::Call,
        Channel::VoiceMessage,
        Channel::Web,
        Channel::Email,
        Channel::Other,
    ]
    .into_iter()
    .find(|c| channel_name(*c) == name)
    .ok_or_else(|| StoreError::CorruptData {
        what: "work-order channel",
        detail: name.to_owned(),
    })
}

/// The projection's columns that change with the order, from the folded
/// order alone.
struct Projection {
    department: String,
    status: &'static str,
    phase: &'static str,
    deadline_at_ms: Option<i64>,
    updated_at_ms: i64,
    closed_at_ms: Option<i64>,
    satisfaction: Option<i64>,
    merged_into: Option<String>,
    handler: Option<String>,
    replied: i64,
    extension_pending: i64,
    resolved_on_call: i64,
    closed_on_time: Option<i64>,
    follow_up_due_at_ms: Option<i64>,
    follow_ups_awaited: i64,
    follow_up_next_call_at_ms: Option<i64>,
    follow_ups_listed: i64,
    /// The deadline in force while its department has been reminded of it
    /// (`WorkOrder::reminded`), NULL otherwise: the projection is written
    /// with every event, so the lists read "reminded" as NOT NULL.
    reminded_deadline_at_ms: Option<i64>,
    counters: [i64; 8],
    event_count: i64,
}

impl Projection {
    fn of(order: &WorkOrder, event_count: u64) -> Self {
        let c = order.counters();
        let closure = order.closure();
        Self {
            // The column is NOT NULL; an order waiting at the hotline (new
            // or returned) has no department yet.
            department: order
                .department()
                .map_or(UNASSIGNED_DEPARTMENT, |d| d.as_str())
                .to_owned(),
            status: case_status_of(order.phase()).as_str(),
            phase: order.phase().name(),
            deadline_at_ms: order.deadline().map(Timestamp::as_millis),
            updated_at_ms: order.updated_at().as_millis(),
            closed_at_ms: closure.map(|c| c.at.as_millis()),
            // The order's own reporter's latest evaluation (回访评价).
            satisfaction: order
                .follow_ups()
                .iter()
                .rev()
                .find(|f| &f.reporter == order.reference())
                .map(|f| i64::from(f.score)),
            merged_into: order.merged_into().map(|m| m.digits().to_owned()),
            handler: order.handler().map(|h| h.as_str().to_owned()),
            replied: i64::from(order.reply().is_some()),
            extension_pending: i64::from(order.pending_extension().is_some()),
            resolved_on_call: i64::from(closure.is_some_and(|c| c.resolved_on_call)),
            closed_on_time: order.closed_on_time().map(i64::from),
            follow_up_due_at_ms: order.follow_up_due().map(Timestamp::as_millis),
            follow_ups_awaited: order.follow_up_calls().len() as i64,
            follow_up_next_call_at_ms: order.next_follow_up_call_at().map(Timestamp::as_millis),
            follow_ups_listed: order
                .follow_up_calls()
                .iter()
                .filter(|c| c.next_attempt_at.is_none())
                .count() as i64,
            reminded_deadline_at_ms: order
                .reminded()
                .then(|| order.deadline().map(Timestamp::as_millis))
                .flatten(),
            counters: [
                c.returns,
                c.redispatches,
                c.urges,
                c.extensions_requested,
                c.extensions_approved,
                c.extensions_refused,
                c.reopens,
                c.follow_ups,
            ]
            .map(i64::from),
            event_count: i64::try_from(event_count).unwrap_or(i64::MAX),
        }
    }
}

/// Moves the row of `$case_id` from `$expected` events to the folded
/// `$order` and appends `$events` as its next ones, inside the caller's
/// write transaction `$tx`. Evaluates to `Ok(false)`, having written
/// nothing that the caller may keep, when another writer got there first
/// (the caller rolls back and decides again).
macro_rules! append_to_order {
    ($tx:expr, $case_id:expr, $expected:expr, $order:expr, $events:expr) => {{
        let case_id: i64 = $case_id;
        let expected: u64 = $expected;
        let order: &hotline_orders::WorkOrder = $order;
        let events: &[hotline_orders::OrderEvent] = $events;
        async {
            let p = Projection::of(order, expected + events.len() as u64);
            let [returns, redispatches, urges, requested, approved, refused, reopens, follow_ups] =
                p.counters;
            let moved = sqlx::query(
                "UPDATE cases SET department = $1, status = $2, phase = $3, deadline_at_ms = $4, \
                 updated_at_ms = $5, closed_at_ms = $6, satisfaction = $7, merged_into = $8, \
                 handler = $9, replied = $10, extension_pending = $11, resolved_on_call = $12, \
                 closed_on_time = $13, follow_up_due_at_ms = $14, follow_ups_awaited = $15, \
                 returns = $16, redispatches = $17, urges = $18, extensions_requested = $19, \
                 extensions_approved = $20, extensions_refused = $21, reopens = $22, \
                 follow_ups = $23, event_count = $24, follow_up_next_call_at_ms = $25, \
                 follow_ups_listed = $26, reminded_deadline_at_ms = $27 \
                 WHERE case_id = $28 AND event_count = $29",
            )
            .bind(p.department.as_str())
            .bind(p.status)
            .bind(p.phase)
            .bind(p.deadline_at_ms)
            .bind(p.updated_at_ms)
            .bind(p.closed_at_ms)
            .bind(p.satisfaction)
            .bind(p.merged_into.as_deref())
            .bind(p.handler.as_deref())
            .bind(p.replied)
            .bind(p.extension_pending)
            .bind(p.resolved_on_call)
            .bind(p.closed_on_time)
            .bind(p.follow_up_due_at_ms)
            .bind(p.follow_ups_awaited)
            .bind(returns)
            .bind(redispatches)
            .bind(urges)
            .bind(requested)
            .bind(approved)
            .bind(refused)
            .bind(reopens)
            .bind(follow_ups)
            .bind(p.event_count)
            .bind(p.follow_up_next_call_at_ms)
            .bind(p.follow_ups_listed)
            .bind(p.reminded_deadline_at_ms)
            .bind(case_id)
            .bind(i64::try_from(expected).unwrap_or(i64::MAX))
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if moved == 0 {
                return Ok::<bool, StoreError>(false);
            }
            if events.is_empty() {
                return Ok(true);
            }
            let sql = format!(
                "INSERT INTO case_events (case_id, seq, at_ms, actor, kind, payload) VALUES {}",
                values_placeholders(events.len(), 6)
            );
            let mut insert = sqlx::query(&sql);
            for (i, event) in events.iter().enumerate() {
                insert = insert
                    .bind(case_id)
                    .bind(i64::try_from(expected + 1 + i as u64).unwrap_or(i64::MAX))
                    .bind(event.at.as_millis())
                    .bind(event.by.as_str().to_owned())
                    .bind(event.change.kind())
                    .bind(change_payload(&event.change)?);
            }
            match insert.execute(&mut *$tx).await.map_err(StoreError::from) {
                // The official figures, in the same transaction (order_report.rs).
                Ok(_) => crate::order_report::record_order_figures!($tx, case_id, expected, events)
                    .map(|()| true),
                // Only a writer that skipped the row's version gets here.
                Err(StoreError::AlreadyExists { .. }) => Ok(false),
                Err(e) => Err(e),
            }
        }
        .await
    }};
}

pub(crate) fn change_payload(change: &OrderChange) -> Result<String> {
    serde_json::to_string(change).map_err(|e| StoreError::CorruptData {
        what: "work-order event",
        detail: e.to_string(),
    })
}

pub(crate) fn parse_change(payload: &str) -> Result<OrderChange> {
    serde_json::from_str(payload).map_err(|e| StoreError::CorruptData {
        what: "work-order event",
        detail: e.to_string(),
    })
}

/// One stored event.
#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at_ms: i64,
    actor: String,
    payload: String,
}

/// An order as loaded for a command: its row id, its citizen (for the
/// audit) and its folded log.
pub(crate) struct Loaded {
    pub(crate) case_id: i64,
    pub(crate) citizen: Option<i64>,
    pub(crate) order: WorkOrder,
    pub(crate) events: Vec<OrderEvent>,
}

/// The largest attachment, in bytes (a phone's photo, a scanned letter).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The kinds of file an order may hold: pictures, PDF, plain text and the
/// two audio formats a citizen's recording comes in. Anything else (HTML,
/// scripts, archives) is refused, and downloads are served as attachments
/// with `nosniff`, so no file runs in a console page.
pub const ATTACHMENT_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/pdf",
    "text/plain",
    "audio/wav",
    "audio/mpeg",
];

/// An attachment's description and bytes.
#[derive(Debug, Clone)]
pub struct AttachmentData {
    pub attachment: hotline_orders::Attachment,
    pub data: Vec<u8>,
}

/// What a request for one of an order's files came to.
#[derive(Debug, Clone)]
pub enum AttachmentRead {
    /// No such order or attachment, or its bytes were erased.
    NotFound,
    /// The order is there and the reader may not have its files.
    Refused,
    Found(AttachmentData),
}

fn attachment_type(content_type: &str) -> Result<&'static str> {
    // "text/plain; charset=utf-8" is text/plain.
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    ATTACHMENT_TYPES
        .iter()
        .find(|t| **t == essence)
        .copied()
        .ok_or_else(|| StoreError::InvalidValue {
            field: "attachment type",
            reason: format!(
                "one of {}, not {content_type:?}",
                ATTACHMENT_TYPES.join(", ")
            ),
        })
}

/// The texts a command would store, checked against the store's limits
/// (the core checks that they are not empty).
fn check_command(command: &Command) -> Result<()> {
    match command {
        Command::ResolveOnCall { reply } => check_free_text("reply", reply, MAX_TEXT_CHARS),
        Command::AddNote { text } => check_free_text("note", text, MAX_TEXT_CHARS),
        Command::RequestExtension { reason, .. } | Command::Return { reason } => {
            check_free_text("reason", reason, MAX_TEXT_CHARS)
        }
        Command::Urge { note } => check_free_text("note", note, MAX_TEXT_CHARS),
        Command::Reply { text } => check_free_text("reply", text, MAX_TEXT_CHARS),
        Command::Dispatch
        | Command::AddAttachment { .. }
        | Command::Accept
        | Command::DecideExtension { .. }
        | Command::Redispatch { .. }
        | Command::Close
        | Command::RecordFollowUp { .. }
        | Command::RecordFollowUpAttempt { .. }
        | Command::Remind { .. } => Ok(()),
    }
}

impl Store {
    /// Takes a new order down (受理): allocates the day's next reference,
    /// lets the core check and create it, and writes its row and its
    /// `created` event in one transaction (audited as `create_work_order`).
    /// A refusal ([`StoreError::Order`]) writes nothing and uses up no
    /// reference.
    pub async fn create_work_order(
        &self,
        ctx: &AuditContext,
        rules: Rules<'_>,
        now: Timestamp,
        actor: &Actor,
        new: NewWorkOrder,
    ) -> Result<StoredOrder> {
        ctx.check()?;
        check_free_text("summary", &new.summary, MAX_SUMMARY_CHARS)?;
        check_free_text("address", &new.location.address, MAX_ADDRESS_CHARS)?;
        let call = new.call;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let reference = next_case_ref!(&mut *tx, now)?;
            let events = WorkOrder::create(
                rules,
                now,
                actor,
                NewOrder {
                    reference: reference.clone(),
                    channel: new.channel,
                    category: new.category,
                    citizen: new.citizen,
                    location: new.location,
                    summary: new.summary,
                },
            )?;
            let order = fold(&events)?;
            let location = order.location();
            let coordinates = location.coordinates;
            let p = Projection::of(&order, 0);
            let case_id: i64 = sqlx::query_scalar(
                "INSERT INTO cases (case_ref, citizen_id, call_id, category, department, status, \
                 summary, opened_at_ms, updated_at_ms, phase, channel, district, street, address, \
                 latitude, longitude, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 RETURNING case_id",
            )
            .bind(reference.digits())
            .bind(order.citizen().map(|c| c.0))
            .bind(call.map(|c| c.to_string()))
            .bind(order.category().as_str())
            .bind(p.department.as_str())
            .bind(p.status)
            .bind(order.summary())
            .bind(order.created_at().as_millis())
            .bind(p.phase)
            .bind(channel_name(order.channel()))
            .bind(location.district.as_str())
            .bind(location.street.as_str())
            .bind(location.address.as_str())
            .bind(coordinates.map(|c| c.latitude))
            .bind(coordinates.map(|c| c.longitude))
            .bind(order.created_by().as_str())
            .fetch_one(&mut *tx)
            .await?;
            if !append_to_order!(tx, case_id, 0, &order, &events)? {
                // The row was inserted in this very transaction.
                return Err(StoreError::Concurrent {
                    what: "the new work order",
                });
            }
            insert_audit!(
                &mut *tx,
                ctx,
                "create_work_order",
                order.citizen().map(|c| c.0),
                Some(reference.digits().to_owned())
            )?;
            tx.commit().await?;
            Ok(StoredOrder {
                order,
                events: events.len() as u64,
            })
        })
    }

    /// Takes a new order down ([`Store::create_work_order`]) and, with
    /// `then`, gives it that command at once as that actor (派单, or 直接办结
    /// on the call), as the console, the IVR and Open311 do. The order
    /// exists whatever the second step says: a refused or failed `then`
    /// leaves it as created (waiting at the hotline) and is returned in
    /// [`TakenDown::then_refused`] for the caller to report.
    pub async fn take_down_work_order(
        &self,
        ctx: &AuditContext,
        rules: Rules<'_>,
        now: Timestamp,
        actor: &Actor,
        new: NewWorkOrder,
        then: Option<(Actor, Command)>,
    ) -> Result<TakenDown> {
        let created = self.create_work_order(ctx, rules, now, actor, new).await?;
        let Some((then_actor, command)) = then else {
            return Ok(TakenDown {
                order: created,
                then_refused: None,
            });
        };
        let reference = created.order.reference().clone();
        Ok(
            match self
                .act_on_order(ctx, rules, now, &then_actor, &reference, command)
                .await
            {
                Ok(order) => TakenDown {
                    order,
                    then_refused: None,
                },
                Err(e) => TakenDown {
                    order: created,
                    then_refused: Some(e),
                },
            },
        )
    }

    /// The order folded from its log, with the log's length; `None` if no
    /// case has this reference, [`StoreError::LegacyCase`] for a case
    /// without a log. Audited as `view_work_order` (its summary, notes and
    /// reporters are personal data).
    pub async fn work_order(
        &self,
        ctx: &AuditContext,
        reference: &CaseRef,
    ) -> Result<Option<StoredOrder>> {
        Ok(self
            .viewed(ctx, reference, "view_work_order")
            .await?
            .map(|loaded| StoredOrder {
                events: loaded.events.len() as u64,
                order: loaded.order,
            }))
    }

    /// The order's log, oldest first (for its history); audited like
    /// [`Store::work_order`].
    pub async fn work_order_events(
        &self,
        ctx: &AuditContext,
        reference: &CaseRef,
    ) -> Result<Option<Vec<OrderEvent>>> {
        Ok(self
            .viewed(ctx, reference, "view_work_order")
            .await?
            .map(|loaded| loaded.events))
    }

    async fn viewed(
        &self,
        ctx: &AuditContext,
        reference: &CaseRef,
        action: &str,
    ) -> Result<Option<Loaded>> {
        ctx.check()?;
        let Some(loaded) = self.load_order(reference).await? else {
            return Ok(None);
        };
        with_pool!(self, |pool| {
            insert_audit!(
                pool,
                ctx,
                action,
                loaded.citizen,
                Some(reference.digits().to_owned())
            )?;
        });
        Ok(Some(loaded))
    }

    /// Lets `actor` give `command` to the order: loads and folds its log,
    /// lets the core decide, appends the events and rewrites the row in one
    /// transaction (audited as `act_on_order`), and returns the order as it
    /// now is.
    ///
    /// A refused command is [`StoreError::Order`] with the core's
    /// [`OrderError`](hotline_orders::OrderError) and writes nothing. If
    /// other writers append to the order meanwhile, the command is decided
    /// again on the fresh log (it may then be refused), up to
    /// [`ACT_ATTEMPTS`] times, then [`StoreError::OrderConflict`].
    pub async fn act_on_order(
        &self,
        ctx: &AuditContext,
        rules: Rules<'_>,
        now: Timestamp,
        actor: &Actor,
        reference: &CaseRef,
        command: Command,
    ) -> Result<StoredOrder> {
        self.act(ctx, rules, now, actor, reference, command, None)
            .await
    }

    /// Adds a file to the order's file: the core decides (only the
    /// handling department, at most [`hotline_orders::MAX_ATTACHMENTS`]),
    /// and the `attachment_added` event and the bytes are written in one
    /// transaction (audited as `act_on_order`). The bytes may be at most
    /// [`MAX_ATTACHMENT_BYTES`]; `content_type` one of
    /// [`ATTACHMENT_TYPES`].
    #[allow(clippy::too_many_arguments)]
    pub async fn attach_to_order(
        &self,
        ctx: &AuditContext,
        rules: Rules<'_>,
        now: Timestamp,
        actor: &Actor,
        reference: &CaseRef,
        name: &str,
        content_type: &str,
        data: &[u8],
    ) -> Result<StoredOrder> {
        let content_type = attachment_type(content_type)?;
        if data.is_empty() || data.len() > MAX_ATTACHMENT_BYTES {
            return Err(StoreError::InvalidValue {
                field: "attachment",
                reason: format!(
                    "a file of 1 to {MAX_ATTACHMENT_BYTES} bytes, not {}",
                    data.len()
                ),
            });
        }
        let command = Command::AddAttachment {
            name: name.to_owned(),
            content_type: content_type.to_owned(),
            bytes: data.len() as u64,
            sha256: hex::encode(Sha256::digest(data)),
        };
        self.act(ctx, rules, now, actor, reference, command, Some(data))
            .await
    }

    /// One attachment of an order, with its bytes, for a reader that
    /// `may_read` the order's files (asked of the order as it is: the one
    /// load the download needs). Audited as `view_attachment` (a file may
    /// hold personal data) when the attachment exists and the reader may
    /// have it; a refusal reads no bytes.
    pub async fn order_attachment(
        &self,
        ctx: &AuditContext,
        reference: &CaseRef,
        id: u32,
        may_read: impl FnOnce(&WorkOrder) -> bool,
    ) -> Result<AttachmentRead> {
        ctx.check()?;
        let Some(loaded) = self.load_order(reference).await? else {
            return Ok(AttachmentRead::NotFound);
        };
        if !may_read(&loaded.order) {
            return Ok(AttachmentRead::Refused);
        }
        let Some(attachment) = loaded
            .order
            .attachments()
            .iter()
            .find(|a| a.id == id)
            .cloned()
        else {
            return Ok(AttachmentRead::NotFound);
        };
        let data: Option<Vec<u8>> = with_pool!(self, |pool| {
            insert_audit!(
                pool,
                ctx,
                "view_attachment",
                loaded.citizen,
                Some(reference.digits().to_owned())
            )?;
            sqlx::query_scalar("SELECT data FROM order_attachments WHERE case_id = $1 AND id = $2")
                .bind(loaded.case_id)
                .bind(i64::from(id))
                .fetch_optional(pool)
                .await?
        });
        // An erased citizen's files are gone while the log keeps the event.
        Ok(match data {
            Some(data) => AttachmentRead::Found(AttachmentData { attachment, data }),
            None => AttachmentRead::NotFound,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn act(
        &self,
        ctx: &AuditContext,
        rules: Rules<'_>,
        now: Timestamp,
        actor: &Actor,
        reference: &CaseRef,
        command: Command,
        attachment: Option<&[u8]>,
    ) -> Result<StoredOrder> {
        ctx.check()?;
        check_command(&command)?;
        for attempt in 1..=ACT_ATTEMPTS {
            let Loaded {
                case_id,
                citizen,
                mut order,
                events: log,
            } = self
                .load_order(reference)
                .await?
                .ok_or_else(|| not_found(reference))?;
            let events = order.decide(rules, now, actor, command.clone())?;
            for event in &events {
                order
                    .apply(event)
                    .map_err(|e| inconsistent(reference, &e))?;
            }
            let expected = log.len() as u64;
            let appended = with_pool!(self, |pool| {
                let mut tx = pool.begin_write().await?;
                if append_to_order!(tx, case_id, expected, &order, &events)? {
                    let added = events.iter().find_map(|e| match &e.change {
                        OrderChange::AttachmentAdded {
                            id, content_type, ..
                        } => Some((*id, content_type)),
                        _ => None,
                    });
                    if let (Some((id, content_type)), Some(data)) = (added, attachment) {
                        sqlx::query(
                            "INSERT INTO order_attachments (case_id, id, content_type, data) \
                             VALUES ($1, $2, $3, $4)",
                        )
                        .bind(case_id)
                        .bind(i64::from(id))
                        .bind(content_type.as_str())
                        .bind(data)
                        .execute(&mut *tx)
                        .await?;
                    }
                    insert_audit!(
                        &mut *tx,
                        ctx,
                        "act_on_order",
                        citizen,
                        Some(reference.digits().to_owned())
                    )?;
                    tx.commit().await?;
                    true
                } else {
                    tx.rollback().await?;
                    false
                }
            });
            if appended {
                return Ok(StoredOrder {
                    order,
                    events: expected + events.len() as u64,
                });
            }
            if attempt < ACT_ATTEMPTS {
                back_off(attempt).await;
            }
        }
        Err(StoreError::OrderConflict {
            reference: reference.clone(),
            attempts: ACT_ATTEMPTS,
        })
    }

    /// Merges `duplicate` into `master` (the core's [`WorkOrder::merge`]):
    /// the duplicate is merged away, its reporters wait on the master, and
    /// both logs and rows change in one transaction (audited as
    /// `merge_orders` for each). Retried like [`Store::act_on_order`].
    pub async fn merge_orders(
        &self,
        ctx: &AuditContext,
        now: Timestamp,
        actor: &Actor,
        duplicate: &CaseRef,
        master: &CaseRef,
    ) -> Result<MergedOrders> {
        ctx.check()?;
        for attempt in 1..=ACT_ATTEMPTS {
            let mut dup = self
                .load_order(duplicate)
                .await?
                .ok_or_else(|| not_found(duplicate))?;
            let mut into = self
                .load_order(master)
                .await?
                .ok_or_else(|| not_found(master))?;
            let merge = WorkOrder::merge(now, actor, &dup.order, &into.order)?;
            for event in &merge.duplicate {
                dup.order
                    .apply(event)
                    .map_err(|e| inconsistent(duplicate, &e))?;
            }
            for event in &merge.master {
                into.order
                    .apply(event)
                    .map_err(|e| inconsistent(master, &e))?;
            }
            let (dup_expected, into_expected) = (dup.events.len() as u64, into.events.len() as u64);
            // Rows are moved in case_id order, so that two merges of the
            // same pair cannot wait for each other.
            let mut steps = [
                (&dup, dup_expected, &merge.duplicate, duplicate),
                (&into, into_expected, &merge.master, master),
            ];
            steps.sort_by_key(|(loaded, ..)| loaded.case_id);
            let appended = with_pool!(self, |pool| {
                let mut tx = pool.begin_write().await?;
                let mut all = true;
                for (loaded, expected, events, _) in &steps {
                    if !append_to_order!(tx, loaded.case_id, *expected, &loaded.order, events)? {
                        all = false;
                        break;
                    }
                }
                if all {
                    for (loaded, _, _, reference) in &steps {
                        insert_audit!(
                            &mut *tx,
                            ctx,
                            "merge_orders",
                            loaded.citizen,
                            Some(reference.digits().to_owned())
                        )?;
                    }
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                all
            });
            if appended {
                return Ok(MergedOrders {
                    duplicate: StoredOrder {
                        order: dup.order,
                        events: dup_expected + merge.duplicate.len() as u64,
                    },
                    master: StoredOrder {
                        order: into.order,
                        events: into_expected + merge.master.len() as u64,
                    },
                });
            }
            if attempt < ACT_ATTEMPTS {
                back_off(attempt).await;
            }
        }
        Err(StoreError::OrderConflict {
            reference: duplicate.clone(),
            attempts: ACT_ATTEMPTS,
        })
    }

    /// Loads and folds an order's log. The log is read in one statement (a
    /// consistent snapshot); its length is the version an append expects.
    pub(crate) async fn load_order(&self, reference: &CaseRef) -> Result<Option<Loaded>> {
        let (row, rows): (Option<(i64, Option<i64>)>, Vec<EventRow>) = with_pool!(self, |pool| {
            let row: Option<(i64, Option<i64>)> =
                sqlx::query_as("SELECT case_id, citizen_id FROM cases WHERE case_ref = $1")
                    .bind(reference.digits())
                    .fetch_optional(pool)
                    .await?;
            let rows =
                match row {
                    Some((case_id, _)) => sqlx::query_as::<_, EventRow>(
                        "SELECT seq, at_ms, actor, payload FROM case_events WHERE case_id = $1 \
                         ORDER BY seq",
                    )
                    .bind(case_id)
                    .fetch_all(pool)
                    .await?,
                    None => Vec::new(),
                };
            (row, rows)
        });
        let Some((case_id, citizen)) = row else {
            return Ok(None);
        };
        if rows.is_empty() {
            return Err(StoreError::LegacyCase {
                case_ref: reference.clone(),
            });
        }
        let mut events = Vec::with_capacity(rows.len());
        for (i, row) in rows.into_iter().enumerate() {
            if row.seq != i as i64 + 1 {
                return Err(StoreError::CorruptData {
                    what: "work-order log",
                    detail: format!("order {reference} has event {} at place {}", row.seq, i + 1),
                });
            }
            events.push(OrderEvent {
                at: Timestamp(row.at_ms),
                by: UserId::from(row.actor),
                change: parse_change(&row.payload)?,
            });
        }
        let order = fold(&events).map_err(|e| match e {
            StoreError::CorruptData { what, detail } => StoreError::CorruptData {
                what,
                detail: format!("order {reference}: {detail}"),
            },
            other => other,
        })?;
        Ok(Some(Loaded {
            case_id,
            citizen,
            order,
            events,
        }))
    }
}

/// After a lost append: a short random wait (up to 2, 4, 8.. 32 ms), so
/// that writers who collided do not collide again in step.
async fn back_off(attempt: u32) {
    let ms = rand::thread_rng().gen_range(0..=(2u64 << attempt.min(4)));
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Folds a stored (or just decided) log; one that does not fold is corrupt.
fn fold(events: &[OrderEvent]) -> Result<WorkOrder> {
    WorkOrder::from_events(events).map_err(|e| StoreError::CorruptData {
        what: "work-order log",
        detail: e.to_string(),
    })
}

/// The core decided events that do not fold: a broken promise of the core
/// (`decide` checks that its events fold), reported rather than stored.
fn inconsistent(reference: &CaseRef, e: &hotline_orders::OrderError) -> StoreError {
    StoreError::CorruptData {
        what: "decided work-order events",
        detail: format!("order {reference}: {e}"),
    }
}

fn not_found(reference: &CaseRef) -> StoreError {
    StoreError::NotFound {
        what: "work order",
        key: reference.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_read_back_and_match_the_core_s_json() {
        for phase in PHASES {
            assert_eq!(parse_phase(phase.name()).unwrap(), phase);
            let json = serde_json::to_value(phase).unwrap();
            assert_eq!(json.as_str(), Some(phase.name()));
        }
        for channel in [
            Channel::Call,
            Channel::VoiceMessage,
            Channel::Web,
            Channel::Email,
            Channel::Other,
        ] {
            assert_eq!(parse_channel(channel_name(channel)).unwrap(), channel);
            let json = serde_json::to_value(channel).unwrap();
            assert_eq!(json.as_str(), Some(channel_name(channel)));
        }
        assert!(parse_phase("lost").is_err());
    }

    #[test]
    fn open_phases_stay_open_for_today_s_readers() {
        for phase in PHASES {
            let open = case_status_of(phase).is_open();
            let done = matches!(phase, Phase::Closed | Phase::FollowedUp | Phase::Merged);
            assert_eq!(open, !done, "{phase}");
        }
    }
}
