//! Citizens' personal data in the logs: a caller's number, a name, an ID
//! typed into the IVR. At `info` and above the hotline logs them masked
//! ([`Masked`]: `*********00`), unless an operator turned on
//! `log.personal_data` for a debugging session ([`log_in_clear`]); the
//! call id in every line is how a record is found in the store.
//!
//! Which fields of a [`CallEvent`] are personal is said once, here
//! ([`CallEvent::personal_fields_mut`]): an erasure blanks them, a log line
//! masks them.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::CallEvent;

static IN_CLEAR: AtomicBool = AtomicBool::new(false);

/// Logs personal data in clear from now on (`true`), or masked (the
/// default). A process-wide switch, set once at start from the
/// configuration.
pub fn log_in_clear(on: bool) {
    IN_CLEAR.store(on, Ordering::Relaxed);
}

/// Whether personal data is logged in clear.
pub fn logged_in_clear() -> bool {
    IN_CLEAR.load(Ordering::Relaxed)
}

/// A personal value as a log line shows it: all but its last two
/// characters hidden, or in clear when [`log_in_clear`] is on.
#[derive(Debug, Clone, Copy)]
pub struct Masked<'a>(pub &'a str);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if logged_in_clear() {
            return f.write_str(self.0);
        }
        f.write_str(&mask(self.0))
    }
}

/// `+8613800138000` → `************00`; two characters or fewer → `**`.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 2 {
        return "**".into();
    }
    let keep = chars.len() - 2;
    let mut out = "*".repeat(keep);
    out.extend(&chars[keep..]);
    out
}

impl CallEvent {
    /// The event's personal fields: the numbers, SIP call ids (they carry
    /// the caller's host), keys and values the caller entered, recording
    /// paths and transfer targets. Everything else (times, queues, nodes,
    /// outcomes) is what the statistics are made of.
    pub fn personal_fields_mut(&mut self) -> Vec<&mut String> {
        match self {
            CallEvent::CallStarted {
                caller,
                called,
                sip_call_id,
                ..
            } => vec![caller, called, sip_call_id],
            CallEvent::DigitsCollected { digits, .. } => vec![digits],
            CallEvent::VariableSet { value, .. } => vec![value],
            CallEvent::CallbackRequested { number, .. }
            | CallEvent::CallbackPlaced { number, .. }
            | CallEvent::Dialled { number, .. }
            | CallEvent::DialRefused { number, .. } => vec![number],
            CallEvent::VoicemailRecorded { recording, .. }
            | CallEvent::RecordingStarted { recording } => vec![recording],
            CallEvent::Transferred { to, .. } => vec![to],
            _ => Vec::new(),
        }
    }

    /// The event as a log line may show it: personal fields masked unless
    /// [`log_in_clear`] is on.
    pub fn for_log(&self) -> CallEvent {
        let mut event = self.clone();
        if !logged_in_clear() {
            for field in event.personal_fields_mut() {
                *field = mask(field);
            }
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_only_their_last_two_characters() {
        assert_eq!(mask("+8613800138000"), "************00");
        assert_eq!(mask("12"), "**");
        assert_eq!(mask("张三丰"), "*三丰");
        assert_eq!(format!("{}", Masked("13800138000")), "*********00");
    }

    #[test]
    fn a_started_call_masks_its_numbers_for_the_log() {
        let event = CallEvent::CallStarted {
            caller: "+8613800138000".into(),
            called: "12345".into(),
            sip_call_id: "abc@10.0.0.1".into(),
            node: None,
            linked_call: None,
        };
        let json = serde_json::to_string(&event.for_log()).unwrap();
        assert!(!json.contains("13800138000"), "{json}");
        assert!(json.contains("************00"), "{json}");
    }
}
