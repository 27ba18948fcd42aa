-- Issue #15: push updates and text search of incidents.
--
-- Push: every statement that writes incidents or alerts signals the channel `nightwatch_changes`
-- with the kind of row it wrote ('incidents' or 'alerts'). A statement-level trigger fires once
-- per statement, not per row, and PostgreSQL delivers identical notifications of one transaction
-- once, so a batch of 1,000 alerts costs one notification, delivered at commit (never for a
-- rolled-back write). incident-management LISTENs on one connection per process and streams the
-- signal to the browsers (GET /api/v1/incidents/events); every replica sees every change because
-- the signal goes through the database, whichever process wrote the row.

CREATE FUNCTION platform.notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('nightwatch_changes', TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON incidents.incidents
    FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_change('incidents');

CREATE TRIGGER alerts_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON ingestion.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_change('alerts');

-- Search: `q=` on GET /api/v1/incidents matches a substring of this text, case-insensitively
-- (ILIKE). The description carries the alert's message and its labels ("Labels: env=prod, ...").
-- One immutable function, so the query and the index use the same expression.
CREATE FUNCTION incidents.search_text(title text, service text, description text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT title || ' ' || service || ' ' || description
$$;

-- With pg_trgm (PostgreSQL's contrib; the postgres image has it) the search and the partial
-- service filter are trigram-indexed. Without it (an embedded server without contrib) they are
-- the same queries answered by a scan: slower on a large table, never wrong.
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%); incident search runs without its index', SQLERRM;
        RETURN;
    END;
    EXECUTE 'CREATE INDEX incidents_search_trgm_idx ON incidents.incidents USING gin '
        '(incidents.search_text(title, service, description) gin_trgm_ops)';
    EXECUTE 'CREATE INDEX incidents_service_trgm_idx ON incidents.incidents USING gin '
        '(service gin_trgm_ops)';
END
$$;
