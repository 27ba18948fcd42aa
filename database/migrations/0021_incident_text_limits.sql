-- Room for what ingestion sends: a description carries the alert message plus all its labels
-- (up to ~78k characters), and team names follow on-call's 200-character limit.
ALTER TABLE incidents.incidents
    DROP CONSTRAINT incidents_description_length,
    DROP CONSTRAINT incidents_team_length,
    ADD CONSTRAINT incidents_description_length CHECK (char_length(description) <= 100000),
    ADD CONSTRAINT incidents_team_length CHECK (char_length(team) BETWEEN 1 AND 200);
