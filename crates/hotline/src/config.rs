//! The configuration: a TOML file, overridden key by key by `HOTLINE_*`
//! environment variables, parsed strictly, then checked into typed values.
//!
//! `HOTLINE_SIP_LISTEN=127.0.0.1:5070` sets `sip.listen`: the first `_`
//! after the prefix separates the section from the key, so keys may contain
//! underscores (`HOTLINE_SIP_RTP_PORT_MIN` → `sip.rtp_port_min`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// The whole file, as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub sip: SipConfig,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub shutdown: ShutdownConfig,
    pub ivr: IvrConfig,
    pub media: MediaConfig,
    pub console: ConsoleConfig,
    /// SIP credentials of agents' phones.
    pub phones: Vec<PhoneConfig>,
    /// ACD queues, usually one per department.
    pub queues: Vec<QueueConfig>,
    /// Named external destinations the IVR may transfer to (name → SIP URI).
    /// Callers can never dial a number of their own choosing.
    pub destinations: std::collections::BTreeMap<String, String>,
    /// The numbers the hotline may call through `sip.outbound_uri`.
    pub dialplan: DialPlanConfig,
    /// Work orders: the dispatch catalogue and working days.
    pub orders: OrdersConfig,
    /// Text-to-speech for free text the IVR speaks (a department's reply).
    pub speech: SpeechConfig,
    /// How long recordings, voice messages, callers' numbers and the audit
    /// log are kept, and when the daily job forgets what is older.
    pub retention: RetentionConfig,
    /// Agents' browsers as their phones (WebRTC).
    pub webrtc: WebRtcSection,
    /// Several nodes on one PostgreSQL behind Kamailio (`crate::cluster`).
    pub cluster: ClusterConfig,
}

/// A node of a centre of several (deploy/kamailio/README.md). Without a
/// `node` name the hotline is the one node there is: at start it closes out
/// every call the store has open, and it works the whole callback list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// This node's name, unique in the centre (letters, digits, `-`, `_`,
    /// `.`): its calls carry it, so that a restart closes out only its own
    /// calls and the others can close them out if it dies.
    pub node: Option<String>,
    /// How long a node counts as alive after its last renewal (it renews
    /// every third of this): a node silent for longer is taken over by
    /// another, which closes out its calls and works its callbacks.
    pub lease_secs: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            node: None,
            lease_secs: 10,
        }
    }
}

/// Browser audio: the agent console as a softphone over WebRTC, bridged to
/// the citizen's RTP leg (`crate::softphone`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebRtcSection {
    /// Off: consoles can only use SIP phones.
    pub enabled: bool,
    /// The addresses browsers reach the media ports at, when they are not
    /// `media.bind_ip` (a NAT in front, or a bind to 0.0.0.0): announced
    /// as the legs' host candidates (ICE-lite: the browser checks them).
    pub public_ips: Vec<std::net::IpAddr>,
    /// What to ask the browser for: `pcmu` (passed through to the
    /// citizen's G.711 leg untouched, the cheapest) or `opus` (better over
    /// lossy networks; transcoded to G.711 here).
    pub codec: WebRtcCodec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebRtcCodec {
    Pcmu,
    Opus,
}

impl Default for WebRtcSection {
    fn default() -> Self {
        Self {
            enabled: true,
            public_ips: Vec::new(),
            codec: WebRtcCodec::Pcmu,
        }
    }
}

/// How long each kind of personal data is kept (0: for ever), and when
/// the daily retention job runs (`crate::retention`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Off: `serve` runs no retention job (`hotline retention run` still
    /// works, with these windows).
    pub enabled: bool,
    /// Conversation recordings, deleted this many days after the call.
    pub recordings_days: u32,
    /// Voice messages, deleted this many days after the call, but never
    /// while the work order they opened is not closed.
    pub voice_messages_days: u32,
    /// Callers' numbers and SIP ids on call records and in their events,
    /// blanked this many days after the call (not while a callback to the
    /// number is still to be made); closed callbacks are deleted then too.
    pub call_personal_days: u32,
    /// Audit log entries (who saw which citizen's data), deleted after
    /// this many years.
    pub audit_years: u32,
    /// The local time of day of the daily run, "HH:MM".
    pub run_at: String,
    /// The time zone of `run_at` (IANA name). Empty: `orders.timezone`.
    pub timezone: Option<String>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            recordings_days: 90,
            voice_messages_days: 365,
            call_personal_days: 365,
            // China's PIPL (art. 56) keeps records of processing three years.
            audit_years: 3,
            run_at: "03:30".into(),
            timezone: None,
        }
    }
}

/// How free text becomes speech: a synthesiser program run once per text
/// (no shell: the text goes to its standard input, never its arguments).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpeechConfig {
    /// Off: `[[say]]` nodes with `format = "text"` are skipped.
    pub enabled: bool,
    /// The program and its arguments; `{voice}` becomes the language's
    /// voice and `{wav}` the file it must write (any rate, mono or not).
    pub command: Vec<String>,
    /// The voice of each IVR language (`{voice}`); a language without one
    /// is not spoken.
    pub voices: std::collections::BTreeMap<String, String>,
    /// A synthesis that takes longer is given up (the text is skipped).
    pub timeout_ms: u64,
    /// Longer texts are cut here (about 40 s of speech), at a word.
    pub max_chars: usize,
    /// Syntheses at once; further ones wait their turn.
    pub max_concurrent: usize,
}

impl Default for SpeechConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            command: [
                "espeak-ng",
                "-v",
                "{voice}",
                "-s",
                "150",
                "-w",
                "{wav}",
                "--stdin",
            ]
            .map(String::from)
            .to_vec(),
            // espeak-ng's `cmn` reads its pinyin with English rules; the
            // `cmn-latn-pinyin` variant reads it as Mandarin (as the
            // recorded prompts do, see ivr_scripts/prompts/generate.sh).
            voices: [("zh", "cmn-latn-pinyin"), ("en", "en")]
                .map(|(l, v)| (l.to_owned(), v.to_owned()))
                .into_iter()
                .collect(),
            timeout_ms: 5000,
            max_chars: 600,
            max_concurrent: 4,
        }
    }
}

/// Where work orders go and when they are due.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrdersConfig {
    /// The dispatch catalogue (departments, categories with their
    /// department and deadline in working days, districts); see
    /// `crates/hotline-orders/catalogue.example.toml`. Empty: that example.
    pub catalogue: Option<PathBuf>,
    /// Public holidays and make-up workdays (the IVR's calendar format),
    /// relative to `ivr.scripts_dir`. Empty: the shipped
    /// `calendars/cn.toml` there if it is present, else weekdays only.
    pub calendar: Option<PathBuf>,
    /// The time zone working days are counted in (IANA name).
    pub timezone: String,
    /// The weekdays that are working days (mon .. sun).
    pub working_weekdays: Vec<String>,
    /// An order is due soon when its deadline falls within this many
    /// working days.
    pub due_soon_working_days: u32,
    /// The hotline reminds a department once of each deadline that falls
    /// within `due_soon_working_days` (临期提醒), marked in its inbox.
    pub reminders: bool,
    /// The hotline places the follow-up calls (回访) of closed orders
    /// itself. Empty: yes when `sip.outbound_uri` is set.
    pub follow_up_calls: Option<bool>,
    /// Follow-up calls under way at once, at most.
    pub follow_up_max_calls: usize,
    /// A follow-up call that reached nobody is made again this many
    /// minutes later...
    pub follow_up_retry_minutes: u64,
    /// ...up to this many calls in all; then the reporter waits on the
    /// agents' follow-up list.
    pub follow_up_attempts: u32,
    /// The category of a voice message whose voicemail node names none: it
    /// becomes a work order of this category that waits at the hotline
    /// for an agent or dispatcher to listen and dispatch.
    pub voice_message_category: String,
    /// Clients of the Open311 GeoReport v2 API (`/open311/v2/`), each with
    /// its own key (at least 16 characters); without one, only the
    /// services can be read.
    pub open311_clients: Vec<Open311ClientConfig>,
}

/// One Open311 client: the orders it submits are `open311:<name>`'s.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Open311ClientConfig {
    pub name: String,
    pub api_key: String,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            catalogue: None,
            calendar: None,
            timezone: "Asia/Shanghai".into(),
            working_weekdays: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            due_soon_working_days: 1,
            reminders: true,
            follow_up_calls: None,
            follow_up_max_calls: 2,
            follow_up_retry_minutes: 120,
            follow_up_attempts: 3,
            voice_message_category: "consultation".into(),
            open311_clients: Vec::new(),
        }
    }
}

/// The only numbers the hotline may call out to (callbacks), and how often.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DialPlanConfig {
    /// Regular expressions; a number must match one of them whole. The
    /// default is mainland China's domestic numbers: mobiles (11 digits
    /// from 13-19), landlines with their area code (0 + 10 or 11 digits)
    /// and local landlines (7 or 8 digits, not starting with 0, 1 or 9).
    /// International, satellite, premium and short service numbers match
    /// none. Empty: the hotline calls nobody back.
    pub allow: Vec<String>,
    /// Calls placed to one number per day (UTC), callbacks included.
    pub max_calls_per_number_per_day: u32,
}

impl Default for DialPlanConfig {
    fn default() -> Self {
        Self {
            allow: vec![
                "1[3-9][0-9]{9}".into(),
                "0[1-9][0-9]{9,10}".into(),
                "[2-8][0-9]{6,7}".into(),
            ],
            max_calls_per_number_per_day: 3,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IvrConfig {
    /// The folder of scripts (`*.toml`) and prompts (`prompts/<lang>/*.wav`).
    pub scripts_dir: PathBuf,
    /// The script that answers calls.
    pub script: String,
}

impl Default for IvrConfig {
    fn default() -> Self {
        Self {
            scripts_dir: PathBuf::from("ivr_scripts"),
            script: "hotline".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// A caller whose RTP stops for this long is hung up (not while on hold).
    pub dead_media_secs: u64,
    /// Media clock threads; 0 = one per CPU.
    pub clock_threads: usize,
    /// SCHED_FIFO priority of the media clock threads (1-99), so prompts
    /// stay on time on a busy machine; 0 = normal scheduling. Needs
    /// CAP_SYS_NICE (root, or LimitRTPRIO in the systemd unit); without it
    /// the hotline warns and runs at normal priority.
    pub clock_priority: u8,
    /// Whose RTP a call's leg accepts before latching on to it:
    /// "signalling_source" (the default: only the host that sent the
    /// INVITE, any port, so callers behind NAT are heard; audio goes to the
    /// SDP address at once only if it is on that host, else once the
    /// caller's own RTP confirmed where it is), "any_source" (the first
    /// packet from anywhere: a stranger who guesses the port first takes the
    /// call; only for callers whose media leaves from another host), or
    /// "sdp_address" (believe every SDP, as for trunks). `sip.trusted_sources`
    /// always get "sdp_address": a trunk's media gateway is often not its
    /// signalling host.
    pub latch: LatchConfig,
    /// Recording of conversations with agents (from the agent's answer to
    /// the end): "stereo" (citizen left, agent right), "mixed" (one mono
    /// channel) or "off". Files go to `<data_dir>/recordings/` and are
    /// referenced from the call record; retention deletes them. A caller
    /// who declined at an IVR recording notice (`[[consent]]`) is not
    /// recorded whatever this says.
    pub record_calls: RecordCalls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordCalls {
    Off,
    Stereo,
    Mixed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatchConfig {
    SignallingSource,
    AnySource,
    /// Was called "same_ip".
    #[serde(alias = "same_ip")]
    SdpAddress,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            dead_media_secs: 30,
            clock_threads: 0,
            clock_priority: 10,
            latch: LatchConfig::SignallingSource,
            record_calls: RecordCalls::Stereo,
        }
    }
}

/// How a queue chooses among its available agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueStrategy {
    /// The agent idle the longest since their last call (the default).
    #[default]
    LongestIdle,
    RoundRobin,
    /// The agent who answered the fewest calls since logging in.
    FewestCalls,
    /// Every qualifying agent rings at once; the first to answer takes it.
    RingAll,
    /// Agents must have the call's skills; the best levels win.
    Skills,
}

/// One step of a queue's escalation: as a caller's wait passes `after_secs`,
/// more agents qualify or the caller moves up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    pub after_secs: u64,
    /// Agents with the skills at this level or above now qualify.
    #[serde(default)]
    pub min_level: Option<u8>,
    /// Any agent of the queue now qualifies, whatever their skills.
    #[serde(default)]
    pub drop_skills: bool,
    #[serde(default)]
    pub raise_priority: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub name: String,
    /// The department that owns the queue (shown to agents and in reports).
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub strategy: QueueStrategy,
    /// How long an agent's phone rings before the call goes back to the queue.
    #[serde(default = "default_ring_timeout_secs")]
    pub ring_timeout_secs: u64,
    /// Wrap-up time after each call (the agent can end it early with a disposition).
    #[serde(default = "default_wrap_up_secs")]
    pub wrap_up_secs: u64,
    /// A caller waiting longer than this goes to `overflow`.
    #[serde(default)]
    pub max_wait_secs: Option<u64>,
    /// A new caller finding this many waiting goes to `overflow` at once.
    #[serde(default)]
    pub max_waiting: Option<usize>,
    /// "fallback" (the script's own overflow branch), "voicemail",
    /// "callback" or "queue:<name>".
    #[serde(default = "default_overflow")]
    pub overflow: String,
    /// Where callers go when no agent of the queue is logged in (same values).
    #[serde(default = "default_overflow")]
    pub no_agents: String,
    /// Position and estimated-wait announcements; 0 = none.
    #[serde(default = "default_announce_every_secs")]
    pub announce_every_secs: u64,
    #[serde(default)]
    pub escalation: Vec<EscalationConfig>,
    /// Service level threshold T: "answered within T" (statistics).
    #[serde(default = "default_service_level_secs")]
    pub service_level_secs: u64,
    /// The share of calls the queue aims to answer within T, in percent
    /// (the wallboard shows the service level red below it).
    #[serde(default = "default_service_level_target_percent")]
    pub service_level_target_percent: u8,
    /// The wallboard shows the queue red with more callers waiting than this.
    #[serde(default = "default_alert_waiting")]
    pub alert_waiting: u32,
    /// The wallboard shows the queue red when its longest wait passes this.
    #[serde(default = "default_alert_wait_secs")]
    pub alert_wait_secs: u64,
    /// Call back a caller who hung up while waiting (a missed call), if the
    /// dial plan allows their number: on the callback list, placed when the
    /// office is open and an agent is free.
    #[serde(default)]
    pub callback_abandoned: bool,
}

fn default_service_level_target_percent() -> u8 {
    80
}
fn default_alert_waiting() -> u32 {
    10
}
fn default_alert_wait_secs() -> u64 {
    120
}

fn default_ring_timeout_secs() -> u64 {
    20
}
fn default_wrap_up_secs() -> u64 {
    30
}
fn default_overflow() -> String {
    "fallback".into()
}
fn default_announce_every_secs() -> u64 {
    30
}
fn default_service_level_secs() -> u64 {
    20
}

impl QueueConfig {
    /// A queue with every setting at its default.
    pub fn named(name: &str, department: &str) -> Self {
        Self {
            name: name.into(),
            department: Some(department.into()),
            strategy: QueueStrategy::default(),
            ring_timeout_secs: default_ring_timeout_secs(),
            wrap_up_secs: default_wrap_up_secs(),
            max_wait_secs: None,
            max_waiting: None,
            overflow: default_overflow(),
            no_agents: default_overflow(),
            announce_every_secs: default_announce_every_secs(),
            escalation: Vec::new(),
            service_level_secs: default_service_level_secs(),
            service_level_target_percent: default_service_level_target_percent(),
            alert_waiting: default_alert_waiting(),
            alert_wait_secs: default_alert_wait_secs(),
            callback_abandoned: false,
        }
    }
}

/// The agent console and its web API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// The Secure flag on session cookies. Browsers accept it on
    /// http://localhost and http://127.0.0.1; anywhere else, serve the
    /// console over HTTPS (a reverse proxy) or set this to false.
    pub secure_cookies: bool,
    pub session_idle_mins: u64,
    pub login_attempts_per_minute: u32,
    /// Origins besides the console's own that may call the API (a city's desktop).
    pub allowed_origins: Vec<String>,
    /// The first admin's password. When unset, a random one is printed once
    /// at the first start.
    pub admin_password: Option<String>,
    /// Disposition codes the agent chooses from at wrap-up.
    pub dispositions: Vec<String>,
    /// Case categories offered in the case form.
    pub case_categories: Vec<String>,
    /// Local time minus UTC in minutes (a multiple of 15) for statistics:
    /// where "today" starts on the wallboard and the reports' default.
    /// 480 = Asia/Shanghai.
    pub report_utc_offset_minutes: i32,
    /// The reasons an agent may give for a citizen search (one of them is
    /// required; kept in the audit log with the masked terms).
    pub search_reasons: Vec<String>,
    /// Shortest citizen search, in characters (least access: no fishing
    /// with two letters).
    pub search_min_chars: usize,
    /// Citizen searches per user per minute.
    pub searches_per_minute: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            session_idle_mins: 8 * 60,
            login_attempts_per_minute: 10,
            allowed_origins: Vec::new(),
            admin_password: None,
            dispositions: [
                "resolved_on_call",
                "case_opened",
                "information_given",
                "transferred",
                "callback_needed",
                "wrong_number",
                "abusive_caller",
            ]
            .map(String::from)
            .to_vec(),
            case_categories: [
                "complaint",
                "request",
                "consultation",
                "report",
                "suggestion",
                "praise",
            ]
            .map(String::from)
            .to_vec(),
            report_utc_offset_minutes: 480,
            search_reasons: hotline_screenpop::SearchPolicy::default().reasons,
            search_min_chars: hotline_screenpop::SearchPolicy::default().min_chars,
            searches_per_minute: hotline_screenpop::SearchPolicy::default().per_minute,
        }
    }
}

/// The shipped menus' queues: one per department, plus a general one.
pub fn default_queues() -> Vec<QueueConfig> {
    [
        ("general", "General enquiries"),
        ("housing", "Housing"),
        ("transport", "Transport"),
        ("social_security", "Social security"),
        ("environment", "Environment"),
    ]
    .into_iter()
    .map(|(name, department)| QueueConfig {
        // The shipped menus ask for the caller's language as a skill
        // (`lang_zh`, `lang_en`); after a minute any agent of the queue may
        // take the call rather than keep the citizen waiting.
        strategy: QueueStrategy::Skills,
        escalation: vec![EscalationConfig {
            after_secs: 60,
            min_level: None,
            drop_skills: true,
            raise_priority: 0,
        }],
        ..QueueConfig::named(name, department)
    })
    .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// Addresses for UDP and TCP, comma-separated: "127.0.0.1:5060,[::1]:5060".
    pub listen: String,
    /// The trunk through which the hotline calls citizens back, as a SIP
    /// URI template with `{number}` and a literal address:
    /// "sip:{number}@192.0.2.10:5060". Unset: callers are not offered a
    /// callback while queued. Only numbers that asked for a callback (their
    /// own caller ID) are ever dialled.
    pub outbound_uri: Option<String>,
    /// host:port written in Via/Contact/SDP; defaults to the first listen address.
    pub advertised: Option<String>,
    /// The hotline's own numbers; calls to any other number get 404.
    pub numbers: Vec<String>,
    pub rtp_port_min: u16,
    pub rtp_port_max: u16,
    /// New calls beyond this many get 503 with Retry-After. Each call may
    /// hold two RTP port pairs (the caller's leg and an agent's), so the
    /// RTP range must hold twice this many pairs (checked at start).
    pub max_calls: usize,
    /// Live calls one untrusted address may hold (a NAT shares one among
    /// several callers); `trusted_sources` are not limited.
    pub max_calls_per_source: usize,
    /// Calls one untrusted address may have before it confirms any with an
    /// ACK (a spoofed source never does): each costs its victim eleven
    /// 2xx retransmissions, so only this many at once.
    pub max_unconfirmed_calls_per_source: usize,
    /// Of `max_calls`, this many are kept for `trusted_sources` (the
    /// trunks), so that strangers calling the SIP port directly can never
    /// fill the hotline. Applies only when trusted sources are configured.
    pub reserved_for_trusted: usize,
    /// TCP connections at once, and per untrusted address.
    pub max_tcp_connections: usize,
    pub max_tcp_connections_per_source: usize,
    /// A TCP connection with no byte (keep-alives count) for this long is closed.
    pub tcp_idle_secs: u64,
    /// A call is ended by the hotline after this long (protects against stuck calls).
    pub max_call_secs: u64,
    /// How long the caller hears ringing before the hotline answers.
    pub answer_after_ms: u64,
    pub requests_per_second_per_source: u32,
    pub max_transactions_per_source: u32,
    /// Addresses exempt from per-source limits (the trunk, the load balancer).
    pub trusted_sources: Vec<IpAddr>,
    pub realm: String,
    /// Digest algorithms offered to phones, in this order ("MD5", "SHA-256").
    /// Many phones (and SIPp) answer only the first challenge, so MD5 leads
    /// by default; put "SHA-256" first where every phone supports RFC 8760.
    pub digest_algorithms: Vec<String>,
    pub max_auth_failures: u32,
    pub auth_block_secs: u64,
    pub max_message_bytes: usize,
    /// SIP over TLS on these addresses, comma-separated ("0.0.0.0:5061");
    /// empty: no TLS.
    pub tls_listen: String,
    /// PEM certificate chain and key for TLS. Unset: a self-signed pair is
    /// made once in `<data_dir>/tls/` (phones must then be told to trust
    /// it or not to verify; give a real certificate in production). The
    /// files are checked every few seconds and a renewed pair is used for
    /// new connections without a restart.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// PEM CAs trusted when the hotline connects to a TLS peer (a trunk);
    /// unset: the system's roots.
    pub tls_ca: Option<PathBuf>,
    /// host:port written in Via/Contact on TLS; defaults to the first TLS address.
    pub advertised_tls: Option<String>,
    /// SRTP (SDES keys, AES_CM_128_HMAC_SHA1_80) for phones and callers:
    /// "optional" (the default: SRTP when offered, plain RTP otherwise),
    /// "required" (plain RTP offers get 488) or "off" (SRTP offers get 488).
    pub srtp: SrtpSetting,
    /// SRTP per trunk address, over `srtp`: { "192.0.2.10" = "required" }.
    pub srtp_trunks: std::collections::BTreeMap<IpAddr, SrtpSetting>,
}

/// An SRTP policy as written in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SrtpSetting {
    Required,
    Optional,
    Off,
}

impl SrtpSetting {
    pub fn policy(self) -> hotline_sip::sdp::SrtpPolicy {
        match self {
            SrtpSetting::Required => hotline_sip::sdp::SrtpPolicy::Required,
            SrtpSetting::Optional => hotline_sip::sdp::SrtpPolicy::Optional,
            SrtpSetting::Off => hotline_sip::sdp::SrtpPolicy::Off,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// Serve the console and the API over HTTPS (rustls) on `listen`, with
    /// HSTS. The certificate is `tls_cert`/`tls_key`, else the one
    /// `hotline cert self-signed` made (or the first start makes) in
    /// `<data_dir>/tls/http.crt`; a renewed one on disk is taken without a
    /// restart.
    pub tls: bool,
    /// PEM certificate chain (leaf first) for HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    pub tls_key: Option<PathBuf>,
    /// Reverse proxies in front of the console (nginx, HAProxy): only a
    /// request from one of these is believed when its `X-Forwarded-For`
    /// names the client, for the login rate limit and the logs. Empty
    /// (default): the TCP peer is the client and the header is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where `/metrics` (Prometheus) is served on a listener of its own;
    /// loopback by default, so the figures are not on the console's port.
    pub metrics_listen: SocketAddr,
    /// If set, `/metrics` is also served on `listen` to a scraper that sends
    /// `Authorization: Bearer <token>`; without it the console's port has no
    /// `/metrics`.
    pub metrics_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://data/hotline.db` (default) or `postgres://user@host/db`.
    pub url: String,
    /// Directory for the SQLite file, the event spool, phone bindings and
    /// the key that protects stored national ID numbers.
    pub data_dir: PathBuf,
}

/// The packaged binary's configuration file (the Debian package's conffile).
pub const SYSTEM_CONFIG: &str = "/etc/hotline/hotline.toml";
/// Where the Debian package installs the binary.
const PACKAGED_BINARY: &str = "/usr/bin/hotline";

/// The configuration file read when none is named: `./hotline.toml` if the
/// working directory has one; else, for the packaged binary
/// (`/usr/bin/hotline`), [`SYSTEM_CONFIG`], so that `hotline user add` and
/// the other subcommands find the service's paths from any directory. A
/// binary run from a build tree has only its built-in defaults.
pub fn default_file() -> Option<PathBuf> {
    let local = PathBuf::from("hotline.toml");
    if local.exists() {
        return Some(local);
    }
    let packaged = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.canonicalize().ok())
        .is_some_and(|exe| exe == Path::new(PACKAGED_BINARY));
    let system = PathBuf::from(SYSTEM_CONFIG);
    (packaged && system.exists()).then_some(system)
}

/// Printed in place of a secret by `hotline config`.
pub const REDACTED: &str = "(secret, not shown)";

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// The configuration's sections, as `HOTLINE_<SECTION>_<KEY>` names them
/// (a test keeps the list equal to `Config`'s fields).
const ENV_SECTIONS: [&str; 17] = [
    "console",
    "sip",
    "http",
    "database",
    "log",
    "shutdown",
    "ivr",
    "media",
    "phones",
    "queues",
    "destinations",
    "dialplan",
    "orders",
    "speech",
    "retention",
    "webrtc",
    "cluster",
];

impl Config {
    /// The configuration as `hotline config` prints it: every secret (the
    /// first admin's password, phones' SIP passwords, the database URL's
    /// password) replaced, so that the output can be pasted anywhere.
    pub fn redacted(&self) -> Config {
        let mut shown = self.clone();
        if shown.console.admin_password.is_some() {
            shown.console.admin_password = Some(REDACTED.into());
        }
        for phone in &mut shown.phones {
            if !phone.password.is_empty() {
                phone.password = REDACTED.into();
            }
        }
        for client in &mut shown.orders.open311_clients {
            client.api_key = REDACTED.into();
        }
        if shown.http.metrics_token.is_some() {
            shown.http.metrics_token = Some(REDACTED.into());
        }
        shown.database.url = redact_url(&shown.database.url);
        shown
    }

    /// The IVR checker's view of this configuration, with the categories
    /// of the work orders' catalogue.
    pub fn ivr_environment(&self, orders: &hotline_orders::OrderRules) -> hotline_ivr::Environment {
        hotline_ivr::Environment::new(
            self.queues.iter().map(|q| q.name.clone()),
            self.destinations.keys().cloned(),
        )
        .with_categories(orders.catalogue.categories().map(|c| c.code.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter: "info", "hotline=debug,info", ...
    pub level: String,
    /// Log callers' numbers, names and IDs in clear (for a debugging
    /// session only). Off: they are masked (`*********00`) in every line.
    pub personal_data: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShutdownConfig {
    /// On SIGTERM/SIGINT: how long live calls may go on before they are ended.
    pub drain_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneConfig {
    pub user: String,
    /// A plaintext SIP password (kept in this file: prefer the digest
    /// hashes below, or `hotline phone add`, which keeps only hashes).
    #[serde(default)]
    pub password: String,
    /// HA1 = MD5("user:realm:password") for `sip.realm`, 32 hex digits;
    /// with `ha1_sha256`, in place of `password`.
    #[serde(default)]
    pub ha1_md5: Option<String>,
    /// HA1 = SHA-256("user:realm:password"), 64 hex digits.
    #[serde(default)]
    pub ha1_sha256: Option<String>,
    /// This phone's challenge order, e.g. ["SHA-256", "MD5"] for a phone
    /// known to support RFC 8760 (default: `sip.digest_algorithms`, with
    /// SHA-256 moved first once the phone has used it).
    #[serde(default)]
    pub digest_algorithms: Option<Vec<String>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sip: SipConfig::default(),
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            shutdown: ShutdownConfig::default(),
            ivr: IvrConfig::default(),
            media: MediaConfig::default(),
            console: ConsoleConfig::default(),
            phones: Vec::new(),
            queues: default_queues(),
            destinations: Default::default(),
            dialplan: DialPlanConfig::default(),
            orders: OrdersConfig::default(),
            speech: SpeechConfig::default(),
            webrtc: WebRtcSection::default(),
            retention: RetentionConfig::default(),
            cluster: ClusterConfig::default(),
        }
    }
}

impl Default for SipConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:5060".into(),
            outbound_uri: None,
            advertised: None,
            numbers: vec!["12345".into()],
            rtp_port_min: 20_000,
            rtp_port_max: 29_999,
            max_calls: 2_500,
            max_calls_per_source: 16,
            max_unconfirmed_calls_per_source: 2,
            reserved_for_trusted: 500,
            max_tcp_connections: 4_096,
            max_tcp_connections_per_source: 32,
            tcp_idle_secs: 600,
            max_call_secs: 3_600,
            answer_after_ms: 0,
            requests_per_second_per_source: 1_000,
            max_transactions_per_source: 2_000,
            trusted_sources: Vec::new(),
            realm: "hotline".into(),
            digest_algorithms: vec!["MD5".into(), "SHA-256".into()],
            max_auth_failures: 5,
            auth_block_secs: 600,
            max_message_bytes: hotline_sip::wire::DEFAULT_MAX_MESSAGE_BYTES,
            tls_listen: String::new(),
            tls_cert: None,
            tls_key: None,
            tls_ca: None,
            advertised_tls: None,
            srtp: SrtpSetting::Optional,
            srtp_trunks: Default::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: false,
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Vec::new(),
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            metrics_token: None,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/hotline.db".into(),
            data_dir: PathBuf::from("data"),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
            personal_data: false,
        }
    }
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self { drain_secs: 30 }
    }
}

/// The SIP settings after checking.
#[derive(Debug, Clone)]
pub struct CheckedSip {
    pub listen: Vec<SocketAddr>,
    pub advertised: SocketAddr,
    pub rtp_ports: std::ops::RangeInclusive<u16>,
    pub max_call: Duration,
    pub answer_after: Duration,
    pub digest_algorithms: Vec<hotline_sip::registrar::Algorithm>,
    /// SIP over TLS: where it listens and what it advertises (empty: off).
    pub tls_listen: Vec<SocketAddr>,
    pub advertised_tls: Option<SocketAddr>,
    /// Where callbacks are sent: the trunk's address and transport.
    pub outbound: Option<Outbound>,
    /// The named transfer destinations: URI, address, TCP or not.
    pub destinations: std::collections::HashMap<String, (String, SocketAddr, bool)>,
}

/// `sip:user@192.0.2.10:5060;transport=tcp` → user, address, TCP or not.
/// The host must be a literal address: the hotline does no DNS, so a
/// destination can never silently move.
pub fn parse_sip_target(key: &str, uri: &str) -> anyhow::Result<(String, SocketAddr, bool)> {
    let rest = uri
        .strip_prefix("sip:")
        .with_context(|| format!("{key}: {uri:?} is not a sip: URI"))?;
    let (user, host) = rest
        .split_once('@')
        .with_context(|| format!("{key}: {uri:?} has no user@host"))?;
    let (hostport, params) = host.split_once(';').unwrap_or((host, ""));
    let addr: SocketAddr = hostport
        .parse()
        .with_context(|| format!("{key}: {hostport:?} must be a literal address:port (no DNS)"))?;
    let tcp = params
        .split(';')
        .any(|p| p.eq_ignore_ascii_case("transport=tcp"));
    Ok((user.to_owned(), addr, tcp))
}

/// The checked `sip.outbound_uri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The URI template, `{number}` still in it.
    pub uri: String,
    pub addr: SocketAddr,
    pub tcp: bool,
}

impl Outbound {
    /// "sip:{number}@192.0.2.10:5060;transport=tcp" → address and transport.
    pub fn parse(uri: &str) -> anyhow::Result<Self> {
        let (user, addr, tcp) = parse_sip_target("sip.outbound_uri", uri)?;
        if !user.contains("{number}") {
            bail!("sip.outbound_uri: {uri:?} does not contain {{number}}");
        }
        Ok(Self {
            uri: uri.to_owned(),
            addr,
            tcp,
        })
    }

    /// The Request-URI for one number (digits and a leading + only).
    pub fn target(&self, number: &str) -> Option<String> {
        let clean = number.strip_prefix('+').unwrap_or(number);
        (!clean.is_empty() && clean.len() <= 20 && clean.bytes().all(|b| b.is_ascii_digit()))
            .then(|| self.uri.replace("{number}", number))
    }
}

impl Config {
    /// Loads defaults ← file (if given, else [`default_file`]) ← environment.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match path {
            Some(path) => {
                if !path.exists() {
                    bail!("configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => {
                if let Some(file) = default_file() {
                    figment = figment.merge(Toml::file(file));
                }
            }
        }
        figment = figment.merge(Self::env());
        let config: Config = figment.extract().map_err(|e| {
            anyhow::anyhow!(
                "configuration error: {e}\n(check the key names against deploy/hotline.example.toml)"
            )
        })?;
        config.check()?;
        Ok(config)
    }

    /// `HOTLINE_SECTION_KEY` → `section.key`, for the configuration's own
    /// sections only: other `HOTLINE_*` variables (`HOTLINE_CONFIG`, the test
    /// switches `HOTLINE_TEST_PG_URL`, `HOTLINE_REQUIRE_SIPP`) are not keys.
    fn env() -> Env {
        Env::prefixed("HOTLINE_")
            .filter(|key| {
                let section = key.as_str().split('_').next().unwrap_or_default();
                ENV_SECTIONS.iter().any(|s| s.eq_ignore_ascii_case(section))
            })
            .map(|key| key.as_str().replacen('_', ".", 1).into())
    }

    /// Parses a TOML text strictly (the shipped examples' tests).
    #[cfg(test)]
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration error: {e}"))?;
        config.check()?;
        Ok(config)
    }

    /// Checks what serde cannot: addresses, ranges, numbers.
    pub fn check(&self) -> anyhow::Result<CheckedSip> {
        if let Some(node) = &self.cluster.node {
            let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
            if node.is_empty() || node.len() > 64 || !node.chars().all(fine) {
                bail!("cluster.node {node:?}: use 1 to 64 letters, digits, '-', '_' or '.'");
            }
            if self.cluster.lease_secs < 3 {
                bail!(
                    "cluster.lease_secs = {}: use at least 3 (a node renews every third of it)",
                    self.cluster.lease_secs
                );
            }
        }
        for phone in &self.phones {
            let hashes = (phone.ha1_md5.as_deref(), phone.ha1_sha256.as_deref());
            match (phone.password.is_empty(), hashes) {
                (false, (None, None)) => {}
                (true, (Some(md5), Some(sha256))) => {
                    if hotline_sip::registrar::DigestSecret::from_ha1(md5, sha256).is_none() {
                        bail!("[[phones]] {:?}: ha1_md5 must be 32 and ha1_sha256 64 hex digits", phone.user);
                    }
                }
                _ => bail!(
                    "[[phones]] {:?}: give either password or both ha1_md5 and ha1_sha256 (made for sip.realm {:?})",
                    phone.user,
                    self.sip.realm
                ),
            }
        }
        if let Some(token) = &self.http.metrics_token {
            if token.len() < 16 {
                anyhow::bail!("http.metrics_token has {} characters: use at least 16 random ones (or leave it out and scrape http.metrics_listen)", token.len());
            }
        }
        let addresses = |key: &str, text: &str, port: u16| {
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<SocketAddr>().with_context(|| {
                        format!(
                            "{key}: {s:?} is not an address like 127.0.0.1:{port} or [::1]:{port}"
                        )
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()
        };
        let listen = addresses("sip.listen", &self.sip.listen, 5060)?;
        let tls_listen = addresses("sip.tls_listen", &self.sip.tls_listen, 5061)?;
        let advertised_tls = match &self.sip.advertised_tls {
            Some(a) => Some(
                a.parse()
                    .with_context(|| format!("sip.advertised_tls: {a:?} is not host:port"))?,
            ),
            None => tls_listen.first().copied(),
        };
        if self.sip.tls_cert.is_some() != self.sip.tls_key.is_some() {
            bail!("sip.tls_cert and sip.tls_key go together: give both, or neither for a self-signed pair");
        }
        if listen.is_empty() {
            bail!("sip.listen names no address");
        }
        let advertised = match &self.sip.advertised {
            Some(a) => a
                .parse()
                .with_context(|| format!("sip.advertised: {a:?} is not host:port"))?,
            None => listen[0],
        };
        if self.sip.rtp_port_min > self.sip.rtp_port_max || self.sip.rtp_port_min < 1024 {
            bail!(
                "sip.rtp_port_min..sip.rtp_port_max ({}..{}) must be a range above 1023",
                self.sip.rtp_port_min,
                self.sip.rtp_port_max
            );
        }
        let port_pairs = usize::from(self.sip.rtp_port_max - self.sip.rtp_port_min + 1) / 2;
        if self.sip.max_calls == 0 || self.sip.max_calls * 2 > port_pairs {
            bail!(
                "sip.max_calls ({}) needs {} RTP port pairs (a caller's leg and an agent's each), \
but sip.rtp_port_min..sip.rtp_port_max ({}..{}) holds {port_pairs}: lower sip.max_calls to {} \
or widen the range",
                self.sip.max_calls,
                self.sip.max_calls * 2,
                self.sip.rtp_port_min,
                self.sip.rtp_port_max,
                port_pairs / 2
            );
        }
        if !self.sip.trusted_sources.is_empty()
            && self.sip.reserved_for_trusted >= self.sip.max_calls
        {
            bail!(
                "sip.reserved_for_trusted ({}) must be below sip.max_calls ({}): nobody else could call",
                self.sip.reserved_for_trusted,
                self.sip.max_calls
            );
        }
        if self.sip.numbers.is_empty() {
            bail!("sip.numbers is empty: the hotline would answer nothing");
        }
        for number in &self.sip.numbers {
            if number.is_empty()
                || !number
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+*#-_.".contains(c))
            {
                bail!("sip.numbers: {number:?} is not a dialable number");
            }
        }
        let digest_algorithms = self
            .sip
            .digest_algorithms
            .iter()
            .map(|a| match a.to_ascii_uppercase().as_str() {
                "MD5" => Ok(hotline_sip::registrar::Algorithm::Md5),
                "SHA-256" => Ok(hotline_sip::registrar::Algorithm::Sha256),
                other => bail!("sip.digest_algorithms: {other:?} is not MD5 or SHA-256"),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if digest_algorithms.is_empty() {
            bail!("sip.digest_algorithms is empty: no phone could register");
        }
        for phone in &self.phones {
            for name in phone.digest_algorithms.iter().flatten() {
                if hotline_sip::registrar::Algorithm::from_name(name).is_none() {
                    bail!(
                        "phones.{}.digest_algorithms: {name:?} is not MD5 or SHA-256",
                        phone.user
                    );
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for queue in &self.queues {
            if queue.name.is_empty() || !seen.insert(queue.name.as_str()) {
                bail!("queues: {:?} is empty or defined twice", queue.name);
            }
        }
        for queue in &self.queues {
            for (key, target) in [
                ("overflow", &queue.overflow),
                ("no_agents", &queue.no_agents),
            ] {
                if let Some(to) = target.strip_prefix("queue:") {
                    if to == queue.name || !self.queues.iter().any(|q| q.name == to) {
                        bail!(
                            "queues.{}.{key}: {target:?} names no other configured queue",
                            queue.name
                        );
                    }
                } else if !["fallback", "voicemail", "callback"].contains(&target.as_str()) {
                    bail!(
                        "queues.{}.{key}: {target:?} is not fallback, voicemail, callback or queue:<name>",
                        queue.name
                    );
                }
            }
            if queue.service_level_target_percent > 100 {
                bail!(
                    "queues.{}.service_level_target_percent must be 0 to 100",
                    queue.name
                );
            }
            if queue.ring_timeout_secs == 0 {
                bail!("queues.{}.ring_timeout_secs must be at least 1", queue.name);
            }
        }
        if self
            .console
            .search_reasons
            .iter()
            .all(|r| r.trim().is_empty())
        {
            bail!(
                "console.search_reasons: give at least one reason an agent may search citizens for"
            );
        }
        if !(2..=20).contains(&self.console.search_min_chars) {
            bail!(
                "console.search_min_chars: {} is not between 2 and 20",
                self.console.search_min_chars
            );
        }
        if self.console.searches_per_minute == 0 {
            bail!("console.searches_per_minute: 0 would forbid every search; give at least 1");
        }
        if self.console.report_utc_offset_minutes % 15 != 0
            || self.console.report_utc_offset_minutes.abs() > 14 * 60
        {
            bail!(
                "console.report_utc_offset_minutes: {} is not a multiple of 15 between -840 and 840",
                self.console.report_utc_offset_minutes
            );
        }
        let mut destinations = std::collections::HashMap::new();
        for (name, uri) in &self.destinations {
            let (_, addr, tcp) = parse_sip_target(&format!("destinations.{name}"), uri)?;
            destinations.insert(name.clone(), (uri.clone(), addr, tcp));
        }
        crate::retention::Policy::from_config(&self.retention, &self.orders.timezone)?;
        let outbound = self
            .sip
            .outbound_uri
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(Outbound::parse)
            .transpose()?;
        Ok(CheckedSip {
            tls_listen,
            advertised_tls,
            destinations,
            outbound,
            digest_algorithms,
            listen,
            advertised,
            rtp_ports: self.sip.rtp_port_min..=self.sip.rtp_port_max,
            max_call: Duration::from_secs(self.sip.max_call_secs.max(1)),
            answer_after: Duration::from_millis(self.sip.answer_after_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use hotline_call::dialplan::{DialPlan, Refusal};

    #[test]
    fn the_shipped_dial_plan_passes_domestic_numbers_and_not_toll_numbers() {
        let shipped = DialPlanConfig::default();
        let plan = DialPlan::new(&shipped.allow, 2).unwrap();
        for number in [
            "13800138000",
            "19912345678",
            "01012345678",
            "075512345678",
            "88881234",
        ] {
            assert_eq!(plan.allows(number), Ok(()), "{number}");
        }
        for number in [
            "0019005551234", // international
            "+19005551234",
            "00881234567",  // satellite
            "95588",        // short service code
            "12345",        // the hotline itself
            "1380013800",   // a digit short
            "138001380001", // a digit long
            "sipp",
            "",
            "13800138000;phone-context=x",
        ] {
            assert_eq!(
                plan.allows(number),
                Err(Refusal::OutsideDialPlan),
                "{number}"
            );
        }
    }

    use super::*;

    #[test]
    fn defaults_are_valid() {
        let checked = Config::default().check().unwrap();
        assert_eq!(
            checked.listen,
            ["127.0.0.1:5060".parse::<std::net::SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn shipped_example_parses() {
        let text = include_str!("../../../deploy/hotline.example.toml");
        Config::from_toml(text).unwrap();
    }

    #[test]
    fn the_packaged_configuration_parses() {
        let text = include_str!("../../../deploy/debian/hotline.toml");
        let config = Config::from_toml(text).unwrap();
        assert_eq!(config.retention.recordings_days, 90);
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn retention_is_checked_and_set_from_the_environment() {
        let err = Config::from_toml("[retention]\nrun_at = \"25:00\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("retention.run_at"), "{err}");
        let err = Config::from_toml("[retention]\ntimezone = \"Atlantis\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("retention.timezone"), "{err}");
        figment::Jail::expect_with(|jail| {
            jail.set_env("HOTLINE_RETENTION_RECORDINGS_DAYS", "30");
            jail.set_env("HOTLINE_RETENTION_RUN_AT", "04:15");
            jail.set_env("HOTLINE_RETENTION_ENABLED", "false");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.retention.recordings_days, 30);
            assert_eq!(config.retention.run_at, "04:15");
            assert!(!config.retention.enabled);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused_in_every_section() {
        let text = include_str!("../../../deploy/hotline.example.toml");
        for section in [
            "[sip]",
            "[http]",
            "[database]",
            "[log]",
            "[shutdown]",
            "[ivr]",
            "[media]",
            "[console]",
            "[dialplan]",
            "[retention]",
            "[[queues]]",
            "[[phones]]",
        ] {
            let bogus = text.replacen(section, &format!("{section}\nbogus_key = 1"), 1);
            let err = Config::from_toml(&bogus).unwrap_err().to_string();
            assert!(err.contains("bogus_key"), "{section}: {err}");
        }
    }

    #[test]
    fn max_calls_must_fit_the_rtp_range() {
        let err = Config::from_toml("[sip]\nmax_calls = 10000")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sip.max_calls (10000) needs 20000 RTP port pairs")
                && err.contains("holds 5000")
                && err.contains("lower sip.max_calls to 2500"),
            "{err}"
        );
        Config::from_toml("[sip]\nmax_calls = 10000\nrtp_port_min = 10000\nrtp_port_max = 49999")
            .unwrap();
        let err = Config::from_toml(
            "[sip]\ntrusted_sources = [\"127.0.0.9\"]\nmax_calls = 100\nreserved_for_trusted = 100",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("sip.reserved_for_trusted"), "{err}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = Config::from_toml("[sip]\nlisten = \"nowhere\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sip.listen"), "{err}");
        let err = Config::from_toml("[sip]\nnumbers = []")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sip.numbers"), "{err}");
    }

    #[test]
    fn a_phone_has_a_password_or_both_digest_hashes() {
        let md5 = "0".repeat(32);
        let sha = "a".repeat(64);
        let phone =
            |fields: &str| Config::from_toml(&format!("[[phones]]\nuser = \"agent1\"\n{fields}"));
        assert!(phone("password = \"pw\"").is_ok());
        assert!(phone(&format!("ha1_md5 = \"{md5}\"\nha1_sha256 = \"{sha}\"")).is_ok());
        for wrong in [
            String::new(),
            format!("ha1_md5 = \"{md5}\""),
            format!("password = \"pw\"\nha1_md5 = \"{md5}\"\nha1_sha256 = \"{sha}\""),
            format!("ha1_md5 = \"xyz\"\nha1_sha256 = \"{sha}\""),
        ] {
            let err = phone(&wrong).unwrap_err().to_string();
            assert!(
                err.contains("agent1") && err.contains("ha1"),
                "{wrong}: {err}"
            );
        }
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn environment_overrides_with_underscored_keys() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("HOTLINE_SIP_LISTEN", "127.0.0.1:5070");
            jail.set_env("HOTLINE_SIP_RTP_PORT_MIN", "19000");
            jail.set_env("HOTLINE_HTTP_LISTEN", "127.0.0.1:8081");
            // Not configuration keys: the CI's switches and the file option.
            jail.set_env("HOTLINE_REQUIRE_SIPP", "1");
            jail.set_env("HOTLINE_TEST_PG_URL", "postgres://x@127.0.0.1/test");
            jail.set_env("HOTLINE_CONFIG", "/nonexistent.toml");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.sip.listen, "127.0.0.1:5070");
            assert_eq!(config.sip.rtp_port_min, 19000);
            assert_eq!(config.http.listen.port(), 8081);
            Ok(())
        });
    }

    #[test]
    fn the_printed_configuration_shows_no_secret() {
        let mut config = Config::from_toml(
            "[[phones]]\nuser = \"agent1\"\npassword = \"phone-secret-1\"\n\
             [[orders.open311_clients]]\nname = \"city-app\"\napi_key = \"open311-secret-4444\"\n",
        )
        .expect("parses");
        config.console.admin_password = Some("admin-secret-22".into());
        config.database.url = "postgres://hotline:db-secret-333@db.example/hotline".into();
        config.http.metrics_token = Some("metrics-secret-55555".into());
        let printed = toml::to_string_pretty(&config.redacted()).expect("prints");
        for secret in [
            "phone-secret-1",
            "admin-secret-22",
            "db-secret-333",
            "open311-secret-4444",
            "metrics-secret-55555",
        ] {
            assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
        }
        assert!(printed.contains("postgres://hotline:***@db.example/hotline"));
        assert!(printed.contains(REDACTED));
        // What runs keeps the secrets.
        assert_eq!(config.phones[0].password, "phone-secret-1");
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn every_section_can_be_set_from_the_environment() {
        let defaults = serde_json::to_value(Config::default()).expect("serialise");
        let mut sections: Vec<&str> = defaults
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed = ENV_SECTIONS.to_vec();
        sections.sort_unstable();
        listed.sort_unstable();
        assert_eq!(sections, listed, "ENV_SECTIONS lists every section");
        figment::Jail::expect_with(|jail| {
            jail.set_env("HOTLINE_DIALPLAN_MAX_CALLS_PER_NUMBER_PER_DAY", "1");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.dialplan.max_calls_per_number_per_day, 1);
            Ok(())
        });
    }
}
