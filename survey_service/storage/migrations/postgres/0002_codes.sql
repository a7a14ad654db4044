-- Numeric codes of the scored items, packed little-endian int32 in the form version's column
-- order (survey_service.surveys.coding), so that a wave loads into numpy with one read.
ALTER TABLE responses ADD COLUMN codes BYTEA NOT NULL DEFAULT '\x'::bytea;
