"""Settings of the alert-ingestion service (environment variables; see docs/alerts.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings
from pydantic import Field


class IngestionSettings(ServiceSettings):
    service_name: str = "alert-ingestion"
    # An alert joins the open incident of its service+severity if that incident's latest alert
    # arrived less than this many seconds ago; otherwise it opens a new incident.
    correlation_window_seconds: float = Field(default=300.0, gt=0, le=7 * 24 * 3600)
    # Team of a new incident: the alert's labels.team, else this map (JSON, service -> team),
    # else default_team.
    service_team_map: dict[str, str] = Field(default_factory=dict)
    default_team: str = "default"
    # The request that opens an incident asks incident-management at once, waiting at most this
    # long; if that fails the alert is still stored and answered 202, and the worker links it.
    incident_create_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # At most this many incidents are created inline per request (a batch may open more: the
    # worker creates the rest moments later).
    inline_incident_creates: int = Field(default=10, ge=0, le=100)
    # Durable workers: linking groups to incidents and attaching alerts to incident timelines.
    workers_enabled: bool = True
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    worker_max_backoff_seconds: float = Field(default=30.0, gt=0, le=3600)
    attach_batch_size: int = Field(default=5000, ge=1, le=10000)
    # Under load the attach worker starts a round at most this often, so each round sends many
    # alerts (an alert reaches its incident's timeline at most this much later).
    attach_min_interval_seconds: float = Field(default=0.1, ge=0, le=10)
    # Concurrent single alerts share one statement (alerts/coalescing.py): at most this many such
    # statements run at once per process, each carrying at most coalesce_max_batch alerts.
    coalesce_max_inflight: int = Field(default=2, ge=1, le=32)
    coalesce_max_batch: int = Field(default=500, ge=1, le=5000)
