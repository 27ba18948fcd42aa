"""Settings of the alert-ingestion service (environment variables; see docs/alerts.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings
from pydantic import Field


class IngestionSettings(ServiceSettings):
    service_name: str = "alert-ingestion"
    # Replaced by routing rules (docs/routing.md): still set at startup, they are imported once
    # as rules (service -> team, JSON) and the catch-all team, then ignored.
    service_team_map: dict[str, str] = Field(default_factory=dict)
    default_team: str | None = Field(default=None, min_length=1, max_length=200)
    # Routing rules are held in memory (routing/cache.py): reloaded on every change
    # (LISTEN/NOTIFY) and at least this often (which also checks the catch-all team with on-call).
    routing_refresh_seconds: float = Field(default=30.0, gt=0, le=3600)
    # incident-management places each batch of alerts in its incidents; the request waits at most
    # this long. Past it (or when it is down or failing) the alerts are stored as pending,
    # answered 202, and the link worker places them when it answers again.
    incident_create_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # The durable link worker (alerts accepted while incident-management was unreachable).
    workers_enabled: bool = True
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    worker_max_backoff_seconds: float = Field(default=30.0, gt=0, le=3600)
    # While incident-management is unreachable the link worker tries one batch again at most this
    # long apart (one small call), so the backlog is linked within seconds of its return.
    link_retry_max_seconds: float = Field(default=2.0, gt=0, le=60)
    # Concurrent single alerts share one call and one statement (nightwatch_core.coalescing): at most
    # this many run at once per process, each carrying at most coalesce_max_batch alerts. One at a
    # time makes each flush carry everything that arrived during the previous one: the per-call
    # costs are shared by more alerts (on the real stack: same alerts/s, p99 103 -> 69 ms).
    coalesce_max_inflight: int = Field(default=1, ge=1, le=32)
    coalesce_max_batch: int = Field(default=500, ge=1, le=1000)
    # Integrations (docs/integrations.md): the public entry their inbound URLs are shown on (the
    # gateway), and how long a verified integration key is cached (like the gateway's keys).
    public_base_url: str = Field(default="http://localhost:8080", min_length=1, max_length=500)
    integration_key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # Silences and maintenance windows are held in memory (suppression/cache.py): reloaded on
    # every change (LISTEN/NOTIFY) and at least this often.
    suppression_refresh_seconds: float = Field(default=30.0, gt=0, le=3600)
    # How often a replica looks for missed heartbeat deadlines (the lateness of a missed alert).
    heartbeat_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    # How often a replica looks for held-back alerts whose silence or window ended (still firing:
    # sent on to open their incident). An expiry or deletion wakes it at once.
    release_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    # Alerts older than this are removed, unless their incident is still open (retention.py).
    alert_retention_days: int = Field(default=90, ge=1, le=36_500)
