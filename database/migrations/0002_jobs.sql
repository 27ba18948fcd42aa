-- Durable job tables (outbox), one per service schema, used by nightwatch_core.jobs.
-- Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED; a dead job (dead_at set) is kept.
DO $$
DECLARE
    owner_schema text;
BEGIN
    FOREACH owner_schema IN ARRAY ARRAY['ingestion', 'incidents', 'oncall', 'notification'] LOOP
        EXECUTE format($ddl$
            CREATE TABLE %1$I.jobs (
                id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind        text        NOT NULL,
                payload     jsonb       NOT NULL,
                dedup_key   text        UNIQUE,
                run_at      timestamptz NOT NULL DEFAULT now(),
                attempts    integer     NOT NULL DEFAULT 0,
                last_error  text,
                dead_at     timestamptz,
                created_at  timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX jobs_due_idx ON %1$I.jobs (run_at) WHERE dead_at IS NULL;
        $ddl$, owner_schema);
    END LOOP;
END
$$;
