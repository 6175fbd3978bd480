-- Hotline store, the orders an agent took down (SQLite). Keep in step with
-- ../postgres/0007_orders_by_author.sql: a test compares the two.
--
-- The console shows an agent the work orders they took down, the latest
-- first (Store::orders_taken_by); without this index that list would read
-- every case.
CREATE INDEX cases_by_author ON cases (created_by, opened_at_ms);
