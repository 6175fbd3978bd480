//! A test harness that plays the call controller: it feeds the IVR inputs on
//! simulated time and records every action, like quinn's `Pair`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_ivr::*;
use hotline_types::{CallEvent, CaseRef, Timestamp};

/// The shipped scripts directory.
pub fn shipped_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ivr_scripts"))
}

/// The queues and destinations the shipped hotline's configuration defines.
pub fn hotline_environment() -> Environment {
    Environment::new(
        [
            "housing",
            "transport",
            "social_security",
            "environment",
            "general",
        ],
        ["emergency_110"],
    )
}

/// Compiles an inline script without checking prompt files; calendars
/// resolve against the shipped directory. Panics with the report if refused.
pub fn compile(text: &str) -> Arc<CompiledScript> {
    let (script, problems) = try_compile(text);
    match script {
        Some(s) => Arc::new(s),
        None => panic!(
            "script refused:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

pub fn try_compile(text: &str) -> (Option<CompiledScript>, Vec<Problem>) {
    let ctx = CompileContext {
        environment: hotline_environment(),
        prompts: PromptCatalog::unchecked("prompts"),
        base_dir: Some(shipped_dir()),
        version: 1,
    };
    compile_script(std::path::Path::new("inline.toml"), text, &ctx)
}

/// Monday 2026-11-23 10:00 in Shanghai: the office is open.
pub fn monday_10am() -> Timestamp {
    shanghai(2026, 11, 23, 10, 0)
}

/// Shanghai local time to a Timestamp (Shanghai has no DST: UTC+8).
pub fn shanghai(year: i16, month: i8, day: i8, hour: i8, minute: i8) -> Timestamp {
    let zoned = jiff::civil::date(year, month, day)
        .at(hour, minute, 0, 0)
        .in_tz("Asia/Shanghai")
        .expect("valid Shanghai time");
    Timestamp(zoned.timestamp().as_millisecond())
}

/// A simulated call: the IVR plus everything it asked for so far.
pub struct Call {
    pub ivr: Ivr,
    pub now: Instant,
    pub start: Instant,
    /// Every action, in order (events included).
    pub log: Vec<Action>,
    playing: Vec<PlaybackId>,
    lookup: Option<LookupId>,
    recording: Option<RecordingId>,
}

impl Call {
    pub fn new(script: Arc<CompiledScript>, caller: &str, answered_at: Timestamp) -> Self {
        Self::from_ivr(Ivr::new(
            script,
            CallInfo {
                caller: caller.into(),
                called: "12345".into(),
                answered_at,
            },
        ))
    }

    /// A call around an IVR built by the test (e.g. with preset variables).
    pub fn from_ivr(ivr: Ivr) -> Self {
        let start = Instant::now();
        Self {
            ivr,
            now: start,
            start,
            log: Vec::new(),
            playing: Vec::new(),
            lookup: None,
            recording: None,
        }
    }

    /// Starts the call at simulated time 0.
    pub fn started(script: Arc<CompiledScript>, answered_at: Timestamp) -> Self {
        let mut call = Self::new(script, "13800138000", answered_at);
        call.input(Input::Start);
        call
    }

    pub fn input(&mut self, input: Input) {
        self.ivr.handle_input(self.now, input);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(a) = self.ivr.poll_action() {
            match &a {
                Action::Play { id, .. } | Action::Say { id, .. } => self.playing.push(*id),
                Action::StopPlayback { id } => self.playing.retain(|p| p != id),
                Action::Lookup(r) => self.lookup = Some(r.id),
                Action::Record { id, .. } => self.recording = Some(*id),
                _ => {}
            }
            self.log.push(a);
        }
    }

    pub fn advance(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
    }

    /// Every prompt in play ends (the caller listened to it).
    pub fn prompts_end(&mut self) {
        for id in std::mem::take(&mut self.playing) {
            self.advance(1000);
            self.input(Input::PromptFinished(id));
        }
    }

    /// Listens to the end, then presses keys 300 ms apart.
    pub fn press(&mut self, keys: &str) {
        loop {
            // Finishing a prompt can start another (play → play): listen on.
            if self.playing.is_empty() {
                break;
            }
            self.prompts_end();
        }
        self.barge(keys);
    }

    /// Presses keys while whatever plays is still playing.
    pub fn barge(&mut self, keys: &str) {
        for k in keys.chars() {
            self.advance(300);
            self.input(Input::Digit(k));
        }
    }

    /// Listens to the end and waits for the pending timeout.
    pub fn silence(&mut self) {
        while !self.playing.is_empty() {
            self.prompts_end();
        }
        let at = self.ivr.poll_timeout().expect("a timeout is pending");
        self.now = self.now.max(at);
        self.input(Input::Timeout);
    }

    pub fn answer_lookup(&mut self, outcome: LookupOutcome) {
        let id = self.lookup.take().expect("a lookup is pending");
        self.advance(50);
        self.input(Input::LookupResult(LookupResponse { id, outcome }));
    }

    pub fn found(&mut self, fields: &[(&str, &str)]) {
        self.answer_lookup(LookupOutcome::Found {
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
    }

    pub fn recorded(&mut self, duration_ms: u64, case_ref: Option<CaseRef>) {
        while !self.playing.is_empty() {
            self.prompts_end();
        }
        let id = self.recording.take().expect("a recording is pending");
        self.advance(duration_ms);
        self.input(Input::RecordingFinished(Recording {
            id,
            file: "rec/1.wav".into(),
            duration_ms,
            case_ref,
        }));
    }

    /// Language-resolved prompt names, in order: "zh/welcome".
    pub fn played(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                CallEvent::PromptPlayed { prompt } => Some(prompt),
                _ => None,
            })
            .collect()
    }

    /// Node ids entered, in order.
    pub fn path(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                CallEvent::IvrNodeEntered { node, .. } => Some(node),
                _ => None,
            })
            .collect()
    }

    pub fn events(&self) -> Vec<CallEvent> {
        self.log
            .iter()
            .filter_map(|a| match a {
                Action::Emit(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    /// Actions other than events.
    pub fn commands(&self) -> Vec<&Action> {
        self.log
            .iter()
            .filter(|a| !matches!(a, Action::Emit(_)))
            .collect()
    }

    pub fn last_command(&self) -> Option<&Action> {
        self.commands().last().copied()
    }

    pub fn clear(&mut self) {
        self.log.clear();
    }
}
