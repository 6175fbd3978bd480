//! What the pages need to draw their lists: queues, dispositions, case
//! categories, departments, break reasons, consultable destinations and
//! the hotline's local time.

use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::{QueueInfo, QueueTarget};
use crate::App;

/// Break reasons offered by the state buttons (the page translates them).
pub const BREAK_REASONS: &[&str] = &["lunch", "rest", "training", "meeting", "personal"];

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PageConfig {
    queues: Vec<QueueInfo>,
    departments: Vec<String>,
    dispositions: Vec<String>,
    case_categories: Vec<String>,
    break_reasons: Vec<String>,
    /// The hotline's local time minus UTC, in minutes (reports, wallboard).
    utc_offset_minutes: i32,
    /// Each queue's targets (configured or the defaults).
    queue_targets: Vec<QueueTarget>,
    /// Configured destinations an agent may consult and transfer to.
    destinations: Vec<String>,
    /// The reasons a citizen search may give (one of them is required).
    search_reasons: Vec<String>,
    /// Shortest citizen search, in characters.
    search_min_chars: usize,
}

/// The departments named by the queues, in order, once each.
pub(crate) fn departments(queues: &[QueueInfo]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for q in queues {
        if !out.contains(&q.department) {
            out.push(q.department.clone());
        }
    }
    out
}

/// `GET /api/queues`.
pub(crate) async fn queues(State(app): State<App>) -> Json<Vec<QueueInfo>> {
    Json(app.config().queues.clone())
}

/// How many callers wait in one queue now.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct QueueWaiting {
    queue: String,
    department: String,
    waiting: u32,
    longest_wait_ms: u64,
}

/// `GET /api/queues/waiting`: callers waiting in each queue now, from the
/// ACD's latest live picture (empty until the first one): what an agent
/// sees between calls. No personal data.
pub(crate) async fn queues_waiting(State(app): State<App>) -> Json<Vec<QueueWaiting>> {
    Json(app.wallboard.latest().map_or_else(Vec::new, |board| {
        board
            .queues
            .iter()
            .map(|q| QueueWaiting {
                queue: q.queue.clone(),
                department: q.department.clone(),
                waiting: q.waiting,
                longest_wait_ms: q.longest_wait_ms,
            })
            .collect()
    }))
}

/// `GET /api/config`.
pub(crate) async fn config(State(app): State<App>) -> Json<PageConfig> {
    Json(PageConfig {
        queues: app.config().queues.clone(),
        departments: departments(&app.config().queues),
        dispositions: app.config().dispositions.clone(),
        case_categories: app.config().case_categories.clone(),
        break_reasons: BREAK_REASONS.iter().map(|s| (*s).to_owned()).collect(),
        utc_offset_minutes: app.stats().utc_offset_minutes,
        queue_targets: app
            .config()
            .queues
            .iter()
            .map(|q| app.stats().target(&q.name))
            .collect(),
        destinations: app.config().destinations.clone(),
        search_reasons: app.config().search.reasons.clone(),
        search_min_chars: app.config().search.min_chars,
    })
}
