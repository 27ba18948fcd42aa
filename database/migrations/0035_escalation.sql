-- Escalation policies and durable escalations (oncall-escalation service, escalation side).
--
-- A policy is ordered levels (JSON array, validated by the API: targets + delay_minutes) and a
-- repeat count. When an incident starts escalating, the policy is COPIED into
-- escalations.policy_snapshot, so editing or deleting the policy never changes one in flight.
-- The escalation row is the durable timer (GoAlert-style): a worker takes rows whose
-- next_step_at is due with SELECT ... FOR UPDATE SKIP LOCKED, pages the level, and moves
-- next_step_at on, all in one transaction, so N replicas never run the same step twice and a
-- restart loses nothing.

CREATE TABLE oncall.escalation_policies (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- By id, so renaming a team keeps its policy; deleting the team deletes its policy.
    team_id      uuid        NOT NULL REFERENCES oncall.teams (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description  text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    repeat_count integer     NOT NULL DEFAULT 0 CHECK (repeat_count BETWEEN 0 AND 9),
    levels       jsonb       NOT NULL CHECK (jsonb_typeof(levels) = 'array'
                                             AND jsonb_array_length(levels) BETWEEN 1 AND 20),
    version      integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- One policy per team: an incident names only its team, so the team decides the policy.
CREATE UNIQUE INDEX escalation_policies_team_key ON oncall.escalation_policies (team_id);

CREATE TABLE oncall.escalations (
    incident_id     uuid        PRIMARY KEY,  -- incident-management's id; one escalation each
    team            text,                     -- team name as the incident gave it; NULL only for
                                              -- a stop that arrived before its start
    title           text        NOT NULL DEFAULT '',
    service         text        NOT NULL DEFAULT '',
    severity        text,
    policy_id       uuid,                     -- where the snapshot came from (no FK: may be deleted)
    policy_snapshot jsonb,                    -- {name, version, repeat_count, levels, implicit}
    status          text        NOT NULL CHECK (status IN ('active', 'exhausted', 'stopped')),
    next_level      integer     NOT NULL DEFAULT 0 CHECK (next_level >= 0),
    next_round      integer     NOT NULL DEFAULT 0 CHECK (next_round >= 0),
    next_step_at    timestamptz,              -- when the worker pages next_level; NULL = no timer
    manual_by       text,                     -- set by POST /api/v1/escalate until the step runs
    steps_taken     integer     NOT NULL DEFAULT 0,
    last_level      integer,                  -- the level paged most recently
    last_round      integer,
    stop_reason     text        CHECK (stop_reason IN ('acknowledged', 'resolved')),
    stopped_by      text,
    stopped_at      timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT escalations_timer_iff_active CHECK ((status = 'active') = (next_step_at IS NOT NULL)),
    CONSTRAINT escalations_stopped_has_reason CHECK ((status = 'stopped') = (stopped_at IS NOT NULL))
);
-- The worker's query: due active rows, oldest first.
CREATE INDEX escalations_due_idx ON oncall.escalations (next_step_at) WHERE status = 'active';
CREATE INDEX escalations_team_idx ON oncall.escalations (team, created_at DESC);

-- What happened, for the UI (GET /api/v1/escalations?incident_id=).
CREATE TABLE oncall.escalation_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id uuid        NOT NULL REFERENCES oncall.escalations (incident_id) ON DELETE CASCADE,
    kind        text        NOT NULL,
    level       integer,
    round       integer,
    actor       text        NOT NULL,
    message     text        NOT NULL,
    data        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL
);
CREATE INDEX escalation_events_incident_idx ON oncall.escalation_events (incident_id, id);

-- One row per person x contact method paged in a step; sent by a durable job keyed by
-- idempotency_key (also the notification service's idempotency key).
CREATE TABLE oncall.escalation_pages (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id     uuid        NOT NULL REFERENCES oncall.escalations (incident_id) ON DELETE CASCADE,
    step            integer     NOT NULL,
    level           integer     NOT NULL,
    round           integer     NOT NULL,
    user_id         text        NOT NULL,
    user_name       text        NOT NULL,
    channel         text        NOT NULL,
    recipient       text        NOT NULL,
    idempotency_key text        NOT NULL UNIQUE,
    status          text        NOT NULL DEFAULT 'queued'
                                CHECK (status IN ('queued', 'sent', 'failed', 'cancelled')),
    notification_id text,
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz
);
CREATE INDEX escalation_pages_incident_idx ON oncall.escalation_pages (incident_id, id);
