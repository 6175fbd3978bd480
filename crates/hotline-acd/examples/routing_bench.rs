//! Routing decision time at hotline scale: 50 queues (all five strategies),
//! 2,000 agents, 10,000 callers waiting. Measures, over many decisions, the
//! time of one ACD input including draining its actions:
//!
//! - `agent freed -> offer`: an agent ends wrap-up and is offered the best
//!   waiting call across their three queues;
//! - `enqueue, agent free -> offer`: a caller joins a queue with a free agent;
//! - `enqueue, all busy`: a caller joins a queue where everyone is busy;
//! - an announcement round: every waiting caller is told their position.
//!
//! Run: `cargo run --release -p hotline-acd --example routing_bench`

use std::time::{Duration, Instant};

use hotline_acd::{
    Acd, AcdConfig, Action, AgentProfile, AgentState, EnqueueRequest, EscalationStep, QueueConfig,
    Strategy,
};
use hotline_types::{AgentId, CallId, QueueId};

const QUEUES: usize = 50;
/// Queue 49 is kept empty, served by its own agents, for the "agent free" case.
const HOT_QUEUE: usize = QUEUES - 1;
const AGENTS: usize = 2_000;
const HOT_AGENTS: usize = 40;
const WAITING: usize = 10_000;
const DECISIONS: usize = 20_000;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

struct Bench {
    acd: Acd,
    now: Instant,
    next_call: u128,
    rng: Rng,
    /// (call, agent) pairs talking, for agents of the busy queues.
    talking: Vec<(CallId, AgentId)>,
}

fn queue_id(q: usize) -> QueueId {
    QueueId::from(format!("q{q:02}"))
}

fn config() -> AcdConfig {
    let strategies = [
        Strategy::LongestIdle,
        Strategy::RoundRobin,
        Strategy::FewestCalls,
        Strategy::RingAll,
        Strategy::Skills,
    ];
    let queues = (0..QUEUES)
        .map(|q| {
            let mut c = QueueConfig::new(queue_id(q), format!("department {q}"));
            c.strategy = strategies[q % strategies.len()];
            if c.strategy == Strategy::Skills {
                c.escalation = vec![
                    EscalationStep {
                        after: Duration::ZERO,
                        min_level: Some(3),
                        ..Default::default()
                    },
                    EscalationStep {
                        after: Duration::from_secs(120),
                        drop_skills: true,
                        ..Default::default()
                    },
                ];
            }
            c
        })
        .collect();
    AcdConfig { queues }
}

impl Bench {
    fn enqueue(&mut self, q: usize) -> Vec<Action> {
        let call = CallId(uuid::Uuid::from_u128(self.next_call));
        self.next_call += 1;
        let skills = if q % 5 == 4 && self.rng.below(2) == 0 {
            vec!["mandarin".to_owned()]
        } else {
            vec![]
        };
        let request = EnqueueRequest {
            queue: queue_id(q),
            priority: self.rng.below(3) as u8,
            skills,
        };
        self.acd.enqueue(self.now, call, request).expect("enqueue");
        self.drain()
    }

    fn drain(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.acd.poll_action()).collect()
    }

    /// Answers every offer in `actions` (the first phone for ring-all), and
    /// the offers that follow, until nothing rings.
    fn answer_all(&mut self, mut actions: Vec<Action>) {
        while !actions.is_empty() {
            let mut next = Vec::new();
            for action in actions {
                if let Action::Offer { call, agent, .. } = action {
                    if self.acd.offer_answered(self.now, call, &agent).is_ok() {
                        next.extend(self.drain());
                        self.talking.push((call, agent));
                    }
                }
            }
            actions = next;
        }
    }
}

fn percentiles(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let over_goal = samples
        .iter()
        .filter(|d| **d > Duration::from_micros(50))
        .count();
    println!(
        "| {name:<30} | {:>7} | {:>8.2} | {:>8.2} | {:>8.2} | {over_goal:>8} |",
        samples.len(),
        micros(at(0.50)),
        micros(at(0.99)),
        micros(samples[samples.len() - 1]),
    );
}

fn main() {
    let mut bench = Bench {
        acd: Acd::new(config()),
        now: Instant::now(),
        next_call: 1,
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        talking: Vec::new(),
    };
    let setup = Instant::now();
    // Agents: each of the first 1,960 serves three of queues 0..49; the
    // last 40 serve only the hot queue.
    for i in 0..AGENTS {
        let queues = if i < AGENTS - HOT_AGENTS {
            let n = HOT_QUEUE;
            vec![
                queue_id(i % n),
                queue_id((i + 7) % n),
                queue_id((i + 19) % n),
            ]
        } else {
            vec![queue_id(HOT_QUEUE)]
        };
        let profile = AgentProfile {
            queues,
            skills: vec![
                ("mandarin".into(), (i % 10) as u8 + 1),
                ("tax".into(), (i % 7) as u8 + 1),
            ],
        };
        bench
            .acd
            .login(bench.now, AgentId::from(format!("agent{i:04}")), profile)
            .expect("login");
        bench.drain();
    }
    // Keep every agent of queues 0..49 busy, then let 10,000 callers wait.
    let mut waiting = 0;
    while waiting < WAITING {
        let q = bench.rng.below(HOT_QUEUE);
        let actions = bench.enqueue(q);
        if actions.iter().any(|a| matches!(a, Action::Offer { .. })) {
            bench.answer_all(actions);
        } else {
            waiting += 1;
        }
    }
    let snapshots = bench.acd.queue_snapshots(bench.now);
    let total_waiting: u32 = snapshots.iter().map(|s| s.waiting).sum();
    let busy = bench
        .acd
        .agent_snapshots(bench.now)
        .iter()
        .filter(|a| matches!(a.state, AgentState::OnCall { .. }))
        .count();
    println!(
        "set-up: {} queues, {} agents ({busy} on calls), {total_waiting} callers waiting, in {:.1} s",
        snapshots.len(),
        AGENTS,
        setup.elapsed().as_secs_f64()
    );

    let mut freed = Vec::with_capacity(DECISIONS);
    let mut busy_enqueue = Vec::with_capacity(DECISIONS);
    let mut free_enqueue = Vec::with_capacity(DECISIONS);
    let mut reference = Vec::with_capacity(DECISIONS);
    for _ in 0..DECISIONS {
        // The noise floor of this (shared) machine: the same timing around
        // a fixed microsecond or so of plain arithmetic that touches no ACD
        // state. Its max shows what preemption alone does to one sample.
        let start = Instant::now();
        let sum = (0..1_000u64).fold(0u64, |acc, x| acc.wrapping_add(std::hint::black_box(x)));
        std::hint::black_box(sum);
        reference.push(start.elapsed());

        // An agent ends a call and wrap-up: measured is the routing that
        // follows wrap-up (the best caller across their queues is offered).
        let pick = bench.rng.below(bench.talking.len());
        let (call, agent) = bench.talking.swap_remove(pick);
        bench.acd.talk_ended(bench.now, call).expect("talk ended");
        bench.drain();
        let start = Instant::now();
        bench
            .acd
            .wrap_up_done(bench.now, &agent, "resolved")
            .expect("wrap-up");
        let actions = bench.drain();
        freed.push(start.elapsed());
        assert!(
            actions
                .iter()
                .any(|a| matches!(a, Action::Offer { agent: to, .. } if *to == agent)),
            "a freed agent with callers waiting must be offered one"
        );
        bench.answer_all(actions);

        // A new caller keeps 10,000 waiting; everyone of that queue is busy.
        let q = bench.rng.below(HOT_QUEUE);
        let start = Instant::now();
        let actions = bench.enqueue(q);
        busy_enqueue.push(start.elapsed());
        assert!(!actions.iter().any(|a| matches!(a, Action::Offer { .. })));

        // A caller for the hot queue, where agents are free.
        let start = Instant::now();
        let actions = bench.enqueue(HOT_QUEUE);
        free_enqueue.push(start.elapsed());
        let Some(Action::Offer { call, agent, .. }) = actions
            .iter()
            .find(|a| matches!(a, Action::Offer { .. }))
            .cloned()
        else {
            panic!("a free agent of the hot queue must be offered the caller");
        };
        bench
            .acd
            .offer_answered(bench.now, call, &agent)
            .expect("answer");
        bench.acd.talk_ended(bench.now, call).expect("talk ended");
        bench
            .acd
            .wrap_up_done(bench.now, &agent, "resolved")
            .expect("wrap-up");
        bench.drain();
    }
    if let Err(e) = bench.acd.check_invariants() {
        panic!("invariants broken after the run: {e}");
    }
    let total_waiting: u32 = bench
        .acd
        .queue_snapshots(bench.now)
        .iter()
        .map(|s| s.waiting)
        .sum();
    println!("after the run: {total_waiting} callers waiting\n");
    println!(
        "| decision                       | samples | p50 (µs) | p99 (µs) | max (µs) | > 50 µs  |"
    );
    println!(
        "|--------------------------------|--------:|---------:|---------:|---------:|---------:|"
    );
    percentiles("agent freed -> offer", freed);
    percentiles("enqueue, agent free -> offer", free_enqueue);
    percentiles("enqueue, all busy", busy_enqueue);
    percentiles("reference: 1,000 additions", reference);

    // Thirty seconds later every waiting caller is due an announcement of
    // their position and estimated wait (position is counted in the queue's
    // order, linear in the place in line).
    bench.now += Duration::from_secs(30);
    let start = Instant::now();
    bench.acd.handle_timeout(bench.now);
    let announcements = bench
        .drain()
        .iter()
        .filter(|a| matches!(a, Action::Announce { .. }))
        .count();
    let took = start.elapsed();
    println!(
        "\nannouncement round: {announcements} announcements in {:.2} ms ({:.2} µs each)",
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e6 / announcements.max(1) as f64
    );
}
