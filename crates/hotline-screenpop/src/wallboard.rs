//! The live wallboard: the ACD's picture the binary publishes
//! ([`crate::Console::publish_live`]) merged with today's figures from the
//! store, coloured by each queue's targets, filtered per viewer and pushed
//! on `/api/supervisor/ws` (also served at `GET /api/wallboard`).
//!
//! Cost control: `publish_live` only stores the board and wakes the
//! wallboard task (boards published while it is busy are coalesced: the
//! newest wins). The task does nothing while no supervisor socket is open.
//! Today's figures are read from the store at most every
//! [`TODAY_REFRESH`] (two queries over the day's 15-minute slots); each
//! push builds and encodes one view per distinct viewer scope, not per
//! socket.
//!
//! Owns the view's shape and its colours; the figures' definitions are the
//! store's ([`hotline_store::QueueFigures`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use hotline_store::{
    AgentFigures, Bucket, QueueFigures, QueueGrouping, ReportQuery, Store, Thresholds,
};
use hotline_types::Timestamp;
use serde::Serialize;
use tokio::sync::{watch, Mutex};

use crate::api::{LiveAgent, LiveBoard, LiveQueue, QueueTarget, StatisticsConfig};
use crate::scope::Scope;
use crate::{wall_clock, ConsoleError, Shared};

/// Today's figures are read from the store at most this often (also after
/// a failed read).
pub const TODAY_REFRESH: Duration = Duration::from_secs(5);

/// A read of today's figures slower than this is abandoned: the wallboard
/// keeps moving with the figures it has.
pub const TODAY_READ_TIMEOUT: Duration = Duration::from_secs(2);

const DAY_MS: i64 = 86_400_000;
const QUARTER_MS: i64 = 900_000;

/// Start (UTC ms) of the local day holding `at_ms`.
pub(crate) fn local_day_start(at_ms: i64, utc_offset_minutes: i32) -> i64 {
    let offset = i64::from(utc_offset_minutes) * 60_000;
    (at_ms + offset).div_euclid(DAY_MS) * DAY_MS - offset
}

/// The first quarter hour strictly after `at_ms`.
pub(crate) fn next_quarter(at_ms: i64) -> i64 {
    at_ms.div_euclid(QUARTER_MS) * QUARTER_MS + QUARTER_MS
}

/// Each queue's service-level T from its targets, for a [`ReportQuery`]
/// (queues without targets keep the default 20 s).
pub(crate) fn queue_thresholds(stats: &StatisticsConfig) -> BTreeMap<String, Thresholds> {
    stats
        .queue_targets
        .iter()
        .map(|t| {
            let ms = i64::try_from(t.service_level_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            (
                t.queue.clone(),
                Thresholds {
                    service_level_ms: ms,
                    ..Thresholds::default()
                },
            )
        })
        .collect()
}

/// How a figure stands against its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    /// Within 80 % of the threshold (service level: less than 5 points
    /// above the target).
    Warn,
    /// Past the threshold (service level: below the target).
    Alert,
}

/// `value` against an upper `limit`: past it alert, from 80 % of it warn.
fn level_below(value: f64, limit: f64) -> Level {
    if value > limit {
        Level::Alert
    } else if value > 0.0 && value >= 0.8 * limit {
        Level::Warn
    } else {
        Level::Ok
    }
}

/// A service level against its target; no answered call yet is fine.
fn level_above(value: Option<f64>, target: f64) -> Level {
    match value {
        Some(v) if v < target => Level::Alert,
        Some(v) if v < target + 0.05 && target < 1.0 => Level::Warn,
        _ => Level::Ok,
    }
}

/// The colours of one queue.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QueueLevels {
    pub waiting: Level,
    pub longest_wait: Level,
    /// Of the service level answered within T / answered.
    pub service_level: Level,
}

/// A queue's figures since local midnight (queue entries of today, as the
/// store counts them; see [`QueueFigures`] for each definition).
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct QueueToday {
    pub offered: i64,
    pub answered: i64,
    pub answered_within_threshold: i64,
    pub abandoned: i64,
    pub short_abandoned: i64,
    pub overflowed: i64,
    pub callback_requests: i64,
    /// answered_within_threshold / answered.
    pub service_level: Option<f64>,
    /// (answered + abandoned within T) / (answered + abandoned).
    pub service_level_strict: Option<f64>,
    pub asa_ms: Option<f64>,
    pub abandonment_rate: Option<f64>,
    pub max_queued_ms: Option<i64>,
}

impl From<&QueueFigures> for QueueToday {
    fn from(f: &QueueFigures) -> Self {
        Self {
            offered: f.offered,
            answered: f.answered,
            answered_within_threshold: f.answered_within_threshold,
            abandoned: f.abandoned,
            short_abandoned: f.short_abandoned,
            overflowed: f.overflowed,
            callback_requests: f.callback_requests,
            service_level: f.service_level,
            service_level_strict: f.service_level_strict,
            asa_ms: f.asa_ms,
            abandonment_rate: f.abandonment_rate,
            max_queued_ms: f.max_queued_ms,
        }
    }
}

/// One queue on the wallboard: now, today, its targets and colours.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WallQueue {
    #[serde(flatten)]
    pub now: LiveQueue,
    pub today: QueueToday,
    pub target: QueueTarget,
    pub levels: QueueLevels,
}

/// One agent on the wallboard.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WallAgent {
    pub agent: String,
    pub state: String,
    pub reason: Option<String>,
    pub in_state_ms: u64,
    /// Since the ACD knows the agent.
    pub calls_answered: u32,
    pub queues: Vec<String>,
    /// Queue entries the agent answered since local midnight (store).
    pub answered_today: i64,
    /// Their average handle time today (store).
    pub aht_today_ms: Option<f64>,
}

/// The wallboard as one viewer sees it: `{"type":"wallboard", ...}` on the
/// supervisor WebSocket, and the answer of `GET /api/wallboard`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename = "wallboard")]
#[schemars(rename = "WallboardView")]
pub struct WallboardView {
    /// When the live picture was taken.
    pub at_ms: i64,
    /// False until the call side has published a picture (then the lists
    /// are empty).
    pub live: bool,
    pub utc_offset_minutes: i32,
    /// Local midnight: "today" starts here.
    pub day_start_ms: i64,
    /// When today's figures were read from the store (`None`: not read).
    pub today_read_at_ms: Option<i64>,
    /// What the viewer sees: `"all"`, their departments, or `"self"`.
    #[schemars(schema_with = "scope_schema")]
    pub scope: serde_json::Value,
    pub queues: Vec<WallQueue>,
    pub agents: Vec<WallAgent>,
}

fn scope_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            { "enum": ["all", "self"] },
            { "type": "array", "items": { "type": "string" } }
        ]
    })
}

/// Today's figures as last read from the store.
#[derive(Debug)]
pub(crate) struct Today {
    day_start_ms: i64,
    read_at_ms: i64,
    queues: HashMap<String, QueueFigures>,
    agents: HashMap<String, AgentFigures>,
}

impl Today {
    /// Reads the figures of the local day holding `at_ms` so far.
    async fn read(
        store: &Store,
        stats: &StatisticsConfig,
        at_ms: i64,
    ) -> Result<Self, ConsoleError> {
        let day_start_ms = local_day_start(at_ms, stats.utc_offset_minutes);
        let mut query = ReportQuery::new(
            Timestamp(day_start_ms),
            Timestamp(next_quarter(at_ms)),
            Bucket::Whole,
            stats.utc_offset_minutes,
        );
        query.queue_thresholds = queue_thresholds(stats);
        let queues = store.queue_report(&query, &QueueGrouping::Queue).await?;
        let agents = store.agent_report(&query).await?;
        Ok(Self {
            day_start_ms,
            read_at_ms: wall_clock().as_millis(),
            queues: queues.into_iter().map(|r| (r.key, r.figures)).collect(),
            agents: agents.into_iter().map(|r| (r.agent, r.figures)).collect(),
        })
    }
}

/// The last figures read and when the last read was tried.
#[derive(Debug, Default)]
struct TodayCache {
    figures: Option<Arc<Today>>,
    tried_at: Option<Instant>,
}

/// The wallboard's state in the console.
#[derive(Debug)]
pub(crate) struct Wallboard {
    boards: watch::Sender<Option<Arc<LiveBoard>>>,
    task_started: AtomicBool,
    today: Mutex<TodayCache>,
    /// This node's own board as last published (what it shares with the
    /// other nodes of a centre).
    local: std::sync::Mutex<Option<LiveBoard>>,
    /// The other nodes' boards, as last read from the store.
    others: std::sync::Mutex<Vec<LiveBoard>>,
}

impl Default for Wallboard {
    fn default() -> Self {
        Self {
            boards: watch::Sender::new(None),
            task_started: AtomicBool::new(false),
            today: Mutex::new(TodayCache::default()),
            local: std::sync::Mutex::new(None),
            others: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl Wallboard {
    /// The newest published board.
    pub(crate) fn latest(&self) -> Option<Arc<LiveBoard>> {
        self.boards.borrow().clone()
    }

    /// Stores the board and wakes the task (started on first use, on the
    /// caller's tokio runtime).
    pub(crate) fn publish(&self, app: &Arc<Shared>, board: LiveBoard) {
        let merged = {
            let others = self.others.lock().unwrap_or_else(|p| p.into_inner());
            crate::centre::merge(&board, &others)
        };
        *self.local.lock().unwrap_or_else(|p| p.into_inner()) = Some(board);
        self.boards.send_replace(Some(Arc::new(merged)));
        if self.task_started.swap(true, Ordering::AcqRel) {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let mut rx = self.boards.subscribe();
                // The board just stored is the first to push.
                rx.mark_changed();
                runtime.spawn(run(Arc::downgrade(app), rx));
            }
            Err(_) => {
                self.task_started.store(false, Ordering::Release);
                tracing::error!(
                    "publish_live called outside a tokio runtime: the wallboard is not pushed"
                );
            }
        }
    }

    /// This node's own board as last published.
    pub(crate) fn local(&self) -> Option<LiveBoard> {
        self.local.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The other nodes' boards, merged into every board published from now.
    pub(crate) fn set_others(&self, boards: Vec<LiveBoard>) {
        *self.others.lock().unwrap_or_else(|p| p.into_inner()) = boards;
    }

    /// Today's figures for the day holding `at_ms`. Read again when the
    /// last try is [`TODAY_REFRESH`] old or the cached figures are of
    /// another day (one read at a time; the others wait for it), and
    /// given up after [`TODAY_READ_TIMEOUT`]. After a failure the previous
    /// figures of the same day stay, and the next try waits
    /// [`TODAY_REFRESH`].
    pub(crate) async fn today(&self, app: &Shared, at_ms: i64) -> Option<Arc<Today>> {
        let mut cache = self.today.lock().await;
        let day_start_ms = local_day_start(at_ms, app.stats().utc_offset_minutes);
        let same_day = |t: &Arc<Today>| t.day_start_ms == day_start_ms;
        let recent = cache
            .tried_at
            .is_some_and(|at| at.elapsed() < TODAY_REFRESH);
        let cached_today = cache.figures.as_ref().is_some_and(same_day);
        if recent && (cached_today || cache.figures.is_none()) {
            return cache.figures.clone().filter(same_day);
        }
        cache.tried_at = Some(Instant::now());
        let stats = app.stats();
        let read = Today::read(&app.store, &stats, at_ms);
        match tokio::time::timeout(TODAY_READ_TIMEOUT, read).await {
            Ok(Ok(fresh)) => {
                let fresh = Arc::new(fresh);
                cache.figures = Some(fresh.clone());
                Some(fresh)
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "today's figures could not be read; the wallboard keeps the previous ones");
                cache.figures.clone().filter(same_day)
            }
            Err(_) => {
                tracing::warn!(
                    "reading today's figures took too long; the wallboard keeps the previous ones"
                );
                cache.figures.clone().filter(same_day)
            }
        }
    }

    /// The view `scope` gets now: the newest board (or an empty one) with
    /// today's figures.
    pub(crate) async fn current_view(&self, app: &Shared, scope: &Scope) -> WallboardView {
        let (board, live) = match self.latest() {
            Some(board) => (board, true),
            None => (
                Arc::new(LiveBoard {
                    at_ms: wall_clock().as_millis(),
                    queues: Vec::new(),
                    agents: Vec::new(),
                }),
                false,
            ),
        };
        let today = self.today(app, board.at_ms).await;
        view(&board, live, today.as_deref(), &app.stats(), scope)
    }
}

/// Pushes each published board to the supervisor sockets until the console
/// is gone.
async fn run(app: Weak<Shared>, mut boards: watch::Receiver<Option<Arc<LiveBoard>>>) {
    while boards.changed().await.is_ok() {
        let Some(board) = boards.borrow_and_update().clone() else {
            continue;
        };
        let Some(app) = app.upgrade() else {
            break;
        };
        push(&app, &board).await;
    }
}

/// Builds, encodes and sends one view per scope watching.
pub(crate) async fn push(app: &Shared, board: &LiveBoard) -> usize {
    let scopes = app.hub.supervisor_scopes();
    if scopes.is_empty() {
        return 0;
    }
    let today = app.wallboard.today(app, board.at_ms).await;
    let payloads: HashMap<Scope, Utf8Bytes> = scopes
        .into_iter()
        .filter_map(|scope| {
            let v = view(board, true, today.as_deref(), &app.stats(), &scope);
            match serde_json::to_string(&v) {
                Ok(text) => Some((scope, Utf8Bytes::from(text))),
                Err(e) => {
                    tracing::error!(error = %e, "wallboard view not encodable");
                    None
                }
            }
        })
        .collect();
    app.hub.send_supervisors_scoped(&payloads)
}

/// The board as `scope` sees it, with today's figures and the colours.
pub(crate) fn view(
    board: &LiveBoard,
    live: bool,
    today: Option<&Today>,
    stats: &StatisticsConfig,
    scope: &Scope,
) -> WallboardView {
    let queues: Vec<WallQueue> = board
        .queues
        .iter()
        .filter(|q| scope.sees_queue(&q.queue, &q.department))
        .map(|q| {
            let target = stats.target(&q.queue);
            let today = today
                .and_then(|t| t.queues.get(&q.queue))
                .map(QueueToday::from)
                .unwrap_or_default();
            let levels = QueueLevels {
                waiting: level_below(f64::from(q.waiting), f64::from(target.max_waiting)),
                longest_wait: level_below(
                    q.longest_wait_ms as f64,
                    target.max_wait_secs as f64 * 1000.0,
                ),
                service_level: level_above(today.service_level, target.service_level_target),
            };
            WallQueue {
                now: q.clone(),
                today,
                target,
                levels,
            }
        })
        .collect();
    let sees_agent = |a: &LiveAgent| match scope {
        Scope::All => true,
        Scope::Agent(me) => *me == a.agent,
        Scope::Departments(_) => a.queues.iter().any(|name| {
            let department = board
                .queues
                .iter()
                .find(|q| q.queue == *name)
                .map_or("", |q| q.department.as_str());
            scope.sees_queue(name, department)
        }),
    };
    let agents = board
        .agents
        .iter()
        .filter(|a| sees_agent(a))
        .map(|a| {
            let figures = today.and_then(|t| t.agents.get(&a.agent));
            WallAgent {
                agent: a.agent.clone(),
                state: a.state.clone(),
                reason: a.reason.clone(),
                in_state_ms: a.in_state_ms,
                calls_answered: a.calls_answered,
                queues: a.queues.clone(),
                answered_today: figures.map_or(0, |f| f.answered),
                aht_today_ms: figures.and_then(|f| f.aht_ms),
            }
        })
        .collect();
    WallboardView {
        at_ms: board.at_ms,
        live,
        utc_offset_minutes: stats.utc_offset_minutes,
        day_start_ms: local_day_start(board.at_ms, stats.utc_offset_minutes),
        today_read_at_ms: today.map(|t| t.read_at_ms),
        scope: scope.describe(),
        queues: if matches!(scope, Scope::Agent(_)) {
            Vec::new()
        } else {
            queues
        },
        agents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_starts_at_local_midnight() {
        // 2026-11-22T08:00:00Z is 16:00 in Shanghai.
        let t0 = 1_795_334_400_000;
        assert_eq!(local_day_start(t0, 480), t0 - 16 * 3_600_000);
        assert_eq!(local_day_start(t0, 0), t0 - 8 * 3_600_000);
        // New York (UTC-5): 03:00 local.
        assert_eq!(local_day_start(t0, -300), t0 - 3 * 3_600_000);
        assert_eq!(next_quarter(t0), t0 + QUARTER_MS);
        assert_eq!(next_quarter(t0 + 1), t0 + QUARTER_MS);
    }

    #[test]
    fn colours_follow_the_thresholds() {
        assert_eq!(level_below(0.0, 10.0), Level::Ok);
        assert_eq!(level_below(7.0, 10.0), Level::Ok);
        assert_eq!(level_below(8.0, 10.0), Level::Warn);
        assert_eq!(level_below(10.0, 10.0), Level::Warn);
        assert_eq!(level_below(11.0, 10.0), Level::Alert);
        assert_eq!(level_below(1.0, 0.0), Level::Alert);
        assert_eq!(level_above(None, 0.8), Level::Ok);
        assert_eq!(level_above(Some(0.9), 0.8), Level::Ok);
        assert_eq!(level_above(Some(0.82), 0.8), Level::Warn);
        assert_eq!(level_above(Some(0.79), 0.8), Level::Alert);
        assert_eq!(level_above(Some(1.0), 1.0), Level::Ok);
    }
}
