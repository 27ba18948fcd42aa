-- Silences, maintenance windows and heartbeats (issue #16), owned by alert-ingestion: they are
-- applied to alerts before they are forwarded to incident-management.

-- A silence (Alertmanager's model): label matchers, a time range, who and why. Matchers are kept
-- as Alertmanager's text (`service="api"`, `severity=~"critical|high"`); ingestion parses them.
-- Expiring early sets ends_at to the moment of expiry.
CREATE TABLE ingestion.silences (
    id          uuid        PRIMARY KEY,
    matchers    jsonb       NOT NULL CHECK (jsonb_typeof(matchers) = 'array'),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    created_by  text        NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
    comment     text        NOT NULL CHECK (length(comment) BETWEEN 1 AND 2000),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    expired_by  text,
    CONSTRAINT silences_range CHECK (ends_at > starts_at OR expired_by IS NOT NULL)
);
CREATE INDEX silences_ends_idx ON ingestion.silences (ends_at DESC);

-- A maintenance window (PagerDuty's model): services and/or teams and a time range; optionally
-- weekly, each occurrence at the same wall-clock time in time_zone (so across a DST change).
CREATE TABLE ingestion.maintenance_windows (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    services     text[]      NOT NULL DEFAULT '{}',
    teams        text[]      NOT NULL DEFAULT '{}',
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    recurrence   text        NOT NULL DEFAULT 'none' CHECK (recurrence IN ('none', 'weekly')),
    time_zone    text        NOT NULL DEFAULT 'UTC',
    repeat_until timestamptz,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT maintenance_windows_range CHECK (ends_at > starts_at),
    CONSTRAINT maintenance_windows_target CHECK (cardinality(services) + cardinality(teams) > 0)
);

-- Every replica keeps the active silences and windows in memory; a change tells them at once.
CREATE FUNCTION ingestion.notify_suppression_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('nightwatch_suppression', TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER silences_changed AFTER INSERT OR UPDATE OR DELETE ON ingestion.silences
    FOR EACH STATEMENT EXECUTE FUNCTION ingestion.notify_suppression_changed();
CREATE TRIGGER maintenance_windows_changed
    AFTER INSERT OR UPDATE OR DELETE ON ingestion.maintenance_windows
    FOR EACH STATEMENT EXECUTE FUNCTION ingestion.notify_suppression_changed();

-- A suppressed alert is stored (firing, no incident) with what suppressed it.
ALTER TABLE ingestion.alerts
    ADD COLUMN suppressed_by_kind text CHECK (suppressed_by_kind IN ('silence', 'maintenance')),
    ADD COLUMN suppressed_by_id   uuid;
ALTER TABLE ingestion.alerts DROP CONSTRAINT alerts_correlation_result_check;
ALTER TABLE ingestion.alerts ADD CONSTRAINT alerts_correlation_result_check CHECK (
    correlation_result IN ('new_incident', 'correlated', 'duplicate', 'resolved', 'acknowledged',
                           'ignored', 'suppressed'));
CREATE INDEX alerts_suppressed_idx ON ingestion.alerts (suppressed_by_id)
    WHERE suppressed_by_id IS NOT NULL;

-- The alerts held back right now, one row per fingerprint (its latest suppressed alert). When
-- what held it back is over and the source has not resolved it (a resolve deletes the row), the
-- release worker sends it on to incident-management: it opens its incident then.
CREATE TABLE ingestion.held_alerts (
    fingerprint text        PRIMARY KEY,
    alert_id    uuid        NOT NULL,
    held_at     timestamptz NOT NULL
);

-- A heartbeat monitor: pinged at its URL (the key in it); missing interval + grace raises an
-- alert. deadline_at is the durable timer, claimed with FOR UPDATE SKIP LOCKED by any replica.
CREATE TABLE ingestion.heartbeats (
    id               uuid        PRIMARY KEY,
    name             text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    team             text        NOT NULL CHECK (length(team) BETWEEN 1 AND 200),
    service          text        NOT NULL CHECK (length(service) BETWEEN 1 AND 200),
    severity         text        NOT NULL DEFAULT 'high'
        CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    interval_seconds integer     NOT NULL CHECK (interval_seconds BETWEEN 10 AND 2678400),
    grace_seconds    integer     NOT NULL CHECK (grace_seconds BETWEEN 0 AND 2678400),
    ping_key         text        NOT NULL UNIQUE,
    state            text        NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'up', 'down')),
    deadline_at      timestamptz NOT NULL,
    last_ping_at     timestamptz,
    last_missed_at   timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX heartbeats_due_idx ON ingestion.heartbeats (deadline_at) WHERE state <> 'down';
