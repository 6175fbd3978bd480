-- Hotline store, citizens' data rights (SQLite). Keep in step with
-- ../postgres/0012_data_rights.sql: a test compares the two.
--
-- privacy_requests: every operation a privacy officer performs on a
-- citizen's request (access, rectification, restriction, erasure), with
-- the citizen's request reference and the receipt: what was exported,
-- changed, removed or anonymised, when and by whom. A receipt holds counts,
-- field names and file names (call ids), never the personal data itself,
-- so it outlives the erasure it proves.
--
-- citizens.restricted_at_ms: the record is restricted (not used for
-- follow-up calls or analytics) since then; NULL when it is not.
--
-- audit_log.detail: what a change replaced (the old values of a
-- rectification), kept only here and blanked when the citizen is erased.
-- consents.via_call / actor: who recorded a consent and on which call.

CREATE TABLE privacy_requests (
    request_id  INTEGER PRIMARY KEY,
    kind        TEXT   NOT NULL,
    citizen_id  BIGINT,
    request_ref TEXT   NOT NULL,
    officer     TEXT   NOT NULL,
    at_ms       BIGINT NOT NULL,
    receipt     TEXT   NOT NULL
);
CREATE INDEX privacy_requests_by_citizen ON privacy_requests (citizen_id, at_ms);

ALTER TABLE citizens ADD COLUMN restricted_at_ms BIGINT;
ALTER TABLE audit_log ADD COLUMN detail TEXT;
ALTER TABLE consents ADD COLUMN actor TEXT;
ALTER TABLE consents ADD COLUMN via_call TEXT;
