-- SQLite's 0016 adds a covering index so that a wave's codes are read from contiguous pages
-- (its responses table is ordered by the random id). PostgreSQL needs none: its heap keeps
-- rows in the order they were written, and a wave's read is a bitmap heap scan over them in
-- physical order. Measured on 2 waves x 200,000 responses: the read took 150 ms in SQL, the
-- planner left an index on (wave_id, id) INCLUDE (codes and groups) unused even after VACUUM
-- (95 MB more to write, nothing faster), and a B-tree entry is limited to about 2.7 kB, which
-- a long form's codes could exceed. This migration keeps the two engines' numbers equal.
SELECT 1
