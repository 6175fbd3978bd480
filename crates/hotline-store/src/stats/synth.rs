//! The statistics half of the seed: for each synthetic call that reaches a
//! queue, its queue segments (abandons, callbacks, overflows, ring-no-
//! answers, transfers, surveys) and the call-record fields that go with
//! them; agents taken from a pool so that no agent has two calls at once;
//! the agents' state history; and the 15-minute slots, added up in memory
//! and written once each (a slot is complete once the seed has passed the
//! day it belongs to). Everything is written with plain multi-row inserts,
//! sized per backend.

use hotline_types::Timestamp;
use rand::rngs::StdRng;
use rand::Rng;

use crate::db::{values_placeholders, with_pool, BeginWrite};
use crate::error::Result;
use crate::events::CallRecord;
use crate::stats::aggregate::{slot_of, AgentSlot, IvrSlot};
use crate::stats::rebuild::{write_slots, SlotTotals};
use crate::stats::segments::SEGMENT_COLUMN_COUNT;
use crate::stats::segments::{bind_segment, QueueSegment, SegmentOutcome, SEGMENT_COLUMNS};
use crate::{Backend, Store};

/// Rows per multi-row insert for a table of `columns` columns: about 1,000
/// parameters on SQLite (sqlx binds SQLite parameters by name, at a cost
/// proportional to the statement's parameter count), 30,000 on PostgreSQL.
pub(crate) fn bulk_rows(backend: Backend, columns: usize) -> usize {
    let params = match backend {
        Backend::Sqlite => 1_000,
        Backend::Postgres => 30_000,
    };
    (params / columns.max(1)).max(1)
}

fn exp_ms(rng: &mut StdRng, mean_ms: f64) -> i64 {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    (-u.ln() * mean_ms) as i64
}

const DISPOSITIONS: [&str; 5] = [
    "resolved_on_call",
    "case_created",
    "information_given",
    "transferred",
    "callback_needed",
];

/// An idle gap longer than this ends an agent's shift (logged out).
const SHIFT_GAP_MS: i64 = 2 * 3_600_000;

struct SeedState {
    agent: usize,
    state: &'static str,
    call: Option<String>,
    at: i64,
}

/// The agents, each free from a time on.
struct AgentPool {
    free_at: Vec<Option<i64>>,
}

impl AgentPool {
    fn name(i: usize) -> String {
        format!("agent{:03}", i + 1)
    }

    /// An agent free from `from` (a few random tries; if none is free, the
    /// one free soonest among those tried), busy until `until`. Logs the
    /// agent in (and out of their previous shift) when needed.
    fn take(
        &mut self,
        rng: &mut StdRng,
        from: i64,
        until: i64,
        states: &mut Vec<SeedState>,
    ) -> usize {
        let n = self.free_at.len();
        let mut best = rng.gen_range(0..n);
        for _ in 0..16 {
            let i = rng.gen_range(0..n);
            match self.free_at[i] {
                None => {
                    best = i;
                    break;
                }
                Some(free) if free <= from => {
                    best = i;
                    break;
                }
                Some(free) => {
                    if self.free_at[best].is_some_and(|b| free < b) {
                        best = i;
                    }
                }
            }
        }
        match self.free_at[best] {
            Some(free) if from - free <= SHIFT_GAP_MS => {}
            previous => {
                if let Some(free) = previous {
                    states.push(SeedState {
                        agent: best,
                        state: "logged_out",
                        call: None,
                        at: free + 600_000,
                    });
                }
                let login = from - rng.gen_range(60_000..600_000);
                states.push(SeedState {
                    agent: best,
                    state: "available",
                    call: None,
                    at: login,
                });
            }
        }
        self.free_at[best] = Some(self.free_at[best].map_or(until, |f| f.max(until)));
        best
    }
}

/// Queue activity, agent states and slots of the seed.
pub(crate) struct SeedStats {
    pool: AgentPool,
    queues: Vec<&'static str>,
    segments: Vec<QueueSegment>,
    states: Vec<SeedState>,
    totals: SlotTotals,
    pub segments_written: u64,
    pub states_written: u64,
}

/// When the queued part of a call ended.
pub(crate) struct QueuedPart {
    /// The end of the call.
    pub end_ms: i64,
    /// The last event (end of the last wrap-up).
    pub last_event_ms: i64,
    /// When an agent first answered, if one did.
    pub answered_at_ms: Option<i64>,
}

impl SeedStats {
    pub fn new(agents: u32, queues: &[&'static str]) -> Self {
        Self {
            pool: AgentPool {
                free_at: vec![None; agents.max(1) as usize],
            },
            queues: queues.to_vec(),
            segments: Vec::new(),
            states: Vec::new(),
            totals: SlotTotals::default(),
            segments_written: 0,
            states_written: 0,
        }
    }

    fn touch(&mut self, agent: usize, at: i64, slot: AgentSlot) {
        self.totals
            .agents
            .entry((slot_of(at), AgentPool::name(agent)))
            .or_default()
            .add(&slot, 1);
    }

    /// An agent answers `seg` after `wait`: a ring-no-answer first for 5%,
    /// talk, hold for 20%, wrap-up. Returns the end of the talk.
    fn answer(&mut self, rng: &mut StdRng, seg: &mut QueueSegment, wait: i64) -> i64 {
        let answered = seg.entered_at_ms + wait;
        if rng.gen_bool(0.05) && wait > 20_000 {
            let other = rng.gen_range(0..self.pool.free_at.len());
            seg.offers += 1;
            seg.ring_no_answers += 1;
            let at = answered - 20_000;
            self.touch(
                other,
                at,
                AgentSlot {
                    offers: 1,
                    ..AgentSlot::default()
                },
            );
            self.touch(
                other,
                at + 15_000,
                AgentSlot {
                    ring_no_answers: 1,
                    ..AgentSlot::default()
                },
            );
        }
        let ring = rng.gen_range(2_000..8_000);
        let talk = 60_000 + exp_ms(rng, 180_000.0);
        let hold = if rng.gen_bool(0.2) {
            rng.gen_range(5_000..120_000)
        } else {
            0
        };
        let wrap = rng.gen_range(10_000..90_000);
        let talk_end = answered + talk + hold;
        let agent = self
            .pool
            .take(rng, answered - ring, talk_end + wrap, &mut self.states);
        seg.offers += 1;
        self.touch(
            agent,
            answered - ring,
            AgentSlot {
                offers: 1,
                ..AgentSlot::default()
            },
        );
        seg.outcome = match seg.outcome {
            SegmentOutcome::Callback => SegmentOutcome::Callback,
            _ => SegmentOutcome::Answered,
        };
        if seg.left_at_ms.is_none() {
            seg.left_at_ms = Some(answered);
            seg.wait_ms = Some(wait);
        }
        seg.agent = Some(AgentPool::name(agent));
        seg.agent_answered_at_ms = Some(answered);
        seg.hold_ms = hold;
        seg.talk_ms = Some(talk);
        seg.wrap_ms = Some(wrap);
        seg.wrapped_at_ms = Some(talk_end + wrap);
        for (state, at) in [
            ("offered", answered - ring),
            ("on_call", answered),
            ("wrap_up", talk_end),
            ("available", talk_end + wrap),
        ] {
            self.states.push(SeedState {
                agent,
                state,
                call: Some(seg.call_id.clone()),
                at,
            });
        }
        talk_end
    }

    /// The queued part of call `r` (queue entry at `queued_at`): 8%
    /// abandon, 2% ask for a callback (taken by an agent 1 to 20 minutes
    /// later), 2% overflow after 2 to 5 minutes into `general`, the rest
    /// are answered; 3% of answered calls are transferred to another queue.
    /// Fills the record's queue, agent, wait, talk, hold, wrap-up, hang-up
    /// and survey fields to match.
    pub fn queued_call(
        &mut self,
        rng: &mut StdRng,
        r: &mut CallRecord,
        queue: &'static str,
        queued_at: i64,
    ) -> QueuedPart {
        let call_id = r.call_id.clone();
        let mut segs = vec![QueueSegment::new(&call_id, 1, queue, queued_at)];
        r.queue = Some(queue.into());
        r.queued_at_ms = Some(queued_at);
        let wait = exp_ms(rng, 25_000.0).min(900_000);
        let roll = rng.gen_range(0..100);
        let mut part = QueuedPart {
            end_ms: queued_at + wait,
            last_event_ms: queued_at + wait,
            answered_at_ms: None,
        };
        r.hangup_side = Some("caller".into());
        r.hangup_cause = Some("bye".into());
        if roll < 8 {
            segs[0].outcome = SegmentOutcome::Abandoned;
            segs[0].left_at_ms = Some(queued_at + wait);
            segs[0].wait_ms = Some(wait);
            r.abandoned = 1;
            r.abandon_wait_ms = Some(wait);
        } else if roll < 10 {
            segs[0].outcome = SegmentOutcome::Callback;
            segs[0].left_at_ms = Some(queued_at + wait);
            segs[0].wait_ms = Some(wait);
            r.callback_number = r.caller.clone();
            part.end_ms = queued_at + wait + 4_000;
            r.hangup_side = Some("system".into());
            let later = part.end_ms + rng.gen_range(60_000..1_200_000);
            let seg = &mut segs[0];
            let entered = seg.entered_at_ms;
            let talk_end = self.answer(rng, seg, later - entered);
            r.agent = seg.agent.clone();
            r.agent_answered_at_ms = Some(later);
            r.wait_ms = Some(later - entered);
            r.talk_ms = Some(0);
            r.wrap_ms = seg.wrap_ms;
            r.offered_count = seg.offers;
            part.last_event_ms = seg.wrapped_at_ms.unwrap_or(talk_end);
        } else {
            let mut wait = wait;
            if roll < 12 && queue != "general" {
                let over_at = queued_at + rng.gen_range(120_000..300_000);
                segs[0].outcome = SegmentOutcome::Overflowed;
                segs[0].left_at_ms = Some(over_at);
                segs[0].wait_ms = Some(over_at - queued_at);
                segs[0].next_destination = Some("general".into());
                segs.push(QueueSegment::new(&call_id, 2, "general", over_at));
                r.queue = Some("general".into());
                wait = exp_ms(rng, 20_000.0).min(600_000);
            }
            let mut i = segs.len() - 1;
            let mut first_answer = None;
            let mut hold_total = 0;
            let mut end;
            loop {
                let entered = segs[i].entered_at_ms;
                let talk_end = self.answer(rng, &mut segs[i], wait);
                first_answer.get_or_insert(entered + wait);
                hold_total += segs[i].hold_ms;
                end = talk_end;
                r.agent = segs[i].agent.clone();
                r.wait_ms = Some(wait);
                r.wrap_ms = segs[i].wrap_ms;
                part.last_event_ms = segs[i].wrapped_at_ms.unwrap_or(talk_end);
                if i > 0 || segs.len() > 1 || !rng.gen_bool(0.03) {
                    break;
                }
                // Transferred to another queue.
                let to = self.queues[rng.gen_range(0..self.queues.len())];
                if to == queue {
                    break;
                }
                segs[i].outcome = SegmentOutcome::TransferredOut;
                segs[i].next_destination = Some(to.into());
                r.transferred_to = Some(to.into());
                r.queue = Some(to.into());
                segs.push(QueueSegment::new(&call_id, 2, to, talk_end));
                i += 1;
                wait = exp_ms(rng, 20_000.0).min(600_000);
            }
            part.end_ms = end;
            part.answered_at_ms = first_answer;
            r.agent_answered_at_ms = first_answer;
            r.offered_count = segs.iter().map(|s| s.offers).sum();
            r.hold_ms = hold_total;
            r.talk_ms = first_answer.map(|a| end - a - hold_total);
            r.disposition = Some(DISPOSITIONS[rng.gen_range(0..DISPOSITIONS.len())].into());
            r.hangup_side = Some(if rng.gen_bool(0.6) { "caller" } else { "agent" }.into());
            if rng.gen_bool(0.3) {
                let score = rng.gen_range(1..=5);
                r.survey_score = Some(score);
                if let Some(last) = segs.last_mut() {
                    last.survey_score = Some(score);
                }
            }
        }
        for s in segs {
            self.totals.add_segment(&s);
            if let Some((key, contribution)) = AgentSlot::of_segment(&s) {
                self.totals
                    .agents
                    .entry(key)
                    .or_default()
                    .add(&contribution, 1);
            }
            self.segments.push(s);
        }
        part
    }

    /// How a call that never reached a queue left the IVR: 40% self-service
    /// (the IVR hung up), 35% the caller hung up, 15% a voice message, 10%
    /// a callback request.
    pub fn ivr_only(rng: &mut StdRng, r: &mut CallRecord) {
        let roll = rng.gen_range(0..100);
        let (side, voicemail, callback) = match roll {
            0..=39 => ("system", false, false),
            40..=74 => ("caller", false, false),
            75..=89 => ("system", true, false),
            _ => ("system", false, true),
        };
        r.hangup_side = Some(side.into());
        r.hangup_cause = Some("bye".into());
        if voicemail {
            r.voicemail_recording = Some(format!("voicemail/{}.wav", r.call_id));
        }
        if callback {
            r.callback_number = r.caller.clone();
        }
    }

    /// Counts a finished call record in its IVR slot.
    pub fn add_call(&mut self, r: &CallRecord) {
        if let Some((key, contribution)) = IvrSlot::of_call(r) {
            self.totals
                .ivr
                .entry(key)
                .or_default()
                .add(&contribution, 1);
        }
    }

    /// Writes the buffered segments and states, and every slot before
    /// `complete_before` (no later call can add to them).
    pub async fn write(&mut self, store: &Store, complete_before: Option<Timestamp>) -> Result<()> {
        let backend = store.backend();
        let segments = std::mem::take(&mut self.segments);
        let states = std::mem::take(&mut self.states);
        let (queues, agents, ivr) = match complete_before {
            None => (
                std::mem::take(&mut self.totals.queues),
                std::mem::take(&mut self.totals.agents),
                std::mem::take(&mut self.totals.ivr),
            ),
            Some(t) => {
                let key = (t.as_millis(), String::new());
                let rest_q = self.totals.queues.split_off(&key);
                let rest_a = self.totals.agents.split_off(&key);
                let rest_i = self.totals.ivr.split_off(&key);
                (
                    std::mem::replace(&mut self.totals.queues, rest_q),
                    std::mem::replace(&mut self.totals.agents, rest_a),
                    std::mem::replace(&mut self.totals.ivr, rest_i),
                )
            }
        };
        let slots = SlotTotals {
            queues,
            agents,
            ivr,
        };
        self.segments_written += segments.len() as u64;
        self.states_written += states.len() as u64;
        with_pool!(store, |pool| {
            let mut tx = pool.begin_write().await?;
            for chunk in segments.chunks(bulk_rows(backend, SEGMENT_COLUMN_COUNT)) {
                let sql = format!(
                    "INSERT INTO queue_segments ({SEGMENT_COLUMNS}) VALUES {}",
                    values_placeholders(chunk.len(), SEGMENT_COLUMN_COUNT)
                );
                let mut q = sqlx::query(&sql);
                for s in chunk {
                    q = bind_segment!(q, s);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in states.chunks(bulk_rows(backend, 5)) {
                let sql = format!(
                    "INSERT INTO agent_states (agent, state, reason, call_id, at_ms) VALUES {} \
                     ON CONFLICT (agent, at_ms, state) DO NOTHING",
                    values_placeholders(chunk.len(), 5)
                );
                let mut q = sqlx::query(&sql);
                for s in chunk {
                    q = q
                        .bind(AgentPool::name(s.agent))
                        .bind(s.state)
                        .bind(None::<String>)
                        .bind(s.call.clone())
                        .bind(s.at);
                }
                q.execute(&mut *tx).await?;
            }
            write_slots!(tx, slots);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Logs every agent out after their last call, writes what is left and
    /// each agent's latest state.
    pub async fn finish(mut self, store: &Store) -> Result<()> {
        let mut latest = Vec::new();
        for (i, free) in self.pool.free_at.iter().enumerate() {
            if let Some(free) = free {
                let at = free + 600_000;
                self.states.push(SeedState {
                    agent: i,
                    state: "logged_out",
                    call: None,
                    at,
                });
                latest.push((AgentPool::name(i), at));
            }
        }
        self.write(store, None).await?;
        let backend = store.backend();
        with_pool!(store, |pool| {
            let mut tx = pool.begin_write().await?;
            for chunk in latest.chunks(bulk_rows(backend, 3)) {
                let sql = format!(
                    "INSERT INTO agent_latest_states (agent, state, at_ms) VALUES {}",
                    values_placeholders(chunk.len(), 3)
                );
                let mut q = sqlx::query(&sql);
                for (agent, at) in chunk {
                    q = q.bind(agent.as_str()).bind("logged_out").bind(*at);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
