-- Sealed staff answers move out of the main file into one file per open wave
-- (<database>.pending/<hash of the wave id>.sqlite3), destroyed whole when the wave is mixed.
-- The main file keeps only a random mark per sealed answer, written in the same transaction as
-- the code's "used" bit, so that an answer counts only if its code was marked: a crash between
-- the two files leaves at most an unmarked answer, which the mix ignores.
CREATE TABLE pending_marks (
    id       BLOB PRIMARY KEY,      -- random; the same id as the sealed row in the wave's file
    wave_id  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX pending_marks_wave ON pending_marks (wave_id);

-- Facts about the database itself, e.g. the fingerprint of the key its codes and sealed
-- answers depend on.
CREATE TABLE meta (
    name   TEXT PRIMARY KEY,
    value  BLOB NOT NULL
) WITHOUT ROWID
