"""How a sender uses a contract: the body is checked by the receiver's own model before it leaves,
so a body the receiver would refuse is found (and kept dead) here, without a call."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["ValidationError", "checked_body"]


def checked_body(model: type[BaseModel], data: Any) -> dict[str, Any]:
    """``data`` as the receiver's ``model`` takes it, as JSON; the fields left out stay out (the
    receiver applies its defaults). Raises pydantic's ``ValidationError`` for a refused body."""
    return model.model_validate(data).model_dump(mode="json", exclude_unset=True)
