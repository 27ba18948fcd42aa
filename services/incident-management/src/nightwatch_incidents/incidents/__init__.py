"""Incidents: lifecycle (state machine), notes, append-only timeline, alert attachments, stats."""
