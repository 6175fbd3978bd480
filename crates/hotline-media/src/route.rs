//! Who hears whom on a bridged call: the citizen, the agent and a
//! supervisor monitoring them, by monitor mode and hold.
//!
//! Owns the decision only ([`hears`], [`route_between`]); the leg cores
//! carry it out as one [`Route`] per peer leg (mixing what they hear), and
//! the engine recomputes the routes when a monitor starts, changes mode or
//! ends, and when the call is held. No I/O, no state.

use std::str::FromStr;

use crate::MediaError;

/// How a supervisor takes part in a bridged call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorMode {
    /// The supervisor hears the citizen and the agent; nobody hears the supervisor.
    Listen,
    /// As `Listen`, and the agent hears the supervisor too (coaching); the
    /// citizen never does.
    Whisper,
    /// A three-way call: each of the three hears the other two.
    Barge,
}

impl MonitorMode {
    /// Every mode, in the order of the wire names.
    pub const ALL: [MonitorMode; 3] = [Self::Listen, Self::Whisper, Self::Barge];

    /// The name in configuration and the console API: "listen", "whisper", "barge".
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Listen => "listen",
            Self::Whisper => "whisper",
            Self::Barge => "barge",
        }
    }
}

impl std::fmt::Display for MonitorMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MonitorMode {
    type Err = MediaError;

    /// The names of [`MonitorMode::as_str`], exactly (lower case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.as_str() == s)
            .ok_or_else(|| MediaError::UnknownMonitorMode { mode: s.to_owned() })
    }
}

/// A leg's part in a bridged call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// The bridge's first leg (`MediaEngine::bridge(citizen, agent)`).
    Citizen,
    /// The bridge's second leg.
    Agent,
    /// The leg of a supervisor monitoring the bridge.
    Supervisor,
}

/// Whether `listener` hears `talker`, with the bridge monitored in `mode`
/// (`None`: no monitor) and the citizen `held` or not.
///
/// Hold takes the citizen out of the call both ways (the citizen hears
/// only the music); the agent and the supervisor keep hearing each other
/// as the mode says, so a supervisor can coach the agent while the citizen
/// waits. Nobody ever hears themselves.
pub fn hears(mode: Option<MonitorMode>, held: bool, listener: Party, talker: Party) -> bool {
    use Party::{Agent, Citizen, Supervisor};
    if listener == talker || (held && (listener == Citizen || talker == Citizen)) {
        return false;
    }
    match (listener, talker) {
        (Citizen, Agent) | (Agent, Citizen) => true,
        (Supervisor, _) => mode.is_some(),
        (Agent, Supervisor) => matches!(mode, Some(MonitorMode::Whisper | MonitorMode::Barge)),
        (Citizen, Supervisor) => mode == Some(MonitorMode::Barge),
        // Listener and talker are equal: answered above.
        (Citizen, Citizen) | (Agent, Agent) => false,
    }
}

/// What flows between a leg and one peer leg, as the leg core applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Route {
    /// The peer's audio is mixed into what this leg sends.
    pub hear: bool,
    /// This leg's received audio goes to the peer.
    pub speak: bool,
    /// Keys cross the link (as far as `hear` and `speak` let audio): only
    /// between the two legs of a bridge, so a supervisor's keys never
    /// reach the call and the call's keys never reach the supervisor.
    pub keys: bool,
}

impl Route {
    /// Both ways, keys included: a plain two-leg bridge.
    pub const BRIDGE: Route = Route {
        hear: true,
        speak: true,
        keys: true,
    };
}

/// The route from `me` to `peer` on a bridge monitored in `mode` (`None`
/// for the bridge's own link before any monitor), held or not.
pub fn route_between(mode: Option<MonitorMode>, held: bool, me: Party, peer: Party) -> Route {
    Route {
        hear: hears(mode, held, me, peer),
        speak: hears(mode, held, peer, me),
        keys: me != Party::Supervisor && peer != Party::Supervisor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Party::{Agent, Citizen, Supervisor};

    /// Who each listener hears, for every mode and hold.
    #[test]
    fn who_hears_whom() {
        use MonitorMode::{Barge, Listen, Whisper};
        let table: [(Option<MonitorMode>, bool, Party, &[Party]); 16] = [
            (None, false, Citizen, &[Agent]),
            (None, false, Agent, &[Citizen]),
            (None, true, Citizen, &[]),
            (None, true, Agent, &[]),
            (Some(Listen), false, Citizen, &[Agent]),
            (Some(Listen), false, Agent, &[Citizen]),
            (Some(Listen), false, Supervisor, &[Citizen, Agent]),
            (Some(Whisper), false, Citizen, &[Agent]),
            (Some(Whisper), false, Agent, &[Citizen, Supervisor]),
            (Some(Whisper), false, Supervisor, &[Citizen, Agent]),
            (Some(Barge), false, Citizen, &[Agent, Supervisor]),
            (Some(Barge), false, Agent, &[Citizen, Supervisor]),
            (Some(Barge), false, Supervisor, &[Citizen, Agent]),
            (Some(Listen), true, Supervisor, &[Agent]),
            (Some(Whisper), true, Agent, &[Supervisor]),
            (Some(Barge), true, Citizen, &[]),
        ];
        for (mode, held, listener, heard) in table {
            for talker in [Citizen, Agent, Supervisor] {
                assert_eq!(
                    hears(mode, held, listener, talker),
                    heard.contains(&talker),
                    "{mode:?} held={held}: {listener:?} hearing {talker:?}"
                );
            }
        }
    }

    #[test]
    fn the_citizen_hears_the_supervisor_only_in_barge() {
        for mode in MonitorMode::ALL {
            for held in [false, true] {
                assert_eq!(
                    hears(Some(mode), held, Citizen, Supervisor),
                    mode == MonitorMode::Barge && !held
                );
            }
        }
    }

    #[test]
    fn keys_cross_only_between_citizen_and_agent() {
        let mode = Some(MonitorMode::Barge);
        assert!(route_between(mode, false, Citizen, Agent).keys);
        assert!(route_between(None, false, Agent, Citizen).keys);
        assert!(!route_between(mode, false, Citizen, Supervisor).keys);
        assert!(!route_between(mode, false, Supervisor, Agent).keys);
    }

    #[test]
    fn mode_names_round_trip() {
        for mode in MonitorMode::ALL {
            assert_eq!(mode.as_str().parse::<MonitorMode>().unwrap(), mode);
            assert_eq!(mode.to_string(), mode.as_str());
        }
        for bad in ["", "Listen", "barge-in", "spy"] {
            let error = bad.parse::<MonitorMode>().unwrap_err();
            assert!(
                matches!(&error, MediaError::UnknownMonitorMode { mode } if mode == bad),
                "{error}"
            );
        }
    }
}
