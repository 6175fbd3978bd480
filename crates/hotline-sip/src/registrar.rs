//! Registrar for agents' SIP phones, with digest authentication (RFC 3261
//! §22, RFC 7616/8760: MD5 and SHA-256, qop=auth).
//!
//! Digest is computed here over the exact strings the client sent: rsip's
//! `DigestGenerator` hashes its own re-rendering of the URI, which need not
//! match the client's bytes. Nonces carry their issue time and a keyed hash,
//! so they expire without server state; replay is stopped by remembering the
//! highest nonce-count seen per nonce (and single use without qop).
//!
//! Sans-IO: time comes in as `now`, nothing here reads the clock.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use md5::Md5;
use sha2::{Digest, Sha256};

/// A digest algorithm the registrar offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Reads a name as written in configuration or a saved binding.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "SHA-256" => Some(Algorithm::Sha256),
            _ => None,
        }
    }

    pub(crate) fn hash(self, input: &str) -> String {
        match self {
            Algorithm::Md5 => hex::encode(Md5::digest(input.as_bytes())),
            Algorithm::Sha256 => hex::encode(Sha256::digest(input.as_bytes())),
        }
    }
}

/// What the registrar keeps of a phone's secret: HA1 = H(user:realm:secret)
/// for each algorithm, all a digest check needs. Stores and configuration
/// keep these, never the secret; a leaked HA1 lets someone register as
/// that phone in this realm (as the secret would) but gives them no
/// password that might be reused elsewhere.
#[derive(Clone, PartialEq, Eq)]
pub struct DigestSecret {
    md5: String,
    sha256: String,
}

impl DigestSecret {
    /// Hashes `secret` for `user` in `realm` (the secret is not kept).
    pub fn from_secret(user: &str, realm: &str, secret: &str) -> Self {
        let a1 = format!("{user}:{realm}:{secret}");
        Self {
            md5: Algorithm::Md5.hash(&a1),
            sha256: Algorithm::Sha256.hash(&a1),
        }
    }

    /// From stored hashes: hex, 32 digits for MD5 and 64 for SHA-256
    /// (either case); `None` if they are not.
    pub fn from_ha1(md5: &str, sha256: &str) -> Option<Self> {
        let hex = |h: &str, len: usize| h.len() == len && h.bytes().all(|b| b.is_ascii_hexdigit());
        (hex(md5, 32) && hex(sha256, 64)).then(|| Self {
            md5: md5.to_ascii_lowercase(),
            sha256: sha256.to_ascii_lowercase(),
        })
    }

    /// The HA1 for `algorithm`, lowercase hex.
    pub fn ha1(&self, algorithm: Algorithm) -> &str {
        match algorithm {
            Algorithm::Md5 => &self.md5,
            Algorithm::Sha256 => &self.sha256,
        }
    }
}

impl std::fmt::Debug for DigestSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DigestSecret(..)")
    }
}

/// Settings of the registrar.
#[derive(Debug, Clone)]
pub struct RegistrarConfig {
    pub realm: String,
    /// Offered in this order in WWW-Authenticate headers.
    pub algorithms: Vec<Algorithm>,
    pub nonce_lifetime: Duration,
    pub min_expires: Duration,
    pub max_expires: Duration,
    /// Failures for one user from one address within `failure_window`
    /// that block further REGISTERs for that user from that address.
    pub max_auth_failures: u32,
    pub failure_window: Duration,
    pub block_duration: Duration,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        Self {
            realm: "hotline".into(),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            nonce_lifetime: Duration::from_secs(300),
            min_expires: Duration::from_secs(60),
            max_expires: Duration::from_secs(3600),
            max_auth_failures: 5,
            failure_window: Duration::from_secs(60),
            block_duration: Duration::from_secs(600),
        }
    }
}

/// Where a registered phone can be reached. Serialized (for other nodes
/// of a centre) with its expiry as the milliseconds left, since an
/// `Instant` means nothing in another process.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Binding {
    pub user: String,
    /// The Contact URI the phone registered.
    pub contact: String,
    /// The address its REGISTER came from (where we send to, NAT-safe).
    pub source: SocketAddr,
    pub transport: crate::Transport,
    #[serde(with = "expires_in_ms", rename = "expires_in_ms")]
    pub expires_at: Instant,
    /// The digest algorithm the phone authenticated with. A phone that
    /// used SHA-256 once is offered SHA-256 first from then on (many phones
    /// answer only the first challenge, so MD5 may have to lead for others).
    pub digest: Option<Algorithm>,
}

/// An `Instant` on the wire: the milliseconds from now (0 once past).
mod expires_in_ms {
    use std::time::{Duration, Instant};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &Instant, s: S) -> Result<S::Ok, S::Error> {
        let left = at.saturating_duration_since(Instant::now());
        s.serialize_u64(u64::try_from(left.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Instant, D::Error> {
        let ms = u64::deserialize(d)?;
        Ok(Instant::now() + Duration::from_millis(ms.min(86_400_000)))
    }
}

/// The parameters of an `Authorization: Digest ...` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigestResponse {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
}

impl DigestResponse {
    /// Parses `Digest k="v", k=v, ...`; `None` if it is not a Digest header.
    pub fn parse(value: &str) -> Option<Self> {
        let rest = value.trim();
        let (scheme, params) = rest.split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let mut out = DigestResponse::default();
        for (key, val) in split_params(params) {
            let slot = match key.to_ascii_lowercase().as_str() {
                "username" => &mut out.username,
                "realm" => &mut out.realm,
                "nonce" => &mut out.nonce,
                "uri" => &mut out.uri,
                "response" => &mut out.response,
                "algorithm" => {
                    out.algorithm = Some(val);
                    continue;
                }
                "qop" => {
                    out.qop = Some(val);
                    continue;
                }
                "nc" => {
                    out.nc = Some(val);
                    continue;
                }
                "cnonce" => {
                    out.cnonce = Some(val);
                    continue;
                }
                _ => continue,
            };
            *slot = val;
        }
        (!out.username.is_empty() && !out.nonce.is_empty() && !out.response.is_empty())
            .then_some(out)
    }
}

/// Splits `a="x, y", b=z` into pairs, honouring quotes.
pub(crate) fn split_params(params: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = params.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_owned();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut escaped = false;
            for c in chars.by_ref() {
                match (escaped, c) {
                    (false, '\\') => escaped = true,
                    (false, '"') => break,
                    _ => {
                        value.push(c);
                        escaped = false;
                    }
                }
            }
        } else {
            value = chars
                .by_ref()
                .take_while(|c| *c != ',')
                .collect::<String>()
                .trim()
                .to_owned();
        }
        out.push((key, value));
    }
    out
}

/// What the registrar decided about a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// Send 401 with these WWW-Authenticate values.
    Challenge { headers: Vec<String> },
    /// Bindings changed; send 200 with the current contact and expiry.
    Accepted {
        user: String,
        contact: Option<String>,
        expires: Duration,
    },
    /// The expiry is below our minimum: 423 with Min-Expires.
    IntervalTooBrief { min: Duration },
    /// Wrong credentials (401 again, and counted against the source).
    Rejected { user: String, reason: &'static str },
    /// This user is blocked from this address after repeated failures:
    /// 403, and nothing else.
    Blocked,
}

#[derive(Debug, Default)]
struct FailureRecord {
    count: u32,
    window_start: Option<Instant>,
    blocked_until: Option<Instant>,
}

/// Credentials, bindings and brute-force protection.
#[derive(Debug)]
pub struct Registrar {
    config: RegistrarConfig,
    users: HashMap<String, DigestSecret>,
    bindings: HashMap<String, Binding>,
    secret: [u8; 32],
    epoch: Instant,
    nonce_counts: HashMap<String, (u32, Instant)>,
    /// Keyed by (source address, user): a spoofed source can block only
    /// that user from that address, never the address's calls, and never
    /// a trusted source at all.
    failures: HashMap<(IpAddr, String), FailureRecord>,
    /// Size of `failures` above which spent records are pruned next.
    failures_prune_at: usize,
    /// Per-user challenge order, from configuration (a phone known to
    /// support SHA-256).
    user_algorithms: HashMap<String, Vec<Algorithm>>,
}

/// The request fields the registrar needs; the endpoint extracts them.
#[derive(Debug, Clone, Copy)]
pub struct RegisterRequest<'a> {
    pub to_user: &'a str,
    pub authorization: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub expires: Option<u32>,
    pub source: SocketAddr,
    pub transport: crate::Transport,
    /// The Request-URI, which the digest's `uri` must name (RFC 2617 §3.2.2.5).
    pub request_uri: &'a rsip::Uri,
    /// A trusted source (trunk, proxy in front): failures are answered but
    /// never counted or blocked.
    pub trusted: bool,
}

/// Failure records kept before the first pruning pass.
const FAILURES_PRUNE_FLOOR: usize = 1_024;

impl Registrar {
    /// A registrar whose nonces are keyed by `secret` and timed from `epoch`.
    pub fn new(config: RegistrarConfig, secret: [u8; 32], epoch: Instant) -> Self {
        Self {
            config,
            users: HashMap::new(),
            bindings: HashMap::new(),
            secret,
            epoch,
            nonce_counts: HashMap::new(),
            failures: HashMap::new(),
            failures_prune_at: FAILURES_PRUNE_FLOOR,
            user_algorithms: HashMap::new(),
        }
    }

    /// Adds or replaces a user's password (hashed at once for the
    /// registrar's realm; only the hashes are kept).
    pub fn set_user(&mut self, user: impl Into<String>, password: impl AsRef<str>) {
        let user = user.into();
        let secret = DigestSecret::from_secret(&user, &self.config.realm, password.as_ref());
        self.users.insert(user, secret);
    }

    /// Adds or replaces a user by the hashes of their secret, which must
    /// have been made for this registrar's realm.
    pub fn set_user_digest(&mut self, user: impl Into<String>, secret: DigestSecret) {
        self.users.insert(user.into(), secret);
    }

    /// The realm hashes must be made for.
    pub fn realm(&self) -> &str {
        &self.config.realm
    }

    /// Removes a user: their binding goes at once (calls no longer ring
    /// that phone) and they can no longer register. `false` if unknown.
    pub fn remove_user(&mut self, user: &str) -> bool {
        self.bindings.remove(user);
        self.user_algorithms.remove(user);
        self.users.remove(user).is_some()
    }

    /// Whether `user` may register here.
    pub fn has_user(&self, user: &str) -> bool {
        self.users.contains_key(user)
    }

    /// Offers `user` these algorithms, in this order (each must also be in
    /// the registrar's own list).
    pub fn set_user_algorithms(&mut self, user: impl Into<String>, algorithms: Vec<Algorithm>) {
        self.user_algorithms.insert(user.into(), algorithms);
    }

    /// The order `user` is challenged in: their configured order, else
    /// SHA-256 first if they used it before, else the registrar's order.
    fn algorithms_for(&self, user: &str) -> Vec<Algorithm> {
        if let Some(configured) = self.user_algorithms.get(user) {
            let offered: Vec<Algorithm> = configured
                .iter()
                .copied()
                .filter(|a| self.config.algorithms.contains(a))
                .collect();
            if !offered.is_empty() {
                return offered;
            }
        }
        let mut order = self.config.algorithms.clone();
        let used = self.bindings.get(user).and_then(|b| b.digest);
        if let Some(at) = used.and_then(|a| order.iter().position(|o| *o == a)) {
            let preferred = order.remove(at);
            order.insert(0, preferred);
        }
        order
    }

    /// The live binding of `user`, if registered and not expired.
    pub fn binding(&self, user: &str, now: Instant) -> Option<&Binding> {
        self.bindings.get(user).filter(|b| b.expires_at > now)
    }

    /// All live bindings (for persistence across restarts).
    pub fn bindings(&self, now: Instant) -> impl Iterator<Item = &Binding> {
        self.bindings.values().filter(move |b| b.expires_at > now)
    }

    /// Restores a binding saved before a restart.
    pub fn restore(&mut self, binding: Binding) {
        if self.users.contains_key(&binding.user) {
            self.bindings.insert(binding.user.clone(), binding);
        }
    }

    /// Whether `user` is blocked from `ip` for repeated failures at `now`.
    pub fn is_blocked(&self, ip: IpAddr, user: &str, now: Instant) -> bool {
        self.failures
            .get(&(ip, user.to_owned()))
            .and_then(|f| f.blocked_until)
            .is_some_and(|until| until > now)
    }

    /// Failure records held now (for tests and metrics).
    pub fn failure_records(&self) -> usize {
        self.failures.len()
    }

    /// `issued.salt.mac`: the issue time for expiry, a random salt so that
    /// every challenge gets a nonce of its own (two phones challenged in the
    /// same second must not share one: each starts its nonce-count at 1, and
    /// the second would be refused as a replay), and a MAC over both.
    fn make_nonce(&self, now: Instant) -> String {
        let issued = now.saturating_duration_since(self.epoch).as_secs();
        let salt: u64 = rand::random();
        format!("{issued:x}.{salt:x}.{}", self.nonce_mac(issued, salt))
    }

    fn nonce_mac(&self, issued: u64, salt: u64) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.secret);
        hasher.update(issued.to_be_bytes());
        hasher.update(salt.to_be_bytes());
        hex::encode(&hasher.finalize()[..12])
    }

    /// Whether a nonce is ours and unexpired; `Err(true)` if it is ours but stale.
    fn check_nonce(&self, nonce: &str, now: Instant) -> Result<(), bool> {
        let mut parts = nonce.splitn(3, '.');
        let (Some(issued_hex), Some(salt_hex), Some(mac)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(false);
        };
        let issued = u64::from_str_radix(issued_hex, 16).map_err(|_| false)?;
        let salt = u64::from_str_radix(salt_hex, 16).map_err(|_| false)?;
        if self.nonce_mac(issued, salt) != mac {
            return Err(false);
        }
        let age = now
            .saturating_duration_since(self.epoch)
            .as_secs()
            .saturating_sub(issued);
        if age > self.config.nonce_lifetime.as_secs() {
            return Err(true);
        }
        Ok(())
    }

    fn challenge(&self, now: Instant, stale: bool, user: &str) -> RegisterOutcome {
        let nonce = self.make_nonce(now);
        let headers = self
            .algorithms_for(user)
            .iter()
            .map(|a| {
                format!(
                    "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"{}",
                    self.config.realm,
                    a.name(),
                    if stale { ", stale=true" } else { "" }
                )
            })
            .collect();
        RegisterOutcome::Challenge { headers }
    }

    fn record_failure(&mut self, ip: IpAddr, user: &str, trusted: bool, now: Instant) {
        if trusted {
            return;
        }
        if self.failures.len() >= self.failures_prune_at {
            // Forget records whose window and block are both over, so a
            // scan from many addresses costs no memory once it stops.
            let window = self.config.failure_window;
            self.failures.retain(|_, f| {
                f.blocked_until.is_some_and(|until| until > now)
                    || f.window_start
                        .is_some_and(|start| now.saturating_duration_since(start) <= window)
            });
            self.failures_prune_at = (self.failures.len() * 2).max(FAILURES_PRUNE_FLOOR);
        }
        let config = &self.config;
        let record = self.failures.entry((ip, user.to_owned())).or_default();
        match record.window_start {
            Some(start) if now.saturating_duration_since(start) <= config.failure_window => {}
            _ => {
                record.window_start = Some(now);
                record.count = 0;
            }
        }
        record.count += 1;
        if record.count >= config.max_auth_failures {
            record.blocked_until = Some(now + config.block_duration);
        }
    }

    /// Verifies the digest response against the stored password.
    fn verify(
        &mut self,
        digest: &DigestResponse,
        method: &str,
        now: Instant,
    ) -> Result<Algorithm, &'static str> {
        let secret = self.users.get(&digest.username).ok_or("unknown user")?;
        if digest.realm != self.config.realm {
            return Err("wrong realm");
        }
        let algorithm = match digest
            .algorithm
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("MD5") => Algorithm::Md5,
            Some("SHA-256") => Algorithm::Sha256,
            Some(_) => return Err("unsupported algorithm"),
        };
        if !self.config.algorithms.contains(&algorithm) {
            return Err("algorithm not offered");
        }
        let ha1 = secret.ha1(algorithm);
        let ha2 = algorithm.hash(&format!("{method}:{}", digest.uri));
        let expected = match (&digest.qop, &digest.nc, &digest.cnonce) {
            (Some(qop), Some(nc), Some(cnonce)) if qop.eq_ignore_ascii_case("auth") => {
                algorithm.hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", digest.nonce))
            }
            (None, _, _) => algorithm.hash(&format!("{ha1}:{}:{ha2}", digest.nonce)),
            _ => return Err("unsupported qop"),
        };
        if !expected.eq_ignore_ascii_case(&digest.response) {
            return Err("wrong password");
        }
        // Replay protection: nonce-counts must increase; without qop a nonce is single-use.
        let count = match &digest.nc {
            Some(nc) => u32::from_str_radix(nc, 16).map_err(|_| "bad nonce count")?,
            None => 1,
        };
        let lifetime = self.config.nonce_lifetime;
        self.nonce_counts
            .retain(|_, (_, seen)| now.saturating_duration_since(*seen) <= lifetime * 2);
        match self.nonce_counts.get(&digest.nonce) {
            Some((last, _)) if count <= *last => return Err("replayed nonce count"),
            _ => {}
        }
        self.nonce_counts.insert(digest.nonce.clone(), (count, now));
        Ok(algorithm)
    }

    fn reject(
        &mut self,
        request: &RegisterRequest<'_>,
        user: String,
        reason: &'static str,
        now: Instant,
    ) -> RegisterOutcome {
        self.record_failure(request.source.ip(), &user, request.trusted, now);
        RegisterOutcome::Rejected { user, reason }
    }

    /// Handles one REGISTER.
    pub fn register(&mut self, request: &RegisterRequest<'_>, now: Instant) -> RegisterOutcome {
        let ip = request.source.ip();
        if !request.trusted && self.is_blocked(ip, request.to_user, now) {
            return RegisterOutcome::Blocked;
        }
        let Some(digest) = request.authorization.and_then(DigestResponse::parse) else {
            return self.challenge(now, false, request.to_user);
        };
        if !request.trusted && self.is_blocked(ip, &digest.username, now) {
            return RegisterOutcome::Blocked;
        }
        match self.check_nonce(&digest.nonce, now) {
            Ok(()) => {}
            Err(true) => return self.challenge(now, true, request.to_user),
            Err(false) => {
                return self.reject(request, digest.username, "forged nonce", now);
            }
        }
        if !names_request_uri(&digest.uri, request.request_uri) {
            // An answer computed for another URI (RFC 2617 §3.2.2.5): a
            // response captured elsewhere is not accepted here.
            return self.reject(
                request,
                digest.username,
                "digest uri is not the Request-URI",
                now,
            );
        }
        let algorithm = match self.verify(&digest, "REGISTER", now) {
            Ok(algorithm) => algorithm,
            Err(reason) => return self.reject(request, digest.username, reason, now),
        };
        if digest.username != request.to_user {
            return self.reject(
                request,
                digest.username,
                "authenticated as another user",
                now,
            );
        }
        self.failures.remove(&(ip, digest.username.clone()));
        let user = digest.username;
        let requested = request.expires.map(|s| Duration::from_secs(u64::from(s)));
        match (request.contact, requested) {
            // "Contact: *" with Expires: 0, or Expires: 0: un-REGISTER.
            (_, Some(d)) if d.is_zero() => {
                self.bindings.remove(&user);
                RegisterOutcome::Accepted {
                    user,
                    contact: None,
                    expires: Duration::ZERO,
                }
            }
            (Some(contact), requested) if contact.trim() != "*" => {
                let expires = requested
                    .unwrap_or(self.config.max_expires)
                    .min(self.config.max_expires);
                if expires < self.config.min_expires {
                    return RegisterOutcome::IntervalTooBrief {
                        min: self.config.min_expires,
                    };
                }
                let contact = crate::msg::header_uri(contact).to_owned();
                self.bindings.insert(
                    user.clone(),
                    Binding {
                        user: user.clone(),
                        contact: contact.clone(),
                        source: request.source,
                        transport: request.transport,
                        expires_at: now + expires,
                        digest: Some(algorithm),
                    },
                );
                RegisterOutcome::Accepted {
                    user,
                    contact: Some(contact),
                    expires,
                }
            }
            // No Contact: a query of the current binding.
            _ => {
                let current = self.binding(&user, now).cloned();
                RegisterOutcome::Accepted {
                    user,
                    expires: current
                        .as_ref()
                        .map(|b| b.expires_at.saturating_duration_since(now))
                        .unwrap_or_default(),
                    contact: current.map(|b| b.contact),
                }
            }
        }
    }
}

/// Whether a digest `uri` names the same resource as the Request-URI:
/// scheme, user, host and port (defaulted) must agree; URI parameters may
/// differ (phones reorder or drop them).
fn names_request_uri(digest_uri: &str, request_uri: &rsip::Uri) -> bool {
    let Some(named) = crate::msg::parse_uri(digest_uri) else {
        return false;
    };
    let scheme = |uri: &rsip::Uri| uri.scheme.clone().unwrap_or(rsip::Scheme::Sip);
    let user = |uri: &rsip::Uri| uri.auth.as_ref().map(|a| a.user.clone());
    let port = |uri: &rsip::Uri| {
        uri.host_with_port.port.map(|p| *p.value()).unwrap_or(
            if scheme(uri) == rsip::Scheme::Sips {
                5061
            } else {
                5060
            },
        )
    };
    scheme(&named) == scheme(request_uri)
        && user(&named) == user(request_uri)
        && named
            .host_with_port
            .host
            .to_string()
            .eq_ignore_ascii_case(&request_uri.host_with_port.host.to_string())
        && port(&named) == port(request_uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registrar(now: Instant) -> Registrar {
        let mut r = Registrar::new(RegistrarConfig::default(), [7; 32], now);
        r.set_user("alice", "secret");
        r
    }

    fn answer(nonce: &str, password: &str, algorithm: Algorithm, nc: &str) -> String {
        let ha1 = algorithm.hash(&format!("alice:hotline:{password}"));
        let ha2 = algorithm.hash("REGISTER:sip:127.0.0.1");
        let resp = algorithm.hash(&format!("{ha1}:{nonce}:{nc}:abc:auth:{ha2}"));
        format!(
            "Digest username=\"alice\", realm=\"hotline\", nonce=\"{nonce}\", uri=\"sip:127.0.0.1\", response=\"{resp}\", algorithm={}, qop=auth, nc={nc}, cnonce=\"abc\"",
            algorithm.name()
        )
    }

    fn request<'a>(auth: Option<&'a str>) -> RegisterRequest<'a> {
        RegisterRequest {
            to_user: "alice",
            authorization: auth,
            contact: Some("<sip:alice@127.0.0.1:5090>"),
            expires: Some(300),
            source: "127.0.0.1:5090".parse().unwrap(),
            transport: crate::Transport::Udp,
            request_uri: request_uri("sip:127.0.0.1"),
            trusted: false,
        }
    }

    fn request_uri(text: &str) -> &'static rsip::Uri {
        Box::leak(Box::new(rsip::Uri::try_from(text).unwrap()))
    }

    fn fail_five_times(r: &mut Registrar, request: &RegisterRequest<'_>, t0: Instant) {
        let nonce = nonce_of(&r.register(request, t0));
        for i in 1..=5 {
            let auth = answer(&nonce, "wrong", Algorithm::Md5, &format!("{i:08x}"));
            let out = r.register(
                &RegisterRequest {
                    authorization: Some(&auth),
                    ..*request
                },
                t0,
            );
            assert!(
                matches!(
                    out,
                    RegisterOutcome::Rejected { .. } | RegisterOutcome::Blocked
                ),
                "{out:?}"
            );
        }
    }

    fn first_offered(outcome: &RegisterOutcome) -> String {
        let RegisterOutcome::Challenge { headers } = outcome else {
            panic!("expected a challenge, got {outcome:?}")
        };
        DigestResponse::parse(&format!("{}, response=\"x\", username=\"u\"", headers[0]))
            .unwrap()
            .algorithm
            .unwrap()
    }

    #[test]
    fn a_phone_known_only_by_its_hashes_registers_with_both_algorithms_until_removed() {
        let t0 = Instant::now();
        let config = RegistrarConfig {
            algorithms: vec![Algorithm::Md5, Algorithm::Sha256],
            ..RegistrarConfig::default()
        };
        let mut r = Registrar::new(config, [7; 32], t0);
        // What a store keeps: the two HA1s, made elsewhere.
        let made = DigestSecret::from_secret("alice", "hotline", "secret");
        let stored = DigestSecret::from_ha1(
            &made.ha1(Algorithm::Md5).to_ascii_uppercase(),
            made.ha1(Algorithm::Sha256),
        )
        .expect("hex hashes");
        assert_eq!(stored, made, "hex is read in either case");
        assert!(!format!("{stored:?}").contains(made.ha1(Algorithm::Md5)));
        r.set_user_digest("alice", stored);
        for (i, algorithm) in [Algorithm::Md5, Algorithm::Sha256].into_iter().enumerate() {
            let nonce = nonce_of(&r.register(&request(None), t0));
            let auth = answer(&nonce, "secret", algorithm, &format!("{:08x}", i + 1));
            assert!(
                matches!(
                    r.register(&request(Some(&auth)), t0),
                    RegisterOutcome::Accepted { .. }
                ),
                "{algorithm:?}"
            );
        }
        assert!(r.binding("alice", t0).is_some());
        assert!(r.remove_user("alice"));
        assert!(r.binding("alice", t0).is_none(), "the binding goes with it");
        let nonce = nonce_of(&r.register(&request(None), t0));
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000001");
        assert!(matches!(
            r.register(&request(Some(&auth)), t0),
            RegisterOutcome::Rejected { .. }
        ));
        assert!(!r.remove_user("alice"));
        assert!(DigestSecret::from_ha1("xyz", made.ha1(Algorithm::Sha256)).is_none());
    }

    #[test]
    fn a_phone_that_used_sha256_is_offered_it_first() {
        let t0 = Instant::now();
        let config = RegistrarConfig {
            algorithms: vec![Algorithm::Md5, Algorithm::Sha256],
            ..RegistrarConfig::default()
        };
        let mut r = Registrar::new(config, [7; 32], t0);
        r.set_user("alice", "secret");
        r.set_user("bob", "bobs-secret");
        let challenge = r.register(&request(None), t0);
        assert_eq!(
            first_offered(&challenge),
            "MD5",
            "MD5 leads for phones we do not know"
        );
        // Alice's phone picked the SHA-256 challenge.
        let auth = answer(
            &nonce_of(&challenge),
            "secret",
            Algorithm::Sha256,
            "00000001",
        );
        assert!(matches!(
            r.register(&request(Some(&auth)), t0),
            RegisterOutcome::Accepted { .. }
        ));
        assert_eq!(
            r.binding("alice", t0).unwrap().digest,
            Some(Algorithm::Sha256)
        );
        assert_eq!(first_offered(&r.register(&request(None), t0)), "SHA-256");
        // Bob is configured as SHA-256 capable before he ever registers.
        r.set_user_algorithms("bob", vec![Algorithm::Sha256, Algorithm::Md5]);
        let bob = RegisterRequest {
            to_user: "bob",
            ..request(None)
        };
        assert_eq!(first_offered(&r.register(&bob, t0)), "SHA-256");
    }

    #[test]
    fn a_block_holds_one_user_from_one_address_only() {
        let t0 = Instant::now();
        let mut r = registrar(t0);
        r.set_user("bob", "bobs-secret");
        fail_five_times(&mut r, &request(None), t0);
        assert!(r.is_blocked("127.0.0.1".parse().unwrap(), "alice", t0));
        // The same address may still register another user...
        assert!(!r.is_blocked("127.0.0.1".parse().unwrap(), "bob", t0));
        // ...and the same user from another address is not blocked.
        assert!(!r.is_blocked("127.0.0.9".parse().unwrap(), "alice", t0));
        let elsewhere = RegisterRequest {
            source: "127.0.0.9:5090".parse().unwrap(),
            ..request(None)
        };
        let nonce = nonce_of(&r.register(&elsewhere, t0));
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000001");
        assert!(matches!(
            r.register(
                &RegisterRequest {
                    authorization: Some(&auth),
                    ..elsewhere
                },
                t0
            ),
            RegisterOutcome::Accepted { .. }
        ));
    }

    #[test]
    fn a_trusted_source_is_never_blocked() {
        let t0 = Instant::now();
        let mut r = registrar(t0);
        let trusted = RegisterRequest {
            trusted: true,
            ..request(None)
        };
        fail_five_times(&mut r, &trusted, t0);
        fail_five_times(&mut r, &trusted, t0);
        assert_eq!(r.failure_records(), 0);
        let nonce = nonce_of(&r.register(&trusted, t0));
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000001");
        assert!(matches!(
            r.register(
                &RegisterRequest {
                    authorization: Some(&auth),
                    ..trusted
                },
                t0
            ),
            RegisterOutcome::Accepted { .. }
        ));
    }

    #[test]
    fn a_digest_computed_for_another_uri_is_refused() {
        let t0 = Instant::now();
        let mut r = registrar(t0);
        let nonce = nonce_of(&r.register(&request(None), t0));
        // The answer is right for sip:127.0.0.1, but this REGISTER went to
        // another URI: a response replayed from another request.
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000001");
        let elsewhere = RegisterRequest {
            authorization: Some(&auth),
            request_uri: request_uri("sip:hotline.example.org"),
            ..request(None)
        };
        assert!(matches!(
            r.register(&elsewhere, t0),
            RegisterOutcome::Rejected {
                reason: "digest uri is not the Request-URI",
                ..
            }
        ));
        // The port is compared with its default filled in.
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000002");
        let same = RegisterRequest {
            authorization: Some(&auth),
            request_uri: request_uri("sip:127.0.0.1:5060;transport=udp"),
            ..request(None)
        };
        assert!(matches!(
            r.register(&same, t0),
            RegisterOutcome::Accepted { .. }
        ));
    }

    #[test]
    fn failure_records_of_a_finished_scan_are_pruned() {
        let t0 = Instant::now();
        let mut r = registrar(t0);
        let nonce = nonce_of(&r.register(&request(None), t0));
        let auth = answer(&nonce, "wrong", Algorithm::Md5, "00000001");
        for i in 0..3_000u32 {
            let source = SocketAddr::from(([10, 0, (i / 250) as u8, (i % 250) as u8], 5060));
            r.register(
                &RegisterRequest {
                    authorization: Some(&auth),
                    source,
                    ..request(None)
                },
                t0,
            );
        }
        assert!(r.failure_records() <= 3_000);
        // Long after the window, one more failure prunes the spent records.
        let later = t0 + Duration::from_secs(3_600);
        let nonce = nonce_of(&r.register(&request(None), later));
        let auth = answer(&nonce, "wrong", Algorithm::Md5, "00000001");
        for i in 0..FAILURES_PRUNE_FLOOR as u32 * 2 {
            let source = SocketAddr::from(([10, 1, (i / 250) as u8, (i % 250) as u8], 5060));
            r.register(
                &RegisterRequest {
                    authorization: Some(&auth),
                    source,
                    ..request(None)
                },
                later,
            );
        }
        assert!(
            r.failure_records() <= FAILURES_PRUNE_FLOOR * 2 + 1,
            "{} records kept",
            r.failure_records()
        );
    }

    fn nonce_of(outcome: &RegisterOutcome) -> String {
        let RegisterOutcome::Challenge { headers } = outcome else {
            panic!("expected a challenge, got {outcome:?}")
        };
        let d = DigestResponse::parse(&format!("{}, response=\"x\", username=\"u\"", headers[0]))
            .unwrap();
        d.nonce
    }

    #[test]
    fn both_algorithms_register_and_replays_fail() {
        let t0 = Instant::now();
        for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
            let mut r = registrar(t0);
            let nonce = nonce_of(&r.register(&request(None), t0));
            let auth = answer(&nonce, "secret", algorithm, "00000001");
            let ok = r.register(&request(Some(&auth)), t0);
            assert!(
                matches!(
                    ok,
                    RegisterOutcome::Accepted {
                        contact: Some(_),
                        ..
                    }
                ),
                "{ok:?}"
            );
            assert!(r.binding("alice", t0).is_some());
            let replay = r.register(&request(Some(&auth)), t0);
            assert!(matches!(
                replay,
                RegisterOutcome::Rejected {
                    reason: "replayed nonce count",
                    ..
                }
            ));
        }
    }

    #[test]
    fn wrong_password_is_rejected_and_repeated_failures_block() {
        let t0 = Instant::now();
        let mut r = registrar(t0);
        let nonce = nonce_of(&r.register(&request(None), t0));
        for i in 1..=5 {
            let auth = answer(&nonce, "wrong", Algorithm::Md5, &format!("{i:08x}"));
            let out = r.register(&request(Some(&auth)), t0);
            assert!(matches!(
                out,
                RegisterOutcome::Rejected {
                    reason: "wrong password",
                    ..
                }
            ));
        }
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000009");
        assert_eq!(
            r.register(&request(Some(&auth)), t0),
            RegisterOutcome::Blocked
        );
        let later = t0 + Duration::from_secs(601);
        let nonce = nonce_of(&r.register(&request(None), later));
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000001");
        assert!(matches!(
            r.register(&request(Some(&auth)), later),
            RegisterOutcome::Accepted { .. }
        ));
    }

    #[test]
    fn expired_nonce_gets_a_stale_challenge() {
        let t0 = Instant::now();
        let mut r = registrar(t0);
        let nonce = nonce_of(&r.register(&request(None), t0));
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000001");
        let late = t0 + Duration::from_secs(301);
        let RegisterOutcome::Challenge { headers } = r.register(&request(Some(&auth)), late) else {
            panic!("expected a stale challenge")
        };
        assert!(headers[0].contains("stale=true"));
    }

    #[test]
    fn unregister_and_expiry() {
        let t0 = Instant::now();
        let mut r = registrar(t0);
        let nonce = nonce_of(&r.register(&request(None), t0));
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000001");
        r.register(&request(Some(&auth)), t0);
        assert!(r.binding("alice", t0 + Duration::from_secs(301)).is_none());
        let auth = answer(&nonce, "secret", Algorithm::Md5, "00000002");
        let mut unreg = request(Some(&auth));
        unreg.expires = Some(0);
        r.register(&unreg, t0);
        assert!(r.binding("alice", t0).is_none());
    }

    #[test]
    fn digest_header_parsing_handles_quotes_and_commas() {
        let d = DigestResponse::parse(
            "Digest username=\"a,b\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"f00\", nc=00000001",
        )
        .unwrap();
        assert_eq!(d.username, "a,b");
        assert_eq!(d.nc.as_deref(), Some("00000001"));
        assert!(DigestResponse::parse("Basic abc").is_none());
    }
}
