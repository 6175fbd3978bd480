//! Hotline's call-log store and shared citizen record, on sqlx.
//!
//! Owns: the database schema (`migrations/sqlite`, `migrations/postgres`,
//! same versions), the append-only call-event log and the call records
//! derived from it, the batching [`EventWriter`] with its on-disk spool,
//! citizens, cases, work orders (each one's append-only log and the `cases`
//! row projected from it: [`Store::create_work_order`],
//! [`Store::act_on_order`], [`Store::department_inbox`]), the callback
//! list (each open callback worked by one node of a centre), the nodes'
//! leases and the take-over of a node that died (`nodes`), users and their SIP phone accounts (digest hashes only), the audit
//! log (search terms masked and keyed-hashed), privacy operations (export,
//! erasure, retention) and the data-protection requests with their receipts
//! (`rights`: access archive, rectification, restriction, erasure of the
//! files too), statistics queries and synthetic seed data.
//!
//! Must not touch: SIP, media, IVR or ACD logic (it depends only on
//! `hotline-types` and the sans-IO `hotline-orders`), nor the decisions of
//! the call controller or the order core: it records what the other crates
//! decided, it does not decide.
//!
//! Backends: an SQLite file (WAL, created and migrated on first start; the
//! default) or PostgreSQL (`postgres://` URL; several nodes may share it).
//! Both run the same SQL and pass the same conformance tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hotline_store::StoreError> {
//! use hotline_store::{EventWriter, EventWriterOptions, Store};
//! let store = Store::connect("sqlite://hotline.db", *b"0123456789abcdef-secret").await?;
//! let events = EventWriter::spawn(store.clone(), "spool", EventWriterOptions::default());
//! # let record: hotline_types::CallEventRecord = todo!();
//! let accepted = events.submit(record); // never waits
//! events.shutdown().await.ok();
//! # Ok(()) }
//! ```

mod audit;
mod backup;
mod callbacks;
mod cases;
mod centre;
mod citizens;
mod db;
mod error;
mod events;
mod ivr_consents;
mod nodes;
mod order_lists;
mod order_report;
mod orders;
mod phones;
mod privacy;
mod retention;
mod rights;
mod search;
mod seed;
mod stats;
mod users;
mod writer;

pub use audit::{Access, AuditContext, AuditEntry, SearchTerms};
pub use callbacks::{
    Callback, CallbackKind, CallbackStatus, CallbackUpdate, NewCallback, MAX_CALLBACKS_LISTED,
};
pub use cases::{CaseDetail, CaseNote, CaseStatus, CaseStatusInfo, CaseSummary, NewCase};
pub use centre::{BusListener, BusSender, Heard, Leadership, Registration};
pub use citizens::{
    normalize_phone, CallSummary, Citizen, CitizenRecord, Consent, NewCitizen, SCREEN_POP_CALLS,
};
pub use db::{migration_versions, Backend, Store, StoreOptions};
pub use error::{Result, StoreError};
pub use events::{AppendOutcome, CallRecord};
pub use nodes::{NodeLease, TakeOver};
pub use order_lists::{
    FollowUpDue, InboxCounts, InboxCursor, InboxPage, InboxQuery, OrderLine, PublicOrder,
    PublicOrderQuery, MAX_ORDERS_LISTED,
};
pub use order_report::{
    CloseTimes, OrderBucket, OrderFigureSlots, OrderFigures, OrderGrouping, OrderReportQuery,
    OrderReportRow,
};
pub use orders::{
    case_status_of, AttachmentData, AttachmentRead, MergedOrders, NewWorkOrder, StoredOrder,
    TakenDown, ACT_ATTEMPTS, ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES,
};
pub use phones::{digest_algorithm, PhoneAccount, PHONE_SECRET_CHARS};
pub use privacy::ErasureReport;
pub use retention::{
    CallsAnonymised, FilesExpired, RetentionCutoffs, RetentionMode, RetentionReport, ERASED,
    EXPIRED, RETENTION_BATCH,
};
pub use rights::{check_request_ref, DataFiles, FileOutcome, Receipt, Rectification, RequestKind};
pub use search::{MAX_SEARCH_RESULTS, MIN_SEARCH_CHARS};
pub use seed::{seed, seed_phone, SeedOptions, SeedReport};
pub use stats::{
    AgentFigures, AgentRow, AgentStateRecord, Bucket, CaseRow, IvrFigures, IvrGrouping, IvrRow,
    OccupancyRow, QueueFigures, QueueGrouping, QueueRow, QueueSegment, RebuildReport, ReportQuery,
    SegmentOutcome, StatsGrouping, StatsOptions, StatsRow, SurveyFigures, Thresholds, AGENT_STATES,
    IVR_NOT_REACHED, IVR_STOPPED_THERE, TOTAL_KEY, UNASSIGNED_DEPARTMENT,
};
pub use users::{
    generated_secret, NewUser, Role, Skill, User, MIN_PASSWORD_CHARS, ONE_TIME_PASSWORD_CHARS,
};
pub use writer::{
    CloseOut, EventWriter, EventWriterHandle, EventWriterOptions, WriterError, WriterStats,
    SPOOL_FILE_NAME,
};
