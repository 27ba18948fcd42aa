"""Escalation policies and durable escalations: page level 1 at once, escalate until acknowledged."""
