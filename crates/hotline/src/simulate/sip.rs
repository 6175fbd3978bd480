//! The simulator's SIP side: one hotline-sip [`Endpoint`] on its own port,
//! driven by the same tokio transport as the hotline, and a dispatcher task
//! that hands each event to the task it concerns: a simulated caller (its
//! outgoing call) or a simulated agent (calls to its phone, its
//! registration).
//!
//! Calls are placed through the dispatcher, which learns the new handle
//! before it reads the next SIP event, so no response can reach the
//! dispatcher before it knows whose call it is.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use hotline_sip::transport::{self, Command, EventRoute, SipHandle, TransportConfig};
use hotline_sip::{
    CallHandle, Endpoint, EndpointConfig, Event, OutgoingCall, Peer, Registration, RegistrationId,
    Transport,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Where a task's SIP events go.
pub type Events = mpsc::UnboundedSender<Event>;

enum Request {
    Place {
        outgoing: Box<OutgoingCall>,
        events: Events,
        reply: oneshot::Sender<Option<CallHandle>>,
    },
    Register {
        registration: Box<Registration>,
        events: Events,
        reply: oneshot::Sender<Option<RegistrationId>>,
    },
    /// Calls to this user (an agent's phone) go to `events`.
    Phone { user: String, events: Events },
}

/// A cloneable handle on the simulator's SIP side.
#[derive(Debug, Clone)]
pub struct SipSide {
    handle: SipHandle,
    requests: mpsc::UnboundedSender<Request>,
    /// Our SIP address (in Via, Contact and the registrations).
    pub local: SocketAddr,
    /// The hotline.
    pub hotline: Peer,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Place { .. } => f.write_str("Place"),
            Request::Register { .. } => f.write_str("Register"),
            Request::Phone { user, .. } => write!(f, "Phone({user})"),
        }
    }
}

/// A port free for both UDP and TCP on `ip` right now.
fn free_port(ip: IpAddr) -> anyhow::Result<u16> {
    for _ in 0..100 {
        let udp = std::net::UdpSocket::bind((ip, 0)).context("binding a UDP port for SIP")?;
        let port = udp.local_addr()?.port();
        if std::net::TcpListener::bind((ip, port)).is_ok() {
            return Ok(port);
        }
    }
    anyhow::bail!("no port free for both UDP and TCP on {ip}")
}

impl SipSide {
    /// Starts an endpoint on `ip` (a free port) that answers calls for
    /// `phone_users` and trusts the hotline at `hotline` (no per-source
    /// limits on it: under load it is our only peer).
    pub async fn start(
        ip: IpAddr,
        hotline: SocketAddr,
        phone_users: Vec<String>,
    ) -> anyhow::Result<(Self, JoinSet<()>)> {
        let local = SocketAddr::new(ip, free_port(ip)?);
        let config = EndpointConfig {
            advertised: local,
            numbers: phone_users,
            trusted_sources: vec![hotline.ip()],
            // Callers give up on their own (patience); this only ends calls
            // the hotline never answers.
            ring_timeout: Duration::from_secs(60),
            ..EndpointConfig::default()
        };
        let endpoint = Endpoint::new(config, rand::random(), std::time::Instant::now());
        let transport_config = TransportConfig {
            listen: vec![local],
            udp_readers: 1,
            ..TransportConfig::default()
        };
        let (handle, events, mut tasks) = transport::start(transport_config, endpoint)
            .await
            .with_context(|| format!("starting the simulator's SIP endpoint on {local}"))?;
        let (requests, requests_rx) = mpsc::unbounded_channel();
        tasks.spawn(dispatch(handle.clone(), events, requests_rx));
        let hotline = Peer {
            transport: Transport::Udp,
            addr: hotline,
            connection: None,
        };
        Ok((
            Self {
                handle,
                requests,
                local,
                hotline,
            },
            tasks,
        ))
    }

    /// Places a call; its events go to `events`. `None` if the SIP side stopped.
    pub async fn place(&self, outgoing: OutgoingCall, events: Events) -> Option<CallHandle> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Place {
                outgoing: Box::new(outgoing),
                events,
                reply,
            })
            .ok()?;
        answer.await.ok().flatten()
    }

    /// Starts a registration; its events go to `events`.
    pub async fn register(
        &self,
        registration: Registration,
        events: Events,
    ) -> Option<RegistrationId> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Register {
                registration: Box::new(registration),
                events,
                reply,
            })
            .ok()?;
        answer.await.ok().flatten()
    }

    /// Routes calls for `user` (an agent's phone) to `events`.
    pub fn phone(&self, user: &str, events: Events) {
        let _ = self.requests.send(Request::Phone {
            user: user.to_owned(),
            events,
        });
    }

    /// A command for the endpoint (answer, hang up, ...).
    pub fn send(&self, command: Command) {
        let _ = self.handle.send(command);
    }
}

async fn dispatch(
    sip: SipHandle,
    mut events: mpsc::UnboundedReceiver<Event>,
    mut requests: mpsc::UnboundedReceiver<Request>,
) {
    let mut calls: HashMap<CallHandle, Events> = HashMap::new();
    let mut registrations: HashMap<RegistrationId, Events> = HashMap::new();
    let mut phones: HashMap<String, Events> = HashMap::new();
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                Some(Request::Place { outgoing, events, reply }) => {
                    // The SIP layer hands the call's events to its owner.
                    let route = EventRoute::new(move |event| {
                        let _ = events.send(event);
                    });
                    let _ = reply.send(sip.place(*outgoing, route).await.ok());
                }
                Some(Request::Register { registration, events, reply }) => {
                    let id = sip.register(*registration).await.ok();
                    if let Some(id) = id {
                        registrations.insert(id, events);
                    }
                    let _ = reply.send(id);
                }
                Some(Request::Phone { user, events }) => {
                    phones.insert(user, events);
                }
                None => return,
            },
            event = events.recv() => {
                let Some(event) = event else { return };
                route(&sip, &mut calls, &mut registrations, &phones, event);
            }
        }
    }
}

fn route(
    sip: &SipHandle,
    calls: &mut HashMap<CallHandle, Events>,
    registrations: &mut HashMap<RegistrationId, Events>,
    phones: &HashMap<String, Events>,
    event: Event,
) {
    match &event {
        Event::IncomingCall { call, called, .. } => match phones.get(called) {
            Some(phone) => {
                calls.insert(*call, phone.clone());
                let _ = phone.send(event);
            }
            None => {
                let _ = sip.send(Command::Reject(*call, 404));
            }
        },
        Event::ClientRegistered { registration, .. }
        | Event::ClientRegistrationFailed { registration, .. } => {
            if let Some(owner) = registrations.get(registration) {
                let _ = owner.send(event);
            }
        }
        Event::ClientUnregistered { registration } => {
            if let Some(owner) = registrations.remove(registration) {
                let _ = owner.send(event);
            }
        }
        _ => {
            let Some(handle) = event.call() else {
                return;
            };
            let ended = matches!(event, Event::CallEnded { .. });
            if let Some(owner) = calls.get(&handle) {
                let _ = owner.send(event);
            }
            if ended {
                calls.remove(&handle);
            }
        }
    }
}
