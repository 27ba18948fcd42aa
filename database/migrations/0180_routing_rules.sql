-- Routing rules (issue #16), owned by alert-ingestion: an ordered list of label matchers and
-- actions applied to every alert before it is placed; they replace the SERVICE_TEAM_MAP setting
-- and the phantom `default` team (docs/routing.md).

-- One rule. position orders them (first match wins); matchers are Alertmanager's text, as for
-- silences. Actions: set_team, set_severity, add_labels, suppress; continue_matching lets the
-- next matching rules add what this one did not set.
CREATE TABLE ingestion.routing_rules (
    id                uuid        PRIMARY KEY,
    position          integer     NOT NULL CHECK (position >= 0),
    name              text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    matchers          jsonb       NOT NULL CHECK (jsonb_typeof(matchers) = 'array'),
    set_team          text        CHECK (length(set_team) BETWEEN 1 AND 200),
    set_severity      text        CHECK (set_severity IN ('critical', 'high', 'medium', 'low')),
    add_labels        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(add_labels) = 'object'),
    suppress          boolean     NOT NULL DEFAULT false,
    continue_matching boolean     NOT NULL DEFAULT false,
    created_by        text        NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_by        text        NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX routing_rules_position_idx ON ingestion.routing_rules (position, id);

-- The settings of routing: one row. catch_all_team takes every alert no label, rule or
-- integration gave a team (NULL: those alerts are unrouted). service_team_map_imported_at: when
-- a SERVICE_TEAM_MAP found at startup was turned into rules (it is imported once).
CREATE TABLE ingestion.routing_settings (
    id                           boolean     PRIMARY KEY DEFAULT true CHECK (id),
    catch_all_team               text        CHECK (length(catch_all_team) BETWEEN 1 AND 200),
    updated_by                   text,
    updated_at                   timestamptz,
    service_team_map_imported_at timestamptz
);
INSERT INTO ingestion.routing_settings (id) VALUES (true);

-- Who changed what, when: one row per change, with the rule (or the catch-all) before and after.
CREATE TABLE ingestion.routing_changes (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    changed_at timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'reordered',
                                                      'catch_all', 'imported')),
    rule_id    uuid,
    before     jsonb,
    after      jsonb
);
CREATE INDEX routing_changes_rule_idx ON ingestion.routing_changes (rule_id, id DESC)
    WHERE rule_id IS NOT NULL;

-- Every replica keeps the rules in memory; a committed change tells them at once (rare admin
-- writes: a NOTIFY in their transaction costs the alert path nothing).
CREATE FUNCTION ingestion.notify_routing_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('nightwatch_routing', TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER routing_rules_changed AFTER INSERT OR UPDATE OR DELETE ON ingestion.routing_rules
    FOR EACH STATEMENT EXECUTE FUNCTION ingestion.notify_routing_changed();
CREATE TRIGGER routing_settings_changed AFTER UPDATE ON ingestion.routing_settings
    FOR EACH STATEMENT EXECUTE FUNCTION ingestion.notify_routing_changed();

-- An alert a routing rule suppresses is stored like a silenced one (kind 'routing', the rule's
-- id); an alert that routed nowhere carries the team 'unrouted', listed by this index.
ALTER TABLE ingestion.alerts DROP CONSTRAINT alerts_suppressed_by_kind_check;
ALTER TABLE ingestion.alerts ADD CONSTRAINT alerts_suppressed_by_kind_check
    CHECK (suppressed_by_kind IN ('silence', 'maintenance', 'routing'));
CREATE INDEX alerts_unrouted_idx ON ingestion.alerts (received_at DESC, id DESC)
    WHERE team = 'unrouted';
