-- Front-desk kiosks an administrator enrolled (`survey-service kiosk enrol`). The enrolment
-- link is stored only as a SHA-256 hash and works once, until link_expires; the device then
-- holds a signed cookie naming the kiosk's id. Nothing here is about respondents.
CREATE TABLE kiosks (
    id            TEXT PRIMARY KEY,          -- random, named by the device's signed cookie
    label         TEXT NOT NULL,             -- e.g. "Front desk 1"
    organisation  TEXT NOT NULL,
    survey_id     TEXT,                      -- NULL: every citizen survey of the organisation
    link_hash     BLOB NOT NULL UNIQUE,
    link_expires  TEXT NOT NULL,             -- ISO 8601, UTC
    enrolled      INTEGER NOT NULL DEFAULT 0,
    revoked       INTEGER NOT NULL DEFAULT 0
);
-- a label names one kiosk in use; a revoked kiosk's label may be given again
CREATE UNIQUE INDEX kiosks_label ON kiosks (label) WHERE revoked = 0
