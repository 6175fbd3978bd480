//! SRTP and SRTCP (RFC 3711) for one leg keyed by SDES (RFC 4568): the
//! suites AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32, no MKI, key
//! derivation rate 0 (RFC 4568's default: session keys derived once).
//!
//! Owns: key derivation (§4.3), AES counter mode (§4.1.1), HMAC-SHA1
//! authentication (§4.2), the rollover counter estimate (§3.3.1, Appendix
//! A) and replay protection (§3.3.2) per SSRC. Sans-IO and synchronous: it
//! runs on the media clock threads, protects in place at the end of a
//! shared buffer and unprotects in place, so a leg allocates nothing per
//! packet. Must not touch: SDP (the call controller hands over the keys),
//! sockets, the clock.
//!
//! Written here on the RustCrypto primitives (`aes`, `ctr`, `hmac`,
//! `sha1`) rather than taken from webrtc-rs, because neither of its SRTP
//! crates fitted: `rtc-srtp` 0.21.1 needs the ring or aws-lc-rs provider
//! (C and assembly, plus url/ICU/nix 0.31/rand 0.10 through `rtc-shared`),
//! allocates a buffer for every packet it protects or unprotects, has
//! replay protection off unless asked, and returns an SRTCP packet whose
//! E flag is 0 without checking its tag (anyone could forge our peer's
//! RTCP); `webrtc-srtp` 0.17.2 shares those three faults, pulls in tokio
//! and webrtc-util, and indexes a short SRTCP packet out of bounds (a
//! remote panic). The WebRTC legs planned on `rtc` 0.21 key their SRTP
//! through DTLS inside that stack and do not need this module.
//!
//! Keys are never logged: [`SrtpKey`]'s `Debug` prints no key bytes.
//! Never use one key for two legs (or two calls): the keystream would
//! repeat.

use std::fmt;

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use aes::Aes128;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::rtp::RTP_HEADER_LEN;
use crate::MediaError;

type AesCounterMode = ctr::Ctr128BE<Aes128>;
type HmacSha1 = Hmac<Sha1>;

/// Master key length of the AES-128 suites.
pub const MASTER_KEY_LEN: usize = 16;
/// Master salt length of the AES-128 suites.
pub const MASTER_SALT_LEN: usize = 14;
/// SRTCP's tag is 80 bits in both suites (RFC 4568 §6.2.1 and §6.2.2).
pub const SRTCP_TAG_LEN: usize = 10;
/// The E flag and 31-bit SRTCP index that end every SRTCP packet.
const SRTCP_INDEX_LEN: usize = 4;
/// The RTCP header and sender SSRC, sent in clear (§3.4).
const RTCP_CLEAR_LEN: usize = 8;
/// Indices remembered behind the newest, per SSRC (the RFC's minimum is 64;
/// a u128 bitmap costs nothing more and tolerates deeper reordering).
const REPLAY_WINDOW: u64 = 128;
/// SSRCs tracked per direction: a peer may switch streams (an SBC after a
/// transfer) but has no reason for more; the least recently heard is
/// forgotten when a new one authenticates.
const MAX_STREAMS: usize = 4;
const MAX_SRTCP_INDEX: u32 = 0x7FFF_FFFF;
/// Highest rollover counter: the index is 48 bits (§3.3.1).
const MAX_ROC: u64 = 0xFFFF_FFFF;

// Key derivation labels (§4.3.1).
const LABEL_RTP_ENCRYPTION: u8 = 0x00;
const LABEL_RTP_AUTH: u8 = 0x01;
const LABEL_RTP_SALT: u8 = 0x02;
const LABEL_RTCP_ENCRYPTION: u8 = 0x03;
const LABEL_RTCP_AUTH: u8 = 0x04;
const LABEL_RTCP_SALT: u8 = 0x05;
const RTP_LABELS: [u8; 3] = [LABEL_RTP_ENCRYPTION, LABEL_RTP_AUTH, LABEL_RTP_SALT];
const RTCP_LABELS: [u8; 3] = [LABEL_RTCP_ENCRYPTION, LABEL_RTCP_AUTH, LABEL_RTCP_SALT];

const RTP: &str = "SRTP";
const RTCP: &str = "SRTCP";

/// An SRTP crypto suite (RFC 4568 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpSuite {
    /// AES-128 counter mode, 80-bit HMAC-SHA1 tag: what every SDES peer offers.
    AesCm128HmacSha1_80,
    /// The same with a 32-bit tag on SRTP (SRTCP keeps 80 bits).
    AesCm128HmacSha1_32,
}

impl SrtpSuite {
    /// Bytes of authentication tag on each SRTP packet.
    pub const fn rtp_tag_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 => 10,
            Self::AesCm128HmacSha1_32 => 4,
        }
    }

    /// The suite's name as SDP writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }
}

/// A master key (16 bytes) followed by its master salt (14 bytes), as
/// SDES's `inline:` carries them.
///
/// `Copy` so that [`crate::LegParams`] stays `Copy`; its `Debug` never
/// shows the bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SrtpKey([u8; SrtpKey::LEN]);

impl SrtpKey {
    /// Master key and salt together.
    pub const LEN: usize = MASTER_KEY_LEN + MASTER_SALT_LEN;

    /// A key from its 30 bytes (key first, then salt).
    pub const fn new(key_and_salt: [u8; Self::LEN]) -> Self {
        Self(key_and_salt)
    }

    /// A key from a slice that must hold exactly 30 bytes.
    pub fn from_slice(key_and_salt: &[u8]) -> Result<Self, MediaError> {
        let bytes = key_and_salt
            .try_into()
            .map_err(|_| MediaError::SrtpKeyLength {
                len: key_and_salt.len(),
                expected: Self::LEN,
            })?;
        Ok(Self(bytes))
    }

    fn master_key(&self) -> &[u8] {
        &self.0[..MASTER_KEY_LEN]
    }

    fn master_salt(&self) -> &[u8] {
        &self.0[MASTER_KEY_LEN..]
    }
}

impl fmt::Debug for SrtpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SrtpKey(<redacted>)")
    }
}

/// The SRTP setting of one leg: the suite both directions use, our key for
/// what we send (the one in our SDP) and the peer's for what we receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrtpParams {
    pub suite: SrtpSuite,
    /// Our master key and salt: protects what the leg sends.
    pub send: SrtpKey,
    /// The peer's master key and salt: unprotects what the leg receives.
    pub receive: SrtpKey,
}

/// The session keys of one packet kind in one direction (§4.3).
#[derive(Clone)]
struct SessionKeys {
    cipher: Aes128,
    salt: [u8; MASTER_SALT_LEN],
    /// Keyed once; each packet clones the keyed state (no allocation).
    mac: HmacSha1,
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

impl SessionKeys {
    fn derive(master: &SrtpKey, labels: [u8; 3]) -> Self {
        let [encryption, auth, salt_label] = labels;
        let mut key = [0u8; MASTER_KEY_LEN];
        derive(master, encryption, &mut key);
        let mut auth_key = [0u8; 20];
        derive(master, auth, &mut auth_key);
        let mut salt = [0u8; MASTER_SALT_LEN];
        derive(master, salt_label, &mut salt);
        Self::from_session(&key, salt, &auth_key)
    }

    fn from_session(key: &[u8; MASTER_KEY_LEN], salt: [u8; MASTER_SALT_LEN], auth: &[u8]) -> Self {
        Self {
            cipher: Aes128::new(GenericArray::from_slice(key)),
            salt,
            mac: <HmacSha1 as Mac>::new_from_slice(auth).expect("HMAC takes keys of any length"),
        }
    }

    /// XORs the AES-CM keystream of packet `index` of `ssrc` into `data`
    /// (§4.1.1: IV = salt·2^16 ⊕ SSRC·2^64 ⊕ index·2^16).
    fn apply_keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..MASTER_SALT_LEN].copy_from_slice(&self.salt);
        for (slot, b) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *slot ^= b;
        }
        for (slot, b) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *slot ^= b;
        }
        counter_mode(self.cipher.clone(), &iv).apply_keystream(data);
    }

    /// HMAC-SHA1 over the authenticated portion and, for SRTP, the ROC (§4.2).
    fn mac_of(&self, authenticated: &[u8], roc: Option<u32>) -> HmacSha1 {
        let mut mac = self.mac.clone();
        mac.update(authenticated);
        if let Some(roc) = roc {
            mac.update(&roc.to_be_bytes());
        }
        mac
    }
}

/// The key derivation PRF with a key derivation rate of 0 (§4.3.1, §4.3.3):
/// AES-CM under the master key, IV = (master salt ⊕ label·2^48)·2^16.
fn derive(master: &SrtpKey, label: u8, out: &mut [u8]) {
    let cipher = Aes128::new(GenericArray::from_slice(master.master_key()));
    let mut iv = [0u8; 16];
    iv[..MASTER_SALT_LEN].copy_from_slice(master.master_salt());
    iv[7] ^= label;
    out.fill(0);
    counter_mode(cipher, &iv).apply_keystream(out);
}

/// AES-CM from an expanded key (cloning one costs no allocation) and an IV.
fn counter_mode(cipher: Aes128, iv: &[u8; 16]) -> AesCounterMode {
    AesCounterMode::from_core(ctr::CtrCore::inner_iv_init(
        cipher,
        GenericArray::from_slice(iv),
    ))
}

/// The packet index of `seq` given the highest index seen (§3.3.1,
/// Appendix A): the guess that puts it nearest. `None` if that guess falls
/// before index 0 or beyond 2^48.
fn estimate_index(highest: u64, seq: u16) -> Option<u64> {
    let roc = highest >> 16;
    let s_l = i64::from(highest as u16);
    let seq_i = i64::from(seq);
    let v = if s_l < 32_768 {
        if seq_i - s_l > 32_768 {
            roc.checked_sub(1)?
        } else {
            roc
        }
    } else if s_l - 32_768 > seq_i {
        roc + 1
    } else {
        roc
    };
    (v <= MAX_ROC).then_some((v << 16) | u64::from(seq))
}

/// Which indices of one SSRC have been accepted (§3.3.2).
#[derive(Debug, Clone, Copy)]
struct ReplayWindow {
    newest: u64,
    /// Bit `i` set: index `newest - i` was accepted.
    seen: u128,
}

impl ReplayWindow {
    fn starting_at(index: u64) -> Self {
        Self {
            newest: index,
            seen: 1,
        }
    }

    fn check(&self, stream: &'static str, ssrc: u32, index: u64) -> Result<(), MediaError> {
        if index > self.newest {
            return Ok(());
        }
        let behind = self.newest - index;
        if behind >= REPLAY_WINDOW {
            return Err(MediaError::SrtpTooOld {
                stream,
                ssrc,
                index,
                newest: self.newest,
            });
        }
        if self.seen >> behind & 1 == 1 {
            return Err(MediaError::SrtpReplayed {
                stream,
                ssrc,
                index,
            });
        }
        Ok(())
    }

    fn accept(&mut self, index: u64) {
        if index > self.newest {
            let ahead = index - self.newest;
            self.seen = if ahead >= REPLAY_WINDOW {
                0
            } else {
                self.seen << ahead
            };
            self.seen |= 1;
            self.newest = index;
        } else if self.newest - index < REPLAY_WINDOW {
            self.seen |= 1 << (self.newest - index);
        }
    }
}

/// What one direction remembers of one SSRC.
#[derive(Debug, Clone, Copy)]
struct Stream {
    ssrc: u32,
    /// Receiving: the replay window (its newest index drives the ROC
    /// estimate). Sending: `newest` is the highest index sent, or the
    /// next SRTCP index.
    window: ReplayWindow,
    last_used: u64,
}

/// A few SSRCs' states, in place (no map, no allocation).
#[derive(Debug, Default)]
struct Streams {
    slots: [Option<Stream>; MAX_STREAMS],
    clock: u64,
}

impl Streams {
    fn find(&self, ssrc: u32) -> Option<&Stream> {
        self.slots.iter().flatten().find(|s| s.ssrc == ssrc)
    }

    /// Updates (or adds, forgetting the least recently used) the state of
    /// `ssrc`. Only ever called for a packet that authenticated or that we
    /// protected, so a stranger cannot push a peer's streams out.
    fn upsert(&mut self, ssrc: u32, update: impl FnOnce(Option<ReplayWindow>) -> ReplayWindow) {
        self.clock += 1;
        let slot = match self
            .slots
            .iter()
            .position(|s| s.is_some_and(|s| s.ssrc == ssrc))
        {
            Some(i) => i,
            None => self
                .slots
                .iter()
                .position(Option::is_none)
                .unwrap_or_else(|| {
                    (0..MAX_STREAMS)
                        .min_by_key(|i| self.slots[*i].map_or(0, |s| s.last_used))
                        .unwrap_or(0)
                }),
        };
        let current = self.slots[slot]
            .filter(|s| s.ssrc == ssrc)
            .map(|s| s.window);
        self.slots[slot] = Some(Stream {
            ssrc,
            window: update(current),
            last_used: self.clock,
        });
    }

    fn is_full_without(&self, ssrc: u32) -> bool {
        self.find(ssrc).is_none() && self.slots.iter().all(Option::is_some)
    }
}

/// The SRTP state of one leg: protects what it sends under our key and
/// unprotects what it receives under the peer's.
#[derive(Debug)]
pub struct SrtpSession {
    params: SrtpParams,
    send_rtp: SessionKeys,
    send_rtcp: SessionKeys,
    receive_rtp: SessionKeys,
    receive_rtcp: SessionKeys,
    sent_rtp: Streams,
    sent_rtcp: Streams,
    received_rtp: Streams,
    received_rtcp: Streams,
}

impl SrtpSession {
    /// Derives the session keys of both directions (done once: a key
    /// derivation rate of 0).
    pub fn new(params: &SrtpParams) -> Self {
        Self {
            params: *params,
            send_rtp: SessionKeys::derive(&params.send, RTP_LABELS),
            send_rtcp: SessionKeys::derive(&params.send, RTCP_LABELS),
            receive_rtp: SessionKeys::derive(&params.receive, RTP_LABELS),
            receive_rtcp: SessionKeys::derive(&params.receive, RTCP_LABELS),
            sent_rtp: Streams::default(),
            sent_rtcp: Streams::default(),
            received_rtp: Streams::default(),
            received_rtcp: Streams::default(),
        }
    }

    pub fn suite(&self) -> SrtpSuite {
        self.params.suite
    }

    /// Takes new params (a re-INVITE): a direction whose key changed starts
    /// afresh, one whose key did not keeps its indices and replay state.
    /// Both suites share keys and keystream, so a change of suite changes
    /// only the tag length.
    pub fn update(&mut self, params: &SrtpParams) {
        if params.send != self.params.send {
            self.send_rtp = SessionKeys::derive(&params.send, RTP_LABELS);
            self.send_rtcp = SessionKeys::derive(&params.send, RTCP_LABELS);
            self.sent_rtp = Streams::default();
            self.sent_rtcp = Streams::default();
        }
        if params.receive != self.params.receive {
            self.receive_rtp = SessionKeys::derive(&params.receive, RTP_LABELS);
            self.receive_rtcp = SessionKeys::derive(&params.receive, RTCP_LABELS);
            self.received_rtp = Streams::default();
            self.received_rtcp = Streams::default();
        }
        self.params = *params;
    }

    /// Protects the RTP packet at `buf[start..]` in place: encrypts its
    /// payload and appends the tag. On error `buf` is as it was.
    pub fn protect_rtp(&mut self, buf: &mut Vec<u8>, start: usize) -> Result<(), MediaError> {
        let packet = buf.get(start..).unwrap_or_default();
        let header_len = rtp_header_len(packet)?;
        let (seq, ssrc) = rtp_seq_and_ssrc(packet);
        let index = match self.sent_rtp.find(ssrc) {
            Some(stream) => estimate_index(stream.window.newest, seq),
            None if self.sent_rtp.is_full_without(ssrc) => {
                return Err(MediaError::SrtpTooManyStreams { max: MAX_STREAMS })
            }
            None => Some(u64::from(seq)),
        }
        .ok_or(MediaError::SrtpExhausted { stream: RTP, ssrc })?;
        let roc = (index >> 16) as u32;
        self.send_rtp
            .apply_keystream(ssrc, index, &mut buf[start + header_len..]);
        let tag = self.send_rtp.mac_of(&buf[start..], Some(roc)).finalize();
        buf.extend_from_slice(&tag.into_bytes()[..self.params.suite.rtp_tag_len()]);
        self.sent_rtp.upsert(ssrc, |window| match window {
            Some(mut w) => {
                w.newest = w.newest.max(index);
                w
            }
            None => ReplayWindow::starting_at(index),
        });
        Ok(())
    }

    /// Unprotects an SRTP packet in place: checks replay and the tag, then
    /// decrypts. Returns the length of the RTP packet now at the front of
    /// `packet`. On error nothing was decrypted and no state changed.
    pub fn unprotect_rtp(&mut self, packet: &mut [u8]) -> Result<usize, MediaError> {
        let header_len = rtp_header_len(packet)?;
        let tag_len = self.params.suite.rtp_tag_len();
        if packet.len() < header_len + tag_len {
            return Err(MediaError::SrtpTruncated {
                stream: RTP,
                len: packet.len(),
                needed: header_len + tag_len,
            });
        }
        let (seq, ssrc) = rtp_seq_and_ssrc(packet);
        let index = match self.received_rtp.find(ssrc) {
            Some(stream) => {
                let newest = stream.window.newest;
                let index = estimate_index(newest, seq).ok_or(MediaError::SrtpTooOld {
                    stream: RTP,
                    ssrc,
                    index: u64::from(seq),
                    newest,
                })?;
                stream.window.check(RTP, ssrc, index)?;
                index
            }
            // A new SSRC: its first packet sets the index (ROC 0, §3.3.1).
            None => u64::from(seq),
        };
        let body_end = packet.len() - tag_len;
        let roc = (index >> 16) as u32;
        self.receive_rtp
            .mac_of(&packet[..body_end], Some(roc))
            .verify_truncated_left(&packet[body_end..])
            .map_err(|_| MediaError::SrtpAuthFailed {
                stream: RTP,
                ssrc,
                index,
            })?;
        self.receive_rtp
            .apply_keystream(ssrc, index, &mut packet[header_len..body_end]);
        self.received_rtp.upsert(ssrc, |window| match window {
            Some(mut w) => {
                w.accept(index);
                w
            }
            None => ReplayWindow::starting_at(index),
        });
        Ok(body_end)
    }

    /// Protects the (compound) RTCP packet at `buf[start..]` in place:
    /// encrypts all but its first 8 bytes, appends E|index and the tag.
    pub fn protect_rtcp(&mut self, buf: &mut Vec<u8>, start: usize) -> Result<(), MediaError> {
        let packet = buf.get(start..).unwrap_or_default();
        if packet.len() < RTCP_CLEAR_LEN {
            return Err(MediaError::SrtpTruncated {
                stream: RTCP,
                len: packet.len(),
                needed: RTCP_CLEAR_LEN,
            });
        }
        let ssrc = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        // `newest` holds the next index to use; the first packet gets 0 (§3.4).
        let index = match self.sent_rtcp.find(ssrc) {
            Some(stream) => stream.window.newest,
            None if self.sent_rtcp.is_full_without(ssrc) => {
                return Err(MediaError::SrtpTooManyStreams { max: MAX_STREAMS })
            }
            None => 0,
        };
        if index > u64::from(MAX_SRTCP_INDEX) {
            return Err(MediaError::SrtpExhausted { stream: RTCP, ssrc });
        }
        self.send_rtcp
            .apply_keystream(ssrc, index, &mut buf[start + RTCP_CLEAR_LEN..]);
        buf.extend_from_slice(&(index as u32 | 1 << 31).to_be_bytes());
        let tag = self.send_rtcp.mac_of(&buf[start..], None).finalize();
        buf.extend_from_slice(&tag.into_bytes()[..SRTCP_TAG_LEN]);
        self.sent_rtcp
            .upsert(ssrc, |_| ReplayWindow::starting_at(index + 1));
        Ok(())
    }

    /// Unprotects an SRTCP packet in place; returns the length of the RTCP
    /// packet now at the front of `packet`. The tag is checked whatever the
    /// E flag says (a packet sent unencrypted is still authenticated).
    pub fn unprotect_rtcp(&mut self, packet: &mut [u8]) -> Result<usize, MediaError> {
        let needed = RTCP_CLEAR_LEN + SRTCP_INDEX_LEN + SRTCP_TAG_LEN;
        if packet.len() < needed {
            return Err(MediaError::SrtpTruncated {
                stream: RTCP,
                len: packet.len(),
                needed,
            });
        }
        let ssrc = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        let body_end = packet.len() - SRTCP_TAG_LEN - SRTCP_INDEX_LEN;
        let word = u32::from_be_bytes([
            packet[body_end],
            packet[body_end + 1],
            packet[body_end + 2],
            packet[body_end + 3],
        ]);
        let encrypted = word >> 31 == 1;
        let index = u64::from(word & MAX_SRTCP_INDEX);
        if let Some(stream) = self.received_rtcp.find(ssrc) {
            stream.window.check(RTCP, ssrc, index)?;
        }
        let tag_at = packet.len() - SRTCP_TAG_LEN;
        self.receive_rtcp
            .mac_of(&packet[..tag_at], None)
            .verify_truncated_left(&packet[tag_at..])
            .map_err(|_| MediaError::SrtpAuthFailed {
                stream: RTCP,
                ssrc,
                index,
            })?;
        if encrypted {
            self.receive_rtcp
                .apply_keystream(ssrc, index, &mut packet[RTCP_CLEAR_LEN..body_end]);
        }
        self.received_rtcp.upsert(ssrc, |window| match window {
            Some(mut w) => {
                w.accept(index);
                w
            }
            None => ReplayWindow::starting_at(index),
        });
        Ok(body_end)
    }
}

/// Length of an RTP header with its CSRCs and extension: what SRTP leaves
/// in clear. Checks only what it needs to find the payload.
fn rtp_header_len(packet: &[u8]) -> Result<usize, MediaError> {
    if packet.len() < RTP_HEADER_LEN {
        return Err(MediaError::RtpTruncated {
            len: packet.len(),
            needed: RTP_HEADER_LEN,
        });
    }
    let version = packet[0] >> 6;
    if version != 2 {
        return Err(MediaError::RtpVersion { version });
    }
    let mut len = RTP_HEADER_LEN + 4 * usize::from(packet[0] & 0x0F);
    if packet[0] & 0x10 != 0 {
        if packet.len() < len + 4 {
            return Err(MediaError::RtpTruncated {
                len: packet.len(),
                needed: len + 4,
            });
        }
        len += 4 + 4 * usize::from(u16::from_be_bytes([packet[len + 2], packet[len + 3]]));
    }
    if packet.len() < len {
        return Err(MediaError::RtpTruncated {
            len: packet.len(),
            needed: len,
        });
    }
    Ok(len)
}

fn rtp_seq_and_ssrc(packet: &[u8]) -> (u16, u32) {
    (
        u16::from_be_bytes([packet[2], packet[3]]),
        u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        let text: String = text.split_whitespace().collect();
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test vectors are hex"))
            .collect()
    }

    /// RFC 3711 B.3's master key and salt (also libsrtp's test key).
    fn rfc3711_key() -> SrtpKey {
        SrtpKey::from_slice(&unhex(
            "E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6",
        ))
        .unwrap()
    }

    #[test]
    fn rfc3711_b3_key_derivation() {
        let master = rfc3711_key();
        let mut cipher_key = [0u8; 16];
        derive(&master, LABEL_RTP_ENCRYPTION, &mut cipher_key);
        assert_eq!(
            cipher_key.to_vec(),
            unhex("C61E7A93744F39EE10734AFE3FF7A087")
        );
        let mut cipher_salt = [0u8; 14];
        derive(&master, LABEL_RTP_SALT, &mut cipher_salt);
        assert_eq!(cipher_salt.to_vec(), unhex("30CBBC08863D8C85D49DB34A9AE1"));
        let mut auth_key = [0u8; 94];
        derive(&master, LABEL_RTP_AUTH, &mut auth_key);
        assert_eq!(
            auth_key.to_vec(),
            unhex(
                "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
                 E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
                 6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"
            )
        );
    }

    #[test]
    fn rfc3711_b2_aes_counter_mode_keystream() {
        let key: [u8; 16] = unhex("2B7E151628AED2A6ABF7158809CF4F3C")
            .try_into()
            .unwrap();
        let salt: [u8; 14] = unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().unwrap();
        let keys = SessionKeys::from_session(&key, salt, &[0; 20]);
        // Blocks 0..=2 and 0xFEFF..=0xFF01 of the keystream for SSRC 0, index 0.
        let mut stream = vec![0u8; 0xFF02 * 16];
        keys.apply_keystream(0, 0, &mut stream);
        let block = |n: usize| stream[n * 16..n * 16 + 16].to_vec();
        assert_eq!(block(0), unhex("E03EAD0935C95E80E166B16DD92B4EB4"));
        assert_eq!(block(1), unhex("D23513162B02D0F72A43A2FE4A5F97AB"));
        assert_eq!(block(2), unhex("41E95B3BB0A2E8DD477901E4FCA894C0"));
        assert_eq!(block(0xFEFF), unhex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
        assert_eq!(block(0xFF00), unhex("362B7C3C6773516318A077D7FC5073AE"));
        assert_eq!(block(0xFF01), unhex("6A2CC3787889374FBEB4C81B17BA6C44"));
    }

    #[test]
    fn index_estimate_follows_appendix_a() {
        // Near the top of the sequence space, a small seq is the next cycle.
        assert_eq!(estimate_index(65_535, 2), Some(0x1_0002));
        // Just after a wrap, a large seq is a late packet of the last cycle.
        assert_eq!(estimate_index(0x1_0003, 65_534), Some(65_534));
        // In the first cycle nothing lies before index 0.
        assert_eq!(estimate_index(3, 65_534), None);
        assert_eq!(estimate_index(40_000, 40_010), Some(40_010));
        // The 48-bit index space ends.
        assert_eq!(estimate_index(MAX_ROC << 16 | 65_535, 1), None);
    }

    #[test]
    fn replay_window_takes_reordered_packets_once() {
        let mut w = ReplayWindow::starting_at(1_000);
        for index in [1_002, 1_001, 999] {
            assert!(w.check(RTP, 1, index).is_ok());
            w.accept(index);
        }
        for index in [999, 1_000, 1_001, 1_002] {
            assert!(matches!(
                w.check(RTP, 1, index),
                Err(MediaError::SrtpReplayed { .. })
            ));
        }
        w.accept(1_002 + 200);
        assert!(matches!(
            w.check(RTP, 1, 1_002),
            Err(MediaError::SrtpTooOld { .. })
        ));
    }

    #[test]
    fn key_debug_shows_no_bytes() {
        let params = SrtpParams {
            suite: SrtpSuite::AesCm128HmacSha1_80,
            send: SrtpKey::new([0xAB; 30]),
            receive: SrtpKey::new([0xCD; 30]),
        };
        let shown = format!("{params:?} {:?}", SrtpSession::new(&params));
        assert!(!shown.to_ascii_lowercase().contains("ab, "), "{shown}");
        assert!(!shown.contains("171") && !shown.contains("205"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    /// libsrtp's `srtp_validate` packets (test/srtp_driver.c), made with
    /// the RFC 3711 B.3 key under AES_CM_128_HMAC_SHA1_80, SSRC cafebabe.
    const LIBSRTP_RTP: &str = "800f1234decafbadcafebabe abababababababababababababababab";
    const LIBSRTP_SRTP: &str = "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402
                                b78d6acc99ea179b8dbb";
    const LIBSRTP_RTCP: &str = "81c8000bcafebabe abababababababababababababababab";
    /// Its SRTCP index is 1: libsrtp counts from 1, we from 0 (RFC 3711 §3.4).
    const LIBSRTP_SRTCP: &str = "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8
                                 80000001 993e08cd54d6c1230798";

    fn session(suite: SrtpSuite, send: SrtpKey, receive: SrtpKey) -> SrtpSession {
        SrtpSession::new(&SrtpParams {
            suite,
            send,
            receive,
        })
    }

    fn libsrtp_session() -> SrtpSession {
        session(SrtpSuite::AesCm128HmacSha1_80, rfc3711_key(), rfc3711_key())
    }

    #[test]
    fn libsrtp_rtp_vector_protects_and_unprotects() {
        let mut ours = libsrtp_session();
        let mut buf = b"leading datagram".to_vec();
        let start = buf.len();
        buf.extend(unhex(LIBSRTP_RTP));
        ours.protect_rtp(&mut buf, start).unwrap();
        assert_eq!(buf[start..].to_vec(), unhex(LIBSRTP_SRTP));
        assert_eq!(
            &buf[..start],
            b"leading datagram",
            "what was before is untouched"
        );

        let mut theirs = unhex(LIBSRTP_SRTP);
        let len = libsrtp_session().unprotect_rtp(&mut theirs).unwrap();
        assert_eq!(theirs[..len].to_vec(), unhex(LIBSRTP_RTP));
    }

    #[test]
    fn libsrtp_rtcp_vector_protects_and_unprotects() {
        let mut ours = libsrtp_session();
        let mut first = unhex(LIBSRTP_RTCP);
        ours.protect_rtcp(&mut first, 0).unwrap();
        assert_eq!(
            first[first.len() - 14..][..4],
            [0x80, 0, 0, 0],
            "index 0 first"
        );
        let mut second = unhex(LIBSRTP_RTCP);
        ours.protect_rtcp(&mut second, 0).unwrap();
        assert_eq!(second, unhex(LIBSRTP_SRTCP));

        let mut theirs = unhex(LIBSRTP_SRTCP);
        let len = libsrtp_session().unprotect_rtcp(&mut theirs).unwrap();
        assert_eq!(theirs[..len].to_vec(), unhex(LIBSRTP_RTCP));
    }

    /// Packets protected by a second implementation, webrtc-rs's rtc-srtp
    /// 0.21.1: the one after a sequence wrap (ROC 1 in IV and tag) and the
    /// first SRTCP packet (its index 1 is our second).
    #[test]
    fn rtc_srtp_agrees_across_the_sequence_wrap() {
        let key_and_salt: Vec<u8> = (0u8..16)
            .map(|i| i.wrapping_mul(17).wrapping_add(3))
            .chain((0u8..14).map(|i| i.wrapping_mul(29).wrapping_add(7)))
            .collect();
        let key = SrtpKey::from_slice(&key_and_salt).unwrap();
        let mut ours = session(SrtpSuite::AesCm128HmacSha1_80, key, key);
        let rtp = |seq: u16| {
            let mut p = unhex("8000 0000 01020304 deadbeef");
            p[2..4].copy_from_slice(&seq.to_be_bytes());
            p.extend((0..160u32).map(|i| (i * 7 % 256) as u8));
            p
        };
        let mut protected = Vec::new();
        for seq in [65_534, 65_535, 0] {
            protected = rtp(seq);
            ours.protect_rtp(&mut protected, 0).unwrap();
        }
        assert_eq!(
            protected,
            unhex(
                "8000000001020304deadbeef01d52e5334edd02aecd8c276c6f1101fc603899c4c95a895c702
                 8de7c97d2e12043e2354e51914c998586785d2e980fc8ca2e1518ab20087694c1842f9029c78
                 ebf071f36f2422856260720cdacf7954fac2208a7b769a6073c547b0f1ac65a1f42bfc21b3dc
                 35d4cd77674073e3a392f1375a0a82ef22564f1a00b22d829865ee9f0ab745551091c7fbe62b
                 4d139e089e211c0b821154d140f536a4133345b1d0d0ba1da57c3f0d9d5f"
            )
        );
        let rtcp = || {
            let mut p = unhex("81c90007 deadbeef");
            p.extend((0..24u32).map(|i| (i * 13 % 256) as u8));
            p
        };
        let mut first = rtcp();
        ours.protect_rtcp(&mut first, 0).unwrap();
        let mut second = rtcp();
        ours.protect_rtcp(&mut second, 0).unwrap();
        assert_eq!(
            second,
            unhex(
                "81c90007deadbeefbeb42cc574b95ec0e5e1522dd659f4070e70b13152adf887
                 80000001 03a985c040d88f9ed935"
            )
        );
    }

    #[test]
    fn srtcp_with_the_e_flag_cleared_is_still_authenticated() {
        // A forger clears E so that the payload is taken as plaintext: the
        // tag still has to verify.
        let mut forged = unhex(LIBSRTP_SRTCP);
        let e_at = forged.len() - 14;
        forged[e_at] &= 0x7F;
        forged[8..24].copy_from_slice(&[0x55; 16]);
        assert!(matches!(
            libsrtp_session().unprotect_rtcp(&mut forged),
            Err(MediaError::SrtpAuthFailed {
                stream: "SRTCP",
                ..
            })
        ));
    }

    #[test]
    fn the_32_bit_suite_sends_a_4_byte_tag_on_rtp_and_10_on_rtcp() {
        let key = SrtpKey::new([7; 30]);
        let mut tx = session(SrtpSuite::AesCm128HmacSha1_32, key, key);
        let mut rx = session(SrtpSuite::AesCm128HmacSha1_32, key, key);
        let mut rtp = unhex(LIBSRTP_RTP);
        tx.protect_rtp(&mut rtp, 0).unwrap();
        assert_eq!(rtp.len(), 28 + 4);
        assert_eq!(rx.unprotect_rtp(&mut rtp).unwrap(), 28);
        let mut rtcp = unhex(LIBSRTP_RTCP);
        tx.protect_rtcp(&mut rtcp, 0).unwrap();
        assert_eq!(rtcp.len(), 24 + 4 + 10);
        assert_eq!(rx.unprotect_rtcp(&mut rtcp).unwrap(), 24);
    }

    #[test]
    fn short_and_garbage_packets_are_errors_not_panics() {
        let mut rx = libsrtp_session();
        for len in 0..40 {
            let mut junk = vec![0x80; len];
            assert!(rx.unprotect_rtp(&mut junk).is_err());
            let mut junk = vec![0x81; len];
            assert!(rx.unprotect_rtcp(&mut junk).is_err());
        }
        // A header whose extension claims more than the packet holds.
        let mut lying = unhex("900f1234decafbadcafebabe beDE00ff 00000000 0000000000");
        assert!(matches!(
            rx.unprotect_rtp(&mut lying),
            Err(MediaError::RtpTruncated { .. })
        ));
        let mut empty = Vec::new();
        assert!(rx.protect_rtp(&mut empty, 0).is_err());
        assert!(rx.protect_rtcp(&mut empty, 0).is_err());
        assert!(empty.is_empty());
    }

    /// A leg and its peer: each protects with its own key and unprotects
    /// with the other's.
    fn pair(suite: SrtpSuite) -> (SrtpSession, SrtpSession) {
        let (ours, theirs) = (SrtpKey::new([0x11; 30]), SrtpKey::new([0x22; 30]));
        (session(suite, ours, theirs), session(suite, theirs, ours))
    }

    fn audio(seq: u16) -> Vec<u8> {
        let mut p = unhex("80 00 0000 00000000 12345678");
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        p.extend(std::iter::repeat_n(seq as u8, 160));
        p
    }

    fn protected(session: &mut SrtpSession, plain: &[u8]) -> Vec<u8> {
        let mut buf = plain.to_vec();
        session.protect_rtp(&mut buf, 0).unwrap();
        buf
    }

    #[test]
    fn rtp_and_rtcp_round_trip_with_a_key_each_way() {
        for suite in [
            SrtpSuite::AesCm128HmacSha1_80,
            SrtpSuite::AesCm128HmacSha1_32,
        ] {
            let (mut leg, mut peer) = pair(suite);
            let plain = audio(7);
            let mut wire = protected(&mut leg, &plain);
            assert_ne!(wire[12..172], plain[12..], "the payload is encrypted");
            assert_eq!(wire[..12], plain[..12], "the header is not");
            let len = peer.unprotect_rtp(&mut wire).unwrap();
            assert_eq!(wire[..len], plain[..]);

            let report = unhex("80c90001 87654321");
            let mut wire = report.clone();
            peer.protect_rtcp(&mut wire, 0).unwrap();
            let len = leg.unprotect_rtcp(&mut wire).unwrap();
            assert_eq!(wire[..len], report[..]);
        }
    }

    #[test]
    fn a_tampered_packet_is_refused_and_changes_nothing() {
        let (mut leg, mut peer) = pair(SrtpSuite::AesCm128HmacSha1_80);
        let genuine = protected(&mut leg, &audio(100));
        for at in 0..genuine.len() {
            let mut forged = genuine.clone();
            forged[at] ^= 0x01;
            let refused = peer.unprotect_rtp(&mut forged);
            assert!(refused.is_err(), "byte {at} flipped was accepted");
        }
        // The forgeries left no trace: the genuine packet still passes.
        let mut wire = genuine.clone();
        assert!(peer.unprotect_rtp(&mut wire).is_ok());

        let mut rtcp = unhex("80c90001 12345678");
        leg.protect_rtcp(&mut rtcp, 0).unwrap();
        let mut forged = rtcp.clone();
        forged[9] ^= 0x80;
        assert!(matches!(
            peer.unprotect_rtcp(&mut forged),
            Err(MediaError::SrtpAuthFailed { .. })
        ));
        assert!(peer.unprotect_rtcp(&mut rtcp).is_ok());
    }

    #[test]
    fn a_replayed_packet_is_refused() {
        let (mut leg, mut peer) = pair(SrtpSuite::AesCm128HmacSha1_80);
        let first = protected(&mut leg, &audio(500));
        let second = protected(&mut leg, &audio(501));
        assert!(peer.unprotect_rtp(&mut first.clone()).is_ok());
        assert!(peer.unprotect_rtp(&mut second.clone()).is_ok());
        for replay in [&first, &second] {
            assert!(matches!(
                peer.unprotect_rtp(&mut replay.clone()),
                Err(MediaError::SrtpReplayed { stream: "SRTP", .. })
            ));
        }
        let mut rtcp = unhex("80c90001 12345678");
        leg.protect_rtcp(&mut rtcp, 0).unwrap();
        assert!(peer.unprotect_rtcp(&mut rtcp.clone()).is_ok());
        assert!(matches!(
            peer.unprotect_rtcp(&mut rtcp),
            Err(MediaError::SrtpReplayed {
                stream: "SRTCP",
                ..
            })
        ));
    }

    #[test]
    fn the_rollover_counter_follows_the_sequence_across_its_wrap() {
        let (mut leg, mut peer) = pair(SrtpSuite::AesCm128HmacSha1_80);
        // From 65,000 through the wrap to 2,000 in the next cycle, with the
        // packets around the wrap arriving out of order.
        let mut wire: Vec<Vec<u8>> = (0..2_536u32)
            .map(|n| protected(&mut leg, &audio((65_000 + n) as u16)))
            .collect();
        wire.swap(535, 536); // 65,535 after 0
        wire.swap(530, 540);
        for (n, packet) in wire.iter_mut().enumerate() {
            let len = peer
                .unprotect_rtp(packet)
                .unwrap_or_else(|e| panic!("packet {n}: {e}"));
            assert_eq!(len, 172);
        }
        let newest = peer.received_rtp.find(0x1234_5678).unwrap().window.newest;
        assert_eq!(newest, (1 << 16) | 1_999, "ROC 1 after the wrap");
        // A replay from the previous cycle is still recognised.
        assert!(peer.unprotect_rtp(&mut wire[2_400].clone()).is_err());
    }

    #[test]
    fn a_peer_switching_ssrc_is_followed() {
        let (ours, theirs) = (SrtpKey::new([0x11; 30]), SrtpKey::new([0x22; 30]));
        let mut peer = session(SrtpSuite::AesCm128HmacSha1_80, theirs, ours);
        let with_ssrc = |ssrc: u32, seq: u16| {
            let mut plain = audio(seq);
            plain[8..12].copy_from_slice(&ssrc.to_be_bytes());
            plain
        };
        // Five streams (an SBC switching sources): the fifth pushes out the
        // least recently heard, which is then taken as new when it returns.
        for (ssrc, seq) in [(1, 10), (2, 10), (3, 10), (4, 10), (5, 10), (1, 11)] {
            let mut sender = session(SrtpSuite::AesCm128HmacSha1_80, ours, theirs);
            let mut wire = protected(&mut sender, &with_ssrc(ssrc, seq));
            assert!(peer.unprotect_rtp(&mut wire).is_ok(), "SSRC {ssrc}");
        }
        // We send one SSRC per leg; a fifth would need a stream forgotten,
        // and forgetting one could repeat its keystream.
        let mut leg = session(SrtpSuite::AesCm128HmacSha1_80, ours, theirs);
        for ssrc in 1..=4 {
            protected(&mut leg, &with_ssrc(ssrc, 1));
        }
        assert!(matches!(
            leg.protect_rtp(&mut with_ssrc(5, 1), 0),
            Err(MediaError::SrtpTooManyStreams { max: 4 })
        ));
    }

    #[test]
    fn a_reinvite_changes_only_the_direction_whose_key_changed() {
        let (ours, theirs, renewed) = (
            SrtpKey::new([0x11; 30]),
            SrtpKey::new([0x22; 30]),
            SrtpKey::new([0x33; 30]),
        );
        let suite = SrtpSuite::AesCm128HmacSha1_80;
        let mut leg = session(suite, ours, theirs);
        let mut peer = session(suite, theirs, ours);
        let mut wire = protected(&mut leg, &audio(65_535));
        assert!(peer.unprotect_rtp(&mut wire).is_ok());

        // The peer renews its key; ours stays, and so does its index (ROC 1
        // after the wrap), or the peer could not follow.
        leg.update(&SrtpParams {
            suite,
            send: ours,
            receive: renewed,
        });
        let mut wire = protected(&mut leg, &audio(0));
        assert!(peer.unprotect_rtp(&mut wire).is_ok());
        let mut renewed_peer = session(suite, renewed, ours);
        let mut old_key = protected(&mut peer, &audio(1));
        assert!(matches!(
            leg.unprotect_rtp(&mut old_key),
            Err(MediaError::SrtpAuthFailed { .. })
        ));
        let mut new_key = protected(&mut renewed_peer, &audio(1));
        assert!(leg.unprotect_rtp(&mut new_key).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn any_datagram_is_refused_or_accepted_without_a_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let (_, mut peer) = pair(SrtpSuite::AesCm128HmacSha1_80);
            let mut a = bytes.clone();
            proptest::prop_assert!(peer.unprotect_rtp(&mut a).is_err());
            let mut b = bytes;
            proptest::prop_assert!(peer.unprotect_rtcp(&mut b).is_err());
        }

        #[test]
        fn protect_then_unprotect_gives_the_packet_back(
            seq in proptest::prelude::any::<u16>(),
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        ) {
            let (mut leg, mut peer) = pair(SrtpSuite::AesCm128HmacSha1_32);
            let mut plain = audio(seq);
            plain.truncate(12);
            plain.extend(payload);
            let mut wire = protected(&mut leg, &plain);
            let len = peer.unprotect_rtp(&mut wire).unwrap();
            proptest::prop_assert_eq!(&wire[..len], &plain[..]);
        }
    }

    #[test]
    fn a_key_of_the_wrong_length_is_an_error() {
        assert!(matches!(
            SrtpKey::from_slice(&[0; 29]),
            Err(MediaError::SrtpKeyLength {
                len: 29,
                expected: 30
            })
        ));
    }
}
