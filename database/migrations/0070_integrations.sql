-- Inbound integrations (issue #13): Alertmanager, Grafana, PagerDuty Events v2 and generic
-- senders, each with its own key; alerts that resolve at their source.

-- ---------------------------------------------------------------- alert-ingestion
-- An integration: what a monitoring tool sends to, with its own secret key. Only the key's
-- SHA-256 and its visible prefix are stored (the key is shown once, like an API key).
CREATE TABLE ingestion.integrations (
    id               uuid        PRIMARY KEY,
    type             text        NOT NULL
        CHECK (type IN ('alertmanager', 'grafana', 'pagerduty', 'generic')),
    name             text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    default_service  text        NOT NULL CHECK (length(default_service) BETWEEN 1 AND 200),
    default_team     text        CHECK (length(default_team) BETWEEN 1 AND 200),
    -- the tool's severity (lowercase) -> critical|high|medium|low, over the built-in mapping
    severity_mapping jsonb       NOT NULL DEFAULT '{}',
    default_severity text        NOT NULL DEFAULT 'medium'
        CHECK (default_severity IN ('critical', 'high', 'medium', 'low')),
    auto_resolve     boolean     NOT NULL DEFAULT true,
    key_prefix       text        NOT NULL UNIQUE,
    key_hash         text        NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    key_rotated_at   timestamptz,
    last_event_at    timestamptz,
    -- outcome -> count (accepted, resolved, acknowledged, invalid)
    event_counts     jsonb       NOT NULL DEFAULT '{}'
);

-- Where an alert came from and whether it still fires. `event` is what the sender said:
-- trigger (the alert fires), resolve (it stopped) or acknowledge (PagerDuty's ack); the alerts of
-- a fingerprint that a resolve reached are marked resolved. `details`: annotations and links
-- (generatorURL, dashboard, panel, silence, runbook). Defaults keep the existing rows as they are.
ALTER TABLE ingestion.alerts
    ADD COLUMN source         text NOT NULL DEFAULT 'api',
    ADD COLUMN integration_id uuid,
    ADD COLUMN event          text NOT NULL DEFAULT 'trigger'
        CHECK (event IN ('trigger', 'resolve', 'acknowledge')),
    ADD COLUMN status         text NOT NULL DEFAULT 'firing'
        CHECK (status IN ('firing', 'resolved')),
    ADD COLUMN resolved_at    timestamptz,
    ADD COLUMN details        jsonb;

-- What incident-management answered for a resolve or an acknowledge.
ALTER TABLE ingestion.alerts DROP CONSTRAINT alerts_correlation_result_check;
ALTER TABLE ingestion.alerts ADD CONSTRAINT alerts_correlation_result_check CHECK (
    correlation_result IN
        ('new_incident', 'correlated', 'duplicate', 'resolved', 'acknowledged', 'ignored'));

-- ---------------------------------------------------------------- incident-management
-- The same alert firing again while its incident is open joins that incident however long the
-- gap (the window is for correlating *different* alerts): found by its fingerprint.
CREATE INDEX alert_fingerprints_fingerprint_idx ON incidents.alert_fingerprints (fingerprint);
-- An alert of the incident resolved at its source (null: firing). When every fingerprint of an
-- open incident is resolved, the incident is resolved (auto_resolve) or says so and waits.
ALTER TABLE incidents.alert_fingerprints ADD COLUMN resolved_at timestamptz;
