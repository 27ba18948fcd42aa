"""Routing rules in memory: Alertmanager's matcher semantics, first match wins, ``continue``, the
team's precedence (labels.team, rule, integration, catch-all, unrouted)."""

from __future__ import annotations

import uuid
from typing import Any

from nightwatch_ingestion import matchers
from nightwatch_ingestion.routing.engine import UNROUTED_TEAM, RoutedBy, RoutingTable, Rule


def rule(name: str, *texts: str, **actions: Any) -> Rule:
    return Rule(
        id=uuid.uuid4(), name=name, matchers=tuple(matchers.parse(t) for t in texts), **actions
    )


def route(table: RoutingTable, service: str = "api", severity: str = "high", **kw: Any) -> Any:
    labels = kw.pop("labels", {})
    return table.route(service=service, severity=severity, labels=labels, **kw)


def test_regexes_are_anchored_like_alertmanagers() -> None:
    table = RoutingTable([rule("api", 'service=~"api"', set_team="core")])
    assert route(table, "api").team == "core"
    assert route(table, "api-gateway").team == UNROUTED_TEAM  # not a substring match
    assert route(table, "my-api").team == UNROUTED_TEAM
    prefix = RoutingTable([rule("api*", 'service=~"api.*"', set_team="core")])
    assert route(prefix, "api-gateway").team == "core"


def test_a_missing_label_is_the_empty_string() -> None:
    # Alertmanager: env!~"prod" and env!="prod" match an alert without env; env=~".+" does not.
    not_prod = RoutingTable([rule("not prod", 'env!~"prod"', set_team="dev")])
    assert route(not_prod).team == "dev"
    assert route(not_prod, labels={"env": "prod"}).team == UNROUTED_TEAM
    assert route(not_prod, labels={"env": "production"}).team == "dev"  # anchored
    has_env = RoutingTable([rule("any env", 'env=~".+"', set_team="ops")])
    assert route(has_env).team == UNROUTED_TEAM
    no_env = RoutingTable([rule("no env", 'env=""', set_team="ops")])
    assert route(no_env).team == "ops"
    assert route(no_env, labels={"env": "x"}).team == UNROUTED_TEAM


def test_service_severity_and_any_label_are_matched_all_together() -> None:
    table = RoutingTable(
        [rule("pay", 'service="pay"', 'severity=~"critical|high"', 'region!="eu"', set_team="p")]
    )
    assert route(table, "pay", "critical").team == "p"
    assert route(table, "pay", "low").team == UNROUTED_TEAM
    assert route(table, "pay", "high", labels={"region": "eu"}).team == UNROUTED_TEAM


def test_first_match_wins_and_stops() -> None:
    first = rule("first", 'service="api"', set_team="one", add_labels={"by": "first"})
    second = rule("second", 'severity="high"', set_team="two", set_severity="low")
    decision = route(RoutingTable([first, second]))
    assert (decision.team, decision.routed_by, decision.severity) == ("one", "first", "high")
    assert decision.matched == (first,) and decision.labels == {"by": "first"}
    swapped = route(RoutingTable([second, first]))
    assert (swapped.team, swapped.severity) == ("two", "low")


def test_continue_lets_later_rules_add_what_was_not_set() -> None:
    tag = rule(
        "tag", 'env="prod"', add_labels={"tier": "1", "env": "ignored"}, continue_matching=True
    )
    team = rule("team", 'service="api"', set_team="core", add_labels={"tier": "2"})
    never = rule("never", 'service="api"', set_team="other")
    decision = route(RoutingTable([tag, team, never]), labels={"env": "prod"})
    assert decision.matched == (tag, team)  # the second has no continue: "never" is not tried
    assert decision.team == "core" and decision.routed_by == "team"
    # an alert's own label is never replaced; the first rule to add a label wins
    assert decision.labels == {"env": "prod", "tier": "1"}


def test_rules_match_the_alert_as_sent_not_as_changed() -> None:
    lower = rule("lower", 'service="api"', set_severity="low", continue_matching=True)
    on_low = rule("on low", 'severity="low"', set_team="night")
    decision = route(RoutingTable([lower, on_low]), severity="high")
    assert decision.severity == "low" and decision.team == UNROUTED_TEAM


def test_suppress() -> None:
    drop = rule("drop debug", 'severity="low"', 'env="dev"', suppress=True)
    table = RoutingTable([drop])
    assert route(table, severity="low", labels={"env": "dev"}).suppressed_by == drop
    assert route(table, severity="low").suppressed_by is None


def test_team_precedence_label_rule_integration_catch_all() -> None:
    table = RoutingTable([rule("api", 'service="api"', set_team="core")], catch_all_team="ops")
    assert route(table, labels={"team": " sre "}).team == "sre"  # the sender names the team
    assert route(table, labels={"team": "sre"}).routed_by == RoutedBy.label
    by_rule = route(table, integration_team="integration-team")
    assert (by_rule.team, by_rule.routed_by) == ("core", "api")
    by_integration = route(table, "web", integration_team="web-team")
    assert (by_integration.team, by_integration.routed_by) == ("web-team", RoutedBy.integration)
    caught = route(table, "web")
    assert (caught.team, caught.routed_by, caught.unrouted) == ("ops", RoutedBy.catch_all, False)
    nowhere = route(RoutingTable([]), "web")
    assert (nowhere.team, nowhere.routed_by, nowhere.unrouted) == (UNROUTED_TEAM, None, True)


def test_a_rule_can_match_on_labels_team() -> None:
    # labels.team is visible to matchers (as "team"): a rule can lower the severity of a team's
    # alerts without taking the team away.
    table = RoutingTable([rule("sre low", 'team="sre"', set_severity="low", set_team="x")])
    decision = route(table, labels={"team": "sre"})
    assert (decision.team, decision.severity) == ("sre", "low")


def test_the_index_keeps_the_order_of_indexed_and_unindexed_rules() -> None:
    rules = [rule(f"svc {n}", f'service="svc-{n}"', set_team=f"t{n}") for n in range(200)]
    rules.insert(100, rule("regex", 'service=~"svc-1.*"', set_team="regex"))
    table = RoutingTable(rules)
    assert route(table, "svc-7").team == "t7"
    assert route(table, "svc-15").team == "t15"  # position 15, before the regex
    assert route(table, "svc-150").team == "regex"  # the regex (100) comes before svc-150 (151)
    assert route(table, "svc-99").team == "t99"
    assert route(table, "other").team == UNROUTED_TEAM


def test_regex_rules_screened_together_keep_their_order_and_semantics() -> None:
    rules = [
        rule("eu db", 'service=~"db-.*"', 'region="eu"', set_team="eu-db"),
        rule("case", 'service=~"(?i)WEB"', set_team="web"),  # inline flag: never combined
        rule("indexed", 'service="db-main"', set_team="main"),
        rule("any db", 'service=~"db-.*|cache"', set_team="db"),
        rule("backref", 'service=~"(a)\\\\1"', set_team="aa"),  # a backreference: never combined
    ]
    table = RoutingTable(rules)
    assert route(table, "db-main", labels={"region": "eu"}).team == "eu-db"
    assert route(table, "db-main").team == "main"  # "eu db" fails on region, "indexed" is next
    assert route(table, "db-x").team == "db"
    assert route(table, "cache").team == "db"
    assert route(table, "cache-x").team == UNROUTED_TEAM  # the alternation is anchored as a whole
    assert route(table, "web").team == "web"
    assert route(table, "aa").team == "aa"
    assert route(table, "other").team == UNROUTED_TEAM
