//! Client registration: this endpoint registering itself with a registrar
//! (an agent's phone in `hotline simulate`, or the hotline with a SIP trunk
//! provider), with digest authentication (RFC 3261 §10.2 and §22.2; RFC 7616
//! and RFC 8760: MD5 and SHA-256, qop=auth with nc and cnonce).
//!
//! [`ClientRegistration`] owns what one registration knows (Call-ID, CSeq,
//! the last challenge and its nonce-count) and decides what a final response
//! means: registered for how long, answer a challenge, use a longer expiry,
//! or give up. It builds the REGISTER requests but sends nothing and reads
//! no clock; the [`crate::Endpoint`] runs them in client transactions and
//! sets the refresh timer.
//!
//! Must not touch: the registrar side (phones registering with us) lives in
//! [`crate::registrar`].

use std::net::SocketAddr;
use std::time::Duration;

use rsip::{Header, Method};

use crate::endpoint::Peer;
use crate::msg::{self, other};
use crate::registrar::{split_params, Algorithm};

/// Identifies one registration of this endpoint with a registrar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationId(pub u64);

/// What to register, where, and with which credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The REGISTER's Request-URI: the registrar's domain (`sip:trunk.example.gov`).
    pub registrar_uri: String,
    /// Where to send the requests.
    pub peer: Peer,
    /// The address-of-record is `sip:{user}@{domain}` (From and To).
    pub user: String,
    pub domain: String,
    /// The digest username (often the same as `user`).
    pub auth_user: String,
    pub password: String,
    /// The user part of our Contact: the Request-URI user of calls to us.
    pub contact_user: String,
    /// The expiry asked for; the registrar may grant less (or more, RFC 3261 §10.2.1).
    pub expires: Duration,
    /// After a failure (rejection, no answer) try again this much later;
    /// `None`: give up and report it only.
    pub retry_after_failure: Option<Duration>,
}

impl Registration {
    /// `user` registering with the registrar at `peer` (its address as the
    /// domain), password `password`, for an hour, retried a minute after a
    /// failure.
    pub fn new(peer: Peer, user: impl Into<String>, password: impl Into<String>) -> Self {
        let user = user.into();
        let domain = host_port(peer.addr);
        Self {
            registrar_uri: format!("sip:{domain}"),
            peer,
            auth_user: user.clone(),
            contact_user: user.clone(),
            user,
            domain,
            password: password.into(),
            expires: Duration::from_secs(3600),
            retry_after_failure: Some(Duration::from_secs(60)),
        }
    }
}

/// `host:port` as it is written in a SIP URI (IPv6 in brackets).
fn host_port(addr: SocketAddr) -> String {
    addr.to_string()
}

/// A `WWW-Authenticate` or `Proxy-Authenticate` challenge we can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Challenge {
    /// 407 (answer in Proxy-Authorization) rather than 401.
    proxy: bool,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Algorithm,
    /// The server offered qop=auth (else the RFC 2069 form is used).
    qop_auth: bool,
    stale: bool,
}

impl Challenge {
    /// Parses one challenge; `None` if it is not Digest, or asks for an
    /// algorithm or qop we do not speak (auth-int, -sess variants).
    fn parse(value: &str, proxy: bool) -> Option<Self> {
        let (scheme, params) = value.trim().split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let mut challenge = Challenge {
            proxy,
            realm: String::new(),
            nonce: String::new(),
            opaque: None,
            algorithm: Algorithm::Md5,
            qop_auth: false,
            stale: false,
        };
        let mut qop_offered = false;
        for (key, value) in split_params(params) {
            match key.to_ascii_lowercase().as_str() {
                "realm" => challenge.realm = value,
                "nonce" => challenge.nonce = value,
                "opaque" => challenge.opaque = Some(value),
                "stale" => challenge.stale = value.eq_ignore_ascii_case("true"),
                "algorithm" => {
                    challenge.algorithm = match value.to_ascii_uppercase().as_str() {
                        "MD5" => Algorithm::Md5,
                        "SHA-256" => Algorithm::Sha256,
                        _ => return None,
                    }
                }
                "qop" => {
                    qop_offered = true;
                    challenge.qop_auth = value
                        .split(',')
                        .any(|q| q.trim().eq_ignore_ascii_case("auth"));
                }
                _ => {}
            }
        }
        if challenge.nonce.is_empty() || (qop_offered && !challenge.qop_auth) {
            return None;
        }
        Some(challenge)
    }
}

/// The digest `response` value (RFC 7616 §3.4.1, or RFC 2069 without qop).
/// `credentials` is `username:realm:password` (A1), `request` is
/// `method:uri` (A2), `qop` the nonce-count and cnonce.
fn digest_response(
    algorithm: Algorithm,
    credentials: &str,
    request: &str,
    nonce: &str,
    qop: Option<(&str, &str)>,
) -> String {
    let ha1 = algorithm.hash(credentials);
    let ha2 = algorithm.hash(request);
    match qop {
        Some((nc, cnonce)) => algorithm.hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")),
        None => algorithm.hash(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

/// What a final response to our REGISTER means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The binding holds for this long.
    Registered {
        expires: Duration,
    },
    /// Our un-REGISTER was accepted.
    Unregistered,
    /// Send the REGISTER again now (answering a challenge, or with the
    /// registrar's Min-Expires).
    Again,
    Failed {
        status: u16,
        reason: &'static str,
    },
}

/// One registration's protocol state (no timers, no transactions).
#[derive(Debug)]
pub(crate) struct ClientRegistration {
    pub(crate) config: Registration,
    call_id: String,
    from_tag: String,
    cseq: u32,
    challenge: Option<Challenge>,
    nonce_count: u32,
    /// 401/407 answers since the last success: a second one for fresh
    /// credentials means they are wrong (unless the nonce was stale).
    challenged_in_a_row: u32,
    /// The expiry the next REGISTER asks for (raised by 423).
    pub(crate) expires: Duration,
    /// What the request in flight asked for (zero: un-REGISTER).
    in_flight_expires: Duration,
    /// The registrar holds our binding (as far as we know).
    pub(crate) registered: bool,
}

impl ClientRegistration {
    pub(crate) fn new(config: Registration) -> Self {
        let expires = config.expires;
        Self {
            config,
            call_id: format!("{}@hotline", msg::random_token()),
            from_tag: msg::random_token(),
            cseq: 0,
            challenge: None,
            nonce_count: 0,
            challenged_in_a_row: 0,
            expires,
            in_flight_expires: expires,
            registered: false,
        }
    }

    /// A refresh or a retry starts: a challenge to it may be answered again.
    pub(crate) fn new_attempt(&mut self) {
        self.challenged_in_a_row = 0;
    }

    /// The next REGISTER (refresh when `unregister` is false, else Expires: 0)
    /// from `advertised`, with credentials if a challenge is known
    /// (RFC 3261 §22.2: a client may reuse a nonce with the next nonce-count).
    pub(crate) fn request(
        &mut self,
        advertised: SocketAddr,
        branch: &str,
        unregister: bool,
    ) -> rsip::Request {
        self.cseq += 1;
        let expires = if unregister {
            Duration::ZERO
        } else {
            self.expires
        };
        self.in_flight_expires = expires;
        let config = &self.config;
        let transport = config.peer.transport;
        let aor = format!("<sip:{}@{}>", config.user, config.domain);
        let suffix = transport.uri_suffix();
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(
            format!(
                "SIP/2.0/{} {advertised};branch={branch};rport",
                transport.via_name()
            )
            .into(),
        ));
        headers.push(Header::MaxForwards(70.into()));
        headers.push(Header::From(format!("{aor};tag={}", self.from_tag).into()));
        headers.push(Header::To(aor.into()));
        headers.push(Header::CallId(self.call_id.clone().into()));
        headers.push(Header::CSeq(format!("{} REGISTER", self.cseq).into()));
        headers.push(other(
            "Contact",
            format!("<sip:{}@{advertised}{suffix}>", config.contact_user),
        ));
        headers.push(other("Expires", expires.as_secs().to_string()));
        if let Some(authorization) = self.authorization() {
            let name = match self.challenge.as_ref().is_some_and(|c| c.proxy) {
                true => "Proxy-Authorization",
                false => "Authorization",
            };
            headers.push(other(name, authorization));
        }
        let config = &self.config;
        let uri = msg::parse_uri(&config.registrar_uri)
            .or_else(|| msg::parse_uri(&format!("sip:{}", config.peer.addr)))
            .unwrap_or_default();
        rsip::Request {
            method: Method::Register,
            uri,
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        }
    }

    /// The Authorization value for the known challenge, with the next nonce-count.
    fn authorization(&mut self) -> Option<String> {
        let challenge = self.challenge.as_ref()?;
        let config = &self.config;
        let uri = &config.registrar_uri;
        let credentials = format!(
            "{}:{}:{}",
            config.auth_user, challenge.realm, config.password
        );
        let request = format!("REGISTER:{uri}");
        let mut value = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", algorithm={}",
            config.auth_user,
            challenge.realm,
            challenge.nonce,
            challenge.algorithm.name()
        );
        let response = if challenge.qop_auth {
            self.nonce_count += 1;
            let nc = format!("{:08x}", self.nonce_count);
            let cnonce = msg::random_token();
            let response = digest_response(
                challenge.algorithm,
                &credentials,
                &request,
                &challenge.nonce,
                Some((&nc, &cnonce)),
            );
            value.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
            response
        } else {
            digest_response(
                challenge.algorithm,
                &credentials,
                &request,
                &challenge.nonce,
                None,
            )
        };
        value.push_str(&format!(", response=\"{response}\""));
        if let Some(opaque) = &challenge.opaque {
            value.push_str(&format!(", opaque=\"{opaque}\""));
        }
        Some(value)
    }

    /// What the final response to our last REGISTER means.
    pub(crate) fn on_final_response(&mut self, response: &rsip::Response) -> Decision {
        let status = response.status_code.code();
        match status {
            200..=299 => {
                self.challenged_in_a_row = 0;
                if self.in_flight_expires.is_zero() {
                    self.registered = false;
                    return Decision::Unregistered;
                }
                let expires = self.granted_expires(response);
                if expires.is_zero() {
                    // A registrar that keeps no binding for us.
                    return Decision::Failed {
                        status,
                        reason: "the registrar kept no binding",
                    };
                }
                self.registered = true;
                Decision::Registered { expires }
            }
            401 | 407 => {
                self.challenged_in_a_row += 1;
                let name = if status == 407 {
                    "Proxy-Authenticate"
                } else {
                    "WWW-Authenticate"
                };
                // RFC 7616 §3.7: the server lists its preferred challenge first;
                // take the first one we can answer.
                let Some(challenge) = header_values(response, name)
                    .iter()
                    .find_map(|value| Challenge::parse(value, status == 407))
                else {
                    return Decision::Failed {
                        status,
                        reason: "no digest challenge we can answer",
                    };
                };
                // Fresh credentials refused: wrong password, unless the
                // nonce had merely expired (stale=true), which is retried a
                // bounded number of times.
                let retry = self.challenged_in_a_row == 1
                    || (challenge.stale && self.challenged_in_a_row <= 3);
                let new_nonce = self
                    .challenge
                    .as_ref()
                    .is_none_or(|known| known.nonce != challenge.nonce);
                if new_nonce {
                    self.nonce_count = 0;
                }
                self.challenge = Some(challenge);
                if retry {
                    Decision::Again
                } else {
                    Decision::Failed {
                        status,
                        reason: "the registrar refused our credentials",
                    }
                }
            }
            423 => {
                let min = header_values(response, "Min-Expires")
                    .first()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                match min {
                    Some(min) if min > self.expires && !self.in_flight_expires.is_zero() => {
                        self.expires = min;
                        Decision::Again
                    }
                    _ => Decision::Failed {
                        status,
                        reason: "interval too brief",
                    },
                }
            }
            _ => Decision::Failed {
                status,
                reason: "the registrar rejected the registration",
            },
        }
    }

    /// The expiry granted for our contact: its `expires` parameter in the
    /// 200's Contact list, else the Expires header, else what we asked.
    fn granted_expires(&self, response: &rsip::Response) -> Duration {
        let ours = format!("sip:{}@", self.config.contact_user);
        let from_contact = header_values(response, "Contact")
            .iter()
            .flat_map(|line| split_list(line))
            .filter(|contact| msg::header_uri(contact).starts_with(&ours))
            .find_map(|contact| msg::header_param(contact, "expires")?.parse::<u64>().ok());
        let from_header = || {
            header_values(response, "Expires")
                .first()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        from_contact
            .or_else(from_header)
            .map(Duration::from_secs)
            .unwrap_or(self.in_flight_expires)
    }
}

/// When to refresh a binding granted for `expires`: early enough that a
/// lost request can be retransmitted until timer F (32 s over UDP) before
/// it lapses, and never later than half-way for short bindings.
pub(crate) fn refresh_after(expires: Duration) -> Duration {
    let margin = (expires / 2).min(Duration::from_secs(40));
    expires - margin
}

/// Every value of the header `name`, whether rsip typed it or not, one per
/// header line, as written.
fn header_values(response: &rsip::Response, name: &str) -> Vec<String> {
    response
        .headers
        .iter()
        .filter_map(|header| {
            let line = header.to_string();
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
        .collect()
}

/// Splits a comma-separated header value (commas in quotes or `<>` kept).
fn split_list(mut value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    while !value.trim().is_empty() {
        let first = msg::first_of_list(value);
        out.push(first);
        let consumed = value.find(first).map_or(value.len(), |i| i + first.len());
        value = value[consumed..].trim_start().trim_start_matches(',');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Transport;

    fn registration() -> ClientRegistration {
        let peer = Peer {
            transport: Transport::Udp,
            addr: "127.0.0.1:5060".parse().expect("an address"),
            connection: None,
        };
        ClientRegistration::new(Registration::new(peer, "alice", "s3cret"))
    }

    fn response(status: u16, headers: &[(&str, &str)]) -> rsip::Response {
        let mut text = format!("SIP/2.0 {status} Whatever\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx\r\nFrom: <sip:alice@127.0.0.1:5060>;tag=a\r\nTo: <sip:alice@127.0.0.1:5060>;tag=b\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n");
        for (k, v) in headers {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        match rsip::SipMessage::try_from(text.as_str()).expect("a response") {
            rsip::SipMessage::Response(r) => r,
            rsip::SipMessage::Request(_) => panic!("not a response"),
        }
    }

    #[test]
    fn the_rfc_7616_sha256_example_gives_its_response() {
        // RFC 7616 §3.9.1 (HTTP, but the computation is the same).
        let response = digest_response(
            Algorithm::Sha256,
            "Mufasa:http-auth@example.org:Circle of Life",
            "GET:/dir/index.html",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            Some(("00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")),
        );
        assert_eq!(
            response,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn the_first_answerable_challenge_is_taken_and_a_second_refusal_fails() {
        let mut reg = registration();
        let advertised = "127.0.0.1:5070".parse().expect("an address");
        let first = reg.request(advertised, "z9hG4bK1", false);
        assert!(msg::first_header(&first, "Authorization").is_none());
        let challenge = response(
            401,
            &[
                (
                    "WWW-Authenticate",
                    "Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-512-256, qop=\"auth\"",
                ),
                (
                    "WWW-Authenticate",
                    "Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\"",
                ),
                (
                    "WWW-Authenticate",
                    "Digest realm=\"r\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"",
                ),
            ],
        );
        assert_eq!(reg.on_final_response(&challenge), Decision::Again);
        let second = reg.request(advertised, "z9hG4bK2", false);
        let auth = wire_header(&second, "Authorization");
        assert!(auth.contains("algorithm=SHA-256"), "{auth}");
        assert!(auth.contains("nc=00000001"), "{auth}");
        assert!(matches!(
            reg.on_final_response(&challenge),
            Decision::Failed { status: 401, .. }
        ));
    }

    #[test]
    fn a_granted_expiry_comes_from_our_contact() {
        let mut reg = registration();
        reg.request(
            "127.0.0.1:5070".parse().expect("an address"),
            "z9hG4bK1",
            false,
        );
        let ok = response(
            200,
            &[(
                "Contact",
                "<sip:bob@10.0.0.1>;expires=900, <sip:alice@127.0.0.1:5070>;expires=120",
            )],
        );
        assert_eq!(
            reg.on_final_response(&ok),
            Decision::Registered {
                expires: Duration::from_secs(120)
            }
        );
        assert_eq!(
            refresh_after(Duration::from_secs(120)),
            Duration::from_secs(80)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(30)),
            Duration::from_secs(15)
        );
    }

    #[test]
    fn a_proxy_challenge_is_answered_in_proxy_authorization_with_its_opaque() {
        let mut reg = registration();
        let advertised = "127.0.0.1:5070".parse().expect("an address");
        reg.request(advertised, "z9hG4bK1", false);
        let challenge = response(
            407,
            &[(
                "Proxy-Authenticate",
                "Digest realm=\"trunk\", nonce=\"abc\", opaque=\"xyz\"",
            )],
        );
        assert_eq!(reg.on_final_response(&challenge), Decision::Again);
        let again = reg.request(advertised, "z9hG4bK2", false);
        let auth = wire_header(&again, "Proxy-Authorization");
        assert!(auth.contains("opaque=\"xyz\""), "{auth}");
        assert!(!auth.contains("qop"), "RFC 2069 form without qop: {auth}");
        assert!(wire_header(&again, "Authorization").is_empty());
        // A challenge we cannot answer is a failure, not a loop.
        let mut reg = registration();
        reg.request(advertised, "z9hG4bK3", false);
        let auth_int = response(
            401,
            &[(
                "WWW-Authenticate",
                "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
            )],
        );
        assert!(matches!(
            reg.on_final_response(&auth_int),
            Decision::Failed { status: 401, .. }
        ));
    }

    fn wire_header(request: &rsip::Request, name: &str) -> String {
        request
            .headers
            .iter()
            .map(ToString::to_string)
            .find_map(|line| {
                let (k, v) = line.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    }
}
