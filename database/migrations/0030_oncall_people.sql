-- On-call people and teams (oncall-escalation). Users carry their contact methods; teams are
-- looked up by a unique slug-like name as well as by id.

CREATE TABLE oncall.users (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    email       text        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 320),
    phone       text        CHECK (phone IS NULL OR char_length(phone) BETWEEN 3 AND 32),
    timezone    text        NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- One account per address, whatever its case.
CREATE UNIQUE INDEX users_email_key ON oncall.users (lower(email));

CREATE TABLE oncall.contact_methods (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES oncall.users (id) ON DELETE CASCADE,
    position    integer     NOT NULL,
    type        text        NOT NULL CHECK (type IN ('email', 'sms', 'phone', 'slack', 'webhook')),
    address     text        NOT NULL CHECK (char_length(address) BETWEEN 1 AND 2000),
    UNIQUE (user_id, position)
);

CREATE TABLE oncall.teams (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    description text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE oncall.team_members (
    team_id     uuid        NOT NULL REFERENCES oncall.teams (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES oncall.users (id) ON DELETE CASCADE,
    role        text        NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'manager')),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON oncall.team_members (user_id);
