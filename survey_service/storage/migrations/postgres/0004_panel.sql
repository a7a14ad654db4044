-- Optional pseudonymous panel for staff waves: a keyed, slow hash of a code the respondent
-- makes up, so that the same (unknown) person's baseline and follow-up answers can be paired.
ALTER TABLE waves ADD COLUMN panel BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE responses ADD COLUMN panel BYTEA;
