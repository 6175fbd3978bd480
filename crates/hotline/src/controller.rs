//! The call controller: one tokio task owns one call.
//!
//! A dispatcher reads the SIP layer's events and routes each to the task of
//! its call (by [`CallHandle`]); the call tasks (`crate::call`) answer,
//! drive the call and emit call events. Registrations are saved so a restart keeps phones bound,
//! and authentication failures are logged in a form fail2ban can match.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hotline_sip::registrar::Binding;
use hotline_sip::transport::{Command, EventRoute, SipHandle};
use hotline_sip::{CallHandle, Event, Transport};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::call::{run_call, CallContext, CallInput, Incoming};

/// Commands to the dispatcher from outside.
#[derive(Debug)]
pub enum ControlCommand {
    /// Shutdown: end every call.
    HangupAll,
    /// A call task the dispatcher did not start (a callback): told to end
    /// at shutdown like the others.
    Watch(mpsc::UnboundedSender<CallInput>),
}

/// Runs the dispatcher until the SIP layer's event stream ends.
pub async fn run_dispatcher(
    context: Arc<CallContext>,
    mut sip_events: mpsc::UnboundedReceiver<Event>,
    mut control: mpsc::UnboundedReceiver<ControlCommand>,
    bindings_file: PathBuf,
) {
    // Incoming calls' tasks, for their events until the SIP layer routes
    // them to the task itself, and for shutdown; callback tasks, for shutdown.
    let mut calls: HashMap<CallHandle, mpsc::UnboundedSender<CallInput>> = HashMap::new();
    let mut watched: Vec<mpsc::UnboundedSender<CallInput>> = Vec::new();
    loop {
        let event = tokio::select! {
            event = sip_events.recv() => match event {
                Some(event) => event,
                None => return,
            },
            Some(command) = control.recv() => {
                match command {
                    ControlCommand::HangupAll => {
                        for call in calls.values().chain(&watched) {
                            let _ = call.send(CallInput::Terminate);
                        }
                    }
                    ControlCommand::Watch(task) => {
                        watched.retain(|t| !t.is_closed());
                        watched.push(task);
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
                // Ended calls' tasks have dropped their receivers.
                calls.retain(|_, task| !task.is_closed());
                calls.insert(call, tx.clone());
                // From here on the SIP layer hands this call's events to its
                // task directly (before the task can answer, so nothing it
                // causes can overtake what is still queued here).
                let route = tx.clone();
                let _ = context.sip.send(Command::Route(
                    call,
                    EventRoute::new(move |event| {
                        let _ = route.send(CallInput::Sip(event));
                    }),
                ));
                let incoming = Incoming {
                    handle: call,
                    caller,
                    caller_display,
                    called,
                    sip_call_id,
                    source,
                    remote_media,
                    inputs: tx,
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
                let Some(call) = other.call() else {
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

/// A binding as saved on disk: expiry as wall-clock time, since `Instant`s
/// do not survive a restart.
#[derive(Debug, Serialize, Deserialize)]
struct SavedBinding {
    user: String,
    contact: String,
    source: SocketAddr,
    tcp: bool,
    /// "UDP", "TCP" or "TLS"; older files have only `tcp`.
    #[serde(default)]
    transport: Option<String>,
    /// The digest algorithm the phone used ("MD5", "SHA-256").
    #[serde(default)]
    digest: Option<String>,
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
            transport: Some(b.transport.via_name().to_owned()),
            digest: b.digest.map(|d| d.name().to_owned()),
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
        let transport = match b.transport.as_deref() {
            Some("TLS") => Transport::Tls,
            Some("TCP") => Transport::Tcp,
            Some(_) => Transport::Udp,
            None if b.tcp => Transport::Tcp,
            None => Transport::Udp,
        };
        if transport == Transport::Tls {
            // Its connection ended with the old process: the phone
            // registers again over a new one (and cannot be reached before).
            continue;
        }
        let binding = Binding {
            user: b.user,
            contact: b.contact,
            source: b.source,
            transport,
            expires_at: now + Duration::from_secs(b.expires_unix_s - wall),
            digest: b
                .digest
                .as_deref()
                .and_then(hotline_sip::registrar::Algorithm::from_name),
        };
        if sip.send(Command::RestoreBinding(binding)).is_ok() {
            restored += 1;
        }
    }
    restored
}
