-- Retention (GDPR storage limitation): how many days after a wave closes its free-text answers
-- and its list of staff invitation codes are kept (NULL: the settings' defaults), and when each
-- was purged. Purged codes leave only their counts per unit, for the response rates.
ALTER TABLE waves ADD COLUMN retention_text INTEGER;
ALTER TABLE waves ADD COLUMN retention_codes INTEGER;
ALTER TABLE waves ADD COLUMN text_purged TEXT;
ALTER TABLE waves ADD COLUMN codes_purged TEXT;
CREATE TABLE token_tallies (
    wave_id       TEXT NOT NULL REFERENCES waves(id),
    organisation  TEXT NOT NULL,
    unit          TEXT NOT NULL,
    issued        INTEGER NOT NULL,
    used          INTEGER NOT NULL,
    PRIMARY KEY (wave_id, organisation, unit)
) WITHOUT ROWID
