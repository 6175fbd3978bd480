//! A centre of several nodes for the tests: hotline nodes on one
//! PostgreSQL schema, Kamailio in front with the shipped configuration,
//! citizens through it.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hotline_types::CallId;

use super::{free_port, installed, sipp_with_files, External, Hotline, SippProcess, SippRun};

/// Whether Kamailio is here; panics in CI (`HOTLINE_REQUIRE_KAMAILIO=1`)
/// when it is not.
pub fn kamailio_available(test: &str) -> bool {
    let kamailio = External {
        program: "kamailio",
        probe: "-v",
        require: "HOTLINE_REQUIRE_KAMAILIO",
        package: "kamailio",
    };
    installed(test, &kamailio, "SKIPPED")
}

/// `url` with the search path set to `schema`.
pub fn in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// Kamailio with the shipped configuration, in front of `nodes`.
pub struct Kamailio {
    child: Child,
    pub addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

impl Kamailio {
    pub fn start(nodes: &[std::net::SocketAddr]) -> Self {
        Self::start_on(nodes, free_port())
    }

    /// Like [`Kamailio::start`], on `port` (a restart on the same address).
    pub fn start_on(nodes: &[std::net::SocketAddr], port: u16) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let list = dir.path().join("hotline-nodes.list");
        let lines: String = nodes.iter().map(|n| format!("1 sip:{n}\n")).collect();
        std::fs::write(&list, lines).expect("write the dispatcher list");
        let cfg = super::repo_root().join("deploy/kamailio/kamailio.cfg");
        // Its own process group: Kamailio forks its workers, and all of
        // them must go when the test ends (a stray one would keep probing
        // ports that later tests use).
        let child = Command::new("kamailio")
            .process_group(0)
            .arg("-f")
            .arg(&cfg)
            .args(["-DD", "-E", "-m", "32", "-M", "8"])
            .arg("-l")
            .arg(format!("udp:127.0.0.1:{port}"))
            .arg("-Y")
            .arg(dir.path())
            .arg("-P")
            .arg(dir.path().join("kamailio.pid"))
            .arg("-A")
            .arg(format!("DISPATCHER_LIST=\"{}\"", list.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("kamailio.log")).expect("log file"),
            ))
            .spawn()
            .expect("start kamailio");
        // Up when it answers an OPTIONS addressed to itself.
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let kamailio = Self {
            child,
            addr,
            _dir: dir,
        };
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let me = socket.local_addr().unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        for attempt in 0.. {
            let probe = format!(
                "OPTIONS sip:{addr} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-up-{attempt}\r\n\
                 Max-Forwards: 70\r\nFrom: <sip:test@{me}>;tag=up\r\nTo: <sip:{addr}>\r\n\
                 Call-ID: up-{attempt}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            );
            socket
                .send_to(probe.as_bytes(), addr)
                .expect("send a probe");
            let mut buf = [0u8; 2048];
            if let Ok((n, _)) = socket.recv_from(&mut buf) {
                if buf[..n].starts_with(b"SIP/2.0 200") {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "kamailio did not come up: {}",
                kamailio.log()
            );
        }
        kamailio
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("kamailio.log")).unwrap_or_default()
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// `calls` citizens through Kamailio, `rate` a second, each holding
/// `hold_ms`.
pub fn citizens_through(edge: &Kamailio, calls: u32, rate: u32, hold_ms: u32) -> SippRun {
    citizens_calling_through(edge, calls, rate, hold_ms).wait(Duration::from_secs(30))
}

/// Like [`citizens_through`], in the background.
pub fn citizens_calling_through(
    edge: &Kamailio,
    calls: u32,
    rate: u32,
    hold_ms: u32,
) -> SippProcess {
    let scenario = super::scenario("uac_through_a_proxy.xml");
    let (calls, rate, hold) = (calls.to_string(), rate.to_string(), hold_ms.to_string());
    sipp_with_files(
        edge.addr,
        &[
            "-sf", &scenario, "-s", "12345", "-m", &calls, "-r", &rate, "-d", &hold,
        ],
        &[],
        Duration::from_secs(60),
    )
}

/// A node with the demo's accounts (agent1, supervisor1, …) and the
/// test IVR `agent_path` (press 1: housing), whose scripts live in
/// `scripts`.
pub fn demo_node(name: &str, url: &str, scripts: &std::path::Path) -> Hotline {
    let scripts = scripts.display().to_string();
    Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_DATABASE_URL", url),
            ("HOTLINE_CLUSTER_NODE", name),
            ("HOTLINE_CLUSTER_LEASE_SECS", "3"),
            ("HOTLINE_LOG_LEVEL", "info,hotline::events=debug"),
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    )
}

pub fn node(name: &str, url: &str) -> Hotline {
    Hotline::start(&[
        ("HOTLINE_DATABASE_URL", url),
        ("HOTLINE_CLUSTER_NODE", name),
        ("HOTLINE_CLUSTER_LEASE_SECS", "3"),
        ("HOTLINE_LOG_LEVEL", "info,hotline::events=debug"),
    ])
}

pub fn drop_schema(url: &str, schema: &str) {
    let dropped = Command::new("psql")
        .env("PGOPTIONS", "--client-min-messages=warning")
        .args([url, "-qc", &format!("DROP SCHEMA \"{schema}\" CASCADE")])
        .status();
    if !dropped.is_ok_and(|s| s.success()) {
        eprintln!("schema {schema} was left behind: drop it by hand");
    }
}

/// The calls `node` started, in order.
pub fn started_calls(node: &Hotline) -> Vec<CallId> {
    node.events()
        .iter()
        .filter(|e| e["kind"] == "call_started")
        .map(|e| serde_json::from_value(e["call"].clone()).expect("a call id"))
        .collect()
}

/// Waits until `done`, failing after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `url` with its host and port replaced by 127.0.0.1:`port`, and the
/// server's address it named.
pub fn via_port(url: &str, port: u16) -> (String, std::net::SocketAddr) {
    let (head, rest) = url.rsplit_once('@').expect("user@host in the URL");
    let (hostport, path) = rest.split_once('/').expect("a database in the URL");
    let hostport = hostport.replace("localhost", "127.0.0.1");
    let upstream = if hostport.contains(':') {
        hostport
    } else {
        format!("{hostport}:5432")
    };
    (
        format!("{head}@127.0.0.1:{port}/{path}"),
        upstream
            .parse()
            .expect("a literal address in HOTLINE_TEST_PG_URL"),
    )
}

/// A TCP relay in front of PostgreSQL that the test can cut (every
/// connection closed, new ones refused) and restore: a database outage.
pub struct DbRelay {
    pub port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl DbRelay {
    pub fn start(upstream: std::net::SocketAddr) -> Self {
        Self::open(0, upstream)
    }

    /// A relay on `port` (0: any free one).
    pub fn open(port: u16, upstream: std::net::SocketAddr) -> Self {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind the relay");
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (up_, open_) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up_.load(Ordering::SeqCst) {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(upstream) else {
                    continue;
                };
                {
                    let mut open = open_.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { port, up, open }
    }

    /// The database goes away: every connection through the relay is
    /// closed and new ones are refused.
    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// The database is back.
    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A fresh PostgreSQL schema `<prefix>_<pid>_<random>` at `url`, migrated,
/// with a runtime and a store on it for the test's own reads.
pub fn test_schema(
    url: &str,
    prefix: &str,
) -> (tokio::runtime::Runtime, hotline_store::Store, String) {
    const KEY: &[u8] = b"test-national-id-key-0123456789";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let schema = format!("{prefix}_{}_{}", std::process::id(), rand::random::<u32>());
    let store = runtime.block_on(async {
        let mut options = hotline_store::StoreOptions::new(KEY);
        options.postgres_schema = Some(schema.clone());
        hotline_store::Store::connect_with(url, options)
            .await
            .expect("PostgreSQL for the test")
    });
    (runtime, store, schema)
}
