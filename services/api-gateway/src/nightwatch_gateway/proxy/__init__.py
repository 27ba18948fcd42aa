"""Routing public requests to the owning service: route table, streaming proxy, readiness."""
