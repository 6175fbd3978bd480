-- Hotline store, the official work-order figures (sqlite). Keep tables and
-- columns in step with ../postgres/0006_order_report.sql: a test compares the
-- two. Depends on 0004 (work orders) only.
--
-- What each event of an order's log (case_events) adds to the figures,
-- per local day: written by the store in the transaction that appends the
-- events (crates/hotline-store/src/order_report.rs, called from
-- orders.rs), by adding differences (x = x + excluded.x), which
-- concurrent nodes can do without locks. Store::rebuild_order_report
-- recomputes it from the logs (after an upgrade, or for another offset).
-- The definitions are in docs/statistics.md, "Work orders".

-- The local days of order_stats_day are at this offset from UTC (minutes;
-- 480 = Asia/Shanghai). One row. Reports must ask in the same offset.
CREATE TABLE order_stats_zone (
    utc_offset_minutes BIGINT NOT NULL
);
INSERT INTO order_stats_zone (utc_offset_minutes) VALUES (480);

-- One row per dimension ('department', 'category', 'district', 'street'),
-- group_key (the department, category, district, or 'district/street') and local
-- day (day_ms: UTC start of the local day; month_ms: of its month). Each
-- event is counted once in each of the four groupings. close_secs holds the
-- time to close of each department close that day, in seconds, as 4-byte
-- little-endian unsigned integers in no particular order.
CREATE TABLE order_stats_day (
    dimension            TEXT   NOT NULL,
    group_key            TEXT   NOT NULL,
    day_ms               BIGINT NOT NULL,
    month_ms             BIGINT NOT NULL,
    accepted             BIGINT NOT NULL,
    resolved_on_call     BIGINT NOT NULL,
    dispatched           BIGINT NOT NULL,
    redispatched         BIGINT NOT NULL,
    returned             BIGINT NOT NULL,
    extensions_requested BIGINT NOT NULL,
    extensions_approved  BIGINT NOT NULL,
    extensions_refused   BIGINT NOT NULL,
    closed               BIGINT NOT NULL,
    closed_on_time       BIGINT NOT NULL,
    reopened             BIGINT NOT NULL,
    follow_ups_due       BIGINT NOT NULL,
    followed_up          BIGINT NOT NULL,
    scored               BIGINT NOT NULL,
    satisfied            BIGINT NOT NULL,
    score_sum            BIGINT NOT NULL,
    merged               BIGINT NOT NULL,
    -- +1 at the instant an open order's deadline passes (or at the event that
    -- set a deadline already past), -1 there when it leaves its department
    -- by then; overdue_left: +1 when it leaves its department after it.
    overdue_entered      BIGINT NOT NULL,
    overdue_left         BIGINT NOT NULL,
    close_secs           BLOB   NOT NULL DEFAULT X'',
    CONSTRAINT order_stats_day_pkey PRIMARY KEY (dimension, day_ms, group_key)
) WITHOUT ROWID;
-- One key's days (a department's year).
CREATE INDEX order_stats_day_by_key ON order_stats_day (dimension, group_key, day_ms);

-- The same sums per local month (month_ms: UTC start of the local month),
-- written with the day rows, so that a year by month or in total reads 12
-- rows per key instead of 365 (reports use days only for the part of an
-- interval that is not whole months).
CREATE TABLE order_stats_month (
    dimension            TEXT   NOT NULL,
    group_key            TEXT   NOT NULL,
    month_ms             BIGINT NOT NULL,
    accepted             BIGINT NOT NULL,
    resolved_on_call     BIGINT NOT NULL,
    dispatched           BIGINT NOT NULL,
    redispatched         BIGINT NOT NULL,
    returned             BIGINT NOT NULL,
    extensions_requested BIGINT NOT NULL,
    extensions_approved  BIGINT NOT NULL,
    extensions_refused   BIGINT NOT NULL,
    closed               BIGINT NOT NULL,
    closed_on_time       BIGINT NOT NULL,
    reopened             BIGINT NOT NULL,
    follow_ups_due       BIGINT NOT NULL,
    followed_up          BIGINT NOT NULL,
    scored               BIGINT NOT NULL,
    satisfied            BIGINT NOT NULL,
    score_sum            BIGINT NOT NULL,
    merged               BIGINT NOT NULL,
    overdue_entered      BIGINT NOT NULL,
    overdue_left         BIGINT NOT NULL,
    close_secs           BLOB   NOT NULL DEFAULT X'',
    CONSTRAINT order_stats_month_pkey PRIMARY KEY (dimension, month_ms, group_key)
) WITHOUT ROWID;
CREATE INDEX order_stats_month_by_key ON order_stats_month (dimension, group_key, month_ms);

-- Every department's overdue orders, the most overdue first
-- (Store::overdue_orders without a department): only open orders are in it.
CREATE INDEX cases_open_by_deadline ON cases (deadline_at_ms, case_id)
    WHERE phase IN ('dispatched', 'in_progress', 'replied', 'reopened');
-- A department's inbox, earliest deadline first, open orders only: a page
-- reads its own lines in order instead of sorting the department's open
-- orders (bench/orders: 36 ms p99 for a cold first page at 10M orders).
CREATE INDEX cases_open_inbox ON cases (department, deadline_at_ms, case_id)
    WHERE phase IN ('dispatched', 'in_progress', 'replied', 'reopened');
