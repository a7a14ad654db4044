-- Front-desk kiosks an administrator enrolled (`survey-service kiosk enrol`). The enrolment
-- link is stored only as a SHA-256 hash and works once, until link_expires; the device then
-- holds a signed cookie naming the kiosk's id. Nothing here is about respondents.
CREATE TABLE kiosks (
    id            TEXT COLLATE "C" PRIMARY KEY,  -- random, named by the device's signed cookie
    label         TEXT NOT NULL,                 -- e.g. "Front desk 1"
    organisation  TEXT NOT NULL,
    survey_id     TEXT,                          -- NULL: every citizen survey of the organisation
    link_hash     BYTEA NOT NULL UNIQUE,
    link_expires  TIMESTAMPTZ NOT NULL,
    enrolled      BOOLEAN NOT NULL DEFAULT false,
    revoked       BOOLEAN NOT NULL DEFAULT false
);
-- a label names one kiosk in use; a revoked kiosk's label may be given again
CREATE UNIQUE INDEX kiosks_label ON kiosks (label) WHERE NOT revoked
