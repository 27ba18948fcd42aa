-- The dashboard's MTTA / MTTR per team and per service (GET /api/v1/incidents/stats/by-group)
-- over all incidents: one GROUP BY over an index led by the group's column that carries every
-- column the answer needs (status for "open", the durations of migration 0061), so it stays an
-- index-only scan at 100,000+ incidents instead of reading the wide rows. Both replace an index
-- on the same leading column, so a write maintains no more indexes than before; the list's team
-- and service filters (newest first, severity / status narrowed in the index) use them as before.

DROP INDEX incidents.incidents_team_idx;
CREATE INDEX incidents_team_idx ON incidents.incidents (team, created_at DESC, id)
    INCLUDE (status, severity, updated_at, mtta_seconds, mttr_seconds);

DROP INDEX incidents.incidents_service_severity_idx;
CREATE INDEX incidents_service_idx ON incidents.incidents (service, created_at DESC, id)
    INCLUDE (status, severity, updated_at, mtta_seconds, mttr_seconds);
