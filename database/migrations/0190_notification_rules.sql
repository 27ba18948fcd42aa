-- Personal notification rules (issue #16, oncall-escalation): how each person is reached when an
-- escalation level pages them. Per urgency (high = critical/high, low = medium/low), an ordered
-- list of "after N minutes, via contact method X". A person without rules for an urgency keeps
-- the behaviour from before: every contact method at once.
--
-- The rule steps need no timer table of their own: each step is an escalation page queued as a
-- durable job (oncall.jobs) whose run_at is the step's deadline, so the existing page workers
-- (SELECT ... FOR UPDATE SKIP LOCKED, N replicas) send it when due, and a stop (acknowledge,
-- resolve) cancels the pages still queued.

CREATE TABLE oncall.notification_rules (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid        NOT NULL REFERENCES oncall.users (id) ON DELETE CASCADE,
    urgency           text        NOT NULL CHECK (urgency IN ('high', 'low')),
    delay_minutes     integer     NOT NULL CHECK (delay_minutes BETWEEN 0 AND 1440),
    -- Deleting a contact method deletes the rules that use it (editing the list keeps the ids of
    -- the methods sent again unchanged: people/service.py).
    contact_method_id uuid        NOT NULL REFERENCES oncall.contact_methods (id) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, urgency, delay_minutes, contact_method_id)
);
-- Paging reads a person's rules by user (an index probe per person, whatever the statistics).
CREATE INDEX notification_rules_user_idx ON oncall.notification_rules (user_id, urgency, delay_minutes);
-- ON DELETE CASCADE from contact_methods probes this.
CREATE INDEX notification_rules_contact_method_idx ON oncall.notification_rules (contact_method_id);

-- Quiet hours (low urgency only), in the person's time zone (oncall.users.timezone). A window may
-- cross midnight (22:00-07:00). Low-urgency notifications due inside it wait until it ends.
CREATE TABLE oncall.notification_quiet_hours (
    user_id     uuid PRIMARY KEY REFERENCES oncall.users (id) ON DELETE CASCADE,
    start_time  time NOT NULL,
    end_time    time NOT NULL,
    CHECK (start_time <> end_time)
);

-- Which rule sent which page (NULL: the default, every contact method at once), and when a page
-- is due (a rule step's delay, or the end of quiet hours).
ALTER TABLE oncall.escalation_pages
    ADD COLUMN notification_rule_id uuid,
    ADD COLUMN notification_rule    text,
    ADD COLUMN due_at               timestamptz;
