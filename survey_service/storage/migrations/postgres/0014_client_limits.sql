-- Shared counters of the limits per client (storage/limits.py): sign-in failures, citizen
-- submissions, wrong staff codes, so that every app process enforces one limit. A key is a
-- keyed hash (HMAC with a key derived from the secret key and the day) of one client address
-- or account name for one rule, never the address itself; tat is the time its allowance is
-- full again, and a row is deleted once that time has passed. UNLOGGED: nothing of it goes
-- to the WAL (replicas and WAL archives never see it); PostgreSQL empties it after a crash.
-- Nothing joins it to the answers.
CREATE UNLOGGED TABLE client_limits (
    rule  TEXT COLLATE "C" NOT NULL,
    key   BYTEA NOT NULL,
    tat   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (rule, key)
);
