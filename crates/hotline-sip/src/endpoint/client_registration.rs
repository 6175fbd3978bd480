//! This endpoint registering itself with a registrar (RFC 3261 §10):
//! [`Endpoint::register`], the refresh before the binding expires, the
//! retry after a failure, and [`Endpoint::unregister`]. What a response
//! means (digest answer, expiry) is decided in [`crate::registration`];
//! this part owns the REGISTER transactions and their timers. REGISTER from
//! phones to our own registrar is answered in `server`.

use std::time::Instant;

use rsip::Method;

use crate::msg;
use crate::registration::{self, ClientRegistration, Decision, Registration, RegistrationId};
use crate::transaction::{Kind, Transaction};
use crate::wire;

use super::{Endpoint, Event, TimerKey, Transport, TxEntry, TxKey};

/// One of our own registrations with a registrar, with its timers.
#[derive(Debug)]
pub(super) struct RegistrationEntry {
    core: ClientRegistration,
    /// The transaction of the REGISTER in flight.
    in_flight: Option<u64>,
    /// When the next REGISTER goes out (refresh, or retry after a failure).
    next_at: Option<Instant>,
    /// `unregister` was asked: Expires 0 next (after the request in flight).
    unregistering: bool,
}

impl Endpoint {
    /// Registers this endpoint with a registrar (RFC 3261 §10), answering
    /// its digest challenge. The outcome comes as [`Event::ClientRegistered`]
    /// (again at every refresh, sent before the binding expires) or
    /// [`Event::ClientRegistrationFailed`].
    pub fn register(&mut self, now: Instant, registration: Registration) -> RegistrationId {
        let id = self.alloc_id();
        self.registrations.insert(
            id,
            RegistrationEntry {
                core: ClientRegistration::new(registration),
                in_flight: None,
                next_at: None,
                unregistering: false,
            },
        );
        self.send_register(now, id);
        RegistrationId(id)
    }

    /// Removes our binding (REGISTER with Expires: 0, once any request in
    /// flight is answered); [`Event::ClientUnregistered`] follows.
    pub fn unregister(&mut self, now: Instant, registration: RegistrationId) {
        let Some(entry) = self.registrations.get_mut(&registration.0) else {
            return;
        };
        entry.unregistering = true;
        entry.next_at = None;
        if entry.in_flight.is_none() {
            self.send_register(now, registration.0);
        }
    }

    /// Whether the registrar holds our binding for `registration` now.
    pub fn is_registered(&self, registration: RegistrationId) -> bool {
        self.registrations
            .get(&registration.0)
            .is_some_and(|e| e.core.registered)
    }

    fn send_register(&mut self, now: Instant, id: u64) {
        let transport = self
            .registrations
            .get(&id)
            .map_or(Transport::Udp, |e| e.core.config.peer.transport);
        let advertised = self.advertised_for(transport);
        let timers = self.config.timers;
        let tx_id = self.alloc_id();
        let branch = format!("{}{}", msg::MAGIC_COOKIE, msg::random_token());
        let Some(entry) = self.registrations.get_mut(&id) else {
            return;
        };
        let request = entry.core.request(advertised, &branch, entry.unregistering);
        let peer = entry.core.config.peer;
        entry.in_flight = Some(tx_id);
        entry.next_at = None;
        let bytes = wire::to_bytes(&request.into());
        let tx = Transaction::client(
            Kind::ClientNonInvite,
            peer.transport.is_reliable(),
            timers,
            bytes.clone(),
            now,
        );
        let deadline = tx.deadline();
        let key = TxKey::client(&branch, &Method::Register);
        self.tx_index.insert(key.clone(), tx_id);
        self.transactions.insert(
            tx_id,
            TxEntry {
                key,
                tx,
                peer,
                call: None,
                method: Method::Register,
            },
        );
        self.register_txs.insert(tx_id, id);
        self.schedule(deadline, TimerKey::Tx(tx_id));
        self.transmit(peer, bytes);
    }

    pub(super) fn registration_response(
        &mut self,
        now: Instant,
        id: u64,
        response: &rsip::Response,
    ) {
        let Some(entry) = self.registrations.get_mut(&id) else {
            return;
        };
        entry.in_flight = None;
        let registration = RegistrationId(id);
        match entry.core.on_final_response(response) {
            Decision::Again => self.send_register(now, id),
            Decision::Registered { .. } if entry.unregistering => self.send_register(now, id),
            Decision::Registered { expires } => {
                let at = now + registration::refresh_after(expires);
                entry.next_at = Some(at);
                self.schedule(Some(at), TimerKey::Registration(id));
                self.event(Event::ClientRegistered {
                    registration,
                    expires,
                });
            }
            Decision::Unregistered => {
                self.registrations.remove(&id);
                self.event(Event::ClientUnregistered { registration });
            }
            Decision::Failed { status, reason } => {
                self.registration_failed(now, id, status, reason)
            }
        }
    }

    pub(super) fn registration_failed(
        &mut self,
        now: Instant,
        id: u64,
        status: u16,
        reason: &'static str,
    ) {
        let Some(entry) = self.registrations.get_mut(&id) else {
            return;
        };
        entry.in_flight = None;
        entry.core.registered = false;
        let retry = entry.core.config.retry_after_failure;
        let registration = RegistrationId(id);
        match retry {
            Some(after) if !entry.unregistering => {
                let at = now + after;
                entry.next_at = Some(at);
                self.schedule(Some(at), TimerKey::Registration(id));
            }
            // Removing, or not to be retried: a binding left behind lapses
            // at the registrar on its own.
            _ => {
                self.registrations.remove(&id);
            }
        }
        self.event(Event::ClientRegistrationFailed {
            registration,
            status,
            reason,
        });
    }

    /// A refresh or a retry is due (or a stale timer entry, ignored).
    pub(super) fn registration_timer(&mut self, now: Instant, id: u64) {
        let Some(entry) = self.registrations.get_mut(&id) else {
            return;
        };
        if entry.in_flight.is_some() || entry.next_at.is_none_or(|at| at > now) {
            return;
        }
        entry.core.new_attempt();
        self.send_register(now, id);
    }
}
