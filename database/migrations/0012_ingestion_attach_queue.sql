-- Alert ingestion's write path, after profiling it under load (docs/benchmarks.md).
--
-- Each stored alert cost PostgreSQL more CPU than the service itself, nearly all of it index
-- maintenance: seven indexes on ingestion.alerts, and attaching an alert to its incident was an
-- UPDATE of a column in a partial-index predicate (attached_at), so every attach wrote a new
-- version of the row into every index again.
--
-- 1. The attach outbox moves to its own narrow table: a row per alert still to send, deleted when
--    sent. Setting alerts.attached_at then touches no index, and with room left on each page
--    (fillfactor) PostgreSQL updates the row in place (a HOT update: no index writes at all).
--    The key is the alert id; ids are time-ordered (UUIDv7), so the key order is arrival order.
CREATE TABLE ingestion.attach_queue (
    alert_id uuid PRIMARY KEY
);
INSERT INTO ingestion.attach_queue (alert_id)
    SELECT id FROM ingestion.alerts
    WHERE attached_at IS NULL AND attach_dead_at IS NULL AND incident_id IS NOT NULL;
DROP INDEX ingestion.alerts_attach_pending_idx;
ALTER TABLE ingestion.alerts SET (fillfactor = 85);

-- 2. No query looks alerts up by fingerprint (duplicates are decided by group_fingerprints).
DROP INDEX ingestion.alerts_fingerprint_idx;

-- 3. Listing by service is ordered like every listing (newest first, then id): one index that
--    serves it, with or without a severity filter.
DROP INDEX ingestion.alerts_service_severity_idx;
CREATE INDEX alerts_service_idx ON ingestion.alerts (service, received_at DESC, id DESC);
