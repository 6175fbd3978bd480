//! Requests that arrive: server transactions and what answers them.
//!
//! Every request goes through `Endpoint::handle_request`: a retransmission
//! is answered from its transaction, a scanner is dropped, the source must
//! be admitted (`guard`), the checks of RFC 3261 §8.2 come next, and then
//! the request goes to its handler: an initial INVITE (where the per-source
//! call limits are applied), ACK, CANCEL, OPTIONS, REGISTER to our
//! registrar, or, with a To tag, `dialog`. Responses go out through their
//! server transaction (`Endpoint::send_response`).

use std::time::Instant;

use rsip::headers::UntypedHeader;
use rsip::{Header, Method, StatusCode};

use crate::msg::{self, first_header, header_param, header_uri, other, Essentials};
use crate::registrar::{RegisterOutcome, RegisterRequest};
use crate::sdp;
use crate::transaction::{Kind, State, Transaction};
use crate::wire;

use super::{
    allow_header, Call, CallHandle, CallState, EndedBy, Endpoint, Event, Peer, Role, TimerKey,
    TxEntry, TxKey,
};

/// A request refused before it is acted on: the status and the headers
/// that say why (Unsupported, Accept, ...).
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    headers: Vec<Header>,
}

impl Refusal {
    fn new(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
        }
    }
}

/// What makes two requests "the same request" arriving by two paths
/// (§8.2.2.2): no To tag, and the same From tag, Call-ID and CSeq.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct MergeKey {
    call_id: String,
    from_tag: String,
    cseq: u32,
    method: String,
}

/// §8.2.3: a body whose type or encoding this endpoint does not read gets
/// 415 with what it does accept. INVITE and UPDATE carry SDP; other bodies
/// are read where they are understood (INFO's DTMF) and otherwise ignored,
/// not refused: phones send INFO bodies of their own (picture fast update)
/// that a 415 would make them retry.
fn body_refusal(request: &rsip::Request) -> Option<Refusal> {
    let encoding = first_header(request, "Content-Encoding").map(str::trim);
    if encoding.is_some_and(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity")) {
        let mut refusal = Refusal::new(StatusCode::UnsupportedMediaType);
        refusal.headers.push(other("Accept-Encoding", "identity"));
        return Some(refusal);
    }
    let accepted: &[&str] = match request.method {
        Method::Invite | Method::Update => &["application/sdp"],
        _ => return None,
    };
    // No Content-Type on a body breaks §7.4.1; read it as the usual type.
    let content_type = first_header(request, "Content-Type")?;
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if accepted.iter().any(|a| a.eq_ignore_ascii_case(media_type)) {
        return None;
    }
    let mut refusal = Refusal::new(StatusCode::UnsupportedMediaType);
    refusal.headers.push(other("Accept", accepted.join(", ")));
    Some(refusal)
}

impl Endpoint {
    pub(super) fn respond(
        &mut self,
        request: &rsip::Request,
        status: StatusCode,
        to_tag: Option<&str>,
        peer: Peer,
    ) -> rsip::Response {
        msg::response_to(request, status, to_tag, peer.addr)
    }

    /// Sends a response through its server transaction (creating none).
    pub(super) fn send_response(&mut self, now: Instant, tx_id: u64, response: rsip::Response) {
        let code = response.status_code.code();
        let bytes = wire::to_bytes(&response.into());
        let Some(entry) = self.transactions.get_mut(&tx_id) else {
            return;
        };
        if entry.tx.on_send_response(now, code, bytes.clone()) {
            let peer = entry.peer;
            let deadline = entry.tx.deadline();
            self.transmit(peer, bytes);
            self.schedule(deadline, TimerKey::Tx(tx_id));
            if self
                .transactions
                .get(&tx_id)
                .is_some_and(|e| e.tx.deadline() == Some(now))
            {
                // Zero wait (reliable transport): finish at once.
                self.handle_timeout(now);
            }
        }
    }

    pub(super) fn new_server_tx(
        &mut self,
        key: TxKey,
        kind: Kind,
        peer: Peer,
        method: Method,
        call: Option<CallHandle>,
    ) -> u64 {
        let id = self.alloc_id();
        let tx = Transaction::server(kind, peer.transport.is_reliable(), self.config.timers);
        self.tx_index.insert(key.clone(), id);
        self.transactions.insert(
            id,
            TxEntry {
                key,
                tx,
                peer,
                call,
                method,
            },
        );
        if let Some(source) = self.sources.get_mut(&peer.addr.ip()) {
            source.live_transactions += 1;
        }
        metrics::gauge!("hotline_sip_transactions").set(self.transactions.len() as f64);
        id
    }

    pub(super) fn handle_request(
        &mut self,
        now: Instant,
        from: Peer,
        request: rsip::Request,
        essentials: Essentials,
    ) {
        let key = TxKey::server(&essentials, &request.method);
        // Retransmissions and the ACK of a non-2xx final belong to an existing transaction.
        if let Some(&tx_id) = self.tx_index.get(&key) {
            if let Some(entry) = self.transactions.get_mut(&tx_id) {
                if request.method == Method::Ack {
                    if entry.tx.on_ack(now) {
                        let deadline = entry.tx.deadline();
                        self.schedule(deadline, TimerKey::Tx(tx_id));
                        return;
                    }
                    // An ACK for a 2xx with the INVITE's branch (RFC 2543 style): dialog level below.
                } else if entry.method == request.method {
                    if let Some(bytes) = entry.tx.on_request_retransmission() {
                        let peer = entry.peer;
                        self.transmit(peer, bytes);
                    }
                    return;
                }
            }
        }
        if request.method != Method::Ack {
            if self.is_scanner(&request) {
                self.counters.scanner_drops += 1;
                return;
            }
            if !self.admit(now, from.addr.ip()) {
                self.counters.rate_limited += 1;
                metrics::counter!("hotline_sip_rate_limited_total").increment(1);
                return;
            }
        }
        if request.method != Method::Ack {
            if let Some(refusal) = self.request_refusal(&request, &essentials, &key) {
                let kind = if request.method == Method::Invite {
                    Kind::ServerInvite
                } else {
                    Kind::ServerNonInvite
                };
                let method = request.method;
                let tx = self.new_server_tx(key, kind, from, method, None);
                let mut response =
                    self.respond(&request, refusal.status, Some(&msg::random_token()), from);
                response.headers.extend(refusal.headers);
                self.send_response(now, tx, response);
                return;
            }
        }
        match request.method {
            Method::Ack => self.handle_ack(now, &request, &essentials),
            Method::Cancel => self.handle_cancel(now, from, key, request, &essentials),
            Method::Invite if essentials.to_tag.is_none() => {
                self.handle_initial_invite(now, from, key, request, essentials)
            }
            Method::Register => self.handle_register(now, from, key, request, &essentials),
            Method::Options if essentials.to_tag.is_none() => {
                let tx = self.new_server_tx(key, Kind::ServerNonInvite, from, request.method, None);
                // A draining node says so to the probes of the edge in front
                // (Kamailio's dispatcher), which then sends it no new calls.
                if !self.accepting {
                    let mut response = self.respond(
                        &request,
                        StatusCode::ServiceUnavailable,
                        Some(&msg::random_token()),
                        from,
                    );
                    response.headers.push(other(
                        "Retry-After",
                        self.config.retry_after.as_secs().to_string(),
                    ));
                    self.send_response(now, tx, response);
                    return;
                }
                let mut response =
                    self.respond(&request, StatusCode::OK, Some(&msg::random_token()), from);
                response.headers.push(allow_header());
                response.headers.push(other("Accept", "application/sdp"));
                self.send_response(now, tx, response);
            }
            _ if essentials.to_tag.is_some() => {
                self.handle_in_dialog(now, from, key, request, essentials)
            }
            method => {
                let kind = if method == Method::Invite {
                    Kind::ServerInvite
                } else {
                    Kind::ServerNonInvite
                };
                let tx = self.new_server_tx(key, kind, from, method, None);
                let status = match method {
                    Method::Bye
                    | Method::Info
                    | Method::Refer
                    | Method::Notify
                    | Method::Update
                    | Method::PRack => StatusCode::CallTransactionDoesNotExist,
                    _ => StatusCode::MethodNotAllowed,
                };
                let mut response = self.respond(&request, status, Some(&msg::random_token()), from);
                response.headers.push(allow_header());
                self.send_response(now, tx, response);
            }
        }
    }

    /// The request-processing checks of RFC 3261 §8.2 that come before a
    /// request is acted on, in the order the RFC gives them: the
    /// Request-URI's scheme (§8.2.2.1, 416), merged requests (§8.2.2.2,
    /// 482), Require (§8.2.2.3, 420) and the body's type and encoding
    /// (§8.2.3, 415). `None`: go on. ACK is never refused; CANCEL only for
    /// its URI scheme (§8.2.2.3 exempts it from Require).
    fn request_refusal(
        &mut self,
        request: &rsip::Request,
        essentials: &Essentials,
        key: &TxKey,
    ) -> Option<Refusal> {
        let scheme_ok = matches!(
            request.uri.scheme,
            None | Some(rsip::Scheme::Sip) | Some(rsip::Scheme::Sips)
        );
        if !scheme_ok {
            return Some(Refusal::new(StatusCode::UnsupportedUriScheme));
        }
        if request.method == Method::Cancel {
            return None;
        }
        if essentials.to_tag.is_none() {
            if let Some(from_tag) = &essentials.from_tag {
                let merge = MergeKey {
                    call_id: essentials.call_id.clone(),
                    from_tag: from_tag.clone(),
                    cseq: essentials.cseq,
                    method: request.method.to_string(),
                };
                match self.merge_index.get(&merge) {
                    // The same request already arrived by another path
                    // (forked upstream): answer this copy 482.
                    Some(other) if other != key && self.tx_index.contains_key(other) => {
                        return Some(Refusal::new(StatusCode::LoopDetected));
                    }
                    _ => {
                        if self.merge_index.len() >= self.merge_prune_at {
                            let live = &self.tx_index;
                            self.merge_index.retain(|_, k| live.contains_key(k));
                            self.merge_prune_at = (self.merge_index.len() * 2).max(10_000);
                        }
                        self.merge_index.insert(merge, key.clone());
                    }
                }
            }
        }
        let required: Vec<String> = request
            .headers
            .iter()
            .filter_map(|h| match h {
                Header::Require(v) => Some(v.value().to_owned()),
                Header::Other(name, v) if name.eq_ignore_ascii_case("Require") => Some(v.clone()),
                _ => None,
            })
            .flat_map(|v| {
                v.split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect();
        if !required.is_empty() {
            // This user agent implements no option tag a request may require.
            let mut refusal = Refusal::new(StatusCode::BadExtension);
            refusal
                .headers
                .push(other("Unsupported", required.join(", ")));
            return Some(refusal);
        }
        if !request.body.is_empty() {
            if let Some(refusal) = body_refusal(request) {
                return Some(refusal);
            }
        }
        None
    }

    fn handle_initial_invite(
        &mut self,
        now: Instant,
        from: Peer,
        key: TxKey,
        request: rsip::Request,
        essentials: Essentials,
    ) {
        let source_ip = from.addr.ip();
        let trusted = self.config.trusted_sources.contains(&source_ip);
        // An untrusted address over UDP may not be where the INVITE came
        // from: a rejection is sent once, statelessly (§8.2.7), instead of
        // from a transaction that would repeat it ten times to the victim
        // of a spoofed source. A retransmitted INVITE is rejected again.
        let stateless = !trusted && !from.transport.is_reliable();
        let tx = (!stateless).then(|| {
            self.new_server_tx(key.clone(), Kind::ServerInvite, from, Method::Invite, None)
        });
        let local_tag = msg::random_token();
        let reject = |this: &mut Self, status: StatusCode, extra: Option<Header>| {
            let mut response = this.respond(&request, status, Some(&local_tag), from);
            response.headers.extend(extra.into_iter().collect());
            match tx {
                Some(tx) => this.send_response(now, tx, response),
                None => this.transmit(from, wire::to_bytes(&response.into())),
            }
        };
        if !self.accepting || self.calls.len() >= self.config.max_calls {
            self.counters.overload_rejections += 1;
            metrics::counter!("hotline_sip_overload_rejections_total").increment(1);
            let retry = other("Retry-After", self.config.retry_after.as_secs().to_string());
            return reject(self, StatusCode::ServiceUnavailable, Some(retry));
        }
        if !trusted {
            let unconfirmed = self
                .unconfirmed_by_source
                .get(&source_ip)
                .copied()
                .unwrap_or(0);
            if unconfirmed >= self.config.max_unconfirmed_calls_per_source {
                self.counters.source_call_limit_rejections += 1;
                metrics::counter!("hotline_sip_source_call_limit_rejections_total").increment(1);
                let retry = other("Retry-After", self.config.retry_after.as_secs().to_string());
                return reject(self, StatusCode::ServiceUnavailable, Some(retry));
            }
            let of_source = self.calls_by_source.get(&source_ip).copied().unwrap_or(0);
            let reserved = if self.config.trusted_sources.is_empty() {
                0
            } else {
                self.config.reserved_for_trusted
            };
            let untrusted_room = self.config.max_calls.saturating_sub(reserved);
            if of_source >= self.config.max_calls_per_source
                || self.untrusted_calls >= untrusted_room
            {
                self.counters.source_call_limit_rejections += 1;
                metrics::counter!("hotline_sip_source_call_limit_rejections_total").increment(1);
                let retry = other("Retry-After", self.config.retry_after.as_secs().to_string());
                return reject(self, StatusCode::ServiceUnavailable, Some(retry));
            }
        }
        let called = request.uri.user().unwrap_or_default().to_owned();
        if !self.config.numbers.contains(&called) {
            return reject(self, StatusCode::NotFound, None);
        }
        let remote_media = if request.body.is_empty() {
            None
        } else {
            let srtp = self.config.srtp_policy_for(source_ip);
            match sdp::negotiate_offer(&request.body, &self.config.codecs, srtp) {
                Ok(media) => Some(media),
                Err(error) => {
                    let code = error.warn_code();
                    let warning = other("Warning", format!("{code} hotline \"{error}\""));
                    return reject(self, StatusCode::NotAcceptableHere, Some(warning));
                }
            }
        };
        let from_value = first_header(&request, "From")
            .unwrap_or_default()
            .to_owned();
        let to_value = first_header(&request, "To").unwrap_or_default().to_owned();
        let caller = msg::uri_user(&from_value).unwrap_or_default().to_owned();
        let caller_display = display_name(&from_value);
        let remote_target = match first_header(&request, "Contact") {
            Some(contact) => {
                let target = header_uri(msg::first_of_list(contact));
                if msg::parse_uri(target).is_none() {
                    // The dialog's requests (BYE) would go to an address no
                    // one can read: refuse the call now (RFC 3261 §8.2.3).
                    let warning = other("Warning", "399 hotline \"the Contact is no SIP URI\"");
                    return reject(self, StatusCode::BadRequest, Some(warning));
                }
                target.to_owned()
            }
            None => header_uri(&from_value).to_owned(),
        };
        let tx = match tx {
            Some(tx) => tx,
            None => self.new_server_tx(key, Kind::ServerInvite, from, Method::Invite, None),
        };
        let id = self.alloc_id();
        let handle = CallHandle(id);
        if let Some(entry) = self.transactions.get_mut(&tx) {
            entry.call = Some(handle);
        }
        self.dialogs
            .insert((essentials.call_id.clone(), local_tag.clone()), id);
        self.calls.insert(
            id,
            Call {
                role: Role::Uas,
                state: CallState::Early,
                call_id: essentials.call_id.clone(),
                local_tag: local_tag.clone(),
                remote_tag: essentials.from_tag.clone(),
                local_uri: strip_tag(&to_value),
                remote_uri: strip_tag(&from_value),
                remote_target,
                route_set: msg::record_routes(&request),
                local_cseq: 0,
                remote_cseq: Some(essentials.cseq),
                peer: from,
                invite_tx: Some(tx),
                invite: Some(request),
                local_media: None,
                ok_retransmit: None,
                ack_bytes: None,
                hangup_after_ack: false,
                cancel_on_provisional: false,
                ring_deadline: None,
                ending_reason: "",
                unconfirmed: !trusted,
            },
        );
        if !trusted {
            *self.calls_by_source.entry(source_ip).or_insert(0) += 1;
            *self.unconfirmed_by_source.entry(source_ip).or_insert(0) += 1;
            self.untrusted_calls += 1;
        }
        self.counters.calls_started += 1;
        metrics::gauge!("hotline_sip_active_calls").set(self.calls.len() as f64);
        // 100 Trying at once, so the caller stops retransmitting (§17.2.1).
        if let Some(call) = self.calls.get(&id) {
            if let Some(invite) = &call.invite {
                let trying = msg::response_to(invite, StatusCode::Trying, None, from.addr);
                self.send_response(now, tx, trying);
            }
        }
        self.event(Event::IncomingCall {
            call: handle,
            caller,
            caller_display,
            called,
            sip_call_id: essentials.call_id,
            source: from,
            remote_media,
        });
    }

    fn handle_ack(&mut self, now: Instant, request: &rsip::Request, essentials: &Essentials) {
        let Some(to_tag) = &essentials.to_tag else {
            return;
        };
        let Some(&id) = self
            .dialogs
            .get(&(essentials.call_id.clone(), to_tag.clone()))
        else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // §13.2.2.4: the ACK carries the CSeq number of the INVITE it
        // acknowledges. Compare with that INVITE, not with the last remote
        // CSeq: an INFO or OPTIONS sent before the ACK must not make it stray.
        let invite_cseq = call.invite.as_ref().and_then(|invite| {
            first_header(invite, "CSeq")?
                .split_whitespace()
                .next()?
                .parse::<u32>()
                .ok()
        });
        if call.state != CallState::Answered || invite_cseq != Some(essentials.cseq) {
            return; // A retransmitted or stray ACK.
        }
        let reinvite = call.ok_retransmit.as_ref().is_some_and(|ok| ok.reinvite);
        call.ok_retransmit = None;
        call.state = CallState::Confirmed;
        let confirmed_source = std::mem::take(&mut call.unconfirmed).then(|| call.peer.addr.ip());
        let late_answer = if call.invite.as_ref().is_some_and(|i| i.body.is_empty())
            && !request.body.is_empty()
        {
            sdp::negotiate(&request.body, &self.config.codecs).ok()
        } else {
            None
        };
        call.invite = None;
        let hangup = call.hangup_after_ack;
        if let Some(ip) = confirmed_source {
            self.release_unconfirmed(ip);
        }
        if !reinvite {
            self.event(Event::CallConfirmed {
                call: CallHandle(id),
                remote_media: late_answer,
            });
        } else if let Some(media) = late_answer {
            // A re-INVITE without an offer: the ACK carried the new session.
            self.event(Event::RemoteMediaChanged {
                call: CallHandle(id),
                media,
            });
        }
        if hangup {
            self.send_bye(now, id, "local_hangup");
        }
    }

    fn handle_cancel(
        &mut self,
        now: Instant,
        from: Peer,
        key: TxKey,
        request: rsip::Request,
        essentials: &Essentials,
    ) {
        let tx = self.new_server_tx(key, Kind::ServerNonInvite, from, Method::Cancel, None);
        let invite_key = TxKey::server(essentials, &Method::Invite);
        let invite_tx = self.tx_index.get(&invite_key).copied();
        let Some(invite_tx) = invite_tx else {
            let response = self.respond(
                &request,
                StatusCode::CallTransactionDoesNotExist,
                None,
                from,
            );
            return self.send_response(now, tx, response);
        };
        let ok = self.respond(&request, StatusCode::OK, None, from);
        self.send_response(now, tx, ok);
        let Some(entry) = self.transactions.get(&invite_tx) else {
            return;
        };
        // A CANCEL that crossed our 200 OK changes nothing: the caller ACKs and sends BYE.
        if entry.tx.state != State::Proceeding {
            return;
        }
        let Some(CallHandle(id)) = entry.call else {
            return;
        };
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if let Some(invite) = &call.invite {
            let terminated = msg::response_to(
                invite,
                StatusCode::RequestTerminated,
                Some(&call.local_tag),
                from.addr,
            );
            self.send_response(now, invite_tx, terminated);
        }
        self.end_call(id, EndedBy::Remote, "cancel");
    }

    fn handle_register(
        &mut self,
        now: Instant,
        from: Peer,
        key: TxKey,
        request: rsip::Request,
        essentials: &Essentials,
    ) {
        let tx = self.new_server_tx(key, Kind::ServerNonInvite, from, Method::Register, None);
        let to_value = first_header(&request, "To").unwrap_or_default().to_owned();
        let to_user = msg::uri_user(&to_value).unwrap_or_default().to_owned();
        let contact = first_header(&request, "Contact").map(|c| msg::first_of_list(c).to_owned());
        let expires = contact
            .as_deref()
            .and_then(|c| header_param(c, "expires"))
            .or(first_header(&request, "Expires"))
            .and_then(|e| e.trim().parse().ok());
        let authorization = first_header(&request, "Authorization").map(str::to_owned);
        let outcome = self.registrar.register(
            &RegisterRequest {
                to_user: &to_user,
                authorization: authorization.as_deref(),
                contact: contact.as_deref(),
                expires,
                source: from.addr,
                transport: from.transport,
                request_uri: &request.uri,
                trusted: self.config.trusted_sources.contains(&from.addr.ip()),
            },
            now,
        );
        let _ = essentials;
        let tag = msg::random_token();
        let response = match outcome {
            RegisterOutcome::Challenge { headers } => {
                let mut r = self.respond(&request, StatusCode::Unauthorized, Some(&tag), from);
                for h in headers {
                    r.headers.push(other("WWW-Authenticate", h));
                }
                r
            }
            RegisterOutcome::Rejected { user, reason } => {
                self.counters.auth_failures += 1;
                metrics::counter!("hotline_sip_auth_failures_total").increment(1);
                self.event(Event::AuthFailed {
                    source: from.addr.ip(),
                    user,
                    reason,
                });
                let mut r = self.respond(&request, StatusCode::Forbidden, Some(&tag), from);
                r.headers
                    .push(other("Warning", format!("399 hotline \"{reason}\"")));
                r
            }
            RegisterOutcome::Blocked => {
                self.counters.auth_failures += 1;
                self.respond(&request, StatusCode::Forbidden, Some(&tag), from)
            }
            RegisterOutcome::IntervalTooBrief { min } => {
                let mut r = self.respond(&request, StatusCode::IntervalTooBrief, Some(&tag), from);
                r.headers
                    .push(other("Min-Expires", min.as_secs().to_string()));
                r
            }
            RegisterOutcome::Accepted {
                user,
                contact,
                expires,
            } => {
                let mut r = self.respond(&request, StatusCode::OK, Some(&tag), from);
                match &contact {
                    Some(c) => {
                        r.headers.push(other(
                            "Contact",
                            format!("<{c}>;expires={}", expires.as_secs()),
                        ));
                        self.event(Event::Registered {
                            user,
                            contact: c.clone(),
                            source: from,
                            expires,
                        });
                    }
                    None if expires.is_zero() => self.event(Event::Unregistered { user }),
                    None => {}
                }
                r
            }
        };
        self.send_response(now, tx, response);
    }
}

fn strip_tag(value: &str) -> String {
    match value.rfind('>') {
        Some(close) => value[..=close].to_owned(),
        None => value.split(";tag=").next().unwrap_or(value).to_owned(),
    }
}

fn display_name(value: &str) -> Option<String> {
    let before = value.split('<').next()?.trim();
    let name = before.trim_matches('"').trim();
    (!name.is_empty() && value.contains('<')).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names() {
        assert_eq!(
            display_name("\"Li Wei\" <sip:1@h>;tag=x").as_deref(),
            Some("Li Wei")
        );
        assert_eq!(display_name("<sip:1@h>"), None);
        assert_eq!(strip_tag("<sip:1@h>;tag=x"), "<sip:1@h>");
    }
}
