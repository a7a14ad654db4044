-- Organisation structures (units and head counts) that staff waves use get their own table;
-- they were kept as form versions of a fake survey "structure".
CREATE TABLE structures (
    version     TEXT PRIMARY KEY,  -- content hash, as in waves.structure
    definition  BLOB NOT NULL,     -- JSON: organisation id -> structure
    first_seen  TEXT NOT NULL
);
INSERT INTO structures (version, definition, first_seen)
    SELECT version, definition, first_seen FROM form_versions WHERE survey_id = 'structure';
DELETE FROM form_versions
    WHERE survey_id = 'structure' AND version NOT IN (SELECT version FROM waves)
