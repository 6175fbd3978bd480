-- Hotline store, one ACD for a centre of several nodes (PostgreSQL). Keep in
-- step with ../sqlite/0015_centre.sql: a test compares the two.
--
-- Agents' phones register with whichever node Kamailio hands their
-- REGISTER to; every node writes its live registrations here, so that the
-- node holding the centre's ACD can ring any agent's phone and the node
-- that carries a call can place the agent's leg. A single node (no
-- cluster.node) never writes here.

CREATE TABLE registrations (
    sip_user      TEXT   NOT NULL PRIMARY KEY,
    -- The Contact the phone registered and the address its REGISTER came
    -- from (Kamailio's, when it passed it on), as the registrar keeps them.
    contact       TEXT   NOT NULL,
    source        TEXT   NOT NULL,
    transport     TEXT   NOT NULL,
    digest        TEXT,
    expires_at_ms BIGINT NOT NULL,
    -- The node whose registrar holds it.
    node_id       TEXT   NOT NULL
);
CREATE INDEX registrations_by_node ON registrations (node_id);

-- Messages between nodes travel as PostgreSQL notifications (LISTEN and
-- NOTIFY, at most 8,000 bytes each); a longer one waits here and its
-- notification carries only its id. The receiver deletes it.
CREATE TABLE bus_spill (
    id   BIGSERIAL PRIMARY KEY,
    body TEXT   NOT NULL
);
