-- Hotline store, the audit log by time (PostgreSQL). Keep in step with
-- ../sqlite/0013_audit_by_time.sql: a test compares the two.
--
-- The retention job deletes the audit entries older than retention.audit_years
-- once a day; without this index each run read the whole log.

CREATE INDEX audit_log_by_time ON audit_log (at_ms);
