//! The sans-IO core of one media leg: what it sends on each 20 ms tick and
//! what it makes of each datagram it receives.
//!
//! The core never reads the clock, never touches a socket and never spawns:
//! the runtime ([`crate::engine`]) feeds it datagrams and ticks with `now`,
//! sends what it puts in the [`Outbox`], moves [`BridgeFrame`]s between
//! bridged legs, and forwards its [`MediaEvent`]s. Tests drive it on
//! simulated time.
//!
//! A leg exchanges audio with any number of peer legs, each under a
//! [`Route`] (does this leg hear the peer, does the peer hear it). What it
//! hears is mixed frame by frame: each heard peer has a short queue of
//! relayed audio, and on each tick the peers with a whole 20 ms frame
//! queued are summed (decoded to linear, saturated, re-encoded); a peer
//! with nothing fresh adds silence. A single peer's audio is passed on
//! byte for byte. Which routes a leg has is decided elsewhere
//! ([`crate::route`]); the core only applies them.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use crate::dtmf::{DtmfDigit, TelephoneEvent, TelephoneEventReceiver, TelephoneEventSender};
use crate::g711::Codec;
use crate::goertzel::DtmfDetector;
use crate::prompt::Prompt;
use crate::recorder::{RecorderMsg, RecorderSink, SampleDelivery};
use crate::route::Route;
use crate::rtcp::{self, ReceptionStats, ReportBlock, SenderInfo};
use crate::rtp::{self, RtpHeader};
use crate::srtp::{SrtpParams, SrtpSession};
use crate::MediaError;

/// Samples in one 20 ms packet at 8 kHz.
pub const SAMPLES_PER_TICK: usize = 160;
/// The media clock period.
pub const TICK: Duration = Duration::from_millis(20);
/// Seconds between RTCP reports (RFC 3550's minimum interval).
pub const RTCP_INTERVAL: Duration = Duration::from_secs(5);
/// Relayed audio waiting beyond this is dropped (oldest first), bounding
/// bridge latency; per peer, so a mix waits on no peer for more than this.
const MAX_RELAY_BACKLOG: usize = 3 * SAMPLES_PER_TICK;
/// The peer of the one-to-one API ([`LegCore::set_bridged`],
/// [`LegCore::push_bridge_frame`]); engine legs are numbered from 1.
const ONE_TO_ONE_PEER: LegId = LegId(0);
/// Caller audio kept for recording beyond the current tick (peers with long ptime).
const MAX_RX_BACKLOG: usize = 4 * SAMPLES_PER_TICK;
/// A frame quieter than this RMS counts as silence for voice messages (about -44 dBFS).
const SILENCE_RMS: f64 = 200.0;

/// Identifies a leg within an engine (and a peer leg to a leg core).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

/// Identifies one `play` request on a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaybackId(pub u64);

/// Identifies one recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordingId(pub u64);

/// How a key reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfSource {
    /// RFC 4733 telephone-event packets.
    Rfc4733,
    /// Audio tones found by the Goertzel detector.
    InBand,
    /// A SIP INFO request, handed over by the call controller.
    SipInfo,
}

/// Why a playback ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaybackOutcome {
    /// Every prompt played to the end.
    Completed,
    /// The caller pressed a key and the playback allowed barge-in.
    BargedIn { key: char },
    /// The controller stopped it (or the leg closed).
    Stopped,
}

/// Why a recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingStop {
    /// One of the stop keys was pressed.
    Key(char),
    /// The caller was silent for the configured time.
    Silence,
    /// The maximum length was reached.
    MaxDuration,
    /// The controller stopped it.
    Stopped,
    /// The leg closed.
    LegClosed,
}

/// What the controller hears from a leg.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// A key was pressed and released.
    Dtmf {
        key: char,
        duration: Duration,
        source: DtmfSource,
    },
    /// A playback ended.
    PlaybackFinished {
        id: PlaybackId,
        outcome: PlaybackOutcome,
    },
    /// No RTP arrived for the configured time: the call should be hung up.
    DeadMedia { silent_for: Duration },
    /// RTP is arriving again after `DeadMedia`.
    MediaResumed,
    /// A recording is complete on disk.
    RecordingFinished {
        id: RecordingId,
        path: PathBuf,
        duration: Duration,
        reason: RecordingStop,
    },
    /// A recording could not be written.
    RecordingFailed {
        id: RecordingId,
        path: PathBuf,
        reason: String,
    },
    /// The bridged peer leg went away; this leg is on its own again.
    BridgeEnded,
    /// The call this (supervisor's) leg monitored is over: its bridge ended
    /// or one of its legs closed. This leg is on its own again.
    MonitorEnded,
}

/// Whose RTP a leg accepts before it latches, and where it may send before
/// the peer's own packets have shown where it is (symmetric RTP).
///
/// Audio is never aimed at an address nothing has confirmed: otherwise one
/// INVITE with a stranger's address in its SDP points 30 s of prompts at
/// them (reflection), and the first packet from anywhere would take a
/// citizen's audio (capture).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatchPolicy {
    /// The SDP address is trusted (a configured trunk's media gateway, or a
    /// peer the caller of this API vouches for): audio goes there at once,
    /// and the leg latches to the first packet from its IP, any port.
    #[default]
    SdpAddress,
    /// Only the host that signalled the call (the INVITE's source, or the
    /// phone a leg was placed to): RTP is accepted and latched from that IP
    /// alone (any port: NAT rewrites ports). Audio goes to the SDP address
    /// at once only if it is on that IP; otherwise once the peer's first
    /// packet has been latched. The default for callers.
    SignallingSource(IpAddr),
    /// The first valid packet from anywhere is latched: for callers whose
    /// RTP leaves from another address than their signalling. Insecure (a
    /// stranger who hits the port first takes the call); audio still waits
    /// for the latch unless the SDP address is the signalling source's.
    AnySource(IpAddr),
}

impl LatchPolicy {
    /// Whether RTP from `from` may be latched, for a leg whose SDP said `sdp`.
    fn may_latch(self, from: SocketAddr, sdp: SocketAddr) -> bool {
        match self {
            Self::SdpAddress => from.ip() == sdp.ip(),
            Self::SignallingSource(ip) => from.ip() == ip,
            Self::AnySource(_) => true,
        }
    }

    /// Whether the SDP address may be sent to before anything was latched.
    fn sdp_confirmed(self, sdp: SocketAddr) -> bool {
        match self {
            Self::SdpAddress => true,
            Self::SignallingSource(ip) | Self::AnySource(ip) => sdp.ip() == ip,
        }
    }
}

/// What the signalling negotiated for a leg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LegParams {
    /// Where the SDP said to send RTP.
    pub remote: SocketAddr,
    pub codec: Codec,
    /// The negotiated telephone-event payload type, if any.
    pub dtmf_payload_type: Option<u8>,
    pub latch: LatchPolicy,
    /// No RTP for this long raises `DeadMedia`; `None` disables it (hold).
    pub dead_media_after: Option<Duration>,
    /// Listen for in-band tones until the peer shows it sends RFC 4733.
    pub inband_dtmf: bool,
    /// RTP and RTCP share the RTP port (RFC 5761 `a=rtcp-mux`, as WebRTC
    /// requires). RTCP arriving on the RTP port is accepted either way.
    pub rtcp_mux: bool,
    /// SRTP keyed by SDES (`RTP/SAVP` with `a=crypto`): everything sent is
    /// protected under our key, everything received must authenticate
    /// under the peer's (or it is dropped and counted). `None`: plain RTP.
    pub srtp: Option<SrtpParams>,
}

impl LegParams {
    /// Params with the defaults: the SDP address trusted (`LatchPolicy::SdpAddress`),
    /// 30 s dead media, in-band on, no SRTP.
    pub fn new(remote: SocketAddr, codec: Codec, dtmf_payload_type: Option<u8>) -> Self {
        Self {
            remote,
            codec,
            dtmf_payload_type,
            latch: LatchPolicy::SdpAddress,
            dead_media_after: Some(Duration::from_secs(30)),
            inband_dtmf: true,
            rtcp_mux: false,
            srtp: None,
        }
    }
}

/// Which of the leg's two sockets a datagram leaves from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    Rtp,
    Rtcp,
}

/// Datagrams produced by ticks, sharing one buffer.
#[derive(Debug, Default)]
pub struct Outbox {
    bytes: Vec<u8>,
    packets: Vec<(Port, SocketAddr, usize, usize)>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the datagram `write` puts at the end of the shared buffer;
    /// `write` may refuse (returns false): then nothing it wrote is kept.
    fn try_push_with(
        &mut self,
        port: Port,
        to: SocketAddr,
        write: impl FnOnce(&mut Vec<u8>) -> bool,
    ) -> bool {
        let start = self.bytes.len();
        if write(&mut self.bytes) {
            self.packets.push((port, to, start, self.bytes.len()));
            true
        } else {
            self.bytes.truncate(start);
            false
        }
    }

    /// The datagrams, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Port, SocketAddr, &[u8])> + '_ {
        self.packets
            .iter()
            .map(|(port, to, a, b)| (*port, *to, &self.bytes[*a..*b]))
    }

    /// Number of datagrams waiting.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether no datagram is waiting.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Empties it, keeping the memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.packets.clear();
    }
}

/// Media passed from a leg to the leg it is bridged with.
///
/// This is the whole contract of a bridge: any kind of leg (RTP today,
/// WebRTC later) that produces and consumes these frames can be bridged.
#[derive(Debug, Clone, PartialEq)]
pub enum BridgeFrame {
    /// Audio as received, in the sender's codec.
    Audio { codec: Codec, payload: Vec<u8> },
    /// A key the other side pressed, to be regenerated here.
    Dtmf(DtmfDigit),
}

/// Counters of one leg, for metrics and the call record.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LegCounters {
    pub rtp_received: u64,
    pub rtp_sent: u64,
    pub malformed_dropped: u64,
    pub unexpected_source_dropped: u64,
    pub unknown_payload_dropped: u64,
    pub before_start_dropped: u64,
    pub rtcp_received: u64,
    pub rtcp_sent: u64,
    pub relay_dropped_samples: u64,
    /// Recorded samples lost because the disk writer fell too far behind.
    pub recording_dropped_samples: u64,
    pub events_dropped: u64,
    /// Ticks with nothing sent because no peer address was confirmed yet.
    pub unconfirmed_remote_ticks: u64,
    /// SRTP/SRTCP packets whose tag did not verify under the peer's key
    /// (forged, corrupted, plain RTP, or the wrong key): dropped.
    pub srtp_auth_failed: u64,
    /// SRTP/SRTCP packets already received, or older than the replay window: dropped.
    pub srtp_replayed: u64,
    /// Packets not sent because SRTP could not protect them (the key's
    /// index space used up: the call needs new keys).
    pub srtp_protect_failed: u64,
}

/// Quality figures of one leg (both directions).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LegStats {
    pub counters: LegCounters,
    /// What we received: expected, received, lost, jitter (RFC 3550).
    pub packets_expected: u64,
    pub packets_lost: u64,
    pub jitter_ms: f64,
    /// What the peer's last RTCP report said about our stream.
    pub remote_fraction_lost: Option<u8>,
    pub remote_cumulative_lost: Option<u32>,
    pub remote_jitter_ms: Option<f64>,
}

impl LegStats {
    /// The call-record event for this leg (`leg` names it: "caller", "agent").
    pub fn to_call_event(&self, leg: &str) -> hotline_types::CallEvent {
        hotline_types::CallEvent::MediaQuality {
            leg: leg.to_owned(),
            packets_lost: self.packets_lost,
            jitter_ms: self.jitter_ms,
        }
    }
}

/// Low-level noise sent when nothing else plays, so the caller knows the
/// line is alive and NAT bindings stay open. Shared by all legs.
#[derive(Debug)]
pub struct ComfortNoise {
    ulaw: Box<[u8]>,
    alaw: Box<[u8]>,
}

impl ComfortNoise {
    /// One second of noise at about -66 dBFS (an RMS of 16).
    pub fn new() -> Self {
        let mut state: u32 = 0x1234_5678;
        let samples: Vec<i16> = (0..8000)
            .map(|_| {
                // xorshift: cheap, deterministic, good enough for hiss.
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                ((state >> 16) as i16 as i32 * 28 / 32768) as i16
            })
            .collect();
        let mut ulaw = Vec::new();
        let mut alaw = Vec::new();
        Codec::Pcmu.encode_into(&samples, &mut ulaw);
        Codec::Pcma.encode_into(&samples, &mut alaw);
        Self {
            ulaw: ulaw.into_boxed_slice(),
            alaw: alaw.into_boxed_slice(),
        }
    }

    fn frame(&self, codec: Codec, offset: usize) -> &[u8] {
        let all = match codec {
            Codec::Pcmu => &self.ulaw,
            Codec::Pcma => &self.alaw,
        };
        let start = (offset * SAMPLES_PER_TICK) % (all.len() - SAMPLES_PER_TICK);
        &all[start..start + SAMPLES_PER_TICK]
    }
}

impl Default for ComfortNoise {
    fn default() -> Self {
        Self::new()
    }
}

/// A peer leg and what flows to and from it.
#[derive(Debug)]
struct PeerLink {
    id: LegId,
    route: Route,
    /// The peer's audio not mixed yet, in this leg's codec.
    relayed: VecDeque<u8>,
}

#[derive(Debug)]
struct Playback {
    id: PlaybackId,
    prompts: Vec<Arc<Prompt>>,
    index: usize,
    offset: usize,
    barge_in: bool,
}

/// Which recording channel layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordMode {
    /// Only what the caller says (a voice message), mono.
    CallerOnly,
    /// Caller on the left, what the caller hears on the right.
    Stereo,
    /// Both directions summed into one mono channel.
    Mixed,
}

/// What and how to record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordOptions {
    pub path: PathBuf,
    pub mode: RecordMode,
    pub max_duration: Option<Duration>,
    /// Keys that end the recording (e.g. "#"); empty for none.
    pub stop_keys: String,
    /// End after the caller has been silent this long.
    pub stop_after_silence: Option<Duration>,
}

#[derive(Debug)]
struct Recording {
    id: RecordingId,
    options: RecordOptions,
    sink: RecorderSink,
    recorded_samples: u64,
    silent_samples: u64,
}

#[derive(Debug, Clone, Copy)]
struct TxState {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    marker_next: bool,
    packets: u32,
    octets: u32,
}

#[derive(Debug)]
struct DtmfOut {
    sender: TelephoneEventSender,
    event_timestamp: u32,
}

/// One leg's media state.
#[derive(Debug)]
pub struct LegCore {
    params: Option<LegParams>,
    noise: Arc<ComfortNoise>,
    cname: String,
    tx: TxState,
    playbacks: VecDeque<Playback>,
    music: Option<(Arc<Prompt>, usize)>,
    dtmf_queue: VecDeque<DtmfDigit>,
    dtmf_out: Option<DtmfOut>,
    /// Keys as audio tones, for peers that negotiated no telephone-event.
    tones_out: VecDeque<u8>,
    gap_ticks: u8,
    events_rx: TelephoneEventReceiver,
    inband: Option<DtmfDetector>,
    rfc4733_seen: bool,
    barged_key: Option<char>,
    reception: ReceptionStats,
    remote_report: Option<ReportBlock>,
    counters: LegCounters,
    latched: Option<SocketAddr>,
    rtcp_remote: Option<SocketAddr>,
    started_at: Option<Instant>,
    last_rx_at: Option<Instant>,
    dead_reported: bool,
    next_rtcp_at: Option<Instant>,
    ticks: u64,
    /// The legs this one exchanges media with.
    peers: Vec<PeerLink>,
    /// Every route muted both ways (hold, in the one-to-one API).
    held: bool,
    /// Frames for peers, oldest first.
    peer_out: VecDeque<(LegId, BridgeFrame)>,
    rx_pcm: VecDeque<i16>,
    recording: Option<Recording>,
    scratch: Vec<i16>,
    events: VecDeque<MediaEvent>,
    srtp: Option<SrtpSession>,
    /// Where a received SRTP packet is unprotected (the datagram is
    /// borrowed); keeps its memory, so receiving allocates nothing.
    srtp_scratch: Vec<u8>,
}

impl LegCore {
    /// A leg that is not started yet (allocated, port in the SDP answer).
    pub fn new(
        ssrc: u32,
        initial_sequence: u16,
        initial_timestamp: u32,
        noise: Arc<ComfortNoise>,
    ) -> Self {
        Self {
            params: None,
            noise,
            cname: format!("hotline-{ssrc:08x}"),
            tx: TxState {
                ssrc,
                sequence: initial_sequence,
                timestamp: initial_timestamp,
                marker_next: true,
                packets: 0,
                octets: 0,
            },
            playbacks: VecDeque::new(),
            music: None,
            dtmf_queue: VecDeque::new(),
            dtmf_out: None,
            tones_out: VecDeque::new(),
            gap_ticks: 0,
            events_rx: TelephoneEventReceiver::new(),
            inband: None,
            rfc4733_seen: false,
            barged_key: None,
            reception: ReceptionStats::default(),
            remote_report: None,
            counters: LegCounters::default(),
            latched: None,
            rtcp_remote: None,
            started_at: None,
            last_rx_at: None,
            dead_reported: false,
            next_rtcp_at: None,
            ticks: 0,
            peers: Vec::new(),
            held: false,
            peer_out: VecDeque::new(),
            rx_pcm: VecDeque::new(),
            recording: None,
            scratch: Vec::with_capacity(SAMPLES_PER_TICK),
            events: VecDeque::new(),
            srtp: None,
            srtp_scratch: Vec::new(),
        }
    }

    /// Starts (or re-targets, on a re-INVITE) the media with negotiated params.
    pub fn start(&mut self, now: Instant, params: LegParams) {
        if self.params.as_ref().map(|p| p.remote) != Some(params.remote) {
            self.latched = None;
            self.rtcp_remote = None;
        }
        if params.inband_dtmf && !self.rfc4733_seen && self.inband.is_none() {
            self.inband = Some(DtmfDetector::new());
        }
        if !params.inband_dtmf {
            self.inband = None;
        }
        // A re-INVITE may keep the keys (state carries on), change the
        // peer's (receiving starts afresh) or ours; our sending state is
        // never reset under an unchanged key, which could repeat keystream.
        match (&mut self.srtp, &params.srtp) {
            (_, None) => self.srtp = None,
            (Some(session), Some(srtp)) => session.update(srtp),
            (None, Some(srtp)) => {
                self.srtp = Some(SrtpSession::new(srtp));
                self.srtp_scratch.reserve(rtp::MAX_RTP_PACKET + 64);
            }
        }
        self.params = Some(params);
        self.started_at.get_or_insert(now);
        self.next_rtcp_at.get_or_insert(now + RTCP_INTERVAL);
    }

    /// Where RTP goes now: the latched source, or the SDP address if the
    /// latch policy confirms it; `None` while nothing is confirmed (the leg
    /// then sends nothing).
    pub fn remote(&self) -> Option<SocketAddr> {
        self.latched.or(self
            .params
            .as_ref()
            .filter(|p| p.latch.sdp_confirmed(p.remote))
            .map(|p| p.remote))
    }

    /// Queues prompts; they play after what is already queued.
    pub fn play(&mut self, id: PlaybackId, prompts: Vec<Arc<Prompt>>, barge_in: bool) {
        self.playbacks.push_back(Playback {
            id,
            prompts,
            index: 0,
            offset: 0,
            barge_in,
        });
    }

    /// Stops the current and all queued playbacks.
    pub fn stop_playback(&mut self) {
        while let Some(p) = self.playbacks.pop_front() {
            self.events.push_back(MediaEvent::PlaybackFinished {
                id: p.id,
                outcome: PlaybackOutcome::Stopped,
            });
        }
    }

    /// Loops a prompt whenever nothing else plays (music on hold).
    pub fn start_music(&mut self, music: Arc<Prompt>) {
        self.music = Some((music, 0));
    }

    /// Stops the music.
    pub fn stop_music(&mut self) {
        self.music = None;
    }

    /// Queues keys to send: RFC 4733 events on the negotiated payload type,
    /// or in-band tones when there is none.
    pub fn send_dtmf(&mut self, digits: impl IntoIterator<Item = DtmfDigit>) {
        self.dtmf_queue.extend(digits);
    }

    /// A key reported by SIP INFO: handled like any other key.
    pub fn sip_info_dtmf(&mut self, digit: DtmfDigit) {
        self.on_digit(digit, DtmfSource::SipInfo);
    }

    /// Starts recording (ending any recording already running).
    pub fn start_recording(&mut self, id: RecordingId, options: RecordOptions, sink: RecorderSink) {
        self.stop_recording(RecordingStop::Stopped);
        self.rx_pcm.clear();
        self.recording = Some(Recording {
            id,
            options,
            sink,
            recorded_samples: 0,
            silent_samples: 0,
        });
    }

    /// Ends the running recording, if any.
    pub fn stop_recording(&mut self, reason: RecordingStop) {
        if let Some(rec) = self.recording.take() {
            // If the writer is gone it has already reported its failure.
            let _ = rec.sink.send_control(rec.id, RecorderMsg::Finish(reason));
        }
    }

    /// The id of the running recording.
    pub fn recording_id(&self) -> Option<RecordingId> {
        self.recording.as_ref().map(|r| r.id)
    }

    /// Links this leg with a peer leg, or changes what flows between them:
    /// while it hears the peer, frames pushed from it are mixed into what
    /// this leg sends; while it speaks to the peer, its received audio comes
    /// out of [`Self::poll_peer_frame`] addressed to the peer. Muting a
    /// direction drops what was queued that way at once.
    pub fn route_peer(&mut self, peer: LegId, route: Route) {
        match self.peers.iter_mut().find(|p| p.id == peer) {
            Some(link) => {
                if !route.hear {
                    link.relayed.clear();
                }
                link.route = route;
            }
            None => self.peers.push(PeerLink {
                id: peer,
                route,
                relayed: VecDeque::new(),
            }),
        }
        self.peer_out.retain(|(to, frame)| {
            *to != peer || (route.speak && (route.keys || !matches!(frame, BridgeFrame::Dtmf(_))))
        });
    }

    /// Unlinks a peer leg; what was queued from or for it is dropped.
    pub fn unroute_peer(&mut self, peer: LegId) {
        self.peers.retain(|p| p.id != peer);
        self.peer_out.retain(|(to, _)| *to != peer);
    }

    /// Unlinks every peer leg.
    pub fn unroute_all(&mut self) {
        self.peers.clear();
        self.peer_out.clear();
    }

    /// The route to a peer leg, if linked.
    pub fn route_to(&self, peer: LegId) -> Option<Route> {
        self.peers.iter().find(|p| p.id == peer).map(|p| p.route)
    }

    /// Joins or leaves a bridge with one unnamed peer (for a driver that
    /// moves frames between two cores itself): while bridged, received audio
    /// goes to [`Self::poll_bridge_frame`] and frames pushed in with
    /// [`Self::push_bridge_frame`] are what this leg sends.
    pub fn set_bridged(&mut self, bridged: bool) {
        self.unroute_all();
        if bridged {
            self.route_peer(ONE_TO_ONE_PEER, Route::BRIDGE);
        }
    }

    /// The bridge ended under this leg (its peer went away): every peer is
    /// unlinked and `BridgeEnded` raised.
    pub fn bridge_ended(&mut self) {
        if !self.peers.is_empty() {
            self.unroute_all();
            self.events.push_back(MediaEvent::BridgeEnded);
        }
    }

    /// The call this leg monitored is over: its legs are unlinked and
    /// `MonitorEnded` raised.
    pub fn monitor_ended(&mut self, peers: impl IntoIterator<Item = LegId>) {
        for peer in peers {
            self.unroute_peer(peer);
        }
        self.events.push_back(MediaEvent::MonitorEnded);
    }

    /// Mutes every route both ways, or lifts that (a hold, for a driver of
    /// the one-to-one API; the engine expresses hold in the routes instead).
    pub fn set_held(&mut self, held: bool) {
        self.held = held;
        for peer in &mut self.peers {
            peer.relayed.clear();
        }
        if held {
            self.peer_out.clear();
        }
    }

    /// A frame from the bridged peer of the one-to-one API.
    pub fn push_bridge_frame(&mut self, frame: BridgeFrame) {
        self.push_peer_frame(ONE_TO_ONE_PEER, frame);
    }

    /// A frame for the bridged peer of the one-to-one API (or for any peer:
    /// the address is dropped).
    pub fn poll_bridge_frame(&mut self) -> Option<BridgeFrame> {
        self.poll_peer_frame().map(|(_, frame)| frame)
    }

    /// A frame from a peer leg: kept for the mix if this leg hears it,
    /// dropped otherwise.
    pub fn push_peer_frame(&mut self, from: LegId, frame: BridgeFrame) {
        if self.held {
            return;
        }
        let Some(codec) = self.params.as_ref().map(|p| p.codec) else {
            return;
        };
        let Some(peer) = self.peers.iter_mut().find(|p| p.id == from) else {
            return;
        };
        if !peer.route.hear {
            return;
        }
        match frame {
            BridgeFrame::Audio {
                codec: sent_in,
                payload,
            } => {
                if sent_in == codec {
                    peer.relayed.extend(payload.iter());
                } else {
                    peer.relayed
                        .extend(payload.iter().map(|b| codec.encode(sent_in.decode(*b))));
                }
                let excess = peer.relayed.len().saturating_sub(MAX_RELAY_BACKLOG);
                if excess > 0 {
                    peer.relayed.drain(..excess);
                    self.counters.relay_dropped_samples += excess as u64;
                }
            }
            BridgeFrame::Dtmf(digit) => {
                if peer.route.keys {
                    self.dtmf_queue.push_back(digit);
                }
            }
        }
    }

    /// The next frame for a peer leg, with the peer it is for.
    pub fn poll_peer_frame(&mut self) -> Option<(LegId, BridgeFrame)> {
        self.peer_out.pop_front()
    }

    /// Whether some peer's audio is mixed into what this leg sends (else
    /// it plays music or comfort noise once prompts are done).
    fn hears_a_peer(&self) -> bool {
        !self.held && self.peers.iter().any(|p| p.route.hear)
    }

    /// Queues a frame made by `frame` for every peer this leg speaks to
    /// (a key only where the route carries keys).
    fn speak(&mut self, key: bool, frame: impl Fn() -> BridgeFrame) {
        if self.held {
            return;
        }
        for peer in &self.peers {
            if peer.route.speak && (peer.route.keys || !key) {
                self.peer_out.push_back((peer.id, frame()));
            }
        }
    }

    /// This tick's frame of what the leg hears: the heard peers with a whole
    /// frame queued, summed; `None` if none has one.
    fn mix_peers(&mut self, codec: Codec) -> Option<[u8; SAMPLES_PER_TICK]> {
        let mut frame = [codec.silence_byte(); SAMPLES_PER_TICK];
        let mut voices = self
            .peers
            .iter_mut()
            .filter(|p| p.route.hear && p.relayed.len() >= SAMPLES_PER_TICK);
        let first = voices.next()?;
        let Some(second) = voices.next() else {
            // One voice: relayed byte for byte, as in a two-leg bridge.
            take_front(&mut first.relayed, &mut frame);
            return Some(frame);
        };
        let mut sum = [0i32; SAMPLES_PER_TICK];
        for voice in [first, second].into_iter().chain(voices) {
            for (acc, b) in sum.iter_mut().zip(voice.relayed.drain(..SAMPLES_PER_TICK)) {
                *acc += i32::from(codec.decode(b));
            }
        }
        for (slot, s) in frame.iter_mut().zip(sum) {
            *slot = codec.encode(s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16);
        }
        Some(frame)
    }

    /// The next event for the controller.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// Counts an event the runtime could not deliver (controller too slow).
    pub fn count_dropped_event(&mut self) {
        self.counters.events_dropped += 1;
    }

    /// Counters and RTP/RTCP quality figures.
    pub fn stats(&self) -> LegStats {
        let clock = 8000;
        let summary = self.reception.summary(clock);
        LegStats {
            counters: self.counters,
            packets_expected: summary.packets_expected,
            packets_lost: summary.packets_lost,
            jitter_ms: summary.jitter_ms,
            remote_fraction_lost: self.remote_report.map(|r| r.fraction_lost),
            remote_cumulative_lost: self.remote_report.map(|r| r.cumulative_lost),
            remote_jitter_ms: self
                .remote_report
                .map(|r| f64::from(r.jitter) * 1000.0 / f64::from(clock)),
        }
    }

    /// Ends everything that reports an outcome (the leg is closing).
    pub fn close(&mut self) {
        self.stop_playback();
        self.stop_recording(RecordingStop::LegClosed);
    }

    /// Handles one datagram that arrived on the RTP port.
    pub fn handle_rtp(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        // SRTP: unprotected before anything is read from the packet, so
        // that only an authentic packet can latch, carry keys or be heard.
        let started = self.params.is_some();
        if let Some(srtp) = self.srtp.as_mut().filter(|_| started) {
            if is_multiplexed_rtcp(datagram) {
                return self.handle_rtcp(now, from, datagram);
            }
            let mut plain = std::mem::take(&mut self.srtp_scratch);
            plain.clear();
            plain.extend_from_slice(datagram);
            match srtp.unprotect_rtp(&mut plain) {
                Ok(len) => self.handle_plain_rtp(now, from, &plain[..len]),
                Err(error) => self.count_srtp_refusal(&error),
            }
            self.srtp_scratch = plain;
            return;
        }
        self.handle_plain_rtp(now, from, datagram);
    }

    /// Counts a packet SRTP refused.
    fn count_srtp_refusal(&mut self, error: &MediaError) {
        match error {
            MediaError::SrtpAuthFailed { .. } => self.counters.srtp_auth_failed += 1,
            MediaError::SrtpReplayed { .. } | MediaError::SrtpTooOld { .. } => {
                self.counters.srtp_replayed += 1;
            }
            _ => self.counters.malformed_dropped += 1,
        }
    }

    fn handle_plain_rtp(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        let Some(params) = self.params else {
            self.counters.before_start_dropped += 1;
            return;
        };
        let packet = match rtp::parse(datagram) {
            Ok(p) => p,
            Err(crate::MediaError::RtpIsRtcp { .. }) => {
                // RFC 5761: RTCP multiplexed on the RTP port.
                self.handle_rtcp(now, from, datagram);
                return;
            }
            Err(_) => {
                self.counters.malformed_dropped += 1;
                return;
            }
        };
        match self.latched {
            Some(addr) if addr != from => {
                // Some senders (SIPp's play_dtmf, some gateways) send their
                // events from another port of the same host: take the keys,
                // keep sending to the latched address.
                let event_from_same_host = from.ip() == addr.ip()
                    && (Some(packet.header.payload_type) == params.dtmf_payload_type
                        || TelephoneEvent::looks_like_dtmf(packet.payload));
                if !event_from_same_host {
                    self.counters.unexpected_source_dropped += 1;
                    return;
                }
            }
            Some(_) => {}
            None => {
                if !params.latch.may_latch(from, params.remote) {
                    self.counters.unexpected_source_dropped += 1;
                    return;
                }
                // Port 0 (SIPp's raw-socket DTMF) cannot be sent to: take the
                // packet, latch on the next one.
                if from.port() != 0 {
                    self.latched = Some(from);
                }
            }
        }
        let dtmf_pt = params.dtmf_payload_type;
        let header = packet.header;
        let payload = packet.payload;
        let is_event = Some(header.payload_type) == dtmf_pt
            || (header.payload_type >= 96
                && Codec::from_payload_type(header.payload_type).is_none()
                && TelephoneEvent::looks_like_dtmf(payload));
        self.counters.rtp_received += 1;
        self.last_rx_at = Some(now);
        if self.dead_reported {
            self.dead_reported = false;
            self.events.push_back(MediaEvent::MediaResumed);
        }
        if is_event {
            if self.events_rx.handle_packet(now, &header, payload).is_err() {
                self.counters.malformed_dropped += 1;
                return;
            }
            // A peer that sends RFC 4733 may also leak the tones in audio: trust the events.
            self.rfc4733_seen = true;
            self.inband = None;
            if let Some(key) = self.events_rx.key_down() {
                self.on_key_down(key);
            }
            self.drain_event_digits();
        } else if let Some(audio_codec) = Codec::from_payload_type(header.payload_type) {
            self.on_audio(now, &header, payload, audio_codec);
        } else {
            self.counters.unknown_payload_dropped += 1;
        }
    }

    fn on_audio(&mut self, now: Instant, header: &RtpHeader, payload: &[u8], codec: Codec) {
        self.reception
            .on_packet(now, header.ssrc, header.sequence, header.timestamp, 8000);
        let need_pcm = self.inband.is_some() || self.recording.is_some();
        if need_pcm {
            self.scratch.clear();
            codec.decode_into(payload, &mut self.scratch);
            if let Some(det) = &mut self.inband {
                det.feed(&self.scratch);
                let down = det.key_down();
                let mut found = Vec::new();
                while let Some(d) = det.poll_digit() {
                    found.push(d);
                }
                if let Some(key) = down {
                    self.on_key_down(key);
                }
                for d in found {
                    self.on_digit(d, DtmfSource::InBand);
                }
            }
            if self.recording.is_some() {
                self.rx_pcm.extend(self.scratch.iter());
                let excess = self.rx_pcm.len().saturating_sub(MAX_RX_BACKLOG);
                self.rx_pcm.drain(..excess);
            }
        }
        self.speak(false, || BridgeFrame::Audio {
            codec,
            payload: payload.to_vec(),
        });
    }

    fn drain_event_digits(&mut self) {
        while let Some(d) = self.events_rx.poll_digit() {
            self.on_digit(d, DtmfSource::Rfc4733);
        }
    }

    /// A key went down: stop barge-in playbacks at once (not when it ends).
    fn on_key_down(&mut self, key: char) {
        if self.barged_key == Some(key) {
            return;
        }
        self.barged_key = Some(key);
        if self.playbacks.front().is_some_and(|p| p.barge_in) {
            while self.playbacks.front().is_some_and(|p| p.barge_in) {
                if let Some(p) = self.playbacks.pop_front() {
                    self.events.push_back(MediaEvent::PlaybackFinished {
                        id: p.id,
                        outcome: PlaybackOutcome::BargedIn { key },
                    });
                }
            }
            self.tx.marker_next = true;
        }
    }

    fn on_digit(&mut self, digit: DtmfDigit, source: DtmfSource) {
        // A key whose start was never seen (only its end packets arrived)
        // still barges in.
        self.on_key_down(digit.key);
        self.barged_key = None;
        self.events.push_back(MediaEvent::Dtmf {
            key: digit.key,
            duration: digit.duration,
            source,
        });
        self.speak(true, || BridgeFrame::Dtmf(digit));
        if let Some(rec) = &self.recording {
            if rec.options.stop_keys.contains(digit.key) {
                self.stop_recording(RecordingStop::Key(digit.key));
            }
        }
    }

    /// Handles one datagram that arrived on the RTCP port.
    pub fn handle_rtcp(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        let Some(params) = self.params else {
            self.counters.before_start_dropped += 1;
            return;
        };
        // RTCP comes from the latched host, or one the policy would latch;
        // before an any-source latch, from nobody (its reports would aim
        // ours at a stranger).
        let acceptable = match (self.latched, params.latch) {
            (Some(latched), _) => from.ip() == latched.ip(),
            (None, LatchPolicy::AnySource(_)) => false,
            (None, policy) => policy.may_latch(from, params.remote),
        };
        if !acceptable {
            self.counters.unexpected_source_dropped += 1;
            return;
        }
        let mut plain = std::mem::take(&mut self.srtp_scratch);
        let datagram = match self.srtp.as_mut() {
            None => datagram,
            Some(srtp) => {
                plain.clear();
                plain.extend_from_slice(datagram);
                match srtp.unprotect_rtcp(&mut plain) {
                    Ok(len) => &plain[..len],
                    Err(error) => {
                        self.count_srtp_refusal(&error);
                        self.srtp_scratch = plain;
                        return;
                    }
                }
            }
        };
        match rtcp::parse_report(datagram) {
            Ok(report) => {
                self.counters.rtcp_received += 1;
                self.rtcp_remote = Some(from);
                if let Some(info) = report.sender_info {
                    self.reception.on_sender_report(now, info.ntp_timestamp);
                }
                if let Some(block) = report.blocks.iter().find(|b| b.ssrc == self.tx.ssrc) {
                    self.remote_report = Some(*block);
                }
            }
            Err(_) => self.counters.malformed_dropped += 1,
        }
        self.srtp_scratch = plain;
    }

    /// When the core next needs a tick: every 20 ms while started.
    pub fn is_started(&self) -> bool {
        self.params.is_some()
    }

    /// One 20 ms step of the media clock: sends this tick's packet, checks
    /// timers, records. `wall_ntp` is the wall clock for RTCP sender reports.
    pub fn tick(&mut self, now: Instant, wall_ntp: u64, out: &mut Outbox) {
        let Some(params) = self.params else {
            return;
        };
        self.ticks += 1;
        self.events_rx.handle_timeout(now);
        self.drain_event_digits();
        self.check_dead_media(now, &params);

        // Nothing confirmed where the peer is: the tick runs (prompts and
        // timers advance) but nothing is sent.
        let remote = self.remote();
        if remote.is_none() {
            self.counters.unconfirmed_remote_ticks += 1;
        }
        let codec = params.codec;
        let mut sent_audio: Option<[u8; SAMPLES_PER_TICK]> = None;
        if let Some(packet) = self.next_dtmf_packet(&params) {
            let (marker, payload, event_ts, pt) = packet;
            let header = RtpHeader {
                marker,
                payload_type: pt,
                sequence: self.tx.sequence,
                timestamp: event_ts,
                ssrc: self.tx.ssrc,
            };
            if let Some(remote) = remote {
                let sent = push_protected(
                    out,
                    &mut self.srtp,
                    Port::Rtp,
                    remote,
                    Protect::Rtp,
                    |buf| rtp::build(&header, &payload, buf),
                );
                self.count_send_outcome(sent, payload.len());
            }
            self.tx.marker_next = true;
        } else {
            let frame = self.next_audio_frame(codec);
            let header = RtpHeader {
                marker: std::mem::take(&mut self.tx.marker_next),
                payload_type: codec.payload_type(),
                sequence: self.tx.sequence,
                timestamp: self.tx.timestamp,
                ssrc: self.tx.ssrc,
            };
            if let Some(remote) = remote {
                let sent = push_protected(
                    out,
                    &mut self.srtp,
                    Port::Rtp,
                    remote,
                    Protect::Rtp,
                    |buf| rtp::build(&header, &frame, buf),
                );
                self.count_send_outcome(sent, frame.len());
            }
            sent_audio = Some(frame);
        }
        self.tx.timestamp = self.tx.timestamp.wrapping_add(SAMPLES_PER_TICK as u32);
        self.record_tick(codec, sent_audio.as_ref());

        if let Some(remote) = remote.filter(|_| self.next_rtcp_at.is_some_and(|at| now >= at)) {
            self.next_rtcp_at = Some(now + RTCP_INTERVAL);
            let (port, to) = if params.rtcp_mux {
                (Port::Rtp, remote)
            } else {
                let to = self.rtcp_remote.unwrap_or_else(|| {
                    let mut a = remote;
                    a.set_port(remote.port().wrapping_add(1));
                    a
                });
                (Port::Rtcp, to)
            };
            let info = SenderInfo {
                ntp_timestamp: wall_ntp,
                rtp_timestamp: self.tx.timestamp,
                packet_count: self.tx.packets,
                octet_count: self.tx.octets,
            };
            let block = self.reception.report_block(now);
            let (ssrc, cname) = (self.tx.ssrc, self.cname.clone());
            if push_protected(out, &mut self.srtp, port, to, Protect::Rtcp, |buf| {
                rtcp::build_report(ssrc, Some(info), block, &cname, buf)
            }) {
                self.counters.rtcp_sent += 1;
            } else {
                self.counters.srtp_protect_failed += 1;
            }
        }
    }

    /// The clock skipped `ticks` ticks (the thread was starved): the RTP
    /// timestamp jumps by the lost time and the next packet starts a new
    /// talkspurt, so the far end's jitter buffer sees a gap, not a slowdown.
    pub fn skip_ticks(&mut self, ticks: u32) {
        if self.params.is_some() {
            self.tx.timestamp = self
                .tx
                .timestamp
                .wrapping_add(ticks.wrapping_mul(SAMPLES_PER_TICK as u32));
            self.tx.marker_next = true;
        }
    }

    /// A packet left, or SRTP could not protect it: then nothing left and
    /// its sequence number is not used up.
    fn count_send_outcome(&mut self, sent: bool, payload_len: usize) {
        if sent {
            self.count_sent(payload_len);
        } else {
            self.counters.srtp_protect_failed += 1;
        }
    }

    fn count_sent(&mut self, payload_len: usize) {
        self.tx.sequence = self.tx.sequence.wrapping_add(1);
        self.tx.packets = self.tx.packets.wrapping_add(1);
        self.tx.octets = self.tx.octets.wrapping_add(payload_len as u32);
        self.counters.rtp_sent += 1;
    }

    fn check_dead_media(&mut self, now: Instant, params: &LegParams) {
        let Some(limit) = params.dead_media_after else {
            return;
        };
        let since = self.last_rx_at.or(self.started_at).unwrap_or(now);
        let silent_for = now.saturating_duration_since(since);
        if silent_for >= limit && !self.dead_reported {
            self.dead_reported = true;
            self.events.push_back(MediaEvent::DeadMedia { silent_for });
        }
    }

    /// The next RFC 4733 packet: (marker, payload, event timestamp, payload type).
    fn next_dtmf_packet(&mut self, params: &LegParams) -> Option<(bool, [u8; 4], u32, u8)> {
        let Some(pt) = params.dtmf_payload_type else {
            // No telephone-event negotiated: the keys go out as tones.
            while let Some(digit) = self.dtmf_queue.pop_front() {
                append_tone(&mut self.tones_out, params.codec, digit);
            }
            return None;
        };
        if self.dtmf_out.is_none() {
            if self.gap_ticks > 0 {
                self.gap_ticks -= 1;
                return None;
            }
            let digit = self.dtmf_queue.pop_front()?;
            let sender = TelephoneEventSender::new(digit.key, digit.duration).ok()?;
            self.dtmf_out = Some(DtmfOut {
                sender,
                event_timestamp: self.tx.timestamp,
            });
        }
        let out = self.dtmf_out.as_mut()?;
        match out.sender.next_packet(SAMPLES_PER_TICK as u32) {
            Some(p) => Some((p.marker, p.payload, out.event_timestamp, pt)),
            None => {
                self.dtmf_out = None;
                // Two ticks of audio between keys (this one and the next),
                // so each key is heard as its own.
                self.gap_ticks = 1;
                None
            }
        }
    }

    fn next_audio_frame(&mut self, codec: Codec) -> [u8; SAMPLES_PER_TICK] {
        let mut frame = [codec.silence_byte(); SAMPLES_PER_TICK];
        if !self.tones_out.is_empty() {
            let n = self.tones_out.len().min(SAMPLES_PER_TICK);
            for (slot, b) in frame.iter_mut().zip(self.tones_out.drain(..n)) {
                *slot = b;
            }
            return frame;
        }
        if let Some(pb) = self.playbacks.front_mut() {
            let mut filled = 0;
            while filled < SAMPLES_PER_TICK && pb.index < pb.prompts.len() {
                let audio = pb.prompts[pb.index].encoded(codec);
                let take = (audio.len() - pb.offset).min(SAMPLES_PER_TICK - filled);
                frame[filled..filled + take].copy_from_slice(&audio[pb.offset..pb.offset + take]);
                filled += take;
                pb.offset += take;
                if pb.offset >= audio.len() {
                    pb.index += 1;
                    pb.offset = 0;
                }
            }
            if pb.index >= pb.prompts.len() {
                let id = pb.id;
                self.playbacks.pop_front();
                self.events.push_back(MediaEvent::PlaybackFinished {
                    id,
                    outcome: PlaybackOutcome::Completed,
                });
            }
            return frame;
        }
        if self.hears_a_peer() {
            if let Some(mixed) = self.mix_peers(codec) {
                return mixed;
            }
        } else if let Some((music, offset)) = &mut self.music {
            let audio = music.encoded(codec);
            if !audio.is_empty() {
                for slot in frame.iter_mut() {
                    *slot = audio[*offset];
                    *offset = (*offset + 1) % audio.len();
                }
                return frame;
            }
        }
        frame.copy_from_slice(self.noise.frame(codec, self.ticks as usize));
        frame
    }

    fn record_tick(&mut self, codec: Codec, sent: Option<&[u8; SAMPLES_PER_TICK]>) {
        let Some(rec) = &mut self.recording else {
            return;
        };
        let mut caller = [0i16; SAMPLES_PER_TICK];
        let available = self.rx_pcm.len().min(SAMPLES_PER_TICK);
        take_front(&mut self.rx_pcm, &mut caller[..available]);
        let mut heard = [0i16; SAMPLES_PER_TICK];
        if let Some(frame) = sent {
            for (slot, b) in heard.iter_mut().zip(frame.iter()) {
                *slot = codec.decode(*b);
            }
        }
        let samples = match rec.options.mode {
            RecordMode::CallerOnly => caller.to_vec(),
            RecordMode::Mixed => caller
                .iter()
                .zip(heard.iter())
                .map(|(a, b)| a.saturating_add(*b))
                .collect(),
            RecordMode::Stereo => caller
                .iter()
                .zip(heard.iter())
                .flat_map(|(a, b)| [*a, *b])
                .collect(),
        };
        match rec.sink.send_samples(rec.id, samples) {
            SampleDelivery::Queued => {}
            SampleDelivery::DroppedBacklog => {
                self.counters.recording_dropped_samples += SAMPLES_PER_TICK as u64;
            }
            SampleDelivery::WriterGone => {
                // The writer failed and reported it; stop feeding it.
                self.recording = None;
                return;
            }
        }
        rec.recorded_samples += SAMPLES_PER_TICK as u64;
        let mean_square =
            caller.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / SAMPLES_PER_TICK as f64;
        if mean_square.sqrt() < SILENCE_RMS {
            rec.silent_samples += SAMPLES_PER_TICK as u64;
        } else {
            rec.silent_samples = 0;
        }
        let recorded = Duration::from_micros(rec.recorded_samples * 125);
        let silent = Duration::from_micros(rec.silent_samples * 125);
        if rec.options.max_duration.is_some_and(|max| recorded >= max) {
            self.stop_recording(RecordingStop::MaxDuration);
        } else if rec
            .options
            .stop_after_silence
            .is_some_and(|limit| silent >= limit)
        {
            self.stop_recording(RecordingStop::Silence);
        }
    }
}

/// What SRTP makes of a packet the leg sends.
#[derive(Debug, Clone, Copy)]
enum Protect {
    Rtp,
    Rtcp,
}

/// Puts a packet written by `write` in the outbox, protected in place when
/// the leg has SRTP. False (and nothing queued) if it could not be
/// protected: a packet is never sent in clear on an SRTP leg.
fn push_protected(
    out: &mut Outbox,
    srtp: &mut Option<SrtpSession>,
    port: Port,
    to: SocketAddr,
    kind: Protect,
    write: impl FnOnce(&mut Vec<u8>),
) -> bool {
    out.try_push_with(port, to, |buf| {
        let start = buf.len();
        write(buf);
        match (srtp.as_mut(), kind) {
            (None, _) => true,
            (Some(srtp), Protect::Rtp) => srtp.protect_rtp(buf, start).is_ok(),
            (Some(srtp), Protect::Rtcp) => srtp.protect_rtcp(buf, start).is_ok(),
        }
    })
}

/// RTCP multiplexed on the RTP port (RFC 5761 §4): the second byte is an
/// RTCP packet type. Read before unprotecting (SRTP leaves it in clear);
/// the same range `rtp::parse` refuses.
fn is_multiplexed_rtcp(datagram: &[u8]) -> bool {
    datagram.get(1).is_some_and(|b| (200..=204).contains(b))
}

/// Appends a key as a dual tone (each tone at about -10 dBFS) and 60 ms of
/// silence, encoded for the leg's codec.
fn append_tone(out: &mut VecDeque<u8>, codec: Codec, digit: DtmfDigit) {
    const ROWS_HZ: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS_HZ: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    let Ok(event) = crate::dtmf::event_for_key(digit.key) else {
        return;
    };
    // RFC 4733 event codes to keypad positions: 1-9 row-major, 0 * # A-D.
    let (row, col) = match event {
        1..=9 => ((event - 1) / 3, (event - 1) % 3),
        0 => (3, 1),
        10 => (3, 0),
        11 => (3, 2),
        _ => (event - 12, 3),
    };
    let (fr, fc) = (ROWS_HZ[row as usize], COLS_HZ[col as usize]);
    let samples = (digit.duration.as_millis().clamp(40, 2000) as usize) * 8;
    let step = 2.0 * std::f64::consts::PI / 8000.0;
    for i in 0..samples {
        let t = i as f64 * step;
        let x = 7000.0 * ((fr * t).sin() + (fc * t).sin());
        out.push_back(codec.encode(x as i16));
    }
    out.extend(std::iter::repeat_n(codec.silence_byte(), 480));
}

/// Moves the first `out.len()` items of `queue` into `out` (the queue holds
/// at least that many): two slice copies, where draining into a zip went
/// item by item, once per leg and tick.
fn take_front<T: Copy>(queue: &mut VecDeque<T>, out: &mut [T]) {
    let n = out.len();
    let (front, back) = queue.as_slices();
    let from_front = front.len().min(n);
    out[..from_front].copy_from_slice(&front[..from_front]);
    out[from_front..].copy_from_slice(&back[..n - from_front]);
    queue.drain(..n);
}

#[cfg(test)]
mod tests {
    use super::take_front;
    use std::collections::VecDeque;

    #[test]
    fn take_front_reads_across_the_ring_buffers_wrap() {
        let mut queue: VecDeque<u8> = VecDeque::with_capacity(8);
        queue.extend(0..6);
        queue.drain(..4);
        queue.extend(6..12); // wraps: the front and back slices are both used
        assert!(!queue.as_slices().1.is_empty());
        let mut out = [0u8; 5];
        take_front(&mut queue, &mut out);
        assert_eq!(out, [4, 5, 6, 7, 8]);
        assert_eq!(queue.iter().copied().collect::<Vec<_>>(), [9, 10, 11]);
        take_front(&mut queue, &mut []);
        assert_eq!(queue.len(), 3);
    }
}
