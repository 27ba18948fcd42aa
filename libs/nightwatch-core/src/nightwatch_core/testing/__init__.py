"""Test fixtures shared by every service: real PostgreSQL, never SQLite or mocked sessions."""
