-- Correlation moves to incident-management: one owner for "which incident does this alert join".
--
-- Ingestion used to keep the open groups and learn of a resolve through an asynchronous event, so
-- an alert arriving in between joined a resolved incident and paged nobody (issue #11). Now the
-- transaction that correlates an alert batch holds the row lock of each incident it joins, and a
-- resolve closes the incident's group in its own transaction: an alert received after a resolve
-- can never join that incident. Ingestion still stores every alert (once, its owner), with the
-- incident and result incident-management decided; see docs/architecture.md.

-- ---------------------------------------------------------------- incident-management
-- One row per incident opened by alerts: the incident's correlation key while it is open to
-- alerts. The partial unique index allows one open group per (service, severity).
CREATE TABLE incidents.alert_groups (
    incident_id   uuid        PRIMARY KEY REFERENCES incidents.incidents (id),
    service       text        NOT NULL,
    severity      text        NOT NULL,
    opened_at     timestamptz NOT NULL,
    last_alert_at timestamptz NOT NULL,
    closed_at     timestamptz,
    close_reason  text        CHECK (close_reason IN ('resolved', 'window_expired')),
    CONSTRAINT alert_groups_closed_has_reason CHECK ((closed_at IS NULL) = (close_reason IS NULL))
);
CREATE UNIQUE INDEX alert_groups_one_open_idx
    ON incidents.alert_groups (service, severity) WHERE closed_at IS NULL;

-- The first alert with a fingerprint in an incident claims it; later ones are duplicates.
CREATE TABLE incidents.alert_fingerprints (
    incident_id uuid NOT NULL,
    fingerprint text NOT NULL,
    PRIMARY KEY (incident_id, fingerprint)
);

-- The answer to each correlated batch, so a batch sent again (a retry after a timeout, the
-- ingestion link worker) gets the same answer instead of being counted twice. Pruned after a day.
CREATE TABLE incidents.alert_batches (
    id          uuid        PRIMARY KEY,
    received_at timestamptz NOT NULL,
    results     jsonb       NOT NULL
);
CREATE INDEX alert_batches_received_idx ON incidents.alert_batches (received_at);

-- Open groups and their fingerprints carry over, so an upgrade keeps correlating into the
-- incidents that are open now.
INSERT INTO incidents.alert_groups (incident_id, service, severity, opened_at, last_alert_at)
SELECT DISTINCT ON (g.service, g.severity) g.incident_id, g.service, g.severity, g.opened_at,
       g.last_alert_at
FROM ingestion.correlation_groups g
JOIN incidents.incidents i ON i.id = g.incident_id AND i.status <> 'resolved'
WHERE g.closed_at IS NULL
ORDER BY g.service, g.severity, g.last_alert_at DESC;
INSERT INTO incidents.alert_fingerprints (incident_id, fingerprint)
SELECT g.incident_id, f.fingerprint
FROM ingestion.group_fingerprints f
JOIN ingestion.correlation_groups g ON g.id = f.group_id
JOIN incidents.alert_groups a ON a.incident_id = g.incident_id
ON CONFLICT DO NOTHING;

-- Alerts are stored once, by ingestion; the incident reads them from there.
DROP TABLE incidents.incident_alerts;

-- ---------------------------------------------------------------- alert-ingestion
-- When the alert got its incident: at once for almost all; later for those accepted while
-- incident-management could not be reached (link lag = linked_at - received_at).
ALTER TABLE ingestion.alerts ADD COLUMN linked_at timestamptz;
UPDATE ingestion.alerts a SET linked_at = coalesce(d.attached_at, a.received_at)
FROM ingestion.alert_deliveries d
WHERE d.alert_id = a.id;
UPDATE ingestion.alerts SET linked_at = received_at
WHERE linked_at IS NULL AND incident_id IS NOT NULL;

-- Alerts accepted but not yet on an incident (the outbox of the link worker). batch_id is the
-- batch the alert was first sent in: the worker sends the same batch again, so an answer that was
-- committed but lost on the way back is replayed, not counted twice. dead_at: refused for good
-- (kept, with the reason).
CREATE TABLE ingestion.link_queue (
    alert_id   uuid        PRIMARY KEY,
    batch_id   uuid        NOT NULL,
    queued_at  timestamptz NOT NULL,
    due_at     timestamptz NOT NULL,
    attempts   integer     NOT NULL DEFAULT 0,
    last_error text,
    dead_at    timestamptz
);
CREATE INDEX link_queue_due_idx ON ingestion.link_queue (due_at) WHERE dead_at IS NULL;
CREATE INDEX link_queue_batch_idx ON ingestion.link_queue (batch_id);

-- Alerts still waiting for their group's incident are sent again, one batch per old group.
INSERT INTO ingestion.link_queue (alert_id, batch_id, queued_at, due_at)
SELECT id, group_id, received_at, now() FROM ingestion.alerts
WHERE incident_id IS NULL AND group_id IS NOT NULL;

DROP TABLE ingestion.attach_queue;
DROP TABLE ingestion.alert_deliveries;
DROP TABLE ingestion.group_fingerprints;
DROP TABLE ingestion.correlation_groups;
DROP INDEX ingestion.alerts_link_pending_idx;
ALTER TABLE ingestion.alerts DROP COLUMN group_id;

-- Resolving no longer tells ingestion anything: jobs still queued for that are moot.
DELETE FROM incidents.jobs WHERE kind = 'incident_event';
