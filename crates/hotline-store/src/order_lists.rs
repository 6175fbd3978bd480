//! Lists of work orders read from their projection: a department's inbox
//! with its classes, overdue orders, the follow-up calls due and the
//! agents' follow-up list. The follow-up lists pick their orders from the
//! projection (`follow_up_next_call_at_ms`, `follow_ups_listed`, migration
//! 0005) and read each reporter's calls from the folded log, which alone
//! holds them per reporter.
//!
//! The classes are those of [`hotline_orders::Inbox::classify`], written in
//! SQL: overdue when `now` is past the deadline, due soon when the deadline
//! falls within the window, otherwise new (dispatched, reopened) or in
//! progress (accepted, replied). An order with a department always has a
//! deadline (the core sets both together and clears both on a return).
//!
//! The lines hold no personal data (no summary, address or citizen), so
//! reading them is not audited; opening an order is ([`Store::work_order`]).

use std::fmt;
use std::str::FromStr;

use hotline_orders::{
    Actor, CalendarError, CategoryCode, Channel, Command, DepartmentId, FollowUpAttempt, Inbox,
    InboxStatus, OrderError, OrderRules, Phase, UserId,
};
use hotline_types::{CaseRef, CitizenId, Timestamp};
use serde::Serialize;

use crate::audit::{Access, AuditContext};
use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::orders::{parse_channel, parse_phase};
use crate::stats::UNASSIGNED_DEPARTMENT;
use crate::Store;

/// The most lines one list call returns.
pub const MAX_ORDERS_LISTED: u32 = 500;

/// The phases in which an order is with its department (in its inbox).
const WITH_DEPARTMENT: &str = "('dispatched', 'in_progress', 'replied', 'reopened')";

/// What a department's inbox is asked for.
#[derive(Debug, Clone)]
pub struct InboxQuery {
    pub department: DepartmentId,
    pub now: Timestamp,
    /// The end of the due-soon window; [`InboxQuery::new`] computes it as
    /// [`Inbox::classify`] does.
    pub due_soon_until: Timestamp,
    /// Only lines of this class; `None` for all.
    pub class: Option<InboxStatus>,
    /// At most this many lines (1..=[`MAX_ORDERS_LISTED`]).
    pub limit: u32,
    /// The page after this cursor (from [`InboxPage::next`]).
    pub after: Option<InboxCursor>,
}

impl InboxQuery {
    /// The first page of `department`'s inbox at `now`, the due-soon window
    /// as `inbox` has it (its calendar and number of working days).
    pub fn new(
        department: DepartmentId,
        now: Timestamp,
        inbox: &Inbox<'_>,
        limit: u32,
    ) -> Result<Self, CalendarError> {
        Ok(Self {
            department,
            now,
            due_soon_until: inbox.due_soon_until(now)?,
            class: None,
            limit,
            after: None,
        })
    }
}

/// Where the next page of an inbox starts: after the order with this
/// deadline and row. Written as text (`deadline.row`) for a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InboxCursor {
    deadline_at_ms: i64,
    case_id: i64,
}

impl fmt::Display for InboxCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.deadline_at_ms, self.case_id)
    }
}

impl FromStr for InboxCursor {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || StoreError::InvalidValue {
            field: "cursor",
            reason: "it is not a cursor this list gave out".into(),
        };
        let (deadline, case_id) = s.split_once('.').ok_or_else(bad)?;
        Ok(Self {
            deadline_at_ms: deadline.parse().map_err(|_| bad())?,
            case_id: case_id.parse().map_err(|_| bad())?,
        })
    }
}

/// One page of an inbox, most urgent (earliest deadline) first.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct InboxPage {
    pub orders: Vec<OrderLine>,
    /// Set when more lines follow: pass it as [`InboxQuery::after`].
    #[serde(serialize_with = "serialize_cursor")]
    #[schemars(with = "Option<String>")]
    pub next: Option<InboxCursor>,
}

fn serialize_cursor<S: serde::Serializer>(
    cursor: &Option<InboxCursor>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match cursor {
        Some(c) => serializer.collect_str(c),
        None => serializer.serialize_none(),
    }
}

/// How many orders of each class a department's inbox holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct InboxCounts {
    pub new: u64,
    pub in_progress: u64,
    pub due_soon: u64,
    pub overdue: u64,
}

/// An order as lists show it, from its projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OrderLine {
    pub reference: CaseRef,
    pub category: CategoryCode,
    /// `None` while it waits at the hotline (new, returned).
    pub department: Option<DepartmentId>,
    pub phase: Phase,
    /// Its class at the list's `now` (overdue for every line of
    /// [`Store::overdue_orders`]); `None` while no department has it (at
    /// the hotline, closed, merged).
    pub class: Option<InboxStatus>,
    pub channel: Channel,
    pub district: String,
    pub street: String,
    pub deadline: Option<Timestamp>,
    pub handler: Option<UserId>,
    pub extension_pending: bool,
    /// The department was reminded of this deadline (临期提醒).
    pub reminded: bool,
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    pub returns: u32,
    pub urges: u32,
    pub reopens: u32,
}

/// A reporter of a closed order still to be followed up (回访): the
/// hotline's next call to them is due, or they wait on the agents' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FollowUpDue {
    /// The order followed up (for a merged duplicate's reporter: its master).
    pub order: CaseRef,
    /// The reference the reporter knows: what `Command::RecordFollowUp`
    /// and `RecordFollowUpAttempt` name.
    pub reporter: CaseRef,
    /// Whom to call: the phone numbers and language are the citizen's.
    pub citizen: CitizenId,
    pub category: CategoryCode,
    pub department: Option<DepartmentId>,
    /// When the follow-up of the latest close came due.
    pub due_at: Timestamp,
    /// When the hotline calls next; `None`: on the agents' list.
    pub next_call_at: Option<Timestamp>,
    /// The hotline's calls to this reporter that recorded no score.
    pub attempts: u32,
    pub last_outcome: Option<FollowUpAttempt>,
}

const LINE_COLUMNS: &str = "case_id, case_ref, category, department, phase, channel, district, \
     street, deadline_at_ms, handler, extension_pending, opened_at_ms, updated_at_ms, returns, \
     urges, reopens, reminded_deadline_at_ms";

/// The class of a row at `$now` (`$1`) with the due-soon window ending at
/// `$2`; empty when no department has the order.
const CLASS: &str = "CASE WHEN phase NOT IN ('dispatched', 'in_progress', 'replied', 'reopened') \
     THEN NULL WHEN deadline_at_ms < $1 THEN 'overdue' \
     WHEN deadline_at_ms <= $2 THEN 'due_soon' \
     WHEN phase IN ('dispatched', 'reopened') THEN 'new' ELSE 'in_progress' END";

#[derive(sqlx::FromRow)]
struct LineRow {
    case_id: i64,
    case_ref: String,
    category: String,
    department: String,
    phase: Option<String>,
    channel: Option<String>,
    district: Option<String>,
    street: Option<String>,
    deadline_at_ms: Option<i64>,
    handler: Option<String>,
    extension_pending: i64,
    opened_at_ms: i64,
    updated_at_ms: i64,
    returns: i64,
    urges: i64,
    reopens: i64,
    reminded_deadline_at_ms: Option<i64>,
    inbox_class: Option<String>,
}

fn parse_reference(digits: &str) -> Result<CaseRef> {
    CaseRef::parse(digits).map_err(|e| StoreError::CorruptData {
        what: "case reference",
        detail: e.to_string(),
    })
}

fn department_of(stored: String) -> Option<DepartmentId> {
    (stored != UNASSIGNED_DEPARTMENT).then(|| DepartmentId::from(stored))
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn parse_class(name: &str) -> Result<InboxStatus> {
    Ok(match name {
        "new" => InboxStatus::New,
        "in_progress" => InboxStatus::InProgress,
        "due_soon" => InboxStatus::DueSoon,
        "overdue" => InboxStatus::Overdue,
        other => {
            return Err(StoreError::CorruptData {
                what: "inbox class",
                detail: other.to_owned(),
            })
        }
    })
}

impl TryFrom<LineRow> for OrderLine {
    type Error = StoreError;
    fn try_from(r: LineRow) -> Result<Self> {
        let missing = |what: &'static str| StoreError::CorruptData {
            what,
            detail: format!("work order {} has none", r.case_ref),
        };
        Ok(OrderLine {
            reference: parse_reference(&r.case_ref)?,
            category: CategoryCode::from(r.category.clone()),
            phase: parse_phase(r.phase.as_deref().ok_or_else(|| missing("phase"))?)?,
            class: r.inbox_class.as_deref().map(parse_class).transpose()?,
            channel: parse_channel(r.channel.as_deref().ok_or_else(|| missing("channel"))?)?,
            district: r.district.clone().ok_or_else(|| missing("district"))?,
            street: r.street.clone().ok_or_else(|| missing("street"))?,
            deadline: r.deadline_at_ms.map(Timestamp),
            handler: r.handler.map(UserId::from),
            extension_pending: r.extension_pending != 0,
            reminded: r.reminded_deadline_at_ms.is_some(),
            opened_at: Timestamp(r.opened_at_ms),
            updated_at: Timestamp(r.updated_at_ms),
            returns: count(r.returns),
            urges: count(r.urges),
            reopens: count(r.reopens),
            department: department_of(r.department),
        })
    }
}

fn check_limit(limit: u32) -> Result<i64> {
    if (1..=MAX_ORDERS_LISTED).contains(&limit) {
        Ok(i64::from(limit))
    } else {
        Err(StoreError::InvalidValue {
            field: "limit",
            reason: format!("{limit} is not between 1 and {MAX_ORDERS_LISTED}"),
        })
    }
}

/// The condition that selects one class, given `$1` = now and `$2` = the
/// end of the due-soon window.
fn class_condition(class: InboxStatus) -> &'static str {
    match class {
        InboxStatus::Overdue => "deadline_at_ms < $1",
        InboxStatus::DueSoon => "deadline_at_ms >= $1 AND deadline_at_ms <= $2",
        InboxStatus::New => {
            "(deadline_at_ms IS NULL OR deadline_at_ms > $2) AND phase IN ('dispatched', 'reopened')"
        }
        InboxStatus::InProgress => {
            "(deadline_at_ms IS NULL OR deadline_at_ms > $2) AND phase IN ('in_progress', 'replied')"
        }
    }
}

impl Store {
    /// A page of a department's inbox: its orders that are dispatched, in
    /// progress, replied or reopened, each with its class at `now`, the
    /// earliest deadline first. Reads the projection only.
    pub async fn department_inbox(&self, query: &InboxQuery) -> Result<InboxPage> {
        let limit = check_limit(query.limit)?;
        if query.due_soon_until < query.now {
            return Err(StoreError::InvalidValue {
                field: "due_soon_until",
                reason: "the due-soon window ends before now".into(),
            });
        }
        let class = query
            .class
            .map(|c| format!(" AND {}", class_condition(c)))
            .unwrap_or_default();
        let after = if query.after.is_some() {
            " AND (deadline_at_ms > $5 OR (deadline_at_ms = $5 AND case_id > $6))"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {LINE_COLUMNS}, {CLASS} AS inbox_class FROM cases \
             WHERE department = $3 AND phase IN {WITH_DEPARTMENT}{class}{after} \
             ORDER BY deadline_at_ms, case_id LIMIT $4"
        );
        let cursor = query.after.unwrap_or(InboxCursor {
            deadline_at_ms: 0,
            case_id: 0,
        });
        let rows: Vec<LineRow> = with_pool!(self, |pool| {
            let mut q = sqlx::query_as::<_, LineRow>(&sql)
                .bind(query.now.as_millis())
                .bind(query.due_soon_until.as_millis())
                .bind(query.department.as_str())
                .bind(limit + 1);
            if query.after.is_some() {
                q = q.bind(cursor.deadline_at_ms).bind(cursor.case_id);
            }
            q.fetch_all(pool).await?
        });
        page(rows, limit)
    }

    /// How many of a department's orders are in each class at `now`, with
    /// the due-soon window ending at `due_soon_until`.
    pub async fn department_inbox_counts(
        &self,
        department: &DepartmentId,
        now: Timestamp,
        due_soon_until: Timestamp,
    ) -> Result<InboxCounts> {
        let sql = format!(
            "SELECT {CLASS} AS inbox_class, count(*) FROM cases \
             WHERE department = $3 AND phase IN {WITH_DEPARTMENT} GROUP BY 1"
        );
        let rows: Vec<(String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(now.as_millis())
                .bind(due_soon_until.as_millis())
                .bind(department.as_str())
                .fetch_all(pool)
                .await?
        });
        let mut counts = InboxCounts::default();
        for (class, n) in rows {
            let n = u64::try_from(n).unwrap_or_default();
            match parse_class(&class)? {
                InboxStatus::New => counts.new = n,
                InboxStatus::InProgress => counts.in_progress = n,
                InboxStatus::DueSoon => counts.due_soon = n,
                InboxStatus::Overdue => counts.overdue = n,
            }
        }
        Ok(counts)
    }

    /// Orders past their deadline at `now` and still with a department
    /// (one department's, or every department's), the most overdue first.
    pub async fn overdue_orders(
        &self,
        department: Option<&DepartmentId>,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderLine>> {
        let limit = check_limit(limit)?;
        let of_department = if department.is_some() {
            " AND department = $4"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {LINE_COLUMNS}, {CLASS} AS inbox_class FROM cases \
             WHERE phase IN {WITH_DEPARTMENT} AND deadline_at_ms < $1{of_department} \
             ORDER BY deadline_at_ms, case_id LIMIT $3"
        );
        let rows: Vec<LineRow> = with_pool!(self, |pool| {
            let mut q = sqlx::query_as::<_, LineRow>(&sql)
                .bind(now.as_millis())
                .bind(now.as_millis())
                .bind(limit);
            if let Some(department) = department {
                q = q.bind(department.as_str());
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter().map(OrderLine::try_from).collect()
    }

    /// Orders whose department is to be reminded of the deadline at `now`
    /// (临期提醒): with a department, the deadline not past and no later
    /// than `due_soon_until` (the due-soon window), and not reminded of
    /// that deadline yet; the nearest deadline first, at most `limit`. The
    /// reminder driver gives each `Command::Remind`, which the core checks
    /// again on the order's log.
    pub async fn reminders_due(
        &self,
        now: Timestamp,
        due_soon_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderLine>> {
        self.lines(
            &format!(
                "WHERE phase IN {WITH_DEPARTMENT} AND deadline_at_ms >= $1 \
                 AND deadline_at_ms <= $2 AND reminded_deadline_at_ms IS NULL \
                 ORDER BY deadline_at_ms, case_id"
            ),
            now,
            due_soon_until,
            limit,
        )
        .await
    }

    /// Gives every reminder due at `now` (临期提醒) as `by`, the hotline's
    /// own agent: the orders [`Store::reminders_due`] lists (at most
    /// `limit`), each sent `Command::Remind` with the due-soon window of
    /// `rules`, which the core checks again on the order's log. An order that
    /// another node reminded first, or whose deadline moved meanwhile, is
    /// skipped; so is one that cannot be reminded for a reason of its own
    /// (a log that no longer reads, say), with a warning, so that one
    /// broken order does not keep every other department from its
    /// reminder. Only a database that fails as a whole stops the pass.
    /// Returns the lines of the orders reminded, as they were listed.
    pub async fn give_reminders_due(
        &self,
        rules: &OrderRules,
        by: &Actor,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderLine>> {
        let until = rules
            .inbox()
            .due_soon_until(now)
            .map_err(OrderError::Calendar)?;
        let ctx = AuditContext {
            actor: by.user.as_str().to_owned(),
            access: Access::Administration,
            reason: "reminding the department of the deadline".into(),
            at: now,
        };
        let mut reminded = Vec::new();
        for line in self.reminders_due(now, until, limit).await? {
            let command = Command::Remind {
                within_working_days: rules.due_soon_working_days,
            };
            match self
                .act_on_order(&ctx, rules.rules(), now, by, &line.reference, command)
                .await
            {
                Ok(_) => reminded.push(line),
                Err(StoreError::Order(
                    OrderError::NoReminderDue { .. } | OrderError::WrongPhase { .. },
                ))
                | Err(StoreError::OrderConflict { .. }) => {}
                Err(e) if e.is_database_down() => return Err(e),
                Err(e) => {
                    tracing::warn!(order = %line.reference, error = %e, "deadline reminder: this order cannot be reminded; the others still are");
                }
            }
        }
        Ok(reminded)
    }

    /// The reporters whose follow-up call by the hotline is due at `now`
    /// (the first when the follow-up came due, a retry when the last call
    /// set it), the longest waiting first, at most `limit`: the follow-up
    /// caller's list. A reporter left to the agents is not on it.
    pub async fn follow_ups_due(&self, now: Timestamp, limit: u32) -> Result<Vec<FollowUpDue>> {
        let limit = check_limit(limit)?;
        let refs: Vec<String> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT case_ref FROM cases WHERE phase = 'closed' \
                 AND follow_up_next_call_at_ms <= $1 \
                 ORDER BY follow_up_next_call_at_ms, case_id LIMIT $2",
            )
            .bind(now.as_millis())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let mut due = self
            .follow_up_reporters(refs, |next| next.is_some_and(|at| at <= now))
            .await?;
        due.sort_by_key(|f| f.next_call_at);
        due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(due)
    }

    /// The agents' follow-up list (回访 by an agent): reporters the
    /// hotline does not call again (its calls reached nobody, the number
    /// is refused, or they answered without a score), the orders closed
    /// longest ago first, at most `limit`.
    pub async fn follow_up_list(&self, limit: u32) -> Result<Vec<FollowUpDue>> {
        let limit = check_limit(limit)?;
        let refs: Vec<String> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT case_ref FROM cases WHERE phase = 'closed' AND follow_ups_listed > 0 \
                 ORDER BY follow_up_due_at_ms, case_id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let mut listed = self
            .follow_up_reporters(refs, |next| next.is_none())
            .await?;
        listed.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(listed)
    }

    /// The awaited reporters of these orders whose next call fits `wanted`.
    async fn follow_up_reporters(
        &self,
        refs: Vec<String>,
        wanted: impl Fn(Option<Timestamp>) -> bool,
    ) -> Result<Vec<FollowUpDue>> {
        let mut reporters = Vec::new();
        for digits in refs {
            let reference = parse_reference(&digits)?;
            // Gone or changed since the query: the next poll sees it as it is.
            let Some(loaded) = self.load_order(&reference).await? else {
                continue;
            };
            let order = &loaded.order;
            let Some(due_at) = order.follow_up_due() else {
                continue;
            };
            for call in order.follow_up_calls() {
                let Some(citizen) = call.reporter.citizen else {
                    continue;
                };
                if !wanted(call.next_attempt_at) {
                    continue;
                }
                reporters.push(FollowUpDue {
                    order: reference.clone(),
                    reporter: call.reporter.order.clone(),
                    citizen,
                    category: order.category().clone(),
                    department: order.department().cloned(),
                    due_at,
                    next_call_at: call.next_attempt_at,
                    attempts: call.attempts,
                    last_outcome: call.last_outcome,
                });
            }
        }
        Ok(reporters)
    }
}

fn page(mut rows: Vec<LineRow>, limit: i64) -> Result<InboxPage> {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = match rows.last() {
        Some(last) if more => Some(InboxCursor {
            deadline_at_ms: last.deadline_at_ms.ok_or_else(|| StoreError::CorruptData {
                what: "work order",
                detail: format!("{} is with a department but has no deadline", last.case_ref),
            })?,
            case_id: last.case_id,
        }),
        _ => None,
    };
    Ok(InboxPage {
        orders: rows
            .into_iter()
            .map(OrderLine::try_from)
            .collect::<Result<_>>()?,
        next,
    })
}

impl Store {
    /// New and returned orders waiting at the hotline for a dispatcher,
    /// the oldest first (they have no department, so no inbox class).
    pub async fn orders_awaiting_dispatch(&self, limit: u32) -> Result<Vec<OrderLine>> {
        // No department has them: the class is empty whatever $1 and $2.
        self.lines(
            "WHERE phase IN ('new', 'returned') ORDER BY updated_at_ms, case_id",
            Timestamp(0),
            Timestamp(0),
            limit,
        )
        .await
    }

    /// The order lines of `SELECT ... FROM cases {filter}`, at most
    /// `limit`: `filter` (the WHERE and ORDER BY) may use `$1` (now) and
    /// `$2` (the end of the due-soon window), which the inbox class uses
    /// too.
    async fn lines(
        &self,
        filter: &str,
        now: Timestamp,
        due_soon_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderLine>> {
        let limit = check_limit(limit)?;
        let sql =
            format!("SELECT {LINE_COLUMNS}, {CLASS} AS inbox_class FROM cases {filter} LIMIT $3");
        let rows: Vec<LineRow> = with_pool!(self, |pool| {
            sqlx::query_as::<_, LineRow>(&sql)
                .bind(now.as_millis())
                .bind(due_soon_until.as_millis())
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(OrderLine::try_from).collect()
    }

    /// The work orders `user` took down, the latest first, each with its
    /// inbox class at `now` while a department has it (the due-soon window
    /// ending at `due_soon_until`): an agent's own work between calls.
    pub async fn orders_taken_by(
        &self,
        user: &str,
        now: Timestamp,
        due_soon_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderLine>> {
        let limit = check_limit(limit)?;
        let sql = format!(
            "SELECT {LINE_COLUMNS}, {CLASS} AS inbox_class FROM cases \
             WHERE created_by = $3 AND event_count > 0 \
             ORDER BY opened_at_ms DESC, case_id DESC LIMIT $4"
        );
        let rows: Vec<LineRow> = with_pool!(self, |pool| {
            sqlx::query_as::<_, LineRow>(&sql)
                .bind(now.as_millis())
                .bind(due_soon_until.as_millis())
                .bind(user)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(OrderLine::try_from).collect()
    }
}

/// Which work orders a public listing asks for (Open311 `GET requests`).
#[derive(Debug, Clone)]
pub struct PublicOrderQuery {
    /// Only this category.
    pub category: Option<CategoryCode>,
    /// Only orders taken down at or after / before these times.
    pub opened_from: Option<Timestamp>,
    pub opened_before: Option<Timestamp>,
    /// `Some(true)`: only open ones (not closed, followed up or merged);
    /// `Some(false)`: only closed or followed up.
    pub open: Option<bool>,
    /// At most this many (1..=[`MAX_ORDERS_LISTED`]), the latest first.
    pub limit: u32,
}

/// An order as a public listing shows it: what, where, who handles it and
/// when, from its projection (its citizen is never part of it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicOrder {
    pub reference: CaseRef,
    pub category: CategoryCode,
    pub department: Option<DepartmentId>,
    pub phase: Phase,
    pub summary: String,
    pub address: String,
    pub district: String,
    pub street: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    pub deadline: Option<Timestamp>,
}

type PublicRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    i64,
    i64,
    Option<i64>,
);

impl Store {
    /// Work orders for a public listing, the latest taken down first
    /// (merged duplicates left out). Reads the projection only.
    pub async fn public_orders(&self, query: &PublicOrderQuery) -> Result<Vec<PublicOrder>> {
        let limit = check_limit(query.limit)?;
        let mut sql = String::from(
            "SELECT case_ref, category, department, phase, summary, address, district, street, \
             latitude, longitude, opened_at_ms, updated_at_ms, deadline_at_ms FROM cases \
             WHERE event_count > 0 AND phase <> 'merged'",
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if query.category.is_some() {
            sql += &format!(" AND category = {}", next());
        }
        if query.opened_from.is_some() {
            sql += &format!(" AND opened_at_ms >= {}", next());
        }
        if query.opened_before.is_some() {
            sql += &format!(" AND opened_at_ms < {}", next());
        }
        match query.open {
            Some(true) => sql += " AND phase NOT IN ('closed', 'followed_up')",
            Some(false) => sql += " AND phase IN ('closed', 'followed_up')",
            None => {}
        }
        sql += &format!(" ORDER BY opened_at_ms DESC, case_id DESC LIMIT {}", next());
        let rows: Vec<PublicRow> = with_pool!(self, |pool| {
            let mut q = sqlx::query_as::<_, PublicRow>(&sql);
            if let Some(category) = &query.category {
                q = q.bind(category.as_str());
            }
            if let Some(from) = query.opened_from {
                q = q.bind(from.as_millis());
            }
            if let Some(before) = query.opened_before {
                q = q.bind(before.as_millis());
            }
            q.bind(limit).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(
                    case_ref,
                    category,
                    department,
                    phase,
                    summary,
                    address,
                    district,
                    street,
                    latitude,
                    longitude,
                    opened,
                    updated,
                    deadline,
                )| {
                    let phase = phase.ok_or_else(|| StoreError::CorruptData {
                        what: "work order",
                        detail: format!("{case_ref} has no phase"),
                    })?;
                    Ok(PublicOrder {
                        reference: parse_reference(&case_ref)?,
                        category: CategoryCode::from(category),
                        department: department_of(department),
                        phase: parse_phase(&phase)?,
                        summary,
                        address: address.unwrap_or_default(),
                        district: district.unwrap_or_default(),
                        street: street.unwrap_or_default(),
                        latitude,
                        longitude,
                        opened_at: Timestamp(opened),
                        updated_at: Timestamp(updated),
                        deadline: deadline.map(Timestamp),
                    })
                },
            )
            .collect()
    }
}
