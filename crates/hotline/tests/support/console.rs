//! A client of the agent console's API, as a browser uses it: a session
//! cookie from `/api/login`, the CSRF token on every change, and the
//! WebSocket read on a thread of its own so the test sees each message with
//! the time it arrived.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

/// A logged-in console user.
pub struct ConsoleClient {
    http: SocketAddr,
    cookie: String,
    csrf: String,
}

/// One HTTP response: status and JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: String,
    /// The body as text, JSON or not.
    pub text: String,
}

/// Sends one HTTP/1.1 request and reads the whole response.
pub fn request(
    http: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    let mut stream = std::net::TcpStream::connect(http).expect("connect to the console");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {http}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    stream.write_all(body.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Reply {
        status,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        headers: headers.to_owned(),
        text: body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

impl ConsoleClient {
    /// Logs in; panics with the server's answer if that fails.
    pub fn login(http: SocketAddr, login: &str, password: &str) -> Self {
        let reply = request(
            http,
            "POST",
            "/api/login",
            &[],
            Some(&serde_json::json!({ "login": login, "password": password })),
        );
        assert_eq!(reply.status, 200, "login as {login}: {reply:?}");
        let cookie = reply
            .headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().split(';').next().unwrap_or_default().to_owned())
            .expect("a session cookie");
        let csrf = reply.body["csrf_token"]
            .as_str()
            .expect("a CSRF token")
            .to_owned();
        Self { http, cookie, csrf }
    }

    pub fn get(&self, path: &str) -> Reply {
        request(self.http, "GET", path, &[("Cookie", &self.cookie)], None)
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        request(
            self.http,
            "POST",
            path,
            &[("Cookie", &self.cookie), ("X-CSRF-Token", &self.csrf)],
            Some(&body),
        )
    }

    /// Opens the agent WebSocket; its messages are collected as they come.
    pub fn open_socket(&self) -> Socket {
        let messages: Arc<Mutex<Vec<(SystemTime, Value)>>> = Arc::default();
        let sink = messages.clone();
        let url = format!("ws://{}/api/agent/ws", self.http);
        let cookie = self.cookie.clone();
        let origin = format!("http://{}", self.http);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                use futures_util::StreamExt;
                use tokio_tungstenite::tungstenite::client::IntoClientRequest;
                let mut request = url.into_client_request().expect("ws request");
                request
                    .headers_mut()
                    .insert("Cookie", cookie.parse().expect("cookie header"));
                request
                    .headers_mut()
                    .insert("Origin", origin.parse().expect("origin header"));
                let (mut ws, _) = match tokio_tungstenite::connect_async(request).await {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                while let Some(Ok(message)) = ws.next().await {
                    if let Ok(text) = message.to_text() {
                        if let Ok(value) = serde_json::from_str::<Value>(text) {
                            sink.lock()
                                .expect("socket log")
                                .push((SystemTime::now(), value));
                        }
                    }
                }
            });
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the WebSocket opens in time")
            .expect("the WebSocket opens");
        Socket { messages }
    }
}

/// The messages an agent's WebSocket received, with their arrival times.
pub struct Socket {
    messages: Arc<Mutex<Vec<(SystemTime, Value)>>>,
}

impl Socket {
    /// Waits for the first message of this `type`.
    pub fn wait_for(&self, kind: &str, timeout: Duration) -> Option<(SystemTime, Value)> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self
                .messages
                .lock()
                .expect("socket log")
                .iter()
                .find(|(_, m)| m["type"] == kind)
                .cloned()
            {
                return Some(found);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for a `state` message with this state.
    pub fn wait_for_state(&self, state: &str, timeout: Duration) -> bool {
        self.wait_for_state_times(state, 1, timeout)
    }

    /// Waits until `times` `state` messages with this state have arrived
    /// (for an agent who passes through the same state again).
    pub fn wait_for_state_times(&self, state: &str, times: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self
                .messages
                .lock()
                .expect("socket log")
                .iter()
                .filter(|(_, m)| m["type"] == "state" && m["state"] == state)
                .count()
                >= times
            {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn all(&self) -> Vec<Value> {
        self.messages
            .lock()
            .expect("socket log")
            .iter()
            .map(|(_, m)| m.clone())
            .collect()
    }
}
