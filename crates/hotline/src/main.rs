//! The `hotline` binary: configuration, the command line, and the call
//! controller that wires the SIP layer, media, IVR, ACD and store together.
//!
//! `hotline serve` runs everything on embedded defaults when no configuration
//! is given (SIP on 127.0.0.1:5060, the web on 127.0.0.1:8080, SQLite under
//! `./data/`).

/// `println!` for what the subcommands print: when the reader goes away
/// (`hotline config | grep -q`, `hotline user list | head`) the command ends
/// quietly, as Unix tools do, instead of panicking on the broken pipe. (The
/// workspace forbids `unsafe`, so SIGPIPE cannot be given back its default.)
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` as [`outln!`] does it.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_out(format_args!($($arg)*))
    };
}

mod accounts;
mod acd_task;
mod backup;
mod bench_centre;
mod call;
mod callback;
mod callback_list;
mod centre;
mod cluster;
mod config;
mod controller;
mod demo;
mod events;
mod follow_up_list;
mod http;
mod orders;
mod phones;
mod privacy;
mod refusal;
mod reload;
mod reminders;
mod retention;
mod simulate;
mod softphone;
mod speech;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use hotline_sip::endpoint::EndpointConfig;
use hotline_sip::registrar::RegistrarConfig;
use hotline_sip::transport::{self, Command, TransportConfig};
use hotline_sip::Endpoint;
use tracing::{error, info, warn};

use crate::config::{Config, LogFormat};

// Measured: with glibc's allocator a third of the SIP path's CPU went to
// malloc/free and heap consolidation under load (bench/sip/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "hotline",
    version,
    about = "A citizen hotline: SIP, IVR, ACD, agent console, call records"
)]
struct Cli {
    /// Configuration file (TOML). Default: ./hotline.toml if present, else
    /// /etc/hotline/hotline.toml for the packaged /usr/bin/hotline, else
    /// built-in defaults.
    #[arg(long, short, global = true, env = "HOTLINE_CONFIG")]
    config: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Run the hotline (the default).
    Serve {
        /// Add demo departments' agents (with SIP phones), a supervisor,
        /// citizens and cases, so the console can be tried at once. The
        /// logins are in the README.
        #[arg(long)]
        demo: bool,
        /// With --demo: how many demo agents (agentN / agentN-demo-pass,
        /// phone agentN / agentN-sip-pass), for load tests and `simulate`.
        #[arg(long, default_value_t = 2, requires = "demo")]
        demo_agents: u32,
    },
    /// Check the configuration and print it with every default filled in.
    Config,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Fill an empty store with realistic synthetic citizens, calls and cases.
    Seed {
        #[arg(long, default_value_t = 1_000)]
        citizens: u64,
        #[arg(long, default_value_t = 10_000)]
        calls: u64,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 12345)]
        seed: u64,
        /// Spread the calls over this many days before now.
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
    /// Drive a running hotline with simulated agents and callers over real
    /// SIP and RTP (e.g. against `serve --demo --demo-agents 10`).
    Simulate(Box<simulate::SimulateArgs>),
    /// The centre's routing latency benchmark (bench/centre/run.sh).
    #[command(hide = true)]
    BenchRouting(Box<bench_centre::BenchArgs>),
    /// Tools for the people who write the IVR scripts.
    Ivr {
        #[command(subcommand)]
        command: IvrCommand,
    },
    /// Console accounts: add, list, disable, enable, reset a password.
    User {
        #[command(subcommand)]
        command: accounts::UserCommand,
    },
    /// SIP phone accounts: add, list, reset a secret, remove (the store
    /// keeps only their digest hashes).
    Phone {
        #[command(subcommand)]
        command: phones::PhoneCommand,
    },
    /// Back up an SQLite hotline into a new folder while it runs: a
    /// consistent copy of the store, then recordings, voice messages, the
    /// event spool, registrations, the TLS certificate and the national-ID
    /// key, each with its SHA-256 in manifest.json.
    Backup {
        /// A folder that does not exist yet or is empty.
        dir: std::path::PathBuf,
    },
    /// Citizens' data-protection requests: find, show (who saw the record),
    /// export (one archive), rectify, restrict, erase, receipts.
    Privacy {
        #[command(subcommand)]
        command: privacy::PrivacyCommand,
    },
    /// Certificates for the console's HTTPS.
    Cert {
        #[command(subcommand)]
        command: CertCommand,
    },
    /// Restore a backup into an empty data directory (database.data_dir)
    /// and a database file that does not exist yet; every file is checked
    /// against the manifest first.
    Restore { dir: std::path::PathBuf },
    /// Check the configuration as a reload would (queues, destinations,
    /// work orders, the IVR scripts against them), then tell the running
    /// hotline of this data directory to apply it (SIGHUP); live calls go
    /// on. An error is printed and nothing is sent.
    Reload,
    /// Retention of recordings, voice messages, callers' numbers and the
    /// audit log ([retention]); `serve` runs it daily by itself.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
}

#[derive(Debug, Subcommand)]
enum RetentionCommand {
    /// Forget now what is past its window, delete those files from
    /// <data_dir>/recordings and print the figures (also while the hotline
    /// runs).
    Run {
        /// Only count what a run would forget and delete.
        #[arg(long)]
        dry_run: bool,
        /// Run as on this date: RFC 3339 (2026-12-07T03:30:00+08:00) or a
        /// date (its midnight in retention.timezone). Later than tomorrow
        /// only with --dry-run.
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CertCommand {
    /// Make (or renew) a self-signed certificate for HTTPS in
    /// <data_dir>/tls/http.crt, for localhost, http.listen's address and
    /// every --name; prints its SHA-256 fingerprint.
    SelfSigned {
        /// Another host name or address the console is reached by.
        #[arg(long = "name")]
        names: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum IvrCommand {
    /// Report every problem in the scripts at once (file, line, what to do).
    Check {
        /// The scripts folder (default: ivr.scripts_dir).
        path: Option<PathBuf>,
    },
    /// Print a script as Graphviz DOT or Mermaid.
    Graph {
        /// The scripts folder (default: ivr.scripts_dir).
        path: Option<PathBuf>,
        /// The script name (default: ivr.script).
        #[arg(long)]
        script: Option<String>,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// Walk a script in the terminal: type keys, see prompts and events.
    Simulate {
        /// The scripts folder (default: ivr.scripts_dir).
        path: Option<PathBuf>,
        /// The script name (default: ivr.script).
        #[arg(long)]
        script: Option<String>,
        /// The caller's number.
        #[arg(long, default_value = "13800138000")]
        caller: String,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    let json = cli.log_json || config.log.format == LogFormat::Json;
    init_logging(&config.log.level, json)?;
    hotline_types::pii::log_in_clear(config.log.personal_data);
    if config.log.personal_data {
        warn!("log.personal_data is on: callers' numbers and what they typed are logged in clear; turn it off after debugging");
    }
    match cli.command.unwrap_or(Commands::Serve {
        demo: false,
        demo_agents: 2,
    }) {
        Commands::Config => {
            out!(
                "{}",
                toml::to_string_pretty(&config.redacted()).context("printing the configuration")?
            );
            let rules = orders::load(&config.orders, &config.ivr.scripts_dir)?;
            outln!("\n# Work orders, as this configuration dispatches them:");
            let now = hotline_types::Timestamp::from_system_time(std::time::SystemTime::now());
            for line in rules.describe(now) {
                outln!("# {line}");
            }
            let policy =
                retention::Policy::from_config(&config.retention, &config.orders.timezone)?;
            let enabled = if config.retention.enabled {
                ""
            } else {
                " (off: only `hotline retention run`)"
            };
            outln!("\n# Retention, as this configuration keeps data{enabled}:");
            let last_run = retention::last_run(&config.database.data_dir);
            for line in policy.describe(now, last_run) {
                outln!("# {line}");
            }
            Ok(())
        }
        Commands::Serve { demo, demo_agents } => {
            let agents = if demo {
                demo::demo_agents(demo_agents)
            } else {
                Vec::new()
            };
            runtime()?.block_on(serve(config, cli.config.clone(), demo, agents))
        }
        Commands::Migrate => runtime()?.block_on(async {
            let store = open_store(&config).await?;
            store.migrate().await.context("applying migrations")?;
            let latest = hotline_store::migration_versions(store.backend())
                .into_iter()
                .map(|(version, _)| version)
                .max()
                .unwrap_or(0);
            outln!(
                "database schema is at version {latest} ({})",
                config::redact_url(&config.database.url)
            );
            Ok(())
        }),
        Commands::Seed {
            citizens,
            calls,
            seed,
            days,
        } => runtime()?.block_on(async {
            let store = open_store(&config).await?;
            let end = hotline_types::Timestamp::from_system_time(std::time::SystemTime::now());
            let mut options = hotline_store::SeedOptions::new(citizens, calls, seed, end);
            options.days = days;
            let report = hotline_store::seed(&store, &options)
                .await
                .context("seeding the store")?;
            outln!(
                "seeded {} citizens ({} phone numbers), {} calls, {} cases in {:.1} s",
                report.citizens,
                report.phones,
                report.calls,
                report.cases,
                report.seconds
            );
            Ok(())
        }),
        Commands::Ivr { command } => ivr_tool(&config, command),
        Commands::User { command } => runtime()?.block_on(async {
            let rules = orders::load(&config.orders, &config.ivr.scripts_dir)?;
            let store = open_store(&config).await?;
            store.migrate().await.context("applying migrations")?;
            accounts::run(&store, &rules.catalogue, command).await
        }),
        Commands::Cert {
            command: CertCommand::SelfSigned { names },
        } => make_http_cert(&config, &names),
        Commands::Backup { dir } => runtime()?.block_on(backup::backup(&config, &dir)),
        Commands::Restore { dir } => runtime()?.block_on(backup::restore(&config, &dir)),
        Commands::Reload => reload::signal(cli.config.as_deref(), &config.database.data_dir),
        Commands::Phone { command } => runtime()?.block_on(async {
            let store = open_store(&config).await?;
            store.migrate().await.context("applying migrations")?;
            phones::run(&store, &config.sip.realm, command).await
        }),
        Commands::Privacy { command } => runtime()?.block_on(async {
            let store = open_store(&config).await?;
            store.migrate().await.context("applying migrations")?;
            privacy::run(&store, &config, command).await
        }),
        Commands::Simulate(args) => simulate::main(*args, &config),
        Commands::BenchRouting(args) => bench_centre::main(*args),
        Commands::Retention {
            command: RetentionCommand::Run { dry_run, now },
        } => runtime()?.block_on(async {
            let policy =
                retention::Policy::from_config(&config.retention, &config.orders.timezone)?;
            let now = now
                .map(|text| retention::parse_now(&text, &policy))
                .transpose()?;
            let store = open_store(&config).await?;
            store.migrate().await.context("applying migrations")?;
            let retention = retention::Retention::new(store, policy, &config.database.data_dir);
            retention::run_once(&retention, now, dry_run).await
        }),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")
}

/// The key under which national ID numbers are hashed for lookup: created
/// once in the data directory, never printed, stable across restarts.
fn national_id_key(data_dir: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("national_id.key");
    match std::fs::read(&path) {
        Ok(key) if key.len() >= 16 => Ok(key),
        Ok(_) => anyhow::bail!(
            "{} is shorter than 16 bytes: restore it from backup",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).with_context(|| {
                format!("cannot create the data directory {}", data_dir.display())
            })?;
            let key: [u8; 32] = rand::random();
            write_private(&path, &key)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(key.to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// The identity for SIP over TLS, if TLS listens anywhere: the configured
/// certificate, or a self-signed one made once in `<data_dir>/tls/`.
fn sip_tls(
    config: &Config,
    checked: &config::CheckedSip,
) -> anyhow::Result<Option<Arc<hotline_sip::tls::TlsIdentity>>> {
    if checked.tls_listen.is_empty() {
        return Ok(None);
    }
    let (cert_file, key_file) = match (&config.sip.tls_cert, &config.sip.tls_key) {
        (Some(cert), Some(key)) => (cert.clone(), key.clone()),
        _ => self_signed_tls(&config.database.data_dir, checked)?,
    };
    let identity = hotline_sip::tls::TlsIdentity::load(hotline_sip::tls::TlsSettings {
        cert_file,
        key_file,
        ca_file: config.sip.tls_ca.clone(),
        reload_every: Duration::from_secs(10),
    })
    .context("SIP over TLS (sip.tls_cert, sip.tls_key)")?;
    Ok(Some(Arc::new(identity)))
}

/// A self-signed certificate for the TLS addresses, made on the first start
/// and kept: phones that pinned it keep working across restarts.
fn self_signed_tls(
    data_dir: &std::path::Path,
    checked: &config::CheckedSip,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let ips: Vec<std::net::IpAddr> = checked
        .tls_listen
        .iter()
        .chain(&checked.advertised_tls)
        .map(|a| a.ip())
        .collect();
    let (cert, key, made) = self_signed(data_dir, "sip", &ips, &[], false)?;
    if made {
        warn!(
            cert = %cert.display(),
            "SIP over TLS uses a self-signed certificate made now: set sip.tls_cert and sip.tls_key for phones that verify"
        );
    }
    Ok((cert, key))
}

/// `<data_dir>/tls/<stem>.crt` and `.key`: kept if both are there (unless
/// `renew`), else a self-signed certificate for localhost, `ips` and
/// `names` is made. Answers the two paths and whether it was made now.
fn self_signed(
    data_dir: &std::path::Path,
    stem: &str,
    ips: &[std::net::IpAddr],
    names: &[String],
    renew: bool,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf, bool)> {
    let dir = data_dir.join("tls");
    let (cert, key) = (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    );
    if !renew && cert.exists() && key.exists() {
        return Ok((cert, key, false));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut all: Vec<String> = vec!["localhost".into()];
    for name in ips
        .iter()
        .filter(|ip| !ip.is_unspecified())
        .map(|ip| ip.to_string())
        .chain(names.iter().cloned())
    {
        if !all.contains(&name) {
            all.push(name);
        }
    }
    let made =
        rcgen::generate_simple_self_signed(all).context("making a self-signed TLS certificate")?;
    // The key first, the certificate last: a reload that sees the new
    // certificate finds its key.
    let _ = std::fs::remove_file(&key);
    write_private(&key, made.signing_key.serialize_pem().as_bytes())
        .with_context(|| format!("writing {}", key.display()))?;
    std::fs::write(&cert, made.cert.pem())
        .with_context(|| format!("writing {}", cert.display()))?;
    Ok((cert, key, true))
}

/// HTTPS for the HTTP port, when `http.tls` is on: the configured
/// certificate, else the self-signed one of the data directory.
fn http_tls(config: &Config) -> anyhow::Result<Option<Arc<hotline_sip::tls::TlsIdentity>>> {
    if !config.http.tls {
        return Ok(None);
    }
    let (cert_file, key_file) = match (&config.http.tls_cert, &config.http.tls_key) {
        (Some(cert), Some(key)) => (cert.clone(), key.clone()),
        (None, None) => {
            let (cert, key, made) = self_signed(
                &config.database.data_dir,
                "http",
                &[config.http.listen.ip()],
                &[],
                false,
            )?;
            if made {
                warn!(cert = %cert.display(), "HTTPS uses a self-signed certificate made now: browsers will warn until they trust it; set http.tls_cert and http.tls_key for a certificate of your own");
            }
            (cert, key)
        }
        _ => anyhow::bail!("http.tls_cert and http.tls_key go together: set both, or neither for a self-signed certificate"),
    };
    let identity = hotline_sip::tls::TlsIdentity::load(hotline_sip::tls::TlsSettings {
        cert_file,
        key_file,
        ca_file: None,
        reload_every: Duration::from_secs(10),
    })
    .context("HTTPS (http.tls_cert, http.tls_key)")?;
    Ok(Some(Arc::new(identity)))
}

/// `hotline cert self-signed`: a certificate for the console's HTTPS on a
/// LAN, in the data directory where `http.tls` finds it.
fn make_http_cert(config: &Config, names: &[String]) -> anyhow::Result<()> {
    let (cert, key, _) = self_signed(
        &config.database.data_dir,
        "http",
        &[config.http.listen.ip()],
        names,
        true,
    )?;
    use rustls_pki_types::pem::PemObject;
    let pem = std::fs::read(&cert).with_context(|| format!("reading {}", cert.display()))?;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(&pem)
        .map_err(|e| anyhow::anyhow!("reading back {}: {e}", cert.display()))?;
    use sha2::Digest;
    let fingerprint = sha2::Sha256::digest(der.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    outln!("made {} and {}", cert.display(), key.display());
    outln!("SHA-256 fingerprint: {fingerprint}");
    outln!("turn HTTPS on with http.tls = true (HOTLINE_HTTP_TLS=true); a running hotline takes the new certificate within 10 s");
    Ok(())
}

/// Whether opening the store failed because PostgreSQL did not answer
/// (rather than a wrong URL, a bad key or a failed migration).
fn store_unreachable(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<hotline_store::StoreError>(),
        Some(hotline_store::StoreError::PostgresUnreachable { .. })
    )
}

/// The store of a hotline that started while PostgreSQL was down: it
/// connects when first used (see `store_comes_back`).
async fn open_store_lazily(config: &Config) -> anyhow::Result<hotline_store::Store> {
    let key = national_id_key(&config.database.data_dir)?;
    hotline_store::Store::connect_lazy_with(
        &config.database.url,
        hotline_store::StoreOptions::new(key),
    )
    .await
    .context("the store's address")
}

/// Tries the store every two seconds until it answers, then does what a
/// start with the store up does first: migrations, the first admin, the
/// phones for the registrar, the saved registrations. The event writer
/// writes what was spooled meanwhile by itself.
async fn store_comes_back(
    store: hotline_store::Store,
    admin_password: Option<String>,
    mut phone_sync: phones::PhoneSync,
    sip: transport::SipHandle,
    bindings_file: PathBuf,
) {
    let mut every = tokio::time::interval(Duration::from_secs(2));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = store.migrate().await {
            tracing::debug!(error = %e, "the store is still down");
            continue;
        }
        if let Err(e) = demo::ensure_admin(&store, admin_password.as_deref()).await {
            warn!(error = %format!("{e:#}"), "the first admin could not be made; trying again");
            continue;
        }
        let (phones, restored) =
            match phones_then_registrations(&mut phone_sync, &sip, &bindings_file).await {
                Ok(done) => done,
                Err(e) => {
                    warn!(error = %e, "the phone accounts could not be read; trying again");
                    continue;
                }
            };
        phone_sync.spawn();
        info!(
            phones,
            restored_registrations = restored,
            "the store answers: migrated, phones and registrations restored; spooled call events follow"
        );
        return;
    }
}

/// The store's phones to the registrar, then the saved registrations, in
/// that order (a binding of a phone the registrar does not know is
/// dropped): the number of each. For a start with the store up and for
/// one whose store answers later.
async fn phones_then_registrations(
    phone_sync: &mut phones::PhoneSync,
    sip: &transport::SipHandle,
    bindings_file: &PathBuf,
) -> Result<(usize, usize), hotline_store::StoreError> {
    let phones = phone_sync.sync().await?;
    let restored = controller::restore_bindings(sip, bindings_file).await;
    Ok((phones, restored))
}

async fn open_store(config: &Config) -> anyhow::Result<hotline_store::Store> {
    let key = national_id_key(&config.database.data_dir)?;
    hotline_store::Store::connect(&config.database.url, key)
        .await
        .with_context(|| {
            format!(
                "opening the store ({})",
                config::redact_url(&config.database.url)
            )
        })
}

fn ivr_tool(config: &Config, command: IvrCommand) -> anyhow::Result<()> {
    // The folder named on the command line, else the configured one: its
    // scripts, prompts and holiday calendar.
    let dir = match &command {
        IvrCommand::Check { path }
        | IvrCommand::Graph { path, .. }
        | IvrCommand::Simulate { path, .. } => path.clone(),
    }
    .unwrap_or_else(|| config.ivr.scripts_dir.clone());
    let order_rules = orders::load(&config.orders, &dir)?;
    let environment = config.ivr_environment(&order_rules);
    match command {
        IvrCommand::Check { .. } => {
            let report = hotline_ivr::check(&dir, &environment).context("reading the scripts")?;
            outln!("{report}");
            if report.has_errors() {
                anyhow::bail!("the scripts in {} have errors", dir.display());
            }
            outln!("{}: no errors", dir.display());
            Ok(())
        }
        IvrCommand::Graph { script, format, .. } => {
            let bundle = hotline_ivr::load_bundle(&dir, &environment, 1)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let name = script.unwrap_or_else(|| config.ivr.script.clone());
            let script = bundle.script(&name)?;
            let graph = hotline_ivr::graph(&script);
            match format {
                GraphFormat::Dot => out!("{}", graph.dot),
                GraphFormat::Mermaid => out!("{}", graph.mermaid),
            }
            Ok(())
        }
        IvrCommand::Simulate { script, caller, .. } => {
            let bundle = hotline_ivr::load_bundle(&dir, &environment, 1)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let name = script.unwrap_or_else(|| config.ivr.script.clone());
            let call = hotline_ivr::CallInfo {
                caller,
                called: config.sip.numbers.first().cloned().unwrap_or_default(),
                answered_at: hotline_types::Timestamp::from_system_time(
                    std::time::SystemTime::now(),
                ),
            };
            let stdin = std::io::stdin();
            let outcome = hotline_ivr::simulate(
                bundle.script(&name)?,
                call,
                stdin.lock(),
                std::io::stdout(),
            )?;
            outln!("outcome: {outcome:?}");
            Ok(())
        }
    }
}

/// Writes to standard output; a closed pipe ends the process with 0 (its
/// reader had all it wanted), any other error panics as `print!` would.
fn write_out(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => panic!("failed printing to stdout: {e}"),
    }
}

fn init_logging(level: &str, json: bool) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(with_quiet_webrtc(level))
        .with_context(|| format!("log.level {level:?} is not a valid filter"))?;
    use std::io::IsTerminal;
    // Colours for a terminal only: not in the journal or a log file.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    Ok(())
}

/// The WebRTC stack (webrtc-rs's `rtc` crates, through `log`) says at
/// info and warn what is routine for every browser leg (state changes, a
/// ClientHello's unknown extensions): only its errors are logged, unless
/// `log.level` names an `rtc` target itself.
fn with_quiet_webrtc(level: &str) -> String {
    if level.contains("rtc") {
        level.to_owned()
    } else {
        format!("{level},rtc=error")
    }
}

async fn serve(
    config: Config,
    config_path: Option<PathBuf>,
    demo: bool,
    demo_agents: Vec<demo::DemoAgent>,
) -> anyhow::Result<()> {
    let sip_checked = config.check()?;
    let scripts_dir = &config.ivr.scripts_dir;
    if !scripts_dir.is_dir() {
        let looked_in = std::path::absolute(scripts_dir).unwrap_or_else(|_| scripts_dir.clone());
        anyhow::bail!(
            "ivr.scripts_dir: there is no folder {} (looked for {}); set ivr.scripts_dir (HOTLINE_IVR_SCRIPTS_DIR) to the shipped scripts: ivr_scripts/ in the source tree, /usr/share/hotline/ivr_scripts from the package",
            scripts_dir.display(),
            looked_in.display()
        );
    }
    // Work orders' catalogue and calendar: a broken one stops the start here.
    let order_rules = Arc::new(orders::load(&config.orders, &config.ivr.scripts_dir)?);
    info!(
        categories = order_rules.catalogue.categories().count(),
        departments = order_rules.catalogue.departments().count(),
        timezone = order_rules.calendar.time_zone_name(),
        "work orders: catalogue and calendar checked"
    );
    std::fs::create_dir_all(&config.database.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.database.data_dir.display()
        )
    })?;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;

    let endpoint_config = EndpointConfig {
        advertised: sip_checked.advertised,
        advertised_tls: sip_checked.advertised_tls,
        srtp: config.sip.srtp.policy(),
        srtp_by_source: config
            .sip
            .srtp_trunks
            .iter()
            .map(|(ip, setting)| (*ip, setting.policy()))
            .collect(),
        numbers: config.sip.numbers.clone(),
        max_calls: config.sip.max_calls,
        max_calls_per_source: config.sip.max_calls_per_source,
        max_unconfirmed_calls_per_source: config.sip.max_unconfirmed_calls_per_source,
        reserved_for_trusted: config.sip.reserved_for_trusted,
        max_transactions_per_source: config.sip.max_transactions_per_source,
        requests_per_second_per_source: config.sip.requests_per_second_per_source,
        trusted_sources: config.sip.trusted_sources.clone(),
        registrar: RegistrarConfig {
            realm: config.sip.realm.clone(),
            algorithms: sip_checked.digest_algorithms.clone(),
            max_auth_failures: config.sip.max_auth_failures,
            block_duration: Duration::from_secs(config.sip.auth_block_secs),
            ..RegistrarConfig::default()
        },
        ..EndpointConfig::default()
    };
    let mut endpoint = Endpoint::new(endpoint_config, rand::random(), Instant::now());
    for phone in &config.phones {
        let registrar = endpoint.registrar_mut();
        match (&phone.ha1_md5, &phone.ha1_sha256) {
            (Some(md5), Some(sha256)) => {
                if let Some(secret) = hotline_sip::registrar::DigestSecret::from_ha1(md5, sha256) {
                    registrar.set_user_digest(&phone.user, secret);
                }
            }
            _ => {
                warn!(phone = %phone.user, "[[phones]] in the configuration keeps a plaintext SIP password: give ha1_md5 and ha1_sha256 instead, or `hotline phone add {}` keeps only its digest hashes in the store", phone.user);
                registrar.set_user(&phone.user, &phone.password);
            }
        }
        if let Some(names) = &phone.digest_algorithms {
            let order = names
                .iter()
                .filter_map(|n| hotline_sip::registrar::Algorithm::from_name(n))
                .collect();
            registrar.set_user_algorithms(&phone.user, order);
        }
    }
    let transport_config = TransportConfig {
        listen: sip_checked.listen.clone(),
        max_message_bytes: config.sip.max_message_bytes,
        max_tcp_connections: config.sip.max_tcp_connections,
        max_tcp_connections_per_source: config.sip.max_tcp_connections_per_source,
        tcp_idle_timeout: Duration::from_secs(config.sip.tcp_idle_secs.max(1)),
        trusted_sources: config.sip.trusted_sources.clone(),
        tls_listen: sip_checked.tls_listen.clone(),
        tls: sip_tls(&config, &sip_checked)?,
        ..TransportConfig::default()
    };
    let (sip, sip_events, mut sip_tasks) = transport::start(transport_config, endpoint).await?;

    // A PostgreSQL store that is down at start does not keep the hotline
    // from answering: the IVR serves callers and their events spool; the
    // store is migrated and the first admin, the phones and the saved
    // registrations follow when it answers (`store_comes_back`).
    let (store, store_up) = match open_store(&config).await {
        Ok(store) => (store, true),
        Err(e) if !demo && store_unreachable(&e) => {
            warn!("{e:#}: the hotline answers calls and spools their events; it connects when the database is back");
            (open_store_lazily(&config).await?, false)
        }
        Err(e) => return Err(e),
    };
    // The store's phones reach the registrar before the saved bindings do
    // (a binding of a phone the registrar does not know is dropped).
    let mut phone_sync = phones::PhoneSync::new(
        store.clone(),
        sip.clone(),
        config.sip.realm.clone(),
        config.phones.iter().map(|p| p.user.clone()).collect(),
    );
    let bindings_file = config.database.data_dir.join("registrations.json");
    let (store_phones, restored) = if store_up {
        demo::ensure_admin(&store, config.console.admin_password.as_deref()).await?;
        if demo {
            demo::add_phones(&store, &demo_agents, &config.sip.realm).await?;
            demo::seed(&store, &demo_agents, &order_rules.catalogue).await?;
        }
        let restored = phones_then_registrations(&mut phone_sync, &sip, &bindings_file)
            .await
            .context("reading the phone accounts from the store")?;
        phone_sync.spawn();
        restored
    } else {
        tokio::spawn(store_comes_back(
            store.clone(),
            config.console.admin_password.clone(),
            phone_sync,
            sip.clone(),
            bindings_file.clone(),
        ));
        (0, 0)
    };
    let writer = hotline_store::EventWriter::spawn(
        store.clone(),
        config.database.data_dir.join("spool"),
        hotline_store::EventWriterOptions {
            // A node of a centre closes out only its own calls: the
            // others' are alive (or theirs to close out when they die).
            close_out_crashed_calls: Some(match &config.cluster.node {
                Some(node) => hotline_store::CloseOut::Node(node.clone()),
                None => hotline_store::CloseOut::AllNodes,
            }),
            ..hotline_store::EventWriterOptions::default()
        },
    );
    let events = events::EventSink::new(writer.clone());
    let (control_tx, control_rx) = tokio::sync::mpsc::unbounded_channel();
    let environment = config.ivr_environment(&order_rules);
    let scripts =
        hotline_ivr::ScriptSet::load(&config.ivr.scripts_dir, environment).map_err(|e| {
            anyhow::anyhow!(
                "the IVR scripts in {} cannot be used:\n{e}",
                config.ivr.scripts_dir.display()
            )
        })?;
    scripts
        .script(&config.ivr.script)
        .map_err(|e| anyhow::anyhow!("ivr.script {:?}: {e}", config.ivr.script))?;
    let scripts = Arc::new(scripts);
    let media = hotline_media::MediaEngine::start_with_priority(
        hotline_media::EngineConfig {
            bind_ip: sip_checked.advertised.ip(),
            port_first: *sip_checked.rtp_ports.start(),
            port_last: *sip_checked.rtp_ports.end(),
            shards: config.media.clock_threads,
        },
        (config.media.clock_priority > 0).then_some(config.media.clock_priority),
    )
    .context("starting the media engine")?;
    let prompts = Arc::new(hotline_media::PromptCache::new());
    let music_path = config.ivr.scripts_dir.join("prompts/music/hold.wav");
    let music_on_hold = match prompts.get(&music_path) {
        Ok(music) => Some(music),
        Err(e) => {
            warn!(path = %music_path.display(), error = %e, "no music on hold: queued callers will hear silence between announcements");
            None
        }
    };
    let (console_tx, console_rx) = tokio::sync::mpsc::unbounded_channel();
    let console = hotline_screenpop::Console::with_statistics(
        store.clone(),
        reload::console_config(&config, order_rules.clone()),
        reload::statistics(&config),
        console_tx,
    );
    // Accounts changed elsewhere (`hotline user disable`, another node's
    // admin) reach this node's sessions within a second, and so do
    // erasures (`hotline privacy erase`, another node's officer).
    {
        let console = console.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                if let Err(e) = console.enforce_accounts().await {
                    tracing::debug!(error = %e, "accounts could not be checked against the store");
                }
                // Citizens erased elsewhere leave this node's memory too.
                if let Err(e) = console.forget_erased().await {
                    tracing::debug!(error = %e, "erasures could not be read from the store");
                }
            }
        });
    }
    let (callback_tx, mut callback_jobs) = tokio::sync::mpsc::unbounded_channel();
    let (callback_list, callback_runner) = callback_list::channel(config.cluster.node.clone());
    let membership = config.cluster.node.clone().map(|node| {
        cluster::Membership::new(
            store.clone(),
            node,
            sip_checked.advertised.to_string(),
            config.http.listen.to_string(),
            Duration::from_secs(config.cluster.lease_secs),
        )
    });
    let membership_task = membership.clone().map(|m| m.spawn(callback_list.clone()));
    let boards_task = membership.as_ref().map(|m| m.spawn_boards(console.clone()));
    let softphone = softphone::Softphone::new(
        console.clone(),
        config.webrtc.enabled,
        hotline_webrtc::WebRtcConfig {
            public_ips: config.webrtc.public_ips.clone(),
            prefer: match config.webrtc.codec {
                config::WebRtcCodec::Pcmu => hotline_webrtc::AudioCodec::Pcmu,
                config::WebRtcCodec::Opus => hotline_webrtc::AudioCodec::Opus,
            },
        },
    );
    // A centre of several nodes on PostgreSQL shares one ACD and the
    // phones' registrations (crate::centre).
    let centre_bus = match (&config.cluster.node, store.backend()) {
        (Some(node), hotline_store::Backend::Postgres) => {
            let name = match store.centre_name().await {
                Ok(name) => name,
                Err(e) => {
                    // The database is down at start: the URL's schema
                    // cannot be asked for; the default schema's name is
                    // taken.
                    warn!(error = %e, "the centre is named after the schema public");
                    "hotline.public".to_owned()
                }
            };
            Some(centre::Bus::new(store.clone(), name, node.clone()))
        }
        (Some(_), hotline_store::Backend::Sqlite) => {
            tracing::warn!(
                "cluster.node is set on SQLite: this node keeps its own ACD (a centre shares PostgreSQL)"
            );
            None
        }
        (None, _) => None,
    };
    let shared_phones = centre_bus.as_ref().map(|bus| {
        let shared = centre::SharedPhones::new(store.clone());
        shared.spawn_sync(bus.node.clone(), sip.clone());
        shared
    });
    let acd = acd_task::start(
        &config.queues,
        softphone::Phones {
            sip: sip.clone(),
            softphone: softphone.clone(),
            shared: shared_phones,
        },
        console.clone(),
        events.clone(),
        console_rx,
        acd_task::Callbacks {
            launcher: sip_checked.outbound.is_some().then_some(callback_tx),
            list: callback_list.clone(),
        },
        store.clone(),
        centre_bus,
    );
    // Callbacks are placed in the opening hours of the hotline script's
    // first [[schedule]] (always, if it has none).
    let office_hours = scripts
        .script(&config.ivr.script)
        .ok()
        .and_then(|script| script.schedules().next().map(|(_, hours)| hours.clone()));
    callback_list::run(
        callback_runner,
        store.clone(),
        acd.clone(),
        hotline_call::Policy::default(),
        office_hours.clone(),
    );
    let recordings_dir = config.database.data_dir.join("recordings");
    std::fs::create_dir_all(&recordings_dir)
        .with_context(|| format!("cannot create {}", recordings_dir.display()))?;
    let dial_plan = Arc::new(hotline_call::dialplan::DialPlan::new(
        &config.dialplan.allow,
        config.dialplan.max_calls_per_number_per_day,
    )?);
    // Today's callbacks and follow-up calls count against the daily limit
    // after a restart too.
    let today = callback::today();
    let day_start = hotline_types::Timestamp(today.saturating_mul(86_400_000));
    let dialled = if store_up {
        store.numbers_dialled_since(day_start).await
    } else {
        Err(hotline_store::StoreError::Unavailable {
            detail: "the store was down at start".into(),
        })
    };
    match dialled {
        Ok(numbers) => {
            if !numbers.is_empty() {
                info!(
                    calls = numbers.len(),
                    "today's calls placed restored into the dial plan's daily limit"
                );
            }
            dial_plan.restore(today, numbers);
        }
        Err(e) => {
            warn!(error = %e, "today's dialled numbers could not be read: the daily limit counts from now")
        }
    }
    let dead_media_after = Duration::from_secs(config.media.dead_media_secs.max(1));
    let core = hotline_call::call::Config {
        max_call: sip_checked.max_call,
        answer_after: sip_checked.answer_after,
        dead_media_after,
        latch: match config.media.latch {
            config::LatchConfig::SignallingSource => {
                hotline_call::media::LatchRule::SignallingSource
            }
            config::LatchConfig::AnySource => hotline_call::media::LatchRule::AnySource,
            config::LatchConfig::SdpAddress => hotline_call::media::LatchRule::SdpAddress,
        },
        trusted_sources: config.sip.trusted_sources.clone(),
        prompts_root: config.ivr.scripts_dir.join("prompts"),
        recordings_dir,
        music_on_hold: music_on_hold.is_some(),
        callbacks: sip_checked.outbound.is_some(),
        record_calls: match config.media.record_calls {
            config::RecordCalls::Off => None,
            config::RecordCalls::Stereo => Some(hotline_media::RecordMode::Stereo),
            config::RecordCalls::Mixed => Some(hotline_media::RecordMode::Mixed),
        },
        queue_names: config.queues.iter().map(|q| q.name.clone()).collect(),
        callback_abandoned: config
            .queues
            .iter()
            .filter(|q| q.callback_abandoned)
            .map(|q| q.name.clone())
            .collect(),
        destinations: reload::destinations(&sip_checked),
        dial_plan: {
            let plan = dial_plan.clone();
            Arc::new(move |number: &str| plan.allows(number).map_err(|r| r.as_str()))
        },
        node: config.cluster.node.clone(),
    };
    let core = reload::Live::new(core);
    let live_orders = reload::Live::from_arc(order_rules.clone());
    let context = Arc::new(call::CallContext {
        core: core.clone(),
        sip: sip.clone(),
        events,
        media,
        prompts,
        scripts: scripts.clone(),
        script_name: config.ivr.script.clone(),
        store: store.clone(),
        dial_plan,
        callback_list,
        acd,
        dispatcher: control_tx.clone(),
        music_on_hold,
        hotline_number: config.sip.numbers.first().cloned().unwrap_or_default(),
        orders: live_orders.clone(),
        voice_message_category: config.orders.voice_message_category.as_str().into(),
        speech: Arc::new(speech::Speech::new(config.speech.clone())?),
        softphone,
    });
    // Retention: daily at retention.run_at, and at once if a run was missed.
    if config.retention.enabled {
        let policy = retention::Policy::from_config(&config.retention, &config.orders.timezone)?;
        retention::spawn(
            retention::Retention::new(store.clone(), policy, &config.database.data_dir),
            Arc::new(retention::SystemClock),
            Duration::from_secs(60),
        );
    }
    // Deadline reminders (临期提醒) to the departments.
    if config.orders.reminders {
        reminders::run(store.clone(), live_orders.clone());
    }
    // Follow-up calls of closed orders, through the callbacks' trunk.
    if let Some(outbound) = sip_checked.outbound.clone() {
        if config.orders.follow_up_calls.unwrap_or(true) {
            follow_up_list::run(
                context.clone(),
                Arc::new(callback::trunk(&context, outbound)),
                live_orders.clone(),
                follow_up_list::FollowUpSettings {
                    max_calls: config.orders.follow_up_max_calls.max(1),
                    retry: hotline_orders::FollowUpRetry {
                        after: Duration::from_secs(config.orders.follow_up_retry_minutes * 60),
                        attempts: config.orders.follow_up_attempts,
                    },
                    hours: office_hours.clone(),
                },
            );
        }
    } else if config.orders.follow_up_calls == Some(true) {
        warn!("orders.follow_up_calls needs sip.outbound_uri: no follow-up calls are placed");
    }
    if let Some(outbound) = sip_checked.outbound.clone() {
        let context = context.clone();
        let trunk = Arc::new(callback::trunk(&context, outbound));
        tokio::spawn(async move {
            while let Some(job) = callback_jobs.recv().await {
                tokio::spawn(callback::run_callback(context.clone(), trunk.clone(), job));
            }
        });
    }
    tokio::spawn(reload_scripts_on_change(scripts.clone()));
    let running = reload::Running {
        path: config_path,
        config: config.clone(),
        core,
        orders: live_orders,
        acd: context.acd.clone(),
        console: console.clone(),
        scripts,
    };
    tokio::spawn(reload_on_hangup(running));
    tokio::spawn(publish_gauges(context.clone(), writer.clone()));
    let dispatcher = tokio::spawn(controller::run_dispatcher(
        context.clone(),
        sip_events,
        control_rx,
        bindings_file,
    ));

    let https = http_tls(&config)?;
    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", config.http.listen))?;
    let http_addr = listener.local_addr()?;
    let scheme = if https.is_some() { "https" } else { "http" };
    if let Some(identity) = &https {
        let identity = identity.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(identity.reload_every());
            every.tick().await;
            loop {
                every.tick().await;
                match identity.reload_if_changed() {
                    Ok(true) => {
                        info!("HTTPS: a renewed certificate is in force for new connections")
                    }
                    Ok(false) => {}
                    Err(e) => {
                        warn!(error = %e, "HTTPS: the changed certificate cannot be used; the previous one stays in force")
                    }
                }
            }
        });
    }
    let metrics_listener = tokio::net::TcpListener::bind(config.http.metrics_listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen for /metrics on http.metrics_listen {}",
                config.http.metrics_listen
            )
        })?;
    let metrics_addr = metrics_listener.local_addr()?;
    {
        let app = http::metrics_router(metrics.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics_listener, app).await {
                error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let metrics_token = config.http.metrics_token.clone();
    let metrics_on_console_port = if metrics_token.is_some() {
        ", /metrics with http.metrics_token"
    } else {
        ""
    };
    let http_task = tokio::spawn(async move {
        use axum::serve::ListenerExt;
        let app = http::router(metrics, metrics_token).merge(console.router());
        let served = match https {
            Some(identity) => match http::TlsListener::new(listener, identity) {
                Ok(listener) => {
                    let app = app.layer(axum::middleware::from_fn(http::hsts));
                    // tap_io: axum gives ConnectInfo<SocketAddr> to any
                    // listener so wrapped.
                    axum::serve(
                        listener.tap_io(|_| {}),
                        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
                    )
                    .await
                }
                Err(e) => Err(e),
            },
            None => {
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
                )
                .await
            }
        };
        if let Err(e) = served {
            error!(error = %e, "HTTP server stopped");
        }
    });

    for addr in sip.local_addrs() {
        info!("SIP listening on {addr} (UDP and TCP)");
    }
    for addr in sip.tls_addrs() {
        info!("SIP listening on {addr} (TLS)");
    }
    info!("HTTP listening on {scheme}://{http_addr} (agent console at /console/, API at /api/, /health{metrics_on_console_port})");
    info!("metrics listening on http://{metrics_addr}/metrics");
    let store_tls = match store.backend() {
        hotline_store::Backend::Sqlite => "",
        hotline_store::Backend::Postgres if !store_up => " (down: connecting when it answers)",
        hotline_store::Backend::Postgres => match store.connection_is_encrypted().await {
            Ok(true) => " (TLS)",
            Ok(false) => " (not encrypted: add sslmode=verify-full to the URL)",
            Err(_) => "",
        },
    };
    info!(
        "store: {}{store_tls}",
        config::redact_url(&config.database.url)
    );
    info!(
        numbers = ?config.sip.numbers,
        phones = config.phones.len() + store_phones,
        restored_registrations = restored,
        "hotline ready"
    );

    let pid_file = reload::PidFile::write(&config.database.data_dir);
    shutdown_signal().await;
    drop(pid_file);
    info!(
        "shutting down: new calls get 503, live calls may finish within {} s",
        config.shutdown.drain_secs
    );
    let _ = sip.send(Command::SetAccepting(false));
    let deadline = Instant::now() + Duration::from_secs(config.shutdown.drain_secs);
    loop {
        let active = sip.stats().await.map(|s| s.active_calls).unwrap_or(0);
        if active == 0 {
            break;
        }
        if Instant::now() >= deadline {
            warn!(active, "drain time is up: hanging up the remaining calls");
            let _ = control_tx.send(controller::ControlCommand::HangupAll);
            // Give the BYEs a moment to go out and be answered.
            let hangup_deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < hangup_deadline
                && sip.stats().await.map(|s| s.active_calls).unwrap_or(0) > 0
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let the last events reach the sink before the process ends.
    tokio::time::sleep(Duration::from_millis(100)).await;
    dispatcher.abort();
    http_task.abort();
    sip_tasks.abort_all();
    drop(context);
    for task in [membership_task, boards_task].into_iter().flatten() {
        task.abort();
    }
    if let Some(membership) = &membership {
        membership.leave().await;
    }
    match tokio::time::timeout(Duration::from_secs(10), writer.shutdown()).await {
        Ok(Ok(stats)) => info!(?stats, "call events written"),
        Ok(Err(e)) => error!(error = %e, "call events could not all be made durable"),
        Err(_) => {
            error!("the store writer did not finish within 10 s; unwritten events are in the spool")
        }
    }
    info!("hotline stopped");
    Ok(())
}

/// Copies the media engine's and the store writer's figures into `/metrics`
/// every second (their own counters are lock-free atomics; this only reads).
async fn publish_gauges(context: Arc<call::CallContext>, writer: hotline_store::EventWriterHandle) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    for second in 0u64.. {
        every.tick().await;
        let media = context.media.stats();
        metrics::gauge!("hotline_media_legs").set(media.legs as f64);
        // The engine's and the writer's running totals: counters (`_total`)
        // set to the total, so Prometheus's rate() works on them.
        metrics::counter!("hotline_media_late_ticks_total").absolute(media.late_ticks);
        metrics::counter!("hotline_media_clock_resyncs_total").absolute(media.clock_resyncs);
        metrics::counter!("hotline_media_send_errors_total").absolute(media.send_errors);
        metrics::counter!("hotline_media_busy_microseconds_total").absolute(media.busy_us);
        let store = writer.stats();
        metrics::counter!("hotline_store_events_written_total").absolute(store.written);
        metrics::counter!("hotline_store_events_refused_total").absolute(store.refused);
        metrics::counter!("hotline_store_events_spooled_total").absolute(store.spooled);
        metrics::gauge!("hotline_store_events_pending_in_spool").set(store.pending_in_spool as f64);
        if store.pending_in_spool > 0 && second % 10 == 0 {
            tracing::warn!(
                pending = store.pending_in_spool,
                "call events are waiting in the spool for the database"
            );
        }
    }
}

/// Reloads the IVR scripts on SIGHUP or when a file in their folder changes.
/// Calls in progress keep the version they started with; a version that
/// does not compile is refused and the one in force stays.
async fn reload_scripts_on_change(scripts: Arc<hotline_ivr::ScriptSet>) {
    let mut last = newest_change(scripts.dir());
    let mut poll = tokio::time::interval(Duration::from_secs(2));
    loop {
        poll.tick().await;
        let now = newest_change(scripts.dir());
        if now == last {
            continue;
        }
        last = now;
        match scripts.reload() {
            Ok(version) => info!(version, "IVR scripts reloaded"),
            Err(e) => error!("IVR scripts not reloaded, the version in force stays:\n{e}"),
        }
    }
}

/// SIGHUP (`hotline reload`, `systemctl reload hotline`): the configuration
/// file again, and the IVR scripts with it ([`reload::Running::reload`]).
async fn reload_on_hangup(mut running: reload::Running) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            warn!("SIGHUP cannot be caught here: the configuration is not reloaded while running");
            return;
        };
        while hangups.recv().await.is_some() {
            match running.reload() {
                Ok(applied) => {
                    info!(
                        queues = ?applied.queues,
                        departments = applied.departments,
                        categories = applied.categories,
                        "configuration reloaded: new calls take the new queues, destinations and work-order rules; live calls go on"
                    );
                    if !applied.waiting_for_restart.is_empty() {
                        warn!(sections = ?applied.waiting_for_restart, "these sections changed but are read only at start: restart to apply them");
                    }
                }
                Err(e) => error!("configuration not reloaded, the running one stays: {e:#}"),
            }
        }
    }
    #[cfg(not(unix))]
    drop(running);
}

/// The latest modification time of any file under `dir` (two levels deep).
fn newest_change(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    let mut visit = |path: &std::path::Path| {
        if let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) {
            newest = newest.max(Some(modified));
        }
    };
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        visit(&entry.path());
        if entry.path().is_dir() {
            for inner in std::fs::read_dir(entry.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                visit(&inner.path());
            }
        }
    }
    newest
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
