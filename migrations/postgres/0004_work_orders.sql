-- Hotline store, work orders (PostgreSQL). Keep tables and columns in step
-- with ../sqlite/0004_work_orders.sql: a test compares the two.
--
-- A work order (crate hotline-orders) is its append-only log in
-- case_events. Its cases row, with the same case_ref as ever, is the
-- projection of the folded order: rewritten by the store in the
-- transaction that appends (crates/hotline-store/src/orders.rs), never
-- edited by hand, and read by inboxes, overdue lists, follow-up lists and
-- reports. status keeps today's meaning for the case statistics (the phase
-- mapped onto it, see docs/statistics.md).
--
-- Rows without events (event_count = 0: every case created before this
-- migration, and those still opened with Store::create_case) are legacy
-- cases: they keep today's columns and API, and their new columns stay
-- empty. No event is invented for them.

-- Events in the order's log; the version an append expects (0: legacy).
ALTER TABLE cases ADD COLUMN event_count BIGINT NOT NULL DEFAULT 0;
-- new | dispatched | in_progress | returned | replied | closed |
-- followed_up | reopened | merged
ALTER TABLE cases ADD COLUMN phase TEXT;
-- call | voice_message | web | email | other
ALTER TABLE cases ADD COLUMN channel TEXT;
ALTER TABLE cases ADD COLUMN district TEXT;
ALTER TABLE cases ADD COLUMN street TEXT;
ALTER TABLE cases ADD COLUMN address TEXT;
-- WGS-84 degrees, when given.
ALTER TABLE cases ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE cases ADD COLUMN longitude DOUBLE PRECISION;
-- The agent who took the order down.
ALTER TABLE cases ADD COLUMN created_by TEXT;
-- The handler who accepted it, while it is with them.
ALTER TABLE cases ADD COLUMN handler TEXT;
-- 1 while a reply stands (the text is in the log only).
ALTER TABLE cases ADD COLUMN replied BIGINT NOT NULL DEFAULT 0;
-- 1 while an extension request waits for a supervisor.
ALTER TABLE cases ADD COLUMN extension_pending BIGINT NOT NULL DEFAULT 0;
-- 1 when closed during the call (直接办结).
ALTER TABLE cases ADD COLUMN resolved_on_call BIGINT NOT NULL DEFAULT 0;
-- The core's on-time figure of the latest close: 1 or 0, empty while not closed.
ALTER TABLE cases ADD COLUMN closed_on_time BIGINT;
-- When the follow-up calls of the latest close are due, and how many
-- reporters are still to be called.
ALTER TABLE cases ADD COLUMN follow_up_due_at_ms BIGINT;
ALTER TABLE cases ADD COLUMN follow_ups_awaited BIGINT NOT NULL DEFAULT 0;
-- Counters (hotline_orders::Counters); they never decrease.
ALTER TABLE cases ADD COLUMN returns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN redispatches BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN urges BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN extensions_requested BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN extensions_approved BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN extensions_refused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN reopens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN follow_ups BIGINT NOT NULL DEFAULT 0;

-- A department's inbox (and its overdue list), most urgent first.
CREATE INDEX cases_inbox ON cases (department, phase, deadline_at_ms);
-- Overdue orders of every department.
CREATE INDEX cases_by_phase_deadline ON cases (phase, deadline_at_ms);
-- Follow-up calls due.
CREATE INDEX cases_follow_ups_due ON cases (phase, follow_up_due_at_ms);

-- The order's log: seq counts its events from 1 without gaps; kind is the
-- event's kind, payload its hotline_orders::OrderChange as JSON (with the
-- kind), at_ms and actor its time and author. Appended only, by the store,
-- after the order's row was moved on from the version it was decided on
-- (optimistic concurrency: the primary key refuses a second writer too).
-- Erasing a citizen blanks the texts in their orders' payloads.
CREATE TABLE case_events (
    case_id BIGINT NOT NULL REFERENCES cases (case_id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    at_ms   BIGINT NOT NULL,
    actor   TEXT   NOT NULL,
    kind    TEXT   NOT NULL,
    payload TEXT   NOT NULL,
    CONSTRAINT case_events_pkey PRIMARY KEY (case_id, seq),
    CONSTRAINT case_events_seq_from_one CHECK (seq >= 1)
);
