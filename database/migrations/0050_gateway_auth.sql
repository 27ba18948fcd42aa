-- api-gateway: people who log in (accounts) and machine credentials (API keys).
-- Passwords are argon2id hashes; API keys are random 256-bit secrets stored only as SHA-256
-- (a fast hash is right for high-entropy secrets and keeps the per-request check cheap), with a
-- short visible prefix to find the row and to show in listings.

CREATE TABLE gateway.accounts (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    username             text        NOT NULL UNIQUE
                                     CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'),
    password_hash        text        NOT NULL,
    role                 text        NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    must_change_password boolean     NOT NULL DEFAULT false,
    disabled             boolean     NOT NULL DEFAULT false,
    -- Bumped on password change, role change or disable: older login tokens stop working.
    token_version        integer     NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    last_login_at        timestamptz
);

CREATE TABLE gateway.api_keys (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    prefix       text        NOT NULL UNIQUE CHECK (char_length(prefix) BETWEEN 8 AND 32),
    key_hash     text        NOT NULL CHECK (char_length(key_hash) = 64),
    role         text        CHECK (role IN ('viewer', 'responder', 'admin')),
    permissions  text[]      NOT NULL DEFAULT '{}' CHECK (permissions <@ ARRAY['ingest']::text[]),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_keys_grants_something CHECK (role IS NOT NULL OR cardinality(permissions) > 0)
);
CREATE INDEX api_keys_created_idx ON gateway.api_keys (created_at DESC);
