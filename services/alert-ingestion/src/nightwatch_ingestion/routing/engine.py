"""Routing an alert through the ordered rules, in memory (no I/O): the hot path runs this per alert.

- Rules are tried in order; the first that matches decides, and stops unless it says
  ``continue``; the next matching rules then add only what no earlier rule set (a team, a
  severity, a label): the first match wins for every action.
- Matchers see the alert as it arrived (its labels, ``service``, ``severity``, ``team`` =
  ``labels.team`` or empty), never what an earlier rule changed.
- The team: ``labels.team`` from the sender, else the first matching rule's ``set_team``, else
  the integration's default team, else the catch-all team (when it exists in on-call), else
  ``unrouted`` (counted, listed, and an incident nobody is paged for: never silently dropped).
- Labels a rule adds never replace a label the alert already has.

Rules are indexed by their first equality matcher (``service="api"``): an alert is tried against
the few rules whose value it has, plus the rules without one, in their order. The rules without one
whose first matcher is a regex (``service=~"legacy-.*"``) are screened together: one alternation of
their regexes per label name, matched once per alert in C; only when it matches are they tried one
by one (a regex with inline flags or backreferences is not combined: such rules are always tried).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nightwatch_ingestion import matchers

UNROUTED_TEAM = "unrouted"

# Not combined into an alternation: inline flags (only valid at a pattern's start), numbered or
# named groups referred back to (their numbers change when combined).
_NOT_COMBINABLE = re.compile(r"\(\?[a-zA-Z]|\\[1-9]|\(\?P[<=]|\\g<")


class RoutedBy:
    """What decided an alert's team (the ``rule`` label of ``alerts_routed_total`` when no rule
    did)."""

    label = "labels.team"
    integration = "integration"
    catch_all = "catch-all"


@dataclass(frozen=True)
class Rule:
    id: uuid.UUID
    name: str
    matchers: tuple[matchers.Matcher, ...]
    set_team: str | None = None
    set_severity: str | None = None
    add_labels: Mapping[str, str] = field(default_factory=dict)
    suppress: bool = False
    continue_matching: bool = False


@dataclass(frozen=True)
class Decision:
    team: str
    severity: str
    labels: dict[str, str]
    routed_by: str | None  # a rule's name, a RoutedBy value, or None: unrouted
    matched: tuple[Rule, ...] = ()
    suppressed_by: Rule | None = None

    @property
    def unrouted(self) -> bool:
        return self.routed_by is None


class RoutingTable:
    """The rules in order and the catch-all team, compiled once per change."""

    def __init__(self, rules: Sequence[Rule] = (), *, catch_all_team: str | None = None) -> None:
        self.rules = tuple(rules)
        self.catch_all_team = catch_all_team
        self._by_label: dict[str, dict[str, list[tuple[int, Rule]]]] = {}
        self._unindexed: list[tuple[int, Rule]] = []
        by_regex: dict[str, list[tuple[int, Rule, str]]] = {}
        for order, rule in enumerate(self.rules):
            key = next((m for m in rule.matchers if m.operator is matchers.Operator.equal), None)
            first = rule.matchers[0] if rule.matchers else None
            if key is not None:
                by_value = self._by_label.setdefault(key.name, {})
                by_value.setdefault(key.value, []).append((order, rule))
            elif (
                first is not None
                and first.operator is matchers.Operator.regex
                and not _NOT_COMBINABLE.search(first.value)
            ):
                by_regex.setdefault(first.name, []).append((order, rule, first.value))
            else:
                self._unindexed.append((order, rule))
        # label name -> (one regex: any of the rules' first matchers, the rules)
        self._screened: list[tuple[str, re.Pattern[str], list[tuple[int, Rule]]]] = []
        for name, entries in by_regex.items():
            try:
                screen = re.compile("|".join(f"(?:{value})" for _, _, value in entries))
            except re.error:  # never expected (each compiled alone); then try them one by one
                self._unindexed.extend((order, rule) for order, rule, _ in entries)
                continue
            self._screened.append((name, screen, [(order, rule) for order, rule, _ in entries]))

    def _candidates(self, labels: Mapping[str, str]) -> list[tuple[int, Rule]]:
        found = list(self._unindexed)
        for name, by_value in self._by_label.items():
            found.extend(by_value.get(labels.get(name, ""), ()))
        for name, screen, rules in self._screened:
            if screen.fullmatch(labels.get(name, "")) is not None:
                found.extend(rules)
        if len(found) > 1:
            found.sort(key=lambda pair: pair[0])
        return found

    def matching(self, labels: Mapping[str, str]) -> list[Rule]:
        """The rules that apply, in order: up to the first match without ``continue``."""
        applied: list[Rule] = []
        for _, rule in self._candidates(labels):
            # matches_all, written out: this loop runs per alert and per candidate rule
            for matcher in rule.matchers:
                if not matcher.matches(labels.get(matcher.name, "")):
                    break
            else:
                applied.append(rule)
                if not rule.continue_matching:
                    break
        return applied

    def route(
        self,
        *,
        service: str,
        severity: str,
        labels: dict[str, str],
        integration_team: str | None = None,
    ) -> Decision:
        label_team = labels.get("team", "").strip()
        applied = (
            self.matching(
                matchers.alert_labels(
                    service=service, severity=severity, team=label_team, labels=labels
                )
            )
            if self.rules
            else []
        )
        rule_team = next((r for r in applied if r.set_team), None)
        new_severity = next((r.set_severity for r in applied if r.set_severity), severity)
        new_labels = labels
        for rule in applied:
            if rule.add_labels:
                new_labels = {**rule.add_labels, **new_labels}
        suppressed_by = next((r for r in applied if r.suppress), None)
        team: str
        routed_by: str | None
        if label_team:
            team, routed_by = label_team, RoutedBy.label
        elif rule_team is not None:
            team, routed_by = rule_team.set_team or "", rule_team.name
        elif integration_team:
            team, routed_by = integration_team, RoutedBy.integration
        elif self.catch_all_team:
            team, routed_by = self.catch_all_team, RoutedBy.catch_all
        else:
            team, routed_by = UNROUTED_TEAM, None
        return Decision(
            team=team,
            severity=new_severity,
            labels=new_labels,
            routed_by=routed_by,
            matched=tuple(applied),
            suppressed_by=suppressed_by,
        )
