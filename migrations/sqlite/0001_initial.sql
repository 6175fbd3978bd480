-- Hotline store, initial schema (SQLite). Keep tables and columns in step
-- with ../postgres/0001_initial.sql: a test compares the two.
-- Times are unix milliseconds (UTC) in BIGINT columns; ids of calls and
-- events are UUID text.

CREATE TABLE call_events (
    event_id   TEXT    NOT NULL PRIMARY KEY,
    call_id    TEXT    NOT NULL,
    at_ms      BIGINT  NOT NULL,
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL
) WITHOUT ROWID; -- one b-tree keyed by the event id instead of a rowid table plus an index
CREATE INDEX call_events_by_call ON call_events (call_id, at_ms);

CREATE TABLE calls (
    call_id             TEXT    NOT NULL PRIMARY KEY,
    caller              TEXT,
    called              TEXT,
    sip_call_id         TEXT,
    node                TEXT,
    linked_call         TEXT,
    started_at_ms       BIGINT,
    answered_at_ms      BIGINT,
    ended_at_ms         BIGINT,
    last_event_at_ms    BIGINT  NOT NULL,
    language            TEXT,
    ivr_path            TEXT,
    queue               TEXT,
    queued_at_ms        BIGINT,
    offered_count       BIGINT  NOT NULL DEFAULT 0,
    agent               TEXT,
    agent_answered_at_ms BIGINT,
    wait_ms             BIGINT,
    abandoned           BIGINT  NOT NULL DEFAULT 0,
    abandon_wait_ms     BIGINT,
    hold_started_at_ms  BIGINT,
    hold_ms             BIGINT  NOT NULL DEFAULT 0,
    talk_ms             BIGINT,
    wrap_ms             BIGINT,
    disposition         TEXT,
    hangup_side         TEXT,
    hangup_cause        TEXT,
    transferred_to      TEXT,
    callback_number     TEXT,
    recording           TEXT,
    voicemail_recording TEXT,
    case_ref            TEXT,
    survey_score        BIGINT,
    packets_lost        BIGINT  NOT NULL DEFAULT 0,
    max_jitter_ms       DOUBLE PRECISION,
    event_count         BIGINT  NOT NULL DEFAULT 0
);
-- The screen-pop's "last 20 calls of this number".
CREATE INDEX calls_by_caller ON calls (caller, started_at_ms);
-- Statistics over an interval, covering the columns they read.
CREATE INDEX calls_by_queue_time ON calls (queued_at_ms, queue, agent, agent_answered_at_ms, wait_ms, abandoned, abandon_wait_ms, talk_ms, hold_ms, wrap_ms);
-- Close-out of calls a crashed process left open.
CREATE INDEX calls_open ON calls (ended_at_ms, node);
-- Retention of recordings.
CREATE INDEX calls_by_start ON calls (started_at_ms);

CREATE TABLE citizens (
    citizen_id         INTEGER PRIMARY KEY,
    full_name          TEXT,
    national_id_hmac   TEXT,
    national_id_masked TEXT,
    preferred_language TEXT,
    created_at_ms      BIGINT NOT NULL,
    erased_at_ms       BIGINT,
    CONSTRAINT citizens_national_id_unique UNIQUE (national_id_hmac)
);

CREATE TABLE citizen_phones (
    citizen_id BIGINT NOT NULL REFERENCES citizens (citizen_id) ON DELETE CASCADE,
    number     TEXT   NOT NULL,
    label      TEXT,
    PRIMARY KEY (citizen_id, number)
);
CREATE INDEX citizen_phones_by_number ON citizen_phones (number, citizen_id);

CREATE TABLE consents (
    consent_id INTEGER PRIMARY KEY,
    citizen_id BIGINT NOT NULL REFERENCES citizens (citizen_id) ON DELETE CASCADE,
    what       TEXT   NOT NULL,
    granted    BIGINT NOT NULL,
    channel    TEXT   NOT NULL,
    at_ms      BIGINT NOT NULL
);
CREATE INDEX consents_by_citizen ON consents (citizen_id);

CREATE TABLE citizen_tags (
    citizen_id BIGINT NOT NULL REFERENCES citizens (citizen_id) ON DELETE CASCADE,
    tag        TEXT   NOT NULL,
    PRIMARY KEY (citizen_id, tag)
);

CREATE TABLE category_deadlines (
    category    TEXT   NOT NULL PRIMARY KEY,
    deadline_ms BIGINT NOT NULL
);

CREATE TABLE case_sequences (
    day      TEXT   NOT NULL PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

CREATE TABLE cases (
    case_id        INTEGER PRIMARY KEY,
    case_ref       TEXT   NOT NULL,
    citizen_id     BIGINT REFERENCES citizens (citizen_id) ON DELETE SET NULL,
    call_id        TEXT,
    category       TEXT   NOT NULL,
    department     TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    summary        TEXT   NOT NULL,
    opened_at_ms   BIGINT NOT NULL,
    deadline_at_ms BIGINT,
    updated_at_ms  BIGINT NOT NULL,
    resolved_at_ms BIGINT,
    closed_at_ms   BIGINT,
    satisfaction   BIGINT,
    merged_into    TEXT,
    CONSTRAINT cases_case_ref_unique UNIQUE (case_ref)
);
CREATE INDEX cases_by_citizen ON cases (citizen_id, status);

CREATE TABLE case_notes (
    note_id    INTEGER PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases (case_id) ON DELETE CASCADE,
    author     TEXT   NOT NULL,
    at_ms      BIGINT NOT NULL,
    body       TEXT   NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, at_ms);

CREATE TABLE users (
    user_id       INTEGER PRIMARY KEY,
    login         TEXT   NOT NULL,
    display_name  TEXT   NOT NULL,
    role          TEXT   NOT NULL,
    department    TEXT,
    password_hash TEXT   NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    CONSTRAINT users_login_unique UNIQUE (login)
);

CREATE TABLE user_skills (
    user_id BIGINT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    skill   TEXT   NOT NULL,
    level   BIGINT NOT NULL,
    PRIMARY KEY (user_id, skill)
);

CREATE TABLE audit_log (
    audit_id   INTEGER PRIMARY KEY,
    at_ms      BIGINT NOT NULL,
    actor      TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    citizen_id BIGINT,
    case_ref   TEXT,
    via_call   TEXT,
    via_search TEXT,
    reason     TEXT   NOT NULL
);
CREATE INDEX audit_log_by_citizen ON audit_log (citizen_id, at_ms);
