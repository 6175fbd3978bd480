-- Hotline store, the accounts' version (PostgreSQL). Keep in step with
-- ../sqlite/0009_accounts_version.sql: a test compares the two.
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

CREATE FUNCTION accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts_version SET n = n + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
CREATE TRIGGER user_skills_changed AFTER INSERT OR UPDATE OR DELETE ON user_skills
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
