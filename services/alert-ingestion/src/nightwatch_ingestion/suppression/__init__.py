"""Silences and maintenance windows: alerts stored and shown, but no incident and no page."""
