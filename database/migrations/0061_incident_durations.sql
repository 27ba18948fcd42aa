-- The stats summary over all incidents (make bench-incidents; docs/benchmarks.md): computing
-- every incident's MTTA / MTTR with date_part and sorting ~100,000 rows wide enough to carry
-- them was ~200 ms of PostgreSQL CPU per call. The durations are now stored with the row (kept
-- right by PostgreSQL itself: generated columns), their percentiles read from an index of the
-- durations alone, and the counts by status and severity from an index of those two columns.
-- Adding the columns rewrites the table once (a lock for the migration's duration).

ALTER TABLE incidents.incidents
    ADD COLUMN mtta_seconds float8
        GENERATED ALWAYS AS (date_part('epoch', acknowledged_at - created_at)) STORED,
    ADD COLUMN mttr_seconds float8
        GENERATED ALWAYS AS (date_part('epoch', resolved_at - created_at)) STORED;

CREATE INDEX incidents_mtta_idx ON incidents.incidents (mtta_seconds)
    WHERE mtta_seconds IS NOT NULL;
CREATE INDEX incidents_mttr_idx ON incidents.incidents (mttr_seconds)
    WHERE mttr_seconds IS NOT NULL;
CREATE INDEX incidents_status_severity_idx ON incidents.incidents (status, severity);

-- A time range (the dashboard's "last 7 days") stays an index-only scan: the durations replace
-- the timestamps they are computed from in the created_at index.
DROP INDEX incidents.incidents_created_idx;
CREATE INDEX incidents_created_idx ON incidents.incidents (created_at DESC, id)
    INCLUDE (status, severity, updated_at, mtta_seconds, mttr_seconds);
