//! The 15-minute slots that make reports fast, and the arithmetic that
//! turns slots (or segments) into figures.
//!
//! - `queue_stats_15min`: per queue and slot of queue entry, the sums of
//!   the slot's segments plus every answered and abandoned wait, so that
//!   thresholds are applied exactly at query time. Kept up to date by
//!   taking away a changed segment's old share and adding its new one
//!   ([`QueueSlot::replace`]), rebuilt from the slot's segments
//!   ([`QueueSlot::build`]) when that cannot be exact (the maximum queued
//!   time went down).
//! - `agent_stats_15min` and `ivr_stats_15min`: pure counts and sums,
//!   maintained by adding the difference between a segment's (or call
//!   record's) contribution before and after new events.
//!
//! [`QueueTotals`] is where the definitions become numbers: it is filled
//! either from slots or from segments, with the same result (a unit test
//! checks it), and [`QueueTotals::figures`] computes the ratios.

use crate::error::{Result, StoreError};
use crate::events::CallRecord;
use crate::stats::segments::{QueueSegment, SegmentOutcome};
use crate::stats::{AgentFigures, IvrFigures, QueueFigures, SurveyFigures, Thresholds};

/// Length of a slot: every real time zone offset is a multiple of it, so a
/// slot always falls inside one local hour, day or week.
pub(crate) const SLOT_MS: i64 = 15 * 60 * 1000;

/// Start of the slot holding `at_ms` (UTC).
pub(crate) fn slot_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(SLOT_MS) * SLOT_MS
}

fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Survey scores 1 to 5, counted per score.
pub(crate) fn survey_figures(distribution: [i64; 5]) -> SurveyFigures {
    let count: i64 = distribution.iter().sum();
    let sum: i64 = distribution
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64 + 1) * n)
        .sum();
    SurveyFigures {
        count,
        mean: ratio(sum, count),
        distribution,
    }
}

fn add_survey(distribution: &mut [i64; 5], score: Option<i64>, sign: i64) {
    if let Some(score @ 1..=5) = score {
        distribution[(score - 1) as usize] += sign;
    }
}

/// One stored row of `queue_stats_15min`.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub(crate) struct QueueSlot {
    pub slot_ms: i64,
    pub queue: String,
    pub offered: i64,
    pub answered: i64,
    pub transferred_out: i64,
    pub abandoned: i64,
    pub overflowed: i64,
    pub callbacks: i64,
    pub callbacks_answered: i64,
    pub ended: i64,
    pub waiting: i64,
    pub answered_wait_ms: i64,
    pub max_queued_ms: Option<i64>,
    pub ring_no_answers: i64,
    pub handled: i64,
    pub talk_ms: i64,
    pub hold_ms: i64,
    pub wrap_ms: i64,
    pub survey_1: i64,
    pub survey_2: i64,
    pub survey_3: i64,
    pub survey_4: i64,
    pub survey_5: i64,
    /// Every answered entry's wait (ms), in no order (migration 0002's
    /// comment says ascending; nothing relies on the order), see
    /// [`encode_waits`].
    pub answered_waits: Vec<u8>,
    /// Every abandoned entry's wait (ms), short ones included.
    pub abandon_waits: Vec<u8>,
}

pub(crate) const QUEUE_SLOT_COLUMNS: &str = "slot_ms, queue, offered, answered, transferred_out, \
    abandoned, overflowed, callbacks, callbacks_answered, ended, waiting, answered_wait_ms, \
    max_queued_ms, ring_no_answers, handled, talk_ms, hold_ms, wrap_ms, survey_1, survey_2, \
    survey_3, survey_4, survey_5, answered_waits, abandon_waits";
pub(crate) const QUEUE_SLOT_COLUMN_COUNT: usize = 25;

/// Binds a [`QueueSlot`] in [`QUEUE_SLOT_COLUMNS`] order.
macro_rules! bind_queue_slot {
    ($q:expr, $s:expr) => {{
        let s: &$crate::stats::aggregate::QueueSlot = $s;
        $q.bind(s.slot_ms)
            .bind(s.queue.clone())
            .bind(s.offered)
            .bind(s.answered)
            .bind(s.transferred_out)
            .bind(s.abandoned)
            .bind(s.overflowed)
            .bind(s.callbacks)
            .bind(s.callbacks_answered)
            .bind(s.ended)
            .bind(s.waiting)
            .bind(s.answered_wait_ms)
            .bind(s.max_queued_ms)
            .bind(s.ring_no_answers)
            .bind(s.handled)
            .bind(s.talk_ms)
            .bind(s.hold_ms)
            .bind(s.wrap_ms)
            .bind(s.survey_1)
            .bind(s.survey_2)
            .bind(s.survey_3)
            .bind(s.survey_4)
            .bind(s.survey_5)
            .bind(s.answered_waits.clone())
            .bind(s.abandon_waits.clone())
    }};
}
pub(crate) use bind_queue_slot;

/// Accumulates the segments of one queue and slot into a [`QueueSlot`].
#[derive(Debug, Default)]
pub(crate) struct QueueSlotBuilder {
    slot: QueueSlot,
    surveys: [i64; 5],
    answered_waits: Vec<i64>,
    abandon_waits: Vec<i64>,
}

impl QueueSlotBuilder {
    pub fn new(slot_ms: i64, queue: &str) -> Self {
        Self {
            slot: QueueSlot {
                slot_ms,
                queue: queue.to_owned(),
                ..QueueSlot::default()
            },
            ..Self::default()
        }
    }

    pub fn add(&mut self, s: &QueueSegment) {
        let slot = &mut self.slot;
        slot.offered += 1;
        let wait = s.wait_ms.unwrap_or(0);
        match s.outcome {
            SegmentOutcome::Ongoing => slot.waiting += 1,
            SegmentOutcome::Answered | SegmentOutcome::TransferredOut => {
                slot.answered += 1;
                if s.outcome == SegmentOutcome::TransferredOut {
                    slot.transferred_out += 1;
                }
                slot.answered_wait_ms += wait;
                self.answered_waits.push(wait);
            }
            SegmentOutcome::Abandoned => {
                slot.abandoned += 1;
                self.abandon_waits.push(wait);
            }
            SegmentOutcome::Overflowed => slot.overflowed += 1,
            SegmentOutcome::Callback => {
                slot.callbacks += 1;
                if s.agent_answered() {
                    slot.callbacks_answered += 1;
                }
            }
            SegmentOutcome::Ended => slot.ended += 1,
        }
        if s.outcome != SegmentOutcome::Ongoing {
            slot.max_queued_ms = Some(slot.max_queued_ms.map_or(wait, |m| m.max(wait)));
        }
        slot.ring_no_answers += s.ring_no_answers;
        if let Some(handle) = s.handle_ms() {
            slot.handled += 1;
            slot.talk_ms += s.talk_ms.unwrap_or(0);
            slot.hold_ms += s.hold_ms;
            slot.wrap_ms += s.wrap_ms.unwrap_or(0);
            debug_assert_eq!(
                handle,
                s.talk_ms.unwrap_or(0) + s.hold_ms + s.wrap_ms.unwrap_or(0)
            );
        }
        if s.agent_answered() {
            add_survey(&mut self.surveys, s.survey_score, 1);
        }
    }

    pub fn finish(mut self) -> QueueSlot {
        self.answered_waits.sort_unstable();
        self.abandon_waits.sort_unstable();
        let mut slot = self.slot;
        slot.answered_waits = encode_waits(&self.answered_waits);
        slot.abandon_waits = encode_waits(&self.abandon_waits);
        [
            slot.survey_1,
            slot.survey_2,
            slot.survey_3,
            slot.survey_4,
            slot.survey_5,
        ] = self.surveys;
        slot
    }
}

impl QueueSlot {
    /// Replaces a segment's share: takes `old`'s away (if the segment was
    /// there before) and adds `new`'s. The incremental upkeep, cheaper than
    /// [`QueueSlot::build`] over a busy slot. Returns false when the result
    /// cannot be known without the slot's segments (then rebuild the slot):
    /// the old share held the slot's maximum queued time and the new one
    /// does not, or a wait to take away is not there.
    pub fn replace(&mut self, old: Option<&QueueSegment>, new: &QueueSegment) -> bool {
        let new = QueueSlot::build(self.slot_ms, &self.queue, [new]);
        let mut exact = true;
        if let Some(old) = old {
            let old = QueueSlot::build(self.slot_ms, &self.queue, [old]);
            self.add_counts(&old, -1);
            for w in old.answered_waits.chunks_exact(4) {
                exact &= remove_wait(&mut self.answered_waits, w);
            }
            for w in old.abandon_waits.chunks_exact(4) {
                exact &= remove_wait(&mut self.abandon_waits, w);
            }
            if old.max_queued_ms.is_some()
                && old.max_queued_ms >= self.max_queued_ms
                && new.max_queued_ms < old.max_queued_ms
            {
                exact = false;
            }
        }
        self.add_counts(&new, 1);
        self.answered_waits.extend_from_slice(&new.answered_waits);
        self.abandon_waits.extend_from_slice(&new.abandon_waits);
        if let Some(m) = new.max_queued_ms {
            self.max_queued_ms = Some(self.max_queued_ms.map_or(m, |old| old.max(m)));
        }
        exact
    }

    fn add_counts(&mut self, one: &QueueSlot, sign: i64) {
        self.offered += sign * one.offered;
        self.answered += sign * one.answered;
        self.transferred_out += sign * one.transferred_out;
        self.abandoned += sign * one.abandoned;
        self.overflowed += sign * one.overflowed;
        self.callbacks += sign * one.callbacks;
        self.callbacks_answered += sign * one.callbacks_answered;
        self.ended += sign * one.ended;
        self.waiting += sign * one.waiting;
        self.answered_wait_ms += sign * one.answered_wait_ms;
        self.ring_no_answers += sign * one.ring_no_answers;
        self.handled += sign * one.handled;
        self.talk_ms += sign * one.talk_ms;
        self.hold_ms += sign * one.hold_ms;
        self.wrap_ms += sign * one.wrap_ms;
        self.survey_1 += sign * one.survey_1;
        self.survey_2 += sign * one.survey_2;
        self.survey_3 += sign * one.survey_3;
        self.survey_4 += sign * one.survey_4;
        self.survey_5 += sign * one.survey_5;
    }

    /// The slot row of `segments` (all of one queue and slot).
    pub fn build<'a>(
        slot_ms: i64,
        queue: &str,
        segments: impl IntoIterator<Item = &'a QueueSegment>,
    ) -> Self {
        let mut b = QueueSlotBuilder::new(slot_ms, queue);
        for s in segments {
            b.add(s);
        }
        b.finish()
    }
}

/// Waits as stored: each a 4-byte little-endian unsigned number of ms
/// (waits beyond 49 days are stored as the largest), in the given order.
/// Binary, because a month's report decodes about a million of them.
pub(crate) fn encode_waits(waits: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(waits.len() * 4);
    for w in waits {
        let w = u32::try_from((*w).max(0)).unwrap_or(u32::MAX);
        out.extend_from_slice(&w.to_le_bytes());
    }
    out
}

/// Removes one occurrence of `wait` from an encoded list; false if absent.
fn remove_wait(list: &mut Vec<u8>, wait: &[u8]) -> bool {
    let Some(i) = list.chunks_exact(4).position(|w| w == wait) else {
        return false;
    };
    // Order does not matter: move the last wait into the hole.
    let last = list.len() - 4;
    let tail: [u8; 4] = [list[last], list[last + 1], list[last + 2], list[last + 3]];
    list[i * 4..i * 4 + 4].copy_from_slice(&tail);
    list.truncate(last);
    true
}

fn decode_waits<'a>(
    what: &str,
    slot: &QueueSlot,
    bytes: &'a [u8],
) -> Result<impl Iterator<Item = i64> + 'a> {
    if bytes.len() % 4 != 0 {
        return Err(StoreError::CorruptData {
            what: "queue slot waits",
            detail: format!(
                "{} at {}: {what} waits take {} bytes, not a multiple of 4",
                slot.queue,
                slot.slot_ms,
                bytes.len()
            ),
        });
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| i64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))))
}

/// Counts of one queue (or a merge of several) with thresholds applied:
/// what [`QueueFigures`] is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct QueueTotals {
    pub offered: i64,
    pub answered: i64,
    pub answered_within: i64,
    pub abandoned: i64,
    pub abandoned_within: i64,
    pub short_abandoned: i64,
    pub overflowed: i64,
    pub callbacks: i64,
    pub callbacks_answered: i64,
    pub transferred_out: i64,
    pub ended: i64,
    pub waiting: i64,
    pub ring_no_answers: i64,
    pub answered_wait_ms: i64,
    pub max_queued_ms: Option<i64>,
    pub handled: i64,
    pub talk_ms: i64,
    pub hold_ms: i64,
    pub wrap_ms: i64,
    pub surveys: [i64; 5],
}

impl QueueTotals {
    fn count_answered_wait(&mut self, wait: i64, t: &Thresholds) {
        if wait <= t.service_level_ms {
            self.answered_within += 1;
        }
    }

    /// Short abandons (wait below the short-abandon threshold) are counted
    /// apart and are not abandons.
    fn count_abandon_wait(&mut self, wait: i64, t: &Thresholds) {
        if wait < t.short_abandon_ms {
            self.short_abandoned += 1;
        } else {
            self.abandoned += 1;
            if wait <= t.service_level_ms {
                self.abandoned_within += 1;
            }
        }
    }

    fn max_queued(&mut self, m: Option<i64>) {
        if let Some(m) = m {
            self.max_queued_ms = Some(self.max_queued_ms.map_or(m, |old| old.max(m)));
        }
    }

    /// Adds one stored slot under the thresholds of its queue.
    pub fn add_slot(&mut self, s: &QueueSlot, t: &Thresholds) -> Result<()> {
        self.offered += s.offered;
        self.answered += s.answered;
        self.transferred_out += s.transferred_out;
        self.overflowed += s.overflowed;
        self.callbacks += s.callbacks;
        self.callbacks_answered += s.callbacks_answered;
        self.ended += s.ended;
        self.waiting += s.waiting;
        self.ring_no_answers += s.ring_no_answers;
        self.answered_wait_ms += s.answered_wait_ms;
        self.max_queued(s.max_queued_ms);
        self.handled += s.handled;
        self.talk_ms += s.talk_ms;
        self.hold_ms += s.hold_ms;
        self.wrap_ms += s.wrap_ms;
        for (i, n) in [s.survey_1, s.survey_2, s.survey_3, s.survey_4, s.survey_5]
            .into_iter()
            .enumerate()
        {
            self.surveys[i] += n;
        }
        let mut answered = 0;
        for wait in decode_waits("answered", s, &s.answered_waits)? {
            self.count_answered_wait(wait, t);
            answered += 1;
        }
        let mut abandoned = 0;
        for wait in decode_waits("abandoned", s, &s.abandon_waits)? {
            self.count_abandon_wait(wait, t);
            abandoned += 1;
        }
        if answered != s.answered || abandoned != s.abandoned {
            return Err(StoreError::CorruptData {
                what: "queue slot",
                detail: format!(
                    "{} at {}: {answered} answered waits for {} answered, {abandoned} abandon waits for {} abandoned",
                    s.queue, s.slot_ms, s.answered, s.abandoned
                ),
            });
        }
        Ok(())
    }

    /// Adds one segment under the thresholds of its queue; the same
    /// result as building its slot and adding that.
    pub fn add_segment(&mut self, s: &QueueSegment, t: &Thresholds) -> Result<()> {
        self.add_slot(&QueueSlot::build(0, &s.queue, [s]), t)
    }

    /// The figures and their ratios (see the module docs of `stats`).
    pub fn figures(&self) -> QueueFigures {
        QueueFigures {
            offered: self.offered,
            answered: self.answered,
            answered_within_threshold: self.answered_within,
            abandoned: self.abandoned,
            abandoned_within_threshold: self.abandoned_within,
            short_abandoned: self.short_abandoned,
            overflowed: self.overflowed,
            callback_requests: self.callbacks,
            callbacks_answered: self.callbacks_answered,
            transferred_out: self.transferred_out,
            ended_in_queue: self.ended,
            still_waiting: self.waiting,
            ring_no_answers: self.ring_no_answers,
            total_answer_wait_ms: self.answered_wait_ms,
            max_queued_ms: self.max_queued_ms,
            handled: self.handled,
            talk_ms: self.talk_ms,
            hold_ms: self.hold_ms,
            wrap_ms: self.wrap_ms,
            service_level: ratio(self.answered_within, self.answered),
            service_level_strict: ratio(
                self.answered_within + self.abandoned_within,
                self.answered + self.abandoned,
            ),
            asa_ms: ratio(self.answered_wait_ms, self.answered),
            aht_ms: ratio(self.talk_ms + self.hold_ms + self.wrap_ms, self.handled),
            abandonment_rate: ratio(self.abandoned, self.offered),
            survey: survey_figures(self.surveys),
        }
    }
}

/// One row of `agent_stats_15min`, or a difference to add to one.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct AgentSlot {
    pub offers: i64,
    pub ring_no_answers: i64,
    pub answered: i64,
    pub callbacks_answered: i64,
    pub transferred_out: i64,
    pub handled: i64,
    pub talk_ms: i64,
    pub hold_ms: i64,
    pub wrap_ms: i64,
    pub survey_1: i64,
    pub survey_2: i64,
    pub survey_3: i64,
    pub survey_4: i64,
    pub survey_5: i64,
}

/// The columns of `agent_stats_15min` after its key (slot_ms, agent).
pub(crate) const AGENT_SLOT_VALUES: [&str; 14] = [
    "offers",
    "ring_no_answers",
    "answered",
    "callbacks_answered",
    "transferred_out",
    "handled",
    "talk_ms",
    "hold_ms",
    "wrap_ms",
    "survey_1",
    "survey_2",
    "survey_3",
    "survey_4",
    "survey_5",
];

impl AgentSlot {
    pub fn values(&self) -> [i64; 14] {
        [
            self.offers,
            self.ring_no_answers,
            self.answered,
            self.callbacks_answered,
            self.transferred_out,
            self.handled,
            self.talk_ms,
            self.hold_ms,
            self.wrap_ms,
            self.survey_1,
            self.survey_2,
            self.survey_3,
            self.survey_4,
            self.survey_5,
        ]
    }

    fn from_values(v: [i64; 14]) -> Self {
        Self {
            offers: v[0],
            ring_no_answers: v[1],
            answered: v[2],
            callbacks_answered: v[3],
            transferred_out: v[4],
            handled: v[5],
            talk_ms: v[6],
            hold_ms: v[7],
            wrap_ms: v[8],
            survey_1: v[9],
            survey_2: v[10],
            survey_3: v[11],
            survey_4: v[12],
            survey_5: v[13],
        }
    }

    pub fn is_zero(&self) -> bool {
        self.values().iter().all(|v| *v == 0)
    }

    /// `self + sign * other`.
    pub fn add(&mut self, other: &AgentSlot, sign: i64) {
        let mut v = self.values();
        for (a, b) in v.iter_mut().zip(other.values()) {
            *a += sign * b;
        }
        *self = Self::from_values(v);
    }

    /// What an agent-answered segment gives to its agent's slot of the
    /// answer: `None` for entries no agent answered.
    pub fn of_segment(s: &QueueSegment) -> Option<((i64, String), AgentSlot)> {
        let (Some(agent), Some(answered_at)) = (&s.agent, s.agent_answered_at_ms) else {
            return None;
        };
        let mut a = AgentSlot {
            answered: 1,
            callbacks_answered: i64::from(s.outcome == SegmentOutcome::Callback),
            transferred_out: i64::from(s.outcome == SegmentOutcome::TransferredOut),
            ..AgentSlot::default()
        };
        if s.handled() {
            a.handled = 1;
            a.talk_ms = s.talk_ms.unwrap_or(0);
            a.hold_ms = s.hold_ms;
            a.wrap_ms = s.wrap_ms.unwrap_or(0);
        }
        let mut surveys = [0; 5];
        add_survey(&mut surveys, s.survey_score, 1);
        [a.survey_1, a.survey_2, a.survey_3, a.survey_4, a.survey_5] = surveys;
        Some(((slot_of(answered_at), agent.clone()), a))
    }

    pub fn figures(&self) -> AgentFigures {
        AgentFigures {
            offers: self.offers,
            answered: self.answered,
            callbacks_answered: self.callbacks_answered,
            ring_no_answers: self.ring_no_answers,
            transferred_out: self.transferred_out,
            handled: self.handled,
            talk_ms: self.talk_ms,
            hold_ms: self.hold_ms,
            wrap_ms: self.wrap_ms,
            aht_ms: ratio(self.talk_ms + self.hold_ms + self.wrap_ms, self.handled),
            survey: survey_figures([
                self.survey_1,
                self.survey_2,
                self.survey_3,
                self.survey_4,
                self.survey_5,
            ]),
        }
    }
}

/// Causes of a system hang-up that are failures, not the IVR finishing.
pub(crate) const FAILURE_CAUSES: [&str; 8] = [
    "shutdown",
    "crashed_process",
    "dead_media",
    "no_script",
    "no_rtp_port",
    "timeout",
    "no_ack",
    "rejected",
];

/// One row of `ivr_stats_15min`, or a difference to add to one.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct IvrSlot {
    pub calls: i64,
    pub answered: i64,
    pub queued: i64,
    pub agent_answered: i64,
    pub abandoned: i64,
    pub in_progress: i64,
    pub self_service: i64,
    pub voicemail: i64,
    pub callback_request: i64,
    pub caller_hung_up: i64,
    pub other_ended: i64,
}

/// The columns of `ivr_stats_15min` after its key (slot_ms, ivr_path).
pub(crate) const IVR_SLOT_VALUES: [&str; 11] = [
    "calls",
    "answered",
    "queued",
    "agent_answered",
    "abandoned",
    "in_progress",
    "self_service",
    "voicemail",
    "callback_request",
    "caller_hung_up",
    "other_ended",
];

/// The IVR path as reports key it: each node once, in first-visit order
/// (a caller going round a menu three times took the same path).
pub(crate) fn distinct_path(path: Option<&str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for node in path.unwrap_or_default().split('>') {
        if !node.is_empty() && !seen.contains(&node) {
            seen.push(node);
        }
    }
    seen.join(">")
}

impl IvrSlot {
    pub fn values(&self) -> [i64; 11] {
        [
            self.calls,
            self.answered,
            self.queued,
            self.agent_answered,
            self.abandoned,
            self.in_progress,
            self.self_service,
            self.voicemail,
            self.callback_request,
            self.caller_hung_up,
            self.other_ended,
        ]
    }

    fn from_values(v: [i64; 11]) -> Self {
        Self {
            calls: v[0],
            answered: v[1],
            queued: v[2],
            agent_answered: v[3],
            abandoned: v[4],
            in_progress: v[5],
            self_service: v[6],
            voicemail: v[7],
            callback_request: v[8],
            caller_hung_up: v[9],
            other_ended: v[10],
        }
    }

    pub fn is_zero(&self) -> bool {
        self.values().iter().all(|v| *v == 0)
    }

    pub fn add(&mut self, other: &IvrSlot, sign: i64) {
        let mut v = self.values();
        for (a, b) in v.iter_mut().zip(other.values()) {
            *a += sign * b;
        }
        *self = Self::from_values(v);
    }

    /// What one call record gives to the slot of its start and its IVR
    /// path: `None` for outgoing callback calls and calls whose start is
    /// not known yet. The rules:
    ///
    /// - every incoming call counts in `calls`; `answered` if the hotline
    ///   answered it (the IVR took it);
    /// - `queued` if it ever entered a queue, `agent_answered` if an agent
    ///   answered it, `abandoned` if the caller hung up while queued;
    /// - answered and never queued: `in_progress` until it ends, then one
    ///   reason, the first that applies: `voicemail` (left a message),
    ///   `callback_request` (asked in the IVR to be called back),
    ///   `caller_hung_up`, `self_service` (the IVR ended it: a hang-up node
    ///   after self-service), `other_ended` (anything else: a transfer out
    ///   of the IVR, a failure such as shutdown or dead media).
    pub fn of_call(r: &CallRecord) -> Option<((i64, String), IvrSlot)> {
        let started = r.started_at_ms?;
        if r.outbound_callback != 0 {
            return None;
        }
        let mut s = IvrSlot {
            calls: 1,
            answered: i64::from(r.answered_at_ms.is_some()),
            queued: i64::from(r.queued_at_ms.is_some()),
            agent_answered: i64::from(r.agent_answered_at_ms.is_some()),
            abandoned: i64::from(r.abandoned != 0),
            ..IvrSlot::default()
        };
        if r.answered_at_ms.is_some() && r.queued_at_ms.is_none() {
            let system = r.hangup_side.as_deref() == Some("system");
            let failure = r
                .hangup_cause
                .as_deref()
                .is_some_and(|c| FAILURE_CAUSES.contains(&c));
            if r.ended_at_ms.is_none() {
                s.in_progress = 1;
            } else if r.voicemail_recording.is_some() {
                s.voicemail = 1;
            } else if r.callback_number.is_some() {
                s.callback_request = 1;
            } else if r.hangup_side.as_deref() == Some("caller") {
                s.caller_hung_up = 1;
            } else if system && !failure && r.transferred_to.is_none() {
                s.self_service = 1;
            } else {
                s.other_ended = 1;
            }
        }
        Some(((slot_of(started), distinct_path(r.ivr_path.as_deref())), s))
    }

    pub fn figures(&self) -> IvrFigures {
        let contained = self.self_service
            + self.voicemail
            + self.callback_request
            + self.caller_hung_up
            + self.other_ended;
        IvrFigures {
            calls: self.calls,
            answered: self.answered,
            queued: self.queued,
            agent_answered: self.agent_answered,
            abandoned: self.abandoned,
            in_progress: self.in_progress,
            contained,
            self_service: self.self_service,
            voicemail: self.voicemail,
            callback_request: self.callback_request,
            caller_hung_up: self.caller_hung_up,
            other_ended: self.other_ended,
            containment_rate: ratio(contained, self.answered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(outcome: SegmentOutcome, wait: i64) -> QueueSegment {
        QueueSegment {
            call_id: "c".into(),
            seq: 1,
            queue: "q".into(),
            entered_at_ms: 0,
            outcome,
            left_at_ms: Some(wait),
            wait_ms: Some(wait),
            offers: 1,
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

    #[test]
    fn slots_and_segments_give_the_same_totals() {
        let t = Thresholds::default();
        let segments = [
            segment(SegmentOutcome::Answered, 4_000),
            segment(SegmentOutcome::Answered, 25_000),
            segment(SegmentOutcome::Abandoned, 3_000),
            segment(SegmentOutcome::Abandoned, 12_000),
            segment(SegmentOutcome::Overflowed, 90_000),
            segment(SegmentOutcome::Ongoing, 0),
        ];
        let mut by_segment = QueueTotals::default();
        for s in &segments {
            by_segment.add_segment(s, &t).unwrap();
        }
        let mut by_slot = QueueTotals::default();
        by_slot
            .add_slot(&QueueSlot::build(0, "q", &segments), &t)
            .unwrap();
        assert_eq!(by_slot, by_segment);
        assert_eq!(by_slot.short_abandoned, 1);
        assert_eq!(by_slot.abandoned_within, 1);
        assert_eq!(by_slot.max_queued_ms, Some(90_000));
    }

    #[test]
    fn applying_changes_matches_building_from_scratch() {
        let t = Thresholds::default();
        let before = [
            segment(SegmentOutcome::Answered, 4_000),
            segment(SegmentOutcome::Ongoing, 0),
            segment(SegmentOutcome::Abandoned, 30_000),
        ];
        let mut slot = QueueSlot::build(0, "q", &before);
        // The ongoing entry is answered after 9 s.
        let answered = segment(SegmentOutcome::Answered, 9_000);
        assert!(slot.replace(Some(&before[1]), &answered));
        let after = [before[0].clone(), answered, before[2].clone()];
        let mut incremental = QueueTotals::default();
        incremental.add_slot(&slot, &t).unwrap();
        let mut built = QueueTotals::default();
        built
            .add_slot(&QueueSlot::build(0, "q", &after), &t)
            .unwrap();
        assert_eq!(incremental, built);
        // Changing the longest wait's entry without changing its wait is
        // exact; making it shorter needs the segments.
        let mut wrapped = before[2].clone();
        wrapped.offers = 2;
        assert!(slot.replace(Some(&before[2]), &wrapped));
        assert!(!slot.replace(Some(&wrapped), &segment(SegmentOutcome::Abandoned, 29_000)));
    }

    #[test]
    fn paths_keep_each_node_once() {
        assert_eq!(distinct_path(Some("a>b>a>c>b")), "a>b>c");
        assert_eq!(distinct_path(None), "");
    }
}
