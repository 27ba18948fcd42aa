-- Issue #15 item 2: an incident whose escalation paged nobody must be loud. On-call decides who
-- is paged and reports it back through the incident timeline (its durable timeline jobs); the
-- timeline batch route keeps the outcome on the incident, so the list, the detail, the dashboard
-- count and the metric read one column and nothing calls on-call on the hot path.
--   pending       no outcome reported yet (escalation starting, or on-call unreachable)
--   paged         at least one page was delivered to the notification service
--   nobody_paged  a level was paged and nobody was on it (no policy and nobody on call, an unknown
--                 team, a gap in every schedule), and nobody has been paged since
-- A constant default: PostgreSQL adds the column without rewriting the table.
ALTER TABLE incidents.incidents ADD COLUMN page_state text NOT NULL DEFAULT 'pending'
    CHECK (page_state IN ('pending', 'paged', 'nobody_paged'));

-- The dashboard count and the metric: unresolved incidents that paged nobody (few rows).
CREATE INDEX incidents_nobody_paged_idx ON incidents.incidents (created_at DESC)
    WHERE page_state = 'nobody_paged' AND status <> 'resolved';
