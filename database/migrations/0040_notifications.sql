-- Notifications and their outbox. A notification is stored (status 'pending') before any attempt;
-- the delivery worker claims due rows with SELECT ... FOR UPDATE SKIP LOCKED, so N replicas never
-- send one twice, and ends each row 'delivered' or 'failed' with the last error kept.
CREATE TABLE notification.notifications (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    recipient        text        NOT NULL CHECK (char_length(recipient) BETWEEN 1 AND 2048),
    channel          text        NOT NULL CHECK (channel ~ '^[a-z][a-z0-9_]{0,31}$'),
    subject          text        NOT NULL CHECK (char_length(subject) <= 500),
    message          text        NOT NULL CHECK (char_length(message) <= 10000),
    incident_id      uuid,       -- incident-management's id (another service: no foreign key)
    idempotency_key  text        CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
    status           text        NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     integer     NOT NULL CHECK (max_attempts >= 1),
    next_attempt_at  timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    CONSTRAINT notifications_pending_is_scheduled
        CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
    CONSTRAINT notifications_delivered_has_time
        CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
-- Same idempotency key -> same notification, enforced by the database (safe across replicas).
CREATE UNIQUE INDEX notifications_idempotency_key_idx
    ON notification.notifications (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The worker's queue: only pending rows, in due order.
CREATE INDEX notifications_due_idx
    ON notification.notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_created_idx ON notification.notifications (created_at DESC, id DESC);
CREATE INDEX notifications_incident_idx
    ON notification.notifications (incident_id, created_at DESC);
CREATE INDEX notifications_recipient_idx
    ON notification.notifications (recipient, created_at DESC);
CREATE INDEX notifications_status_idx ON notification.notifications (status, created_at DESC);
