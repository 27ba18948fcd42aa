"""Alertmanager's matcher syntax and semantics (pkg/labels in Alertmanager): anchoring, a missing
label as the empty string, quoting and escapes, and errors that name the matcher."""

from __future__ import annotations

import pytest
from nightwatch_ingestion import matchers
from nightwatch_ingestion.matchers import MatcherError, Operator, parse


@pytest.mark.parametrize(
    ("text", "name", "operator", "value"),
    [
        ('service="api"', "service", Operator.equal, "api"),
        ("service=api", "service", Operator.equal, "api"),
        ('  env != "prod" ', "env", Operator.not_equal, "prod"),
        ('code=~"5.."', "code", Operator.regex, "5.."),
        ("code!~4..", "code", Operator.not_regex, "4.."),
        ('msg="say \\"hi\\", ok"', "msg", Operator.equal, 'say "hi", ok'),
        ('path="a\\\\b\\nc"', "path", Operator.equal, "a\\b\nc"),
        ('empty=""', "empty", Operator.equal, ""),
        ("job:rate=x", "job:rate", Operator.equal, "x"),
    ],
)
def test_parses_alertmanager_syntax(text: str, name: str, operator: Operator, value: str) -> None:
    matcher = parse(text)
    assert (matcher.name, matcher.operator, matcher.value) == (name, operator, value)
    assert parse(str(matcher)) == matcher  # the stored text form parses back the same


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        # regexes are fully anchored
        ('service=~"api"', {"service": "api"}, True),
        ('service=~"api"', {"service": "api-gateway"}, False),
        ('service=~"api"', {"service": "my-api"}, False),
        ('service=~"api.*"', {"service": "api-gateway"}, True),
        ('service=~"a|b"', {"service": "b"}, True),
        ('service!~"a|b"', {"service": "ab"}, True),
        # a missing label is the empty string
        ('env!="prod"', {}, True),
        ('env!~"prod"', {}, True),
        ('env=~".*"', {}, True),
        ('env=~".+"', {}, False),
        ('env=""', {}, True),
        ('env="prod"', {}, False),
        ('env!=""', {}, False),
        ('env!=""', {"env": "x"}, True),
        ('severity=~"(?i)CRIT.*"', {"severity": "critical"}, True),
    ],
)
def test_semantics_match_alertmanager(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse(text).matches_labels(labels) is expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('service=~"(unclosed"', "invalid regular expression"),
        ('9lives="x"', "not a matcher"),
        ("service", "not a matcher"),
        ('service="a"b"', "unescaped double quote"),
        ('service="open', "closing double quote"),
    ],
)
def test_bad_matchers_name_the_matcher(text: str, says: str) -> None:
    with pytest.raises(MatcherError) as caught:
        parse(text)
    assert repr(text) in str(caught.value) and says in str(caught.value)


def test_all_must_match_and_service_severity_team_are_labels() -> None:
    labels = matchers.alert_labels(
        service="checkout", severity="high", team="payments", labels={"env": "prod"}
    )
    both = [parse('service="checkout"'), parse('severity=~"critical|high"')]
    assert matchers.matches_all(both, labels)
    assert not matchers.matches_all([*both, parse('team!="payments"')], labels)
    assert matchers.matches_all([], labels)
