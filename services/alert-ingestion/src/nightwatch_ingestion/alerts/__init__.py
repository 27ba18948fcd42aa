"""Alerts: intake, fingerprint, correlation into incidents, listing."""
