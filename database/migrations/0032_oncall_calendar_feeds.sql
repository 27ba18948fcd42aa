-- Calendar apps subscribe to a URL and cannot send an Authorization header, so each schedule gets
-- a secret feed token (as PagerDuty's and GoAlert's private calendar URLs): 244 random bits from
-- two gen_random_uuid() values (core PostgreSQL 13+, strong randomness, no extension).
ALTER TABLE oncall.schedules
    ADD COLUMN ical_token text NOT NULL
        DEFAULT (replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''));
ALTER TABLE oncall.schedules ADD CONSTRAINT schedules_ical_token_key UNIQUE (ical_token);
