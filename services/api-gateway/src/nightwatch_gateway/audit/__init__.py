"""The audit log: who did what, kept append-only (database/migrations/0081_gateway_audit_log.sql)."""
