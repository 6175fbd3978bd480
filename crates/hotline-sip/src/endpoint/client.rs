//! Requests we send: outgoing calls and client transactions.
//!
//! [`Endpoint::call_place`] sends an INVITE; CANCEL and the in-dialog
//! requests built in `dialog` (BYE, NOTIFY) go out through
//! `Endpoint::start_client_tx`. Their responses come back through
//! `Endpoint::handle_response`, which absorbs retransmissions, ACKs a
//! non-2xx final on the INVITE's branch (§17.1.1.3), ACKs a 2xx as its own
//! transaction (§13.2.2.4, again for each retransmission) and tells the
//! controller. Answers to REGISTER arrive here too and go on to
//! `client_registration`.

use std::time::Instant;

use rsip::headers::UntypedHeader;
use rsip::{Header, Method};

use crate::msg::{self, first_header, header_param, header_uri, other, Essentials};
use crate::sdp;
use crate::transaction::{ClientResponseOutcome, Kind, State, Transaction};
use crate::wire;

use super::{
    allow_header, Call, CallHandle, CallState, EndedBy, Endpoint, Event, OutgoingCall, Role,
    TimerKey, Transport, TxEntry, TxKey,
};

impl Endpoint {
    // ---------------------------------------------------------------- commands (UAC)

    /// Places a call (INVITE with our offer). Progress comes as events.
    pub fn call_place(&mut self, now: Instant, outgoing: OutgoingCall) -> CallHandle {
        let id = self.alloc_id();
        let local_tag = msg::random_token();
        let call_id = format!("{}@hotline", msg::random_token());
        let branch = format!("{}{}", msg::MAGIC_COOKIE, msg::random_token());
        let transport = outgoing.peer.transport;
        let display = outgoing
            .from_display
            .as_deref()
            .map(|d| format!("\"{}\" ", d.replace('"', "")))
            .unwrap_or_default();
        let local_uri = format!(
            "{display}<sip:{}@{}>",
            outgoing.from_user, self.config.advertised
        );
        let remote_uri = format!("<{}>", outgoing.target);
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(self.via(transport, &branch).into()));
        headers.push(Header::MaxForwards(70.into()));
        headers.push(Header::From(format!("{local_uri};tag={local_tag}").into()));
        headers.push(Header::To(remote_uri.clone().into()));
        headers.push(Header::CallId(call_id.clone().into()));
        headers.push(Header::CSeq("1 INVITE".into()));
        headers.push(self.contact(transport));
        headers.push(allow_header());
        headers.push(other("Content-Type", "application/sdp"));
        // SocketAddr's Display brackets IPv6 hosts; rsip's own IpAddr host
        // would print them bare (`sip:::1:5060`), so go through parse_uri.
        let uri = msg::parse_uri(&outgoing.target)
            .or_else(|| msg::parse_uri(&format!("sip:{}", outgoing.peer.addr)))
            .unwrap_or_default();
        let request = rsip::Request {
            method: Method::Invite,
            uri,
            version: rsip::Version::V2,
            headers,
            body: outgoing.local_media.to_sdp().into_bytes(),
        };
        let bytes = wire::to_bytes(&request.clone().into());
        let tx_id = self.alloc_id();
        let key = TxKey::client(&branch, &Method::Invite);
        let tx = Transaction::client(
            Kind::ClientInvite,
            transport.is_reliable(),
            self.config.timers,
            bytes.clone(),
            now,
        );
        let deadline = tx.deadline();
        self.tx_index.insert(key.clone(), tx_id);
        self.transactions.insert(
            tx_id,
            TxEntry {
                key,
                tx,
                peer: outgoing.peer,
                call: Some(CallHandle(id)),
                method: Method::Invite,
            },
        );
        self.schedule(deadline, TimerKey::Tx(tx_id));
        self.dialogs
            .insert((call_id.clone(), local_tag.clone()), id);
        let ring_deadline = now + self.config.ring_timeout;
        self.calls.insert(
            id,
            Call {
                role: Role::Uac,
                state: CallState::Early,
                call_id,
                local_tag,
                remote_tag: None,
                local_uri,
                remote_uri,
                remote_target: outgoing.target,
                route_set: Vec::new(),
                local_cseq: 1,
                remote_cseq: None,
                peer: outgoing.peer,
                invite_tx: Some(tx_id),
                invite: Some(request),
                local_media: Some(outgoing.local_media),
                ok_retransmit: None,
                ack_bytes: None,
                hangup_after_ack: false,
                cancel_on_provisional: false,
                ring_deadline: Some(ring_deadline),
                ending_reason: "",
                unconfirmed: false,
            },
        );
        self.schedule(Some(ring_deadline), TimerKey::Call(id));
        metrics::gauge!("hotline_sip_active_calls").set(self.calls.len() as f64);
        self.transmit(outgoing.peer, bytes);
        CallHandle(id)
    }

    fn via(&self, transport: Transport, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            transport.via_name(),
            self.advertised_for(transport)
        )
    }

    pub(super) fn start_client_tx(
        &mut self,
        now: Instant,
        id: u64,
        request: rsip::Request,
        branch: &str,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let peer = call.peer;
        let method = request.method;
        let bytes = wire::to_bytes(&request.into());
        let kind = if method == Method::Invite {
            Kind::ClientInvite
        } else {
            Kind::ClientNonInvite
        };
        let tx = Transaction::client(
            kind,
            peer.transport.is_reliable(),
            self.config.timers,
            bytes.clone(),
            now,
        );
        let deadline = tx.deadline();
        let tx_id = self.alloc_id();
        let key = TxKey::client(branch, &method);
        self.tx_index.insert(key.clone(), tx_id);
        self.transactions.insert(
            tx_id,
            TxEntry {
                key,
                tx,
                peer,
                call: Some(CallHandle(id)),
                method,
            },
        );
        self.schedule(deadline, TimerKey::Tx(tx_id));
        self.transmit(peer, bytes);
    }

    pub(super) fn send_cancel(&mut self, now: Instant, id: u64) {
        let invite_tx = self.calls.get(&id).and_then(|c| c.invite_tx);
        let invite_state = invite_tx
            .and_then(|tx| self.transactions.get(&tx))
            .map(|e| e.tx.state);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if invite_state == Some(State::Calling) {
            // §9.1: no CANCEL before a provisional response; send it when one
            // arrives, or let timer B end the call if none ever does.
            call.state = CallState::Ending;
            call.ending_reason = "cancel";
            call.cancel_on_provisional = true;
            return;
        }
        call.cancel_on_provisional = false;
        let Some(invite) = &call.invite else { return };
        // §9.1: CANCEL copies the INVITE's Request-URI, Via (same branch), From, To, Call-ID.
        let mut headers = rsip::Headers::default();
        let mut branch = String::new();
        for h in invite.headers.iter() {
            match h {
                Header::Via(v) if branch.is_empty() => {
                    branch = header_param(
                        &format!("x;{}", v.value().split_once(';').map_or("", |(_, p)| p)),
                        "branch",
                    )
                    .unwrap_or_default()
                    .to_owned();
                    headers.push(h.clone());
                }
                Header::From(_) | Header::To(_) | Header::CallId(_) | Header::MaxForwards(_) => {
                    headers.push(h.clone())
                }
                _ => {}
            }
        }
        headers.push(Header::CSeq("1 CANCEL".into()));
        let cancel = rsip::Request {
            method: Method::Cancel,
            uri: invite.uri.clone(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        };
        call.state = CallState::Ending;
        call.ending_reason = "cancel";
        self.start_client_tx(now, id, cancel, &branch);
        if let Some(tx_id) = invite_tx {
            if let Some(entry) = self.transactions.get_mut(&tx_id) {
                entry.tx.on_cancel_sent(now);
                let deadline = entry.tx.deadline();
                self.schedule(deadline, TimerKey::Tx(tx_id));
            }
        }
    }

    // ---------------------------------------------------------------- responses

    pub(super) fn handle_response(
        &mut self,
        now: Instant,
        response: rsip::Response,
        essentials: Essentials,
    ) {
        let key = TxKey::client(&essentials.branch, &essentials.cseq_method);
        let code = response.status_code.code();
        let Some(&tx_id) = self.tx_index.get(&key) else {
            // A 2xx retransmission after our INVITE transaction ended: ACK it again.
            if code / 100 == 2 && essentials.cseq_method == Method::Invite {
                self.reack_2xx(&essentials);
            }
            return;
        };
        let Some(entry) = self.transactions.get_mut(&tx_id) else {
            return;
        };
        let call = entry.call;
        let method = entry.method;
        let peer = entry.peer;
        let outcome = entry.tx.on_response(now, code);
        let deadline = entry.tx.deadline();
        self.schedule(deadline, TimerKey::Tx(tx_id));
        match outcome {
            ClientResponseOutcome::Absorb => return,
            ClientResponseOutcome::Reack => {
                if let Some(bytes) = self
                    .transactions
                    .get(&tx_id)
                    .and_then(|e| e.tx.ack_bytes())
                    .map(<[u8]>::to_vec)
                {
                    self.transmit(peer, bytes);
                }
                return;
            }
            ClientResponseOutcome::DeliverAndAck => {
                let ack = self.non_2xx_ack(tx_id, &response);
                if let Some(ack) = ack {
                    if let Some(entry) = self.transactions.get_mut(&tx_id) {
                        entry.tx.set_ack_bytes(ack.clone());
                    }
                    self.transmit(peer, ack);
                }
            }
            ClientResponseOutcome::Deliver => {}
        }
        if let Some(&registration) = self.register_txs.get(&tx_id) {
            if code >= 200 {
                self.register_txs.remove(&tx_id);
                self.registration_response(now, registration, &response);
            }
            return;
        }
        let Some(CallHandle(id)) = call else { return };
        match method {
            Method::Invite => self.invite_response(now, id, code, &response, &essentials),
            Method::Bye if code >= 200 => {
                let reason = self
                    .calls
                    .get(&id)
                    .map_or("local_hangup", |c| c.ending_reason);
                self.end_call(id, EndedBy::Local, reason);
            }
            _ => {}
        }
    }

    /// Builds the ACK for a non-2xx final (§17.1.1.3): same branch as the INVITE.
    fn non_2xx_ack(&mut self, tx_id: u64, response: &rsip::Response) -> Option<Vec<u8>> {
        let entry = self.transactions.get_mut(&tx_id)?;
        let call = entry.call?;
        let invite = self.calls.get(&call.0)?.invite.as_ref()?;
        let mut headers = rsip::Headers::default();
        for h in invite.headers.iter() {
            match h {
                Header::Via(_) | Header::From(_) | Header::CallId(_) | Header::MaxForwards(_) => {
                    headers.push(h.clone())
                }
                _ => {}
            }
        }
        if let Some(to) = first_header(response, "To") {
            headers.push(Header::To(to.into()));
        }
        headers.push(Header::CSeq("1 ACK".into()));
        let ack = rsip::Request {
            method: Method::Ack,
            uri: invite.uri.clone(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        };
        let bytes = wire::to_bytes(&ack.into());
        Some(bytes)
    }

    fn invite_response(
        &mut self,
        now: Instant,
        id: u64,
        code: u16,
        response: &rsip::Response,
        essentials: &Essentials,
    ) {
        let codecs = self.config.codecs.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if (100..200).contains(&code) && call.cancel_on_provisional {
            // The hangup asked for before any provisional can go out now (§9.1).
            self.send_cancel(now, id);
            return;
        }
        match code {
            100 => {}
            101..=199 => {
                if call.remote_tag.is_none() {
                    call.remote_tag = essentials.to_tag.clone();
                }
                self.event(Event::OutgoingProgress {
                    call: CallHandle(id),
                    status: code,
                });
            }
            200..=299 => {
                if call.ack_bytes.is_some() {
                    // Retransmitted 2xx: ACK again.
                    let bytes = call.ack_bytes.clone().unwrap_or_default();
                    let peer = call.peer;
                    self.transmit(peer, bytes);
                    return;
                }
                call.remote_tag = essentials.to_tag.clone();
                // A Contact that is no SIP URI leaves the target the request went to.
                if let Some(contact) = first_header(response, "Contact") {
                    let target = header_uri(msg::first_of_list(contact));
                    if msg::parse_uri(target).is_some() {
                        call.remote_target = target.to_owned();
                    }
                }
                // The UAC's route set is the 2xx's Record-Route, reversed (§12.1.2).
                call.route_set = msg::record_routes(response);
                call.route_set.reverse();
                let cancelled = call.state == CallState::Ending;
                call.state = CallState::Confirmed;
                call.ring_deadline = None;
                let media = sdp::negotiate(&response.body, &codecs).ok();
                // The 2xx ACK is its own transaction (§13.2.2.4), same CSeq number.
                let ack = self.in_dialog_request(id, Method::Ack).map(|(mut ack, _)| {
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.local_cseq -= 1;
                        ack.headers.retain(|h| !matches!(h, Header::CSeq(_)));
                        ack.headers
                            .push(Header::CSeq(format!("{} ACK", essentials.cseq).into()));
                    }
                    wire::to_bytes(&ack.into())
                });
                let Some(ack) = ack else {
                    self.end_call(id, EndedBy::Local, "bad_contact");
                    return;
                };
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                call.ack_bytes = Some(ack.clone());
                call.invite = None;
                let peer = call.peer;
                self.transmit(peer, ack);
                if cancelled {
                    // Our CANCEL crossed their 200 OK: ACK, then BYE (§9.1).
                    self.send_bye(now, id, "cancel");
                } else {
                    self.event(Event::OutgoingAnswered {
                        call: CallHandle(id),
                        remote_media: media,
                    });
                }
            }
            _ => {
                let reason = if call.state == CallState::Ending {
                    "cancel"
                } else {
                    "rejected"
                };
                self.event(Event::OutgoingFailed {
                    call: CallHandle(id),
                    status: code,
                });
                self.end_call(id, EndedBy::Remote, reason);
            }
        }
    }

    fn reack_2xx(&mut self, essentials: &Essentials) {
        let Some(from_tag) = &essentials.from_tag else {
            return;
        };
        let Some(&id) = self
            .dialogs
            .get(&(essentials.call_id.clone(), from_tag.clone()))
        else {
            return;
        };
        if let Some(call) = self.calls.get(&id) {
            if let Some(ack) = call.ack_bytes.clone() {
                let peer = call.peer;
                self.transmit(peer, ack);
            }
        }
    }
}
