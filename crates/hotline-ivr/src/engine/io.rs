//! What goes in and out of the IVR of one call: the [`Input`]s the
//! controller feeds, the [`Action`]s it carries out, the answers it brings
//! back (lookups, queue results, recordings) and how the IVR part of a call
//! ended ([`Outcome`]). Plain data: no behaviour lives here.

use std::sync::Arc;

use hotline_types::{CallEvent, CaseRef, ConsentPurpose, QueueId, Timestamp};

use crate::script::{LookupKind, PromptFile};

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
    /// The deadline from [`Ivr::poll_timeout`](super::Ivr::poll_timeout) passed.
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
    /// Free text (a department's reply), for text-to-speech; never empty.
    Text(String),
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
        /// The work-order category of the voicemail node, if it names one.
        category: Option<String>,
    },
    /// Register a callback request (the IVR goes on at once).
    RequestCallback {
        number: String,
        queue: Option<QueueId>,
    },
    /// The caller agreed to (`granted`) or declined what a `[[consent]]`
    /// notice asked, e.g. the recording of the call: the controller must
    /// honour it for the rest of the call (the `consent_recorded` event is
    /// emitted beside it). The IVR goes on at once.
    Consent {
        purpose: ConsentPurpose,
        granted: bool,
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
