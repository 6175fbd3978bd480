-- Hotline store, statistics (SQLite). Keep tables and columns in step with
-- ../postgres/0002_statistics.sql: a test compares the two. The meaning of
-- every column is in docs/statistics.md; the code that maintains them is
-- crates/hotline-store/src/stats/.

-- 1 when the hotline placed this call to call a citizen back (its
-- call_started event names the request's call in linked_call). Such calls
-- are outgoing: they are not counted in IVR containment.
ALTER TABLE calls ADD COLUMN outbound_callback BIGINT NOT NULL DEFAULT 0;
-- The request's own call also gets linked_call (from callback_placed), but
-- it always has the number to call back; the callback call never has one.
UPDATE calls SET outbound_callback = 1 WHERE linked_call IS NOT NULL AND callback_number IS NULL;

-- One row per queue entry of a call (a call transferred or overflowed from
-- queue A to queue B has two), folded from the event log as events are
-- appended. seq counts the call's queue entries from 1.
CREATE TABLE queue_segments (
    call_id              TEXT    NOT NULL,
    seq                  BIGINT  NOT NULL,
    queue                TEXT    NOT NULL,
    entered_at_ms        BIGINT  NOT NULL,
    -- ongoing | answered | transferred_out | abandoned | overflowed | callback | ended
    outcome              TEXT    NOT NULL,
    left_at_ms           BIGINT,
    wait_ms              BIGINT,
    offers               BIGINT  NOT NULL DEFAULT 0,
    ring_no_answers      BIGINT  NOT NULL DEFAULT 0,
    agent                TEXT,
    agent_answered_at_ms BIGINT,
    hold_started_at_ms   BIGINT,
    hold_ms              BIGINT  NOT NULL DEFAULT 0,
    talk_ms              BIGINT,
    wrap_ms              BIGINT,
    wrapped_at_ms        BIGINT,
    next_destination     TEXT,
    survey_score         BIGINT,
    PRIMARY KEY (call_id, seq)
) WITHOUT ROWID;
-- Recomputing one queue's 15-minute slot.
CREATE INDEX queue_segments_by_queue ON queue_segments (queue, entered_at_ms);
-- Reports over arbitrary intervals (the legacy statistics() call).
CREATE INDEX queue_segments_by_time ON queue_segments (entered_at_ms);

-- Per queue and 15-minute slot (UTC start, by queue entry time): the
-- threshold-free sums of the slot's segments, and every answered and
-- abandoned wait (ms, ascending, each a 4-byte little-endian unsigned
-- integer) so that any threshold is applied exactly at query time.
-- Recomputed from queue_segments whenever one of its segments changes.
CREATE TABLE queue_stats_15min (
    slot_ms            BIGINT NOT NULL,
    queue              TEXT   NOT NULL,
    offered            BIGINT NOT NULL,
    answered           BIGINT NOT NULL,
    transferred_out    BIGINT NOT NULL,
    abandoned          BIGINT NOT NULL,
    overflowed         BIGINT NOT NULL,
    callbacks          BIGINT NOT NULL,
    callbacks_answered BIGINT NOT NULL,
    ended              BIGINT NOT NULL,
    waiting            BIGINT NOT NULL,
    answered_wait_ms   BIGINT NOT NULL,
    max_queued_ms      BIGINT,
    ring_no_answers    BIGINT NOT NULL,
    handled            BIGINT NOT NULL,
    talk_ms            BIGINT NOT NULL,
    hold_ms            BIGINT NOT NULL,
    wrap_ms            BIGINT NOT NULL,
    survey_1           BIGINT NOT NULL,
    survey_2           BIGINT NOT NULL,
    survey_3           BIGINT NOT NULL,
    survey_4           BIGINT NOT NULL,
    survey_5           BIGINT NOT NULL,
    answered_waits     BLOB  NOT NULL,
    abandon_waits      BLOB  NOT NULL,
    PRIMARY KEY (slot_ms, queue)
);

-- Per agent and 15-minute slot: offers and ring-no-answers by the time they
-- happened, everything else by the time the agent answered. Maintained by
-- adding differences (commutative, so concurrent writers need no lock).
CREATE TABLE agent_stats_15min (
    slot_ms            BIGINT NOT NULL,
    agent              TEXT   NOT NULL,
    offers             BIGINT NOT NULL,
    ring_no_answers    BIGINT NOT NULL,
    answered           BIGINT NOT NULL,
    callbacks_answered BIGINT NOT NULL,
    transferred_out    BIGINT NOT NULL,
    handled            BIGINT NOT NULL,
    talk_ms            BIGINT NOT NULL,
    hold_ms            BIGINT NOT NULL,
    wrap_ms            BIGINT NOT NULL,
    survey_1           BIGINT NOT NULL,
    survey_2           BIGINT NOT NULL,
    survey_3           BIGINT NOT NULL,
    survey_4           BIGINT NOT NULL,
    survey_5           BIGINT NOT NULL,
    PRIMARY KEY (slot_ms, agent)
) WITHOUT ROWID;

-- Per IVR path (the distinct nodes in first-visit order) and 15-minute slot
-- of the call's start: incoming calls and how they left the IVR. Maintained
-- by adding differences, like agent_stats_15min.
CREATE TABLE ivr_stats_15min (
    slot_ms          BIGINT NOT NULL,
    ivr_path         TEXT   NOT NULL,
    calls            BIGINT NOT NULL,
    answered         BIGINT NOT NULL,
    queued           BIGINT NOT NULL,
    agent_answered   BIGINT NOT NULL,
    abandoned        BIGINT NOT NULL,
    in_progress      BIGINT NOT NULL,
    self_service     BIGINT NOT NULL,
    voicemail        BIGINT NOT NULL,
    callback_request BIGINT NOT NULL,
    caller_hung_up   BIGINT NOT NULL,
    other_ended      BIGINT NOT NULL,
    PRIMARY KEY (slot_ms, ivr_path)
) WITHOUT ROWID;

-- Agent state history (occupancy): appended by the binary as the ACD
-- changes agent states. state: logged_out | available | offered | on_call |
-- wrap_up | break. state_id orders changes of the same millisecond.
CREATE TABLE agent_states (
    state_id INTEGER PRIMARY KEY,
    agent    TEXT   NOT NULL,
    state    TEXT   NOT NULL,
    reason   TEXT,
    call_id  TEXT,
    at_ms    BIGINT NOT NULL,
    CONSTRAINT agent_states_unique UNIQUE (agent, at_ms, state)
);
CREATE INDEX agent_states_by_time ON agent_states (at_ms);
-- Each agent's state at the start of an interval (the last change before it).
CREATE INDEX agent_states_by_agent ON agent_states (agent, at_ms, state_id);
-- Every agent that ever had a state, with the latest one.
CREATE TABLE agent_latest_states (
    agent TEXT   NOT NULL PRIMARY KEY,
    state TEXT   NOT NULL,
    at_ms BIGINT NOT NULL
);

-- Case on-time rates (cases opened in an interval) and open/overdue now.
CREATE INDEX cases_by_opened ON cases (opened_at_ms, category, department, status, deadline_at_ms, resolved_at_ms, closed_at_ms, merged_into, satisfaction);
CREATE INDEX cases_by_status ON cases (status, category, department, deadline_at_ms, merged_into);
