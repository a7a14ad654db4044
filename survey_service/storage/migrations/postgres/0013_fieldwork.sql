-- Fieldwork records (issue #19 §1): per wave, organisation and day, the paper forms handed
-- out, the visitors counted (typed in by a clerk or imported from the queue system) and, for
-- training events, the participants counted. Counts only: nothing here is about a respondent.
CREATE TABLE fieldwork (
    wave_id       TEXT COLLATE "C" NOT NULL REFERENCES waves (id),
    organisation  TEXT COLLATE "C" NOT NULL,
    day           DATE NOT NULL,             -- Europe/Sofia
    handed_out    INTEGER,                   -- paper forms handed out (NULL: not counted)
    visitors      INTEGER,                   -- visitors counted (NULL: not counted)
    attended      INTEGER,                   -- training events: participants counted
    source        TEXT NOT NULL,             -- clerk | queue
    entered_by    TEXT NOT NULL,
    PRIMARY KEY (wave_id, organisation, day)
)
