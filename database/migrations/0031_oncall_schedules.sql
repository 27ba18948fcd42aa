-- On-call schedules: a schedule belongs to a team and has ordered layers (rotations); a layer with
-- a higher level wins where it has someone; overrides win over every layer. Rotation times are
-- wall-clock times in the schedule's IANA time zone, computed in Python with zoneinfo.

CREATE TABLE oncall.schedules (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    team_id     uuid        NOT NULL REFERENCES oncall.teams (id) ON DELETE RESTRICT,
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description text        NOT NULL DEFAULT '',
    timezone    text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (team_id, name)
);

CREATE TABLE oncall.schedule_layers (
    id            uuid      PRIMARY KEY DEFAULT gen_random_uuid(),
    schedule_id   uuid      NOT NULL REFERENCES oncall.schedules (id) ON DELETE CASCADE,
    level         integer   NOT NULL CHECK (level >= 1),
    name          text      NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    rotation_type text      NOT NULL CHECK (rotation_type IN ('hourly', 'daily', 'weekly')),
    shift_length  integer   NOT NULL CHECK (shift_length BETWEEN 1 AND 1000),
    start_date    date      NOT NULL,
    handoff_time  time      NOT NULL,
    -- [{"days": [0..6], "start": "09:00", "end": "17:00"}], Monday = 0, schedule-local times.
    restrictions  jsonb     NOT NULL DEFAULT '[]'::jsonb,
    UNIQUE (schedule_id, level)
);

CREATE TABLE oncall.layer_participants (
    layer_id    uuid        NOT NULL REFERENCES oncall.schedule_layers (id) ON DELETE CASCADE,
    position    integer     NOT NULL CHECK (position >= 0),
    -- A person in a rotation cannot be deleted until they are taken out of it (clear 409).
    user_id     uuid        NOT NULL REFERENCES oncall.users (id) ON DELETE RESTRICT,
    PRIMARY KEY (layer_id, position)
);
CREATE INDEX layer_participants_user_idx ON oncall.layer_participants (user_id);

CREATE TABLE oncall.schedule_overrides (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    schedule_id uuid        NOT NULL REFERENCES oncall.schedules (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES oncall.users (id) ON DELETE RESTRICT,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT schedule_overrides_range CHECK (ends_at > starts_at)
);
CREATE INDEX schedule_overrides_range_idx ON oncall.schedule_overrides (schedule_id, starts_at, ends_at);
CREATE INDEX schedule_overrides_user_idx ON oncall.schedule_overrides (user_id);
