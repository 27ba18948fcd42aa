"""Alertmanager's label matchers: ``name="value"``, ``name!="value"``, ``name=~"regex"``,
``name!~"regex"`` — the same syntax and semantics, for silences now and routing rules later.

- The value may be double-quoted (OpenMetrics escapes inside: ``\\"``, ``\\n``, ``\\\\``) or bare.
- Regexes are fully anchored (``=~"api"`` does not match ``api-gateway``).
- A label the alert does not have is the empty string: ``env!="prod"`` and ``env!~"prod"`` match
  an alert without ``env``; ``env=~".*"`` matches it too.
- An alert's labels for matching are its ``labels`` plus ``service``, ``severity`` and ``team``.

Python's ``re`` stands in for Go's RE2: the syntax both share (classes, alternation, repetition,
``(?i)``) behaves the same; RE2-only or re-only constructs may differ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

MAX_MATCHER_LENGTH = 1024

# Alertmanager's classic matcher grammar ('=~' before '=' so '~' is not taken as the value).
_MATCHER = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s:.*?))\s*$")


class MatcherError(ValueError):
    """A matcher that cannot be parsed; the message names it and says what is wrong."""


class Operator(StrEnum):
    equal = "="
    not_equal = "!="
    regex = "=~"
    not_regex = "!~"


@dataclass(frozen=True)
class Matcher:
    name: str
    operator: Operator
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(cls, name: str, operator: Operator, value: str) -> Matcher:
        pattern = None
        if operator in (Operator.regex, Operator.not_regex):
            try:
                # fullmatch anchors like Alertmanager's ^(?:...)$, and leaves a leading (?i) valid
                pattern = re.compile(value)
            except re.error as exc:
                raise MatcherError(f"invalid regular expression {value!r}: {exc}") from None
        return cls(name, operator, value, pattern)

    def matches(self, value: str) -> bool:
        if self.operator is Operator.equal:
            return value == self.value
        if self.operator is Operator.not_equal:
            return value != self.value
        assert self._pattern is not None
        found = self._pattern.fullmatch(value) is not None
        return found if self.operator is Operator.regex else not found

    def matches_labels(self, labels: Mapping[str, str]) -> bool:
        return self.matches(labels.get(self.name, ""))

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.operator.value}"{escaped}"'


def _unescape(raw: str, text: str) -> str:
    quoted = raw.startswith('"')
    if quoted:
        raw = raw[1:]
    out: list[str] = []
    escaped = False
    for i, char in enumerate(raw):
        if escaped:
            escaped = False
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(char, "\\" + char))
            continue
        if char == "\\" and i < len(raw) - 1:
            escaped = True
        elif char == '"':
            if not quoted or i < len(raw) - 1:
                raise MatcherError(f"{text!r}: the value has an unescaped double quote")
            quoted = False
        else:
            out.append(char)
    if quoted:
        raise MatcherError(f"{text!r}: the value's closing double quote is missing")
    return "".join(out)


def parse(text: str) -> Matcher:
    """One matcher from Alertmanager's text form; raises MatcherError naming it."""
    if len(text) > MAX_MATCHER_LENGTH:
        raise MatcherError(f"{text[:40]!r}...: longer than {MAX_MATCHER_LENGTH} characters")
    found = _MATCHER.match(text)
    if found is None:
        raise MatcherError(
            f'{text!r}: not a matcher; write name="value" with one of =, !=, =~, !~ '
            "(the name: letters, digits, _ and :, not starting with a digit)"
        )
    name, operator, raw = found.groups()
    try:
        return Matcher.build(name, Operator(operator), _unescape(raw, text))
    except MatcherError as exc:
        if str(exc).startswith(repr(text)):
            raise
        raise MatcherError(f"{text!r}: {exc}") from None


def matches_all(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    """Every matcher matches (an empty list matches everything, as in Alertmanager)."""
    return all(m.matches_labels(labels) for m in matchers)


def alert_labels(
    *, service: str, severity: str, team: str, labels: Mapping[str, str]
) -> dict[str, str]:
    """What matchers see of an alert: its labels, with service, severity and team on top."""
    return {**labels, "service": service, "severity": severity, "team": team}
