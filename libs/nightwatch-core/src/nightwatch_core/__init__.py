"""Shared infrastructure for every Nightwatch service (no domain logic lives here)."""
