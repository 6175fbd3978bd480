-- Hotline store, the nodes of a centre (PostgreSQL). Keep in step with
-- ../sqlite/0014_nodes.sql: a test compares the two.
--
-- Each node of a centre of several (cluster.node) holds a lease here and
-- renews it; a node whose lease ran out is taken over by one of the others
-- (taken_over_by), which closes out its calls and works its callbacks.
-- A node that stops cleanly says so (stopped_at_ms) and hands its
-- callbacks back. A single node (no cluster.node) never writes here.

CREATE TABLE nodes (
    node_id          TEXT    NOT NULL PRIMARY KEY,
    -- Where its SIP and HTTP listen, for operators.
    sip              TEXT    NOT NULL,
    http             TEXT    NOT NULL,
    started_at_ms    BIGINT  NOT NULL,
    renewed_at_ms    BIGINT  NOT NULL,
    lease_until_ms   BIGINT  NOT NULL,
    stopped_at_ms    BIGINT,
    taken_over_by    TEXT,
    taken_over_at_ms BIGINT
);

-- The node that works an open callback; NULL: none yet (a single node
-- works them all; a node of a centre takes it over).
ALTER TABLE callbacks ADD COLUMN node TEXT;
CREATE INDEX callbacks_by_node ON callbacks (node, status);

-- Each node's live picture (its ACD's queues and agents now, as JSON),
-- rewritten every second, so that a wallboard on any node shows the whole
-- centre.
CREATE TABLE live_boards (
    node_id TEXT   NOT NULL PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    board   TEXT   NOT NULL
);
