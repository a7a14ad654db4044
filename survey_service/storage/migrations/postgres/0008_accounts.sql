-- Accounts of the administration side, their sessions, the audit log, and the number of a
-- paper questionnaire typed in by a clerk (as SQLite's 0008_accounts).
CREATE TABLE users (
    name           TEXT COLLATE "C" PRIMARY KEY,
    role           TEXT NOT NULL,        -- admin | analyst | clerk
    organisations  TEXT NOT NULL,        -- JSON list of organisation ids (admins: [])
    password_hash  TEXT NOT NULL,        -- argon2id
    key_hash       BYTEA UNIQUE,         -- SHA-256 of the read-only API key, if any
    disabled       BOOLEAN NOT NULL DEFAULT false,
    epoch          INTEGER NOT NULL DEFAULT 0,  -- raised to end every session of the user
    created        TEXT NOT NULL
);
CREATE TABLE sessions (
    key       BYTEA PRIMARY KEY,         -- SHA-256 of the session id in the cookie
    data      BYTEA NOT NULL,
    expires   DOUBLE PRECISION NOT NULL  -- seconds since the epoch (UTC)
);
CREATE TABLE audit (
    seq     BIGINT PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL,       -- JSON object
    prev    BYTEA NOT NULL,
    hash    BYTEA NOT NULL
);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
-- double entry of paper questionnaires: entries waiting for a second clerk or for resolution
CREATE TABLE paper_entries (
    wave_id   TEXT COLLATE "C" NOT NULL,
    number    TEXT COLLATE "C" NOT NULL,
    clerk     TEXT COLLATE "C" NOT NULL,
    response  BYTEA NOT NULL,     -- the validated response, JSON
    PRIMARY KEY (wave_id, number, clerk)
);
ALTER TABLE responses ADD COLUMN paper_number TEXT COLLATE "C";
CREATE UNIQUE INDEX responses_paper_number ON responses (wave_id, paper_number)
    WHERE paper_number IS NOT NULL;
