//! Two endpoints (the hotline calling an agent's phone, both sans-IO) over a
//! simulated UDP network that drops, duplicates and reorders datagrams by a
//! seeded RNG. Whatever happens, no panic, every call ends exactly once on
//! both sides, nothing is left behind, and retransmissions carry most calls
//! through moderate loss.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_sip::{
    CallHandle, Endpoint, EndpointConfig, Event, OutgoingCall, Output, Peer, Transport,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::{addr, local_media};

const UAC: usize = 0;
const UAS: usize = 1;

struct Network {
    drop: f64,
    duplicate: f64,
    max_delay: Duration,
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Ring(CallHandle),
    Answer(CallHandle),
    Reject(CallHandle),
    Hangup(CallHandle),
}

struct Sim {
    sides: [Endpoint; 2],
    addrs: [SocketAddr; 2],
    now: Instant,
    in_flight: Vec<(Instant, usize, Peer, Vec<u8>)>,
    actions: Vec<(Instant, usize, Action)>,
    events: [Vec<Event>; 2],
    rng: StdRng,
    net: Network,
}

impl Sim {
    fn pump(&mut self, side: usize) {
        while let Some(output) = self.sides[side].poll_output() {
            match output {
                Output::Transmit(t) => {
                    let to = self.addrs.iter().position(|a| *a == t.peer.addr);
                    let Some(to) = to else { continue };
                    let from = Peer {
                        transport: Transport::Udp,
                        addr: self.addrs[side],
                        connection: None,
                    };
                    let copies = if self.rng.gen_bool(self.net.drop) {
                        0
                    } else if self.rng.gen_bool(self.net.duplicate) {
                        2
                    } else {
                        1
                    };
                    for _ in 0..copies {
                        let delay = self.net.max_delay.mul_f64(self.rng.gen_range(0.0..=1.0));
                        self.in_flight
                            .push((self.now + delay, to, from, t.bytes.clone()));
                    }
                }
                Output::Event(event) => {
                    self.react(side, &event);
                    self.events[side].push(event);
                }
            }
        }
    }

    /// The controllers: the phone rings, then answers or rejects; someone hangs up.
    fn react(&mut self, side: usize, event: &Event) {
        let ms = |rng: &mut StdRng, max: u64| Duration::from_millis(rng.gen_range(0..=max));
        match event {
            Event::IncomingCall { call, .. } => {
                let ring = self.now + ms(&mut self.rng, 200);
                self.actions.push((ring, side, Action::Ring(*call)));
                let decide = ring + ms(&mut self.rng, 3000);
                let action = match self.rng.gen_range(0..10) {
                    0 => Action::Reject(*call),
                    1 => Action::Hangup(*call),
                    _ => Action::Answer(*call),
                };
                self.actions.push((decide, side, action));
            }
            Event::OutgoingProgress { call, .. } if self.rng.gen_bool(0.05) => {
                let at = self.now + ms(&mut self.rng, 500);
                self.actions.push((at, side, Action::Hangup(*call)));
            }
            // Either side may hang up first (or neither: wound down later).
            Event::OutgoingAnswered { call, .. } | Event::CallConfirmed { call, .. }
                if self.rng.gen_bool(0.5) =>
            {
                let at = self.now + ms(&mut self.rng, 5000);
                self.actions.push((at, side, Action::Hangup(*call)));
            }
            _ => {}
        }
    }

    fn next_time(&self) -> Option<Instant> {
        let flights = self.in_flight.iter().map(|f| f.0);
        let actions = self.actions.iter().map(|a| a.0);
        let timers = self.sides.iter().filter_map(Endpoint::poll_timeout);
        flights.chain(actions).chain(timers).min()
    }

    fn run(&mut self, limit: Duration) {
        let end = self.now + limit;
        while let Some(at) = self.next_time() {
            if at > end {
                break;
            }
            self.now = self.now.max(at);
            let now = self.now;
            let due: Vec<_> = {
                let (due, rest) = std::mem::take(&mut self.in_flight)
                    .into_iter()
                    .partition(|f| f.0 <= now);
                self.in_flight = rest;
                due
            };
            for (_, to, from, bytes) in due {
                self.sides[to].handle_datagram(now, from, &bytes, 16 * 1024);
                self.pump(to);
            }
            let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.actions)
                .into_iter()
                .partition(|a| a.0 <= now);
            self.actions = rest;
            for (_, side, action) in due {
                let e = &mut self.sides[side];
                match action {
                    Action::Ring(c) => e.call_ring(now, c),
                    Action::Answer(c) => e.call_answer(now, c, local_media(20000)),
                    Action::Reject(c) => e.call_reject(now, c, 486),
                    Action::Hangup(c) => e.call_hangup(now, c),
                }
                self.pump(side);
            }
            for side in [UAC, UAS] {
                self.sides[side].handle_timeout(now);
                self.pump(side);
            }
        }
    }
}

struct Outcome {
    answered: bool,
    uas_answered: bool,
}

fn one_call(seed: u64, net: Network) -> Outcome {
    let t0 = Instant::now();
    let uac_addr = addr("127.0.0.1:5070");
    let uas_addr = addr("127.0.0.1:5060");
    let uac = Endpoint::new(
        EndpointConfig {
            advertised: uac_addr,
            numbers: vec![],
            ..Default::default()
        },
        [1; 32],
        t0,
    );
    let uas = Endpoint::new(EndpointConfig::default(), [2; 32], t0);
    let mut sim = Sim {
        sides: [uac, uas],
        addrs: [uac_addr, uas_addr],
        now: t0,
        in_flight: Vec::new(),
        actions: Vec::new(),
        events: [Vec::new(), Vec::new()],
        rng: StdRng::seed_from_u64(seed),
        net,
    };
    let call = sim.sides[UAC].call_place(
        t0,
        OutgoingCall {
            target: "sip:12345@127.0.0.1:5060".into(),
            peer: Peer {
                transport: Transport::Udp,
                addr: uas_addr,
                connection: None,
            },
            from_user: "12345".into(),
            from_display: None,
            local_media: local_media(30000),
        },
    );
    sim.pump(UAC);
    sim.run(Duration::from_secs(600));
    // Calls nobody hung up (the controllers above may leave one up) are hung
    // up by both sides now; then everything must wind down.
    let now = sim.now;
    let uas_calls: Vec<CallHandle> = sim.events[UAS]
        .iter()
        .filter_map(|e| match e {
            Event::IncomingCall { call, .. } => Some(*call),
            _ => None,
        })
        .collect();
    sim.sides[UAC].call_hangup(now, call);
    sim.pump(UAC);
    for c in uas_calls {
        sim.sides[UAS].call_hangup(now, c);
    }
    sim.pump(UAS);
    sim.run(Duration::from_secs(600));

    for side in [UAC, UAS] {
        let endpoint = &sim.sides[side];
        assert_eq!(
            endpoint.active_calls(),
            0,
            "seed {seed}: side {side} has a call left"
        );
        assert_eq!(
            endpoint.active_transactions(),
            0,
            "seed {seed}: side {side} has transactions left"
        );
        let mut ended: HashMap<CallHandle, usize> = HashMap::new();
        for event in &sim.events[side] {
            if let Event::CallEnded { call, .. } = event {
                *ended.entry(*call).or_default() += 1;
            }
        }
        assert!(
            ended.values().all(|n| *n == 1),
            "seed {seed}: a call ended twice on side {side}: {:?}",
            sim.events[side]
        );
    }
    let uac_events = &sim.events[UAC];
    assert_eq!(
        uac_events
            .iter()
            .filter(|e| matches!(e, Event::CallEnded { call: c, .. } if *c == call))
            .count(),
        1,
        "seed {seed}: the placed call ends exactly once: {uac_events:?}"
    );
    let answered = uac_events
        .iter()
        .any(|e| matches!(e, Event::OutgoingAnswered { .. }));
    let uas_events = &sim.events[UAS];
    if answered {
        assert!(
            uas_events
                .iter()
                .any(|e| matches!(e, Event::IncomingCall { .. })),
            "seed {seed}: answered without an incoming call"
        );
    }
    assert!(
        uas_events
            .iter()
            .filter(|e| matches!(e, Event::IncomingCall { .. }))
            .count()
            <= 1,
        "seed {seed}: one INVITE is one call, whatever the duplicates"
    );
    let confirmed = uas_events
        .iter()
        .filter(|e| matches!(e, Event::CallConfirmed { .. }))
        .count();
    assert!(confirmed <= 1, "seed {seed}: confirmed twice");
    let uas_answered = sim.events[UAS]
        .iter()
        .any(|e| matches!(e, Event::IncomingCall { .. }))
        && confirmed == 1;
    Outcome {
        answered,
        uas_answered,
    }
}

#[test]
fn a_perfect_network_always_connects_when_the_phone_answers() {
    for seed in 0..50 {
        let outcome = one_call(
            seed,
            Network {
                drop: 0.0,
                duplicate: 0.0,
                max_delay: Duration::from_millis(20),
            },
        );
        assert_eq!(outcome.answered, outcome.uas_answered, "seed {seed}");
    }
}

#[test]
fn loss_duplication_and_reordering_end_consistently() {
    let mut answered = 0;
    let runs = 300;
    for seed in 0..runs {
        let outcome = one_call(
            1000 + seed,
            Network {
                drop: 0.2,
                duplicate: 0.1,
                max_delay: Duration::from_millis(300),
            },
        );
        answered += usize::from(outcome.answered);
    }
    // The phone answers 80 % of calls; retransmissions must carry most of
    // them through 20 % loss.
    assert!(
        answered >= runs as usize * 6 / 10,
        "only {answered} of {runs} answered"
    );
}

#[test]
fn heavy_loss_never_leaves_state_behind() {
    for seed in 0..150 {
        one_call(
            5000 + seed,
            Network {
                drop: 0.5,
                duplicate: 0.3,
                max_delay: Duration::from_millis(2000),
            },
        );
    }
}
