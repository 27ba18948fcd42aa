-- api-gateway: the audit log (issue #12). Who did what to accounts, API keys, roles and — through
-- the gateway, which every change passes — schedules, policies, people, teams, channels and other
-- settings; and every login, successful or not, with the address and the request id.
-- Append-only, enforced here: UPDATE, DELETE and TRUNCATE are refused for every role, so neither
-- a bug nor a stolen admin session can rewrite history through the application.

CREATE TABLE gateway.audit_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 300),
    action     text        NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    target     text        CHECK (char_length(target) <= 2000),
    address    text        CHECK (char_length(address) <= 64),
    request_id text        CHECK (char_length(request_id) <= 128),
    details    jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON gateway.audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON gateway.audit_log (actor, at DESC);
CREATE INDEX audit_log_action_idx ON gateway.audit_log (action, at DESC);

CREATE FUNCTION gateway.audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'gateway.audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON gateway.audit_log
    FOR EACH ROW EXECUTE FUNCTION gateway.audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON gateway.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION gateway.audit_log_is_append_only();
