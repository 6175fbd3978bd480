//! PostgreSQL goes away for real in the middle of a stream of events: the
//! store reaches it through a TCP relay that the test cuts (every open
//! connection dropped, new ones refused: what a database restart or a
//! network partition looks like from the hotline), then restores on the
//! same port. The writer keeps accepting, spools, and once the database is
//! reachable again every event is stored exactly once.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use hotline_store::{EventWriter, EventWriterOptions, Store};
use hotline_types::CallId;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

/// A relay from a local port to PostgreSQL that can be cut and restored.
struct Relay {
    addr: SocketAddr,
    upstream: SocketAddr,
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let relay = Self {
            addr,
            upstream,
            tasks: Arc::default(),
        };
        relay.serve(listener).await;
        relay
    }

    async fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream;
        let tasks = self.tasks.clone();
        let inner = self.tasks.clone();
        tasks.lock().await.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                inner.lock().await.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
    }

    /// Drops every connection and stops listening.
    async fn cut(&self) {
        self.tasks.lock().await.abort_all();
        // Let the aborted tasks (and their sockets) go.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// Listens again on the same port.
    async fn restore(&self) {
        let listener = TcpListener::bind(self.addr).await.expect("rebind");
        self.serve(listener).await;
    }
}

fn upstream_of(url: &str) -> SocketAddr {
    let rest = url.split("://").nth(1).expect("scheme");
    let host = rest.rsplit('@').next().expect("host");
    let hostport = host.split('/').next().expect("host:port");
    let hostport = if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:5432")
    };
    let hostport = hostport.replace("localhost", "127.0.0.1");
    hostport
        .parse()
        .expect("a literal address in HOTLINE_TEST_PG_URL")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_survives_postgres_going_away() {
    let Some(url) = pg_url() else {
        return;
    };
    let ts = pg_store(&url).await;
    let upstream = upstream_of(&url);
    let relay = Relay::start(upstream).await;
    let through_relay = {
        let (head, tail) = url.split_once("://").expect("scheme");
        let (credentials, rest) = tail.rsplit_once('@').map_or(("", tail), |(c, r)| (c, r));
        let path = rest.split_once('/').map_or("", |(_, p)| p);
        let at = if credentials.is_empty() { "" } else { "@" };
        format!("{head}://{credentials}{at}{}/{path}", relay.addr)
    };
    let mut options = ts.options();
    options.lock_timeout = Duration::from_millis(500);
    let store = Store::connect_with(&through_relay, options)
        .await
        .expect("store through the relay");
    let spool_dir = ts.dir.as_ref().unwrap().path().join("spool");
    let writer = EventWriter::spawn(
        store.clone(),
        &spool_dir,
        EventWriterOptions {
            max_batch: 50,
            retry_interval: Duration::from_millis(200),
            close_out_crashed_calls: None,
            ..EventWriterOptions::default()
        },
    );
    let mut submitted = 0u64;
    let mut submit_calls = |n: usize, start_ms: i64| {
        for i in 0..n {
            for e in answered_call(
                CallId::new(),
                "+8613900000004",
                "housing",
                start_ms + i as i64,
                12_000,
            ) {
                assert!(writer.submit(e), "never refused below capacity");
                submitted += 1;
            }
        }
    };

    submit_calls(20, 0);
    writer.flush().await.expect("written");
    assert_eq!(writer.stats().pending_in_spool, 0);

    relay.cut().await;
    submit_calls(20, 100_000);
    writer.flush().await.expect("spooled durably");
    submit_calls(20, 200_000);
    writer.flush().await.expect("spooled durably");
    let stats = writer.stats();
    assert!(
        stats.pending_in_spool >= 240,
        "events wait in the spool while PostgreSQL is away: {stats:?}"
    );

    relay.restore().await;
    submit_calls(20, 300_000);
    wait_until_spool_empty(&writer).await;
    let stats = writer.shutdown().await.expect("durable");
    assert_eq!(stats.accepted, submitted);
    assert_eq!(stats.refused, 0);
    assert_eq!(
        ts.store.event_count().await.unwrap(),
        i64::try_from(submitted).unwrap(),
        "every event exactly once: {stats:?}"
    );
    store.close().await;
    relay.cut().await;
    ts.finish().await;
}
