-- Hotline store, deadline reminders (PostgreSQL). Keep in step with
-- ../sqlite/0008_order_reminders.sql: a test compares the two.
--
-- When an order's deadline falls within the due-soon window the hotline
-- reminds its department (临期提醒), once per deadline: a reminded event in
-- the order's log. The projection keeps the deadline last reminded of, so
-- that the reminder driver reads only the orders still to remind
-- (Store::reminders_due, through cases_by_phase_deadline) and an inbox
-- line shows that its department was reminded.

ALTER TABLE cases ADD COLUMN reminded_deadline_at_ms BIGINT;
