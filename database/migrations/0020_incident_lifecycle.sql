-- Incident management: idempotent creation, who acknowledged/resolved, documented text limits,
-- alert attachments from ingestion, and an idempotency key on timeline entries.

ALTER TABLE incidents.incidents
    ADD COLUMN idempotency_key  text,
    ADD COLUMN acknowledged_by  text,
    ADD COLUMN resolved_by      text,
    ADD COLUMN alert_count      integer NOT NULL DEFAULT 0 CHECK (alert_count >= 0),
    ADD COLUMN duplicate_count  integer NOT NULL DEFAULT 0 CHECK (duplicate_count >= 0),
    ADD CONSTRAINT incidents_description_length CHECK (char_length(description) <= 10000),
    ADD CONSTRAINT incidents_team_length CHECK (char_length(team) BETWEEN 1 AND 100),
    ADD CONSTRAINT incidents_assignee_length CHECK (char_length(assignee) BETWEEN 1 AND 200),
    ADD CONSTRAINT incidents_idempotency_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255);

-- Same Idempotency-Key -> same incident, enforced by the database (safe with N replicas).
CREATE UNIQUE INDEX incidents_idempotency_key_idx ON incidents.incidents (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX incidents_team_idx ON incidents.incidents (team, created_at DESC);
CREATE INDEX incidents_assignee_idx ON incidents.incidents (assignee, created_at DESC);

-- One row per alert ingestion linked to an incident: idempotent per alert_id.
CREATE TABLE incidents.incident_alerts (
    alert_id     uuid        PRIMARY KEY,   -- ingestion's id (another service: no foreign key)
    incident_id  uuid        NOT NULL REFERENCES incidents.incidents (id),
    fingerprint  text        NOT NULL CHECK (char_length(fingerprint) BETWEEN 1 AND 128),
    result       text        NOT NULL CHECK (result IN ('new_incident', 'correlated', 'duplicate')),
    message      text        NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL,
    attached_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_alerts_incident_idx ON incidents.incident_alerts (incident_id, received_at);

-- A timeline entry written with a dedup_key is written once. Status changes use "status:<to>",
-- and since the state machine never revisits a status, the database itself guarantees one entry
-- per transition even if two requests race.
ALTER TABLE incidents.incident_timeline
    ADD COLUMN dedup_key text CHECK (char_length(dedup_key) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX incident_timeline_dedup_idx ON incidents.incident_timeline (incident_id, dedup_key)
    WHERE dedup_key IS NOT NULL;

-- A stable order for entries written in the same instant (one PATCH can add three).
ALTER TABLE incidents.incident_timeline ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
DROP INDEX incidents.incident_timeline_incident_idx;
CREATE INDEX incident_timeline_incident_idx ON incidents.incident_timeline (incident_id, created_at, seq);
ALTER TABLE incidents.incident_notes ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
