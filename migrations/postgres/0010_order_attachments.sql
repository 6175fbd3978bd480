-- Hotline store, work orders' attachments (PostgreSQL). Keep in step with
-- ../sqlite/0010_order_attachments.sql: a test compares the two.
--
-- A handler adds files to an order's file (a photo of the broken light, a
-- letter): the order's log has an attachment_added event with the name,
-- type, size and SHA-256; the bytes are here, in the store beside the
-- log, so every node of a cluster serves them, a backup holds them and an
-- erasure removes them with the rest of the citizen's data. Written in
-- the transaction that appends the event (Store::attach_to_order).

CREATE TABLE order_attachments (
    case_id      BIGINT NOT NULL REFERENCES cases (case_id) ON DELETE CASCADE,
    id           INTEGER NOT NULL,
    content_type TEXT   NOT NULL,
    data         BYTEA  NOT NULL,
    PRIMARY KEY (case_id, id)
);
