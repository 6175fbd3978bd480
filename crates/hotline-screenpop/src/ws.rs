//! The console WebSockets: one per open console page. An agent's socket
//! first gets the agent's state, then every event pushed to that agent; a
//! supervisor's socket gets what is pushed to supervisors. The loop is
//! written over any `Sink`/`Stream` of messages.
//!
//! An open socket keeps its session alive; a socket whose session ended
//! (logout, expiry) is closed at the next keep-alive tick or at once by the
//! hub.

use std::time::{Duration, Instant};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;

use crate::api::{AgentRequest, AgentStatus, ConsoleEvent, SoftphoneMessage, SoftphoneSignal};
use crate::extract::SocketUpgrade;
use crate::handlers::auth::STATUS_TIMEOUT;
use crate::hub::Audience;
use crate::scope::Scope;
use crate::session::Authed;
use crate::{encode, wall_clock, App};

/// How often a quiet socket is pinged and its session checked.
pub const KEEPALIVE: Duration = Duration::from_secs(30);

/// Largest message accepted from a supervisor's page (it sends nothing
/// meaningful).
const MAX_INCOMING: usize = 4 * 1024;
/// Largest message accepted from an agent's page: its SDP for browser
/// audio (Chromium's answers are 2–5 KB, more with many candidates).
const MAX_AGENT_INCOMING: usize = 64 * 1024;

/// `GET /api/agent/ws`.
pub(crate) async fn agent_socket(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    SocketUpgrade(upgrade): SocketUpgrade,
) -> Response {
    upgrade
        .max_message_size(MAX_AGENT_INCOMING)
        .on_upgrade(move |socket| async move {
            let audience = Audience::Agent(me.agent());
            let (id, rx) = app.hub.register(&audience, &me.session_id);
            let agent = me.agent();
            let status = app
                .ask(STATUS_TIMEOUT, |reply| AgentRequest::Status {
                    agent,
                    reply,
                })
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| AgentStatus::logged_out(wall_clock().as_millis()));
            let first = encode(&ConsoleEvent::State(status)).ok();
            let speaker = me.agent();
            let said = |text: &str| softphone_message(&app, &speaker, id, text);
            serve(&app, &me, socket, first, rx, said).await;
            app.hub.unregister(&audience, id);
            app.tell(AgentRequest::Softphone(SoftphoneSignal::Closed {
                agent: me.agent(),
                socket: id,
            }));
        })
}

/// A text from an agent's page: browser audio's signalling, for the
/// binary. Anything else is ignored (logged at debug).
fn softphone_message(app: &App, agent: &hotline_types::AgentId, socket: u64, text: &str) {
    match serde_json::from_str::<SoftphoneMessage>(text) {
        Ok(message) => app.tell(AgentRequest::Softphone(SoftphoneSignal::Message {
            agent: agent.clone(),
            socket,
            message,
        })),
        Err(e) => {
            tracing::debug!(%agent, error = %e, "console socket: not a softphone message; ignored")
        }
    }
}

/// `GET /api/supervisor/ws`: first the wallboard as this user may see it
/// (once the call side has published one), then every later wallboard
/// push for their scope and what [`crate::Console::push_supervisors`]
/// sends.
pub(crate) async fn supervisor_socket(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    SocketUpgrade(upgrade): SocketUpgrade,
) -> Response {
    upgrade
        .max_message_size(MAX_INCOMING)
        .on_upgrade(move |socket| async move {
            let scope = Scope::of(&me.user);
            let audience = Audience::Supervisors(scope.clone());
            let (id, rx) = app.hub.register(&audience, &me.session_id);
            let first = match app.wallboard.latest() {
                Some(_) => {
                    let view = app.wallboard.current_view(&app, &scope).await;
                    serde_json::to_string(&view).ok().map(Utf8Bytes::from)
                }
                None => None,
            };
            serve(&app, &me, socket, first, rx, |_: &str| {}).await;
            app.hub.unregister(&audience, id);
        })
}

async fn serve(
    app: &App,
    me: &Authed,
    socket: WebSocket,
    first: Option<Utf8Bytes>,
    rx: mpsc::Receiver<Utf8Bytes>,
    said: impl FnMut(&str),
) {
    let session_id = me.session_id.clone();
    let alive = || app.sessions().touch(&session_id, Instant::now()).is_some();
    pump(socket, first, rx, KEEPALIVE, alive, said).await;
}

/// Sends `first`, then every event from `events`, until the client
/// closes, the events end (logout, stuck socket) or `alive` says the
/// session is gone. Pings every `keepalive`. What the page sends as text
/// goes to `said`.
pub(crate) async fn pump<S, E>(
    mut socket: S,
    first: Option<Utf8Bytes>,
    mut events: mpsc::Receiver<Utf8Bytes>,
    keepalive: Duration,
    alive: impl Fn() -> bool,
    mut said: impl FnMut(&str),
) where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
{
    if let Some(first) = first {
        if socket.send(Message::Text(first)).await.is_err() {
            return;
        }
    }
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(text) => {
                    if socket.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            incoming = socket.next() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(Message::Text(text))) => said(text.as_str()),
                // Pongs and binary frames are ignored.
                Some(Ok(_)) => {}
            },
            _ = ticks.tick() => {
                if !alive() {
                    break;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll};

    /// A fake socket: what the server sends goes to a channel; the client
    /// says nothing.
    struct FakeSocket {
        sent: mpsc::UnboundedSender<Message>,
    }

    impl Stream for FakeSocket {
        type Item = Result<Message, std::convert::Infallible>;
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            stream::pending().poll_next_unpin(cx)
        }
    }

    impl Sink<Message> for FakeSocket {
        type Error = mpsc::error::SendError<Message>;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
            self.sent.send(item)
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn state_first_then_events_then_close_when_the_session_ends() {
        let (sent_tx, mut sent) = mpsc::unbounded_channel();
        let (tx, rx) = mpsc::channel(8);
        let alive = Arc::new(AtomicBool::new(true));
        let flag = alive.clone();
        let task = tokio::spawn(pump(
            FakeSocket { sent: sent_tx },
            Some(Utf8Bytes::from_static("state")),
            rx,
            Duration::from_secs(30),
            move || flag.load(Ordering::SeqCst),
            |_: &str| {},
        ));
        tx.send(Utf8Bytes::from_static("pop")).await.unwrap();
        assert_eq!(sent.recv().await, Some(Message::Text("state".into())));
        assert_eq!(sent.recv().await, Some(Message::Text("pop".into())));
        tokio::time::sleep(Duration::from_secs(31)).await;
        assert!(matches!(sent.recv().await, Some(Message::Ping(_))));
        alive.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(sent.recv().await, Some(Message::Close(None)));
        task.await.unwrap();
    }
}
