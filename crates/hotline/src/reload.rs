//! Reloading the configuration while calls go on (`hotline reload`, SIGHUP):
//! the queues, departments, transfer destinations, the work orders'
//! catalogue and calendar, and the console's lists. A new configuration is
//! checked whole first ([`prepare`]: the file, the catalogue, the queues'
//! overflow targets, the IVR scripts against the new queues and
//! categories); one with an error changes nothing and says why. Live calls
//! keep the settings they started with; the next ones take the new.
//! Everything else (addresses, the store, TLS, media) is read once at
//! start: a change there is reported as waiting for a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use hotline_orders::OrderRules;

use crate::acd_task::{acd_config, AcdHandle, AcdInput};
use crate::config::{CheckedSip, Config};

/// A value a reload replaces as a whole; readers take the version in force
/// (an `Arc`) and keep it for as long as they work with it.
pub struct Live<T>(Arc<RwLock<Arc<T>>>);

impl<T: std::fmt::Debug> std::fmt::Debug for Live<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        Live(self.0.clone())
    }
}

impl<T> Live<T> {
    pub fn new(value: T) -> Self {
        Live(Arc::new(RwLock::new(Arc::new(value))))
    }

    pub fn from_arc(value: Arc<T>) -> Self {
        Live(Arc::new(RwLock::new(value)))
    }

    /// The version in force.
    pub fn get(&self) -> Arc<T> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn set(&self, value: Arc<T>) {
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = value;
    }
}

/// A configuration that passed every check a reload makes.
pub struct Prepared {
    pub config: Config,
    pub checked: CheckedSip,
    pub rules: Arc<OrderRules>,
    environment: hotline_ivr::Environment,
}

/// Reads and checks the configuration as `serve` would at start, without
/// applying it. `hotline reload` runs this before it signals the hotline,
/// and the hotline runs it again on SIGHUP.
pub fn prepare(path: Option<&Path>) -> anyhow::Result<Prepared> {
    let config = Config::load(path)?;
    let checked = config.check()?;
    let rules = Arc::new(crate::orders::load(
        &config.orders,
        &config.ivr.scripts_dir,
    )?);
    if let Err(problems) = acd_config(&config.queues).check() {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        anyhow::bail!("queues:\n{}", lines.join("\n"));
    }
    let environment = config.ivr_environment(&rules);
    let report = hotline_ivr::check(&config.ivr.scripts_dir, &environment).with_context(|| {
        format!(
            "reading the IVR scripts in {}",
            config.ivr.scripts_dir.display()
        )
    })?;
    if report.has_errors() {
        anyhow::bail!(
            "the IVR scripts in {} do not fit this configuration:\n{report}",
            config.ivr.scripts_dir.display()
        );
    }
    Ok(Prepared {
        config,
        checked,
        rules,
        environment,
    })
}

/// What a running hotline can change without a restart, and where.
pub struct Running {
    /// The file it was started with (`None`: `config::default_file`).
    pub path: Option<PathBuf>,
    /// The configuration in force.
    pub config: Config,
    pub core: Live<hotline_call::call::Config>,
    pub orders: Live<OrderRules>,
    pub acd: AcdHandle,
    pub console: hotline_screenpop::Console,
    pub scripts: Arc<hotline_ivr::ScriptSet>,
}

/// What a reload did.
#[derive(Debug, PartialEq, Eq)]
pub struct Applied {
    pub queues: Vec<String>,
    pub departments: usize,
    pub categories: usize,
    /// Sections that changed but are read only at start.
    pub waiting_for_restart: Vec<String>,
}

/// The sections a reload applies; the rest need a restart.
const RELOADED: &[&str] = &["queues", "destinations", "orders", "console"];

impl Running {
    /// Reads, checks and applies the configuration file; on any error the
    /// running configuration stays whole and the error says why.
    pub fn reload(&mut self) -> anyhow::Result<Applied> {
        let prepared = prepare(self.path.as_deref())?;
        Ok(self.apply(prepared))
    }

    fn apply(&mut self, new: Prepared) -> Applied {
        let Prepared {
            config,
            checked,
            rules,
            environment,
        } = new;
        let waiting_for_restart = changed_sections(&self.config, &config)
            .into_iter()
            .filter(|s| !RELOADED.contains(&s.as_str()))
            .collect();
        // The scripts first: they were checked against the new queues and
        // categories, so the calls that start next find both.
        if let Err(e) = self.scripts.reload_with(environment) {
            tracing::warn!(error = %e, "the IVR scripts could not be reloaded with the new configuration; the version in force stays");
        }
        let mut core = (*self.core.get()).clone();
        core.queue_names = config.queues.iter().map(|q| q.name.clone()).collect();
        core.callback_abandoned = config
            .queues
            .iter()
            .filter(|q| q.callback_abandoned)
            .map(|q| q.name.clone())
            .collect();
        core.destinations = destinations(&checked);
        self.core.set(Arc::new(core));
        self.orders.set(rules.clone());
        self.acd.send(AcdInput::Configure(config.queues.clone()));
        self.console
            .reconfigure(console_config(&config, rules.clone()), statistics(&config));
        let applied = Applied {
            queues: config.queues.iter().map(|q| q.name.clone()).collect(),
            departments: rules.catalogue.departments().count(),
            categories: rules.catalogue.categories().count(),
            waiting_for_restart,
        };
        self.config = config;
        applied
    }
}

/// The top-level sections whose values differ.
fn changed_sections(old: &Config, new: &Config) -> Vec<String> {
    let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    new.iter()
        .filter(|(key, value)| old.get(*key) != Some(value))
        .map(|(key, _)| key.clone())
        .collect()
}

/// The call core's transfer destinations, resolved by `Config::check`.
pub fn destinations(
    checked: &CheckedSip,
) -> std::collections::HashMap<String, hotline_call::call::Destination> {
    checked
        .destinations
        .iter()
        .map(|(name, (uri, addr, tcp))| {
            let destination = hotline_call::call::Destination {
                uri: uri.clone(),
                addr: *addr,
                tcp: *tcp,
            };
            (name.clone(), destination)
        })
        .collect()
}

/// The console's view of the configuration.
pub fn console_config(config: &Config, rules: Arc<OrderRules>) -> hotline_screenpop::ConsoleConfig {
    hotline_screenpop::ConsoleConfig {
        secure_cookies: config.console.secure_cookies,
        session_idle: std::time::Duration::from_secs(config.console.session_idle_mins.max(1) * 60),
        login_attempts_per_minute: config.console.login_attempts_per_minute.max(1),
        queues: config
            .queues
            .iter()
            .map(|q| hotline_screenpop::QueueInfo {
                name: q.name.clone(),
                department: q.department.clone().unwrap_or_else(|| q.name.clone()),
            })
            .collect(),
        dispositions: config.console.dispositions.clone(),
        case_categories: config.console.case_categories.clone(),
        allowed_origins: config.console.allowed_origins.clone(),
        destinations: config.destinations.keys().cloned().collect(),
        orders: Some(rules),
        open311_clients: config
            .orders
            .open311_clients
            .iter()
            .map(|c| hotline_screenpop::Open311Client {
                name: c.name.clone(),
                api_key: c.api_key.clone(),
            })
            .collect(),
        sip_realm: config.sip.realm.clone(),
        trusted_proxies: config.http.trusted_proxies.clone(),
        data_files: Some(hotline_store::DataFiles::in_data_dir(
            &config.database.data_dir,
        )),
        search: hotline_screenpop::SearchPolicy {
            reasons: config
                .console
                .search_reasons
                .iter()
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .collect(),
            min_chars: config.console.search_min_chars,
            per_minute: config.console.searches_per_minute,
        },
    }
}

/// The wallboard's and the reports' targets per queue.
pub fn statistics(config: &Config) -> hotline_screenpop::StatisticsConfig {
    hotline_screenpop::StatisticsConfig {
        queue_targets: config
            .queues
            .iter()
            .map(|q| hotline_screenpop::QueueTarget {
                queue: q.name.clone(),
                service_level_secs: q.service_level_secs,
                service_level_target: f64::from(q.service_level_target_percent) / 100.0,
                max_waiting: q.alert_waiting,
                max_wait_secs: q.alert_wait_secs,
            })
            .collect(),
        utc_offset_minutes: config.console.report_utc_offset_minutes,
    }
}

/// `<data_dir>/hotline.pid` while `serve` runs, for `hotline reload`;
/// removed when it stops.
pub struct PidFile(Option<PathBuf>);

impl PidFile {
    pub fn write(data_dir: &Path) -> PidFile {
        let path = data_dir.join(PID_FILE);
        match std::fs::write(&path, format!("{}\n", std::process::id())) {
            Ok(()) => PidFile(Some(path)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "no pid file: `hotline reload` cannot find this hotline (send it SIGHUP)");
                PidFile(None)
            }
        }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

const PID_FILE: &str = "hotline.pid";

/// `hotline reload`: the configuration checked here first, then SIGHUP to
/// the hotline whose pid file is in `data_dir`.
pub fn signal(path: Option<&Path>, data_dir: &Path) -> anyhow::Result<()> {
    let prepared =
        prepare(path).context("the configuration cannot be reloaded; nothing was sent")?;
    let pid_path = data_dir.join(PID_FILE);
    let pid: u32 = std::fs::read_to_string(&pid_path)
        .with_context(|| {
            format!(
                "no hotline runs on this data directory ({} cannot be read)",
                pid_path.display()
            )
        })?
        .trim()
        .parse()
        .with_context(|| format!("{} holds no process id", pid_path.display()))?;
    // The pid must still be a hotline (not a process that took the number
    // after a crash left the file behind).
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    if !exe
        .as_ref()
        .and_then(|e| e.file_name())
        .is_some_and(|name| name.to_string_lossy().starts_with("hotline"))
    {
        anyhow::bail!(
            "process {pid} (from {}) is not a running hotline",
            pid_path.display()
        );
    }
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .context("running kill")?;
    if !sent.success() {
        anyhow::bail!("kill -HUP {pid} failed ({sent})");
    }
    let queues: Vec<&str> = prepared
        .config
        .queues
        .iter()
        .map(|q| q.name.as_str())
        .collect();
    outln!(
        "checked: queues {}, {} work-order categories; sent SIGHUP to the hotline (pid {pid}): its log says \"configuration reloaded\"",
        queues.join(", "),
        prepared.rules.catalogue.categories().count()
    );
    Ok(())
}
