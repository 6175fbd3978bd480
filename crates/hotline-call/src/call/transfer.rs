//! The IVR's transfer to a named destination from the configuration (never
//! a number the caller typed): a leg placed there and bridged; the call
//! ends when either side hangs up.

use hotline_media::LatchPolicy;
use hotline_sip::{Event, Peer, Transport};
use tracing::{info, warn};

use super::{
    BridgeOp, Call, ExternalLeg, LegRef, MediaOp, Output, Phase, PlaceRequest, PlacedLeg, Placement,
};
use crate::media::answered_leg_params;

impl Call {
    pub(super) fn start_transfer(&mut self, name: String) {
        let Some(leg) = self.place_destination_leg(&name) else {
            warn!(call = %self.id, destination = name, "the IVR names a destination the configuration does not have: ending the call");
            self.hang_up();
            return;
        };
        self.external = Some(ExternalLeg {
            name,
            leg,
            handle: None,
            answered: false,
        });
        self.phase = Phase::Transferred;
    }

    /// Asks the driver to call a configured destination; `None` if the
    /// configuration has no destination of that name.
    pub(super) fn place_destination_leg(&mut self, name: &str) -> Option<PlacedLeg> {
        let destination = self.config.destinations.get(name).cloned()?;
        let leg = self.new_leg();
        self.outputs.push_back(Output::Place(PlaceRequest {
            leg,
            target: destination.uri,
            peer: Peer {
                transport: if destination.tcp {
                    Transport::Tcp
                } else {
                    Transport::Udp
                },
                addr: destination.addr,
                connection: None,
            },
            from_user: self.caller_id(),
        }));
        Some(leg)
    }

    pub(super) fn external_placed(&mut self, placed: Option<Placement>) {
        match (placed, self.external.as_mut()) {
            (Some(placement), Some(external)) => {
                info!(call = %self.id, destination = external.name, "transferring to a configured destination");
                external.handle = Some(placement.handle);
            }
            (None, Some(external)) => {
                warn!(call = %self.id, destination = external.name, "the transfer could not be placed");
                let leg = external.leg;
                self.external = None;
                self.media(LegRef::Placed(leg), MediaOp::Close { report: None });
                self.hang_up();
            }
            (_, None) => {}
        }
    }

    /// A SIP event of the transfer's leg.
    pub(super) fn external_sip(&mut self, event: Event) {
        let Some(external) = self.external.as_mut() else {
            return;
        };
        match event {
            Event::OutgoingAnswered { remote_media, .. } => {
                external.answered = true;
                let leg = external.leg;
                if let Some(media) = remote_media {
                    // A destination in the configuration: its SDP is trusted.
                    let params = answered_leg_params(
                        &media,
                        LatchPolicy::SdpAddress,
                        None,
                        self.config.dead_media_after,
                    );
                    self.media(LegRef::Placed(leg), MediaOp::Start(params));
                }
                self.media(LegRef::Caller, MediaOp::StopPlayback);
                self.outputs.push_back(Output::Bridge(BridgeOp::Connect(
                    LegRef::Caller,
                    LegRef::Placed(leg),
                )));
                self.bridged = true;
            }
            Event::CallEnded { reason, .. } => {
                info!(call = %self.id, destination = external.name, answered = external.answered, reason, "the transferred leg ended");
                let leg = external.leg;
                self.external = None;
                self.end_bridge();
                self.media(LegRef::Placed(leg), MediaOp::Close { report: None });
                self.hang_up();
            }
            _ => {}
        }
    }
}
