-- Hotline store, the accounts' version (SQLite). Keep in step with
-- ../postgres/0009_accounts_version.sql: a test compares the two.
--
-- The console ends a logged-in session within a second when its account
-- changes anywhere (this process, `hotline user ...`, another node). It
-- used to read every account and its skills each second to find out;
-- now it reads this one counter, which every change to users or
-- user_skills moves on (triggers, so no writer can forget it), and reads
-- the accounts only when it moved.

CREATE TABLE accounts_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO accounts_version (id, n) VALUES (1, 0);

CREATE TRIGGER users_inserted AFTER INSERT ON users
BEGIN UPDATE accounts_version SET n = n + 1; END;
CREATE TRIGGER users_updated AFTER UPDATE ON users
BEGIN UPDATE accounts_version SET n = n + 1; END;
CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN UPDATE accounts_version SET n = n + 1; END;
CREATE TRIGGER user_skills_inserted AFTER INSERT ON user_skills
BEGIN UPDATE accounts_version SET n = n + 1; END;
CREATE TRIGGER user_skills_updated AFTER UPDATE ON user_skills
BEGIN UPDATE accounts_version SET n = n + 1; END;
CREATE TRIGGER user_skills_deleted AFTER DELETE ON user_skills
BEGIN UPDATE accounts_version SET n = n + 1; END;
