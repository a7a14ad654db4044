-- Staff surveys: units on responses, no day for staff responses, invitation tokens stored only
-- as keyed hashes with a "used" mark that holds no time, and sealed pending answers that are
-- mixed into `responses` only when the wave closes.
CREATE TABLE responses_new (
    id              BLOB PRIMARY KEY,
    submission_key  TEXT NOT NULL UNIQUE,
    wave_id         TEXT NOT NULL REFERENCES waves(id),
    version         TEXT NOT NULL,
    organisation    TEXT NOT NULL,
    unit            TEXT,           -- staff: the unit of the invitation token, nothing finer
    channel         TEXT NOT NULL,
    lang            TEXT NOT NULL,
    day             TEXT,           -- citizen: the day; staff: NULL (no date finer than the wave)
    answers         BLOB NOT NULL,
    codes           BLOB NOT NULL DEFAULT x''
) WITHOUT ROWID;
INSERT INTO responses_new (id, submission_key, wave_id, version, organisation, channel, lang, day,
                           answers, codes)
    SELECT id, submission_key, wave_id, version, organisation, channel, lang, day, answers, codes
    FROM responses;
DROP TABLE responses;
ALTER TABLE responses_new RENAME TO responses;
CREATE INDEX responses_wave ON responses (wave_id);

CREATE TABLE tokens (
    hash     BLOB PRIMARY KEY,      -- HMAC of the code; the code itself is never stored
    wave_id  TEXT NOT NULL REFERENCES waves(id),
    organisation TEXT NOT NULL,
    unit     TEXT NOT NULL,
    used     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE pending (
    id       BLOB PRIMARY KEY,      -- random
    wave_id  TEXT NOT NULL,
    sealed   BLOB NOT NULL          -- AES-GCM sealed response, key derived from the secret key
) WITHOUT ROWID;

ALTER TABLE waves ADD COLUMN mixed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE waves ADD COLUMN structure TEXT;
ALTER TABLE waves ADD COLUMN min_group INTEGER NOT NULL DEFAULT 10
