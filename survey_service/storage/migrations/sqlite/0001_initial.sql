-- Form versions: the exact definition respondents saw, frozen by content hash.
CREATE TABLE form_versions (
    version     TEXT PRIMARY KEY,
    survey_id   TEXT NOT NULL,
    definition  BLOB NOT NULL,
    first_seen  TEXT NOT NULL
);

CREATE TABLE waves (
    id             TEXT PRIMARY KEY,
    survey_id      TEXT NOT NULL,
    version        TEXT NOT NULL REFERENCES form_versions(version),
    phase          TEXT NOT NULL,
    organisations  TEXT NOT NULL,  -- JSON list; empty = every organisation
    starts         TEXT,           -- ISO 8601, UTC
    ends           TEXT,
    closed         TEXT
);

-- Responses: a random id as primary key in a WITHOUT ROWID table, so that the physical order
-- of rows follows the random id, not the order of submission. No IP address, user agent,
-- cookie identifier or time finer than the day.
CREATE TABLE responses (
    id              BLOB PRIMARY KEY,
    submission_key  TEXT NOT NULL UNIQUE,
    wave_id         TEXT NOT NULL REFERENCES waves(id),
    version         TEXT NOT NULL,
    organisation    TEXT NOT NULL,
    channel         TEXT NOT NULL,
    lang            TEXT NOT NULL,
    day             TEXT NOT NULL,
    answers         BLOB NOT NULL  -- JSON object: item id -> answer
) WITHOUT ROWID;

CREATE INDEX responses_wave ON responses (wave_id);
