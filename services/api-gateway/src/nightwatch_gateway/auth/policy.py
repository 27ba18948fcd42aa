"""Who may do what: roles, the ingest permission, and the rule table for proxied routes.

The table is the single source of the matrix documented in docs/gateway.md; first match wins and
anything not listed needs `admin` (deny by default for whatever the services add later).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    viewer = "viewer"
    responder = "responder"
    admin = "admin"


class Permission(StrEnum):
    ingest = "ingest"


_RANK = {Role.viewer: 1, Role.responder: 2, Role.admin: 3}


class Need(StrEnum):
    """What a route requires; its value is also the route class used by rate limits and metrics."""

    read = "read"  # any role
    write = "write"  # responder or admin
    ingest = "ingest"  # an API key with the ingest permission, or admin
    admin = "admin"


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "api_key"
    id: str
    name: str
    role: Role | None
    permissions: frozenset[Permission] = frozenset()
    must_change_password: bool = False

    @property
    def actor(self) -> str:
        """What services record as the actor of a change (the `X-Actor` header)."""
        return f"api-key:{self.name}" if self.kind == "api_key" else self.name

    @property
    def rate_limit_identity(self) -> str:
        return f"{self.kind}:{self.id}"

    def has_role(self, role: Role) -> bool:
        return self.role is not None and _RANK[self.role] >= _RANK[role]

    def satisfies(self, need: Need) -> bool:
        if need is Need.read:
            return self.role is not None
        if need is Need.write:
            return self.has_role(Role.responder)
        if need is Need.ingest:
            return Permission.ingest in self.permissions or self.has_role(Role.admin)
        return self.has_role(Role.admin)


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_INCIDENT = r"/api/v1/incidents/[^/]+"
# (methods, path pattern, need) for non-read methods on proxied routes.
_WRITE_RULES: tuple[tuple[frozenset[str], re.Pattern[str], Need], ...] = (
    (frozenset({"POST"}), re.compile(r"/api/v1/alerts(/.*)?"), Need.ingest),
    (frozenset({"POST"}), re.compile(r"/api/v1/incidents"), Need.write),
    (frozenset({"POST"}), re.compile(r"/api/v1/incidents/bulk"), Need.write),
    (frozenset({"PATCH"}), re.compile(_INCIDENT), Need.write),
    # notes, acknowledge, resolve, assign... whatever the incident service hangs under an incident
    (frozenset({"POST", "PATCH", "PUT"}), re.compile(_INCIDENT + r"/.+"), Need.write),
    (frozenset({"POST"}), re.compile(r"/api/v1/escalate"), Need.write),
    # Responders silence alerts (and expire silences); maintenance windows are admin's.
    (frozenset({"POST"}), re.compile(r"/api/v1/silences(/[^/]+/expire)?"), Need.write),
    # "Send me a test notification" (issue #16): a responder checks a contact method works.
    (
        frozenset({"POST"}),
        re.compile(r"/api/v1/users/[^/]+/contact-methods/[^/]+/test"),
        Need.write,
    ),
    # Trying a sample alert against the routing rules changes nothing; editing them is admin's.
    (frozenset({"POST"}), re.compile(r"/api/v1/routing-rules/test"), Need.read),
)


# Integrations and heartbeats hold keys (snippets, ping URLs): every method is admin's, reading
# included (a heartbeat's ping URL itself is forwarded without a login: proxy/routes.py).
_ADMIN_ONLY = re.compile(r"/api/v1/(integrations|heartbeats)(/.*)?")


def need_for(method: str, path: str) -> Need:
    if _ADMIN_ONLY.fullmatch(path):
        return Need.admin
    if method in _READ_METHODS:
        return Need.read
    for methods, pattern, need in _WRITE_RULES:
        if method in methods and pattern.fullmatch(path):
            return need
    return Need.admin
