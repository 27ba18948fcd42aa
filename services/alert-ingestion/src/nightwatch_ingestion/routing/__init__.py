"""Routing rules (issue #16): docs/routing.md."""
