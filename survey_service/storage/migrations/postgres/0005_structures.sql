-- Organisation structures (units and head counts) that staff waves use, apart from form
-- versions (on SQLite they were first kept as form versions of a fake survey "structure").
CREATE TABLE structures (
    version     TEXT COLLATE "C" PRIMARY KEY,  -- content hash, as in waves.structure
    definition  BYTEA NOT NULL,                -- JSON: organisation id -> structure
    first_seen  DATE NOT NULL
);
