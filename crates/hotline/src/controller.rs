//! The call controller: one tokio task owns one call.
//!
//! A dispatcher reads the SIP layer's events and routes each to the task of
//! its call (by [`CallHandle`]); call tasks answer, drive the call and emit
//! [`CallEvent`]s. Registrations are saved so a restart keeps phones bound,
//! and authentication failures are logged in a form fail2ban can match.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hotline_sip::registrar::Binding;
use hotline_sip::transport::{Command, SipHandle};
use hotline_sip::{
    CallHandle, Direction, EndedBy, Event, LocalMedia, NegotiatedMedia, Peer, Transport,
};
use hotline_types::{CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::events::EventSink;

/// Reserves RTP ports (even, with the odd one above for RTCP) from the range.
#[derive(Debug)]
pub struct PortPool {
    ip: IpAddr,
    range: RangeInclusive<u16>,
    cursor: AtomicU32,
}

/// A reserved RTP port: the socket is held so no one else takes the port,
/// and is what the media engine will receive on.
#[derive(Debug)]
pub struct RtpPort {
    /// Held so the port stays ours; the media engine will receive on it.
    #[allow(dead_code)]
    pub socket: UdpSocket,
    pub addr: SocketAddr,
}

impl PortPool {
    pub fn new(ip: IpAddr, range: RangeInclusive<u16>) -> Self {
        Self {
            ip,
            range,
            cursor: AtomicU32::new(0),
        }
    }

    /// The next free even port, or `None` if the whole range is in use.
    pub fn reserve(&self) -> Option<RtpPort> {
        let start = u32::from(*self.range.start() + (*self.range.start() % 2));
        let span = (u32::from(*self.range.end()) + 1).saturating_sub(start) / 2;
        if span == 0 {
            return None;
        }
        for _ in 0..span {
            let slot = self.cursor.fetch_add(1, Ordering::Relaxed) % span;
            let port = u16::try_from(start + slot * 2).ok()?;
            if let Ok(socket) = UdpSocket::bind((self.ip, port)) {
                let addr = socket.local_addr().ok()?;
                return Some(RtpPort { socket, addr });
            }
        }
        None
    }
}

/// What every call task shares.
#[derive(Debug)]
pub struct CallContext {
    pub sip: SipHandle,
    pub events: EventSink,
    pub ports: PortPool,
    pub max_call: Duration,
    pub answer_after: Duration,
    pub node: Option<String>,
}

/// What the dispatcher tells a call task.
#[derive(Debug)]
enum CallInput {
    Sip(Event),
    /// Shutdown drain expired: end the call now.
    Terminate,
}

/// Commands to the dispatcher from outside (shutdown).
#[derive(Debug)]
pub enum ControlCommand {
    HangupAll,
}

/// Runs the dispatcher until the SIP layer's event stream ends.
pub async fn run_dispatcher(
    context: Arc<CallContext>,
    mut sip_events: mpsc::UnboundedReceiver<Event>,
    mut control: mpsc::UnboundedReceiver<ControlCommand>,
    bindings_file: PathBuf,
) {
    let mut calls: HashMap<CallHandle, mpsc::UnboundedSender<CallInput>> = HashMap::new();
    loop {
        let event = tokio::select! {
            event = sip_events.recv() => match event {
                Some(event) => event,
                None => return,
            },
            Some(command) = control.recv() => {
                match command {
                    ControlCommand::HangupAll => {
                        for call in calls.values() {
                            let _ = call.send(CallInput::Terminate);
                        }
                    }
                }
                continue;
            }
        };
        match event {
            Event::IncomingCall {
                call,
                caller,
                caller_display,
                called,
                sip_call_id,
                source,
                remote_media,
            } => {
                let (tx, rx) = mpsc::unbounded_channel();
                calls.insert(call, tx);
                let incoming = Incoming {
                    handle: call,
                    caller,
                    caller_display,
                    called,
                    sip_call_id,
                    source,
                    remote_media,
                };
                tokio::spawn(run_call(context.clone(), incoming, rx));
            }
            Event::Registered {
                ref user,
                ref contact,
                source,
                expires,
            } => {
                info!(user, contact, %source.addr, expires_s = expires.as_secs(), "phone registered");
                save_bindings(&context.sip, &bindings_file).await;
            }
            Event::Unregistered { ref user } => {
                info!(user, "phone unregistered");
                save_bindings(&context.sip, &bindings_file).await;
            }
            Event::AuthFailed {
                source,
                ref user,
                reason,
            } => {
                // One line per failure, stable wording, for fail2ban's failregex:
                //   SIP authentication failure from <HOST> for user
                warn!(target: "hotline::security", "SIP authentication failure from {source} for user {user:?}: {reason}");
            }
            other => {
                let Some(call) = call_of(&other) else {
                    continue;
                };
                let ended = matches!(other, Event::CallEnded { .. });
                if let Some(tx) = calls.get(&call) {
                    let _ = tx.send(CallInput::Sip(other));
                }
                if ended {
                    calls.remove(&call);
                }
            }
        }
    }
}

fn call_of(event: &Event) -> Option<CallHandle> {
    match event {
        Event::IncomingCall { call, .. }
        | Event::CallConfirmed { call, .. }
        | Event::RemoteMediaChanged { call, .. }
        | Event::InfoDtmf { call, .. }
        | Event::ReferReceived { call, .. }
        | Event::OutgoingProgress { call, .. }
        | Event::OutgoingAnswered { call, .. }
        | Event::OutgoingFailed { call, .. }
        | Event::CallEnded { call, .. } => Some(*call),
        _ => None,
    }
}

#[derive(Debug)]
struct Incoming {
    handle: CallHandle,
    caller: String,
    caller_display: Option<String>,
    called: String,
    sip_call_id: String,
    source: Peer,
    remote_media: Option<NegotiatedMedia>,
}

fn now_ts() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// One call, from INVITE to the end.
async fn run_call(
    context: Arc<CallContext>,
    incoming: Incoming,
    mut inputs: mpsc::UnboundedReceiver<CallInput>,
) {
    let call_id = CallId::new();
    let handle = incoming.handle;
    let emit = |event: CallEvent| {
        context
            .events
            .submit(CallEventRecord::new(call_id, now_ts(), event))
    };
    emit(CallEvent::CallStarted {
        caller: incoming.caller.clone(),
        called: incoming.called.clone(),
        sip_call_id: incoming.sip_call_id.clone(),
        node: context.node.clone(),
        linked_call: None,
    });
    debug!(%call_id, caller = incoming.caller, display = ?incoming.caller_display, source = %incoming.source.addr, "incoming call");
    let Some(rtp) = context.ports.reserve() else {
        warn!(%call_id, "no free RTP port in the configured range: rejecting with 503");
        let _ = context.sip.send(Command::Reject(handle, 503));
        emit(CallEvent::Ended {
            side: HangupSide::System,
            cause: "no_rtp_port".into(),
        });
        return;
    };
    let local = match &incoming.remote_media {
        Some(remote) => LocalMedia {
            rtp: rtp.addr,
            codecs: vec![remote.codec],
            telephone_event_pt: remote.telephone_event_pt,
            direction: remote.remote_direction.answer(),
            session_id: u64::from(rand::random::<u32>()),
            version: 1,
        },
        None => LocalMedia {
            rtp: rtp.addr,
            codecs: vec![hotline_sip::Codec::Pcmu, hotline_sip::Codec::Pcma],
            telephone_event_pt: Some(101),
            direction: Direction::SendRecv,
            session_id: u64::from(rand::random::<u32>()),
            version: 1,
        },
    };
    let _ = context.sip.send(Command::Ring(handle));
    if !context.answer_after.is_zero() {
        // The caller hears ringing; they may give up (CANCEL) before we answer.
        let ring = tokio::time::sleep(context.answer_after);
        tokio::pin!(ring);
        loop {
            tokio::select! {
                _ = &mut ring => break,
                input = inputs.recv() => match input {
                    Some(CallInput::Sip(Event::CallEnded { reason, .. })) => {
                        emit(CallEvent::Ended { side: HangupSide::Caller, cause: reason.into() });
                        return;
                    }
                    Some(CallInput::Terminate) | None => {
                        let _ = context.sip.send(Command::Reject(handle, 503));
                        emit(CallEvent::Ended { side: HangupSide::System, cause: "shutdown".into() });
                        return;
                    }
                    Some(CallInput::Sip(_)) => {}
                },
            }
        }
    }
    let _ = context.sip.send(Command::Answer(handle, local));
    let started = Instant::now();
    let max_call = tokio::time::sleep(context.max_call);
    tokio::pin!(max_call);
    let mut hung_up_by_us = false;
    loop {
        let input = tokio::select! {
            input = inputs.recv() => input,
            _ = &mut max_call, if !hung_up_by_us => {
                hung_up_by_us = true;
                info!(%call_id, "maximum call duration reached: hanging up");
                let _ = context.sip.send(Command::Hangup(handle));
                continue;
            }
        };
        match input {
            Some(CallInput::Sip(Event::CallConfirmed { .. })) => emit(CallEvent::Answered),
            Some(CallInput::Sip(Event::InfoDtmf { digit, .. })) => {
                debug!(%call_id, %digit, "DTMF by SIP INFO");
            }
            Some(CallInput::Sip(Event::RemoteMediaChanged { media, .. })) => {
                let hold = media.remote_direction.is_hold();
                emit(if hold {
                    CallEvent::HoldStarted
                } else {
                    CallEvent::HoldEnded
                });
            }
            Some(CallInput::Sip(Event::CallEnded { by, reason, .. })) => {
                let side = match by {
                    EndedBy::Remote => HangupSide::Caller,
                    EndedBy::Local => HangupSide::System,
                };
                emit(CallEvent::Ended {
                    side,
                    cause: reason.into(),
                });
                debug!(%call_id, reason, secs = started.elapsed().as_secs_f32(), "call ended");
                break;
            }
            Some(CallInput::Terminate) => {
                hung_up_by_us = true;
                let _ = context.sip.send(Command::Hangup(handle));
            }
            Some(CallInput::Sip(_)) => {}
            None => {
                // The dispatcher is gone (shutdown): record the end ourselves.
                emit(CallEvent::Ended {
                    side: HangupSide::System,
                    cause: "shutdown".into(),
                });
                break;
            }
        }
    }
    drop(rtp);
}

/// A binding as saved on disk: expiry as wall-clock time, since `Instant`s
/// do not survive a restart.
#[derive(Debug, Serialize, Deserialize)]
struct SavedBinding {
    user: String,
    contact: String,
    source: SocketAddr,
    tcp: bool,
    expires_unix_s: u64,
}

async fn save_bindings(sip: &SipHandle, path: &PathBuf) {
    let Ok(bindings) = sip.bindings().await else {
        return;
    };
    let now = Instant::now();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let saved: Vec<SavedBinding> = bindings
        .into_iter()
        .map(|b| SavedBinding {
            expires_unix_s: wall + b.expires_at.saturating_duration_since(now).as_secs(),
            user: b.user,
            contact: b.contact,
            source: b.source,
            tcp: b.transport == Transport::Tcp,
        })
        .collect();
    let Ok(json) = serde_json::to_vec_pretty(&saved) else {
        return;
    };
    let tmp = path.with_extension("json.tmp");
    if let Err(e) = tokio::fs::write(&tmp, json)
        .await
        .and(tokio::fs::rename(&tmp, path).await)
    {
        warn!(path = %path.display(), error = %e, "cannot save phone registrations; phones will re-register after a restart");
    }
}

/// Restores the bindings saved before a restart (expired ones are skipped).
pub async fn restore_bindings(sip: &SipHandle, path: &PathBuf) -> usize {
    let Ok(bytes) = tokio::fs::read(path).await else {
        return 0;
    };
    let saved: Vec<SavedBinding> = match serde_json::from_slice(&bytes) {
        Ok(saved) => saved,
        Err(e) => {
            warn!(path = %path.display(), error = %e, "ignoring unreadable registrations file; phones will re-register");
            return 0;
        }
    };
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let now = Instant::now();
    let mut restored = 0;
    for b in saved.into_iter().filter(|b| b.expires_unix_s > wall) {
        let binding = Binding {
            user: b.user,
            contact: b.contact,
            source: b.source,
            transport: if b.tcp {
                Transport::Tcp
            } else {
                Transport::Udp
            },
            expires_at: now + Duration::from_secs(b.expires_unix_s - wall),
        };
        if sip.send(Command::RestoreBinding(binding)).is_ok() {
            restored += 1;
        }
    }
    restored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_pool_hands_out_even_ports_and_runs_dry() {
        let pool = PortPool::new("127.0.0.1".parse().unwrap(), 31_000..=31_005);
        let a = pool.reserve().unwrap();
        let b = pool.reserve().unwrap();
        let c = pool.reserve().unwrap();
        for p in [&a, &b, &c] {
            assert_eq!(p.addr.port() % 2, 0);
        }
        assert!(
            pool.reserve().is_none(),
            "three even ports in 31000..=31005"
        );
        drop(b);
        assert!(pool.reserve().is_some(), "a released port is reused");
    }
}
