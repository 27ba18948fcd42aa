-- Issue #15: text search of incidents and the partial service filter.
--
-- (Push updates, issue #15, need no schema: the services NOTIFY after their writes commit;
-- nightwatch_core/change_signal.py says why not from a trigger inside the transaction.)

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
