-- Foundation schema. One PostgreSQL schema per service makes ownership visible: a service reads
-- and writes only its own schema and stores the other services' ids, never foreign keys to them.
-- Only core PostgreSQL (13+): gen_random_uuid() is built in, pgcrypto is not needed.

CREATE SCHEMA IF NOT EXISTS ingestion;     -- alert-ingestion
CREATE SCHEMA IF NOT EXISTS incidents;     -- incident-management
CREATE SCHEMA IF NOT EXISTS oncall;        -- on-call & escalation
CREATE SCHEMA IF NOT EXISTS notification;  -- notification
CREATE SCHEMA IF NOT EXISTS gateway;       -- api-gateway

-- ---------------------------------------------------------------- incident-management
CREATE TABLE incidents.incidents (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    title           text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),
    description     text        NOT NULL DEFAULT '',
    service         text        NOT NULL CHECK (char_length(service) BETWEEN 1 AND 200),
    severity        text        NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    status          text        NOT NULL DEFAULT 'open'
                                CHECK (status IN ('open', 'acknowledged', 'in_progress', 'resolved')),
    team            text,
    assignee        text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    resolved_at     timestamptz,
    CONSTRAINT incidents_ack_after_create CHECK (acknowledged_at IS NULL OR acknowledged_at >= created_at),
    CONSTRAINT incidents_resolve_after_create CHECK (resolved_at IS NULL OR resolved_at >= created_at),
    CONSTRAINT incidents_resolved_has_time CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE INDEX incidents_status_idx ON incidents.incidents (status, created_at DESC);
CREATE INDEX incidents_service_severity_idx ON incidents.incidents (service, severity, created_at DESC);
CREATE INDEX incidents_created_idx ON incidents.incidents (created_at DESC);

CREATE TABLE incidents.incident_notes (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    incident_id uuid        NOT NULL REFERENCES incidents.incidents (id),
    author      text        NOT NULL,
    body        text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_notes_incident_idx ON incidents.incident_notes (incident_id, created_at);

CREATE TABLE incidents.incident_timeline (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    incident_id uuid        NOT NULL REFERENCES incidents.incidents (id),
    event_type  text        NOT NULL,
    actor       text        NOT NULL,
    message     text        NOT NULL DEFAULT '',
    data        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_timeline_incident_idx ON incidents.incident_timeline (incident_id, created_at);

-- The timeline is an audit trail: the database itself refuses to edit or delete an entry.
CREATE FUNCTION incidents.reject_timeline_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident_timeline is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER incident_timeline_append_only
    BEFORE UPDATE OR DELETE ON incidents.incident_timeline
    FOR EACH ROW EXECUTE FUNCTION incidents.reject_timeline_change();

-- ---------------------------------------------------------------- alert-ingestion
CREATE TABLE ingestion.alerts (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    fingerprint        text        NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    service            text        NOT NULL CHECK (char_length(service) BETWEEN 1 AND 200),
    severity           text        NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    message            text        NOT NULL,
    labels             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    alert_timestamp    timestamptz NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    incident_id        uuid,       -- incident-management's id (another service: no foreign key)
    correlation_result text        CHECK (correlation_result IN ('new_incident', 'correlated', 'duplicate'))
);
CREATE INDEX alerts_fingerprint_idx ON ingestion.alerts (fingerprint);
CREATE INDEX alerts_service_severity_idx ON ingestion.alerts (service, severity, received_at DESC);
CREATE INDEX alerts_incident_idx ON ingestion.alerts (incident_id);
CREATE INDEX alerts_received_idx ON ingestion.alerts (received_at DESC);
