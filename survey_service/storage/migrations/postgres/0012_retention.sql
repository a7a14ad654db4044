-- Retention (GDPR storage limitation): how many days after a wave closes its free-text answers
-- and its list of staff invitation codes are kept (NULL: the settings' defaults), and when each
-- was purged. Purged codes leave only their counts per unit, for the response rates.
ALTER TABLE waves ADD COLUMN retention_text INTEGER;
ALTER TABLE waves ADD COLUMN retention_codes INTEGER;
ALTER TABLE waves ADD COLUMN text_purged TIMESTAMPTZ;
ALTER TABLE waves ADD COLUMN codes_purged TIMESTAMPTZ;
CREATE TABLE token_tallies (
    wave_id       TEXT COLLATE "C" NOT NULL REFERENCES waves(id),
    organisation  TEXT COLLATE "C" NOT NULL,
    unit          TEXT COLLATE "C" NOT NULL,
    issued        INTEGER NOT NULL,
    used          INTEGER NOT NULL,
    PRIMARY KEY (wave_id, organisation, unit)
);
