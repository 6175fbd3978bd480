//! The `hotline` binary: configuration, the command line, and the call
//! controller that wires the SIP layer, media, IVR, ACD and store together.
//!
//! `hotline serve` runs everything on embedded defaults when no configuration
//! is given (SIP on 127.0.0.1:5060, the web on 127.0.0.1:8080, SQLite under
//! `./data/`).

mod config;
mod controller;
mod events;
mod http;

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

#[derive(Debug, Parser)]
#[command(
    name = "hotline",
    version,
    about = "A citizen hotline: SIP, IVR, ACD, agent console, call records"
)]
struct Cli {
    /// Configuration file (TOML). Default: ./hotline.toml if present, else built-in defaults.
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
    Serve,
    /// Check the configuration and print it with every default filled in.
    Config,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    let json = cli.log_json || config.log.format == LogFormat::Json;
    init_logging(&config.log.level, json)?;
    match cli.command.unwrap_or(Commands::Serve) {
        Commands::Config => {
            print!(
                "{}",
                toml::to_string_pretty(&config).context("printing the configuration")?
            );
            Ok(())
        }
        Commands::Serve => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the tokio runtime")?
            .block_on(serve(config)),
    }
}

fn init_logging(level: &str, json: bool) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .with_context(|| format!("log.level {level:?} is not a valid filter"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let sip_checked = config.check()?;
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
        numbers: config.sip.numbers.clone(),
        max_calls: config.sip.max_calls,
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
        endpoint
            .registrar_mut()
            .set_user(&phone.user, &phone.password);
    }
    let transport_config = TransportConfig {
        listen: sip_checked.listen.clone(),
        max_message_bytes: config.sip.max_message_bytes,
        ..TransportConfig::default()
    };
    let (sip, sip_events, mut sip_tasks) = transport::start(transport_config, endpoint).await?;
    let bindings_file = config.database.data_dir.join("registrations.json");
    let restored = controller::restore_bindings(&sip, &bindings_file).await;

    let (events, event_rx) = events::EventSink::new();
    let event_task = tokio::spawn(events::log_events(event_rx));
    let context = Arc::new(controller::CallContext {
        sip: sip.clone(),
        events,
        ports: controller::PortPool::new(
            sip_checked.advertised.ip(),
            sip_checked.rtp_ports.clone(),
        ),
        max_call: sip_checked.max_call,
        answer_after: sip_checked.answer_after,
        node: None,
    });
    let (control_tx, control_rx) = tokio::sync::mpsc::unbounded_channel();
    let dispatcher = tokio::spawn(controller::run_dispatcher(
        context.clone(),
        sip_events,
        control_rx,
        bindings_file,
    ));

    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", config.http.listen))?;
    let http_addr = listener.local_addr()?;
    let http_task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, http::router(metrics)).await {
            error!(error = %e, "HTTP server stopped");
        }
    });

    for addr in sip.local_addrs() {
        info!("SIP listening on {addr} (UDP and TCP)");
    }
    info!("HTTP listening on http://{http_addr} (/health, /metrics)");
    info!(
        numbers = ?config.sip.numbers,
        phones = config.phones.len(),
        restored_registrations = restored,
        "hotline ready"
    );

    shutdown_signal().await;
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
    let _ = tokio::time::timeout(Duration::from_secs(2), event_task).await;
    info!("hotline stopped");
    Ok(())
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
