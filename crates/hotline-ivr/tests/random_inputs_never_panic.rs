//! Operation-sequence property test: any sequence of inputs, sensible or
//! not, in any order and at any time, never panics the engine and never
//! leaves a call stuck with nothing to wait for.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use hotline_ivr::*;
use hotline_types::{CaseRef, Timestamp};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Digit(char),
    FinishOldestPrompt,
    FinishPrompt(u64),
    Timeout,
    Wait(u64),
    LookupFound(bool),
    LookupNotFound,
    LookupFailed,
    LookupStale(u64),
    AgentFinished,
    Overflow,
    Recorded(u64, bool),
    Hangup,
    Start,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::sample::select(vec!['0','1','2','3','4','5','6','7','8','9','*','#','a']).prop_map(Op::Digit),
        6 => Just(Op::FinishOldestPrompt),
        1 => (0u64..40).prop_map(Op::FinishPrompt),
        3 => Just(Op::Timeout),
        2 => (0u64..20_000).prop_map(Op::Wait),
        1 => any::<bool>().prop_map(Op::LookupFound),
        1 => Just(Op::LookupNotFound),
        1 => Just(Op::LookupFailed),
        1 => (0u64..40).prop_map(Op::LookupStale),
        1 => Just(Op::AgentFinished),
        1 => Just(Op::Overflow),
        1 => (0u64..200_000, any::<bool>()).prop_map(|(ms, c)| Op::Recorded(ms, c)),
        1 => Just(Op::Hangup),
        1 => Just(Op::Start),
    ]
}

struct Driver {
    ivr: Ivr,
    now: Instant,
    playing: Vec<PlaybackId>,
    lookup: Option<LookupId>,
    recording: Option<RecordingId>,
    queued: bool,
    started: bool,
}

impl Driver {
    fn feed(&mut self, input: Input) {
        if matches!(input, Input::Start) {
            self.started = true;
        }
        if matches!(input, Input::QueueResult(_)) {
            self.queued = false;
        }
        let was_finished = self.ivr.is_finished();
        let prompt_was_playing = !self.playing.is_empty();
        self.ivr.handle_input(self.now, input);
        while let Some(a) = self.ivr.poll_action() {
            assert!(!was_finished, "an action after the end: {a:?}");
            if let Action::Emit(hotline_types::CallEvent::MenuRetry { reason, .. }) = &a {
                assert!(
                    !(reason == "timeout" && prompt_was_playing),
                    "a timeout retry while the prompt still played"
                );
            }
            match a {
                Action::Play { id, .. } | Action::Say { id, .. } => self.playing.push(id),
                Action::StopPlayback { id } => self.playing.retain(|p| *p != id),
                Action::Lookup(r) => self.lookup = Some(r.id),
                Action::Record { id, .. } => self.recording = Some(id),
                Action::Enqueue { .. } => self.queued = true,
                _ => {}
            }
        }
        if let Some(at) = self.ivr.poll_timeout() {
            assert!(at >= self.now, "a deadline in the past");
        }
        assert!(
            self.playing.len() <= 1 || self.ivr.is_finished(),
            "more than one prompt outstanding: {:?}",
            self.playing
        );
        if self.started && !self.ivr.is_finished() {
            assert!(
                self.ivr.poll_timeout().is_some() || !self.playing.is_empty() || self.queued,
                "stuck at {:?}: no timer, no prompt, not queued",
                self.ivr.current_node()
            );
        }
    }
}

fn run(script: Arc<CompiledScript>, answered_at: Timestamp, ops: Vec<Op>) {
    let mut d = Driver {
        ivr: Ivr::new(
            script,
            CallInfo {
                caller: "13800138000".into(),
                called: "12345".into(),
                answered_at,
            },
        ),
        now: Instant::now(),
        playing: Vec::new(),
        lookup: None,
        recording: None,
        queued: false,
        started: false,
    };
    d.feed(Input::Start);
    for op in ops {
        d.now += Duration::from_millis(100);
        match op {
            Op::Digit(c) => d.feed(Input::Digit(c)),
            Op::FinishOldestPrompt => {
                if !d.playing.is_empty() {
                    let id = d.playing.remove(0);
                    d.feed(Input::PromptFinished(id));
                }
            }
            Op::FinishPrompt(n) => {
                // The controller reports the end of whatever id it had.
                d.playing.retain(|p| *p != PlaybackId(n));
                d.feed(Input::PromptFinished(PlaybackId(n)));
            }
            Op::Timeout => {
                if let Some(at) = d.ivr.poll_timeout() {
                    d.now = d.now.max(at);
                }
                d.feed(Input::Timeout);
            }
            Op::Wait(ms) => d.now += Duration::from_millis(ms),
            Op::LookupFound(status) => {
                if let Some(id) = d.lookup.take() {
                    let fields = if status {
                        vec![("case_status".into(), "closed".into())]
                    } else {
                        vec![("case_department".into(), "{weird}".into())]
                    };
                    d.feed(Input::LookupResult(LookupResponse {
                        id,
                        outcome: LookupOutcome::Found { fields },
                    }));
                }
            }
            Op::LookupNotFound | Op::LookupFailed => {
                if let Some(id) = d.lookup.take() {
                    let outcome = if matches!(op, Op::LookupNotFound) {
                        LookupOutcome::NotFound
                    } else {
                        LookupOutcome::Failed
                    };
                    d.feed(Input::LookupResult(LookupResponse { id, outcome }));
                }
            }
            Op::LookupStale(n) => d.feed(Input::LookupResult(LookupResponse {
                id: LookupId(n),
                outcome: LookupOutcome::NotFound,
            })),
            Op::AgentFinished => d.feed(Input::QueueResult(QueueOutcome::AgentFinished)),
            Op::Overflow => d.feed(Input::QueueResult(QueueOutcome::Overflow {
                reason: "full".into(),
            })),
            Op::Recorded(ms, with_case) => {
                let id = d.recording.take().unwrap_or(RecordingId(7));
                d.feed(Input::RecordingFinished(Recording {
                    id,
                    file: "r.wav".into(),
                    duration_ms: ms,
                    case_ref: with_case.then(|| CaseRef::new(2026, 1, 1, 1).expect("valid")),
                }));
            }
            Op::Hangup => d.feed(Input::Hangup),
            Op::Start => d.feed(Input::Start),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn the_shipped_hotline_survives_any_input_sequence(
        ops in prop::collection::vec(op(), 0..120),
        minutes_into_2026 in 0i64..(366 * 24 * 60),
    ) {
        static HOTLINE: std::sync::OnceLock<Arc<CompiledScript>> = std::sync::OnceLock::new();
        let script = HOTLINE
            .get_or_init(|| {
                ScriptSet::load(shipped_dir(), hotline_environment())
                    .expect("loads")
                    .script("hotline")
                    .expect("hotline")
            })
            .clone();
        let start_of_2026 = shanghai(2026, 1, 1, 0, 0).as_millis();
        run(script, Timestamp(start_of_2026 + minutes_into_2026 * 60_000), ops);
    }
}
