-- Hotline store, the callback list (PostgreSQL). Keep tables and columns in
-- step with ../sqlite/0003_callbacks.sql: a test compares the two.
--
-- Every promise to call a citizen back, from the moment it is made (after
-- hours in the IVR, while queued, or an abandoned call) until it is kept,
-- given up or cancelled, so that a restart loses none. The call-event log
-- still records each step; this table is the to-do list the hotline works
-- from. Times are unix milliseconds (UTC).
CREATE TABLE callbacks (
    callback_id     TEXT    NOT NULL PRIMARY KEY,
    -- The call on which the citizen asked (or abandoned).
    call_id         TEXT    NOT NULL,
    number          TEXT    NOT NULL,
    queue           TEXT    NOT NULL,
    -- after_hours | in_queue | abandoned
    kind            TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    -- Higher is placed first; supervisors may change it.
    priority        BIGINT  NOT NULL,
    requested_at_ms BIGINT  NOT NULL,
    -- No attempt before this time (the next retry).
    not_before_ms   BIGINT  NOT NULL,
    -- Given up (expired) after this time.
    expires_at_ms   BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL,
    -- pending | placing | done | failed | expired | cancelled
    status          TEXT    NOT NULL,
    -- The last attempt's outcome (answered, no_answer, busy, refused, ...).
    outcome         TEXT,
    -- The callback call of the last attempt.
    last_call_id    TEXT,
    updated_at_ms   BIGINT  NOT NULL,
    -- Who cancelled or reprioritised it last (a supervisor's login).
    updated_by      TEXT
);
-- The open list, in the order it is worked.
CREATE INDEX callbacks_open ON callbacks (status, not_before_ms);
-- Erasure and export by number.
CREATE INDEX callbacks_by_number ON callbacks (number);
