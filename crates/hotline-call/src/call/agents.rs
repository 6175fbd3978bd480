//! The agents' side of a call: the ACD's orders, phones that ring (ring-all
//! rings several; the first to answer takes the call, the ACD cancels the
//! others), the conversation (bridge, hold, the agent's hang-up), and the
//! phone's own transfer key (REFER to a queue, answered with NOTIFYs).

use std::time::Instant;

use hotline_ivr::{Input, QueueOutcome};
use hotline_sip::registrar::Binding;
use hotline_sip::transport::Command;
use hotline_sip::{CallHandle, Event};
use hotline_types::AgentId;
use tracing::{debug, info, warn};

use super::{
    AgentLeg, BridgeOp, Call, LegRef, MediaInput, MediaOp, Order, Output, Phase, PlacedLeg,
    Placement, ToAcd,
};
use crate::media::answered_leg_params;

impl Call {
    /// Carries out an order of the ACD.
    pub(super) fn acd_order(&mut self, now: Instant, order: Order) {
        match order {
            Order::RingAgent { agent, binding } => self.ring_agent(agent, binding),
            Order::CancelOffer { agent } => {
                self.consult_withdrawn(now, &agent);
                if self
                    .agent
                    .as_ref()
                    .is_some_and(|a| a.agent == agent && !a.answered)
                {
                    self.drop_agent();
                }
                self.drop_ringing(Some(&agent));
            }
            Order::Connect { agent } => self.connect(agent),
            Order::DropAgent { agent } => {
                if self.agent.as_ref().is_some_and(|a| a.agent == agent) {
                    self.drop_agent();
                }
                self.drop_ringing(Some(&agent));
            }
            Order::Overflow { to, reason } => {
                if self.phase == Phase::Waiting {
                    self.overflow(now, to, &reason);
                }
            }
            Order::Announce {
                position,
                estimated_wait,
            } => self.announce(position, estimated_wait),
            Order::Consult(party) => self.start_consult(party),
            Order::ConsultEnded(outcome) => self.consult_ended(now, outcome),
            Order::TransferRefused => {
                if let (Some(handle), true) = (self.agent_handle(), self.refer_pending) {
                    self.sip(Command::NotifyRefer(handle, "603 Declined", true));
                }
                self.refer_pending = false;
            }
            Order::Requeued => {
                // A transfer the phone asked for (REFER) or the console did:
                // the NOTIFY is for a REFER only.
                if let (Some(handle), true) = (self.agent_handle(), self.refer_pending) {
                    self.sip(Command::NotifyRefer(handle, "200 OK", true));
                }
                self.refer_pending = false;
                if !matches!(self.phase, Phase::Talking { .. }) {
                    // The call ended (or left the queue) meanwhile.
                    return;
                }
                self.drop_agent();
                self.drop_ringing(None);
                self.phase = Phase::Waiting;
                if self.config.music_on_hold {
                    self.media(LegRef::Caller, MediaOp::StartMusic);
                }
            }
        }
    }

    fn agent_handle(&self) -> Option<CallHandle> {
        self.agent.as_ref().and_then(|a| a.handle)
    }

    /// Rings the agent's phone: a new leg, placed by the driver. The agent
    /// sees the citizen's number as the caller.
    fn ring_agent(&mut self, agent: AgentId, binding: Binding) {
        if self.phase != Phase::Waiting
            || self.agent.is_some()
            || self.ringing.iter().any(|r| r.agent == agent)
        {
            // The caller has gone, an agent has answered already, or this
            // agent's phone rings already: the ACD hears that this offer
            // failed and routes again.
            self.tell_acd(ToAcd::OfferFailed { agent });
            return;
        }
        info!(call = %self.id, %agent, contact = binding.contact, "ringing the agent's phone");
        let leg = self.place_agent_leg(agent, &binding);
        self.ringing.push(leg);
    }

    /// Asks the driver to ring an agent's phone at its registered binding;
    /// the phone shows the citizen's number as the caller.
    pub(super) fn place_agent_leg(&mut self, agent: AgentId, binding: &Binding) -> AgentLeg {
        let (leg, latch) = self.place_phone_leg(binding);
        AgentLeg {
            agent,
            leg,
            handle: None,
            latch,
            offered: None,
            answered: false,
        }
    }

    /// The driver placed a leg (or could not).
    pub(super) fn placed(&mut self, now: Instant, leg: PlacedLeg, placed: Option<Placement>) {
        if let Some(at) = self.abandoned.iter().position(|l| *l == leg) {
            // Given up while it was being placed: hang it up now.
            self.abandoned.swap_remove(at);
            if let Some(placement) = placed {
                self.sip(Command::Hangup(placement.handle));
                self.retired.push(placement.handle);
            }
            return;
        }
        if self.external.as_ref().is_some_and(|x| x.leg == leg) {
            self.external_placed(placed);
            return;
        }
        if self.is_consult_leg(leg) {
            self.consult_placed(now, placed);
            return;
        }
        if self.is_monitor_leg(leg) {
            self.monitor_placed(placed);
            return;
        }
        let Some(at) = self.ringing.iter().position(|r| r.leg == leg) else {
            return;
        };
        match placed {
            Some(placement) => {
                self.ringing[at].handle = Some(placement.handle);
                self.ringing[at].offered = placement.offered;
            }
            None => {
                let gone = self.ringing.remove(at);
                warn!(call = %self.id, agent = %gone.agent, "the agent's leg could not be placed");
                self.media(LegRef::Placed(leg), MediaOp::Close { report: None });
                self.tell_acd(ToAcd::OfferFailed { agent: gone.agent });
            }
        }
    }

    /// Cancels the ringing phones of `agent` (of everyone with `None`).
    pub(super) fn drop_ringing(&mut self, agent: Option<&AgentId>) {
        let (gone, kept): (Vec<AgentLeg>, Vec<AgentLeg>) = std::mem::take(&mut self.ringing)
            .into_iter()
            .partition(|r| agent.is_none_or(|a| r.agent == *a));
        self.ringing = kept;
        for leg in gone {
            self.hang_up_leg(leg);
        }
    }

    /// Hangs up (or cancels) the agent's leg and forgets it.
    pub(super) fn drop_agent(&mut self) {
        self.end_bridge();
        if let Phase::Talking { held: true } = self.phase {
            self.phase = Phase::Talking { held: false };
        }
        if let Some(agent) = self.agent.take() {
            self.hang_up_leg(agent);
        }
    }

    fn hang_up_leg(&mut self, leg: AgentLeg) {
        match leg.handle {
            Some(handle) => {
                self.sip(Command::Hangup(handle));
                self.retired.push(handle);
            }
            None => self.abandoned.push(leg.leg),
        }
        self.retire(&leg);
    }

    /// Closes an agent's media leg; an answered one's figures are recorded.
    fn retire(&mut self, leg: &AgentLeg) {
        let report = leg.answered.then_some("agent");
        self.media(LegRef::Placed(leg.leg), MediaOp::Close { report });
    }

    /// The ACD accepted the agent's answer: citizen and agent talk.
    fn connect(&mut self, agent: AgentId) {
        let Some(leg) = self
            .agent
            .as_ref()
            .filter(|a| a.agent == agent && a.answered)
            .map(|a| a.leg)
        else {
            return;
        };
        if self.phase != Phase::Waiting {
            return;
        }
        self.media(LegRef::Caller, MediaOp::StopMusic);
        self.media(LegRef::Caller, MediaOp::StopPlayback);
        self.announcements.clear();
        self.outputs.push_back(Output::Bridge(BridgeOp::Connect(
            LegRef::Caller,
            LegRef::Placed(leg),
        )));
        self.bridged = true;
        self.phase = Phase::Talking { held: false };
        self.record_conversation();
    }

    /// The agent's side is over: the ACD starts wrap-up and the IVR carries
    /// on with the citizen (the survey).
    pub(super) fn agent_finished(&mut self, now: Instant) {
        self.phase = Phase::Ivr;
        self.refer_pending = false;
        self.tell_acd(ToAcd::TalkEnded);
        self.feed(now, Input::QueueResult(QueueOutcome::AgentFinished));
    }

    /// A media event of a placed leg: an agent's phone gone silent ends
    /// the conversation.
    pub(super) fn placed_media(&mut self, now: Instant, leg: PlacedLeg, media: MediaInput) {
        if self.is_monitor_leg(leg) {
            self.monitor_media(media);
            return;
        }
        if let MediaInput::Dtmf(_) = media {
            // The media bridge passes it to the citizen as RFC 4733; the
            // call has nothing to decide about it. (Which key is not
            // logged: an agent may key in a citizen's number for them.)
            if self.agent.as_ref().is_some_and(|a| a.leg == leg) {
                info!(call = %self.id, "a key from the agent's leg, passed to the citizen");
            }
            return;
        }
        let MediaInput::DeadMedia { silent_for } = media else {
            return;
        };
        if self.is_consult_leg(leg) {
            info!(call = %self.id, silent_s = silent_for.as_secs(), "no RTP from the consulted party: back to the agent");
            self.consult_gone(now);
            return;
        }
        let Some(agent) = self.agent.as_ref().filter(|a| a.leg == leg) else {
            return;
        };
        info!(call = %self.id, agent = %agent.agent, silent_s = silent_for.as_secs(), "no RTP from the agent's phone: hanging the agent up");
        if agent.answered && matches!(self.phase, Phase::Talking { .. }) {
            self.drop_agent();
            self.agent_finished(now);
        }
    }

    /// A SIP event of an agent's leg.
    pub(super) fn agent_sip(&mut self, now: Instant, handle: CallHandle, event: Event) {
        if let Some(at) = self.retired.iter().position(|h| *h == handle) {
            // A leg we hung up: only its end is news, and only to forget it.
            if matches!(event, Event::CallEnded { .. }) {
                self.retired.swap_remove(at);
            }
            return;
        }
        if let Some(at) = self.ringing.iter().position(|r| r.handle == Some(handle)) {
            self.ringing_sip(at, event);
            return;
        }
        if self.agent_handle() != Some(handle) {
            return;
        }
        match event {
            Event::RemoteMediaChanged { media, .. } => {
                // The agent's phone put the citizen on hold (or resumed).
                let _ = self.hold(media.remote_direction.is_hold());
            }
            Event::ReferReceived { refer_to, .. } => self.refer(handle, &refer_to),
            Event::OutgoingFailed { status, .. } => {
                debug!(call = %self.id, status, "the agent's phone did not take the call");
            }
            Event::CallEnded { by, reason, .. } => {
                let Some(agent) = self.agent.take() else {
                    return;
                };
                self.end_bridge();
                self.retire(&agent);
                if self.phase == Phase::Consulting {
                    debug!(call = %self.id, agent = %agent.agent, "the agent hung up while consulting");
                    self.agent_left_consult(now);
                    return;
                }
                let talking = matches!(self.phase, Phase::Talking { .. });
                if agent.answered && talking {
                    debug!(call = %self.id, agent = %agent.agent, ?by, reason, "the agent hung up");
                    self.agent_finished(now);
                } else {
                    // Not answered, or answered but not connected by the ACD yet.
                    self.tell_acd(ToAcd::OfferFailed { agent: agent.agent });
                }
            }
            _ => {}
        }
    }

    /// An event of a phone still ringing: its answer makes it the call's
    /// agent (the first one; a later one waits for the ACD's DropAgent),
    /// its end is a failed offer.
    fn ringing_sip(&mut self, at: usize, event: Event) {
        match event {
            Event::OutgoingAnswered { remote_media, .. } => {
                let mut leg = self.ringing.swap_remove(at);
                leg.answered = true;
                if let Some(media) = remote_media {
                    let params = answered_leg_params(
                        &media,
                        leg.latch,
                        leg.offered.as_ref(),
                        self.config.dead_media_after,
                    );
                    self.media(LegRef::Placed(leg.leg), MediaOp::Start(params));
                }
                self.tell_acd(ToAcd::OfferAnswered {
                    agent: leg.agent.clone(),
                });
                if self.agent.is_none() {
                    self.agent = Some(leg);
                } else {
                    self.ringing.push(leg);
                }
            }
            Event::CallEnded { .. } => {
                let leg = self.ringing.swap_remove(at);
                self.retire(&leg);
                self.tell_acd(ToAcd::OfferFailed { agent: leg.agent });
            }
            Event::OutgoingFailed { status, .. } => {
                debug!(call = %self.id, agent = %self.ringing[at].agent, status, "the agent's phone did not take the call");
            }
            _ => {}
        }
    }

    /// The agent's phone asks for a blind transfer (REFER): to a queue and
    /// nothing else, never a number for the hotline to dial out to.
    fn refer(&mut self, handle: CallHandle, refer_to: &str) {
        let target = refer_to
            .trim_start_matches('<')
            .trim_start_matches("sip:")
            .split(['@', '>', ';'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let Some(agent) = self.agent.as_ref().map(|a| a.agent.clone()) else {
            return;
        };
        if !self.config.queue_names.contains(&target) {
            warn!(call = %self.id, %agent, target, "the agent's phone asks for a transfer to something that is not a queue: refused");
            self.sip(Command::NotifyRefer(handle, "603 Declined", true));
            self.refuse_dial(target, "transfer", "not_a_queue");
            return;
        }
        if !matches!(self.phase, Phase::Talking { .. }) {
            self.sip(Command::NotifyRefer(handle, "603 Declined", true));
            return;
        }
        // RFC 3515: the phone hears at once that the transfer is under way,
        // and how it ended before its leg is hung up.
        self.sip(Command::NotifyRefer(handle, "100 Trying", false));
        self.refer_pending = true;
        info!(call = %self.id, %agent, target, "the agent's phone asks for a transfer");
        self.tell_acd(ToAcd::TransferFromPhone {
            agent,
            queue: target.as_str().into(),
        });
    }
}
