//! The batching event writer: the call path hands events over without ever
//! waiting on the database.
//!
//! [`EventWriterHandle::submit`] puts an event on a bounded channel and
//! returns at once. One task drains the channel in batches (everything
//! waiting, up to `max_batch`) and writes each batch in one transaction
//! (on PostgreSQL, `transactions_per_batch` at once, the calls split
//! between them).
//! When the database fails, the batch is appended to a local spool file
//! (JSON lines, fsync'd per batch) and from then on new batches go to the
//! spool too, so order is kept; every `retry_interval` the spool is replayed
//! from the start, and once all of it is in the database the file is
//! removed. Replays are harmless because inserts are idempotent by event id.
//!
//! The spool also takes bursts: when more than `high_water` events wait in
//! the channel (the database is up but slower than the calls), everything
//! waiting is appended to the spool in one write, which is far quicker than
//! a database transaction, so the channel drains instead of filling up and
//! refusing. The spool is replayed into the database once the backlog is
//! below a quarter of the mark again.
//!
//! Durability contract: an event is *acknowledged* when a later
//! [`EventWriterHandle::flush`] returns `Ok`; from then on it is in the
//! database or in the fsync'd spool, and a new writer started on the same
//! spool directory (after a crash) writes it exactly once.
//!
//! This module owns the spool file and the writer task; it must not decide
//! anything about calls (the call record logic is in `events`).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hotline_types::CallEventRecord;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Result, StoreError};
use crate::Store;

/// The spool file's name inside the spool directory.
pub const SPOOL_FILE_NAME: &str = "call-events.spool.jsonl";

/// Tuning of the writer. The defaults suit a hotline node.
#[derive(Debug, Clone)]
pub struct EventWriterOptions {
    /// Events held in memory before `submit` starts refusing (bounded memory).
    pub channel_capacity: usize,
    /// Largest number of events written in one batch.
    pub max_batch: usize,
    /// PostgreSQL: a batch is written as this many transactions at once,
    /// its calls split between them (each call's events stay in one; see
    /// [`Store::append_events_split`]). The database server then inserts
    /// on as many cores; one transaction kept one busy and the others idle.
    /// SQLite has one writer at a time and ignores it.
    pub transactions_per_batch: usize,
    /// Events waiting in the channel above which batches go to the spool
    /// (a burst the database cannot absorb). Default: half the capacity.
    pub high_water: usize,
    /// How long to wait before retrying the database while spooling.
    pub retry_interval: Duration,
    /// A batch the database has not taken within this time is spooled
    /// instead (a database that has gone away makes the pool keep trying to
    /// connect; the calls must not wait for that). Writing the same events
    /// again later is harmless: they are deduplicated by id.
    pub write_timeout: Duration,
    /// On start (after replaying the spool), close calls left open by a
    /// crashed process. `Some(node)` closes only that node's calls.
    pub close_out_crashed_calls: Option<CloseOut>,
}

/// Which open calls to close out on start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseOut {
    /// Every open call: a single-node hotline.
    AllNodes,
    /// Only calls taken by this node: several nodes share the database.
    Node(String),
}

impl Default for EventWriterOptions {
    fn default() -> Self {
        Self {
            channel_capacity: 65_536,
            max_batch: 2_000,
            transactions_per_batch: 2,
            high_water: 32_768,
            retry_interval: Duration::from_secs(1),
            write_timeout: Duration::from_secs(2),
            close_out_crashed_calls: Some(CloseOut::AllNodes),
        }
    }
}

/// Counters of a writer, readable at any time from any handle.
#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    refused: AtomicU64,
    written: AtomicU64,
    duplicates: AtomicU64,
    spooled: AtomicU64,
    spooled_for_backlog: AtomicU64,
    pending_in_spool: AtomicU64,
    batches: AtomicU64,
}

/// A snapshot of a writer's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriterStats {
    /// Events taken by `submit`.
    pub accepted: u64,
    /// Events refused by `submit` because the channel was full or the writer gone.
    pub refused: u64,
    /// Events written to the database for the first time (direct or replayed).
    pub written: u64,
    /// Events that were already in the database when written (replays).
    pub duplicates: u64,
    /// Events appended to the spool file.
    pub spooled: u64,
    /// Of those, events spooled because the backlog passed the high-water
    /// mark (the database was up but slower than the calls).
    pub spooled_for_backlog: u64,
    /// Events in the spool file that are not known to be in the database yet.
    pub pending_in_spool: u64,
    /// Transactions attempted.
    pub batches: u64,
}

enum Message {
    Event(Box<CallEventRecord>),
    Flush(oneshot::Sender<Result<WriterStats, String>>),
    Shutdown(oneshot::Sender<Result<WriterStats, String>>),
}

enum Control {
    Flush(oneshot::Sender<Result<WriterStats, String>>),
    Shutdown(oneshot::Sender<Result<WriterStats, String>>),
}

/// The writer task's entry point; see the module docs.
#[derive(Debug)]
pub struct EventWriter;

/// A cheap, cloneable handle to the writer task.
#[derive(Debug, Clone)]
pub struct EventWriterHandle {
    tx: mpsc::Sender<Message>,
    counters: Arc<Counters>,
}

/// Why a flush or shutdown could not confirm durability.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriterError {
    /// The writer task is not running any more.
    #[error("the event writer has stopped")]
    Stopped,
    /// Neither the database nor the spool file could take the events.
    #[error("events could not be made durable: {detail}")]
    NotDurable { detail: String },
}

impl EventWriter {
    /// Starts the writer task on the current tokio runtime. The spool
    /// directory is created if missing; a spool left by a previous process
    /// is replayed first.
    pub fn spawn(
        store: Store,
        spool_dir: impl Into<PathBuf>,
        options: EventWriterOptions,
    ) -> EventWriterHandle {
        let (tx, rx) = mpsc::channel(options.channel_capacity.max(1));
        let counters = Arc::new(Counters::default());
        let task = WriterTask {
            store,
            spool_path: spool_dir.into().join(SPOOL_FILE_NAME),
            options,
            counters: counters.clone(),
            rx,
            last_error: None,
            last_replay_attempt: tokio::time::Instant::now(),
            deferred: Vec::new(),
            replayed_lines: 0,
        };
        tokio::spawn(task.run());
        EventWriterHandle { tx, counters }
    }
}

impl EventWriterHandle {
    /// Hands an event to the writer without waiting. Returns `false` when
    /// the writer is saturated or stopped (the event is not taken; the
    /// caller logs it and carries on: a call never waits on the store).
    pub fn submit(&self, record: CallEventRecord) -> bool {
        match self.tx.try_send(Message::Event(Box::new(record))) {
            Ok(()) => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Waits until every event submitted before this call is in the
    /// database or in the fsync'd spool.
    pub async fn flush(&self) -> Result<WriterStats, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Message::Flush(reply))
            .await
            .map_err(|_| WriterError::Stopped)?;
        match answer.await {
            Ok(Ok(stats)) => Ok(stats),
            Ok(Err(detail)) => Err(WriterError::NotDurable { detail }),
            Err(_) => Err(WriterError::Stopped),
        }
    }

    /// Writes everything submitted so far, tries the spool one last time,
    /// and stops the task. Other handles' later submits are refused.
    pub async fn shutdown(self) -> Result<WriterStats, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Message::Shutdown(reply))
            .await
            .map_err(|_| WriterError::Stopped)?;
        match answer.await {
            Ok(Ok(stats)) => Ok(stats),
            Ok(Err(detail)) => Err(WriterError::NotDurable { detail }),
            Err(_) => Err(WriterError::Stopped),
        }
    }

    /// The writer's counters now.
    pub fn stats(&self) -> WriterStats {
        self.counters.snapshot()
    }
}

impl Counters {
    fn snapshot(&self) -> WriterStats {
        WriterStats {
            accepted: self.accepted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            spooled: self.spooled.load(Ordering::Relaxed),
            spooled_for_backlog: self.spooled_for_backlog.load(Ordering::Relaxed),
            pending_in_spool: self.pending_in_spool.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
        }
    }
}

struct WriterTask {
    store: Store,
    spool_path: PathBuf,
    options: EventWriterOptions,
    counters: Arc<Counters>,
    rx: mpsc::Receiver<Message>,
    /// Set when the last spool append failed: durability is not assured.
    last_error: Option<String>,
    /// When the database was last tried while spooling.
    last_replay_attempt: tokio::time::Instant,
    /// Flush/shutdown requests taken out of the channel with a burst,
    /// answered after it was written.
    deferred: Vec<Control>,
    /// Spool lines already in the database: a replay interrupted by new
    /// events resumes after them (the file only grows until it is removed).
    replayed_lines: u64,
}

impl WriterTask {
    async fn run(mut self) {
        let pending = match count_spool_lines(self.spool_path.clone()).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the event spool; events in it are not replayed");
                0
            }
        };
        self.counters
            .pending_in_spool
            .store(pending, Ordering::Relaxed);
        if pending > 0 {
            tracing::warn!(pending, spool = %self.spool_path.display(), "replaying events spooled by an earlier run");
            self.try_replay().await;
        }
        let mut close_out = self.options.close_out_crashed_calls.clone();
        if self.spooling() {
            tracing::warn!(
                "database unavailable at start; crashed calls are closed out once it is back"
            );
        } else if let Some(which) = close_out.take() {
            self.close_out(&which).await;
        }

        let mut batch: Vec<CallEventRecord> = Vec::with_capacity(self.options.max_batch);
        loop {
            let first = if self.spooling() {
                match tokio::time::timeout(self.options.retry_interval, self.rx.recv()).await {
                    Ok(message) => message,
                    Err(_elapsed) => {
                        self.try_replay().await;
                        if !self.spooling() {
                            if let Some(which) = close_out.take() {
                                self.close_out(&which).await;
                            }
                        }
                        continue;
                    }
                }
            } else {
                self.rx.recv().await
            };
            let Some(first) = first else {
                // Every handle is gone: write what is left and stop.
                self.write_batch(&mut batch).await;
                return;
            };
            let mut control = None;
            match first {
                Message::Event(e) => batch.push(*e),
                Message::Flush(reply) => control = Some(Control::Flush(reply)),
                Message::Shutdown(reply) => control = Some(Control::Shutdown(reply)),
            }
            while control.is_none() && batch.len() < self.options.max_batch {
                match self.rx.try_recv() {
                    Ok(Message::Event(e)) => batch.push(*e),
                    Ok(Message::Flush(reply)) => control = Some(Control::Flush(reply)),
                    Ok(Message::Shutdown(reply)) => control = Some(Control::Shutdown(reply)),
                    Err(_) => break,
                }
            }
            self.write_batch(&mut batch).await;
            // Requests a burst took out of the channel: everything before
            // them is written now.
            for early in std::mem::take(&mut self.deferred) {
                match early {
                    Control::Flush(reply) => {
                        let _ = reply.send(self.durability());
                    }
                    shutdown @ Control::Shutdown(_) => {
                        if let Some(Control::Flush(reply)) = control.take() {
                            let _ = reply.send(self.durability());
                        }
                        control = Some(shutdown);
                    }
                }
            }
            match control {
                None => {}
                Some(Control::Flush(reply)) => {
                    let _ = reply.send(self.durability());
                }
                Some(Control::Shutdown(reply)) => {
                    // Take what other handles submitted before the shutdown.
                    while let Ok(message) = self.rx.try_recv() {
                        if let Message::Event(e) = message {
                            batch.push(*e);
                            if batch.len() >= self.options.max_batch {
                                self.write_batch(&mut batch).await;
                            }
                        }
                    }
                    self.write_batch(&mut batch).await;
                    if self.spooling() {
                        self.try_replay().await;
                    }
                    let pending = self.counters.pending_in_spool.load(Ordering::Relaxed);
                    if pending > 0 {
                        tracing::warn!(pending, spool = %self.spool_path.display(), "stopping with events in the spool; the next start replays them");
                    }
                    let _ = reply.send(self.durability());
                    return;
                }
            }
        }
    }

    /// One batch into the database, bounded by `write_timeout`.
    async fn append(&self, events: &[CallEventRecord]) -> Result<crate::AppendOutcome> {
        let write = self
            .store
            .append_events_split(events, self.options.transactions_per_batch);
        match tokio::time::timeout(self.options.write_timeout, write).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable {
                detail: format!(
                    "no answer within {} ms",
                    self.options.write_timeout.as_millis()
                ),
            }),
        }
    }

    fn spooling(&self) -> bool {
        self.counters.pending_in_spool.load(Ordering::Relaxed) > 0
    }

    fn durability(&self) -> Result<WriterStats, String> {
        match &self.last_error {
            Some(e) => Err(e.clone()),
            None => Ok(self.counters.snapshot()),
        }
    }

    async fn close_out(&mut self, which: &CloseOut) {
        let node = match which {
            CloseOut::AllNodes => None,
            CloseOut::Node(n) => Some(n.as_str()),
        };
        match self.store.close_out_crashed_calls(node).await {
            Ok(closed) if !closed.is_empty() => {
                tracing::warn!(
                    calls = closed.len(),
                    "closed out calls left open by a crashed process"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "closing out crashed calls failed"),
        }
    }

    /// Writes the batch to the database, or to the spool when the database
    /// fails or older events are still waiting in the spool.
    async fn write_batch(&mut self, batch: &mut Vec<CallEventRecord>) {
        if batch.is_empty() {
            return;
        }
        let mut events = std::mem::take(batch);
        let high_water = self.options.high_water.max(1);
        if self.rx.len() > high_water {
            // A burst: take everything waiting and append it in one write.
            while let Ok(message) = self.rx.try_recv() {
                match message {
                    Message::Event(e) => events.push(*e),
                    // Put a control message back in line by answering it
                    // after this write: it only asks about durability.
                    Message::Flush(reply) => self.deferred.push(Control::Flush(reply)),
                    Message::Shutdown(reply) => {
                        self.deferred.push(Control::Shutdown(reply));
                        break;
                    }
                }
            }
            if !self.spooling() {
                tracing::warn!(
                    waiting = events.len(),
                    high_water,
                    "the database is slower than the calls: spooling the backlog to disk"
                );
            }
            self.counters
                .spooled_for_backlog
                .fetch_add(events.len() as u64, Ordering::Relaxed);
            self.spool(&events).await;
            *batch = reuse(events);
            return;
        }
        // Events keep coming while spooling, so the retry cannot wait for
        // an idle moment; but it waits for the backlog to shrink.
        if self.spooling()
            && self.last_replay_attempt.elapsed() >= self.options.retry_interval
            && self.rx.len() <= high_water / 4
        {
            self.try_replay().await;
        }
        if !self.spooling() {
            self.counters.batches.fetch_add(1, Ordering::Relaxed);
            match self.append(&events).await {
                Ok(outcome) => {
                    self.counters
                        .written
                        .fetch_add(outcome.inserted as u64, Ordering::Relaxed);
                    self.counters
                        .duplicates
                        .fetch_add(outcome.duplicates as u64, Ordering::Relaxed);
                    *batch = reuse(events);
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, events = events.len(), spool = %self.spool_path.display(), "database write failed; spooling events to disk until it is back");
                }
            }
        }
        self.spool(&events).await;
        *batch = reuse(events);
    }

    async fn spool(&mut self, events: &[CallEventRecord]) {
        let mut lines = Vec::with_capacity(events.len() * 200);
        for e in events {
            // A CallEventRecord always serialises (strings, numbers, enums).
            if let Ok(json) = serde_json::to_vec(e) {
                lines.extend_from_slice(&json);
                lines.push(b'\n');
            }
        }
        let path = self.spool_path.clone();
        let result = tokio::task::spawn_blocking(move || append_and_sync(&path, &lines))
            .await
            .unwrap_or_else(|join| {
                Err(StoreError::Spool {
                    path: PathBuf::new(),
                    source: std::io::Error::other(join.to_string()),
                })
            });
        match result {
            Ok(()) => {
                let n = events.len() as u64;
                self.counters.spooled.fetch_add(n, Ordering::Relaxed);
                let pending = self
                    .counters
                    .pending_in_spool
                    .fetch_add(n, Ordering::Relaxed)
                    + n;
                tracing::info!(pending, "events pending in the spool");
                self.last_error = None;
            }
            Err(e) => {
                tracing::error!(error = %e, events = events.len(), "database and spool both failed: these events are lost");
                self.last_error = Some(e.to_string());
            }
        }
    }

    /// Writes the whole spool to the database, in order, in batches. On
    /// success the file is removed; on failure it is kept whole (what was
    /// written already is skipped next time by event id).
    async fn try_replay(&mut self) {
        self.last_replay_attempt = tokio::time::Instant::now();
        let path = self.spool_path.clone();
        let max_batch = self.options.max_batch.max(1);
        let (batches_tx, mut batches_rx) = mpsc::channel::<Result<SpoolBatch>>(2);
        // Reading happens on a blocking thread; two batches in flight at most.
        let skip = self.replayed_lines;
        let reader =
            tokio::task::spawn_blocking(move || read_spool(&path, max_batch, skip, batches_tx));
        let mut replayed = 0u64;
        let mut failed = false;
        let mut paused = false;
        while let Some(batch) = batches_rx.recv().await {
            let (batch, lines) = match batch {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the event spool");
                    failed = true;
                    break;
                }
            };
            self.counters.batches.fetch_add(1, Ordering::Relaxed);
            match self.append(&batch).await {
                Ok(outcome) => {
                    replayed += batch.len() as u64;
                    self.replayed_lines += lines;
                    let _ = self.counters.pending_in_spool.fetch_update(
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                        |p| Some(p.saturating_sub(batch.len() as u64).max(1)),
                    );
                    self.counters
                        .written
                        .fetch_add(outcome.inserted as u64, Ordering::Relaxed);
                    self.counters
                        .duplicates
                        .fetch_add(outcome.duplicates as u64, Ordering::Relaxed);
                    // New events are waiting: take them first, carry on
                    // from this line at the next attempt.
                    if self.rx.len() > self.options.high_water.max(1) / 2 {
                        paused = true;
                        break;
                    }
                }
                Err(e) => {
                    let pending = self.counters.pending_in_spool.load(Ordering::Relaxed);
                    tracing::warn!(error = %e, pending, "database still unavailable; events stay in the spool");
                    failed = true;
                    break;
                }
            }
        }
        drop(batches_rx);
        let _ = reader.await;
        if failed || paused {
            return;
        }
        let path = self.spool_path.clone();
        match tokio::task::spawn_blocking(move || remove_spool(&path)).await {
            Ok(Ok(())) => {
                self.replayed_lines = 0;
                self.counters.pending_in_spool.store(0, Ordering::Relaxed);
                if replayed > 0 {
                    tracing::info!(
                        replayed,
                        "spool replayed into the database; writing directly again"
                    );
                }
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "spool replayed but could not be removed; it will be replayed again (harmless)")
            }
            Err(e) => tracing::error!(error = %e, "spool removal task failed"),
        }
    }
}

fn reuse(mut v: Vec<CallEventRecord>) -> Vec<CallEventRecord> {
    v.clear();
    v
}

fn spool_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Spool {
        path: path.to_owned(),
        source,
    }
}

fn append_and_sync(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| spool_error(dir, e))?;
    }
    let existed = path.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| spool_error(path, e))?;
    file.write_all(bytes).map_err(|e| spool_error(path, e))?;
    file.sync_data().map_err(|e| spool_error(path, e))?;
    if !existed {
        sync_dir(path)?;
    }
    Ok(())
}

/// Makes a file's creation or removal durable.
fn sync_dir(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| spool_error(dir, e))?;
    }
    Ok(())
}

fn remove_spool(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => sync_dir(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(spool_error(path, e)),
    }
}

async fn count_spool_lines(path: PathBuf) -> Result<u64> {
    tokio::task::spawn_blocking(move || {
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(spool_error(&path, e)),
        };
        let mut n = 0u64;
        for line in BufReader::new(file).split(b'\n') {
            let line = line.map_err(|e| spool_error(&path, e))?;
            if !line.is_empty() {
                n += 1;
            }
        }
        Ok(n)
    })
    .await
    .unwrap_or(Ok(0))
}

/// Streams the spool in batches. A line that does not parse is skipped
/// with a warning: only the last line can be torn (a crash during an
/// append), and such an event was never acknowledged.
/// A batch read from the spool and how many lines it used.
type SpoolBatch = (Vec<CallEventRecord>, u64);

/// Reads the spool from line `skip` on, in batches of `max_batch` events.
fn read_spool(path: &Path, max_batch: usize, skip: u64, out: mpsc::Sender<Result<SpoolBatch>>) {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            let _ = out.blocking_send(Err(spool_error(path, e)));
            return;
        }
    };
    let mut batch = Vec::with_capacity(max_batch);
    let mut lines: u64 = 0;
    for (number, line) in BufReader::new(file).split(b'\n').enumerate() {
        if (number as u64) < skip {
            continue;
        }
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                let _ = out.blocking_send(Err(spool_error(path, e)));
                return;
            }
        };
        lines += 1;
        if !line.is_empty() {
            match serde_json::from_slice::<CallEventRecord>(&line) {
                Ok(record) => batch.push(record),
                Err(e) => {
                    tracing::warn!(line = number + 1, error = %e, "skipping an unreadable spool line (torn by a crash?)");
                }
            }
        }
        if batch.len() >= max_batch {
            if out
                .blocking_send(Ok((std::mem::take(&mut batch), lines)))
                .is_err()
            {
                return;
            }
            lines = 0;
            batch.reserve(max_batch);
        }
    }
    if !batch.is_empty() || lines > 0 {
        let _ = out.blocking_send(Ok((batch, lines)));
    }
}
