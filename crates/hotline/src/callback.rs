//! Calling a citizen back: the task that owns a callback call.
//!
//! A caller who pressed 1 while queued hung up but kept their place. When
//! their turn comes the ACD offers the entry like a call; the ACD task then
//! starts this task in place of the (ended) call task, under the original
//! call's id. It rings the agent first (the screen-pop says it is a
//! callback), and only when the agent has answered does it dial the citizen
//! through the configured trunk (`sip.outbound_uri`), so no citizen is
//! called back without a person on the line. Answered, the two legs are
//! bridged. The callback is a call of its own in the call log, linked to
//! the original one; the agent's answer, talk and wrap-up belong to the
//! original call, as the ACD decided them.

use std::sync::Arc;
use std::time::SystemTime;

use hotline_media::{Bridge, LatchPolicy, Leg, MediaEvent};
use hotline_sip::transport::Command;
use hotline_sip::{CallHandle, Event, Peer, Transport};
use hotline_types::{AgentId, CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};
use tokio::sync::mpsc;
use tracing::{info, warn};

use hotline_call::Outcome;

use crate::acd_task::{AcdInput, AcdOrder};
use crate::call::{hold_bridge, place_leg, start_answered_leg, CallContext, CallInput};
use crate::config::Outbound;
use crate::controller::call_of;

/// A callback to place: the original call, the number, and the channel the
/// ACD task already sends this call's orders to.
#[derive(Debug)]
pub struct CallbackJob {
    pub call: CallId,
    pub number: String,
    pub inputs: mpsc::UnboundedSender<CallInput>,
    pub orders: mpsc::UnboundedReceiver<CallInput>,
}

struct Side {
    handle: CallHandle,
    leg: Leg,
    /// The agent's phone: by its registered address; the trunk: its SDP.
    latch: LatchPolicy,
    /// Our SRTP key, offered to a phone registered over TLS.
    offered: Option<hotline_sip::sdp::SdesCrypto>,
    answered: bool,
}

struct Callback {
    context: Arc<CallContext>,
    outbound: Outbound,
    job_call: CallId,
    id: CallId,
    number: String,
    inputs: mpsc::UnboundedSender<CallInput>,
    agent: Option<(AgentId, Side)>,
    citizen: Option<Side>,
    /// The citizen picked up (the promise is kept).
    citizen_answered: bool,
    bridge: Option<Bridge>,
}

fn now_ts() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// Runs one callback to its end.
pub async fn run_callback(context: Arc<CallContext>, outbound: Outbound, job: CallbackJob) {
    let CallbackJob {
        call,
        number,
        inputs,
        mut orders,
    } = job;
    let mut callback = Callback {
        id: CallId::new(),
        context,
        outbound,
        job_call: call,
        number,
        inputs,
        agent: None,
        citizen: None,
        citizen_answered: false,
        bridge: None,
    };
    callback.emit_on(
        call,
        CallEvent::CallbackPlaced {
            number: callback.number.clone(),
            callback_call: callback.id,
        },
    );
    callback.emit(CallEvent::CallStarted {
        caller: callback.context.hotline_number.clone(),
        called: callback.number.clone(),
        sip_call_id: String::new(),
        node: callback.context.node.clone(),
        linked_call: Some(call),
    });
    // Like any call: a maximum length, and a line with no RTP for
    // `media.dead_media_secs` is hung up.
    let max_call = tokio::time::sleep(callback.context.max_call);
    tokio::pin!(max_call);
    let ending = loop {
        tokio::select! {
            input = orders.recv() => {
                let Some(input) = input else {
                    break (HangupSide::System, "shutdown".to_owned());
                };
                if let Some(end) = callback.handle(input).await {
                    break end;
                }
            }
            () = &mut max_call => {
                info!(call = %callback.job_call, "callback: maximum call duration reached: hanging up");
                break (HangupSide::System, "max_duration".to_owned());
            }
            Some(event) = next_media(callback.citizen.as_mut().map(|s| &mut s.leg)) => {
                if let MediaEvent::DeadMedia { silent_for } = event {
                    info!(call = %callback.job_call, silent_s = silent_for.as_secs(), "callback: no RTP from the citizen: hanging up");
                    break (HangupSide::System, "dead_media".to_owned());
                }
            }
            Some(event) = next_media(callback.agent.as_mut().map(|(_, s)| &mut s.leg)) => {
                if let MediaEvent::DeadMedia { silent_for } = event {
                    info!(call = %callback.job_call, silent_s = silent_for.as_secs(), "callback: no RTP from the agent's phone: hanging up");
                    break (HangupSide::System, "agent_dead_media".to_owned());
                }
            }
        }
    };
    if matches!(
        ending.1.as_str(),
        "max_duration" | "dead_media" | "agent_dead_media"
    ) {
        // The agent goes to wrap-up as after any conversation.
        callback.context.acd.send(AcdInput::TalkEnded {
            call: callback.job_call,
        });
    }
    let outcome = callback.outcome(&ending.1);
    callback.hang_up_all();
    callback.emit(CallEvent::Ended {
        side: ending.0,
        cause: ending.1,
    });
    callback
        .context
        .callback_list
        .outcome(callback.job_call, outcome);
    callback.context.acd.send(AcdInput::CallGone {
        call: callback.job_call,
    });
}

/// The next media event of a leg; never, without one.
async fn next_media(leg: Option<&mut Leg>) -> Option<MediaEvent> {
    match leg {
        Some(leg) => leg.next_event().await,
        None => std::future::pending().await,
    }
}

impl Callback {
    /// What the attempt came to, for the callback list: the citizen
    /// answered (and so talked with the agent who was already on the line),
    /// or why not.
    fn outcome(&self, cause: &str) -> Outcome {
        match cause {
            _ if self.citizen_answered => Outcome::Talked,
            "shutdown" => Outcome::Interrupted,
            "callback_refused" | "callback_bad_number" => Outcome::Refused,
            "callback_no_answer" => Outcome::NoAnswer,
            _ if self.citizen.is_none() && self.agent.is_none() => Outcome::Interrupted,
            _ => Outcome::Failed,
        }
    }

    fn emit_on(&self, call: CallId, event: CallEvent) {
        self.context
            .events
            .submit(CallEventRecord::new(call, now_ts(), event));
    }

    fn emit(&self, event: CallEvent) {
        self.emit_on(self.id, event);
    }

    fn hang_up_all(&mut self) {
        if let Some(bridge) = self.bridge.take() {
            let _ = bridge.end();
        }
        if let Some((_, mut side)) = self.agent.take() {
            let _ = self.context.sip.send(Command::Hangup(side.handle));
            side.leg.close();
        }
        if let Some(mut side) = self.citizen.take() {
            let _ = self.context.sip.send(Command::Hangup(side.handle));
            side.leg.close();
        }
    }

    /// The conversation is over: the agent goes to wrap-up.
    fn talk_over(&mut self, side: HangupSide, cause: &str) -> Option<(HangupSide, String)> {
        self.context.acd.send(AcdInput::TalkEnded {
            call: self.job_call,
        });
        Some((side, cause.to_owned()))
    }

    async fn handle(&mut self, input: CallInput) -> Option<(HangupSide, String)> {
        match input {
            CallInput::Acd(AcdOrder::RingAgent { agent, binding }) => {
                if self.agent.is_some() {
                    self.context.acd.send(AcdInput::OfferFailed {
                        call: self.job_call,
                        agent,
                    });
                    return None;
                }
                let peer = Peer {
                    transport: binding.transport,
                    addr: binding.source,
                    connection: None,
                };
                match place_leg(
                    &self.context,
                    &self.inputs,
                    binding.contact,
                    peer,
                    self.number.clone(),
                )
                .await
                {
                    Ok((handle, leg, offered)) => {
                        info!(call = %self.job_call, %agent, "callback: ringing the agent first");
                        self.agent = Some((
                            agent,
                            Side {
                                handle,
                                leg,
                                latch: self.context.latch_for(binding.source.ip()),
                                offered,
                                answered: false,
                            },
                        ));
                    }
                    Err(e) => {
                        warn!(call = %self.job_call, %agent, error = e, "callback: the agent's leg could not be placed");
                        self.context.acd.send(AcdInput::OfferFailed {
                            call: self.job_call,
                            agent,
                        });
                    }
                }
                None
            }
            CallInput::Acd(AcdOrder::CancelOffer { agent } | AcdOrder::DropAgent { agent }) => {
                if self.agent.as_ref().is_some_and(|(a, _)| *a == agent) {
                    if let Some((_, mut side)) = self.agent.take() {
                        let _ = self.context.sip.send(Command::Hangup(side.handle));
                        side.leg.close();
                    }
                }
                None
            }
            CallInput::Acd(AcdOrder::Connect { .. }) => self.dial_citizen().await,
            CallInput::Acd(AcdOrder::Hold { on, reply }) => {
                let result = match (&self.bridge, &self.citizen) {
                    (Some(bridge), Some(citizen)) => {
                        hold_bridge(&self.context, bridge, &citizen.leg, on)
                    }
                    _ => Err("the citizen is not on the line yet".into()),
                };
                let result = result.map(|event| self.emit(event));
                let _ = reply.send(result);
                None
            }
            CallInput::Acd(AcdOrder::HangupAgent { reply }) => {
                let _ = reply.send(Ok(()));
                self.talk_over(HangupSide::Agent, "agent_hangup")
            }
            CallInput::Acd(AcdOrder::Requeued | AcdOrder::Overflow { .. }) => {
                // A transferred or overflowing callback: the citizen is called
                // by the next agent's own callback, not kept on a line here.
                self.talk_over(HangupSide::Agent, "callback_transferred")
            }
            CallInput::Acd(AcdOrder::Announce { .. } | AcdOrder::TransferRefused) => None,
            CallInput::Sip(event) => self.sip(event),
            CallInput::Terminate => Some((HangupSide::System, "shutdown".into())),
            CallInput::TransferPlaced { .. } => None,
        }
    }

    /// The agent is on the line: now the citizen's phone rings.
    async fn dial_citizen(&mut self) -> Option<(HangupSide, String)> {
        if let Err(refusal) = self
            .context
            .dial_plan
            .permit(&self.number, crate::dialplan::today())
        {
            warn!(call = %self.job_call, number = self.number, reason = refusal.as_str(), "callback: the dial plan refuses the number");
            self.emit(CallEvent::DialRefused {
                number: self.number.clone(),
                purpose: "callback".into(),
                reason: refusal.as_str().into(),
            });
            return self.talk_over(HangupSide::System, "callback_refused");
        }
        let Some(target) = self.outbound.target(&self.number) else {
            warn!(call = %self.job_call, number = self.number, "callback: the number cannot be dialled");
            return self.talk_over(HangupSide::System, "callback_bad_number");
        };
        let peer = Peer {
            transport: if self.outbound.tcp {
                Transport::Tcp
            } else {
                Transport::Udp
            },
            addr: self.outbound.addr,
            connection: None,
        };
        let from = self.context.hotline_number.clone();
        match place_leg(&self.context, &self.inputs, target, peer, from).await {
            Ok((handle, leg, offered)) => {
                info!(call = %self.job_call, callback = %self.id, "callback: dialling the citizen");
                self.citizen = Some(Side {
                    handle,
                    leg,
                    latch: LatchPolicy::SdpAddress,
                    offered,
                    answered: false,
                });
                None
            }
            Err(e) => {
                warn!(call = %self.job_call, error = e, "callback: the citizen's leg could not be placed");
                self.talk_over(HangupSide::System, "callback_failed")
            }
        }
    }

    fn sip(&mut self, event: Event) -> Option<(HangupSide, String)> {
        let handle = call_of(&event)?;
        let is_agent = self.agent.as_ref().is_some_and(|(_, s)| s.handle == handle);
        let is_citizen = self.citizen.as_ref().is_some_and(|s| s.handle == handle);
        match event {
            Event::OutgoingAnswered { remote_media, .. } if is_agent => {
                let (agent, side) = self.agent.as_mut()?;
                side.answered = true;
                if let Some(media) = remote_media {
                    start_answered_leg(
                        &self.context,
                        &side.leg,
                        &media,
                        side.latch,
                        side.offered.as_ref(),
                    );
                }
                self.context.acd.send(AcdInput::OfferAnswered {
                    call: self.job_call,
                    agent: agent.clone(),
                });
                None
            }
            Event::OutgoingAnswered { remote_media, .. } if is_citizen => {
                self.emit(CallEvent::Answered);
                self.citizen_answered = true;
                let citizen = self.citizen.as_mut()?;
                citizen.answered = true;
                if let Some(media) = remote_media {
                    start_answered_leg(
                        &self.context,
                        &citizen.leg,
                        &media,
                        citizen.latch,
                        citizen.offered.as_ref(),
                    );
                }
                let (_, agent) = self.agent.as_ref()?;
                match self.context.media.bridge(&citizen.leg, &agent.leg) {
                    Ok(bridge) => {
                        self.bridge = Some(bridge);
                        None
                    }
                    Err(e) => {
                        warn!(call = %self.job_call, error = %e, "callback: the media bridge failed");
                        self.talk_over(HangupSide::System, "bridge_failed")
                    }
                }
            }
            Event::CallEnded { .. } if is_agent => {
                let (agent, mut side) = self.agent.take()?;
                side.leg.close();
                if side.answered {
                    self.talk_over(HangupSide::Agent, "bye")
                } else {
                    self.context.acd.send(AcdInput::OfferFailed {
                        call: self.job_call,
                        agent,
                    });
                    None
                }
            }
            Event::CallEnded { reason, .. } if is_citizen => {
                let mut side = self.citizen.take()?;
                side.leg.close();
                if side.answered {
                    self.talk_over(HangupSide::Caller, reason)
                } else {
                    info!(call = %self.job_call, reason, "callback: the citizen did not answer");
                    self.talk_over(HangupSide::System, "callback_no_answer")
                }
            }
            _ => None,
        }
    }
}
