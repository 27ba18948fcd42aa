"""The SQL of correlation, written out (docs/alerts.md explains the rules they enforce).

Every statement takes arrays, so a batch of any size costs the same number of round trips.
"""

from __future__ import annotations

from sqlalchemy import text

# One transaction-level advisory lock per (service, severity), in one global order (by the lock
# key): batches correlating the same key run one after the other, batches of other keys do not
# wait. PostgreSQL evaluates the volatile lock function after the sort.
LOCK_KEYS = text(
    """
    SELECT pg_advisory_xact_lock(hashtextextended(k.service || E'\\x1f' || k.severity, 0))
    FROM unnest(CAST(:services AS text[]), CAST(:severities AS text[])) AS k(service, severity)
    ORDER BY hashtextextended(k.service || E'\\x1f' || k.severity, 0)
    """
)

STORED_ANSWER = text("SELECT results FROM incidents.alert_batches WHERE id = :id")

# The open incidents a batch may touch, with their row locks, in id order: the open group of each
# key, and every open incident already holding one of the batch's fingerprints (the same alert
# firing again, resolving or acknowledged joins its incident however long the gap). A resolve
# holds the row lock while it closes the group: if it commits while we wait, PostgreSQL re-checks
# the row, sees `resolved` and leaves it out, and the key opens a new incident.
# Written as one index probe per key, fingerprint and incident (LATERAL subqueries the planner
# cannot flatten: LIMIT, OFFSET 0, FOR UPDATE), so its cost follows the batch, not the tables:
# joined as sets, a database without fresh statistics (autovacuum off, or not run yet) planned
# scans of every open group and open incident on each batch (docs/benchmarks.md).
LOCK_INCIDENTS = text(
    """
    WITH held AS MATERIALIZED (
        -- one probe of the fingerprint index per fingerprint of the batch
        SELECT f.incident_id, f.fingerprint, f.resolved_at
        FROM unnest(CAST(:fingerprints AS text[])) AS b(fingerprint)
        CROSS JOIN LATERAL (
            SELECT f.incident_id, f.fingerprint, f.resolved_at FROM incidents.alert_fingerprints f
            WHERE f.fingerprint = b.fingerprint OFFSET 0
        ) f
    ), wanted AS (
        -- one probe of the open-group index per (service, severity) of the batch
        SELECT g.incident_id
        FROM unnest(CAST(:services AS text[]), CAST(:severities AS text[])) AS k(service, severity)
        CROSS JOIN LATERAL (
            SELECT g.incident_id FROM incidents.alert_groups g
            WHERE g.service = k.service AND g.severity = k.severity AND g.closed_at IS NULL
            LIMIT 1
        ) g
        UNION
        SELECT incident_id FROM held
    )
    SELECT i.id AS incident_id, i.created_at, g.service, g.severity, g.last_alert_at,
           h.held, h.held_resolved
    FROM (SELECT incident_id FROM wanted ORDER BY incident_id) w
    CROSS JOIN LATERAL (
        SELECT i.id, i.created_at FROM incidents.incidents i
        WHERE i.id = w.incident_id AND i.status <> 'resolved'
        FOR UPDATE
    ) i
    LEFT JOIN LATERAL (
        SELECT g.service, g.severity, g.last_alert_at FROM incidents.alert_groups g
        WHERE g.incident_id = i.id AND g.closed_at IS NULL LIMIT 1
    ) g ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(fingerprint) AS held,
               array_agg(fingerprint) FILTER (WHERE resolved_at IS NOT NULL) AS held_resolved
        FROM held WHERE held.incident_id = i.id
    ) h ON true
    ORDER BY i.id
    """
)

EXPIRE_GROUPS = text(
    """
    UPDATE incidents.alert_groups SET closed_at = :now, close_reason = 'window_expired'
    WHERE incident_id = ANY(CAST(:ids AS uuid[])) AND closed_at IS NULL
    """
)

# New incidents, their groups and their "created" timeline entries in one statement.
OPEN_INCIDENTS = text(
    """
    WITH new AS (
        INSERT INTO incidents.incidents
            (id, title, description, service, severity, status, team, created_at, updated_at)
        SELECT n.id, n.title, n.description, n.service, n.severity, 'open', n.team, :now, :now
        FROM unnest(CAST(:ids AS uuid[]), CAST(:titles AS text[]),
                    CAST(:descriptions AS text[]), CAST(:services AS text[]),
                    CAST(:severities AS text[]), CAST(:teams AS text[]))
            AS n(id, title, description, service, severity, team)
        RETURNING id, service, severity, team
    ), groups AS (
        INSERT INTO incidents.alert_groups
            (incident_id, service, severity, opened_at, last_alert_at)
        SELECT g.id, g.service, g.severity, :now, g.last_alert_at
        FROM unnest(CAST(:ids AS uuid[]), CAST(:services AS text[]),
                    CAST(:severities AS text[]), CAST(:last_alerts AS timestamptz[]))
            AS g(id, service, severity, last_alert_at)
    )
    INSERT INTO incidents.incident_timeline
        (incident_id, event_type, actor, message, data, dedup_key, created_at)
    SELECT id, 'created', :actor,
           format('Incident created (%s, %s, team %s)', severity, service, team),
           jsonb_build_object('severity', severity, 'service', service, 'team', team),
           'created', :now
    FROM new
    """
)

# The first alert of a fingerprint in an incident claims it; the others are duplicates.
CLAIM_FINGERPRINTS = text(
    """
    INSERT INTO incidents.alert_fingerprints (incident_id, fingerprint)
    SELECT DISTINCT f.incident_id, f.fingerprint
    FROM unnest(CAST(:incident_ids AS uuid[]), CAST(:fingerprints AS text[]))
        AS f(incident_id, fingerprint)
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING
    RETURNING incident_id, fingerprint
    """
)

# Per incident: the counts, the group's latest arrival, and ONE timeline entry for the batch
# ("37 alerts attached"), however many alerts it carried.
RECORD_ALERTS = text(
    """
    WITH c AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:alerts AS int[]),
                             CAST(:duplicates AS int[]), CAST(:last_alerts AS timestamptz[]),
                             CAST(:messages AS text[]), CAST(:data AS jsonb[]))
            AS c(id, alerts, duplicates, last_alert_at, message, data)
    ), counted AS (
        UPDATE incidents.incidents i
        SET alert_count = i.alert_count + c.alerts,
            duplicate_count = i.duplicate_count + c.duplicates
        FROM c WHERE i.id = ANY(CAST(:ids AS uuid[])) AND i.id = c.id
        RETURNING i.id, i.created_at
    ), touched AS (
        -- = ANY: probes of the primary key whatever the statistics say (a join alone was
        -- planned as a scan of every group ever opened)
        UPDATE incidents.alert_groups g SET last_alert_at = c.last_alert_at
        FROM c WHERE g.incident_id = ANY(CAST(:ids AS uuid[])) AND g.incident_id = c.id
          AND g.last_alert_at < c.last_alert_at
    )
    INSERT INTO incidents.incident_timeline
        (incident_id, event_type, actor, message, data, dedup_key, created_at)
    SELECT c.id, 'alerts_attached', :actor, c.message, c.data, :dedup_key,
           greatest(CAST(:now AS timestamptz), counted.created_at)
    FROM c JOIN counted ON counted.id = c.id
    WHERE c.message IS NOT NULL
    """
)

STORE_ANSWER = text(
    """
    INSERT INTO incidents.alert_batches (id, received_at, results)
    VALUES (:id, :now, CAST(:results AS jsonb))
    ON CONFLICT DO NOTHING
    RETURNING id
    """
)

PRUNE_ANSWERS = text("DELETE FROM incidents.alert_batches WHERE received_at < :before")

# Alerts of an incident that fire again after they were resolved at the source.
REFIRE = text(
    """
    UPDATE incidents.alert_fingerprints f SET resolved_at = NULL
    FROM unnest(CAST(:incident_ids AS uuid[]), CAST(:fingerprints AS text[]))
        AS r(incident_id, fingerprint)
    WHERE f.fingerprint = ANY(CAST(:fingerprints AS text[]))
      AND f.incident_id = r.incident_id AND f.fingerprint = r.fingerprint
      AND f.resolved_at IS NOT NULL
    """
)

# Alerts resolved at their source; answers the incidents whose every alert is now resolved (the
# UPDATE's own rows are not visible to the outer query, hence the explicit exclusion).
RESOLVE_FINGERPRINTS = text(
    """
    WITH r AS (
        SELECT * FROM unnest(CAST(:incident_ids AS uuid[]), CAST(:fingerprints AS text[]))
            AS r(incident_id, fingerprint)
    ), marked AS (
        UPDATE incidents.alert_fingerprints f SET resolved_at = :now
        FROM r WHERE f.fingerprint = ANY(CAST(:fingerprints AS text[]))
          AND f.incident_id = r.incident_id AND f.fingerprint = r.fingerprint
          AND f.resolved_at IS NULL
    )
    SELECT DISTINCT r.incident_id FROM r
    WHERE NOT EXISTS (
        SELECT 1 FROM incidents.alert_fingerprints f
        WHERE f.incident_id = r.incident_id AND f.resolved_at IS NULL
          AND f.fingerprint <> ALL(
              SELECT r2.fingerprint FROM r r2 WHERE r2.incident_id = r.incident_id))
    ORDER BY r.incident_id
    """
)
