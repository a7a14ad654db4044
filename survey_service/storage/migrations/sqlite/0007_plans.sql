-- Analysis plans frozen once, e.g. the project's confirmatory family (the expected results'
-- indicators adjusted together with Holm), frozen when the first follow-up wave opens.
CREATE TABLE plans (
    name        TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,     -- content hash of the definition
    definition  BLOB NOT NULL,     -- JSON
    frozen      TEXT NOT NULL,     -- ISO time (UTC) it was frozen
    wave_id     TEXT               -- the wave whose opening froze it
)
