//! The agent console's API as a simulated agent uses it: HTTP/1.1 requests
//! (one connection each, `Connection: close`) with the session cookie and
//! the CSRF token, and the agent WebSocket whose messages are handed to the
//! agent's task on a channel.
//!
//! A deliberately small client: the API speaks JSON over plain HTTP on the
//! hotline's own listener, and the simulator must not hide its errors.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Longest a console request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response read (the API's answers are small).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// One HTTP answer: status and JSON body (`Null` when there is none).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    headers: String,
}

impl Reply {
    /// A response header's value (the first with that name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
    }

    /// The server's message for a refusal, for reports.
    pub fn message(&self) -> String {
        self.body["error"]
            .as_str()
            .or(self.body["message"].as_str())
            .map_or_else(|| self.body.to_string(), str::to_owned)
    }
}

/// Sends one request and reads the whole answer.
async fn request(
    http: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> anyhow::Result<Reply> {
    let exchange = async {
        let mut stream = TcpStream::connect(http)
            .await
            .with_context(|| format!("connecting to the console at {http}"))?;
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {http}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(&body);
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        (&mut stream)
            .take(MAX_RESPONSE_BYTES as u64)
            .read_to_end(&mut raw)
            .await?;
        parse_response(&raw)
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| anyhow!("{method} {path}: no answer within {REQUEST_TIMEOUT:?}"))?
}

fn parse_response(raw: &[u8]) -> anyhow::Result<Reply> {
    let text = String::from_utf8_lossy(raw);
    let (headers, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow!("the console's answer has no header end"))?;
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("the console's answer has no status"))?;
    let chunked = headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok(Reply {
        status,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        headers: headers.to_owned(),
    })
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

/// A logged-in console session.
#[derive(Debug, Clone)]
pub struct Console {
    http: SocketAddr,
    cookie: String,
    csrf: String,
}

impl Console {
    /// `POST /api/login`: keeps the session cookie and the CSRF token. The
    /// console limits logins per address (`console.login_attempts_per_minute`):
    /// a refusal for that (429) is waited out, for `patience` at most.
    pub async fn login(
        http: SocketAddr,
        login: &str,
        password: &str,
        patience: Duration,
    ) -> anyhow::Result<Self> {
        let credentials = serde_json::json!({ "login": login, "password": password });
        let give_up = tokio::time::Instant::now() + patience;
        let reply = loop {
            let reply = request(http, "POST", "/api/login", &[], Some(&credentials)).await?;
            if reply.status != 429 {
                break reply;
            }
            let wait = reply
                .header("retry-after")
                .and_then(|v| v.parse::<u64>().ok())
                .map_or(Duration::from_secs(6), Duration::from_secs)
                .max(Duration::from_secs(1));
            if tokio::time::Instant::now() + wait > give_up {
                bail!(
                    "console login as {login}: still refused for too many logins from this address; raise console.login_attempts_per_minute on the hotline"
                );
            }
            tokio::time::sleep(wait).await;
        };
        if reply.status != 200 {
            bail!(
                "console login as {login} refused ({}): {}",
                reply.status,
                reply.message()
            );
        }
        let cookie = reply
            .header("set-cookie")
            .and_then(|value| value.split(';').next())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("console login as {login}: no session cookie"))?;
        let csrf = reply.body["csrf_token"]
            .as_str()
            .ok_or_else(|| anyhow!("console login as {login}: no CSRF token"))?
            .to_owned();
        Ok(Self { http, cookie, csrf })
    }

    /// A read (cookie only).
    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        request(self.http, "GET", path, &[("Cookie", &self.cookie)], None).await
    }

    /// A state-changing request (cookie and `X-CSRF-Token`).
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Reply> {
        request(
            self.http,
            "POST",
            path,
            &[("Cookie", &self.cookie), ("X-CSRF-Token", &self.csrf)],
            Some(&body),
        )
        .await
    }

    /// Opens `GET /api/agent/ws`; its JSON messages arrive on the returned
    /// channel, which closes when the socket does.
    pub async fn open_socket(&self) -> anyhow::Result<mpsc::UnboundedReceiver<Value>> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}/api/agent/ws", self.http)
            .into_client_request()
            .context("the WebSocket URL")?;
        let headers = request.headers_mut();
        headers.insert("Cookie", self.cookie.parse().context("the cookie header")?);
        headers.insert(
            "Origin",
            format!("http://{}", self.http)
                .parse()
                .context("the Origin header")?,
        );
        let (mut socket, _) =
            tokio::time::timeout(REQUEST_TIMEOUT, tokio_tungstenite::connect_async(request))
                .await
                .map_err(|_| anyhow!("the agent WebSocket did not open in time"))?
                .context("opening the agent WebSocket")?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let Ok(text) = message.to_text() else {
                    continue;
                };
                if let Ok(value) = serde_json::from_str::<Value>(text) {
                    if tx.send(value).is_err() {
                        break;
                    }
                }
            }
        });
        Ok(rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\nset-cookie: hotline_session=abc; HttpOnly\r\ncontent-length: 19\r\n\r\n{\"csrf_token\":\"t1\"}";
        let reply = parse_response(plain).expect("a reply");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["csrf_token"], "t1");
        let chunked = b"HTTP/1.1 409 Conflict\r\ntransfer-encoding: chunked\r\n\r\nf\r\n{\"error\":\"late\"\r\n1\r\n}\r\n0\r\n\r\n";
        let reply = parse_response(chunked).expect("a reply");
        assert_eq!(reply.status, 409);
        assert_eq!(reply.message(), "late");
        assert!(parse_response(b"garbage").is_err());
    }
}
