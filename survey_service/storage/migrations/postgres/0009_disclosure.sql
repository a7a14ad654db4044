-- The disclosure plan of a closed wave (which figures every output hides), kept with the wave
-- so that every output, whenever it runs, hides the same cells.
CREATE TABLE disclosure_plans (
    key         TEXT COLLATE "C" PRIMARY KEY,  -- the wave id
    plan        BYTEA NOT NULL                 -- JSON (survey_service.reports.disclosure.WavePlan)
);
