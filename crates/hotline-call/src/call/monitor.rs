//! A supervisor joins a conversation from the wallboard: their phone is
//! called, and once it answers the media engine mixes them into the
//! citizen–agent bridge to listen in, whisper to the agent (the citizen
//! never hears them) or barge in. The mode can change while they are on;
//! the supervisor hanging up, or asking to stop, leaves the bridge as it
//! was. Monitoring lasts as long as the conversation's bridge: a
//! consultation, a transfer or the end of the conversation ends it.

use hotline_media::{LatchPolicy, MonitorMode};
use hotline_sip::registrar::Binding;
use hotline_sip::transport::Command;
use hotline_sip::{CallHandle, Event, Peer};
use hotline_types::CallEvent;
use tracing::info;

use super::{
    BridgeOp, Call, LegRef, MediaInput, MediaOp, MonitorLeg, Output, Phase, PlaceRequest,
    PlacedLeg, Placement, Refusal,
};
use crate::media::answered_leg_params;

impl Call {
    /// The supervisor `supervisor` asks to join the conversation in `mode`
    /// through their phone at `binding`; asked again, the mode changes.
    pub fn monitor(
        &mut self,
        supervisor: &str,
        binding: &Binding,
        mode: MonitorMode,
    ) -> Result<(), Refusal> {
        if let Some(monitor) = self.monitor.as_mut() {
            if monitor.supervisor != supervisor {
                return Err(Refusal::AlreadyMonitored);
            }
            if monitor.mode != mode {
                monitor.mode = mode;
                if monitor.answered {
                    let supervisor = monitor.supervisor.clone();
                    self.outputs
                        .push_back(Output::Bridge(BridgeOp::MonitorMode(mode)));
                    self.emit(CallEvent::MonitorStarted {
                        supervisor,
                        mode: mode.as_str().into(),
                    });
                }
            }
            return Ok(());
        }
        if !matches!(self.phase, Phase::Talking { .. }) || !self.bridged {
            return Err(Refusal::NotConnected);
        }
        info!(call = %self.id, supervisor, mode = mode.as_str(), "calling the supervisor's phone to join the conversation");
        let (leg, latch) = self.place_phone_leg(binding);
        self.monitor = Some(MonitorLeg {
            supervisor: supervisor.to_owned(),
            leg,
            handle: None,
            latch,
            offered: None,
            answered: false,
            mode,
        });
        Ok(())
    }

    /// The supervisor asks to leave the conversation.
    pub fn end_monitor(&mut self, supervisor: &str) -> Result<(), Refusal> {
        if self
            .monitor
            .as_ref()
            .is_none_or(|m| m.supervisor != supervisor)
        {
            return Err(Refusal::NotMonitored);
        }
        self.drop_monitor();
        Ok(())
    }

    pub(super) fn is_monitor_leg(&self, leg: PlacedLeg) -> bool {
        self.monitor.as_ref().is_some_and(|m| m.leg == leg)
    }

    pub(super) fn is_monitor_handle(&self, handle: CallHandle) -> bool {
        self.monitor.as_ref().and_then(|m| m.handle) == Some(handle)
    }

    /// The driver placed the supervisor's leg (or could not).
    pub(super) fn monitor_placed(&mut self, placed: Option<Placement>) {
        match placed {
            Some(placement) => {
                if let Some(monitor) = self.monitor.as_mut() {
                    monitor.handle = Some(placement.handle);
                    monitor.offered = placement.offered;
                }
            }
            None => {
                info!(call = %self.id, "the supervisor's phone could not be called");
                self.drop_monitor();
            }
        }
    }

    /// A SIP event of the supervisor's leg.
    pub(super) fn monitor_sip(&mut self, event: Event) {
        match event {
            Event::OutgoingAnswered { remote_media, .. } => {
                if !(matches!(self.phase, Phase::Talking { .. }) && self.bridged) {
                    // The conversation changed while the phone rang.
                    self.drop_monitor();
                    return;
                }
                let Some(monitor) = self.monitor.as_mut() else {
                    return;
                };
                monitor.answered = true;
                let (leg, latch, offered, mode) = (
                    monitor.leg,
                    monitor.latch,
                    monitor.offered.clone(),
                    monitor.mode,
                );
                let supervisor = monitor.supervisor.clone();
                if let Some(media) = remote_media {
                    let params = answered_leg_params(
                        &media,
                        latch,
                        offered.as_ref(),
                        self.config.dead_media_after,
                    );
                    self.media(LegRef::Placed(leg), MediaOp::Start(params));
                }
                self.outputs.push_back(Output::Bridge(BridgeOp::Monitor {
                    supervisor: LegRef::Placed(leg),
                    mode,
                }));
                self.emit(CallEvent::MonitorStarted {
                    supervisor,
                    mode: mode.as_str().into(),
                });
            }
            Event::CallEnded { reason, .. } => {
                if let Some(monitor) = self.monitor.take() {
                    info!(call = %self.id, supervisor = monitor.supervisor, reason, "the supervisor left the conversation");
                    self.close_monitor_leg(monitor);
                }
            }
            _ => {}
        }
    }

    /// No RTP from the supervisor's phone: they are hung up.
    pub(super) fn monitor_media(&mut self, media: MediaInput) {
        if matches!(media, MediaInput::DeadMedia { .. }) {
            info!(call = %self.id, "no RTP from the supervisor's phone: hanging it up");
            self.drop_monitor();
        }
    }

    /// Hangs up (or cancels) the supervisor's leg, if any, and takes them
    /// out of the bridge.
    pub(super) fn drop_monitor(&mut self) {
        let Some(monitor) = self.monitor.take() else {
            return;
        };
        match monitor.handle {
            Some(handle) => {
                self.sip(Command::Hangup(handle));
                self.retired.push(handle);
            }
            None => self.abandoned.push(monitor.leg),
        }
        self.close_monitor_leg(monitor);
    }

    fn close_monitor_leg(&mut self, monitor: MonitorLeg) {
        if monitor.answered {
            self.outputs.push_back(Output::Bridge(BridgeOp::MonitorEnd));
            self.emit(CallEvent::MonitorEnded {
                supervisor: monitor.supervisor,
            });
        }
        self.media(LegRef::Placed(monitor.leg), MediaOp::Close { report: None });
    }

    /// Who is monitoring the conversation, and how (for the wallboard).
    pub fn monitored_by(&self) -> Option<(&str, MonitorMode)> {
        self.monitor
            .as_ref()
            .map(|m| (m.supervisor.as_str(), m.mode))
    }

    /// Calls a phone at its registered binding (an agent's or a
    /// supervisor's); it shows the citizen's number as the caller.
    pub(super) fn place_phone_leg(&mut self, binding: &Binding) -> (PlacedLeg, LatchPolicy) {
        let leg = self.new_leg();
        let latch = self
            .config
            .latch
            .policy_for(binding.source.ip(), &self.config.trusted_sources);
        self.outputs.push_back(Output::Place(PlaceRequest {
            leg,
            target: binding.contact.clone(),
            peer: Peer {
                transport: binding.transport,
                addr: binding.source,
                connection: None,
            },
            from_user: self.caller_id(),
        }));
        (leg, latch)
    }
}
