"""The incident state machine, as this service's modules name it. It is defined once, for every
service and the web UI, in ``nightwatch_contracts.vocabulary``."""

from __future__ import annotations

from nightwatch_contracts.vocabulary import TRANSITIONS, Severity, allowed_next, is_allowed
from nightwatch_contracts.vocabulary import IncidentStatus as Status

__all__ = ["TRANSITIONS", "Severity", "Status", "allowed_next", "is_allowed"]
