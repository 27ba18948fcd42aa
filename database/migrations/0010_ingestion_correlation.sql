-- Alert ingestion: correlation groups, exact duplicate detection, durable linking to incidents.
--
-- A correlation group is "the open incident of one service+severity, as ingestion sees it". At
-- most one group per (service, severity) is open: the unique partial index makes the database,
-- not a Python lock, decide who opens it when many alerts (or two ingestion replicas) race.
-- A group closes when its incident is resolved (incident-events) or when no alert arrived within
-- the correlation window; the next alert then opens a new group and a new incident.
CREATE TABLE ingestion.correlation_groups (
    id            uuid        PRIMARY KEY,
    service       text        NOT NULL CHECK (char_length(service) BETWEEN 1 AND 200),
    severity      text        NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    team          text        NOT NULL,
    title         text        NOT NULL,
    description   text        NOT NULL DEFAULT '',
    opened_at     timestamptz NOT NULL,
    last_alert_at timestamptz NOT NULL,
    closed_at     timestamptz,
    close_reason  text        CHECK (close_reason IN ('resolved', 'window_expired')),
    -- incident-management's id; NULL while the incident is still being created (outbox).
    incident_id   uuid,
    link_due_at   timestamptz NOT NULL,
    link_attempts integer     NOT NULL DEFAULT 0,
    link_error    text,
    CONSTRAINT correlation_groups_closed_has_reason CHECK ((closed_at IS NULL) = (close_reason IS NULL))
);
CREATE UNIQUE INDEX correlation_groups_one_open_idx
    ON ingestion.correlation_groups (service, severity) WHERE closed_at IS NULL;
CREATE INDEX correlation_groups_incident_idx ON ingestion.correlation_groups (incident_id);
CREATE INDEX correlation_groups_link_due_idx
    ON ingestion.correlation_groups (link_due_at) WHERE incident_id IS NULL;

-- One row per distinct fingerprint in a group: the first insert wins (new_incident/correlated),
-- every later one conflicts (duplicate). Exact even for identical alerts arriving at once.
CREATE TABLE ingestion.group_fingerprints (
    group_id    uuid NOT NULL,
    fingerprint text NOT NULL,
    PRIMARY KEY (group_id, fingerprint)
);

ALTER TABLE ingestion.alerts
    -- No foreign keys to correlation_groups on purpose: each would take a KEY SHARE lock on the
    -- hot group row per alert (multixacts under load); group ids are only written by this service.
    ADD COLUMN group_id       uuid,
    ADD COLUMN team           text,
    -- Attaching to the incident's timeline (POST /internal/v1/incidents/{id}/alerts) is done by a
    -- worker; the pending rows are the outbox. attach_dead_at: refused for good (kept, visible).
    ADD COLUMN attached_at    timestamptz,
    ADD COLUMN attach_dead_at timestamptz,
    ADD COLUMN attach_error   text;
ALTER TABLE ingestion.alerts ALTER COLUMN id DROP DEFAULT;
ALTER TABLE ingestion.alerts
    ADD CONSTRAINT alerts_message_length CHECK (char_length(message) BETWEEN 1 AND 4096);

-- Listing: newest first, keyset pagination on (received_at, id).
DROP INDEX ingestion.alerts_received_idx;
CREATE INDEX alerts_received_idx ON ingestion.alerts (received_at DESC, id DESC);
DROP INDEX ingestion.alerts_incident_idx;
CREATE INDEX alerts_incident_idx ON ingestion.alerts (incident_id, received_at DESC, id DESC);
-- The two outboxes, kept small by their predicates.
CREATE INDEX alerts_link_pending_idx ON ingestion.alerts (group_id) WHERE incident_id IS NULL;
CREATE INDEX alerts_attach_pending_idx ON ingestion.alerts (received_at)
    WHERE attached_at IS NULL AND attach_dead_at IS NULL AND incident_id IS NOT NULL;
