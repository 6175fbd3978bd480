//! The IVR state machine of one call. Sans-IO: it never reads a clock, never
//! sleeps, never touches a file or a socket. The call controller feeds it
//! [`Input`]s with the current `Instant`, carries out the [`Action`]s it
//! polls, and calls [`Ivr::handle_input`] with [`Input::Timeout`] when
//! [`Ivr::poll_timeout`] is due. It owns the caller's path through one
//! script version; it does not own media, queues or the store.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_types::{CallEvent, CaseRef, QueueId, Timestamp};

use crate::resident_id::{check_resident_id, mask};
use crate::schedule::ScheduleState;
use crate::script::*;

/// Identifies one `Play` or `Say` action, so a late `PromptFinished` of a
/// playback that was stopped is told apart from the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaybackId(pub u64);

/// Identifies one lookup request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LookupId(pub u64);

/// Identifies one recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordingId(pub u64);

/// What the controller tells the IVR.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The call was answered: start at the script's start node.
    Start,
    /// A `Play` or `Say` finished (or was stopped and its end reported).
    PromptFinished(PlaybackId),
    /// A DTMF key: `0`-`9`, `*`, `#`. Anything else is ignored.
    Digit(char),
    /// The deadline from [`Ivr::poll_timeout`] passed.
    Timeout,
    /// The store answered a [`Action::Lookup`].
    LookupResult(LookupResponse),
    /// The ACD finished with the call (see [`QueueOutcome`]).
    QueueResult(QueueOutcome),
    /// The media engine finished an [`Action::Record`].
    RecordingFinished(Recording),
    /// The caller hung up.
    Hangup,
}

/// The store's answer to a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupResponse {
    pub id: LookupId,
    pub outcome: LookupOutcome,
}

/// What the store found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupOutcome {
    /// Found; each field becomes an IVR variable (e.g. `case_status`,
    /// `case_department`, `citizen_id`, `citizen_name`).
    Found {
        fields: Vec<(String, String)>,
    },
    NotFound,
    /// The store could not answer (down, too slow).
    Failed,
}

/// How the ACD finished with a queued call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueOutcome {
    /// An agent talked to the caller and hung up; the caller is still on the
    /// line (the post-call survey runs now if the script has one).
    AgentFinished,
    /// The queue rules sent the call on (too long, queue full, no agents).
    Overflow { reason: String },
}

/// A finished recording. The controller opens the case for a voicemail
/// (through the store) before reporting it, so its reference can be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub id: RecordingId,
    /// Where the media engine stored it.
    pub file: String,
    pub duration_ms: u64,
    pub case_ref: Option<CaseRef>,
}

/// What a lookup is keyed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupKey {
    CallerNumber(String),
    ResidentId(String),
    CaseRef(CaseRef),
}

/// A question for the store; answer with [`Input::LookupResult`] and the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRequest {
    pub id: LookupId,
    pub kind: LookupKind,
    pub key: LookupKey,
}

/// A value to be spoken; the media engine turns it into audio pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SayValue {
    /// One digit at a time: "1 2 3".
    Digits(String),
    /// As a number: "one hundred twenty-three".
    Number(i64),
    Date {
        year: i16,
        month: i8,
        day: i8,
    },
    /// Grouped as on paper: 261122-00017-4.
    CaseRef(CaseRef),
}

/// What the IVR asks the controller to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Play prompt files one after another, then report `PromptFinished(id)`.
    /// With `barge_in`, a key press stops it (the IVR sends `StopPlayback`).
    Play {
        id: PlaybackId,
        prompts: Vec<PromptFile>,
        barge_in: bool,
    },
    /// Speak a value in a language, then report `PromptFinished(id)`.
    Say {
        id: PlaybackId,
        value: SayValue,
        language: Arc<str>,
    },
    /// Stop a playback at once (a key was pressed during it). Its
    /// `PromptFinished` may still arrive and is ignored.
    StopPlayback { id: PlaybackId },
    /// The IVR now expects keys (informational: keys are always welcome as
    /// `Input::Digit`; the controller may use it to flush stale DTMF).
    CollectDigits {
        max_digits: usize,
        terminator: Option<char>,
    },
    /// Ask the store; answer with `Input::LookupResult`.
    Lookup(LookupRequest),
    /// Put the call in an ACD queue; answer with `Input::QueueResult`.
    Enqueue {
        queue: QueueId,
        priority: u8,
        skills: Vec<String>,
    },
    /// Record the caller after a beep; answer with `Input::RecordingFinished`.
    Record {
        id: RecordingId,
        max_ms: u64,
        finish_on_key: Option<char>,
        beep: bool,
    },
    /// Register a callback request (the IVR goes on at once).
    RequestCallback {
        number: String,
        queue: Option<QueueId>,
    },
    /// Transfer to a destination named in the configuration. The IVR is done.
    Transfer { destination: String },
    /// End the call. The IVR is done.
    Hangup { reason: String },
    /// Append this event to the call's record.
    Emit(CallEvent),
}

/// The call facts the IVR starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    /// The caller's number as presented (may be empty).
    pub caller: String,
    /// The hotline number dialled.
    pub called: String,
    /// Wall clock when `Input::Start` is given; schedules are evaluated
    /// against it plus the `Instant`s elapsed since.
    pub answered_at: Timestamp,
}

/// How the IVR part of a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The script hung up (`reason` from the hangup node, or a safety reason).
    HungUp { reason: String },
    /// Handed to a configured destination.
    Transferred { destination: String },
    /// The caller hung up; `node` is where they were.
    CallerHungUp { node: Option<String> },
}

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
    Finished(Outcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// No key in time, or the inter-digit pause ended the entry.
    Gather,
    Lookup,
    Recording,
}

/// How many nodes one input may pass through before the IVR assumes a loop
/// (the checker refuses loops of instant nodes; this guards `back` chains).
const MAX_HOPS_PER_INPUT: usize = 256;
/// Keys remembered from barge-in prompts for the next menus.
const MAX_TYPE_AHEAD: usize = 32;
/// Depth of the `submenu`/`back` stack; deeper pushes drop the oldest.
const MAX_STACK: usize = 32;
/// How long after a recording's maximum length the IVR stops waiting for
/// the media engine's report.
const RECORDING_GRACE: Duration = Duration::from_secs(10);

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

/// Decides whether a number may be called back: the controller's dial plan,
/// handed in as a pure function so the engine stays sans-IO. The default
/// accepts every number.
#[derive(Clone)]
pub struct CallbackNumbers(Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl CallbackNumbers {
    pub fn new(allows: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(allows))
    }

    fn allows(&self, number: &str) -> bool {
        (self.0)(number)
    }
}

impl Default for CallbackNumbers {
    fn default() -> Self {
        Self::new(|_| true)
    }
}

impl std::fmt::Debug for CallbackNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackNumbers(..)")
    }
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
        let lang = self.language;
        match kind {
            NodeKind::Play {
                prompts,
                fallback,
                barge_in,
                next,
            } => {
                let files = self.resolve(prompts, fallback.as_ref());
                if files.is_empty() {
                    return Some(*next);
                }
                self.play(files, *barge_in, Then::Next(*next));
                None
            }
            NodeKind::Menu { prompts, keys, .. } => {
                let max_digits = keys.iter().map(|k| k.keys.len()).max().unwrap_or(1);
                self.start_gather(
                    now,
                    index,
                    GatherKind::Menu,
                    prompts,
                    lang,
                    max_digits,
                    None,
                );
                None
            }
            NodeKind::Collect {
                prompts,
                max_len,
                terminator,
                ..
            } => {
                self.start_gather(
                    now,
                    index,
                    GatherKind::Collect,
                    prompts,
                    lang,
                    *max_len,
                    *terminator,
                );
                None
            }
            NodeKind::Survey { prompts, .. } => {
                self.start_gather(now, index, GatherKind::Survey, prompts, lang, 1, None);
                None
            }
            NodeKind::Say {
                format,
                source,
                next,
            } => {
                let text = match source {
                    SaySource::Var(v) => self.vars.get(v).cloned().unwrap_or_default(),
                    SaySource::Literal(s) => s.clone(),
                };
                match say_value(*format, &text) {
                    Some(value) => {
                        let id = PlaybackId(self.new_id());
                        self.actions.push_back(Action::Say {
                            id,
                            value,
                            language: self.script.languages[lang].clone(),
                        });
                        self.phase = Phase::Saying {
                            playback: id,
                            next: *next,
                        };
                        None
                    }
                    // Nothing sayable (variable unset or malformed): go on.
                    None => Some(*next),
                }
            }
            NodeKind::Branch { when, otherwise } => Some(
                when.iter()
                    .find(|w| {
                        let v = self.vars.get(&w.var);
                        match &w.condition {
                            Condition::Equals(x) => v == Some(x),
                            Condition::NotEquals(x) => v != Some(x),
                            Condition::OneOf(xs) => v.is_some_and(|v| xs.contains(v)),
                            Condition::IsSet(set) => v.is_some_and(|v| !v.is_empty()) == *set,
                        }
                    })
                    .map_or(*otherwise, |w| w.target),
            ),
            NodeKind::Schedule {
                schedule,
                open,
                closed,
                holiday,
            } => Some(match schedule.state_at(self.wall_clock(now)) {
                ScheduleState::Open => *open,
                ScheduleState::Closed => *closed,
                ScheduleState::Holiday => *holiday,
            }),
            NodeKind::Lookup {
                kind,
                key_var,
                timeout_ms,
                not_found,
                ..
            } => {
                let raw = match key_var {
                    Some(v) => self.vars.get(v).cloned().unwrap_or_default(),
                    None => self.vars.get("caller").cloned().unwrap_or_default(),
                };
                let key = match kind {
                    LookupKind::CitizenByCaller if !raw.is_empty() => {
                        Some(LookupKey::CallerNumber(raw))
                    }
                    LookupKind::CitizenById if !raw.is_empty() => Some(LookupKey::ResidentId(raw)),
                    LookupKind::CaseStatus => CaseRef::parse(&raw).ok().map(LookupKey::CaseRef),
                    _ => None,
                };
                match key {
                    Some(key) => {
                        let id = LookupId(self.new_id());
                        self.actions.push_back(Action::Lookup(LookupRequest {
                            id,
                            kind: *kind,
                            key,
                        }));
                        self.phase = Phase::LookingUp { node: index, id };
                        self.set_deadline(now, *timeout_ms, Timer::Lookup);
                        None
                    }
                    // No key to look up (anonymous caller): nothing can be found.
                    None => {
                        self.emit(CallEvent::LookupDone {
                            what: kind.as_str().to_owned(),
                            found: false,
                        });
                        Some(*not_found)
                    }
                }
            }
            NodeKind::Set { var, value, next } => {
                let v = self.interpolate(value);
                self.set_var(var, v.clone(), v);
                Some(*next)
            }
            NodeKind::SetLanguage { language, next } => {
                self.language = *language;
                let tag = self.script.languages[*language].to_string();
                self.emit(CallEvent::LanguageSelected {
                    language: tag.clone(),
                });
                self.vars.insert("language".to_owned(), tag);
                Some(*next)
            }
            NodeKind::Queue {
                queue,
                priority,
                skills,
                ..
            } => {
                // The ACD emits `Queued` when it accepts the call.
                self.type_ahead.clear();
                // Skills may name variables: "lang_{language}".
                let skills = skills.iter().map(|s| self.interpolate(s)).collect();
                self.actions.push_back(Action::Enqueue {
                    queue: QueueId::from(queue.as_str()),
                    priority: *priority,
                    skills,
                });
                self.phase = Phase::Queued { node: index };
                None
            }
            NodeKind::Voicemail { prompts, .. } => {
                let files: Vec<PromptFile> = prompts
                    .iter()
                    .filter_map(|p| p.get(lang).cloned())
                    .collect();
                if files.is_empty() {
                    self.start_recording(now, index);
                } else {
                    self.play(files, false, Then::Record(index));
                }
                None
            }
            NodeKind::Callback {
                number_var,
                queue,
                next,
            } => {
                let number = self.vars.get(number_var).cloned().unwrap_or_default();
                if number.is_empty() {
                    // Anonymous caller: nobody to call back. Scripts branch on this.
                    self.set_var("callback", "no_number".into(), "no_number".into());
                } else if !self.callback_numbers.allows(&number) {
                    // A number the hotline may not dial (toll fraud: an
                    // international or premium number as caller ID or typed in).
                    self.emit(CallEvent::DialRefused {
                        number,
                        purpose: "callback".into(),
                        reason: "outside_dial_plan".into(),
                    });
                    self.set_var("callback", "refused".into(), "refused".into());
                } else {
                    let queue = queue.as_deref().map(QueueId::from);
                    self.emit(CallEvent::CallbackRequested {
                        queue: queue.clone(),
                        number: number.clone(),
                    });
                    self.actions
                        .push_back(Action::RequestCallback { number, queue });
                    self.set_var("callback", "requested".into(), "requested".into());
                }
                Some(*next)
            }
            NodeKind::Transfer { destination } => {
                self.emit(CallEvent::Transferred {
                    to: destination.clone(),
                    kind: "external".into(),
                    by: None,
                });
                self.finish(Outcome::Transferred {
                    destination: destination.clone(),
                });
                None
            }
            NodeKind::Hangup { prompts, reason } => {
                let files: Vec<PromptFile> = prompts
                    .iter()
                    .filter_map(|p| p.get(lang).cloned())
                    .collect();
                if files.is_empty() {
                    self.finish(Outcome::HungUp {
                        reason: reason.clone(),
                    });
                } else {
                    self.play(files, false, Then::Hangup(reason.clone()));
                }
                None
            }
            NodeKind::Goto { target } => Some(*target),
            NodeKind::Submenu { target, return_to } => {
                if self.stack.len() == MAX_STACK {
                    self.stack.remove(0);
                }
                self.stack.push(*return_to);
                Some(*target)
            }
            NodeKind::Back { fallback } => Some(self.stack.pop().unwrap_or(*fallback)),
        }
    }

    fn resolve(
        &self,
        prompts: &[PromptSpec],
        fallback: Option<&Vec<PromptFile>>,
    ) -> Vec<PromptFile> {
        let lang = self.language;
        let mut out = Vec::with_capacity(prompts.len());
        for p in prompts {
            match p {
                PromptSpec::Fixed(files) => out.extend(files.get(lang).cloned()),
                PromptSpec::Template {
                    prefix,
                    var,
                    suffix,
                } => {
                    let value = self.vars.get(var).map(String::as_str).unwrap_or("");
                    let name = format!("{prefix}{value}{suffix}");
                    match self.script.available_prompts[lang].get(&name) {
                        Some(file) => out.push(file.clone()),
                        None => out.extend(fallback.and_then(|f| f.get(lang)).cloned()),
                    }
                }
            }
        }
        out
    }

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

    #[allow(clippy::too_many_arguments)]
    fn start_gather(
        &mut self,
        now: Instant,
        node: NodeIndex,
        kind: GatherKind,
        prompts: &[Vec<PromptFile>],
        lang: usize,
        max_digits: usize,
        terminator: Option<char>,
    ) {
        let files: Vec<PromptFile> = prompts
            .iter()
            .filter_map(|p| p.get(lang).cloned())
            .collect();
        self.start_gather_with(now, node, kind, files, 0, max_digits, terminator);
    }

    #[allow(clippy::too_many_arguments)]
    fn start_gather_with(
        &mut self,
        now: Instant,
        node: NodeIndex,
        kind: GatherKind,
        files: Vec<PromptFile>,
        attempt: u32,
        max_digits: usize,
        terminator: Option<char>,
    ) {
        // A retry replaces whatever timer the previous attempt had armed.
        self.deadline = None;
        let mut playback = None;
        if !files.is_empty() {
            let id = PlaybackId(self.new_id());
            for p in &files {
                self.actions
                    .push_back(Action::Emit(CallEvent::PromptPlayed {
                        prompt: format!("{}/{}", p.language, p.name),
                    }));
            }
            self.actions.push_back(Action::Play {
                id,
                prompts: files,
                barge_in: true,
            });
            playback = Some(id);
        }
        self.actions.push_back(Action::CollectDigits {
            max_digits,
            terminator,
        });
        self.phase = Phase::Gathering(Gather {
            node,
            kind,
            playback,
            buffer: String::new(),
            attempt,
        });
        if playback.is_none() {
            self.arm_gather_timer(now, false);
        }
        // Keys typed ahead during a barge-in play count as pressed here.
        if !self.type_ahead.is_empty() {
            let keys = std::mem::take(&mut self.type_ahead);
            for k in keys.chars() {
                if !matches!(self.phase, Phase::Gathering(_)) {
                    break;
                }
                self.on_digit(now, k);
            }
        }
    }

    fn retry_settings(&self, node: NodeIndex) -> &Retry {
        match &self.script.nodes[node].kind {
            NodeKind::Menu { retry, .. }
            | NodeKind::Collect { retry, .. }
            | NodeKind::Survey { retry, .. } => retry,
            // Gather phases are only created for these three kinds.
            _ => unreachable!("gather on a node that does not gather"),
        }
    }

    fn arm_gather_timer(&mut self, now: Instant, inter_digit: bool) {
        let Phase::Gathering(g) = &self.phase else {
            return;
        };
        let retry = self.retry_settings(g.node);
        let ms = if inter_digit {
            retry.inter_digit_timeout_ms
        } else {
            retry.timeout_ms
        };
        self.set_deadline(now, ms, Timer::Gather);
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
            _ => {}
        }
    }

    fn start_recording(&mut self, now: Instant, node: NodeIndex) {
        let NodeKind::Voicemail { max_ms, .. } = self.script.nodes[node].kind else {
            return;
        };
        let id = RecordingId(self.new_id());
        self.actions.push_back(Action::Record {
            id,
            max_ms,
            finish_on_key: Some('#'),
            beep: true,
        });
        self.phase = Phase::Recording { node, id };
        let grace = u64::try_from(RECORDING_GRACE.as_millis()).unwrap_or(u64::MAX);
        self.set_deadline(now, max_ms.saturating_add(grace), Timer::Recording);
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
            // Keys while not listening (no barge-in, lookup, queue) are dropped.
            _ => {}
        }
    }

    fn gather(&mut self) -> Option<&mut Gather> {
        match &mut self.phase {
            Phase::Gathering(g) => Some(g),
            _ => None,
        }
    }

    fn menu_digit(&mut self, now: Instant, key: char) {
        let Some(g) = self.gather() else { return };
        g.buffer.push(key);
        let (node, buffer) = (g.node, g.buffer.clone());
        let NodeKind::Menu { keys, .. } = &self.script.nodes[node].kind else {
            return;
        };
        let mut prefixed = 0;
        let mut exact = None;
        for k in keys {
            if k.keys.starts_with(&buffer) {
                prefixed += 1;
                if k.keys == buffer {
                    exact = Some(k.target);
                }
            }
        }
        match (prefixed, exact) {
            (0, _) => self.retry(now, "invalid"),
            (1, Some(target)) => self.choose(now, node, &buffer, target),
            _ => self.arm_gather_timer(now, true),
        }
    }

    fn choose(&mut self, now: Instant, node: NodeIndex, digits: &str, target: NodeIndex) {
        self.emit(CallEvent::DigitsCollected {
            node: self.script.nodes[node].id.clone(),
            digits: digits.to_owned(),
        });
        self.go(now, target);
    }

    fn collect_digit(&mut self, now: Instant, key: char) {
        let Some(g) = self.gather() else { return };
        let node = g.node;
        let NodeKind::Collect {
            terminator,
            max_len,
            ..
        } = &self.script.nodes[node].kind
        else {
            return;
        };
        let (terminator, max_len) = (*terminator, *max_len);
        let Some(g) = self.gather() else { return };
        if Some(key) == terminator {
            self.finish_collect(now);
            return;
        }
        g.buffer.push(key);
        if g.buffer.len() >= max_len {
            self.finish_collect(now);
            self.swallow_terminator = terminator;
        } else {
            self.arm_gather_timer(now, true);
        }
    }

    fn finish_collect(&mut self, now: Instant) {
        let Some(g) = self.gather() else { return };
        let (node, entered) = (g.node, g.buffer.clone());
        let script = Arc::clone(&self.script);
        let NodeKind::Collect {
            var,
            min_len,
            max_len,
            validation,
            mask: masked,
            next,
            ..
        } = &script.nodes[node].kind
        else {
            return;
        };
        let len = entered.chars().count();
        let value = if len < *min_len || len > *max_len {
            None
        } else {
            match validation {
                Validation::None => Some(entered.clone()),
                Validation::Pattern(re) => re.is_match(&entered).then(|| entered.clone()),
                Validation::ResidentId => check_resident_id(&entered).ok(),
                Validation::CaseRef => CaseRef::parse(&entered).ok().map(|r| r.digits().to_owned()),
            }
        };
        let shown = |v: &str| if *masked { mask(v) } else { v.to_owned() };
        match value {
            Some(value) => {
                self.emit(CallEvent::DigitsCollected {
                    node: script.nodes[node].id.clone(),
                    digits: shown(&value),
                });
                let display = shown(&value);
                self.set_var(var, value, display);
                self.go(now, *next);
            }
            None => {
                self.emit(CallEvent::DigitsCollected {
                    node: script.nodes[node].id.clone(),
                    digits: shown(&entered),
                });
                self.retry(now, "invalid");
            }
        }
    }

    fn survey_digit(&mut self, now: Instant, key: char) {
        let Some(g) = self.gather() else { return };
        let node = g.node;
        let score = match key {
            '1'..='5' => key as u8 - b'0',
            _ => {
                g.buffer.push(key);
                self.retry(now, "invalid");
                return;
            }
        };
        let NodeKind::Survey { next, .. } = self.script.nodes[node].kind else {
            return;
        };
        self.emit(CallEvent::DigitsCollected {
            node: self.script.nodes[node].id.clone(),
            digits: key.to_string(),
        });
        self.emit(CallEvent::SurveyAnswered { score });
        self.go(now, next);
    }

    /// A wrong entry or silence: say why, play the node's prompts again, or
    /// after the last retry go where the script says.
    fn retry(&mut self, now: Instant, reason: &str) {
        let Some(g) = self.gather() else { return };
        let (node, kind, attempt) = (g.node, g.kind, g.attempt + 1);
        let stopped = g.playback.take();
        let wrong_keys = std::mem::take(&mut g.buffer);
        if let Some(id) = stopped {
            self.actions.push_back(Action::StopPlayback { id });
        }
        self.type_ahead.clear();
        // The keys of a wrong menu choice belong in the call record too
        // (a collect node already reported its masked entry).
        if kind != GatherKind::Collect && !wrong_keys.is_empty() {
            self.emit(CallEvent::DigitsCollected {
                node: self.script.nodes[node].id.clone(),
                digits: wrong_keys,
            });
        }
        self.emit(CallEvent::MenuRetry {
            node: self.script.nodes[node].id.clone(),
            reason: reason.to_owned(),
            attempt,
        });
        let script = Arc::clone(&self.script);
        let lang = self.language;
        let (prompts, retry, give_up, max_digits, terminator) = match &script.nodes[node].kind {
            NodeKind::Menu {
                prompts,
                retry,
                after_retries,
                keys,
            } => (
                prompts,
                retry,
                *after_retries,
                keys.iter().map(|k| k.keys.len()).max().unwrap_or(1),
                None,
            ),
            NodeKind::Collect {
                prompts,
                retry,
                after_retries,
                max_len,
                terminator,
                ..
            } => (prompts, retry, *after_retries, *max_len, *terminator),
            NodeKind::Survey {
                prompts,
                retry,
                next,
            } => (prompts, retry, *next, 1, None),
            _ => return,
        };
        if attempt > retry.retries {
            self.go(now, give_up);
            return;
        }
        let why = if reason == "timeout" {
            &retry.timeout_prompt
        } else {
            &retry.invalid_prompt
        };
        let mut files: Vec<PromptFile> = why
            .as_ref()
            .and_then(|w| w.get(lang).cloned())
            .into_iter()
            .collect();
        files.extend(prompts.iter().filter_map(|p| p.get(lang).cloned()));
        self.start_gather_with(now, node, kind, files, attempt, max_digits, terminator);
    }

    fn on_timeout(&mut self, now: Instant, timer: Timer) {
        match (timer, &self.phase) {
            (Timer::Gather, Phase::Gathering(g)) => {
                let (kind, empty) = (g.kind, g.buffer.is_empty());
                if empty {
                    self.retry(now, "timeout");
                    return;
                }
                match kind {
                    GatherKind::Menu => {
                        let Some(g) = self.gather() else { return };
                        let (node, buffer) = (g.node, g.buffer.clone());
                        let NodeKind::Menu { keys, .. } = &self.script.nodes[node].kind else {
                            return;
                        };
                        match keys.iter().find(|k| k.keys == buffer).map(|k| k.target) {
                            Some(target) => self.choose(now, node, &buffer, target),
                            None => self.retry(now, "invalid"),
                        }
                    }
                    GatherKind::Collect => self.finish_collect(now),
                    GatherKind::Survey => self.retry(now, "timeout"),
                }
            }
            (Timer::Lookup, Phase::LookingUp { node, .. }) => {
                let node = *node;
                if let NodeKind::Lookup { kind, failed, .. } = self.script.nodes[node].kind {
                    self.emit(CallEvent::LookupDone {
                        what: kind.as_str().to_owned(),
                        found: false,
                    });
                    self.go(now, failed);
                }
            }
            (Timer::Recording, Phase::Recording { node, .. }) => {
                let node = *node;
                if let NodeKind::Voicemail { empty, .. } = self.script.nodes[node].kind {
                    self.go(now, empty);
                }
            }
            _ => {}
        }
    }

    fn on_lookup(&mut self, now: Instant, response: LookupResponse) {
        let Phase::LookingUp { node, id } = self.phase else {
            return;
        };
        if id != response.id {
            return;
        }
        let NodeKind::Lookup {
            kind,
            found,
            not_found,
            failed,
            ..
        } = self.script.nodes[node].kind
        else {
            return;
        };
        let is_found = matches!(response.outcome, LookupOutcome::Found { .. });
        self.emit(CallEvent::LookupDone {
            what: kind.as_str().to_owned(),
            found: is_found,
        });
        let next = match response.outcome {
            LookupOutcome::Found { fields } => {
                for (name, value) in fields {
                    // A store field that carries an ID number never reaches
                    // the event log in clear.
                    let shown = if is_sensitive(&name) {
                        mask(&value)
                    } else {
                        value.clone()
                    };
                    self.set_var(&name, value, shown);
                }
                found
            }
            LookupOutcome::NotFound => not_found,
            LookupOutcome::Failed => failed,
        };
        self.go(now, next);
    }

    fn on_queue(&mut self, now: Instant, outcome: QueueOutcome) {
        let Phase::Queued { node } = self.phase else {
            return;
        };
        let NodeKind::Queue {
            overflow,
            after_agent,
            ..
        } = self.script.nodes[node].kind
        else {
            return;
        };
        match (outcome, after_agent) {
            (QueueOutcome::Overflow { reason }, _) => {
                // The script's overflow branch can tell a caller who chose to
                // leave a message from a full queue (`queue_overflow`).
                self.set_var(QUEUE_OVERFLOW_VAR, reason.clone(), reason);
                self.go(now, overflow)
            }
            (QueueOutcome::AgentFinished, Some(next)) => self.go(now, next),
            (QueueOutcome::AgentFinished, None) => self.finish(Outcome::HungUp {
                reason: "agent_call_done".into(),
            }),
        }
    }

    fn on_recording(&mut self, now: Instant, r: Recording) {
        let Phase::Recording { node, id } = self.phase else {
            return;
        };
        if id != r.id {
            return;
        }
        let NodeKind::Voicemail {
            min_ms,
            next,
            empty,
            ..
        } = self.script.nodes[node].kind
        else {
            return;
        };
        if r.duration_ms < min_ms {
            self.go(now, empty);
            return;
        }
        self.emit(CallEvent::VoicemailRecorded {
            recording: r.file,
            duration_ms: r.duration_ms,
            case_ref: r.case_ref.clone(),
        });
        if let Some(case_ref) = r.case_ref {
            self.emit(CallEvent::CaseLinked {
                case_ref: case_ref.clone(),
            });
            let digits = case_ref.digits().to_owned();
            self.set_var("case_ref", digits.clone(), digits);
        }
        self.go(now, next);
    }
}

/// The variable a queue node's overflow sets to the ACD's reason:
/// `voicemail` (the caller pressed the key to leave a message, or the
/// queue's rule sends callers there), `callback`, or `fallback` (no agents,
/// queue full, waited too long).
pub const QUEUE_OVERFLOW_VAR: &str = "queue_overflow";

/// Variable names whose values are ID numbers.
fn is_sensitive(name: &str) -> bool {
    name.contains("resident_id") || name.contains("id_number")
}

fn say_value(format: SayFormat, text: &str) -> Option<SayValue> {
    match format {
        SayFormat::Digits => (!text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#' || c == 'X'))
        .then(|| SayValue::Digits(text.to_owned())),
        SayFormat::Number => text.trim().parse().ok().map(SayValue::Number),
        SayFormat::Date => {
            let d: jiff::civil::Date = text.trim().parse().ok()?;
            Some(SayValue::Date {
                year: d.year(),
                month: d.month(),
                day: d.day(),
            })
        }
        SayFormat::CaseRef => CaseRef::parse(text).ok().map(SayValue::CaseRef),
    }
}
