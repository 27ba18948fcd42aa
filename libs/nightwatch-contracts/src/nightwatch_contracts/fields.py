"""Text fields the contract bodies share: bounded and storable (no NUL), checked on arrival."""

from __future__ import annotations

from typing import Annotated

from nightwatch_core.validation import reject_nul
from pydantic import AfterValidator, StringConstraints

# A name: an incident's service or team, an escalation's team, an actor.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(reject_nul),
]
