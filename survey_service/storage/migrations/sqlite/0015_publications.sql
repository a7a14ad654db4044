-- The waves whose aggregated results are on the public results page, who published them and
-- when (an admin publishes a wave once its figures may be shown; unpublishing deletes the row).
CREATE TABLE publications (
    wave_id      TEXT PRIMARY KEY,
    published_at TEXT NOT NULL,   -- ISO 8601, UTC
    actor        TEXT NOT NULL
) WITHOUT ROWID
