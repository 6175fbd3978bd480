//! What a citizen may consent to, and through which channel they said so:
//! the fixed vocabulary that IVR scripts are checked against and that the
//! store keeps on the citizen record. A fixed list, because a consent the
//! hotline does not know how to honour would be a promise it cannot keep.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The channel of a choice made by pressing keys in the IVR (the `channel`
/// of [`crate::CallEvent::ConsentRecorded`] and of the store's consents).
pub const CONSENT_CHANNEL_PHONE_IVR: &str = "phone_ivr";

/// What a consent is for.
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
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// The conversation with an agent may be recorded.
    Recording,
    /// The hotline may call back later about the request (回访).
    FollowUp,
    /// The hotline may send text messages later.
    Sms,
    /// The hotline may write e-mails later.
    Email,
}

impl ConsentPurpose {
    /// Every purpose, in the order scripts and pages list them.
    pub const ALL: [ConsentPurpose; 4] = [
        ConsentPurpose::Recording,
        ConsentPurpose::FollowUp,
        ConsentPurpose::Sms,
        ConsentPurpose::Email,
    ];

    /// The name used in scripts, events and the store (`follow_up`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentPurpose::Recording => "recording",
            ConsentPurpose::FollowUp => "follow_up",
            ConsentPurpose::Sms => "sms",
            ConsentPurpose::Email => "email",
        }
    }

    /// The purpose of that name, if it is one of [`ConsentPurpose::ALL`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for ConsentPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for p in ConsentPurpose::ALL {
            assert_eq!(ConsentPurpose::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                serde_json::Value::from(p.as_str())
            );
        }
        assert_eq!(ConsentPurpose::parse("Recording"), None);
        assert_eq!(ConsentPurpose::parse("marketing"), None);
    }
}
