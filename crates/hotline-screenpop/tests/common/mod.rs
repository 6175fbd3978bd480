//! Test harness: a console over a temporary SQLite store with five users
//! (agent1 of housing, agent2 of transport, super1 overseeing everything,
//! super_housing of the Housing Bureau, admin1), a stand-in for the binary
//! that answers the console's requests the way the binary does (keeps each
//! agent's state, says yes to call controls, records case links), and the
//! events of whole calls for the statistics.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use hotline_orders::{CalendarSpec, Catalogue, OrderRules, WorkingCalendar};
use hotline_screenpop::{
    AgentRequest, AgentStatus, Console, ConsoleConfig, ConsultRequest, Offer, Open311Client,
    QueueInfo, Refused, RequestedState, StatisticsConfig,
};
use hotline_store::{NewCitizen, NewUser, Role, Skill, Store};
use hotline_types::{
    AgentId, CallEvent, CallEventRecord, CallId, CaseRef, CitizenId, HangupSide, Timestamp,
};
use serde_json::Value;
use tokio::sync::mpsc;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";
pub const HOST: &str = "hotline.test";

/// What the stand-in binary was asked to record.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseLink {
    pub agent: AgentId,
    pub call: CallId,
    pub case_ref: CaseRef,
}

pub struct Harness {
    pub console: Console,
    pub store: Store,
    pub router: Router,
    pub case_links: Arc<Mutex<Vec<CaseLink>>>,
    /// What the agents' pages said about browser audio, in order.
    pub softphone: Arc<Mutex<Vec<hotline_screenpop::SoftphoneSignal>>>,
    _dir: tempfile::TempDir,
}

/// A logged-in browser: its cookie and CSRF token.
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

pub fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// The Open311 client the tests' console knows.
pub const OPEN311_KEY: &str = "city-app-key-0123456789abcdef";

/// The shipped example catalogue on Monday-to-Friday working days in
/// Beijing time.
pub fn order_rules() -> OrderRules {
    OrderRules {
        catalogue: Catalogue::example(),
        calendar: WorkingCalendar::new(CalendarSpec::monday_to_friday("Asia/Shanghai"))
            .expect("Beijing's time zone is known"),
        due_soon_working_days: 2,
    }
}

pub fn config() -> ConsoleConfig {
    ConsoleConfig {
        secure_cookies: true,
        session_idle: Duration::from_secs(3600),
        login_attempts_per_minute: 100,
        queues: vec![
            QueueInfo {
                name: "housing".into(),
                department: "Housing Bureau".into(),
            },
            QueueInfo {
                name: "transport".into(),
                department: "Transport Bureau".into(),
            },
        ],
        dispositions: vec!["resolved_on_call".into(), "case_created".into()],
        case_categories: vec!["complaint".into(), "repair_request".into()],
        allowed_origins: vec![],
        destinations: vec!["police".into()],
        orders: Some(Arc::new(order_rules())),
        open311_clients: vec![Open311Client {
            name: "city-app".into(),
            api_key: OPEN311_KEY.into(),
        }],
        sip_realm: "hotline".into(),
        trusted_proxies: vec![],
        // The harness's own data folder (with_statistics).
        data_files: None,
        search: hotline_screenpop::SearchPolicy::default(),
    }
}

/// The first of the default search reasons.
pub const SEARCH_REASON: &str = "the caller is on the line and gave these details";

impl Harness {
    pub async fn new() -> Self {
        Self::with_config(config()).await
    }

    pub async fn with_config(config: ConsoleConfig) -> Self {
        Self::with_statistics(config, StatisticsConfig::default()).await
    }

    pub async fn with_statistics(mut config: ConsoleConfig, stats: StatisticsConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if config.data_files.is_none() {
            let files = hotline_store::DataFiles::in_data_dir(dir.path());
            std::fs::create_dir_all(&files.recordings_dir).unwrap();
            config.data_files = Some(files);
        }
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url, *b"screenpop-test-national-id-key")
            .await
            .unwrap();
        store.migrate().await.unwrap();
        for (login, role, department) in [
            ("agent1", Role::Agent, Some("housing")),
            ("agent2", Role::Agent, Some("transport")),
            ("super1", Role::Supervisor, None),
            ("super_housing", Role::Supervisor, Some("Housing Bureau")),
            ("admin1", Role::Admin, None),
            ("dispatcher1", Role::Dispatcher, None),
            ("handler_housing", Role::Handler, Some("housing")),
            ("handler_water", Role::Handler, Some("water")),
            ("privacy1", Role::Privacy, None),
        ] {
            let skills = match department {
                Some(queue) if role == Role::Agent => vec![Skill {
                    skill: queue.into(),
                    level: 5,
                }],
                _ => vec![],
            };
            store
                .create_user(
                    &NewUser {
                        login: login.into(),
                        display_name: format!("{login} display"),
                        role,
                        department: department.map(str::to_owned),
                        password: PASSWORD.into(),
                        must_change_password: false,
                        skills,
                    },
                    now(),
                )
                .await
                .unwrap();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let case_links = Arc::new(Mutex::new(Vec::new()));
        let softphone = Arc::new(Mutex::new(Vec::new()));
        tokio::spawn(stand_in_binary(rx, case_links.clone(), softphone.clone()));
        let console = Console::with_statistics(store.clone(), config, stats, tx);
        let router = console.router();
        Harness {
            console,
            store,
            router,
            case_links,
            softphone,
            _dir: dir,
        }
    }

    /// Sends a request from 127.0.0.1 as the router sees it behind
    /// `into_make_service_with_connect_info`.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        self.send_from(req, "127.0.0.1:40000").await
    }

    pub async fn send_from(
        &self,
        req: Request<Body>,
        peer: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        let (status, headers, bytes) = self.send_raw_from(req, peer).await;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, headers, body)
    }

    /// As [`Self::send`], the body's bytes as they came.
    pub async fn send_raw(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        self.send_raw_from(req, "127.0.0.1:40000").await
    }

    async fn send_raw_from(
        &self,
        mut req: Request<Body>,
        peer: &str,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let peer: SocketAddr = peer.parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .unwrap();
        (status, headers, bytes.to_vec())
    }

    pub fn request(
        method: Method,
        path: &str,
        browser: Option<&Browser>,
        body: Option<Value>,
    ) -> Request<Body> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST);
        if let Some(browser) = browser {
            b = b
                .header(header::COOKIE, &browser.cookie)
                .header("x-csrf-token", &browser.csrf);
        }
        match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        }
    }

    pub async fn get(&self, browser: &Browser, path: &str) -> (StatusCode, Value) {
        let (s, _, v) = self
            .send(Self::request(Method::GET, path, Some(browser), None))
            .await;
        (s, v)
    }

    pub async fn post(&self, browser: &Browser, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, _, v) = self
            .send(Self::request(Method::POST, path, Some(browser), Some(body)))
            .await;
        (s, v)
    }

    pub async fn try_login(&self, login: &str, password: &str) -> (StatusCode, HeaderMap, Value) {
        let body = serde_json::json!({ "login": login, "password": password });
        self.send(Self::request(Method::POST, "/api/login", None, Some(body)))
            .await
    }

    pub async fn login(&self, login: &str) -> Browser {
        self.login_with(login, PASSWORD).await
    }

    /// Logs in with this password, expected to be right.
    pub async fn login_with(&self, login: &str, password: &str) -> Browser {
        let (status, headers, body) = self.try_login(login, password).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let set_cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        Browser {
            cookie: set_cookie.split(';').next().unwrap().to_owned(),
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Serves the router on a loopback port (with connect info, as the
    /// binary does); returns its address.
    pub async fn serve(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = self.router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        addr
    }

    /// The case links the stand-in binary has recorded, once it has
    /// processed `n` of them (or after a second).
    pub async fn case_links_after(&self, n: usize) -> Vec<CaseLink> {
        for _ in 0..100 {
            if self.case_links.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.case_links.lock().unwrap().clone()
    }

    /// A citizen known by their phone number.
    pub async fn citizen(&self, name: &str, phone: &str) -> CitizenId {
        let ctx = hotline_store::AuditContext {
            actor: "test".into(),
            access: hotline_store::Access::Administration,
            reason: "test set-up".into(),
            at: now(),
        };
        self.store
            .create_citizen(
                &ctx,
                &NewCitizen {
                    full_name: name.into(),
                    phones: vec![phone.into()],
                    preferred_language: Some("zh".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
    }
}

/// A call from `caller` offered to `agent` in the housing queue.
pub fn offer(agent: &str, caller: &str) -> Offer {
    Offer {
        agent: agent.into(),
        call: CallId::new(),
        queue: "housing".into(),
        caller: caller.into(),
        waited: Duration::from_secs(42),
        ivr_path: vec![
            "welcome".into(),
            "language".into(),
            "main".into(),
            "department".into(),
        ],
        ivr_vars: vec![
            ("language".into(), "zh".into()),
            ("department".into(), "2".into()),
        ],
        citizen_hint: None,
        callback: false,
        consulted_by: None,
    }
}

fn status(state: &str, reason: Option<String>) -> AgentStatus {
    AgentStatus {
        state: state.into(),
        reason,
        call: None,
        since_ms: now().as_millis(),
    }
}

/// Answers the console like the binary: agents log in as available, the
/// state buttons change the state, call controls succeed, wrap-up makes the
/// agent available again, case links are recorded.
async fn stand_in_binary(
    mut requests: mpsc::UnboundedReceiver<AgentRequest>,
    case_links: Arc<Mutex<Vec<CaseLink>>>,
    softphone: Arc<Mutex<Vec<hotline_screenpop::SoftphoneSignal>>>,
) {
    let mut states: HashMap<AgentId, AgentStatus> = HashMap::new();
    while let Some(request) = requests.recv().await {
        match request {
            AgentRequest::Login { agent, reply, .. } => {
                let s = status("available", None);
                states.insert(agent, s.clone());
                let _ = reply.send(Ok(s));
            }
            AgentRequest::SetState {
                agent,
                state,
                reply,
            } => {
                if !states.contains_key(&agent) {
                    let _ = reply.send(Err(Refused::UnknownAgent {
                        agent: agent.to_string(),
                    }));
                    continue;
                }
                let s = match state {
                    RequestedState::Available => status("available", None),
                    RequestedState::Break { reason } => status("break", Some(reason)),
                    RequestedState::LoggedOut => status("logged_out", None),
                };
                states.insert(agent, s.clone());
                let _ = reply.send(Ok(s));
            }
            AgentRequest::Hold { reply, .. }
            | AgentRequest::Transfer { reply, .. }
            | AgentRequest::Hangup { reply, .. }
            | AgentRequest::EndConsult { reply, .. } => {
                let _ = reply.send(Ok(()));
            }
            AgentRequest::Consult { target, reply, .. } => {
                let _ = reply.send(Ok(match target {
                    ConsultRequest::Agent(agent) => agent.to_string(),
                    ConsultRequest::Queue(_) => "agent2".into(),
                    ConsultRequest::Destination(name) => name,
                }));
            }
            AgentRequest::WrapUp { agent, reply, .. } => {
                let s = status("available", None);
                states.insert(agent, s.clone());
                let _ = reply.send(Ok(s));
            }
            AgentRequest::ExtendWrapUp { agent, reply, .. } => {
                let s = status("wrap_up", None);
                states.insert(agent, s.clone());
                let _ = reply.send(Ok(s));
            }
            AgentRequest::CaseLinked {
                agent,
                call,
                case_ref,
            } => case_links.lock().unwrap().push(CaseLink {
                agent,
                call,
                case_ref,
            }),
            AgentRequest::Status { agent, reply } => {
                let _ = reply.send(states.get(&agent).cloned());
            }
            AgentRequest::Callback { reply, .. } => {
                let _ = reply.send(Ok(()));
            }
            AgentRequest::Monitor { reply, .. } => {
                let _ = reply.send(Ok(CallId::new()));
            }
            AgentRequest::Softphone(signal) => softphone.lock().unwrap().push(signal),
        }
    }
}

/// A path of the route table with its parameters filled in.
pub fn concrete(path: &str) -> String {
    let case_ref = CaseRef::new(2026, 11, 22, 17).unwrap();
    path.replace("{call}", &CallId::new().to_string())
        .replace("{id}", "1")
        .replace("{agent}", "agent1")
        .replace("{login}", "agent2")
        .replace("{case_ref}", case_ref.digits())
        .replace("{reference}", case_ref.digits())
        .replace("{service}", "water_outage.json")
        .replace("{request}", &format!("{}.json", case_ref.digits()))
}

/// 2026-11-22T08:00:00Z: 16:00 in Shanghai (UTC+8, the default local time).
pub const T0: i64 = 1_795_334_400_000;

fn event(call: CallId, at_ms: i64, event: CallEvent) -> CallEventRecord {
    CallEventRecord::new(call, Timestamp(at_ms), event)
}

/// A call that enters `queue` at `queued_ms`, waits `wait_ms`, is answered
/// by `agent`, talks 60 s, and whose wrap-up takes 30 s.
pub fn answered_call(
    queue: &str,
    agent: &str,
    queued_ms: i64,
    wait_ms: u64,
) -> Vec<CallEventRecord> {
    let call = CallId::new();
    let answered = queued_ms + wait_ms as i64;
    vec![
        event(
            call,
            queued_ms - 10_000,
            CallEvent::CallStarted {
                caller: "+8613900000009".into(),
                called: "12345".into(),
                sip_call_id: format!("{call}@test"),
                node: None,
                linked_call: None,
            },
        ),
        event(call, queued_ms - 9_500, CallEvent::Answered),
        event(
            call,
            queued_ms - 9_000,
            CallEvent::IvrNodeEntered {
                script: "main".into(),
                version: 1,
                node: "welcome".into(),
            },
        ),
        event(
            call,
            queued_ms,
            CallEvent::Queued {
                queue: queue.into(),
                priority: 1,
                skills: vec![],
            },
        ),
        event(
            call,
            answered - 500,
            CallEvent::Offered {
                queue: queue.into(),
                agent: agent.into(),
            },
        ),
        event(
            call,
            answered,
            CallEvent::AgentAnswered {
                queue: queue.into(),
                agent: agent.into(),
                wait_ms,
            },
        ),
        event(
            call,
            answered + 60_000,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ),
        event(
            call,
            answered + 90_000,
            CallEvent::WrapUpDone {
                agent: agent.into(),
                disposition: "information_given".into(),
                wrap_ms: 30_000,
            },
        ),
    ]
}

/// A caller who hangs up after waiting `wait_ms` in `queue`.
pub fn abandoned_call(queue: &str, queued_ms: i64, wait_ms: u64) -> Vec<CallEventRecord> {
    let call = CallId::new();
    vec![
        event(
            call,
            queued_ms - 10_000,
            CallEvent::CallStarted {
                caller: "+8613900000008".into(),
                called: "12345".into(),
                sip_call_id: format!("{call}@test"),
                node: None,
                linked_call: None,
            },
        ),
        event(call, queued_ms - 9_500, CallEvent::Answered),
        event(
            call,
            queued_ms,
            CallEvent::Queued {
                queue: queue.into(),
                priority: 1,
                skills: vec![],
            },
        ),
        event(
            call,
            queued_ms + wait_ms as i64,
            CallEvent::Abandoned {
                queue: queue.into(),
                wait_ms,
                position: 1,
            },
        ),
        event(
            call,
            queued_ms + wait_ms as i64,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ),
    ]
}

/// A caller who hangs up in the IVR, never queued.
pub fn ivr_only_call(start_ms: i64) -> Vec<CallEventRecord> {
    let call = CallId::new();
    vec![
        event(
            call,
            start_ms,
            CallEvent::CallStarted {
                caller: "+8613900000007".into(),
                called: "12345".into(),
                sip_call_id: format!("{call}@test"),
                node: None,
                linked_call: None,
            },
        ),
        event(call, start_ms + 500, CallEvent::Answered),
        event(
            call,
            start_ms + 600,
            CallEvent::IvrNodeEntered {
                script: "main".into(),
                version: 1,
                node: "welcome".into(),
            },
        ),
        event(
            call,
            start_ms + 20_000,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ),
    ]
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket on `path` as `browser` would (cookie and own Origin).
pub async fn open_socket(addr: SocketAddr, browser: &Browser, path: &str) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert(header::COOKIE, browser.cookie.parse().unwrap());
    headers.insert(header::ORIGIN, format!("http://{addr}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// The next text message as JSON, within `timeout`; `None` if none came.
pub async fn next_json_within(socket: &mut Socket, timeout: Duration) -> Option<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).ok();
        }
    }
}

/// The next text message as JSON (within 5 s, or the test fails).
pub async fn next_json(socket: &mut Socket) -> Value {
    next_json_within(socket, Duration::from_secs(5))
        .await
        .expect("a JSON message within 5 s")
}
