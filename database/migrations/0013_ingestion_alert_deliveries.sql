-- ingestion.alerts becomes insert-only: what happened when an alert was sent to its incident's
-- timeline is recorded in a narrow table of its own.
--
-- Measured after 0012 (docs/benchmarks.md): setting alerts.attached_at was an in-place (HOT)
-- update for only ~20% of the rows (every alert of a page is attached in the same round, so the
-- page's free space ran out) and otherwise wrote the row into all four indexes again; attaching
-- cost PostgreSQL as much CPU as storing the alert. An insert here writes one small row and one
-- index entry.
CREATE TABLE ingestion.alert_deliveries (
    alert_id    uuid PRIMARY KEY,
    attached_at timestamptz,  -- on its incident's timeline
    dead_at     timestamptz,  -- refused for good by incident-management (kept, with the reason)
    error       text,
    CONSTRAINT alert_deliveries_one_outcome CHECK ((attached_at IS NULL) <> (dead_at IS NULL))
);
INSERT INTO ingestion.alert_deliveries (alert_id, attached_at, dead_at, error)
    SELECT id, attached_at, CASE WHEN attached_at IS NULL THEN attach_dead_at END, attach_error
    FROM ingestion.alerts
    WHERE attached_at IS NOT NULL OR attach_dead_at IS NOT NULL;
ALTER TABLE ingestion.alerts
    DROP COLUMN attached_at,
    DROP COLUMN attach_dead_at,
    DROP COLUMN attach_error;
ALTER TABLE ingestion.alerts RESET (fillfactor);
