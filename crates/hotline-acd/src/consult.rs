//! Attended transfer: while the citizen holds, the agent on the call
//! consults a colleague (named, or the next agent of a queue) or a
//! configured destination, then puts the citizen through or takes them back.
//!
//! The consulted agent is offered the call (their screen pops, their phone
//! rings for the call's queue's ring timeout; a missed consultation is not
//! a ring-no-answer and puts nobody on break) and is on the call once they
//! answer; on completion they become the call's agent and the first agent
//! wraps up. A destination is outside the ACD: on completion the call
//! leaves it, as a blind transfer does.

use std::time::Instant;

use hotline_types::{CallEvent, CallId};

use crate::state::{AgentIdx, CallStatus, Consult, Party};
use crate::{
    Acd, AcdError, Action, AgentState, CancelReason, ConsultOutcome, ConsultTarget, Consultee,
};

impl Acd {
    /// The agent on `call` consults `target`: emits `ConsultStarted` and
    /// `Action::Consult`; a consulted agent is offered the call. Refused
    /// when the call is not talking, a consultation is already running, the
    /// named agent is not available, or no agent of the queue is.
    pub fn consult(
        &mut self,
        now: Instant,
        call: CallId,
        target: ConsultTarget,
    ) -> Result<Consultee, AcdError> {
        let (by, q) = self.talking(call)?;
        if self.calls.get(&call).is_some_and(|c| c.consult.is_some()) {
            return Err(AcdError::InvalidCallState {
                call,
                state: "consulting",
                wanted: "talking",
            });
        }
        let party = match &target {
            ConsultTarget::Agent(id) => {
                let a = self.agent(id)?;
                if self.agents[a].state != AgentState::Available {
                    return Err(AcdError::InvalidState {
                        agent: id.clone(),
                        state: self.agents[a].state.name(),
                        wanted: "available",
                    });
                }
                Party::Agent(a)
            }
            ConsultTarget::Queue(queue) => {
                let t = self
                    .active_queue(queue)
                    .ok_or_else(|| AcdError::UnknownQueue(queue.clone()))?;
                let a = self.queues[t]
                    .available
                    .first()
                    .map(|&(_, _, a)| a)
                    .ok_or_else(|| AcdError::NoAgentAvailable(queue.clone()))?;
                Party::Agent(a)
            }
            ConsultTarget::Destination(name) => Party::Destination(name.clone()),
        };
        let by_id = self.agents[by].id.clone();
        let consultee = match &party {
            Party::Agent(a) => {
                let a = *a;
                let agent = self.agents[a].id.clone();
                let queue = match &target {
                    ConsultTarget::Queue(queue) => queue.clone(),
                    _ => self.queues[q].id().clone(),
                };
                let ring_timeout = self.queues[q].config.ring_timeout;
                self.set_agent_state(now, a, AgentState::Offered { call }, false);
                self.agents[a].offered_at = now;
                self.set_agent_deadline(a, now.checked_add(ring_timeout));
                self.actions.push_back(Action::Event {
                    call,
                    event: CallEvent::ConsultStarted {
                        to: agent.to_string(),
                        kind: "agent".into(),
                        by: by_id.clone(),
                    },
                });
                Consultee::Agent { agent, queue }
            }
            Party::Destination(name) => {
                self.actions.push_back(Action::Event {
                    call,
                    event: CallEvent::ConsultStarted {
                        to: name.clone(),
                        kind: "destination".into(),
                        by: by_id.clone(),
                    },
                });
                Consultee::Destination(name.clone())
            }
        };
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.consult = Some(Consult {
                party,
                answered: false,
            });
        }
        self.actions.push_back(Action::Consult {
            call,
            by: by_id,
            consultee: consultee.clone(),
        });
        Ok(consultee)
    }

    /// The consulted phone or destination answered: a consulted agent is on
    /// the call from now.
    pub fn consult_answered(&mut self, now: Instant, call: CallId) -> Result<(), AcdError> {
        let consult = self.consulting(call)?;
        if consult.answered {
            return Ok(());
        }
        if let Party::Agent(a) = consult.party {
            self.set_agent_deadline(a, None);
            self.set_agent_state(now, a, AgentState::OnCall { call }, false);
        }
        if let Some(c) = self.calls.get_mut(&call).and_then(|e| e.consult.as_mut()) {
            c.answered = true;
        }
        Ok(())
    }

    /// The consulted leg failed before answering, or hung up after: the
    /// consultation ends (`Failed` or `HungUp`) and the first agent has the
    /// citizen back.
    pub fn consult_gone(&mut self, now: Instant, call: CallId) -> Result<(), AcdError> {
        let consult = self.consulting(call)?;
        let outcome = if consult.answered {
            ConsultOutcome::HungUp
        } else {
            ConsultOutcome::Failed
        };
        self.end_consult(now, call, outcome, None, false);
        self.route(now);
        Ok(())
    }

    /// The agent takes the citizen back from the consultation.
    pub fn return_from_consult(&mut self, now: Instant, call: CallId) -> Result<(), AcdError> {
        self.consulting(call)?;
        self.end_consult(
            now,
            call,
            ConsultOutcome::Returned,
            Some(CancelReason::Withdrawn),
            true,
        );
        self.route(now);
        Ok(())
    }

    /// The agent puts the citizen through to the party who answered:
    /// `Transferred { kind: "attended" }` by the first agent, who wraps up.
    /// A consulted agent becomes the call's agent (the call's handle time in
    /// its queue starts now); to a destination the call leaves the ACD.
    pub fn complete_consult(&mut self, now: Instant, call: CallId) -> Result<(), AcdError> {
        let consult = self.consulting(call)?;
        if !consult.answered {
            return Err(AcdError::InvalidCallState {
                call,
                state: "consult_ringing",
                wanted: "consult_answered",
            });
        }
        let (first, q) = self.talking(call)?;
        let to = match &consult.party {
            Party::Agent(a) => self.agents[*a].id.to_string(),
            Party::Destination(name) => name.clone(),
        };
        self.actions.push_back(Action::Event {
            call,
            event: CallEvent::Transferred {
                to,
                kind: "attended".into(),
                by: Some(self.agents[first].id.clone()),
            },
        });
        self.actions.push_back(Action::Event {
            call,
            event: CallEvent::ConsultEnded {
                outcome: ConsultOutcome::Completed.name().into(),
            },
        });
        self.actions.push_back(Action::ConsultEnded {
            call,
            outcome: ConsultOutcome::Completed,
        });
        match consult.party {
            Party::Agent(a) => {
                if let Some(entry) = self.calls.get_mut(&call) {
                    entry.consult = None;
                    entry.status = CallStatus::Talking { agent: a };
                }
                let agent = &mut self.agents[a];
                agent.calls_answered = agent.calls_answered.saturating_add(1);
                agent.handling = Some((q, now));
            }
            Party::Destination(_) => {
                self.forget_call(call);
            }
        }
        self.start_wrap_up(now, first, call, q);
        self.route(now);
        Ok(())
    }

    /// Ends a running consultation (if any) without completing it and frees
    /// the consulted agent: available again, in their idle place if they
    /// only rang, at the back of the idle order if they answered.
    /// `cancel`: their phone still rings and must stop. `tell`: the owner
    /// hears `Action::ConsultEnded` (not when the call itself reported the
    /// leg gone, or is ending).
    pub(crate) fn end_consult(
        &mut self,
        now: Instant,
        call: CallId,
        outcome: ConsultOutcome,
        cancel: Option<CancelReason>,
        tell: bool,
    ) {
        if let Some((a, answered)) = self.drop_consult(call, outcome, cancel, tell) {
            self.set_agent_state(now, a, AgentState::Available, answered);
        }
    }

    /// Ends a running consultation without touching the consulted agent's
    /// state: returns them (and whether they had answered) for the caller
    /// to set.
    pub(crate) fn drop_consult(
        &mut self,
        call: CallId,
        outcome: ConsultOutcome,
        cancel: Option<CancelReason>,
        tell: bool,
    ) -> Option<(AgentIdx, bool)> {
        let consult = self.calls.get_mut(&call).and_then(|e| e.consult.take())?;
        self.actions.push_back(Action::Event {
            call,
            event: CallEvent::ConsultEnded {
                outcome: outcome.name().into(),
            },
        });
        let freed = match consult.party {
            Party::Agent(a) => {
                self.set_agent_deadline(a, None);
                if let (false, Some(reason)) = (consult.answered, cancel) {
                    self.actions.push_back(Action::CancelOffer {
                        call,
                        agent: self.agents[a].id.clone(),
                        reason,
                    });
                }
                Some((a, consult.answered))
            }
            Party::Destination(_) => None,
        };
        if tell {
            self.actions
                .push_back(Action::ConsultEnded { call, outcome });
        }
        freed
    }

    /// The consulted party of `call`, if agent `a` is it.
    pub(crate) fn is_consultee(&self, call: CallId, a: AgentIdx) -> bool {
        self.calls
            .get(&call)
            .and_then(|e| e.consult.as_ref())
            .is_some_and(|c| c.party == Party::Agent(a))
    }

    fn consulting(&self, call: CallId) -> Result<Consult, AcdError> {
        let entry = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
        entry.consult.clone().ok_or(AcdError::InvalidCallState {
            call,
            state: entry.status.name(),
            wanted: "consulting",
        })
    }
}
