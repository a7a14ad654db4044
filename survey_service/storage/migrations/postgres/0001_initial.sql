-- Form versions: the exact definition respondents saw, frozen by content hash.
-- Identifiers sort bytewise (COLLATE "C"), as on SQLite, whatever the database's locale.
CREATE TABLE form_versions (
    version     TEXT COLLATE "C" PRIMARY KEY,
    survey_id   TEXT COLLATE "C" NOT NULL,
    definition  BYTEA NOT NULL,
    first_seen  DATE NOT NULL
);

CREATE TABLE waves (
    id             TEXT COLLATE "C" PRIMARY KEY,
    survey_id      TEXT COLLATE "C" NOT NULL,
    version        TEXT COLLATE "C" NOT NULL REFERENCES form_versions(version),
    phase          TEXT NOT NULL,
    organisations  TEXT NOT NULL,  -- JSON list; empty = every organisation
    starts         TIMESTAMPTZ,
    ends           TIMESTAMPTZ,
    closed         TIMESTAMPTZ
);

-- Responses: a random id as primary key. No IP address, user agent, cookie identifier or time
-- finer than the day.
CREATE TABLE responses (
    id              BYTEA PRIMARY KEY,
    submission_key  TEXT COLLATE "C" NOT NULL UNIQUE,
    wave_id         TEXT COLLATE "C" NOT NULL REFERENCES waves(id),
    version         TEXT COLLATE "C" NOT NULL,
    organisation    TEXT COLLATE "C" NOT NULL,
    channel         TEXT COLLATE "C" NOT NULL,
    lang            TEXT NOT NULL,
    day             DATE NOT NULL,
    answers         BYTEA NOT NULL  -- JSON object: item id -> answer
);

CREATE INDEX responses_wave ON responses (wave_id);
