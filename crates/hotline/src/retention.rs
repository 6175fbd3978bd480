//! The retention job: once a day, at `retention.run_at` local time, the
//! store forgets what is older than each kind's window
//! (`Store::apply_retention`: recordings, voice messages, the numbers on
//! call records, the audit log) and this deletes the files it named from
//! `<data_dir>/recordings/`. `hotline retention run` is the same run for
//! operators (with `--dry-run` and a simulated `--now`).
//!
//! Owns: the policy checked from `[retention]` (windows, time of day, time
//! zone), the cut-offs it gives on a date, the schedule (the first
//! `run_at` after the last run: a run missed while the hotline was stopped
//! is made at start), the last run's record (`<data_dir>/retention.json`),
//! deleting files (only inside the recordings folder; one already gone
//! is counted, not an error), the run's log line and its `/metrics`
//! figures. The clock is injected ([`Clock`]) so tests run the job on
//! simulated dates. What is forgotten, and what is kept past its window,
//! is the store's decision (`hotline_store::retention`).
//!
//! A run that fails (the database down) is logged as a warning and made
//! again at the next scheduled time; its record is not written, so a
//! restart makes it at start.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use hotline_store::{
    Access, AuditContext, RetentionCutoffs, RetentionMode, RetentionReport, Store,
};
use hotline_types::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{Span, Zoned};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::config::RetentionConfig;

/// The record of the last run in the data directory.
pub const LAST_RUN_FILE: &str = "retention.json";

/// A window longer than this is a typing mistake (a hundred years).
const MAX_DAYS: u32 = 36_500;
const MAX_YEARS: u32 = 100;

/// The checked `[retention]` section.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Days kept; `None`: for ever.
    pub recordings_days: Option<u32>,
    pub voice_messages_days: Option<u32>,
    pub call_personal_days: Option<u32>,
    pub audit_years: Option<u32>,
    pub run_at: Time,
    pub time_zone: TimeZone,
    pub time_zone_name: String,
}

impl Policy {
    /// Checks `[retention]`; the time zone defaults to `orders_time_zone`.
    pub fn from_config(config: &RetentionConfig, orders_time_zone: &str) -> anyhow::Result<Self> {
        let window = |key: &str, value: u32, max: u32| -> anyhow::Result<Option<u32>> {
            if value > max {
                bail!("retention.{key} = {value} is more than {max}: use 0 to keep it for ever");
            }
            Ok((value > 0).then_some(value))
        };
        let run_at = parse_time_of_day(&config.run_at).with_context(|| {
            format!(
                "retention.run_at: {:?} is not a time of day like \"03:30\"",
                config.run_at
            )
        })?;
        let time_zone_name = config
            .timezone
            .clone()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| orders_time_zone.to_owned());
        let time_zone = TimeZone::get(&time_zone_name).map_err(|_| {
            anyhow::anyhow!(
                "retention.timezone: {time_zone_name:?} is not an IANA time zone like \"Asia/Shanghai\""
            )
        })?;
        Ok(Self {
            recordings_days: window("recordings_days", config.recordings_days, MAX_DAYS)?,
            voice_messages_days: window(
                "voice_messages_days",
                config.voice_messages_days,
                MAX_DAYS,
            )?,
            call_personal_days: window("call_personal_days", config.call_personal_days, MAX_DAYS)?,
            audit_years: window("audit_years", config.audit_years, MAX_YEARS)?,
            run_at,
            time_zone,
            time_zone_name,
        })
    }

    fn zoned(&self, at: Timestamp) -> Option<Zoned> {
        jiff::Timestamp::from_millisecond(at.as_millis())
            .ok()
            .map(|t| t.to_zoned(self.time_zone.clone()))
    }

    /// What is kept on `now`: each kind's oldest moment, `now` minus its
    /// window in calendar days (or years) of the policy's time zone.
    pub fn cutoffs(&self, now: Timestamp) -> RetentionCutoffs {
        let back = |span: Span| -> Timestamp {
            self.zoned(now)
                .and_then(|z| z.checked_sub(span).ok())
                .map(|z| Timestamp(z.timestamp().as_millisecond()))
                // Before the first representable time: nothing is older.
                .unwrap_or(Timestamp(i64::MIN))
        };
        let days = |n: Option<u32>| n.map(|n| back(Span::new().days(i64::from(n))));
        RetentionCutoffs {
            recordings: days(self.recordings_days),
            voice_messages: days(self.voice_messages_days),
            call_personal: days(self.call_personal_days),
            audit: self
                .audit_years
                .map(|n| back(Span::new().years(i64::from(n)))),
        }
    }

    /// The first `run_at` (local) strictly after `last`: when the run
    /// after `last` is due. Never ran: due at once.
    pub fn next_run(&self, last: Option<Timestamp>) -> Timestamp {
        let Some(last) = last else {
            return Timestamp(i64::MIN);
        };
        let at_run_time = |date: jiff::civil::Date| {
            // In a gap (the clocks go forward) this is the later time.
            date.to_datetime(self.run_at)
                .to_zoned(self.time_zone.clone())
                .ok()
                .map(|z| Timestamp(z.timestamp().as_millisecond()))
        };
        let Some(local) = self.zoned(last) else {
            return last;
        };
        match at_run_time(local.date()) {
            Some(today) if today > last => today,
            _ => local
                .date()
                .tomorrow()
                .ok()
                .and_then(at_run_time)
                .unwrap_or(last),
        }
    }

    /// A moment as people of the policy's time zone read it.
    pub fn local(&self, at: Timestamp) -> String {
        self.zoned(at).map_or_else(
            || format!("{} ms", at.as_millis()),
            |z| z.strftime("%Y-%m-%d %H:%M %Z").to_string(),
        )
    }

    /// What `hotline config` says of retention on `now`.
    pub fn describe(&self, now: Timestamp, last_run: Option<Timestamp>) -> Vec<String> {
        let cut = self.cutoffs(now);
        let kind = |what: &str, days: Option<u32>, unit: &str, before: Option<Timestamp>| match (
            days, before,
        ) {
            (Some(n), Some(before)) => format!(
                "{what}: kept {n} {unit}; a run now forgets those before {}",
                self.local(before)
            ),
            _ => format!("{what}: kept for ever"),
        };
        vec![
            kind(
                "conversation recordings",
                self.recordings_days,
                "days",
                cut.recordings,
            ),
            kind(
                "voice messages (while their work order is open, longer)",
                self.voice_messages_days,
                "days",
                cut.voice_messages,
            ),
            kind(
                "callers' numbers on call records (while a callback is open, longer)",
                self.call_personal_days,
                "days",
                cut.call_personal,
            ),
            kind("audit log", self.audit_years, "years", cut.audit),
            format!(
                "daily at {} {}; last run: {}",
                self.run_at.strftime("%H:%M"),
                self.time_zone_name,
                last_run.map_or_else(|| "never".to_owned(), |t| self.local(t))
            ),
        ]
    }
}

fn parse_time_of_day(text: &str) -> Option<Time> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

/// Where the time comes from: the system's clock, or a test's.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_system_time(std::time::SystemTime::now())
    }
}

/// What happened to the files a run named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FilesDeleted {
    pub recordings: u64,
    pub voice_messages: u64,
    /// Already gone (deleted by hand, or by a run cut short).
    pub missing: u64,
    /// Not deleted: outside the recordings folder, or the deletion failed.
    pub not_deleted: u64,
}

/// One run's figures: the store's and the files'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub at_ms: i64,
    pub dry_run: bool,
    pub store: RetentionReport,
    pub files: FilesDeleted,
}

/// The record of the last completed run.
#[derive(Debug, Serialize, Deserialize)]
struct LastRun {
    at_ms: i64,
    /// The same moment, for people reading the file.
    at: String,
    files: FilesDeleted,
    summary: String,
}

/// When the last run completed, from the data directory; `None` if it
/// never did (or its record is unreadable: better a run too many).
pub fn last_run(data_dir: &Path) -> Option<Timestamp> {
    let path = data_dir.join(LAST_RUN_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            warn!(path = %path.display(), error = %e, "the last retention run's record cannot be read: running as if it never ran");
            return None;
        }
    };
    match serde_json::from_str::<LastRun>(&text) {
        Ok(last) => Some(Timestamp(last.at_ms)),
        Err(e) => {
            warn!(path = %path.display(), error = %e, "the last retention run's record is unreadable: running as if it never ran");
            None
        }
    }
}

fn record_run(data_dir: &Path, policy: &Policy, figures: &Figures) -> std::io::Result<()> {
    let record = LastRun {
        at_ms: figures.at_ms,
        at: policy.local(Timestamp(figures.at_ms)),
        files: figures.files,
        summary: figures.store.summary(),
    };
    let path = data_dir.join(LAST_RUN_FILE);
    let temporary = data_dir.join(format!("{LAST_RUN_FILE}.new"));
    let text = serde_json::to_string_pretty(&record).map_err(std::io::Error::other)?;
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, &path)
}

/// Everything a run needs.
#[derive(Clone)]
pub struct Retention {
    pub store: Store,
    pub policy: Arc<Policy>,
    /// `<data_dir>/recordings`: the only place files are deleted from.
    pub recordings_dir: PathBuf,
    /// Where the last run's record is kept.
    pub data_dir: PathBuf,
}

impl Retention {
    pub fn new(store: Store, policy: Policy, data_dir: &Path) -> Self {
        Self {
            store,
            policy: Arc::new(policy),
            recordings_dir: data_dir.join("recordings"),
            data_dir: data_dir.to_owned(),
        }
    }

    /// One run on `now`. Applied: the files of the recordings and voice
    /// messages past their windows are deleted first, then the store
    /// forgets them (so a run cut short leaves no file the store has
    /// forgotten), then the other kinds. A dry run only counts. The caller
    /// records a run on the real clock ([`Retention::record`]).
    pub async fn run(
        &self,
        now: Timestamp,
        mode: RetentionMode,
        actor: &AuditContext,
    ) -> anyhow::Result<Figures> {
        let cutoffs = self.policy.cutoffs(now);
        let mut files = FilesDeleted::default();
        let mut handled = HashSet::new();
        if mode == RetentionMode::Apply {
            // What the run will forget, found without changing anything.
            if let Some(before) = cutoffs.recordings {
                let planned = self
                    .store
                    .expire_conversation_recordings(before, RetentionMode::DryRun)
                    .await?;
                self.delete_files(&planned.files, &mut handled, &mut files, Kind::Recording);
            }
            if let Some(before) = cutoffs.voice_messages {
                let planned = self
                    .store
                    .expire_voice_messages(before, RetentionMode::DryRun)
                    .await?;
                self.delete_files(&planned.files, &mut handled, &mut files, Kind::VoiceMessage);
            }
        }
        let store = self.store.apply_retention(actor, &cutoffs, mode).await?;
        if mode == RetentionMode::Apply {
            // Any the store forgot that were not planned (a case closed meanwhile).
            self.delete_files(
                &store.recordings.files,
                &mut handled,
                &mut files,
                Kind::Recording,
            );
            self.delete_files(
                &store.voice_messages.files,
                &mut handled,
                &mut files,
                Kind::VoiceMessage,
            );
        }
        Ok(Figures {
            at_ms: now.as_millis(),
            dry_run: mode == RetentionMode::DryRun,
            store,
            files,
        })
    }

    /// Keeps a completed run as the last one (the schedule counts from it).
    pub fn record(&self, figures: &Figures) {
        if let Err(e) = record_run(&self.data_dir, &self.policy, figures) {
            warn!(dir = %self.data_dir.display(), error = %e, "the retention run could not be recorded: the next start runs it again");
        }
    }

    /// Deletes each file not handled yet, if it lies in the recordings
    /// folder; counts what became of it.
    fn delete_files(
        &self,
        paths: &[String],
        handled: &mut HashSet<String>,
        out: &mut FilesDeleted,
        kind: Kind,
    ) {
        for path in paths {
            if !handled.insert(path.clone()) {
                continue;
            }
            match delete_recording(&self.recordings_dir, Path::new(path)) {
                Ok(true) => match kind {
                    Kind::Recording => out.recordings += 1,
                    Kind::VoiceMessage => out.voice_messages += 1,
                },
                Ok(false) => out.missing += 1,
                Err(reason) => {
                    warn!(
                        path,
                        reason,
                        "retention: a file past its window was not deleted; delete it by hand"
                    );
                    out.not_deleted += 1;
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Recording,
    VoiceMessage,
}

/// Deletes `path` if it lies inside `dir` (lexically, and once symbolic
/// links are followed): `Ok(true)` deleted, `Ok(false)` not there.
fn delete_recording(dir: &Path, path: &Path) -> Result<bool, String> {
    if path.components().any(|c| c == Component::ParentDir) {
        return Err("the path climbs out with ..".into());
    }
    let absolute = |p: &Path| std::path::absolute(p).map_err(|e| e.to_string());
    let (dir_abs, path_abs) = (absolute(dir)?, absolute(path)?);
    if !path_abs.starts_with(&dir_abs) || path_abs == dir_abs {
        return Err(format!("it is not inside {}", dir.display()));
    }
    match (std::fs::canonicalize(dir), std::fs::canonicalize(path)) {
        (_, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        (Ok(real_dir), Ok(real_path)) if !real_path.starts_with(&real_dir) => {
            return Err(format!("it leads out of {} by a link", dir.display()))
        }
        (Ok(_), Ok(_)) => {}
        (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

/// The figures of a run in one log line, and in `/metrics`.
fn report(policy: &Policy, figures: &Figures) {
    let s = &figures.store;
    let f = &figures.files;
    info!(
        at = %policy.local(Timestamp(figures.at_ms)),
        recordings_forgotten = s.recordings.forgotten,
        recordings_deleted = f.recordings,
        voice_messages_forgotten = s.voice_messages.forgotten,
        voice_messages_deleted = f.voice_messages,
        voice_messages_kept_for_open_cases = s.voice_messages.kept,
        files_missing = f.missing,
        files_not_deleted = f.not_deleted,
        calls_anonymised = s.calls.calls,
        events_anonymised = s.calls.events,
        calls_kept_for_open_callbacks = s.calls.kept_for_open_callbacks,
        unreadable_events = s.calls.unreadable_events,
        callbacks_deleted = s.calls.callbacks_deleted,
        audit_entries_deleted = s.audit_entries_deleted,
        "retention run done"
    );
    metrics::counter!("hotline_retention_runs_total", "outcome" => "completed").increment(1);
    metrics::counter!("hotline_retention_recordings_deleted_total").increment(f.recordings);
    metrics::counter!("hotline_retention_voice_messages_deleted_total").increment(f.voice_messages);
    metrics::counter!("hotline_retention_files_missing_total").increment(f.missing);
    metrics::counter!("hotline_retention_files_not_deleted_total").increment(f.not_deleted);
    metrics::counter!("hotline_retention_calls_anonymised_total").increment(s.calls.calls);
    metrics::counter!("hotline_retention_events_anonymised_total").increment(s.calls.events);
    metrics::counter!("hotline_retention_callbacks_deleted_total")
        .increment(s.calls.callbacks_deleted);
    metrics::counter!("hotline_retention_audit_entries_deleted_total")
        .increment(s.audit_entries_deleted);
    metrics::gauge!("hotline_retention_voice_messages_kept_for_open_cases")
        .set(s.voice_messages.kept as f64);
    metrics::gauge!("hotline_retention_last_run_timestamp_seconds")
        .set(figures.at_ms as f64 / 1000.0);
}

/// Every figure at zero before the first run, so that `/metrics` lists them.
fn register_metrics() {
    metrics::counter!("hotline_retention_runs_total", "outcome" => "completed").increment(0);
    metrics::counter!("hotline_retention_runs_total", "outcome" => "failed").increment(0);
    for name in [
        "hotline_retention_recordings_deleted_total",
        "hotline_retention_voice_messages_deleted_total",
        "hotline_retention_files_missing_total",
        "hotline_retention_files_not_deleted_total",
        "hotline_retention_calls_anonymised_total",
        "hotline_retention_events_anonymised_total",
        "hotline_retention_callbacks_deleted_total",
        "hotline_retention_audit_entries_deleted_total",
    ] {
        metrics::counter!(name).increment(0);
    }
}

/// How the daily job is audited.
fn job_context(now: Timestamp) -> AuditContext {
    AuditContext {
        actor: "system".into(),
        access: Access::Administration,
        reason: "the daily retention job".into(),
        at: now,
    }
}

/// The daily job: waits for the next run on `clock` (looking again at
/// least every `nap`, so a clock that jumps is followed), runs it, and
/// so on until the process stops.
pub fn spawn(
    retention: Retention,
    clock: Arc<dyn Clock>,
    nap: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        register_metrics();
        let policy = retention.policy.clone();
        let mut last = last_run(&retention.data_dir);
        info!(
            run_at = %policy.run_at.strftime("%H:%M"),
            time_zone = %policy.time_zone_name,
            last_run = %last.map_or_else(|| "never".to_owned(), |t| policy.local(t)),
            "retention: the daily job runs at run_at; a missed run is made at once"
        );
        loop {
            let now = clock.now();
            let due = policy.next_run(last);
            if now < due {
                let wait = Duration::from_millis((due.as_millis() - now.as_millis()) as u64);
                tokio::time::sleep(wait.min(nap)).await;
                continue;
            }
            match retention
                .run(now, RetentionMode::Apply, &job_context(now))
                .await
            {
                Ok(figures) => {
                    retention.record(&figures);
                    report(&policy, &figures);
                }
                Err(e) => {
                    metrics::counter!("hotline_retention_runs_total", "outcome" => "failed")
                        .increment(1);
                    warn!(error = %format!("{e:#}"), next = %policy.local(policy.next_run(Some(now))), "the retention run failed; it is made again at the next run");
                }
            }
            // Done or failed, the next attempt is the next scheduled run.
            last = Some(now);
        }
    })
}

/// `hotline retention run`: a `--now` given as RFC 3339 or as a date (its
/// local midnight in the policy's time zone).
pub fn parse_now(text: &str, policy: &Policy) -> anyhow::Result<Timestamp> {
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Ok(Timestamp(at.as_millisecond()));
    }
    let date: jiff::civil::Date = text.parse().with_context(|| {
        format!("--now {text:?} is neither a time like 2026-12-07T03:30:00+08:00 nor a date like 2026-12-07")
    })?;
    let midnight = date.to_zoned(policy.time_zone.clone()).with_context(|| {
        format!(
            "--now {text:?} has no midnight in {}",
            policy.time_zone_name
        )
    })?;
    Ok(Timestamp(midnight.timestamp().as_millisecond()))
}

/// Runs retention once for an operator and prints the figures.
pub async fn run_once(
    retention: &Retention,
    now: Option<Timestamp>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let clock = SystemClock.now();
    let now = now.unwrap_or(clock);
    // A later `now` forgets data before its time: only to look.
    if !dry_run && now.as_millis() > clock.as_millis() + 86_400_000 {
        bail!(
            "--now {} is after tomorrow: a run on it would delete data before its time; add --dry-run to see what it would do",
            retention.policy.local(now)
        );
    }
    let mode = if dry_run {
        RetentionMode::DryRun
    } else {
        RetentionMode::Apply
    };
    let actor = AuditContext {
        actor: "system".into(),
        access: Access::Administration,
        reason: "hotline retention run".into(),
        at: clock,
    };
    let figures = retention.run(now, mode, &actor).await?;
    // A run on another date is not the day's run: the schedule ignores it.
    if mode == RetentionMode::Apply && now == clock {
        retention.record(&figures);
    }
    for line in lines(&retention.policy, now, &figures) {
        outln!("{line}");
    }
    Ok(())
}

/// What `hotline retention run` prints.
fn lines(policy: &Policy, now: Timestamp, figures: &Figures) -> Vec<String> {
    let cut = policy.cutoffs(now);
    let s = &figures.store;
    let f = &figures.files;
    let verb = if figures.dry_run {
        "would forget"
    } else {
        "forgot"
    };
    let before = |at: Option<Timestamp>| {
        at.map_or_else(
            || "kept for ever".to_owned(),
            |t| format!("before {}", policy.local(t)),
        )
    };
    let mut out = vec![format!(
        "retention on {}{}:",
        policy.local(now),
        if figures.dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        }
    )];
    out.push(format!(
        "  conversation recordings ({}): {verb} {}",
        before(cut.recordings),
        s.recordings.forgotten
    ));
    out.push(format!(
        "  voice messages ({}): {verb} {}, kept {} of work orders still open",
        before(cut.voice_messages),
        s.voice_messages.forgotten,
        s.voice_messages.kept
    ));
    out.push(format!(
        "  callers' numbers ({}): {verb} those of {} calls ({} events), kept {} for open callbacks; {} closed callbacks {}",
        before(cut.call_personal),
        s.calls.calls,
        s.calls.events,
        s.calls.kept_for_open_callbacks,
        s.calls.callbacks_deleted,
        if figures.dry_run { "would be deleted" } else { "deleted" }
    ));
    if s.calls.unreadable_events > 0 {
        out.push(format!(
            "  {} events could not be read, so not redacted",
            s.calls.unreadable_events
        ));
    }
    out.push(format!(
        "  audit log ({}): {} entries {}",
        before(cut.audit),
        s.audit_entries_deleted,
        if figures.dry_run {
            "would be deleted"
        } else {
            "deleted"
        }
    ));
    if figures.dry_run {
        let files = s.recordings.files.len() + s.voice_messages.files.len();
        out.push(format!("  files that would be deleted: {files}"));
    } else {
        out.push(format!(
            "  files deleted: {} recordings, {} voice messages; {} already gone, {} not deleted (see the log)",
            f.recordings, f.voice_messages, f.missing, f.not_deleted
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn policy(zone: &str, run_at: &str) -> Policy {
        let config = RetentionConfig {
            run_at: run_at.into(),
            timezone: Some(zone.into()),
            ..RetentionConfig::default()
        };
        Policy::from_config(&config, "Asia/Shanghai").expect("a valid policy")
    }

    fn at(zoned: &str) -> Timestamp {
        let z: Zoned = zoned.parse().expect("a zoned time");
        Timestamp(z.timestamp().as_millisecond())
    }

    #[test]
    fn cutoffs_count_calendar_days_and_years_back_from_now() {
        let p = policy("Asia/Shanghai", "03:30");
        let cut = p.cutoffs(at("2026-11-22T03:30[Asia/Shanghai]"));
        assert_eq!(cut.recordings, Some(at("2026-08-24T03:30[Asia/Shanghai]")));
        assert_eq!(
            cut.voice_messages,
            Some(at("2025-11-22T03:30[Asia/Shanghai]"))
        );
        assert_eq!(
            cut.call_personal,
            Some(at("2025-11-22T03:30[Asia/Shanghai]"))
        );
        assert_eq!(cut.audit, Some(at("2023-11-22T03:30[Asia/Shanghai]")));
        // Across a change of the clocks a day is still a calendar day.
        let berlin = policy("Europe/Berlin", "03:30");
        let cut = berlin.cutoffs(at("2026-06-01T03:30[Europe/Berlin]"));
        assert_eq!(cut.recordings, Some(at("2026-03-03T03:30[Europe/Berlin]")));
    }

    #[test]
    fn zero_keeps_a_kind_for_ever() {
        let config = RetentionConfig {
            recordings_days: 0,
            audit_years: 0,
            ..RetentionConfig::default()
        };
        let p = Policy::from_config(&config, "Asia/Shanghai").unwrap();
        let cut = p.cutoffs(at("2026-11-22T03:30[Asia/Shanghai]"));
        assert_eq!((cut.recordings, cut.audit), (None, None));
        assert!(cut.voice_messages.is_some() && cut.call_personal.is_some());
    }

    #[test]
    fn the_next_run_is_the_first_run_at_after_the_last() {
        let p = policy("Asia/Shanghai", "03:30");
        assert_eq!(p.next_run(None), Timestamp(i64::MIN), "never ran: at once");
        assert_eq!(
            p.next_run(Some(at("2026-11-21T03:30[Asia/Shanghai]"))),
            at("2026-11-22T03:30[Asia/Shanghai]")
        );
        assert_eq!(
            p.next_run(Some(at("2026-11-22T01:00[Asia/Shanghai]"))),
            at("2026-11-22T03:30[Asia/Shanghai]"),
            "run by hand in the night: the day's run still comes"
        );
        assert_eq!(
            p.next_run(Some(at("2026-11-22T15:00[Asia/Shanghai]"))),
            at("2026-11-23T03:30[Asia/Shanghai]")
        );
        // 02:30 does not exist in Berlin on 29 March 2026: the run is at 03:30.
        let berlin = policy("Europe/Berlin", "02:30");
        assert_eq!(
            berlin.next_run(Some(at("2026-03-28T02:30[Europe/Berlin]"))),
            at("2026-03-29T03:30[Europe/Berlin]")
        );
    }

    #[test]
    fn bad_settings_name_the_key() {
        for (config, key) in [
            (
                RetentionConfig {
                    run_at: "3h30".into(),
                    ..RetentionConfig::default()
                },
                "retention.run_at",
            ),
            (
                RetentionConfig {
                    run_at: "24:00".into(),
                    ..RetentionConfig::default()
                },
                "retention.run_at",
            ),
            (
                RetentionConfig {
                    timezone: Some("Mars/Olympus".into()),
                    ..RetentionConfig::default()
                },
                "retention.timezone",
            ),
            (
                RetentionConfig {
                    recordings_days: 100_000,
                    ..RetentionConfig::default()
                },
                "retention.recordings_days",
            ),
        ] {
            let err = format!(
                "{:#}",
                Policy::from_config(&config, "Asia/Shanghai").unwrap_err()
            );
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn now_is_a_time_or_a_local_date() {
        let p = policy("Asia/Shanghai", "03:30");
        assert_eq!(
            parse_now("2026-12-07T03:30:00+08:00", &p).unwrap(),
            at("2026-12-07T03:30[Asia/Shanghai]")
        );
        assert_eq!(
            parse_now("2026-12-07", &p).unwrap(),
            at("2026-12-07T00:00[Asia/Shanghai]")
        );
        let err = parse_now("yesterday", &p).unwrap_err().to_string();
        assert!(err.contains("--now"), "{err}");
    }

    #[test]
    fn only_files_inside_the_recordings_folder_are_deleted() {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().join("recordings");
        std::fs::create_dir_all(&dir).unwrap();
        let inside = dir.join("a.wav");
        std::fs::write(&inside, b"RIFF").unwrap();
        let outside = data.path().join("hotline.db");
        std::fs::write(&outside, b"db").unwrap();
        let link = dir.join("link.wav");
        std::os::unix::fs::symlink(&outside, &link).unwrap();

        assert_eq!(delete_recording(&dir, &inside), Ok(true));
        assert!(!inside.exists());
        assert_eq!(delete_recording(&dir, &inside), Ok(false), "gone: counted");
        assert!(delete_recording(&dir, &outside).is_err());
        assert!(delete_recording(&dir, &dir.join("../hotline.db")).is_err());
        assert!(delete_recording(&dir, &link).is_err());
        assert!(delete_recording(&dir, &dir).is_err());
        assert!(outside.exists(), "nothing outside was touched");
    }

    /// A clock a test sets.
    struct Simulated(Mutex<Timestamp>);

    impl Clock for Simulated {
        fn now(&self) -> Timestamp {
            *self.0.lock().unwrap()
        }
    }

    async fn store_in(dir: &Path) -> Store {
        let url = format!("sqlite://{}", dir.join("hotline.db").display());
        Store::connect_with(
            &url,
            hotline_store::StoreOptions::new(*b"retention-test-key-0123456789ab!"),
        )
        .await
        .unwrap()
    }

    /// A call of `start` whose conversation was recorded to `file`.
    async fn recorded_call(store: &Store, start: Timestamp, file: &Path) -> hotline_types::CallId {
        use hotline_types::{CallEvent, CallEventRecord, CallId};
        std::fs::write(file, b"RIFF").unwrap();
        let call = CallId::new();
        let events = [
            CallEvent::CallStarted {
                caller: "13800138000".into(),
                called: "12345".into(),
                sip_call_id: "x@test".into(),
                node: None,
                linked_call: None,
            },
            CallEvent::RecordingStarted {
                recording: file.display().to_string(),
            },
        ]
        .map(|e| CallEventRecord::new(call, start, e));
        store.append_events(&events).await.unwrap();
        call
    }

    async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        for _ in 0..500 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{what} never happened");
    }

    #[tokio::test]
    async fn the_job_runs_at_run_at_on_a_simulated_date() {
        let data = tempfile::tempdir().unwrap();
        let store = store_in(data.path()).await;
        let p = policy("Asia/Shanghai", "03:30");
        let retention = Retention::new(store.clone(), p.clone(), data.path());
        std::fs::create_dir_all(&retention.recordings_dir).unwrap();
        let old = retention.recordings_dir.join("old.wav");
        let call = recorded_call(&store, at("2026-08-01T10:00[Asia/Shanghai]"), &old).await;
        // It ran yesterday at 03:30; it is 03:29.
        let yesterday = Figures {
            at_ms: at("2026-11-21T03:30[Asia/Shanghai]").as_millis(),
            dry_run: false,
            store: RetentionReport::default(),
            files: FilesDeleted::default(),
        };
        record_run(data.path(), &p, &yesterday).unwrap();
        let clock = Arc::new(Simulated(Mutex::new(at("2026-11-22T03:29[Asia/Shanghai]"))));
        let job = spawn(retention, clock.clone(), Duration::from_millis(5));

        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(old.exists(), "not before 03:30");
        assert_eq!(last_run(data.path()), Some(Timestamp(yesterday.at_ms)));

        *clock.0.lock().unwrap() = at("2026-11-22T03:31[Asia/Shanghai]");
        wait_for("the 03:30 run", || {
            last_run(data.path()) == Some(at("2026-11-22T03:31[Asia/Shanghai]"))
        })
        .await;
        assert!(!old.exists(), "the recording of 1 August is past 90 days");
        assert_eq!(
            store.call_record(call).await.unwrap().unwrap().recording,
            None
        );
        assert!(!job.is_finished());
        job.abort();
    }

    #[tokio::test]
    async fn a_database_that_is_down_is_tried_again_at_the_next_run() {
        let data = tempfile::tempdir().unwrap();
        let mut options = hotline_store::StoreOptions::new(*b"retention-test-key-0123456789ab!");
        options.connect_timeout = Duration::from_millis(200);
        // Nothing listens on port 1.
        let store = Store::connect_lazy_with("postgres://hotline@127.0.0.1:1/hotline", options)
            .await
            .unwrap();
        let p = policy("Asia/Shanghai", "03:30");
        let retention = Retention::new(store, p, data.path());
        let now = at("2026-11-22T09:00[Asia/Shanghai]");
        let err = retention
            .run(now, RetentionMode::Apply, &job_context(now))
            .await
            .unwrap_err();
        assert!(
            err.downcast_ref::<hotline_store::StoreError>()
                .is_some_and(|e| e.is_database_down()),
            "{err:#}"
        );
        // The job: it tries at once (it never ran), fails, and waits.
        let clock = Arc::new(Simulated(Mutex::new(now)));
        let job = spawn(retention, clock, Duration::from_millis(5));
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(!job.is_finished(), "the job goes on");
        assert_eq!(last_run(data.path()), None, "a failed run is not recorded");
        job.abort();
    }
}
