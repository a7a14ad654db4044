-- A covering index of what a report reads of each response (its codes and groups), in the
-- order of the wave, then the random id: a wave's rows for analysis lie side by side in this
-- index, so a report reads them in one pass over contiguous pages instead of looking up a
-- million rows scattered over the whole table by their random ids. The order within a wave
-- is the random id's (as ``responses_wave`` gave it): it follows nothing of the submission
-- order. ``responses_wave`` stays: counting a wave's rows reads that smaller index.
CREATE INDEX responses_wave_codes
    ON responses (wave_id, id, organisation, channel, unit, panel, day, codes)
