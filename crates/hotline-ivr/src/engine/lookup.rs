//! `[[lookup]]`: asks the store (the citizen by the caller's number or an
//! entered resident ID, or a case's status) and waits for the answer, at
//! most `timeout_ms`; the fields found become variables. Goes on at
//! `found`, `not_found` or `failed`.

use std::time::Instant;

use hotline_types::{CallEvent, CaseRef};

use crate::resident_id::mask;
use crate::script::{LookupKind, NodeIndex, NodeKind};

use super::{
    Action, Ivr, LookupId, LookupKey, LookupOutcome, LookupRequest, LookupResponse, Phase, Timer,
};

impl Ivr {
    pub(super) fn enter_lookup(
        &mut self,
        now: Instant,
        index: NodeIndex,
        kind: LookupKind,
        key_var: Option<&str>,
        timeout_ms: u64,
        not_found: NodeIndex,
    ) -> Option<NodeIndex> {
        let raw = match key_var {
            Some(v) => self.vars.get(v).cloned().unwrap_or_default(),
            None => self.vars.get("caller").cloned().unwrap_or_default(),
        };
        let key = match kind {
            LookupKind::CitizenByCaller if !raw.is_empty() => Some(LookupKey::CallerNumber(raw)),
            LookupKind::CitizenById if !raw.is_empty() => Some(LookupKey::ResidentId(raw)),
            LookupKind::CaseStatus => CaseRef::parse(&raw).ok().map(LookupKey::CaseRef),
            _ => None,
        };
        match key {
            Some(key) => {
                let id = LookupId(self.new_id());
                self.actions
                    .push_back(Action::Lookup(LookupRequest { id, kind, key }));
                self.phase = Phase::LookingUp { node: index, id };
                self.set_deadline(now, timeout_ms, Timer::Lookup);
                None
            }
            // No key to look up (anonymous caller): nothing can be found.
            None => {
                self.emit(CallEvent::LookupDone {
                    what: kind.as_str().to_owned(),
                    found: false,
                });
                Some(not_found)
            }
        }
    }

    pub(super) fn on_lookup(&mut self, now: Instant, response: LookupResponse) {
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
                    // the event log in clear; free text (a department's
                    // reply) is the store's to keep, the log only says
                    // how long it is.
                    let shown = if is_sensitive(&name) {
                        mask(&value)
                    } else if is_free_text(&name) {
                        format!("({} characters)", value.chars().count())
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

    /// The store did not answer in time: the lookup failed.
    pub(super) fn lookup_timed_out(&mut self, now: Instant, node: NodeIndex) {
        if let NodeKind::Lookup { kind, failed, .. } = self.script.nodes[node].kind {
            self.emit(CallEvent::LookupDone {
                what: kind.as_str().to_owned(),
                found: false,
            });
            self.go(now, failed);
        }
    }
}

/// Variable names whose values are ID numbers.
fn is_sensitive(name: &str) -> bool {
    name.contains("resident_id") || name.contains("id_number")
}

/// Variable names whose values are free text written by staff.
fn is_free_text(name: &str) -> bool {
    name.ends_with("_reply")
}
