"""Nightwatch on-call and escalation: Schedules, who is on call, escalation policies with durable timers."""
