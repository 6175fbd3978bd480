//! The typed steps of a call. Every crate that decides something about a call
//! says so with a [`CallEvent`]; the store appends them and derives the call
//! record, the citizen's history and the statistics from them alone.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::{AgentId, CallId, CaseRef, EventId, QueueId};

/// Wall-clock time as milliseconds since the Unix epoch (UTC).
///
/// Plain integers store and compare the same way in SQLite and PostgreSQL,
/// and statistics intervals are arithmetic on them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Converts a wall-clock reading. The caller reads the clock; cores never do.
    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Self(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Self(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// The time `d` later.
    pub fn plus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }
}

/// Who ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HangupSide {
    /// The citizen hung up (BYE or CANCEL from the caller).
    Caller,
    /// The agent hung up.
    Agent,
    /// The hotline ended it (IVR hang-up node, overflow, shutdown, dead media).
    System,
}

/// One step of one call.
///
/// Serialised with an internal `type` tag in snake case, which is also the
/// `kind` column of the store's event log. New variants may be added; stored
/// JSON of older versions must keep deserialising.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallEvent {
    /// An INVITE for one of the hotline's numbers was accepted for processing.
    CallStarted {
        /// The caller's number as presented (From user part), possibly empty.
        caller: String,
        /// The hotline number that was dialled (Request-URI user part).
        called: String,
        /// The SIP Call-ID of the citizen's leg.
        sip_call_id: String,
        /// The node that took the call, for multi-node deployments.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        /// The call this one continues (a callback placed for a request).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        linked_call: Option<CallId>,
    },
    /// The hotline answered (200 OK sent) and the IVR took over.
    Answered,
    /// The IVR entered a node of a script.
    IvrNodeEntered {
        script: String,
        version: u32,
        node: String,
    },
    /// A prompt started playing (the language-resolved prompt name).
    PromptPlayed { prompt: String },
    /// The caller chose a language.
    LanguageSelected { language: String },
    /// Digits were collected at a node. Sensitive values (ID numbers) are
    /// masked by the IVR before they are emitted.
    DigitsCollected { node: String, digits: String },
    /// A menu got no input in time or an invalid key.
    MenuRetry {
        node: String,
        reason: String,
        attempt: u32,
    },
    /// An IVR variable was set (the screen-pop shows these to the agent).
    VariableSet { name: String, value: String },
    /// The IVR asked the store something (citizen, case status).
    LookupDone { what: String, found: bool },
    /// The call joined an ACD queue.
    Queued {
        queue: QueueId,
        priority: u8,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skills: Vec<String>,
    },
    /// The ACD offered the call to an agent (the screen-pop fires, the phone rings).
    Offered { queue: QueueId, agent: AgentId },
    /// The agent's phone rang out or was rejected; the call goes back to the queue head.
    RingNoAnswer {
        queue: QueueId,
        agent: AgentId,
        ring_ms: u64,
    },
    /// An agent answered; `wait_ms` is from queue entry to answer.
    AgentAnswered {
        queue: QueueId,
        agent: AgentId,
        wait_ms: u64,
    },
    /// The caller hung up while queued (not in the IVR, not with an agent).
    Abandoned {
        queue: QueueId,
        wait_ms: u64,
        position: u32,
    },
    /// A queue rule moved the call elsewhere.
    Overflowed {
        from: QueueId,
        to: String,
        reason: String,
    },
    /// The caller asked to be called back instead of waiting.
    CallbackRequested {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<QueueId>,
        number: String,
    },
    /// A callback call was placed for an earlier request.
    CallbackPlaced {
        number: String,
        callback_call: CallId,
    },
    /// The hotline dialled `number` through its outbound trunk, the dial
    /// plan having allowed it (`purpose`: "callback"). These events are
    /// what the per-number daily limit counts, also across a restart.
    Dialled { number: String, purpose: String },
    /// The hotline refused to place a call: the number is outside the
    /// configured dial plan, or was dialled too often today (toll-fraud
    /// protection). `purpose`: "callback", "transfer".
    DialRefused {
        number: String,
        purpose: String,
        reason: String,
    },
    /// The agent put the citizen on hold.
    HoldStarted,
    /// The citizen is back from hold.
    HoldEnded,
    /// The call went to another queue, department or configured destination.
    Transferred {
        to: String,
        /// "blind", "queue", "external".
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<AgentId>,
    },
    /// While the citizen holds, the agent consults a colleague (`kind`
    /// "agent", `to` their id) or a configured destination ("destination").
    ConsultStarted {
        to: String,
        kind: String,
        by: AgentId,
    },
    /// The consultation ended: "completed" (the citizen was put through),
    /// "returned" (the agent took the citizen back), "no_answer", "failed"
    /// (the phone or destination did not take it), "hung_up" (the consulted
    /// party hung up), "caller_gone".
    ConsultEnded { outcome: String },
    /// A supervisor joined the conversation: `mode` "listen", "whisper"
    /// (only the agent hears them) or "barge" (both do); again on a change
    /// of mode.
    MonitorStarted { supervisor: String, mode: String },
    /// The supervisor left the conversation.
    MonitorEnded { supervisor: String },
    /// The citizen left a voice message.
    VoicemailRecorded {
        recording: String,
        duration_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        case_ref: Option<CaseRef>,
    },
    /// The call was recorded to a file.
    RecordingStarted { recording: String },
    /// A case was created or linked during the call.
    CaseLinked { case_ref: CaseRef },
    /// The agent finished wrap-up with a disposition.
    WrapUpDone {
        agent: AgentId,
        disposition: String,
        wrap_ms: u64,
    },
    /// Post-call survey score, 1 (worst) to 5 (best).
    SurveyAnswered { score: u8 },
    /// The caller gave or refused a consent: `purpose` is one of
    /// [`crate::ConsentPurpose`]'s names (`recording`, `follow_up`, `sms`,
    /// `email`), `channel` how they said it (`phone_ivr`: keys at an IVR
    /// notice, where no key within its time is agreement). A text rather
    /// than the enum, so that a purpose added later still reads in an
    /// older binary. The store puts it on the record of every citizen
    /// holding the caller's number.
    ConsentRecorded {
        purpose: String,
        granted: bool,
        channel: String,
    },
    /// RTCP/RTP quality figures for one leg.
    MediaQuality {
        leg: String,
        packets_lost: u64,
        jitter_ms: f64,
    },
    /// The call ended.
    Ended {
        side: HangupSide,
        /// A short machine-readable reason: "bye", "cancel", "dead_media",
        /// "ivr_hangup", "shutdown", "crashed_process", a SIP status code...
        cause: String,
    },
}

impl CallEvent {
    /// The `type` tag, as stored in the event log's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            CallEvent::CallStarted { .. } => "call_started",
            CallEvent::Answered => "answered",
            CallEvent::IvrNodeEntered { .. } => "ivr_node_entered",
            CallEvent::PromptPlayed { .. } => "prompt_played",
            CallEvent::LanguageSelected { .. } => "language_selected",
            CallEvent::DigitsCollected { .. } => "digits_collected",
            CallEvent::MenuRetry { .. } => "menu_retry",
            CallEvent::VariableSet { .. } => "variable_set",
            CallEvent::LookupDone { .. } => "lookup_done",
            CallEvent::Queued { .. } => "queued",
            CallEvent::Offered { .. } => "offered",
            CallEvent::RingNoAnswer { .. } => "ring_no_answer",
            CallEvent::AgentAnswered { .. } => "agent_answered",
            CallEvent::Abandoned { .. } => "abandoned",
            CallEvent::Overflowed { .. } => "overflowed",
            CallEvent::CallbackRequested { .. } => "callback_requested",
            CallEvent::CallbackPlaced { .. } => "callback_placed",
            CallEvent::Dialled { .. } => "dialled",
            CallEvent::DialRefused { .. } => "dial_refused",
            CallEvent::HoldStarted => "hold_started",
            CallEvent::HoldEnded => "hold_ended",
            CallEvent::Transferred { .. } => "transferred",
            CallEvent::ConsultStarted { .. } => "consult_started",
            CallEvent::ConsultEnded { .. } => "consult_ended",
            CallEvent::MonitorStarted { .. } => "monitor_started",
            CallEvent::MonitorEnded { .. } => "monitor_ended",
            CallEvent::VoicemailRecorded { .. } => "voicemail_recorded",
            CallEvent::RecordingStarted { .. } => "recording_started",
            CallEvent::CaseLinked { .. } => "case_linked",
            CallEvent::WrapUpDone { .. } => "wrap_up_done",
            CallEvent::SurveyAnswered { .. } => "survey_answered",
            CallEvent::ConsentRecorded { .. } => "consent_recorded",
            CallEvent::MediaQuality { .. } => "media_quality",
            CallEvent::Ended { .. } => "ended",
        }
    }
}

/// An event as it travels to the store: who, when, what, and its own id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEventRecord {
    /// Unique per event; writing the same id twice is a no-op.
    pub id: EventId,
    pub call_id: CallId,
    pub at: Timestamp,
    pub event: CallEvent,
}

impl CallEventRecord {
    /// Wraps an event with a fresh id.
    pub fn new(call_id: CallId, at: Timestamp, event: CallEvent) -> Self {
        Self {
            id: EventId::new(),
            call_id,
            at,
            event,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_matches_the_serde_tag() {
        let events = [
            CallEvent::Answered,
            CallEvent::Queued {
                queue: "housing".into(),
                priority: 1,
                skills: vec![],
            },
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
            CallEvent::HoldStarted,
            CallEvent::ConsentRecorded {
                purpose: "recording".into(),
                granted: false,
                channel: crate::CONSENT_CHANNEL_PHONE_IVR.into(),
            },
        ];
        for e in events {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["type"], e.kind());
            let back: CallEvent = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
    }

    #[test]
    fn a_consent_is_stored_as_plain_fields() {
        let e = CallEvent::ConsentRecorded {
            purpose: "recording".into(),
            granted: false,
            channel: "phone_ivr".into(),
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({
                "type": "consent_recorded",
                "purpose": "recording",
                "granted": false,
                "channel": "phone_ivr",
            })
        );
    }

    #[test]
    fn record_round_trips_through_json() {
        let r = CallEventRecord::new(
            CallId::new(),
            Timestamp(1_763_800_000_000),
            CallEvent::AgentAnswered {
                queue: "transport".into(),
                agent: "alice".into(),
                wait_ms: 12_500,
            },
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<CallEventRecord>(&json).unwrap(), r);
    }
}
