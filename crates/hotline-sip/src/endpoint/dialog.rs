//! Calls once they exist: requests within a dialog and the controller's
//! commands on a call.
//!
//! In-dialog requests (BYE, INFO, REFER, NOTIFY, OPTIONS, UPDATE and the
//! re-INVITE) arrive here from `server`. The `call_*` commands ring, answer
//! or reject an incoming call, hang up any call and report on a transfer
//! (NOTIFY for a REFER). Our BYE, the end of a call (releasing what it held
//! of its source's share) and the call timer (the 2xx retransmitted until
//! its ACK, the ring timeout of an outgoing call) are here too.

use std::time::Instant;

use rsip::{Header, Method, StatusCode};

use crate::msg::{self, first_header, header_uri, other, Essentials};
use crate::sdp::{self, Direction, LocalMedia};
use crate::transaction::Kind;
use crate::wire;

use super::{
    allow_header, CallHandle, CallState, EndedBy, Endpoint, Event, OkRetransmit, Peer, Role,
    TimerKey, TxKey,
};

/// The route set as Record-Route headers, one entry each, in order.
fn record_route_headers(route_set: &[String]) -> Vec<Header> {
    route_set
        .iter()
        .map(|route| other("Record-Route", route.clone()))
        .collect()
}

impl Endpoint {
    pub(super) fn handle_in_dialog(
        &mut self,
        now: Instant,
        from: Peer,
        key: TxKey,
        request: rsip::Request,
        essentials: Essentials,
    ) {
        let method = request.method;
        let kind = if method == Method::Invite {
            Kind::ServerInvite
        } else {
            Kind::ServerNonInvite
        };
        let tx = self.new_server_tx(key, kind, from, method, None);
        let to_tag = essentials.to_tag.clone().unwrap_or_default();
        let found = self
            .dialogs
            .get(&(essentials.call_id.clone(), to_tag.clone()))
            .copied();
        let Some(id) = found else {
            let response = self.respond(
                &request,
                StatusCode::CallTransactionDoesNotExist,
                None,
                from,
            );
            return self.send_response(now, tx, response);
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // §12.2.2: a lower CSeq than seen is out of order.
        if let Some(last) = call.remote_cseq {
            if essentials.cseq < last || (essentials.cseq == last && method != Method::Ack) {
                let response =
                    msg::response_to(&request, StatusCode::ServerInternalError, None, from.addr);
                return self.send_response(now, tx, response);
            }
        }
        call.remote_cseq = Some(essentials.cseq);
        if let Some(entry) = self.transactions.get_mut(&tx) {
            entry.call = Some(CallHandle(id));
        }
        match method {
            Method::Bye => {
                let ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
                self.send_response(now, tx, ok);
                // §15.1.2: a BYE on an early dialog leaves the INVITE
                // pending; it gets 487, or its transaction would never end
                // (found by fuzz/endpoint_sequence).
                let pending = self.calls.get(&id).and_then(|call| {
                    let (invite, invite_tx) = (call.invite.as_ref()?, call.invite_tx?);
                    (call.role == Role::Uas && call.state == CallState::Early).then(|| {
                        let terminated = msg::response_to(
                            invite,
                            StatusCode::RequestTerminated,
                            Some(&call.local_tag),
                            call.peer.addr,
                        );
                        (invite_tx, terminated)
                    })
                });
                if let Some((invite_tx, terminated)) = pending {
                    self.send_response(now, invite_tx, terminated);
                }
                self.end_call(id, EndedBy::Remote, "bye");
            }
            Method::Invite => self.handle_reinvite(now, id, tx, request, from),
            Method::Info => {
                let ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
                self.send_response(now, tx, ok);
                if let Some((digit, duration_ms)) = parse_info_dtmf(&request) {
                    self.event(Event::InfoDtmf {
                        call: CallHandle(id),
                        digit,
                        duration_ms,
                    });
                }
            }
            Method::Options | Method::Update if request.body.is_empty() => {
                let mut ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
                ok.headers.push(allow_header());
                self.send_response(now, tx, ok);
            }
            Method::Refer => {
                let refer_to = first_header(&request, "Refer-To").map(|r| header_uri(r).to_owned());
                match refer_to {
                    Some(refer_to) => {
                        let accepted = msg::response_to(
                            &request,
                            StatusCode::Other(202, "Accepted".into()),
                            None,
                            from.addr,
                        );
                        self.send_response(now, tx, accepted);
                        self.event(Event::ReferReceived {
                            call: CallHandle(id),
                            refer_to,
                        });
                    }
                    None => {
                        let bad =
                            msg::response_to(&request, StatusCode::BadRequest, None, from.addr);
                        self.send_response(now, tx, bad);
                    }
                }
            }
            Method::Notify => {
                let ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
                self.send_response(now, tx, ok);
            }
            _ => {
                let mut response =
                    msg::response_to(&request, StatusCode::MethodNotAllowed, None, from.addr);
                response.headers.push(allow_header());
                self.send_response(now, tx, response);
            }
        }
    }

    fn handle_reinvite(
        &mut self,
        now: Instant,
        id: u64,
        tx: u64,
        request: rsip::Request,
        from: Peer,
    ) {
        let codecs = self.config.codecs.clone();
        let srtp = self.config.srtp_policy_for(from.addr.ip());
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.state != CallState::Confirmed || call.ok_retransmit.is_some() {
            // §14.2: a re-INVITE while one is pending gets 491 (or 500 before ACK).
            let status = StatusCode::RequestPending;
            let response = msg::response_to(&request, status, None, from.addr);
            return self.send_response(now, tx, response);
        }
        let negotiated = if request.body.is_empty() {
            None
        } else {
            let reoffer = sdp::negotiate_offer(&request.body, &codecs, srtp).and_then(|media| {
                match call.local_media.as_mut() {
                    Some(local) => sdp::keep_srtp_on_reoffer(local, &media).map(|()| media),
                    None => Ok(media),
                }
            });
            match reoffer {
                Ok(media) => Some(media),
                Err(error) => {
                    let mut response =
                        msg::response_to(&request, StatusCode::NotAcceptableHere, None, from.addr);
                    let code = error.warn_code();
                    response
                        .headers
                        .push(other("Warning", format!("{code} hotline \"{error}\"")));
                    return self.send_response(now, tx, response);
                }
            }
        };
        let Some(local) = call.local_media.as_mut() else {
            let response =
                msg::response_to(&request, StatusCode::NotAcceptableHere, None, from.addr);
            return self.send_response(now, tx, response);
        };
        local.version += 1;
        if let Some(media) = &negotiated {
            local.direction = media.remote_direction.answer();
            local.codecs = vec![media.codec];
            local.telephone_event_pt = media.telephone_event_pt;
        } else {
            local.direction = Direction::SendRecv;
        }
        let body = local.to_sdp().into_bytes();
        let contact = self.contact(from.transport);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
        ok.headers.push(contact);
        ok.headers.push(other("Content-Type", "application/sdp"));
        ok.body = body;
        let bytes = wire::to_bytes(&ok.clone().into());
        call.state = CallState::Answered;
        call.invite = Some(request);
        if !from.transport.is_reliable() {
            call.ok_retransmit = Some(OkRetransmit {
                bytes,
                next_at: now + self.config.timers.t1,
                interval: self.config.timers.t1,
                give_up_at: now + self.config.timers.transaction_timeout(),
                reinvite: true,
            });
            self.schedule(Some(now + self.config.timers.t1), TimerKey::Call(id));
        } else {
            call.ok_retransmit = Some(OkRetransmit {
                bytes,
                next_at: now + self.config.timers.transaction_timeout(),
                interval: self.config.timers.transaction_timeout(),
                give_up_at: now + self.config.timers.transaction_timeout(),
                reinvite: true,
            });
            self.schedule(
                Some(now + self.config.timers.transaction_timeout()),
                TimerKey::Call(id),
            );
        }
        self.send_response(now, tx, ok);
        if let Some(media) = negotiated {
            self.event(Event::RemoteMediaChanged {
                call: CallHandle(id),
                media,
            });
        }
    }

    // ---------------------------------------------------------------- commands (UAS)

    /// Sends 180 Ringing for an incoming call.
    pub fn call_ring(&mut self, now: Instant, call: CallHandle) {
        let Some(c) = self.calls.get(&call.0) else {
            return;
        };
        if c.role != Role::Uas || c.state != CallState::Early {
            return;
        }
        let (Some(invite), Some(tx)) = (&c.invite, c.invite_tx) else {
            return;
        };
        let mut ringing =
            msg::response_to(invite, StatusCode::Ringing, Some(&c.local_tag), c.peer.addr);
        // Dialog-creating responses echo the Record-Route (§12.1.1).
        ringing.headers.extend(record_route_headers(&c.route_set));
        ringing.headers.push(self.contact(c.peer.transport));
        self.send_response(now, tx, ringing);
    }

    /// Answers an incoming call with our media (200 OK with SDP); the 200 is
    /// retransmitted until the ACK arrives (§13.3.1.4), and the call ends
    /// with `no_ack` if it never does.
    pub fn call_answer(&mut self, now: Instant, call: CallHandle, local: LocalMedia) {
        let contact;
        {
            let Some(c) = self.calls.get(&call.0) else {
                return;
            };
            if c.role != Role::Uas || c.state != CallState::Early {
                return;
            }
            contact = self.contact(c.peer.transport);
        }
        let timers = self.config.timers;
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        let (Some(invite), Some(tx)) = (&c.invite, c.invite_tx) else {
            return;
        };
        let mut ok = msg::response_to(invite, StatusCode::OK, Some(&c.local_tag), c.peer.addr);
        ok.headers.extend(record_route_headers(&c.route_set));
        ok.headers.push(contact);
        ok.headers.push(other("Content-Type", "application/sdp"));
        ok.headers.push(allow_header());
        ok.body = local.to_sdp().into_bytes();
        let bytes = wire::to_bytes(&ok.clone().into());
        c.local_media = Some(local);
        c.state = CallState::Answered;
        let reliable = c.peer.transport.is_reliable();
        let first = if reliable {
            timers.transaction_timeout()
        } else {
            timers.t1
        };
        c.ok_retransmit = Some(OkRetransmit {
            bytes,
            next_at: now + first,
            interval: first,
            give_up_at: now + timers.transaction_timeout(),
            reinvite: false,
        });
        self.schedule(Some(now + first), TimerKey::Call(call.0));
        self.send_response(now, tx, ok);
    }

    /// Rejects an incoming call that is not answered yet.
    pub fn call_reject(&mut self, now: Instant, call: CallHandle, status: u16) {
        let Some(c) = self.calls.get(&call.0) else {
            return;
        };
        if c.role != Role::Uas || c.state != CallState::Early {
            return;
        }
        let (Some(invite), Some(tx)) = (&c.invite, c.invite_tx) else {
            return;
        };
        // A rejection must be a final failure (3xx-6xx, §21): a 1xx would
        // leave the call half-ended and a 2xx would establish a dialog we
        // have just forgotten. Anything else becomes 480, like a hangup.
        let status = if (300..=699).contains(&status) {
            status
        } else {
            480
        };
        let response = msg::response_to(
            invite,
            StatusCode::from(status),
            Some(&c.local_tag),
            c.peer.addr,
        );
        self.send_response(now, tx, response);
        self.end_call(call.0, EndedBy::Local, "rejected");
    }

    /// Ends a call from our side: BYE if established, CANCEL if ringing out,
    /// 480 if not answered yet, BYE after the ACK if answered but not confirmed.
    pub fn call_hangup(&mut self, now: Instant, call: CallHandle) {
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        match (c.role, c.state) {
            (_, CallState::Confirmed) => self.send_bye(now, call.0, "local_hangup"),
            // A UAC call is Answered only while a re-INVITE's 2xx awaits its
            // ACK; the BYE waits for that ACK on both roles (§15).
            (_, CallState::Answered) => c.hangup_after_ack = true,
            (Role::Uas, CallState::Early) => self.call_reject(now, call, 480),
            (Role::Uac, CallState::Early) => self.send_cancel(now, call.0),
            (_, CallState::Ending) => {}
        }
    }

    /// Tells the sender of a REFER how the transfer goes (RFC 3515 §2.4.4):
    /// a NOTIFY in the call's dialog with `Event: refer` and a
    /// `message/sipfrag` body holding `status` (e.g. "100 Trying",
    /// "200 OK", "603 Declined"). `last` ends the implicit subscription
    /// (`Subscription-State: terminated`). The NOTIFY's answer changes
    /// nothing about the call.
    pub fn call_notify_refer(&mut self, now: Instant, call: CallHandle, status: &str, last: bool) {
        if !self
            .calls
            .get(&call.0)
            .is_some_and(|c| c.state == CallState::Confirmed)
        {
            return;
        }
        let transport = self.calls.get(&call.0).map(|c| c.peer.transport);
        let Some((mut request, branch)) = self.in_dialog_request(call.0, Method::Notify) else {
            return;
        };
        let advertised = transport.map(|t| (self.advertised_for(t), t.uri_suffix()));
        if let Some((at, param)) = advertised {
            request
                .headers
                .push(other("Contact", format!("<sip:{at}{param}>")));
        }
        request.headers.push(other("Event", "refer"));
        request.headers.push(other(
            "Subscription-State",
            if last {
                "terminated;reason=noresource"
            } else {
                "active;expires=60"
            },
        ));
        request
            .headers
            .push(other("Content-Type", "message/sipfrag;version=2.0"));
        request.body = format!("SIP/2.0 {status}\r\n").into_bytes();
        self.start_client_tx(now, call.0, request, &branch);
    }

    // ---------------------------------------------------------------- requests we send, ending

    /// Builds an in-dialog request (BYE, re-INVITE) for call `id`.
    pub(super) fn in_dialog_request(
        &mut self,
        id: u64,
        method: Method,
    ) -> Option<(rsip::Request, String)> {
        let transport = self.calls.get(&id)?.peer.transport;
        let advertised = self.advertised_for(transport);
        let call = self.calls.get_mut(&id)?;
        call.local_cseq += 1;
        let branch = format!("{}{}", msg::MAGIC_COOKIE, msg::random_token());
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(
            format!(
                "SIP/2.0/{} {advertised};branch={branch};rport",
                transport.via_name()
            )
            .into(),
        ));
        headers.push(Header::MaxForwards(70.into()));
        headers.push(Header::From(
            format!("{};tag={}", call.local_uri, call.local_tag).into(),
        ));
        let to = match &call.remote_tag {
            Some(tag) => format!("{};tag={tag}", call.remote_uri),
            None => call.remote_uri.clone(),
        };
        headers.push(Header::To(to.into()));
        headers.push(Header::CallId(call.call_id.clone().into()));
        headers.push(Header::CSeq(format!("{} {method}", call.local_cseq).into()));
        for route in &call.route_set {
            headers.push(other("Route", route.clone()));
        }
        let uri = msg::parse_uri(&call.remote_target)?;
        Some((
            rsip::Request {
                method,
                uri,
                version: rsip::Version::V2,
                headers,
                body: Vec::new(),
            },
            branch,
        ))
    }

    pub(super) fn send_bye(&mut self, now: Instant, id: u64, reason: &'static str) {
        let Some((request, branch)) = self.in_dialog_request(id, Method::Bye) else {
            self.end_call(id, EndedBy::Local, reason);
            return;
        };
        if let Some(call) = self.calls.get_mut(&id) {
            call.state = CallState::Ending;
            call.ending_reason = reason;
            call.ok_retransmit = None;
        }
        self.start_client_tx(now, id, request, &branch);
    }

    pub(super) fn end_call(&mut self, id: u64, by: EndedBy, reason: &'static str) {
        if let Some(call) = self.calls.remove(&id) {
            let source_ip = call.peer.addr.ip();
            if call.unconfirmed {
                self.release_unconfirmed(source_ip);
            }
            if call.role == Role::Uas && !self.config.trusted_sources.contains(&source_ip) {
                self.untrusted_calls = self.untrusted_calls.saturating_sub(1);
                if let std::collections::hash_map::Entry::Occupied(mut held) =
                    self.calls_by_source.entry(source_ip)
                {
                    *held.get_mut() -= 1;
                    if *held.get() == 0 {
                        held.remove();
                    }
                }
            }
            self.dialogs.remove(&(call.call_id, call.local_tag));
            metrics::gauge!("hotline_sip_active_calls").set(self.calls.len() as f64);
            self.event(Event::CallEnded {
                call: CallHandle(id),
                by,
                reason,
            });
        }
    }

    // ---------------------------------------------------------------- timers

    pub(super) fn call_timeout(&mut self, now: Instant, id: u64) {
        let t2 = self.config.timers.t2;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(ring) = call.ring_deadline {
            if ring <= now && call.state == CallState::Early && call.role == Role::Uac {
                call.ring_deadline = None;
                self.send_cancel(now, id);
                return;
            }
        }
        let Some(ok) = call.ok_retransmit.as_mut() else {
            return;
        };
        if ok.give_up_at <= now {
            // No ACK for our 200 within 64·T1 (§13.3.1.4): confirm and end with BYE.
            let reinvite = ok.reinvite;
            call.ok_retransmit = None;
            call.state = CallState::Confirmed;
            call.invite = None;
            if reinvite {
                // A re-INVITE's 2xx went unacknowledged: the dialog stays.
                // (Told apart by a flag, not the SDP version, which the
                // controller chooses and need not start at 1.)
                return;
            }
            if call.unconfirmed && !call.peer.transport.is_reliable() {
                // An untrusted address over UDP that never answered: most
                // likely a spoofed source. A BYE (itself repeated eleven
                // times) would only be more traffic at its victim; the
                // dialog simply ends here.
                self.end_call(id, EndedBy::Local, "no_ack");
                return;
            }
            self.send_bye(now, id, "no_ack");
            return;
        }
        if ok.next_at <= now {
            ok.interval = (ok.interval * 2).min(t2);
            ok.next_at = (now + ok.interval).min(ok.give_up_at);
            let (bytes, next, peer) = (ok.bytes.clone(), ok.next_at, call.peer);
            if !peer.transport.is_reliable() {
                self.transmit(peer, bytes);
            }
            self.schedule(Some(next), TimerKey::Call(id));
        }
    }
}

/// DTMF in SIP INFO: `application/dtmf-relay` (`Signal=5\r\nDuration=160`)
/// or `application/dtmf` (the digit alone).
fn parse_info_dtmf(request: &rsip::Request) -> Option<(char, u32)> {
    let content_type = first_header(request, "Content-Type")?.to_ascii_lowercase();
    let body = std::str::from_utf8(&request.body).ok()?;
    let valid = |c: char| matches!(c, '0'..='9' | '*' | '#' | 'A'..='D');
    if content_type.starts_with("application/dtmf-relay") {
        let mut digit = None;
        let mut duration = 160;
        for line in body.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "signal" => digit = v.trim().chars().next().map(|c| c.to_ascii_uppercase()),
                "duration" => duration = v.trim().parse().unwrap_or(160),
                _ => {}
            }
        }
        digit.filter(|d| valid(*d)).map(|d| (d, duration))
    } else if content_type.starts_with("application/dtmf") {
        let d = body.trim().chars().next()?.to_ascii_uppercase();
        valid(d).then_some((d, 160))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_dtmf_forms() {
        let mk = |ct: &str, body: &str| rsip::Request {
            method: Method::Info,
            uri: rsip::Uri::default(),
            version: rsip::Version::V2,
            headers: rsip::Headers::from(other("Content-Type", ct)),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            parse_info_dtmf(&mk(
                "application/dtmf-relay",
                "Signal=5\r\nDuration=250\r\n"
            )),
            Some(('5', 250))
        );
        assert_eq!(
            parse_info_dtmf(&mk("application/dtmf", "#")),
            Some(('#', 160))
        );
        assert_eq!(parse_info_dtmf(&mk("application/dtmf", "x")), None);
        assert_eq!(parse_info_dtmf(&mk("text/plain", "5")), None);
    }
}
