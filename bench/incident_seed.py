"""100,000 stored incidents for `make bench-incidents`, written by PostgreSQL itself.

One INSERT … SELECT over generate_series (a few seconds, no Python per row), spread like a real
installation's history: 90 days, 20 teams, 100 services (each owned by one team), severities
10/25/40/25 %, the last day still busy (open / acknowledged / in progress) and older incidents
nearly all resolved; acknowledged_at / resolved_at / *_by agree with the status (10 % of the
resolved ones were resolved straight from open, so they have no MTTA), and each incident has its
`created` timeline entry. Random but repeatable (setseed).
"""

from __future__ import annotations

import asyncpg

TEAMS = 20
SERVICES = 100

_SEED_SQL = f"""
CREATE TEMP TABLE seed ON COMMIT DROP AS
SELECT g,
       now() - random() * interval '90 days' AS created_at,
       (g % {SERVICES}) AS svc,
       random() AS r_status, random() AS r_sev, random() AS r_ack, random() AS r_res,
       random() AS r_direct, random() AS r_assignee
FROM generate_series(1, $1::int) AS g;


INSERT INTO incidents.incidents
    (title, description, service, severity, status, team, assignee, created_at, updated_at,
     acknowledged_at, resolved_at, acknowledged_by, resolved_by)
SELECT 'seeded incident ' || g, 'seeded for the benchmark', 'svc-' || svc,
       CASE WHEN r_sev < 0.10 THEN 'critical' WHEN r_sev < 0.35 THEN 'high'
            WHEN r_sev < 0.75 THEN 'medium' ELSE 'low' END,
       status, 'team-' || (svc % {TEAMS}),
       CASE WHEN r_assignee < 0.6 THEN 'person-' || (g % 150) END,
       created_at, greatest(created_at, ack_at, res_at), ack_at, res_at,
       CASE WHEN ack_at IS NOT NULL THEN 'person-' || (g % 150) END,
       CASE WHEN res_at IS NOT NULL THEN 'person-' || (g % 150) END
FROM (
    SELECT s.*, st.status,
           CASE WHEN st.status <> 'open' AND NOT (st.status = 'resolved' AND r_direct < 0.10)
                THEN created_at + (30 + r_ack * 3600) * interval '1 second' END AS ack_at,
           CASE WHEN st.status = 'resolved'
                THEN created_at + (600 + r_res * 28800) * interval '1 second' END AS res_at
    FROM seed s,
    LATERAL (SELECT CASE
        WHEN s.created_at > now() - interval '1 day' THEN
            CASE WHEN r_status < 0.30 THEN 'open' WHEN r_status < 0.55 THEN 'acknowledged'
                 WHEN r_status < 0.75 THEN 'in_progress' ELSE 'resolved' END
        ELSE
            CASE WHEN r_status < 0.005 THEN 'open' WHEN r_status < 0.015 THEN 'acknowledged'
                 WHEN r_status < 0.03 THEN 'in_progress' ELSE 'resolved' END
        END AS status) st
) x;

INSERT INTO incidents.incident_timeline
    (incident_id, event_type, actor, message, data, dedup_key, created_at)
SELECT id, 'created', 'bench', 'Incident created',
       jsonb_build_object('severity', severity, 'service', service, 'team', team),
       'created', created_at
FROM incidents.incidents WHERE title LIKE 'seeded incident %';
"""


async def seed(database_url: str, count: int) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            await connection.execute("SELECT setseed(0.42)")
            create_seed, *inserts = _SEED_SQL.split(";\n\n")
            await connection.execute(create_seed, count)
            for statement in inserts:
                await connection.execute(statement)
        # As autovacuum would have by then: statistics and the visibility map (index-only scans).
        await connection.execute("VACUUM ANALYZE incidents.incidents")
        await connection.execute("VACUUM ANALYZE incidents.incident_timeline")
    finally:
        await connection.close()
