-- Staff surveys: units on responses, no day for staff responses, invitation tokens stored only
-- as keyed hashes with a "used" mark that holds no time. Sealed answers of an open staff wave
-- are kept in a table of their own per wave (created at the first one, dropped when the wave
-- is mixed: survey_service/storage/postgres_sealed.py), never in a shared table.
ALTER TABLE responses ADD COLUMN unit TEXT COLLATE "C";
ALTER TABLE responses ALTER COLUMN day DROP NOT NULL;

CREATE TABLE tokens (
    hash          BYTEA PRIMARY KEY,  -- HMAC of the code; the code itself is never stored
    wave_id       TEXT COLLATE "C" NOT NULL REFERENCES waves(id),
    organisation  TEXT COLLATE "C" NOT NULL,
    unit          TEXT COLLATE "C" NOT NULL,
    used          BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX tokens_wave ON tokens (wave_id);

ALTER TABLE waves ADD COLUMN mixed BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE waves ADD COLUMN structure TEXT COLLATE "C";
ALTER TABLE waves ADD COLUMN min_group INTEGER NOT NULL DEFAULT 10;
