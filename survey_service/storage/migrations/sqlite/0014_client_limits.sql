-- The counters of the limits per client live in a file of their own beside the database
-- (<database>.limits, storage/sqlite_limits.py), not here: they are written on every citizen
-- submission, and here they would wait for the answers' writer and its fsync and put keyed
-- hashes of clients into the same file and write-ahead log as the answers. This migration
-- keeps the numbers the same on both engines (PostgreSQL's 0014 makes its unlogged table).
SELECT 1;
