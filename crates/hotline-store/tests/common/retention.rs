//! Calls of the kinds retention treats differently (a voice message, a
//! callback request, a transfer out of the IVR), a city's policy as
//! cut-offs from a simulated `now`, and looks at what the store holds.

use hotline_store::{Access, AuditContext, RetentionCutoffs};
use hotline_types::{CallEvent, CallEventRecord, CallId, CaseRef, HangupSide, Timestamp};

pub use super::orders::DAY;
use super::{rec, TestStore};

/// Kept 90 days, 365 days, 365 days and three years of 365 days.
pub fn city_policy(now: Timestamp) -> RetentionCutoffs {
    RetentionCutoffs {
        recordings: Some(Timestamp(now.0 - 90 * DAY)),
        voice_messages: Some(Timestamp(now.0 - 365 * DAY)),
        call_personal: Some(Timestamp(now.0 - 365 * DAY)),
        audit: Some(Timestamp(now.0 - 3 * 365 * DAY)),
    }
}

/// The hotline's own job, as it is audited.
pub fn job(now: Timestamp) -> AuditContext {
    AuditContext {
        actor: "hotline".into(),
        access: Access::Administration,
        reason: "daily retention".into(),
        at: now,
    }
}

fn started(call: CallId, caller: &str, start_ms: i64) -> Vec<CallEventRecord> {
    vec![
        rec(
            call,
            start_ms,
            CallEvent::CallStarted {
                caller: caller.into(),
                called: "12345".into(),
                sip_call_id: format!("{call}@test"),
                node: None,
                linked_call: None,
            },
        ),
        rec(call, start_ms + 500, CallEvent::Answered),
        rec(
            call,
            start_ms + 600,
            CallEvent::IvrNodeEntered {
                script: "main".into(),
                version: 1,
                node: "welcome".into(),
            },
        ),
        rec(
            call,
            start_ms + 3_000,
            CallEvent::DigitsCollected {
                node: "welcome".into(),
                digits: "9".into(),
            },
        ),
    ]
}

fn ended(call: CallId, at_ms: i64, side: HangupSide, cause: &str) -> CallEventRecord {
    rec(
        call,
        at_ms,
        CallEvent::Ended {
            side,
            cause: cause.into(),
        },
    )
}

/// The file a voice message of `call` is recorded to.
pub fn message_file(call: CallId) -> String {
    format!("rec/{call}-message.wav")
}

/// A caller who leaves a voice message, which opened `case` if given.
pub fn voice_message(
    call: CallId,
    caller: &str,
    start_ms: i64,
    case: Option<CaseRef>,
) -> Vec<CallEventRecord> {
    let mut events = started(call, caller, start_ms);
    events.push(rec(
        call,
        start_ms + 40_000,
        CallEvent::VoicemailRecorded {
            recording: message_file(call),
            duration_ms: 30_000,
            case_ref: case,
        },
    ));
    events.push(ended(call, start_ms + 41_000, HangupSide::Caller, "bye"));
    events
}

/// A caller who asks in the IVR to be called back on their number.
pub fn callback_request(call: CallId, caller: &str, start_ms: i64) -> Vec<CallEventRecord> {
    let mut events = started(call, caller, start_ms);
    events.push(rec(
        call,
        start_ms + 5_000,
        CallEvent::CallbackRequested {
            queue: None,
            number: caller.into(),
        },
    ));
    events.push(ended(
        call,
        start_ms + 6_000,
        HangupSide::System,
        "ivr_hangup",
    ));
    events
}

/// A caller the IVR puts through to a configured destination.
pub fn transferred_out(call: CallId, caller: &str, start_ms: i64) -> Vec<CallEventRecord> {
    let mut events = started(call, caller, start_ms);
    events.push(rec(
        call,
        start_ms + 5_000,
        CallEvent::Transferred {
            to: "emergency_desk".into(),
            kind: "external".into(),
            by: None,
        },
    ));
    events.push(ended(
        call,
        start_ms + 6_000,
        HangupSide::System,
        "transferred",
    ));
    events
}

impl TestStore {
    /// One column of a call's row as text (`NULL` as `None`).
    pub async fn call_column(&self, call: CallId, column: &str) -> Option<String> {
        self.raw_strings(&format!(
            "SELECT CAST({column} AS TEXT) FROM calls WHERE call_id = '{call}'"
        ))
        .await
        .into_iter()
        .next()
        .expect("the call's row")
    }

    /// Every payload of a call's events, as stored.
    pub async fn event_payloads(&self, call: CallId) -> Vec<String> {
        self.raw_strings(&format!(
            "SELECT payload FROM call_events WHERE call_id = '{call}' ORDER BY at_ms"
        ))
        .await
        .into_iter()
        .flatten()
        .collect()
    }

    /// The audit log as `action@at_ms`, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        self.raw_strings(
            "SELECT action || '@' || CAST(at_ms AS TEXT) FROM audit_log ORDER BY at_ms, audit_id",
        )
        .await
        .into_iter()
        .flatten()
        .collect()
    }
}
