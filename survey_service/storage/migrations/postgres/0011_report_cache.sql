-- Computed reports over closed waves (a closed wave never changes), served from here. The key
-- is a hash of the waves, their form versions, the filters, the protection settings and the
-- code version; ``waves`` lists the wave ids (space separated, with spaces around) so that the
-- reports of a wave can be forgotten.
CREATE TABLE report_cache (
    key         TEXT COLLATE "C" PRIMARY KEY,
    waves       TEXT NOT NULL,
    body        BYTEA NOT NULL,    -- JSON (survey_service.services.report_pages.PageData)
    created     TIMESTAMPTZ NOT NULL DEFAULT now()
);
