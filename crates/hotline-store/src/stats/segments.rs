//! Queue segments: one row per (call, queue entry), folded from the call's
//! events. A call transferred or overflowed from queue A to queue B has two
//! segments, and each queue counts the entry by its own outcome. Every
//! per-queue figure is computed from these rows (directly, or through the
//! 15-minute slots of `aggregate.rs`).
//!
//! The fold is pure and applies one event at a time, so the same events
//! give the same segments whether they arrive in one batch or in many.
//! The rules, event by event, are written on [`CallSegments::apply`].

use hotline_types::CallEvent;
use serde::Serialize;

use crate::error::{Result, StoreError};

/// How one queue entry ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentOutcome {
    /// Still in the queue (waiting, or ringing an agent).
    Ongoing,
    /// An agent answered.
    Answered,
    /// An agent answered, then transferred the call on (to another queue
    /// or a destination). Counted as answered in this queue.
    TransferredOut,
    /// The caller hung up while queued (the ACD's `abandoned` event).
    Abandoned,
    /// A queue rule sent the call elsewhere (another queue or the IVR).
    Overflowed,
    /// The caller asked to be called back instead of waiting.
    Callback,
    /// The call ended while queued without the ACD reporting an abandon
    /// (shutdown, a crashed process closed out, dead media).
    Ended,
}

impl SegmentOutcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentOutcome::Ongoing => "ongoing",
            SegmentOutcome::Answered => "answered",
            SegmentOutcome::TransferredOut => "transferred_out",
            SegmentOutcome::Abandoned => "abandoned",
            SegmentOutcome::Overflowed => "overflowed",
            SegmentOutcome::Callback => "callback",
            SegmentOutcome::Ended => "ended",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ongoing" => SegmentOutcome::Ongoing,
            "answered" => SegmentOutcome::Answered,
            "transferred_out" => SegmentOutcome::TransferredOut,
            "abandoned" => SegmentOutcome::Abandoned,
            "overflowed" => SegmentOutcome::Overflowed,
            "callback" => SegmentOutcome::Callback,
            "ended" => SegmentOutcome::Ended,
            _ => return None,
        })
    }
}

/// One queue entry of one call. Times are unix milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueSegment {
    pub call_id: String,
    /// 1 for the call's first queue entry, 2 for the next...
    pub seq: i64,
    pub queue: String,
    pub entered_at_ms: i64,
    pub outcome: SegmentOutcome,
    /// When the entry left the queue: answer, abandon, overflow, callback
    /// request, or the end of the call.
    pub left_at_ms: Option<i64>,
    /// Time in the queue, entry to leaving it. For answers and abandons the
    /// ACD's own `wait_ms`; otherwise `left_at_ms - entered_at_ms`.
    pub wait_ms: Option<i64>,
    /// Agents rung for this entry (`offered` events).
    pub offers: i64,
    /// Offers that rang out or were rejected (`ring_no_answer` events).
    pub ring_no_answers: i64,
    /// The agent who answered (for a callback: who took the callback).
    pub agent: Option<String>,
    pub agent_answered_at_ms: Option<i64>,
    /// Set while the citizen is on hold.
    pub hold_started_at_ms: Option<i64>,
    pub hold_ms: i64,
    /// Agent answer to end of talk (hang-up or transfer), minus hold.
    pub talk_ms: Option<i64>,
    /// As the ACD measured it (`wrap_up_done`).
    pub wrap_ms: Option<i64>,
    pub wrapped_at_ms: Option<i64>,
    /// Where a transferred or overflowed entry went.
    pub next_destination: Option<String>,
    /// The post-call survey score (1 to 5) given after this agent's talk.
    pub survey_score: Option<i64>,
}

impl QueueSegment {
    pub(crate) fn new(call_id: &str, seq: i64, queue: &str, entered_at_ms: i64) -> Self {
        Self {
            call_id: call_id.to_owned(),
            seq,
            queue: queue.to_owned(),
            entered_at_ms,
            outcome: SegmentOutcome::Ongoing,
            left_at_ms: None,
            wait_ms: None,
            offers: 0,
            ring_no_answers: 0,
            agent: None,
            agent_answered_at_ms: None,
            hold_started_at_ms: None,
            hold_ms: 0,
            talk_ms: None,
            wrap_ms: None,
            wrapped_at_ms: None,
            next_destination: None,
            survey_score: None,
        }
    }

    /// Whether an agent answered this entry (callbacks included).
    pub fn agent_answered(&self) -> bool {
        self.agent_answered_at_ms.is_some()
    }

    /// Whether the agent's work on it is complete (wrap-up done): only
    /// then does it count in handle time.
    pub fn handled(&self) -> bool {
        self.agent_answered() && self.wrapped_at_ms.is_some()
    }

    /// Talk + hold + wrap-up of a handled entry.
    pub fn handle_ms(&self) -> Option<i64> {
        self.handled()
            .then(|| self.talk_ms.unwrap_or(0) + self.hold_ms + self.wrap_ms.unwrap_or(0))
    }

    fn leave(&mut self, outcome: SegmentOutcome, at: i64, wait_ms: Option<i64>) {
        self.outcome = outcome;
        self.left_at_ms = Some(at);
        self.wait_ms = Some(wait_ms.unwrap_or((at - self.entered_at_ms).max(0)));
    }

    /// The talk ends at `at`: a hold still open ends with it.
    fn end_talk(&mut self, at: i64) {
        let Some(answered) = self.agent_answered_at_ms else {
            return;
        };
        if self.talk_ms.is_some() {
            return;
        }
        let at = at.max(answered);
        if let Some(started) = self.hold_started_at_ms.take() {
            self.hold_ms += (at - started).max(0);
        }
        self.talk_ms = Some((at - answered - self.hold_ms).max(0));
    }
}

/// Something an agent was asked to do, for the per-agent figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AgentTouch {
    Offered { agent: String, at: i64 },
    RingNoAnswer { agent: String, at: i64 },
}

/// The queue segments of one call, in entry order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CallSegments {
    pub call_id: String,
    pub segments: Vec<QueueSegment>,
}

fn clamp_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Whether an entry is still in its queue, as far as the ACD's verdict
/// goes: `ended` is provisional, because the ACD's `abandoned` (or
/// `callback_requested`) may be stamped after the call's `ended`.
fn in_queue(s: &QueueSegment) -> bool {
    matches!(s.outcome, SegmentOutcome::Ongoing | SegmentOutcome::Ended)
}

impl CallSegments {
    pub fn new(call_id: &str, mut segments: Vec<QueueSegment>) -> Self {
        segments.sort_by_key(|s| s.seq);
        Self {
            call_id: call_id.to_owned(),
            segments,
        }
    }

    fn next_seq(&self) -> i64 {
        self.segments.iter().map(|s| s.seq).max().unwrap_or(0) + 1
    }

    fn latest_in(&mut self, queue: &str) -> Option<&mut QueueSegment> {
        self.segments.iter_mut().rev().find(|s| s.queue == queue)
    }

    /// The entry whose agent is talking now (answered, talk not ended).
    fn talking(&mut self) -> Option<&mut QueueSegment> {
        self.segments
            .iter_mut()
            .rev()
            .find(|s| s.agent_answered() && s.talk_ms.is_none())
    }

    /// An entry for an answer or abandon whose `queued` event is missing
    /// (never expected from the ACD; keeps the figures whole if it happens).
    fn stand_in(&mut self, queue: &str, at: i64, wait_ms: i64) -> &mut QueueSegment {
        let seq = self.next_seq();
        self.segments.push(QueueSegment::new(
            &self.call_id,
            seq,
            queue,
            at - wait_ms.max(0),
        ));
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    /// Folds one event into the segments. The rules:
    ///
    /// - `queued`: a new entry (`ongoing`). An entry still ongoing elsewhere
    ///   (impossible from the ACD, which says `overflowed` or `transferred`
    ///   first) is closed as overflowed into the new queue.
    /// - `offered`, `ring_no_answer`: counted on the latest entry of that
    ///   queue. A ring-no-answer is not a new offer to the queue: the entry
    ///   stays the same and is answered, abandoned... once.
    /// - `agent_answered`: the latest entry of that queue becomes `answered`
    ///   with the ACD's `wait_ms`; if the entry was a callback request, it
    ///   stays `callback` and only records who took it.
    /// - `abandoned`: the latest entry of that queue, if still in the queue,
    ///   becomes `abandoned` with the ACD's `wait_ms`.
    /// - `overflowed`: the latest entry of `from`, if still in the queue,
    ///   becomes `overflowed` (neither answered nor abandoned there).
    /// - `callback_requested` with a queue: that queue's entry, if still in
    ///   the queue, becomes `callback` (not an abandon). Without a queue, or
    ///   with no entry waiting, it is an IVR request (see the IVR figures).
    /// - `hold_started`/`hold_ended`: hold time of the entry being talked on.
    /// - `transferred`: the talk of the answered entry ends; the entry
    ///   becomes `transferred_out` (the ACD's `queued` for the new queue
    ///   follows and opens the next entry).
    /// - `ended`: the talk ends; entries still ongoing become `ended`
    ///   (provisional: a later `abandoned` or `callback_requested` wins).
    /// - `wrap_up_done`: the first entry this agent answered and has not
    ///   wrapped up gets `wrap_ms`. The talk ends where the wrap-up began
    ///   (`at - wrap_ms`) if that is earlier than its end so far: the agent
    ///   left while the call went on (a survey), or the talk had no end yet
    ///   (a callback: the request's own call ended long before).
    /// - `survey_answered` (1 to 5): the last entry an agent answered.
    pub fn apply(&mut self, at: i64, event: &CallEvent, touches: &mut Vec<AgentTouch>) {
        match event {
            CallEvent::Queued { queue, .. } => {
                let queue = queue.to_string();
                if let Some(open) = self
                    .segments
                    .iter_mut()
                    .find(|s| s.outcome == SegmentOutcome::Ongoing)
                {
                    open.leave(SegmentOutcome::Overflowed, at, None);
                    open.next_destination = Some(queue.clone());
                }
                let seq = self.next_seq();
                self.segments
                    .push(QueueSegment::new(&self.call_id, seq, &queue, at));
            }
            CallEvent::Offered { queue, agent } => {
                if let Some(s) = self.latest_in(queue.as_str()) {
                    s.offers += 1;
                }
                touches.push(AgentTouch::Offered {
                    agent: agent.to_string(),
                    at,
                });
            }
            CallEvent::RingNoAnswer { queue, agent, .. } => {
                if let Some(s) = self.latest_in(queue.as_str()) {
                    s.ring_no_answers += 1;
                }
                touches.push(AgentTouch::RingNoAnswer {
                    agent: agent.to_string(),
                    at,
                });
            }
            CallEvent::AgentAnswered {
                queue,
                agent,
                wait_ms,
            } => {
                let wait = clamp_u64(*wait_ms);
                let queue = queue.to_string();
                let segment = match self.latest_in(&queue) {
                    Some(s) => s,
                    None => self.stand_in(&queue, at, wait),
                };
                if segment.agent_answered() {
                    return;
                }
                match segment.outcome {
                    SegmentOutcome::Ongoing | SegmentOutcome::Ended => {
                        segment.leave(SegmentOutcome::Answered, at, Some(wait));
                    }
                    SegmentOutcome::Callback => {}
                    _ => return,
                }
                segment.agent = Some(agent.to_string());
                segment.agent_answered_at_ms = Some(at);
            }
            CallEvent::Abandoned { queue, wait_ms, .. } => {
                let wait = clamp_u64(*wait_ms);
                let queue = queue.to_string();
                let segment = match self.latest_in(&queue) {
                    Some(s) => s,
                    None => self.stand_in(&queue, at, wait),
                };
                if in_queue(segment) {
                    segment.leave(SegmentOutcome::Abandoned, at, Some(wait));
                }
            }
            CallEvent::Overflowed { from, to, .. } => {
                if let Some(s) = self.latest_in(from.as_str()) {
                    if in_queue(s) {
                        s.leave(SegmentOutcome::Overflowed, at, None);
                        s.next_destination = Some(to.clone());
                    }
                }
            }
            CallEvent::CallbackRequested {
                queue: Some(queue), ..
            } => {
                if let Some(s) = self.latest_in(queue.as_str()) {
                    if in_queue(s) {
                        s.leave(SegmentOutcome::Callback, at, None);
                    }
                }
            }
            CallEvent::HoldStarted => {
                if let Some(s) = self.talking() {
                    s.hold_started_at_ms.get_or_insert(at);
                }
            }
            CallEvent::HoldEnded => {
                if let Some(s) = self.talking() {
                    if let Some(started) = s.hold_started_at_ms.take() {
                        s.hold_ms += (at - started).max(0);
                    }
                }
            }
            CallEvent::Transferred { to, .. } => {
                if let Some(s) = self.talking() {
                    s.end_talk(at);
                    if s.outcome == SegmentOutcome::Answered {
                        s.outcome = SegmentOutcome::TransferredOut;
                    }
                    s.next_destination = Some(to.clone());
                }
            }
            CallEvent::Ended { .. } => {
                if let Some(s) = self.talking() {
                    s.end_talk(at);
                }
                for s in &mut self.segments {
                    if s.outcome == SegmentOutcome::Ongoing {
                        s.leave(SegmentOutcome::Ended, at, None);
                    }
                }
            }
            CallEvent::WrapUpDone { agent, wrap_ms, .. } => {
                let agent = agent.as_str();
                let wrap = clamp_u64(*wrap_ms);
                if let Some(s) = self.segments.iter_mut().find(|s| {
                    s.agent.as_deref() == Some(agent)
                        && s.agent_answered()
                        && s.wrapped_at_ms.is_none()
                }) {
                    // The ACD starts wrap-up when the agent leaves the talk.
                    // The call itself may end later (a survey after the
                    // agent), so the wrap-up start bounds the talk.
                    let wrap_start = at.saturating_sub(wrap);
                    s.end_talk(wrap_start);
                    if let (Some(answered), Some(talk)) = (s.agent_answered_at_ms, s.talk_ms) {
                        if wrap_start < answered + talk + s.hold_ms {
                            s.talk_ms = Some((wrap_start - answered - s.hold_ms).max(0));
                        }
                    }
                    s.wrap_ms = Some(wrap);
                    s.wrapped_at_ms = Some(at);
                }
            }
            CallEvent::SurveyAnswered { score } if (1..=5).contains(score) => {
                if let Some(s) = self.segments.iter_mut().rev().find(|s| s.agent_answered()) {
                    s.survey_score = Some(i64::from(*score));
                }
            }
            _ => {}
        }
    }
}

/// A stored segment row (outcome as text).
#[derive(sqlx::FromRow)]
pub(crate) struct SegmentRow {
    pub call_id: String,
    pub seq: i64,
    pub queue: String,
    pub entered_at_ms: i64,
    pub outcome: String,
    pub left_at_ms: Option<i64>,
    pub wait_ms: Option<i64>,
    pub offers: i64,
    pub ring_no_answers: i64,
    pub agent: Option<String>,
    pub agent_answered_at_ms: Option<i64>,
    pub hold_started_at_ms: Option<i64>,
    pub hold_ms: i64,
    pub talk_ms: Option<i64>,
    pub wrap_ms: Option<i64>,
    pub wrapped_at_ms: Option<i64>,
    pub next_destination: Option<String>,
    pub survey_score: Option<i64>,
}

/// Column list of `queue_segments`, in [`SegmentRow`] field order.
pub(crate) const SEGMENT_COLUMNS: &str = "call_id, seq, queue, entered_at_ms, outcome, \
    left_at_ms, wait_ms, offers, ring_no_answers, agent, agent_answered_at_ms, \
    hold_started_at_ms, hold_ms, talk_ms, wrap_ms, wrapped_at_ms, next_destination, survey_score";
pub(crate) const SEGMENT_COLUMN_COUNT: usize = 18;

impl TryFrom<SegmentRow> for QueueSegment {
    type Error = StoreError;

    fn try_from(r: SegmentRow) -> Result<Self> {
        let outcome = SegmentOutcome::parse(&r.outcome).ok_or_else(|| StoreError::CorruptData {
            what: "queue segment outcome",
            detail: r.outcome.clone(),
        })?;
        Ok(QueueSegment {
            call_id: r.call_id,
            seq: r.seq,
            queue: r.queue,
            entered_at_ms: r.entered_at_ms,
            outcome,
            left_at_ms: r.left_at_ms,
            wait_ms: r.wait_ms,
            offers: r.offers,
            ring_no_answers: r.ring_no_answers,
            agent: r.agent,
            agent_answered_at_ms: r.agent_answered_at_ms,
            hold_started_at_ms: r.hold_started_at_ms,
            hold_ms: r.hold_ms,
            talk_ms: r.talk_ms,
            wrap_ms: r.wrap_ms,
            wrapped_at_ms: r.wrapped_at_ms,
            next_destination: r.next_destination,
            survey_score: r.survey_score,
        })
    }
}

/// Binds every column of a segment in [`SEGMENT_COLUMNS`] order.
macro_rules! bind_segment {
    ($q:expr, $s:expr) => {{
        let s: &$crate::stats::segments::QueueSegment = $s;
        $q.bind(s.call_id.clone())
            .bind(s.seq)
            .bind(s.queue.clone())
            .bind(s.entered_at_ms)
            .bind(s.outcome.as_str())
            .bind(s.left_at_ms)
            .bind(s.wait_ms)
            .bind(s.offers)
            .bind(s.ring_no_answers)
            .bind(s.agent.clone())
            .bind(s.agent_answered_at_ms)
            .bind(s.hold_started_at_ms)
            .bind(s.hold_ms)
            .bind(s.talk_ms)
            .bind(s.wrap_ms)
            .bind(s.wrapped_at_ms)
            .bind(s.next_destination.clone())
            .bind(s.survey_score)
    }};
}
pub(crate) use bind_segment;

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_types::HangupSide;

    fn fold(events: &[(i64, CallEvent)]) -> Vec<QueueSegment> {
        let mut c = CallSegments::new("c", Vec::new());
        let mut touches = Vec::new();
        for (at, e) in events {
            c.apply(*at, e, &mut touches);
        }
        c.segments
    }

    #[test]
    fn an_abandon_stamped_after_the_end_still_counts() {
        let s = fold(&[
            (
                0,
                CallEvent::Queued {
                    queue: "q".into(),
                    priority: 1,
                    skills: vec![],
                },
            ),
            (
                9_000,
                CallEvent::Ended {
                    side: HangupSide::Caller,
                    cause: "bye".into(),
                },
            ),
            (
                9_001,
                CallEvent::Abandoned {
                    queue: "q".into(),
                    wait_ms: 9_000,
                    position: 1,
                },
            ),
        ]);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].outcome, SegmentOutcome::Abandoned);
        assert_eq!(s[0].wait_ms, Some(9_000));
    }

    #[test]
    fn outcomes_round_trip_through_their_names() {
        for o in [
            SegmentOutcome::Ongoing,
            SegmentOutcome::Answered,
            SegmentOutcome::TransferredOut,
            SegmentOutcome::Abandoned,
            SegmentOutcome::Overflowed,
            SegmentOutcome::Callback,
            SegmentOutcome::Ended,
        ] {
            assert_eq!(SegmentOutcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(SegmentOutcome::parse("lost"), None);
    }
}
