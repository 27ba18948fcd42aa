"""Nightwatch API gateway: The single public entry: authentication, rate limiting and routing to the services."""
