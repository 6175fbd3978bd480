//! The IVR state machine of one call. Sans-IO: it never reads a clock, never
//! sleeps, never touches a file or a socket. The call controller feeds it
//! [`Input`]s with the current `Instant`, carries out the [`Action`]s it
//! polls, and calls [`Ivr::handle_input`] with [`Input::Timeout`] when
//! [`Ivr::poll_timeout`] is due. It owns the caller's path through one
//! script version; it does not own media, queues or the store.
//!
//! This file holds the call's state ([`Ivr`]), its API and what every node
//! shares: entering a node and passing through the ones that do not wait
//! (`go`), playing prompts, timers and finishing. What each node kind
//! does when the caller reaches it, and with the answers it waits for, is in
//! the file named after it (its compile step is in the file of the same
//! name under `compile/`):
//!
//! | script table | run step |
//! |---|---|
//! | `[[play]]` | `play.rs` |
//! | `[[menu]]` | `menu.rs` |
//! | `[[collect]]` | `collect.rs` |
//! | `[[survey]]` | `survey.rs` |
//! | `[[consent]]` | `consent.rs` |
//! | `[[say]]` | `say.rs` |
//! | `[[branch]]` | `branch.rs` |
//! | `[[schedule]]` | `schedule.rs` |
//! | `[[lookup]]` | `lookup.rs` |
//! | `[[set]]`, `[[set_language]]` | `set.rs` |
//! | `[[queue]]` | `queue.rs` |
//! | `[[voicemail]]` | `voicemail.rs` |
//! | `[[callback]]` | `callback.rs` |
//! | `[[transfer]]` | `transfer.rs` |
//! | `[[hangup]]` | `hangup.rs` |
//! | `[[goto]]`, `[[submenu]]`, `[[back]]` | `jumps.rs` |
//!
//! Menus, collects and surveys share `gather.rs` (the prompt that keys
//! interrupt, timeouts, retries). The types that go in and out are in
//! `io.rs`.

mod branch;
mod callback;
mod collect;
mod consent;
mod gather;
mod hangup;
mod io;
mod jumps;
mod lookup;
mod menu;
mod play;
mod queue;
mod say;
mod schedule;
mod set;
mod survey;
mod transfer;
mod voicemail;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_types::{CallEvent, Timestamp};

use crate::script::{CompiledScript, NodeIndex, NodeKind, PromptFile};

pub use callback::CallbackNumbers;
pub(crate) use consent::consent_var;
pub use io::{
    Action, CallInfo, Input, LookupId, LookupKey, LookupOutcome, LookupRequest, LookupResponse,
    Outcome, PlaybackId, QueueOutcome, Recording, RecordingId, SayValue,
};
pub use queue::QUEUE_OVERFLOW_VAR;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GatherKind {
    Menu,
    Collect,
    Survey,
}

#[derive(Debug)]
struct Gather {
    node: NodeIndex,
    kind: GatherKind,
    /// The prompt still playing, if any (keys stop it).
    playback: Option<PlaybackId>,
    buffer: String,
    attempt: u32,
}

#[derive(Debug, Clone)]
enum Then {
    Next(NodeIndex),
    Hangup(String),
    Record(NodeIndex),
}

#[derive(Debug)]
enum Phase {
    NotStarted,
    Playing {
        playback: PlaybackId,
        barge_in: bool,
        then: Then,
    },
    Gathering(Gather),
    Saying {
        playback: PlaybackId,
        next: NodeIndex,
    },
    LookingUp {
        node: NodeIndex,
        id: LookupId,
    },
    Queued {
        node: NodeIndex,
    },
    Recording {
        node: NodeIndex,
        id: RecordingId,
    },
    /// A consent notice plays (`playback`), then the caller has the
    /// node's time to press the decline key.
    Consenting {
        node: NodeIndex,
        playback: Option<PlaybackId>,
    },
    Finished(Outcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// No key in time, or the inter-digit pause ended the entry.
    Gather,
    Lookup,
    Recording,
    /// No decline key after a consent notice: agreed.
    Consent,
}

/// How many nodes one input may pass through before the IVR assumes a loop
/// (the checker refuses loops of instant nodes; this guards `back` chains).
const MAX_HOPS_PER_INPUT: usize = 256;
/// Keys remembered from barge-in prompts for the next menus.
const MAX_TYPE_AHEAD: usize = 32;

/// The IVR of one call. See the module docs for the I/O contract.
#[derive(Debug)]
pub struct Ivr {
    script: Arc<CompiledScript>,
    vars: BTreeMap<String, String>,
    language: usize,
    phase: Phase,
    actions: VecDeque<Action>,
    deadline: Option<(Instant, Timer)>,
    next_id: u64,
    stack: Vec<NodeIndex>,
    started_at: Option<Instant>,
    answered_at: Timestamp,
    current: Option<NodeIndex>,
    /// Keys pressed during a barge-in play, for the next menu or collect.
    type_ahead: String,
    /// A terminator key that belongs to an entry already ended by reaching
    /// its maximum length: callers type all digits *and* `#` as told.
    swallow_terminator: Option<char>,
    /// Which numbers may be called back (the controller's dial plan).
    callback_numbers: CallbackNumbers,
}

impl Ivr {
    /// A new IVR for one call on one script version. Nothing happens until
    /// `Input::Start`. The variables `caller`, `called` and `language` are set.
    pub fn new(script: Arc<CompiledScript>, call: CallInfo) -> Self {
        let language = script.default_language;
        let mut vars = BTreeMap::new();
        vars.insert("caller".to_owned(), call.caller);
        vars.insert("called".to_owned(), call.called);
        vars.insert(
            "language".to_owned(),
            script.languages[language].to_string(),
        );
        Self {
            script,
            vars,
            language,
            phase: Phase::NotStarted,
            actions: VecDeque::new(),
            deadline: None,
            next_id: 1,
            stack: Vec::new(),
            started_at: None,
            answered_at: call.answered_at,
            current: None,
            type_ahead: String::new(),
            swallow_terminator: None,
            callback_numbers: CallbackNumbers::default(),
        }
    }

    /// Only numbers `numbers` allows are called back: a `[[callback]]` node
    /// for any other sets `callback` to `refused` (scripts branch on it)
    /// and records a `dial_refused` event instead of a request.
    pub fn with_callback_numbers(mut self, numbers: CallbackNumbers) -> Self {
        self.callback_numbers = numbers;
        self
    }

    /// Presets variables before `Input::Start`, e.g. for a callback call the
    /// `case_ref` and `language` of the original request. A `language` that
    /// the script has selects its prompts; others are ignored. Not emitted
    /// as events: the controller already knows them.
    pub fn with_vars<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        for (name, value) in vars {
            let (name, value) = (name.into(), value.into());
            if name == "language" {
                match self.script.languages.iter().position(|l| **l == *value) {
                    Some(i) => self.language = i,
                    None => continue,
                }
            }
            self.vars.insert(name, value);
        }
        self
    }

    /// The next action to carry out. Poll until `None` after every
    /// `handle_input`.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When to call `handle_input(now, Input::Timeout)`; changes after every
    /// `handle_input`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline.map(|(at, _)| at)
    }

    /// The node the caller is at (or was at when the IVR finished).
    pub fn current_node(&self) -> Option<&str> {
        self.current.map(|i| self.script.nodes[i].id.as_str())
    }

    /// How the IVR ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.phase {
            Phase::Finished(o) => Some(o),
            _ => None,
        }
    }

    /// True once the IVR has nothing more to do for this call.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished(_))
    }

    /// A variable's value (`caller`, `language`, collected values, lookup fields).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The current language tag.
    pub fn language(&self) -> &str {
        &self.script.languages[self.language]
    }

    /// The script version this call runs on.
    pub fn script(&self) -> &Arc<CompiledScript> {
        &self.script
    }

    /// Feeds one input. A deadline that passed before `now` fires first, so a
    /// controller that delivers a key late still gets the documented order.
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        if self.is_finished() {
            return;
        }
        // Ids handed out before this input: a due timeout below may start a
        // new prompt, and a report of an id that did not exist when the
        // input was sent must not be taken for its end.
        let issued = self.next_id;
        if let Some((at, timer)) = self.deadline {
            if now >= at {
                self.deadline = None;
                self.on_timeout(now, timer);
                if matches!(input, Input::Timeout) || self.is_finished() {
                    return;
                }
            }
        }
        if !matches!(input, Input::Digit(_)) {
            self.swallow_terminator = None;
        }
        match input {
            Input::Start => {
                if matches!(self.phase, Phase::NotStarted) {
                    self.started_at = Some(now);
                    let start = self.script.start;
                    self.go(now, start);
                }
            }
            Input::PromptFinished(id) if id.0 < issued => self.on_prompt_finished(now, id),
            Input::PromptFinished(_) => {}
            Input::Digit(key) => {
                if key.is_ascii_digit() || key == '*' || key == '#' {
                    self.on_digit(now, key);
                }
            }
            // Early or spurious: the deadline check above handles due ones.
            Input::Timeout => {}
            Input::LookupResult(r) if r.id.0 < issued => self.on_lookup(now, r),
            Input::QueueResult(q) => self.on_queue(now, q),
            Input::RecordingFinished(r) if r.id.0 < issued => self.on_recording(now, r),
            Input::LookupResult(_) | Input::RecordingFinished(_) => {}
            Input::Hangup => {
                self.deadline = None;
                self.phase = Phase::Finished(Outcome::CallerHungUp {
                    node: self.current_node().map(str::to_owned),
                });
            }
        }
    }

    fn emit(&mut self, e: CallEvent) {
        self.actions.push_back(Action::Emit(e));
    }

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn set_deadline(&mut self, now: Instant, ms: u64, timer: Timer) {
        // An Instant that cannot be represented means "never" in practice.
        self.deadline = now
            .checked_add(Duration::from_millis(ms))
            .map(|at| (at, timer));
    }

    fn wall_clock(&self, now: Instant) -> Timestamp {
        let elapsed = self
            .started_at
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        self.answered_at.plus(elapsed)
    }

    fn set_var(&mut self, name: &str, value: String, shown: String) {
        self.emit(CallEvent::VariableSet {
            name: name.to_owned(),
            value: shown,
        });
        self.vars.insert(name.to_owned(), value);
    }

    fn play(&mut self, prompts: Vec<PromptFile>, barge_in: bool, then: Then) {
        let id = PlaybackId(self.new_id());
        for p in &prompts {
            self.actions
                .push_back(Action::Emit(CallEvent::PromptPlayed {
                    prompt: format!("{}/{}", p.language, p.name),
                }));
        }
        self.actions.push_back(Action::Play {
            id,
            prompts,
            barge_in,
        });
        self.phase = Phase::Playing {
            playback: id,
            barge_in,
            then,
        };
    }

    fn finish(&mut self, outcome: Outcome) {
        self.deadline = None;
        match &outcome {
            Outcome::HungUp { reason } => self.actions.push_back(Action::Hangup {
                reason: reason.clone(),
            }),
            Outcome::Transferred { destination } => self.actions.push_back(Action::Transfer {
                destination: destination.clone(),
            }),
            Outcome::CallerHungUp { .. } => {}
        }
        self.phase = Phase::Finished(outcome);
    }

    /// Enters `target` and passes through instant nodes until one waits.
    fn go(&mut self, now: Instant, target: NodeIndex) {
        let script = Arc::clone(&self.script);
        let mut target = target;
        for _ in 0..MAX_HOPS_PER_INPUT {
            self.deadline = None;
            self.current = Some(target);
            let node = &script.nodes[target];
            self.emit(CallEvent::IvrNodeEntered {
                script: script.name.clone(),
                version: script.version,
                node: node.id.clone(),
            });
            match self.enter(now, target, &node.kind) {
                Some(next) => target = next,
                None => return,
            }
        }
        self.finish(Outcome::HungUp {
            reason: "ivr_loop".into(),
        });
    }

    /// Starts a node; returns the next node for nodes that do not wait.
    fn enter(&mut self, now: Instant, index: NodeIndex, kind: &NodeKind) -> Option<NodeIndex> {
        match kind {
            NodeKind::Play {
                prompts,
                fallback,
                barge_in,
                next,
            } => self.enter_play(prompts, fallback.as_ref(), *barge_in, *next),
            NodeKind::Menu { prompts, keys, .. } => self.enter_menu(now, index, prompts, keys),
            NodeKind::Collect {
                prompts,
                max_len,
                terminator,
                ..
            } => self.enter_collect(now, index, prompts, *max_len, *terminator),
            NodeKind::Survey { prompts, .. } => self.enter_survey(now, index, prompts),
            NodeKind::Consent { prompts, .. } => self.enter_consent(now, index, prompts),
            NodeKind::Say {
                format,
                source,
                next,
            } => self.enter_say(*format, source, *next),
            NodeKind::Branch { when, otherwise } => self.enter_branch(when, *otherwise),
            NodeKind::Schedule {
                schedule,
                open,
                closed,
                holiday,
            } => self.enter_schedule(now, schedule, *open, *closed, *holiday),
            NodeKind::Lookup {
                kind,
                key_var,
                timeout_ms,
                not_found,
                ..
            } => self.enter_lookup(
                now,
                index,
                *kind,
                key_var.as_deref(),
                *timeout_ms,
                *not_found,
            ),
            NodeKind::Set { var, value, next } => self.enter_set(var, value, *next),
            NodeKind::SetLanguage { language, next } => self.enter_set_language(*language, *next),
            NodeKind::Queue {
                queue,
                priority,
                skills,
                ..
            } => self.enter_queue(index, queue, *priority, skills),
            NodeKind::Voicemail { prompts, .. } => self.enter_voicemail(now, index, prompts),
            NodeKind::Callback {
                number_var,
                queue,
                next,
            } => self.enter_callback(number_var, queue.as_deref(), *next),
            NodeKind::Transfer { destination } => self.enter_transfer(destination),
            NodeKind::Hangup { prompts, reason } => self.enter_hangup(prompts, reason),
            NodeKind::Goto { target } => Some(*target),
            NodeKind::Submenu { target, return_to } => self.enter_submenu(*target, *return_to),
            NodeKind::Back { fallback } => self.enter_back(*fallback),
        }
    }

    /// `{name}` placeholders replaced by the variables' values (unset ones
    /// by nothing): `[[set]]` values and `[[queue]]` skills.
    fn interpolate(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            match rest[open..].find('}') {
                Some(close) => {
                    let name = &rest[open + 1..open + close];
                    out.push_str(self.vars.get(name).map(String::as_str).unwrap_or(""));
                    rest = &rest[open + close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn on_prompt_finished(&mut self, now: Instant, id: PlaybackId) {
        match &mut self.phase {
            Phase::Playing { playback, then, .. } if *playback == id => {
                let then = then.clone();
                match then {
                    Then::Next(next) => self.go(now, next),
                    Then::Hangup(reason) => self.finish(Outcome::HungUp { reason }),
                    Then::Record(node) => self.start_recording(now, node),
                }
            }
            Phase::Gathering(g) if g.playback == Some(id) => {
                g.playback = None;
                let typed = !g.buffer.is_empty();
                self.arm_gather_timer(now, typed);
            }
            Phase::Saying { playback, next } if *playback == id => {
                let next = *next;
                self.go(now, next);
            }
            Phase::Consenting { playback, .. } if *playback == Some(id) => {
                self.consent_notice_finished(now);
            }
            _ => {}
        }
    }

    fn on_digit(&mut self, now: Instant, key: char) {
        if self.swallow_terminator.take() == Some(key) {
            return;
        }
        match &mut self.phase {
            Phase::Playing {
                playback,
                barge_in: true,
                then: Then::Next(next),
                ..
            } => {
                let (id, next) = (*playback, *next);
                self.actions.push_back(Action::StopPlayback { id });
                // Bounded: keys typed ahead are replayed into the next menus,
                // and a caller leaning on the keypad must not grow that forever.
                if self.type_ahead.len() < MAX_TYPE_AHEAD {
                    self.type_ahead.push(key);
                }
                self.go(now, next);
            }
            Phase::Gathering(g) => {
                if let Some(id) = g.playback.take() {
                    self.actions.push_back(Action::StopPlayback { id });
                }
                match g.kind {
                    GatherKind::Menu => self.menu_digit(now, key),
                    GatherKind::Collect => self.collect_digit(now, key),
                    GatherKind::Survey => self.survey_digit(now, key),
                }
            }
            Phase::Consenting { .. } => self.consent_digit(now, key),
            // Keys while not listening (no barge-in, lookup, queue) are dropped.
            _ => {}
        }
    }

    fn on_timeout(&mut self, now: Instant, timer: Timer) {
        match (timer, &self.phase) {
            (Timer::Gather, Phase::Gathering(_)) => self.gather_timed_out(now),
            (Timer::Lookup, Phase::LookingUp { node, .. }) => {
                let node = *node;
                self.lookup_timed_out(now, node);
            }
            (Timer::Recording, Phase::Recording { node, .. }) => {
                let node = *node;
                self.recording_timed_out(now, node);
            }
            (Timer::Consent, Phase::Consenting { node, .. }) => {
                let node = *node;
                self.consent_timed_out(now, node);
            }
            _ => {}
        }
    }
}
