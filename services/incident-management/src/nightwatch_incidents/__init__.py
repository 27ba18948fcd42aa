"""Nightwatch incident management: Incident lifecycle, notes, append-only timeline, MTTA/MTTR and stats."""
