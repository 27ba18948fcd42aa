-- Incident listing and stats at 100,000+ incidents (make bench-incidents; docs/benchmarks.md).
-- The list answers with one statement: an exact count and a page whose ids are found in an index
-- alone (index-only scan, then 50 heap fetches). Each index below carries the columns the
-- documented sorts and filters need, so neither the count nor the sort reads the table's rows,
-- which are wide (ingestion puts the alert message and all its labels into the description).

-- Status filter (the console's default: open, acknowledged, in progress), any documented sort.
DROP INDEX incidents.incidents_status_idx;
CREATE INDEX incidents_status_idx ON incidents.incidents (status, created_at DESC, id)
    INCLUDE (severity, updated_at);

-- Team filter, newest first; status / severity narrowed within the index.
DROP INDEX incidents.incidents_team_idx;
CREATE INDEX incidents_team_idx ON incidents.incidents (team, created_at DESC, id)
    INCLUDE (status, severity, updated_at);

-- No filter or a time range: the list's count and newest-first pages, and the stats summary
-- (counts by status and severity, MTTA / MTTR percentiles) as an index-only scan.
DROP INDEX incidents.incidents_created_idx;
CREATE INDEX incidents_created_idx ON incidents.incidents (created_at DESC, id)
    INCLUDE (status, severity, updated_at, acknowledged_at, resolved_at);
