-- api-gateway: every committed change that can refuse a credential (a key revoked, expired or
-- re-scoped; an account disabled, deleted, its role, password or token version changed) is
-- announced on the channel `nightwatch_gateway_credentials`. Each gateway replica LISTENs and
-- clears its credential cache, so every replica refuses at once, not when its cache runs out
-- (issue #17). A trigger, not application code: a change made with psql is announced as well.
-- Using a key (last_used_at) or logging in (last_login_at) announces nothing.

CREATE FUNCTION gateway.announce_credential_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Delivered at commit only, once per transaction and payload.
    PERFORM pg_notify('nightwatch_gateway_credentials', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_keys_announce_change
    AFTER UPDATE ON gateway.api_keys
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.permissions IS DISTINCT FROM NEW.permissions
          OR OLD.key_hash IS DISTINCT FROM NEW.key_hash)
    EXECUTE FUNCTION gateway.announce_credential_change();

CREATE TRIGGER api_keys_announce_delete
    AFTER DELETE ON gateway.api_keys
    FOR EACH ROW EXECUTE FUNCTION gateway.announce_credential_change();

CREATE TRIGGER accounts_announce_change
    AFTER UPDATE ON gateway.accounts
    FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role
          OR OLD.disabled IS DISTINCT FROM NEW.disabled
          OR OLD.token_version IS DISTINCT FROM NEW.token_version
          OR OLD.must_change_password IS DISTINCT FROM NEW.must_change_password
          OR OLD.password_hash IS DISTINCT FROM NEW.password_hash)
    EXECUTE FUNCTION gateway.announce_credential_change();

CREATE TRIGGER accounts_announce_delete
    AFTER DELETE ON gateway.accounts
    FOR EACH ROW EXECUTE FUNCTION gateway.announce_credential_change();
