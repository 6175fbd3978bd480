//! SRTP by SDES (RFC 4568) follows the configured policy: an RTP/SAVP offer
//! is answered RTP/SAVP with the offer line's tag and a key of ours; a
//! phone that requires plain RTP or SRTP it cannot have gets 488 with a
//! 302 Warning, per source (trunks) or for everyone else; a re-INVITE keeps
//! the call's transport and our key.

mod support;

use std::collections::HashMap;
use std::net::IpAddr;

use hotline_sip::sdp::{negotiate, SdesCrypto};
use hotline_sip::{Codec, EndpointConfig, Event, NegotiatedMedia, SrtpPolicy, TransportProfile};
use support::*;

/// RFC 4568 §8.1's example key.
const KEY: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
const TRUNK_ADDR: &str = "127.0.0.9:5060";

fn savp_offer(port: u16, crypto: &[&str]) -> String {
    let lines: String = crypto
        .iter()
        .map(|line| format!("a=crypto:{line}\r\n"))
        .collect();
    format!("{}{lines}", sipp_offer(port).replace("RTP/AVP", "RTP/SAVP"))
}

fn config(srtp: SrtpPolicy) -> EndpointConfig {
    EndpointConfig {
        srtp,
        ..EndpointConfig::default()
    }
}

/// The caller's media as the endpoint reported it in IncomingCall.
fn incoming_media(h: &mut Harness) -> (hotline_sip::CallHandle, NegotiatedMedia) {
    h.take_events()
        .into_iter()
        .find_map(|e| match e {
            Event::IncomingCall {
                call,
                remote_media: Some(media),
                ..
            } => Some((call, media)),
            _ => None,
        })
        .expect("an IncomingCall with an offer")
}

/// The INVITE just delivered got 488 with a 302 Warning saying `why`, and
/// no call came of it.
fn refused_with_302(h: &mut Harness, why: &str) {
    let calls_before = h.endpoint.active_calls();
    let sent = h.take_one();
    assert_eq!(sent.status(), Some(488), "{}", sent.text());
    let warning = sent.header("Warning").unwrap_or_default();
    assert!(warning.starts_with("302 hotline "), "{warning}");
    assert!(warning.contains(why), "{warning}");
    assert!(h.take_events().is_empty(), "no call is created");
    assert_eq!(h.endpoint.active_calls(), calls_before);
}

#[test]
fn a_savp_offer_is_answered_savp_with_its_tag_and_our_own_key() {
    let mut h = Harness::new(); // phones and callers: Optional
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "srtp-1");
    let body = savp_offer(
        6000,
        &[
            &format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^20|1:4"),
            &format!("2 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^31"),
        ],
    );
    let invite = phone.invite_with_body(&body);
    h.deliver(phone.peer, &invite.bytes);
    assert_eq!(h.take_statuses(), vec![100]);
    let (call, offer) = incoming_media(&mut h);
    assert_eq!(offer.profile, TransportProfile::RtpSavp);
    let theirs = offer.crypto.clone().expect("the line without MKI");
    assert_eq!(theirs.tag, 2);

    // The controller answers with a key of its own for that line.
    let ours = SdesCrypto::answer_to(&theirs);
    let mut answer = local_media(20000);
    answer.crypto = Some(ours.clone());
    h.command(|e, now| e.call_answer(now, call, answer));
    let ok = h
        .take_sent()
        .into_iter()
        .find(|s| s.status() == Some(200))
        .expect("a 200 OK");
    let text = String::from_utf8_lossy(&ok.body()).into_owned();
    assert!(text.contains("m=audio 20000 RTP/SAVP 0 101\r\n"), "{text}");
    assert!(
        text.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:"),
        "{text}"
    );
    let seen_by_phone = negotiate(&ok.body(), &[Codec::Pcmu]).unwrap();
    assert_eq!(seen_by_phone.crypto, Some(ours.clone()));
    assert_ne!(ours.key, theirs.key);

    // A re-INVITE with a new key and tag: answered with the same key of
    // ours under the new tag, and the new key of theirs is reported.
    phone.learn(&ok);
    h.deliver(phone.peer, &phone.ack_2xx(&invite));
    h.take_events();
    let renewed = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVa";
    let rekey = phone.reinvite(&savp_offer(
        6000,
        &[&format!("7 AES_CM_128_HMAC_SHA1_32 inline:{renewed}")],
    ));
    h.deliver(phone.peer, &rekey.bytes);
    let ok = h.take_one();
    assert_eq!(ok.status(), Some(200), "{}", ok.text());
    let answer = negotiate(&ok.body(), &[Codec::Pcmu]).unwrap();
    let now_ours = answer.crypto.unwrap();
    assert_eq!((now_ours.tag, now_ours.key), (7, ours.key));
    let events = h.take_events();
    let [Event::RemoteMediaChanged { media, .. }] = events.as_slice() else {
        panic!("expected RemoteMediaChanged, got {events:?}")
    };
    assert_eq!(media.crypto.as_ref().map(|c| c.tag), Some(7));
    assert_ne!(media.crypto.as_ref().map(|c| &c.key), Some(&theirs.key));

    // Dropping to plain RTP mid-call is refused; the call stays.
    phone.learn(&ok);
    h.deliver(phone.peer, &phone.ack_2xx(&rekey));
    h.deliver(phone.peer, &phone.reinvite(&sipp_offer(6000)).bytes);
    let refused = h.take_one();
    assert_eq!(refused.status(), Some(488));
    assert!(refused.header("Warning").unwrap().starts_with("302 "));
    assert_eq!(h.endpoint.active_calls(), 1);
}

#[test]
fn plain_rtp_is_refused_where_srtp_is_required() {
    let mut h = Harness::with_config(config(SrtpPolicy::Required));
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "srtp-2");
    h.deliver(phone.peer, &phone.invite_with_body(&sipp_offer(6000)).bytes);
    refused_with_302(&mut h, "SRTP is required");
}

#[test]
fn srtp_is_refused_where_it_is_off() {
    let mut h = Harness::with_config(config(SrtpPolicy::Off));
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "srtp-3");
    let body = savp_offer(6000, &[&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}")]);
    h.deliver(phone.peer, &phone.invite_with_body(&body).bytes);
    refused_with_302(&mut h, "SRTP is off");

    // Plain RTP is a call as ever.
    let mut plain = Phone::caller(CALLER_ADDR, "12345", "srtp-4");
    h.deliver(plain.peer, &plain.invite_with_body(&sipp_offer(6000)).bytes);
    let (_, media) = incoming_media(&mut h);
    assert_eq!(
        (media.profile, media.crypto),
        (TransportProfile::RtpAvp, None)
    );
}

#[test]
fn a_savp_offer_without_a_usable_key_is_refused_even_where_optional() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "srtp-5");
    let body = savp_offer(
        6000,
        &[
            &format!("1 AES_256_CM_HMAC_SHA1_80 inline:{KEY}{KEY}"),
            &format!("2 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^31|1:4"),
        ],
    );
    h.deliver(phone.peer, &phone.invite_with_body(&body).bytes);
    refused_with_302(&mut h, "no a=crypto line we support");
}

#[test]
fn each_trunk_has_its_own_policy() {
    let trunk_ip: IpAddr = addr(TRUNK_ADDR).ip();
    let mut h = Harness::with_config(EndpointConfig {
        srtp: SrtpPolicy::Required,
        srtp_by_source: HashMap::from([(trunk_ip, SrtpPolicy::Off)]),
        ..EndpointConfig::default()
    });
    // The trunk (a gateway without SRTP) reaches the hotline in clear...
    let mut trunk = Phone::caller(TRUNK_ADDR, "12345", "srtp-6");
    h.deliver(trunk.peer, &trunk.invite_with_body(&sipp_offer(6000)).bytes);
    let (_, media) = incoming_media(&mut h);
    assert_eq!(media.crypto, None);
    h.take_sent();
    // ...while a phone elsewhere must use SRTP.
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "srtp-7");
    h.deliver(phone.peer, &phone.invite_with_body(&sipp_offer(6002)).bytes);
    refused_with_302(&mut h, "SRTP is required");
    assert_eq!(h.endpoint.active_calls(), 1, "the trunk's call alone");
}
