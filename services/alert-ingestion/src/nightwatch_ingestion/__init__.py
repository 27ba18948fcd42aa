"""Nightwatch alert ingestion: Receives alerts, deduplicates by fingerprint and correlates them into incidents."""
