//! The agent console and the screen-pop service (axum): the web page the
//! agents work in, its REST + WebSocket API, and the push of a caller's
//! record to the agent a call is offered to.
//!
//! # Its job
//!
//! The binary builds one [`Console`] with the store, a [`ConsoleConfig`] and
//! the sending half of an [`AgentRequest`] channel, and merges
//! [`Console::router`] into its HTTP server. When the ACD offers a call, the
//! binary calls [`Console::offer`]: the console looks the caller up (by the
//! citizen the IVR identified, else by caller number), audits the lookup as
//! the agent viewing for that call, and pushes a [`ScreenPop`] to the
//! agent's WebSockets before the phone rings. Later updates (answered,
//! hold, ended, wrap-up, state) go through [`Console::push`]. What the agent
//! does on the page (log in to the ACD, state buttons, hold, transfer, hang
//! up, wrap-up, case linked to a call) comes back to the binary as
//! [`AgentRequest`]s, each with a reply channel. This crate knows only the
//! store and the event types; it never talks to SIP, media, IVR or the ACD.
//!
//! # Supervisors
//!
//! About once a second the binary hands the ACD's live picture to
//! [`Console::publish_live`]; the console merges it with the other nodes'
//! boards in a centre of several ([`Console::set_other_boards`],
//! `src/centre.rs`) and with today's figures from the store, colours it by each queue's [`QueueTarget`] and pushes it
//! on `/api/supervisor/ws` to each supervisor as their scope allows
//! (`src/wallboard.rs`, `src/scope.rs`). The historical reports
//! (`/api/reports/*`, CSV or JSON) read the store's report API. The pages
//! `/wallboard/`, `/reports/` and `/departments/` are static files like
//! the console. Supervisors see the queues, agents and cases of their
//! department(s), a supervisor without a department and admins everything,
//! agents only their own figures.
//!
//! # Security model
//!
//! - **Sessions**: `POST /api/login` checks the argon2 hash (same answer for
//!   an unknown login and a wrong password) and sets a cookie holding a
//!   random 256-bit id: `HttpOnly`, `SameSite=Strict`, `Secure` unless
//!   configured off, `Path=/`. Sessions live in memory and expire after
//!   [`ConsoleConfig::session_idle`] without use (an open console
//!   WebSocket counts as use). Logging out closes the session's sockets.
//! - **Login rate limit**: token buckets per source address and per login
//!   name; over the limit, 429 with `Retry-After`. The source address is the
//!   TCP peer: serve the router with
//!   `into_make_service_with_connect_info::<SocketAddr>()`, otherwise every
//!   client shares one bucket.
//! - **Every route but `/`, `/console/*`, `/api/login` and
//!   `/api/openapi.json` needs a session** (401 otherwise), checked by one
//!   guard layered on each route from the route table, which also names the
//!   roles allowed (403 otherwise). [`Console::routes`] lists the table.
//! - **CSRF**: every POST/PUT/PATCH/DELETE needs `X-CSRF-Token` equal to the
//!   session's random token (returned by login and `/api/me`), and an
//!   `Origin`, if sent, that is the console's own or one configured in
//!   [`ConsoleConfig::allowed_origins`]. WebSocket upgrades are checked for
//!   the session cookie and the Origin.
//! - **Citizen records**: an agent sees a citizen only through a call
//!   offered to them, their own search (a reason is required; the grant
//!   lasts [`SEARCH_GRANT`]), or a record they created in the console;
//!   supervisors and admins see any record. Every read goes through the
//!   store with an audit context naming the user and the call or search, so
//!   every view is in the audit log; admins read it at `/api/audit`.
//! - **Errors**: client mistakes name the field at fault; internal failures
//!   are logged and answered with a generic 500, never with store details.
//!
//! Sessions, grants and sockets are node-local: with several hotline nodes,
//! the binary must offer a call on the node that holds the agent's socket.

mod access;
mod api;
mod assets;
mod centre;
mod csv;
mod error;
mod extract;
mod handlers;
mod hub;
mod open311;
mod openapi;
mod rate_limit;
mod routes;
mod scope;
mod session;
mod wallboard;
mod ws;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::ws::Utf8Bytes;
use hotline_store::{AuditContext, CitizenRecord, Store, StoreError};
use hotline_types::{AgentId, CitizenId, Timestamp};
use tokio::sync::{mpsc, oneshot};

pub use access::{CALL_GRANT, SEARCH_GRANT};
pub use api::{
    AgentRequest, AgentStatus, AudioMode, CallbackChange, ConsoleConfig, ConsoleEvent,
    ConsultRequest, LiveAgent, LiveBoard, LiveQueue, MonitorAction, Offer, QueueInfo, QueueTarget,
    Refused, RequestedState, ScreenPop, SearchPolicy, SoftphoneEvent, SoftphoneMessage,
    SoftphoneSignal, StatisticsConfig, DEFAULT_MAX_WAITING, DEFAULT_MAX_WAIT_SECS,
    DEFAULT_SERVICE_LEVEL_SECS, DEFAULT_SERVICE_LEVEL_TARGET,
};
pub use centre::FRESH_MS as CENTRE_FRESH_MS;
pub use error::ConsoleError;
pub use open311::Open311Client;
pub use routes::RouteInfo;
pub use session::SESSION_COOKIE;
pub use wallboard::{
    Level, QueueLevels, QueueToday, WallAgent, WallQueue, WallboardView, TODAY_READ_TIMEOUT,
    TODAY_REFRESH,
};

use access::{AccessRegistry, GrantVia};
use hub::Hub;
use rate_limit::LoginLimiter;
use session::Sessions;
use wallboard::Wallboard;

/// How long a screen-pop lookup may take before the pop goes out without
/// the record (`lookup_failed`): the pop must reach the agent before the
/// phone rings.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_millis(800);

/// How long the console waits for the binary to answer an [`AgentRequest`].
pub const ACD_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// The console's shared state: one per process, behind an `Arc`.
pub(crate) struct Shared {
    pub(crate) store: Store,
    /// Replaced as a whole by [`Console::reconfigure`] (a reload): a
    /// request reads one version from start to end.
    config: RwLock<Arc<ConsoleConfig>>,
    stats: RwLock<Arc<StatisticsConfig>>,
    requests: mpsc::UnboundedSender<AgentRequest>,
    sessions: Mutex<Sessions>,
    limiter: Mutex<LoginLimiter>,
    /// Citizen searches per user (`search:<login>`).
    search_limiter: Mutex<LoginLimiter>,
    access: Mutex<AccessRegistry>,
    pub(crate) hub: Hub,
    pub(crate) wallboard: Wallboard,
    /// The accounts' version the sessions were last checked against.
    accounts_checked: AtomicI64,
    /// The newest erasure this node has forgotten its caches for.
    erasures_seen: AtomicI64,
}

pub(crate) type App = Arc<Shared>;

/// No accounts' version checked yet (the counter starts at 0).
const NEVER_CHECKED: i64 = -1;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves consistent data here
    // (every critical section is a few map operations).
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The wall clock as the store records it.
pub(crate) fn wall_clock() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

pub(crate) fn encode(event: &ConsoleEvent) -> Result<Utf8Bytes, ConsoleError> {
    Ok(Utf8Bytes::from(serde_json::to_string(event)?))
}

impl Shared {
    pub(crate) fn sessions(&self) -> MutexGuard<'_, Sessions> {
        lock(&self.sessions)
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, LoginLimiter> {
        lock(&self.limiter)
    }

    pub(crate) fn search_limiter(&self) -> MutexGuard<'_, LoginLimiter> {
        lock(&self.search_limiter)
    }

    pub(crate) fn access(&self) -> MutexGuard<'_, AccessRegistry> {
        lock(&self.access)
    }

    /// Sends a request to the binary and waits (bounded) for its answer.
    pub(crate) async fn ask<T>(
        &self,
        timeout: Duration,
        make: impl FnOnce(oneshot::Sender<T>) -> AgentRequest,
    ) -> Result<T, ConsoleError> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(make(tx))
            .map_err(|_| ConsoleError::CallCentreUnavailable)?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            _ => Err(ConsoleError::CallCentreUnavailable),
        }
    }

    /// Tells the binary something that needs no answer.
    pub(crate) fn tell(&self, request: AgentRequest) {
        if self.requests.send(request).is_err() {
            tracing::warn!("the call side is gone; a console notification was dropped");
        }
    }

    /// The configuration in force.
    pub(crate) fn config(&self) -> Arc<ConsoleConfig> {
        self.config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The statistics' configuration in force.
    pub(crate) fn stats(&self) -> Arc<StatisticsConfig> {
        self.stats
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The department of a queue, from the configuration.
    pub(crate) fn department_of(&self, queue: &str) -> String {
        self.config()
            .queues
            .iter()
            .find(|q| q.name == queue)
            .map(|q| q.department.clone())
            .unwrap_or_default()
    }

    /// The citizens a call concerns, read as the agent handling it (audited
    /// for that call): the IVR's citizen if any, else everyone with the
    /// caller's number, plus any created for the call in the console.
    /// Returns `(records, lookup_failed)`; never takes longer than
    /// [`LOOKUP_TIMEOUT`].
    pub(crate) async fn lookup(
        &self,
        offer: &Offer,
        added: &[CitizenId],
        at: Timestamp,
    ) -> (Vec<CitizenRecord>, bool) {
        let ctx = AuditContext::for_call(offer.agent.as_str(), offer.call, at);
        let work = async {
            let mut found = Vec::new();
            if let Some(hint) = offer.citizen_hint {
                found.extend(self.store.citizen(&ctx, hint).await?);
            }
            if found.is_empty() {
                match self.store.citizen_by_phone(&ctx, &offer.caller).await {
                    Ok(records) => found = records,
                    // Anonymous or malformed caller ids: an unknown caller.
                    Err(StoreError::InvalidValue { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            for id in added {
                if !found.iter().any(|r: &CitizenRecord| r.citizen.id == *id) {
                    found.extend(self.store.citizen(&ctx, *id).await?);
                }
            }
            Ok(found)
        };
        match tokio::time::timeout(LOOKUP_TIMEOUT, work).await {
            Ok(Ok(found)) => (found, false),
            Ok(Err(e)) => {
                tracing::warn!(call = %offer.call, error = %e, "screen-pop lookup failed; popping without the record");
                (Vec::new(), true)
            }
            Err(_) => {
                tracing::warn!(call = %offer.call, "screen-pop lookup timed out; popping without the record");
                (Vec::new(), true)
            }
        }
    }

    /// Gives the agent the call's citizens.
    pub(crate) fn grant_call_citizens(
        &self,
        offer: &Offer,
        citizens: &[CitizenRecord],
        now: Instant,
    ) {
        let mut access = self.access();
        for r in citizens {
            access.grant_citizen(
                offer.agent.as_str(),
                r.citizen.id,
                GrantVia::Call(offer.call),
                now,
            );
        }
    }

    pub(crate) fn screen_pop(
        &self,
        offer: &Offer,
        citizens: Vec<CitizenRecord>,
        lookup_failed: bool,
        offered_at_ms: i64,
    ) -> ScreenPop {
        ScreenPop {
            call: offer.call,
            queue: offer.queue.clone(),
            department: self.department_of(offer.queue.as_str()),
            caller: offer.caller.clone(),
            waited_ms: u64::try_from(offer.waited.as_millis()).unwrap_or(u64::MAX),
            callback: offer.callback,
            consulted_by: offer.consulted_by.as_ref().map(|a| a.to_string()),
            ivr_path: offer.ivr_path.clone(),
            ivr_vars: offer.ivr_vars.clone(),
            citizens,
            lookup_failed,
            offered_at_ms,
        }
    }
}

/// The console: a cheap, cloneable handle shared by the HTTP server and
/// the call side.
#[derive(Clone)]
pub struct Console {
    shared: App,
}

impl fmt::Debug for Console {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Console")
            .field("store", &self.shared.store)
            .field("config", &self.shared.config())
            .field("open_sockets", &self.open_sockets())
            .finish_non_exhaustive()
    }
}

impl Console {
    /// The console a handler runs in (to act at once, not at the next tick).
    pub(crate) fn from_app(app: &App) -> Console {
        Console {
            shared: app.clone(),
        }
    }

    /// A console over the store; what agents ask of the call side goes to
    /// `requests`. Statistics use [`StatisticsConfig::default`].
    pub fn new(
        store: Store,
        config: ConsoleConfig,
        requests: mpsc::UnboundedSender<AgentRequest>,
    ) -> Self {
        Self::with_statistics(store, config, StatisticsConfig::default(), requests)
    }

    /// Like [`Console::new`], with the queues' targets and the local time
    /// the wallboard and the reports use.
    pub fn with_statistics(
        store: Store,
        config: ConsoleConfig,
        stats: StatisticsConfig,
        requests: mpsc::UnboundedSender<AgentRequest>,
    ) -> Self {
        let sessions = Sessions::new(config.session_idle);
        let limiter = LoginLimiter::new(config.login_attempts_per_minute);
        let search_limiter = LoginLimiter::new(config.search.per_minute);
        Self {
            shared: Arc::new(Shared {
                store,
                config: RwLock::new(Arc::new(config)),
                stats: RwLock::new(Arc::new(stats)),
                requests,
                sessions: Mutex::new(sessions),
                limiter: Mutex::new(limiter),
                search_limiter: Mutex::new(search_limiter),
                access: Mutex::new(AccessRegistry::default()),
                hub: Hub::default(),
                wallboard: Wallboard::default(),
                accounts_checked: AtomicI64::new(NEVER_CHECKED),
                erasures_seen: AtomicI64::new(NEVER_CHECKED),
            }),
        }
    }

    /// A reload: the queues, departments, destinations, work orders' rules
    /// and statistics targets of `config` and `stats` apply to the next
    /// request. What a running console cannot change (cookies, session
    /// idle time, the login rate) stays as it started.
    pub fn reconfigure(&self, config: ConsoleConfig, stats: StatisticsConfig) {
        let running = self.shared.config();
        let config = ConsoleConfig {
            secure_cookies: running.secure_cookies,
            session_idle: running.session_idle,
            login_attempts_per_minute: running.login_attempts_per_minute,
            ..config
        };
        *self
            .shared
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(config);
        *self
            .shared
            .stats
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(stats);
    }

    /// Every route of the console and its API, with state. The binary
    /// merges it with /health and /metrics.
    pub fn router(&self) -> axum::Router {
        routes::build(self.shared.clone()).router
    }

    /// The route table the router is built from: method, path and who may
    /// call it (`None`: public).
    pub fn routes(&self) -> Vec<RouteInfo> {
        routes::build(self.shared.clone()).table
    }

    /// The OpenAPI 3.1 document `/api/openapi.json` serves, generated from
    /// the route table and its handlers' types.
    pub fn openapi(&self) -> serde_json::Value {
        routes::build(self.shared.clone()).document
    }

    /// A call is being offered to `offer.agent`: looks the citizen up (by
    /// `offer.citizen_hint` if set, else by caller number; audited as the
    /// agent viewing for this call), grants this agent access to those
    /// citizens for this call, and pushes a [`ConsoleEvent::Pop`] to every
    /// WebSocket of that agent. Returns once the pop has been handed to the
    /// agent's sockets: `Ok(false)` if the agent has no open socket. A store
    /// failure or a lookup slower than [`LOOKUP_TIMEOUT`] gives a pop with
    /// no citizens and `lookup_failed: true`.
    pub async fn offer(&self, offer: Offer) -> Result<bool, ConsoleError> {
        let at = wall_clock();
        self.shared
            .access()
            .record_offer(&offer, at.as_millis(), Instant::now());
        let (citizens, lookup_failed) = self.shared.lookup(&offer, &[], at).await;
        self.shared
            .grant_call_citizens(&offer, &citizens, Instant::now());
        let pop = self
            .shared
            .screen_pop(&offer, citizens, lookup_failed, at.as_millis());
        let payload = encode(&ConsoleEvent::Pop(pop))?;
        Ok(self.shared.hub.send_agent(&offer.agent, &payload) > 0)
    }

    /// Applies account changes made elsewhere (`hotline user disable`, a
    /// role or department changed in the store) to this node: the sessions
    /// of an account that is disabled, gone or changed end and their
    /// WebSockets close; a disabled or deleted agent is logged out of the
    /// ACD. Returns how many sessions ended. The binary runs it every
    /// second.
    pub async fn enforce_accounts(&self) -> Result<usize, ConsoleError> {
        // Nobody logged in: nothing to check, and no query each second.
        if self.shared.sessions().is_empty() {
            return Ok(0);
        }
        // One row a second; every account only when one changed. The
        // version is read first, so a change made while the accounts are
        // read moves it past the one kept and is read at the next check.
        let version = self.shared.store.accounts_version().await?;
        if version == self.shared.accounts_checked.load(Ordering::Acquire) {
            return Ok(0);
        }
        let users: HashMap<String, hotline_store::User> = self
            .shared
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|user| (user.login.clone(), user))
            .collect();
        let ended = self
            .shared
            .sessions()
            .revoke_changed(|login| users.get(login).cloned());
        for (session, user) in &ended {
            self.shared.hub.close_session(session);
            let gone = users.get(&user.login).is_none_or(|now| now.disabled);
            tracing::info!(login = %user.login, disabled_or_gone = gone, "account changed: its console session ended");
            if gone && user.role != hotline_store::Role::Admin {
                let (reply, _) = oneshot::channel();
                let _ = self.shared.requests.send(AgentRequest::SetState {
                    agent: AgentId::from(user.login.as_str()),
                    state: RequestedState::LoggedOut,
                    reply,
                });
            }
        }
        self.shared
            .accounts_checked
            .store(version, Ordering::Release);
        Ok(ended.len())
    }

    /// Forgets what this node holds in memory (grants, the IVR's
    /// identification on offered calls) about citizens erased elsewhere
    /// (another node's privacy officer, `hotline privacy erase`). The
    /// erasures at the first check are old: only later ones are applied.
    /// The binary runs it every second. Returns how many were applied.
    pub async fn forget_erased(&self) -> Result<usize, ConsoleError> {
        let seen = self.shared.erasures_seen.load(Ordering::Acquire);
        let erasures = self.shared.store.erasures_after(seen.max(0)).await?;
        let Some(&(newest, _)) = erasures.last() else {
            if seen == NEVER_CHECKED {
                self.shared.erasures_seen.store(0, Ordering::Release);
            }
            return Ok(0);
        };
        self.shared.erasures_seen.store(newest, Ordering::Release);
        if seen == NEVER_CHECKED {
            return Ok(0);
        }
        for (_, citizen) in &erasures {
            self.shared.access().forget_citizen(*citizen, &[]);
        }
        Ok(erasures.len())
    }

    /// Pushes an update to one agent's sockets (state changes, answered,
    /// hold, ended, wrap-up...).
    pub fn push(&self, agent: &AgentId, event: ConsoleEvent) {
        match encode(&event) {
            Ok(payload) => {
                self.shared.hub.send_agent(agent, &payload);
            }
            Err(e) => tracing::error!(error = %e, "console event not encodable"),
        }
    }

    /// Pushes to one of an agent's sockets (browser audio answers the page
    /// that asked); false if that socket is not open on this node.
    pub fn push_socket(&self, agent: &AgentId, socket: u64, event: ConsoleEvent) -> bool {
        match encode(&event) {
            Ok(payload) => self.shared.hub.send_socket(agent, socket, &payload),
            Err(e) => {
                tracing::error!(error = %e, "console event not encodable");
                false
            }
        }
    }

    /// Pushes to every supervisor/admin socket (`/api/supervisor/ws`, for
    /// the wallboard).
    pub fn push_supervisors(&self, event: ConsoleEvent) {
        match encode(&event) {
            Ok(payload) => {
                self.shared.hub.send_supervisors(&payload);
            }
            Err(e) => tracing::error!(error = %e, "console event not encodable"),
        }
    }

    /// The ACD's live picture, about once a second: the console adds
    /// today's figures from the store (read at most every
    /// [`TODAY_REFRESH`]), filters it per viewer and pushes it to every
    /// open `/api/supervisor/ws` (a [`WallboardView`] per scope). Returns
    /// at once: the work happens on the console's wallboard task, started
    /// on the caller's tokio runtime at the first call; boards published
    /// while it is busy are coalesced (the newest wins). Nothing is read or
    /// pushed while no supervisor is watching.
    pub fn publish_live(&self, board: LiveBoard) {
        self.shared.wallboard.publish(&self.shared, board);
    }

    /// This node's own live board as last published (before the other
    /// nodes' are merged in), for a node of a centre to share.
    pub fn local_board(&self) -> Option<LiveBoard> {
        self.shared.wallboard.local()
    }

    /// The live boards of the centre's other nodes: merged into this
    /// node's wallboard from its next board on (those older than 5 s are
    /// left out: a node that stopped publishing).
    pub fn set_other_boards(&self, boards: Vec<LiveBoard>) {
        self.shared.wallboard.set_others(boards);
    }

    /// The wallboard as a supervisor or admin overseeing everything sees
    /// it now (what `GET /api/wallboard` answers them).
    pub async fn wallboard(&self) -> WallboardView {
        self.shared
            .wallboard
            .current_view(&self.shared, &scope::Scope::All)
            .await
    }

    /// Number of open supervisor sockets (wallboards, for /metrics).
    pub fn supervisor_sockets(&self) -> usize {
        self.shared.hub.supervisor_sockets()
    }

    /// Number of open agent sockets (for /metrics).
    pub fn open_sockets(&self) -> usize {
        self.shared.hub.agent_sockets()
    }
}
