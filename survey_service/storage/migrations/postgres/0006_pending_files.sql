-- The same number and name as SQLite's migration 6, which moves sealed staff answers into one
-- file per open wave. PostgreSQL keeps them in a table per open wave already (migration 3), so
-- what it needs of migration 6 is the table of facts about the database itself, e.g. the
-- fingerprint of the key its codes and sealed answers depend on.
CREATE TABLE meta (
    name   TEXT COLLATE "C" PRIMARY KEY,
    value  BYTEA NOT NULL
);
