//! Attended transfer: the agent consults a colleague or a configured
//! destination while the citizen holds (music), talks with them (agent and
//! consulted party bridged), then puts the citizen through or takes them
//! back. The ACD decides (it owns the agents' states); the call carries it
//! out and reports the consulted leg's answer and end.
//!
//! The agent hanging up after the consulted party answered puts the
//! citizen through, as on a desk phone; hanging up before it answers ends
//! the consultation and the agent's side of the call.

use std::time::Instant;

use hotline_acd::ConsultOutcome;
use hotline_media::LatchPolicy;
use hotline_sip::transport::Command;
use hotline_sip::Event;
use hotline_types::CallEvent;
use tracing::{info, warn};

use super::{
    AgentLeg, BridgeOp, Call, ConsultLeg, ConsultParty, ExternalLeg, LegRef, MediaOp, Output,
    Party, Phase, PlacedLeg, Placement, ToAcd,
};
use crate::media::answered_leg_params;

impl Call {
    /// The ACD's order to consult: the citizen holds, the party is called.
    pub(super) fn start_consult(&mut self, party: ConsultParty) {
        let Phase::Talking { held } = self.phase else {
            // The conversation ended meanwhile: the ACD hears it failed.
            self.tell_acd(ToAcd::ConsultGone);
            return;
        };
        if !self.bridged || self.consult.is_some() || self.agent.is_none() {
            self.tell_acd(ToAcd::ConsultGone);
            return;
        }
        let consult = match party {
            ConsultParty::Agent { agent, binding } => {
                info!(call = %self.id, consulted = %agent, "consulting a colleague");
                let leg = self.place_agent_leg(agent.clone(), &binding);
                ConsultLeg {
                    party: Party::Agent(agent),
                    leg: leg.leg,
                    handle: None,
                    latch: leg.latch,
                    offered: None,
                    answered: false,
                }
            }
            ConsultParty::Destination(name) => {
                let Some(leg) = self.place_destination_leg(&name) else {
                    warn!(call = %self.id, destination = name, "no such destination to consult");
                    self.tell_acd(ToAcd::ConsultGone);
                    return;
                };
                info!(call = %self.id, destination = name, "consulting a destination");
                ConsultLeg {
                    party: Party::Destination(name),
                    leg,
                    handle: None,
                    // A destination in the configuration: its SDP is trusted.
                    latch: LatchPolicy::SdpAddress,
                    offered: None,
                    answered: false,
                }
            }
        };
        if held {
            // Off the bridge's hold: the citizen hears the music on their own.
            self.outputs.push_back(Output::Bridge(BridgeOp::Hold {
                citizen: LegRef::Caller,
                on: false,
            }));
        } else {
            self.emit(CallEvent::HoldStarted);
        }
        self.end_bridge();
        if self.config.music_on_hold {
            self.media(LegRef::Caller, MediaOp::StartMusic);
        }
        self.consult = Some(consult);
        self.phase = Phase::Consulting;
    }

    /// The driver placed the consulted leg (or could not).
    pub(super) fn consult_placed(&mut self, now: Instant, placed: Option<Placement>) {
        match (placed, self.consult.as_mut()) {
            (Some(placement), Some(consult)) => {
                consult.handle = Some(placement.handle);
                consult.offered = placement.offered;
            }
            (None, Some(_)) => {
                warn!(call = %self.id, "the consulted leg could not be placed");
                self.consult_gone(now);
            }
            (_, None) => {}
        }
    }

    /// Whether `leg` is the consulted one.
    pub(super) fn is_consult_leg(&self, leg: PlacedLeg) -> bool {
        self.consult.as_ref().is_some_and(|c| c.leg == leg)
    }

    /// A SIP event of the consulted leg.
    pub(super) fn consult_sip(&mut self, now: Instant, event: Event) {
        match event {
            Event::OutgoingAnswered { remote_media, .. } => {
                let Some(consult) = self.consult.as_mut() else {
                    return;
                };
                consult.answered = true;
                let (leg, latch, offered) = (consult.leg, consult.latch, consult.offered.clone());
                if let Some(media) = remote_media {
                    let params = answered_leg_params(
                        &media,
                        latch,
                        offered.as_ref(),
                        self.config.dead_media_after,
                    );
                    self.media(LegRef::Placed(leg), MediaOp::Start(params));
                }
                self.tell_acd(ToAcd::ConsultAnswered);
                if let Some(agent) = self.agent.as_ref().map(|a| a.leg) {
                    self.outputs.push_back(Output::Bridge(BridgeOp::Connect(
                        LegRef::Placed(agent),
                        LegRef::Placed(leg),
                    )));
                    self.bridged = true;
                }
            }
            Event::CallEnded { reason, .. } => {
                info!(call = %self.id, reason, "the consulted party hung up");
                if let Some(consult) = self.consult.take() {
                    self.close_consult_leg(&consult);
                }
                self.tell_acd(ToAcd::ConsultGone);
                self.back_to_agent(now);
            }
            _ => {}
        }
    }

    /// The consulted leg failed or went silent: the ACD hears it, the
    /// citizen goes back to the agent.
    pub(super) fn consult_gone(&mut self, now: Instant) {
        self.drop_consult();
        self.tell_acd(ToAcd::ConsultGone);
        self.back_to_agent(now);
    }

    /// The ACD withdrew the consulted agent's offer (ring timeout, their
    /// break, the agent took the citizen back).
    pub(super) fn consult_withdrawn(&mut self, now: Instant, agent: &hotline_types::AgentId) {
        let ringing = self
            .consult
            .as_ref()
            .is_some_and(|c| !c.answered && c.party == Party::Agent(agent.clone()));
        if ringing {
            self.drop_consult();
            self.back_to_agent(now);
        }
    }

    /// The agent's leg ended while consulting: with the consulted party on
    /// the line, the citizen is put through (the ACD decides it); before it
    /// answered, the consultation ends with the agent's side of the call.
    pub(super) fn agent_left_consult(&mut self, now: Instant) {
        if self.consult.as_ref().is_some_and(|c| c.answered) {
            self.tell_acd(ToAcd::CompleteConsult);
        } else {
            self.drop_consult();
            self.stop_consult_hold();
            self.agent_finished(now);
        }
    }

    /// The ACD ended the consultation.
    pub(super) fn consult_ended(&mut self, now: Instant, outcome: ConsultOutcome) {
        if self.phase != Phase::Consulting {
            return;
        }
        if outcome != ConsultOutcome::Completed {
            self.drop_consult();
            self.back_to_agent(now);
            return;
        }
        let Some(consult) = self.consult.take().filter(|c| c.answered) else {
            // Not answered (the ACD refuses that): back to the agent.
            self.drop_consult();
            self.back_to_agent(now);
            return;
        };
        self.end_bridge();
        if let Some(agent) = self.agent.take() {
            if let Some(handle) = agent.handle {
                self.sip(Command::Hangup(handle));
                self.retired.push(handle);
            }
            self.media(
                LegRef::Placed(agent.leg),
                MediaOp::Close {
                    report: Some("agent"),
                },
            );
        }
        self.stop_consult_hold();
        self.outputs.push_back(Output::Bridge(BridgeOp::Connect(
            LegRef::Caller,
            LegRef::Placed(consult.leg),
        )));
        self.bridged = true;
        match consult.party {
            Party::Agent(agent) => {
                info!(call = %self.id, %agent, "put through to the consulted colleague");
                self.agent = Some(AgentLeg {
                    agent,
                    leg: consult.leg,
                    handle: consult.handle,
                    latch: consult.latch,
                    offered: consult.offered,
                    answered: true,
                });
                self.phase = Phase::Talking { held: false };
            }
            Party::Destination(name) => {
                info!(call = %self.id, destination = name, "put through to the consulted destination");
                self.external = Some(ExternalLeg {
                    name,
                    leg: consult.leg,
                    handle: consult.handle,
                    answered: true,
                });
                self.phase = Phase::Transferred;
            }
        }
    }

    /// Hangs up (or cancels) the consulted leg, if any, and forgets it.
    pub(super) fn drop_consult(&mut self) {
        let Some(consult) = self.consult.take() else {
            return;
        };
        match consult.handle {
            Some(handle) => {
                self.sip(Command::Hangup(handle));
                self.retired.push(handle);
            }
            None => self.abandoned.push(consult.leg),
        }
        self.close_consult_leg(&consult);
    }

    fn close_consult_leg(&mut self, consult: &ConsultLeg) {
        if self.bridged && consult.answered {
            // The bridge is agent ↔ consulted party.
            self.end_bridge();
        }
        self.media(LegRef::Placed(consult.leg), MediaOp::Close { report: None });
    }

    /// The citizen talks with the agent again.
    pub(super) fn back_to_agent(&mut self, now: Instant) {
        if self.phase != Phase::Consulting {
            return;
        }
        self.stop_consult_hold();
        let Some(agent) = self.agent.as_ref().map(|a| a.leg) else {
            self.agent_finished(now);
            return;
        };
        self.end_bridge();
        self.outputs.push_back(Output::Bridge(BridgeOp::Connect(
            LegRef::Caller,
            LegRef::Placed(agent),
        )));
        self.bridged = true;
        self.phase = Phase::Talking { held: false };
    }

    /// The citizen's hold for the consultation ends.
    pub(super) fn stop_consult_hold(&mut self) {
        self.media(LegRef::Caller, MediaOp::StopMusic);
        self.emit(CallEvent::HoldEnded);
    }
}
