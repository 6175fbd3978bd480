//! `[[queue]]`: hands the call to an ACD queue and waits until the ACD is
//! done with it: after the agent hangs up it goes on at `after_agent` (the
//! survey) or ends; on overflow it goes on at `overflow` with the reason in
//! [`QUEUE_OVERFLOW_VAR`].

use std::time::Instant;

use hotline_types::QueueId;

use crate::script::{NodeIndex, NodeKind};

use super::{Action, Ivr, Outcome, Phase, QueueOutcome};

impl Ivr {
    pub(super) fn enter_queue(
        &mut self,
        index: NodeIndex,
        queue: &str,
        priority: u8,
        skills: &[String],
    ) -> Option<NodeIndex> {
        // The ACD emits `Queued` when it accepts the call.
        self.type_ahead.clear();
        // Skills may name variables: "lang_{language}".
        let skills = skills.iter().map(|s| self.interpolate(s)).collect();
        self.actions.push_back(Action::Enqueue {
            queue: QueueId::from(queue),
            priority,
            skills,
        });
        self.phase = Phase::Queued { node: index };
        None
    }

    pub(super) fn on_queue(&mut self, now: Instant, outcome: QueueOutcome) {
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
}

/// The variable a queue node's overflow sets to the ACD's reason:
/// `voicemail` (the caller pressed the key to leave a message, or the
/// queue's rule sends callers there), `callback`, or `fallback` (no agents,
/// queue full, waited too long).
pub const QUEUE_OVERFLOW_VAR: &str = "queue_overflow";
