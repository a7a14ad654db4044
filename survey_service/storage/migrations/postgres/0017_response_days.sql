-- The dashboard's counts of a wave per organisation and day (read every few seconds while
-- people answer): an index-only scan of this index, in its order, instead of reading every row
-- of the wave from the table (a cost growing with the wave).
CREATE INDEX responses_wave_day ON responses (wave_id, organisation, day);
