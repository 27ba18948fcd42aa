"""Settings of the incident-management service (environment variables; see docs/incidents.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings
from pydantic import Field


class IncidentSettings(ServiceSettings):
    service_name: str = "incident-management"
    # An alert joins the open incident of its service+severity if that incident's latest alert
    # arrived less than this many seconds before it; otherwise it opens a new incident.
    correlation_window_seconds: float = Field(default=300.0, gt=0, le=7 * 24 * 3600)
    # Answers to correlated alert batches are kept this long, so a batch sent again within it
    # (ingestion's link worker after an outage) is answered the same instead of counted twice.
    alert_batch_answers_retention_hours: float = Field(default=24.0, gt=0)
    # Team of an incident created without one (ingestion normally passes the team).
    default_team: str = Field(default="default", min_length=1, max_length=200)
    # Stopping an escalation on ack/resolve is tried within the request, bounded by this, so no
    # page goes out after the response; when on-call is unreachable the durable job takes over.
    escalation_stop_timeout_seconds: float = Field(default=1.0, gt=0)
    # The durable stop job waits this long before it runs, so it does not race the in-request try.
    escalation_stop_grace_seconds: float = Field(default=10.0, ge=0)
    # GET /api/v1/incidents/{id} asks ingestion for the alerts; past this it answers without them.
    alerts_fetch_timeout_seconds: float = Field(default=2.0, gt=0)
    # Run the durable job worker in this process (tests turn it off and drive jobs by hand).
    jobs_worker_enabled: bool = True
    jobs_max_backoff_seconds: float = Field(default=60.0, gt=0)
    # Server-sent events (GET /api/v1/incidents/events): a comment line this often keeps idle
    # streams open through the gateway (whose upstream read timeout is 10 s) and nginx, and
    # notices a browser that went away; at most this many streams per process (then 503).
    event_stream_heartbeat_seconds: float = Field(default=5.0, gt=0, le=60)
    event_stream_max_clients: int = Field(default=500, ge=1)
