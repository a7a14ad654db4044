-- Accounts of the administration side, their sessions, the audit log, and the number of a
-- paper questionnaire typed in by a clerk.
CREATE TABLE users (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL,        -- admin | analyst | clerk
    organisations  TEXT NOT NULL,        -- JSON list of organisation ids (admins: [])
    password_hash  TEXT NOT NULL,        -- argon2id
    key_hash       BLOB UNIQUE,          -- SHA-256 of the read-only API key, if any
    disabled       INTEGER NOT NULL DEFAULT 0,
    epoch          INTEGER NOT NULL DEFAULT 0,  -- raised to end every session of the user
    created        TEXT NOT NULL
);
CREATE TABLE sessions (
    key       BLOB PRIMARY KEY,  -- SHA-256 of the session id in the cookie
    data      BLOB NOT NULL,
    expires   REAL NOT NULL      -- seconds since the epoch (UTC)
);
CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL,       -- JSON object
    prev    BLOB NOT NULL,
    hash    BLOB NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- double entry of paper questionnaires: entries waiting for a second clerk or for resolution
CREATE TABLE paper_entries (
    wave_id   TEXT NOT NULL,
    number    TEXT NOT NULL,
    clerk     TEXT NOT NULL,
    response  BLOB NOT NULL,      -- the validated response, JSON
    PRIMARY KEY (wave_id, number, clerk)
);
ALTER TABLE responses ADD COLUMN paper_number TEXT;
CREATE UNIQUE INDEX responses_paper_number ON responses (wave_id, paper_number)
    WHERE paper_number IS NOT NULL
