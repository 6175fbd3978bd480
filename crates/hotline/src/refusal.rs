//! The console's typed refusals ([`Refused`]) from the call core's
//! [`Refusal`] and the ACD's [`AcdError`]: the one place where the
//! binary, which knows all three crates, says which is which.

use hotline_acd::AcdError;
use hotline_call::call::Refusal;
use hotline_screenpop::Refused;

/// A refusal of the call core.
pub fn of_call(refusal: Refusal) -> Refused {
    match refusal {
        Refusal::NotConnected => Refused::NotConnected,
        Refusal::NoAgentLeg => Refused::NoAgentLeg,
        Refusal::AlreadyMonitored => Refused::AlreadyMonitored,
        Refusal::NotMonitored => Refused::NotMonitored,
        Refusal::NotSupported => Refused::NotSupported,
    }
}

/// A refusal of the ACD, as the agent or supervisor who asked meets it.
pub fn of_acd(error: AcdError) -> Refused {
    match error {
        AcdError::UnknownQueue(queue) => Refused::UnknownQueue {
            queue: queue.to_string(),
        },
        AcdError::UnknownAgent(agent) => Refused::UnknownAgent {
            agent: agent.to_string(),
        },
        AcdError::UnknownCall(_) | AcdError::StaleOffer { .. } => Refused::CallEnded,
        AcdError::InvalidState { state, wanted, .. } => Refused::AgentState {
            state: state.to_owned(),
            wanted: wanted.to_owned(),
        },
        AcdError::InvalidCallState { state, wanted, .. } => Refused::CallState {
            state: state.to_owned(),
            wanted: wanted.to_owned(),
        },
        AcdError::NoAgentAvailable(queue) => Refused::NoAgentAvailable {
            queue: queue.to_string(),
        },
        AcdError::AlreadyQueued { queue, .. } => Refused::AlreadyQueued {
            queue: queue.to_string(),
        },
        AcdError::NotOnThisCall { state, .. } => Refused::NotOnThisCall {
            state: state.to_owned(),
        },
        AcdError::Consulted { .. } => Refused::Consulted,
        other => Refused::Other {
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use hotline_types::{AgentId, CallId, QueueId};

    use super::*;

    #[test]
    fn each_acd_error_keeps_what_the_user_needs() {
        assert_eq!(
            of_acd(AcdError::InvalidState {
                agent: AgentId::from("a"),
                state: "wrap_up",
                wanted: "available",
            }),
            Refused::AgentState {
                state: "wrap_up".into(),
                wanted: "available".into()
            }
        );
        assert_eq!(
            of_acd(AcdError::NoAgentAvailable(QueueId::from("housing"))),
            Refused::NoAgentAvailable {
                queue: "housing".into()
            }
        );
        assert_eq!(
            of_acd(AcdError::UnknownCall(CallId::new())),
            Refused::CallEnded
        );
        assert!(matches!(
            of_acd(AcdError::InvalidConfig {
                queue: QueueId::from("q"),
                problem: "x".into()
            }),
            Refused::Other { message } if message.contains('x')
        ));
        assert_eq!(
            of_acd(AcdError::Consulted {
                agent: AgentId::from("b"),
                call: CallId::new()
            }),
            Refused::Consulted
        );
        assert_eq!(
            of_call(Refusal::AlreadyMonitored),
            Refused::AlreadyMonitored
        );
    }
}
