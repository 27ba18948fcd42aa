"""Shifts of an unsaved schedule: the console's schedule form shows them before saving."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.people.service import get_users
from nightwatch_oncall.schedules import rotation
from nightwatch_oncall.schedules.oncall import build_shift_list, restriction_of
from nightwatch_oncall.schedules.schemas import (
    LayerIn,
    SchedulePreviewIn,
    ShiftPreview,
    weekday_numbers,
)
from nightwatch_oncall.schedules.service import user_brief


@dataclass(frozen=True)
class _UnsavedLayer:
    """What a shift shows of its layer; the id only keys the pure model (never returned)."""

    id: uuid.UUID
    name: str
    level: int


def _rotation_layer(layer: LayerIn, label: _UnsavedLayer) -> rotation.Layer:
    hours, minutes = layer.handoff_time.split(":")
    return rotation.Layer(
        key=label.id,
        level=label.level,
        participants=tuple(layer.participants),
        rotation_type=layer.rotation_type,
        shift_length=layer.shift_length,
        start_date=layer.start_date,
        handoff_time=time(int(hours), int(minutes)),
        restrictions=tuple(
            restriction_of({"days": weekday_numbers(r.days), "start": r.start, "end": r.end})
            for r in layer.restrictions
        ),
    )


async def preview_shifts(
    *, session: AsyncSession, data: SchedulePreviewIn, start: datetime, end: datetime
) -> ShiftPreview:
    """The final shifts of [start, end) the body's layers would produce (NotFound for an unknown
    participant, as when saving). Read only: nothing is stored."""
    users = await get_users(
        session=session, user_ids=[u for layer in data.layers for u in layer.participants]
    )
    labels = [
        _UnsavedLayer(id=uuid.uuid4(), name=layer.name or f"Layer {level}", level=level)
        for level, layer in enumerate(data.layers, start=1)
    ]
    model = rotation.Schedule(
        timezone=ZoneInfo(data.timezone),
        layers=tuple(
            _rotation_layer(layer, label) for layer, label in zip(data.layers, labels, strict=True)
        ),
    )
    listing = build_shift_list(
        schedule_id=labels[0].id,
        timezone=data.timezone,
        layers={label.id: label for label in labels},
        users={user_id: user_brief(user) for user_id, user in users.items()},
        segments=rotation.final_segments(model, start, end),
        start=start,
        end=end,
    )
    return ShiftPreview(
        timezone=data.timezone,
        start=start,
        end=end,
        shifts=[shift.model_copy(update={"layer_id": None}) for shift in listing.shifts],
        gaps=listing.gaps,
    )
