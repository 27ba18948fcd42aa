"""Nightwatch notification: Notification delivery through channels with a durable outbox."""
