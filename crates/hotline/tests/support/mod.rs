//! Runs the real `hotline` binary and real SIP peers (SIPp) over loopback.
//!
//! Tests that need SIPp skip with a loud message when it is not installed,
//! unless `HOTLINE_REQUIRE_SIPP=1` (set by CI), where a missing SIPp fails.
#![allow(dead_code)]

pub mod centre;
pub mod console;
pub mod orders;
pub mod retention;
pub mod trunk;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An external program some tests use, and the variable that makes it
/// required (CI sets them all).
pub struct External {
    pub program: &'static str,
    /// An argument that makes it print and exit (its version, its help).
    pub probe: &'static str,
    pub require: &'static str,
    /// The Debian package that has it.
    pub package: &'static str,
}

/// Whether `external` runs here; panics when it is required (its variable
/// is 1) and it does not, and otherwise says loudly what `test` does
/// without it (`without`: "SKIPPED", or how it goes on).
pub fn installed(test: &str, external: &External, without: &str) -> bool {
    let External {
        program,
        probe,
        require,
        package,
    } = external;
    let found = Command::new(program)
        .arg(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var(require).as_deref() == Ok("1") {
            panic!("{test}: {program} is required ({require}=1) but is not installed (apt-get install {package})");
        }
        eprintln!("\n!!!!!!!! {test}: {program} is not installed (apt-get install {package}): {without} !!!!!!!!\n");
    }
    found
}

/// `HOTLINE_TEST_PG_URL` (CI sets it), or `None` after saying loudly that
/// `test` is skipped.
pub fn pg_url(test: &str) -> Option<String> {
    match std::env::var("HOTLINE_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "\n!!!!!!!! {test} SKIPPED: set HOTLINE_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test to run it !!!!!!!!\n"
            );
            None
        }
    }
}

/// Whether SIPp is here; panics in CI (`HOTLINE_REQUIRE_SIPP=1`) when it is not.
pub fn sipp_available(test: &str) -> bool {
    let sipp = External {
        program: "sipp",
        probe: "-v",
        require: "HOTLINE_REQUIRE_SIPP",
        package: "sip-tester",
    };
    installed(test, &sipp, "SKIPPED")
}

/// Whether espeak-ng (the default text-to-speech) is here; panics in CI
/// (`HOTLINE_REQUIRE_ESPEAK=1`) when it is not. Without it, free text is
/// skipped rather than spoken.
pub fn espeak_available(test: &str) -> bool {
    let espeak = External {
        program: "espeak-ng",
        probe: "--version",
        require: "HOTLINE_REQUIRE_ESPEAK",
        package: "espeak-ng",
    };
    installed(test, &espeak, "text is skipped, not spoken")
}

/// Asserts from the hotline's `/metrics` that the one free text of `test`'s
/// call was spoken, or, where espeak-ng is missing, skipped with the call
/// going on.
pub fn assert_text_spoken_once(hotline: &Hotline, test: &str) {
    assert_texts_spoken(hotline, test, 1);
}

/// As [`assert_text_spoken_once`], for `test`'s calls that spoke `count`
/// free texts in all.
pub fn assert_texts_spoken(hotline: &Hotline, test: &str, count: u32) {
    let outcome = if espeak_available(test) {
        "played"
    } else {
        "skipped"
    };
    let metrics = hotline.metrics();
    assert!(
        metrics.contains(&format!(
            "hotline_speech_total{{outcome=\"{outcome}\"}} {count}"
        )),
        "the text was {outcome}: {metrics}\n{}",
        hotline.log()
    );
}

/// A loopback port free for both UDP and TCP right now.
///
/// Chosen below the kernel's ephemeral range (32768 and up), so no client
/// socket of a parallel test (SIPp, Chromium, an HTTP client) is given it
/// between this check and the bind that follows; each test process walks
/// its own stretch of 20000..32000. Only every other port is given out:
/// baresip also takes the port above its SIP port (for TLS).
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 24) as u16 * 500;
    loop {
        let port = base + NEXT.fetch_add(2, Ordering::Relaxed) % 500;
        let free = UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port)).is_ok();
        if free {
            return port;
        }
    }
}

/// GET `path` from an HTTP server at `addr`; the body as text.
fn get_body(addr: SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to HTTP");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// A distinct RTP range per hotline started by this test process.
fn rtp_range() -> (u16, u16) {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let slot = NEXT.fetch_add(1, Ordering::Relaxed) % 50;
    let base = 40_000 + (std::process::id() % 8) as u16 * 2_500 + slot * 50;
    (base, base + 49)
}

pub fn scenario(name: &str) -> String {
    format!("{}/../../tests/sipp/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A running hotline; SIGTERM on drop.
pub struct Hotline {
    child: Option<Child>,
    pub sip: SocketAddr,
    pub http: SocketAddr,
    /// `http.metrics_listen`: `/metrics` is served there only.
    pub metrics: SocketAddr,
    pub data_dir: tempfile::TempDir,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Hotline {
    /// Starts the binary with JSON logs and call events visible, plus `env`.
    pub fn start(env: &[(&str, &str)]) -> Self {
        Self::start_with_args(&[], env)
    }

    /// Like [`Hotline::start`], with arguments after `serve` (e.g. `--demo`).
    ///
    /// A start whose ports were taken in the meantime by another test's
    /// process is tried again on new ports.
    pub fn start_with_args(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut attempt = 0;
        loop {
            match Self::try_start(args, env) {
                Ok(hotline) => return hotline,
                Err(log) if attempt < 3 && log.contains("in use") => attempt += 1,
                Err(log) => panic!("the hotline did not start:\n{log}"),
            }
        }
    }

    fn try_start(args: &[&str], env: &[(&str, &str)]) -> Result<Self, String> {
        let sip_port = free_port();
        let http_port = free_port();
        let metrics_port = free_port();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (rtp_min, rtp_max) = rtp_range();
        let mut command = Command::new(env!("CARGO_BIN_EXE_hotline"));
        command
            .arg("--log-json")
            .arg("serve")
            .args(args)
            .current_dir(data_dir.path())
            .env("HOTLINE_SIP_LISTEN", format!("127.0.0.1:{sip_port}"))
            .env("HOTLINE_HTTP_LISTEN", format!("127.0.0.1:{http_port}"))
            .env(
                "HOTLINE_HTTP_METRICS_LISTEN",
                format!("127.0.0.1:{metrics_port}"),
            )
            .env("HOTLINE_DATABASE_DATA_DIR", data_dir.path())
            .env(
                "HOTLINE_DATABASE_URL",
                format!("sqlite://{}/hotline.db", data_dir.path().display()),
            )
            .env("HOTLINE_SIP_RTP_PORT_MIN", rtp_min.to_string())
            .env("HOTLINE_SIP_RTP_PORT_MAX", rtp_max.to_string())
            // Two port pairs a call (caller and agent) in the test's range.
            .env(
                "HOTLINE_SIP_MAX_CALLS",
                (usize::from(rtp_max - rtp_min + 1) / 4).to_string(),
            )
            .env("HOTLINE_LOG_LEVEL", "info,hotline::events=debug")
            .env(
                "HOTLINE_IVR_SCRIPTS_DIR",
                format!("{}/../../ivr_scripts", env!("CARGO_MANIFEST_DIR")),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start the hotline binary");
        let stderr = child.stderr.take().expect("stderr piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("log lock").push(line);
            }
        });
        let hotline = Self {
            child: Some(child),
            sip: SocketAddr::from(([127, 0, 0, 1], sip_port)),
            http: SocketAddr::from(([127, 0, 0, 1], http_port)),
            metrics: SocketAddr::from(([127, 0, 0, 1], metrics_port)),
            data_dir,
            lines,
        };
        let mut hotline = hotline;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !hotline.wait_for_log("hotline ready", Duration::from_millis(50)) {
            let exited = hotline
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                std::thread::sleep(Duration::from_millis(100));
                return Err(format!("({exited:?})\n{}", hotline.log()));
            }
        }
        Ok(hotline)
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.lines.lock().expect("log lock").join("\n")
    }

    /// Waits until a log line contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self
                .lines
                .lock()
                .expect("log lock")
                .iter()
                .any(|l| l.contains(needle))
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The call events logged so far, as JSON (`{"call":..,"kind":..,"event":{..}}`).
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .expect("log lock")
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["target"] == "hotline::events")
            .map(|v| {
                let fields = &v["fields"];
                serde_json::json!({
                    "call": fields["call"],
                    "kind": fields["kind"],
                    "event": serde_json::from_str::<serde_json::Value>(fields["event"].as_str().unwrap_or("null")).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Waits until `count` events of `kind` were logged.
    pub fn wait_for_events(
        &self,
        kind: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let found: Vec<_> = self
                .events()
                .into_iter()
                .filter(|e| e["kind"] == kind)
                .collect();
            if found.len() >= count || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// GET a path from the hotline's HTTP server; the body as text.
    pub fn http_get(&self, path: &str) -> String {
        get_body(self.http, path)
    }

    /// The Prometheus figures, from the metrics listener.
    pub fn metrics(&self) -> String {
        get_body(self.metrics, "/metrics")
    }

    /// Sends a signal (`kill -<name>`, e.g. "HUP") to the running hotline.
    pub fn signal(&self, name: &str) {
        let child = self.child.as_ref().expect("the hotline runs");
        let sent = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{name}");
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(mut self) -> ExitStatus {
        self.terminate().expect("the hotline exits after SIGTERM")
    }

    /// Sends SIGTERM, waits, and hands back the data directory for inspection.
    pub fn stop_keeping_data(mut self) -> (ExitStatus, tempfile::TempDir) {
        let status = self.terminate().expect("the hotline exits after SIGTERM");
        let placeholder = tempfile::tempdir().expect("temp dir");
        (status, std::mem::replace(&mut self.data_dir, placeholder))
    }

    fn terminate(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(40);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Hotline {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// What a SIPp run ended with.
#[derive(Debug)]
pub struct SippRun {
    pub status: ExitStatus,
    pub dir: tempfile::TempDir,
}

impl SippRun {
    pub fn succeeded(&self) -> bool {
        self.status.success()
    }

    /// SIPp's error log, for assertion messages.
    pub fn errors(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().ends_with("errors.log") {
                    out.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

/// Runs SIPp against `target` with `args`, in its own directory and port.
pub fn sipp(target: SocketAddr, args: &[&str], timeout: Duration) -> SippRun {
    sipp_with_files(target, args, &[], timeout).wait(timeout)
}

/// A SIPp running in the background.
pub struct SippProcess {
    child: Child,
    dir: Option<tempfile::TempDir>,
    pub port: u16,
}

impl SippProcess {
    /// Waits for SIPp to end (killed after `timeout` plus a margin).
    pub fn wait(mut self, timeout: Duration) -> SippRun {
        let deadline = Instant::now() + timeout + Duration::from_secs(5);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return SippRun {
                    status,
                    dir: self.dir.take().expect("taken once"),
                };
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let status = self.child.wait().expect("sipp exit status");
                return SippRun {
                    status,
                    dir: self.dir.take().expect("taken once"),
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SippProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts SIPp against `target` (None: a UAS waiting for calls) in the
/// background, in a directory holding `files`, on its own port (or
/// `-p` given in `args`).
pub fn sipp_with_files(
    target: impl Into<Option<SocketAddr>>,
    args: &[&str],
    files: &[(&str, &[u8])],
    timeout: Duration,
) -> SippProcess {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("write a SIPp file");
    }
    let given_port = args
        .iter()
        .position(|a| *a == "-p")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse::<u16>().ok());
    let port = given_port.unwrap_or_else(free_port);
    let mut command = Command::new("sipp");
    if let Some(target) = target.into() {
        command.arg(target.to_string());
    }
    command.args(["-i", "127.0.0.1", "-trace_err", "-timeout_error"]);
    if given_port.is_none() {
        command.args(["-p", &port.to_string()]);
    }
    let child = command
        .args(["-timeout", &format!("{}s", timeout.as_secs().max(1))])
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sipp");
    SippProcess {
        child,
        dir: Some(dir),
        port,
    }
}

/// A scripts folder holding the test menu `agent_path` (1: housing queue,
/// 2: transport; the survey after the agent) and the shipped prompts: the
/// shipped script's way to a person depends on the office hours.
pub fn agent_path_scripts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = format!("{}/../..", env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        format!("{root}/tests/ivr/agent_path.toml"),
        dir.path().join("agent_path.toml"),
    )
    .expect("copy the test script");
    std::os::unix::fs::symlink(
        format!("{root}/ivr_scripts/prompts"),
        dir.path().join("prompts"),
    )
    .expect("link the prompts");
    dir
}

/// A phone behind the outbound trunk: a SIPp UAS on `port` that plays
/// `scenario` (its `-sn` or `-sf` arguments) for one call and echoes the
/// call's audio.
pub fn phone_behind_the_trunk(port: u16, scenario: &[&str], timeout: Duration) -> SippProcess {
    let port = port.to_string();
    let args: Vec<&str> = scenario
        .iter()
        .copied()
        .chain(["-p", &port, "-rtp_echo", "-m", "1"])
        .collect();
    sipp_with_files(None, &args, &[], timeout)
}

/// The outbound trunk of the callback tests: a SIPp UAS on `port` that
/// answers one call (the citizen's leg) and echoes its audio.
pub fn trunk_answering_one_call(port: u16) -> SippProcess {
    phone_behind_the_trunk(port, &["-sn", "uas"], Duration::from_secs(60))
}

/// A SIPp citizen (13800138000) calling 12345 who, queued, presses 2
/// and leaves 4 s of voice message (`citizen_leaves_a_message_while_waiting.xml`),
/// run to its end.
pub fn citizen_leaving_a_message(hotline: &Hotline) -> SippRun {
    sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_leaves_a_message_while_waiting.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[("voice.ul", &voice_ulaw(4))],
        Duration::from_secs(90),
    )
    .wait(Duration::from_secs(90))
}

/// A `--demo` hotline on the test menu that reaches a queue at any hour
/// (`agent_path`), its console's cookies fit for plain HTTP, plus `env`;
/// the scripts' folder must be kept as long as the hotline runs.
pub fn demo_on_the_agent_path(env: &[(&str, &str)]) -> (Hotline, tempfile::TempDir) {
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let mut all = vec![
        ("HOTLINE_IVR_SCRIPTS_DIR", scripts_dir.as_str()),
        ("HOTLINE_IVR_SCRIPT", "agent_path"),
        ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
    ];
    all.extend_from_slice(env);
    (Hotline::start_with_args(&["--demo"], &all), scripts)
}

/// A SIPp citizen (13800138000) calling 12345 who presses 1 (housing) and
/// speaks 12 s of tone to the agent (`citizen_reaches_agent.xml`), under way.
pub fn citizen_reaching_an_agent(hotline: &Hotline) -> SippProcess {
    sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_reaches_agent.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[("voice.ul", &voice_ulaw(12))],
        Duration::from_secs(40),
    )
}

/// A SIPp citizen (13800138000) calling 12345 who presses 3 and types
/// `reference` and # (`citizen_checks_a_case.xml`), run to its end.
pub fn citizen_checking_a_case(hotline: &Hotline, reference: &str) -> SippRun {
    let scenario_text = std::fs::read_to_string(scenario("citizen_checks_a_case.xml"))
        .expect("scenario")
        .replace("CASE_DIGITS", reference);
    sipp_with_files(
        hotline.sip,
        &["-sf", "case.xml", "-s", "12345", "-m", "1"],
        &[("case.xml", scenario_text.as_bytes())],
        Duration::from_secs(60),
    )
    .wait(Duration::from_secs(60))
}

/// The demo's agent1, phone registered and logged in to the console, on a
/// break: queued callers wait. The phone and the console session are the
/// caller's to keep.
pub fn agent1_on_a_break(hotline: &Hotline) -> (SippProcess, console::ConsoleClient) {
    let phone = agent_phone(hotline, "agent1", "agent1-sip-pass");
    let agent = console::ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    assert_eq!(
        agent.post("/api/agent/login", serde_json::json!({})).status,
        200
    );
    let on_break = agent.post(
        "/api/agent/state",
        serde_json::json!({ "state": "break", "reason": "meeting" }),
    );
    assert_eq!(on_break.status, 200, "{on_break:?}");
    (phone, agent)
}

/// Registers SIPp as `user`'s phone (digest), then leaves a SIPp UAS that
/// answers one call and echoes its RTP on the registered port.
pub fn agent_phone(hotline: &Hotline, user: &str, password: &str) -> SippProcess {
    agent_phone_running(hotline, user, password, &["-sn", "uas", "-rtp_echo"])
}

/// Like [`agent_phone`], with the phone's own SIPp arguments (a scenario).
pub fn agent_phone_running(
    hotline: &Hotline,
    user: &str,
    password: &str,
    phone_args: &[&str],
) -> SippProcess {
    agent_phone_registered_at(hotline.sip, user, password, phone_args)
}

/// Like [`agent_phone_running`], registering with `registrar` (a node, or
/// Kamailio in front of several).
pub fn agent_phone_registered_at(
    registrar: SocketAddr,
    user: &str,
    password: &str,
    phone_args: &[&str],
) -> SippProcess {
    let port = free_port().to_string();
    let register = sipp_with_files(
        registrar,
        &[
            "-sf",
            &scenario("register_auth.xml"),
            "-s",
            user,
            "-au",
            user,
            "-ap",
            password,
            "-p",
            &port,
            "-m",
            "1",
        ],
        &[],
        Duration::from_secs(10),
    )
    .wait(Duration::from_secs(10));
    assert!(
        register.succeeded(),
        "REGISTER {user}: {}",
        register.errors()
    );
    let mut args = phone_args.to_vec();
    args.extend(["-p", &port]);
    // One call unless the phone's arguments say how many.
    if !phone_args.contains(&"-m") {
        args.extend(["-m", "1"]);
    }
    sipp_with_files(None, &args, &[], Duration::from_secs(60))
}

/// `seconds` of a 440 Hz tone as raw μ-law: a caller's "voice" for SIPp's
/// `rtp_stream`.
pub fn voice_ulaw(seconds: u32) -> Vec<u8> {
    (0..8000 * seconds)
        .map(|i| {
            let t = f64::from(i) / 8000.0;
            let sample = (t * 440.0 * std::f64::consts::TAU).sin() * 8000.0;
            hotline_media::g711::ulaw_encode(sample as i16)
        })
        .collect()
}

/// The repository's root (for tests/browser, ivr_scripts, tests/artifacts).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether Debian's Chromium, Node.js and tests/browser's playwright-core
/// are here; panics in CI (`HOTLINE_REQUIRE_CHROMIUM=1`) when they are not.
pub fn chromium_available(test: &str) -> bool {
    let chromium = std::path::Path::new("/usr/bin/chromium").exists();
    let playwright = repo_root()
        .join("tests/browser/node_modules/playwright-core")
        .exists();
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok();
    if chromium && playwright && node {
        return true;
    }
    let missing = format!(
        "chromium: {chromium}, playwright-core: {playwright}, node: {node} \
         (apt-get install chromium nodejs npm; cd tests/browser && npm ci)"
    );
    if std::env::var("HOTLINE_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
        panic!("{test}: Chromium is required (HOTLINE_REQUIRE_CHROMIUM=1): {missing}");
    }
    eprintln!("\n!!!!!!!! SKIPPED {test}: {missing} !!!!!!!!\n");
    false
}

/// The JSON of a step line `STEP {...}` a browser script printed.
pub fn step_json(line: &str, step: &str) -> serde_json::Value {
    line.strip_prefix(step)
        .and_then(|rest| serde_json::from_str(rest.trim()).ok())
        .unwrap_or_else(|| panic!("expected {step} {{...}}, got {line:?}"))
}

/// A tests/browser script running under Node.js (it drives Chromium and
/// prints one line per step): its step lines as they come, what the page
/// logged (stderr) for failure messages. `ARTIFACTS` (tests/artifacts) is
/// created and passed to it.
pub struct BrowserScript {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    page_log: Arc<Mutex<Vec<String>>>,
    pub artifacts: std::path::PathBuf,
}

impl BrowserScript {
    pub fn start(script: &str, env: &[(&str, &str)]) -> Self {
        let root = repo_root();
        let artifacts = root.join("tests/artifacts");
        std::fs::create_dir_all(&artifacts).expect("artifacts folder");
        let mut command = Command::new("node");
        command
            .arg(root.join("tests/browser").join(script))
            .env("ARTIFACTS", &artifacts)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start node");
        let (lines_tx, lines) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let page_log: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = page_log.clone();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("page log").push(line);
            }
        });
        Self {
            child,
            lines,
            page_log,
            artifacts,
        }
    }

    /// The next step line; on `timeout` the script is killed and `None`.
    pub fn next(&mut self, timeout: Duration) -> Option<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Some(line),
            Err(_) => {
                let _ = self.child.kill();
                None
            }
        }
    }

    /// The next step line, awaited as `what`: after 45 s without one the
    /// test fails with what the page and `hotline` logged.
    pub fn step(&mut self, what: &str, hotline: &Hotline) -> String {
        self.next(Duration::from_secs(45)).unwrap_or_else(|| {
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "the browser never reported {what}.\nPage:\n{}\nHotline:\n{}",
                self.page_log(),
                hotline.log()
            )
        })
    }

    /// Everything the page and the script logged so far.
    pub fn page_log(&self) -> String {
        self.page_log.lock().expect("page log").join("\n")
    }

    /// Waits for the script to end.
    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().expect("node exits")
    }
}
