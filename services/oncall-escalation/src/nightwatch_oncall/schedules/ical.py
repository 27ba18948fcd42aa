"""iCalendar feed of a schedule's final shifts (RFC 5545, built with the ``icalendar`` library).

Calendar apps poll a subscribed URL: every event has a UID that is stable for the same shift, so a
refresh updates events in place instead of duplicating them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from icalendar import Calendar, Event, vText

from nightwatch_oncall.schedules.schemas import ShiftList


def shift_uid(schedule_id: uuid.UUID, shift_start: datetime, user_id: uuid.UUID) -> str:
    return f"{schedule_id}-{int(shift_start.timestamp())}-{user_id}@nightwatch"


def render_ical(*, schedule_name: str, team_name: str, shifts: ShiftList, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Nightwatch//On-call schedules//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"On call: {schedule_name} ({team_name})")
    calendar.add("x-wr-timezone", shifts.timezone)
    # Ask subscribers to refresh hourly (Apple/Google honour one or the other).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for shift in shifts.shifts:
        event = Event()
        event.add("uid", shift_uid(shifts.schedule_id, shift.start, shift.user.id))
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {shift.user.name}")
        if shift.source == "override":
            origin = "an override"
        else:
            origin = f"layer {shift.layer_level} ({shift.layer_name})"
        event.add(
            "description",
            f"{shift.user.name} <{shift.user.email}> is on call for {schedule_name} "
            f"(team {team_name}), from {origin}.",
        )
        event.add("categories", ["on-call", shift.source])
        event["x-nightwatch-user-id"] = vText(str(shift.user.id))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
