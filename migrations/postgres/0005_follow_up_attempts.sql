-- Hotline store, follow-up calls (postgres). Keep tables and columns in step
-- with ../sqlite/0005_follow_up_attempts.sql: a test compares the two.
--
-- The hotline calls each reporter of a closed order (回访); a call that
-- records no score is a follow_up_attempted event in the order's log,
-- which says when that reporter is called next, or that they wait on the
-- agents' follow-up list. The projection keeps what the lists read:
-- the earliest next call of the order's reporters (empty when the hotline
-- calls none of them), and how many reporters wait for an agent.

ALTER TABLE cases ADD COLUMN follow_up_next_call_at_ms BIGINT;
ALTER TABLE cases ADD COLUMN follow_ups_listed BIGINT NOT NULL DEFAULT 0;

-- Before this migration no call was recorded: every awaited reporter's
-- first call is due with the follow-up.
UPDATE cases SET follow_up_next_call_at_ms = follow_up_due_at_ms
    WHERE phase = 'closed' AND follow_ups_awaited > 0;

-- Follow-up calls due, and the agents' list.
CREATE INDEX cases_follow_up_calls_due ON cases (phase, follow_up_next_call_at_ms);
CREATE INDEX cases_follow_ups_listed ON cases (phase, follow_ups_listed);
