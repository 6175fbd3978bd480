//! `[[consent]]`: a notice the caller may object to with one key. Its
//! purpose must be one the hotline knows how to honour
//! ([`ConsentPurpose::ALL`]), the notice must be heard (prompts), and the
//! key must be one a phone sends.

use hotline_types::ConsentPurpose;

use crate::raw::RawConsent;
use crate::script::NodeKind;

use super::{Compiler, DEFAULT_CONSENT_TIMEOUT_MS};

impl Compiler<'_> {
    pub(super) fn build_consent(&mut self, n: &RawConsent) -> NodeKind {
        let line = self.line(n.id.span());
        let what = format!("consent {:?}", n.id.get_ref());
        let purpose = ConsentPurpose::parse(n.purpose.get_ref()).unwrap_or_else(|| {
            let known: Vec<&str> = ConsentPurpose::ALL.iter().map(|p| p.as_str()).collect();
            self.error(
                n.purpose.span(),
                format!(
                    "{what}: purpose {:?} is not one the hotline can honour",
                    n.purpose.get_ref()
                ),
                format!("use one of {known:?}"),
            );
            ConsentPurpose::Recording
        });
        let mut keys = n.decline_key.get_ref().chars();
        let decline_key = match (keys.next(), keys.next()) {
            (Some(k), None) if k.is_ascii_digit() || k == '*' || k == '#' => k,
            _ => {
                self.error(
                    n.decline_key.span(),
                    format!(
                        "{what}: decline_key {:?} is not one key a phone can send",
                        n.decline_key.get_ref()
                    ),
                    "use one digit, * or #, e.g. decline_key = \"9\"",
                );
                '9'
            }
        };
        if n.prompts.is_empty() {
            self.error(
                n.id.span(),
                format!("{what} has no prompts: the caller would never hear the notice"),
                "list the notice, which says which key to press: prompts = [\"recording_notice\"]",
            );
        }
        match n.timeout_ms {
            None => self.warn(
                line,
                format!(
                    "{what} has no timeout_ms; {DEFAULT_CONSENT_TIMEOUT_MS} ms after the notice is assumed"
                ),
                "say how long the caller has to object after the notice: timeout_ms = 3000",
            ),
            Some(0) => self.error(
                n.id.span(),
                format!("{what}: timeout_ms is 0, the caller could only object during the notice"),
                "give the caller a moment after the notice, e.g. timeout_ms = 3000",
            ),
            Some(_) => {}
        }
        NodeKind::Consent {
            purpose,
            prompts: self.prompts(&n.prompts),
            decline_key,
            timeout_ms: n.timeout_ms.unwrap_or(DEFAULT_CONSENT_TIMEOUT_MS),
            next: self.target(&n.next),
        }
    }
}
