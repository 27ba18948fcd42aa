"""Heartbeat monitors: a missed ping raises an alert through the normal path."""
