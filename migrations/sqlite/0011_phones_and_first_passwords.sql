-- Hotline store, SIP phone accounts and first passwords (SQLite). Keep in
-- step with ../postgres/0011_phones_and_first_passwords.sql: a test
-- compares the two.
--
-- Phones: the SIP accounts agents' phones register with (`hotline phone
-- add`, the admin page). Only digest hashes are kept, HA1 =
-- H(user:realm:secret) for MD5 and SHA-256 (RFC 8760), never the secret:
-- that is all a registrar needs to check a digest, and a copy of the
-- database does not give anybody a phone. HA1 names the realm, so the
-- realm it was made for is kept beside it (a changed sip.realm needs new
-- secrets, and the hotline says so). Every change moves accounts_version,
-- which the running hotline watches to add or drop the phone at once.
--
-- must_change_password: an account whose password an administrator set
-- (a new account, a reset, the first admin's printed one) must choose its
-- own at its first login before it can do anything else.

CREATE TABLE phones (
    login         TEXT   NOT NULL PRIMARY KEY,
    realm         TEXT   NOT NULL,
    ha1_md5       TEXT   NOT NULL,
    ha1_sha256    TEXT   NOT NULL,
    -- The order this phone is challenged in ("SHA-256,MD5"), or NULL for
    -- the hotline's order.
    algorithms    TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TRIGGER phones_inserted AFTER INSERT ON phones
BEGIN UPDATE accounts_version SET n = n + 1; END;
CREATE TRIGGER phones_updated AFTER UPDATE ON phones
BEGIN UPDATE accounts_version SET n = n + 1; END;
CREATE TRIGGER phones_deleted AFTER DELETE ON phones
BEGIN UPDATE accounts_version SET n = n + 1; END;

ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
