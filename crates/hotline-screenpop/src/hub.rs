//! The open WebSockets of this node, by agent and for supervisors (with
//! what each supervisor may see), and the push of one already-encoded event
//! to them.
//!
//! Each socket has a small bounded queue; a socket whose queue is full (a
//! client that stopped reading) is dropped rather than allowed to grow
//! memory or slow the push for everyone else. Dropping the sender ends the
//! socket's task, which closes the WebSocket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use axum::extract::ws::Utf8Bytes;
use hotline_types::AgentId;
use tokio::sync::mpsc;

use crate::scope::Scope;

/// Events queued per socket before it counts as stuck.
const SOCKET_QUEUE: usize = 64;

#[derive(Debug)]
struct Socket {
    id: u64,
    session_id: String,
    tx: mpsc::Sender<Utf8Bytes>,
}

#[derive(Debug, Default)]
struct Sockets {
    next_id: u64,
    agents: HashMap<AgentId, Vec<Socket>>,
    supervisors: Vec<Socket>,
    /// What each supervisor socket (by id) may see.
    supervisor_scopes: HashMap<u64, Scope>,
}

/// Who a socket belongs to.
#[derive(Debug, Clone)]
pub(crate) enum Audience {
    Agent(AgentId),
    /// A supervisor's or admin's socket, and what they may see.
    Supervisors(Scope),
}

/// The registry of open sockets.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    sockets: Mutex<Sockets>,
    agent_sockets: AtomicUsize,
}

/// Hands `payload` to one socket; false when the socket must go (stuck:
/// its queue is full; or closed).
fn deliver(socket: &Socket, payload: &Utf8Bytes) -> bool {
    match socket.tx.try_send(payload.clone()) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!(
                socket = socket.id,
                "console socket stopped reading; closing it"
            );
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

/// Sends to every socket in `list`, dropping stuck or closed ones; returns
/// how many took the event.
fn send_all(list: &mut Vec<Socket>, payload: &Utf8Bytes) -> usize {
    list.retain(|s| deliver(s, payload));
    list.len()
}

/// Drops the scopes of supervisor sockets that are gone.
fn forget_closed_scopes(sockets: &mut Sockets) {
    let Sockets {
        supervisors,
        supervisor_scopes,
        ..
    } = sockets;
    if supervisor_scopes.len() != supervisors.len() {
        supervisor_scopes.retain(|id, _| supervisors.iter().any(|s| s.id == *id));
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Sockets> {
        self.sockets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn recount(&self, sockets: &Sockets) {
        let n = sockets.agents.values().map(Vec::len).sum();
        self.agent_sockets.store(n, Ordering::Relaxed);
    }

    /// Registers a socket; events for its audience arrive on the receiver.
    pub(crate) fn register(
        &self,
        audience: &Audience,
        session_id: &str,
    ) -> (u64, mpsc::Receiver<Utf8Bytes>) {
        let (tx, rx) = mpsc::channel(SOCKET_QUEUE);
        let mut sockets = self.lock();
        sockets.next_id += 1;
        let socket = Socket {
            id: sockets.next_id,
            session_id: session_id.to_owned(),
            tx,
        };
        let id = socket.id;
        match audience {
            Audience::Agent(agent) => sockets
                .agents
                .entry(agent.clone())
                .or_default()
                .push(socket),
            Audience::Supervisors(scope) => {
                sockets.supervisor_scopes.insert(id, scope.clone());
                sockets.supervisors.push(socket);
            }
        }
        self.recount(&sockets);
        (id, rx)
    }

    /// Forgets a socket (its task ended).
    pub(crate) fn unregister(&self, audience: &Audience, id: u64) {
        let mut sockets = self.lock();
        match audience {
            Audience::Agent(agent) => {
                if let Some(list) = sockets.agents.get_mut(agent) {
                    list.retain(|s| s.id != id);
                    if list.is_empty() {
                        sockets.agents.remove(agent);
                    }
                }
            }
            Audience::Supervisors(_) => {
                sockets.supervisors.retain(|s| s.id != id);
                sockets.supervisor_scopes.remove(&id);
            }
        }
        self.recount(&sockets);
    }

    /// Closes every socket opened under a session (logout).
    pub(crate) fn close_session(&self, session_id: &str) {
        let mut sockets = self.lock();
        for list in sockets.agents.values_mut() {
            list.retain(|s| s.session_id != session_id);
        }
        sockets.agents.retain(|_, l| !l.is_empty());
        sockets.supervisors.retain(|s| s.session_id != session_id);
        forget_closed_scopes(&mut sockets);
        self.recount(&sockets);
    }

    /// Hands an encoded event to every socket of one agent; returns how
    /// many took it.
    /// Sends to one of an agent's sockets; false if it is not open (or
    /// was stuck, and is dropped now).
    pub(crate) fn send_socket(&self, agent: &AgentId, socket: u64, payload: &Utf8Bytes) -> bool {
        let mut sockets = self.lock();
        let Some(list) = sockets.agents.get_mut(agent) else {
            return false;
        };
        let Some(at) = list.iter().position(|s| s.id == socket) else {
            return false;
        };
        if deliver(&list[at], payload) {
            return true;
        }
        list.remove(at);
        if list.is_empty() {
            sockets.agents.remove(agent);
        }
        self.recount(&sockets);
        false
    }

    pub(crate) fn send_agent(&self, agent: &AgentId, payload: &Utf8Bytes) -> usize {
        let mut sockets = self.lock();
        let Some(list) = sockets.agents.get_mut(agent) else {
            return 0;
        };
        let before = list.len();
        let delivered = send_all(list, payload);
        if list.is_empty() {
            sockets.agents.remove(agent);
        }
        if before != delivered {
            self.recount(&sockets);
        }
        delivered
    }

    /// Hands an encoded event to every supervisor/admin socket.
    pub(crate) fn send_supervisors(&self, payload: &Utf8Bytes) -> usize {
        let mut sockets = self.lock();
        let delivered = send_all(&mut sockets.supervisors, payload);
        forget_closed_scopes(&mut sockets);
        delivered
    }

    /// The distinct scopes of the open supervisor sockets (empty: nobody
    /// is watching).
    pub(crate) fn supervisor_scopes(&self) -> Vec<Scope> {
        let sockets = self.lock();
        let mut scopes: Vec<Scope> = Vec::new();
        for scope in sockets.supervisor_scopes.values() {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        scopes
    }

    /// Hands each supervisor socket the payload made for its scope (none
    /// if there is none for it); returns how many took one.
    pub(crate) fn send_supervisors_scoped(&self, payloads: &HashMap<Scope, Utf8Bytes>) -> usize {
        let mut sockets = self.lock();
        let Sockets {
            supervisors,
            supervisor_scopes,
            ..
        } = &mut *sockets;
        let mut delivered = 0;
        supervisors.retain(|s| {
            match supervisor_scopes.get(&s.id).and_then(|sc| payloads.get(sc)) {
                Some(payload) => {
                    let kept = deliver(s, payload);
                    delivered += usize::from(kept);
                    kept
                }
                None => true,
            }
        });
        forget_closed_scopes(&mut sockets);
        delivered
    }

    /// Open supervisor sockets.
    pub(crate) fn supervisor_sockets(&self) -> usize {
        self.lock().supervisors.len()
    }

    /// Open agent sockets.
    pub(crate) fn agent_sockets(&self) -> usize {
        self.agent_sockets.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_socket_that_stops_reading_is_dropped_and_others_still_get_events() {
        let hub = Hub::default();
        let agent = Audience::Agent(AgentId::from("agent1"));
        let (_stuck_id, _stuck_rx) = hub.register(&agent, "s1");
        let (_id, mut rx) = hub.register(&agent, "s2");
        assert_eq!(hub.agent_sockets(), 2);
        let payload = Utf8Bytes::from_static("{}");
        for _ in 0..SOCKET_QUEUE {
            assert_eq!(hub.send_agent(&"agent1".into(), &payload), 2);
            assert!(rx.recv().await.is_some());
        }
        assert_eq!(hub.send_agent(&"agent1".into(), &payload), 1);
        assert_eq!(hub.agent_sockets(), 1);
        assert!(rx.recv().await.is_some());
    }

    #[test]
    fn logout_closes_the_sessions_sockets() {
        let hub = Hub::default();
        let (_a, mut rx) = hub.register(&Audience::Agent("agent1".into()), "s1");
        let (_b, _rx2) = hub.register(&Audience::Supervisors(Scope::All), "s2");
        hub.close_session("s1");
        assert_eq!(hub.agent_sockets(), 0);
        assert!(rx.try_recv().is_err());
        assert_eq!(hub.send_supervisors(&Utf8Bytes::from_static("{}")), 1);
    }

    #[test]
    fn each_supervisor_gets_the_payload_of_their_scope() {
        let hub = Hub::default();
        let housing = Scope::Departments(vec!["housing".into()]);
        let (_a, mut all_rx) = hub.register(&Audience::Supervisors(Scope::All), "s1");
        let (_b, mut housing_rx) = hub.register(&Audience::Supervisors(housing.clone()), "s2");
        let (_c, mut housing_rx2) = hub.register(&Audience::Supervisors(housing.clone()), "s3");
        let mut scopes = hub.supervisor_scopes();
        scopes.sort_by_key(|s| format!("{s:?}"));
        assert_eq!(scopes, vec![Scope::All, housing.clone()]);
        let payloads = HashMap::from([
            (Scope::All, Utf8Bytes::from_static("everything")),
            (housing, Utf8Bytes::from_static("housing only")),
        ]);
        assert_eq!(hub.send_supervisors_scoped(&payloads), 3);
        assert_eq!(all_rx.try_recv().unwrap(), "everything");
        assert_eq!(housing_rx.try_recv().unwrap(), "housing only");
        assert_eq!(housing_rx2.try_recv().unwrap(), "housing only");
        hub.close_session("s1");
        assert_eq!(hub.supervisor_scopes().len(), 1);
        assert_eq!(hub.supervisor_sockets(), 2);
    }
}
