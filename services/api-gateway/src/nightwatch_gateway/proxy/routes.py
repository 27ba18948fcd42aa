"""The route table: public path prefix -> owning service -> its base URL (from settings).

Only `/api/v1/...` is ever routed; `/internal/v1/...` (service-to-service) has no entry and so is
never reachable through the gateway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nightwatch_gateway.settings import GatewaySettings

INGESTION = "alert-ingestion"
INCIDENTS = "incident-management"
ONCALL = "oncall-escalation"
NOTIFICATION = "notification"

DEFAULT_PREFIXES: dict[str, str] = {
    "/api/v1/alerts": INGESTION,
    "/api/v1/integrations": INGESTION,
    "/api/v1/silences": INGESTION,
    "/api/v1/maintenance-windows": INGESTION,
    "/api/v1/heartbeats": INGESTION,
    "/api/v1/routing-rules": INGESTION,
    "/api/v1/incidents": INCIDENTS,
    "/api/v1/schedules": ONCALL,
    "/api/v1/oncall": ONCALL,
    "/api/v1/escalate": ONCALL,
    "/api/v1/escalations": ONCALL,
    "/api/v1/escalation-policies": ONCALL,
    "/api/v1/users": ONCALL,
    "/api/v1/calendars": ONCALL,
    "/api/v1/teams": ONCALL,
    "/api/v1/notify": NOTIFICATION,
    "/api/v1/notifications": NOTIFICATION,
}
PUBLIC_ROOT = "/api/v1/"

# Calendar apps cannot log in: a schedule's subscribable feed URL carries its own secret token,
# so GET on it is forwarded without a gateway credential (rate limited per client address).
_CAPABILITY_URL = re.compile(r"/api/v1/calendars/[A-Za-z0-9_-]{16,}\.ics")


def is_capability_url(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and _CAPABILITY_URL.fullmatch(path) is not None


# Cron jobs and shell scripts ping a heartbeat with curl: its ping URL carries the heartbeat's
# own key (checked by alert-ingestion), so GET, HEAD or POST on it passes without a login.
_HEARTBEAT_PING = re.compile(r"/api/v1/heartbeats/ping/nwh_[A-Za-z0-9_-]{16,96}")


def is_heartbeat_ping(method: str, path: str) -> bool:
    return method in ("GET", "HEAD", "POST") and _HEARTBEAT_PING.fullmatch(path) is not None


# Monitoring tools cannot log in either: an integration's inbound endpoint takes the
# integration's own key (verified by alert-ingestion, which owns integrations), never a login or
# an API key. The PagerDuty endpoint carries its key in the body (routing_key).
INBOUND_PATHS = frozenset(
    {
        "/api/v1/integrations/alertmanager",
        "/api/v1/integrations/grafana",
        "/api/v1/integrations/generic",
    }
)
PAGERDUTY_INBOUND = "/api/v1/integrations/pagerduty/v2/enqueue"


def is_inbound(method: str, path: str) -> bool:
    return method == "POST" and (path in INBOUND_PATHS or path == PAGERDUTY_INBOUND)


# Server-sent events: a response that lasts as long as the console is open (proxy/router.py).
EVENT_STREAM_PATH = "/api/v1/incidents/events"


def is_event_stream(method: str, path: str) -> bool:
    return method == "GET" and path == EVENT_STREAM_PATH


@dataclass(frozen=True)
class Upstream:
    service: str
    base_url: str


def service_urls(settings: GatewaySettings) -> dict[str, str]:
    return {
        INGESTION: settings.alert_ingestion_url.rstrip("/"),
        INCIDENTS: settings.incident_management_url.rstrip("/"),
        ONCALL: settings.oncall_url.rstrip("/"),
        NOTIFICATION: settings.notification_url.rstrip("/"),
    }


class RouteTable:
    def __init__(self, settings: GatewaySettings) -> None:
        urls = service_urls(settings)
        self.services = {name: Upstream(name, url) for name, url in urls.items()}
        prefixes = {**DEFAULT_PREFIXES, **settings.extra_routes}
        unknown = {svc for svc in prefixes.values() if svc not in urls}
        if unknown:
            raise ValueError(f"EXTRA_ROUTES names unknown services: {sorted(unknown)}")
        bad = [p for p in prefixes if not p.startswith(PUBLIC_ROOT) or "/" in p[len(PUBLIC_ROOT) :]]
        if bad:
            raise ValueError(f"Routes must be one segment under {PUBLIC_ROOT}: {bad}")
        # First path segment after /api/v1/ -> upstream: one dict lookup per request.
        self._by_segment = {
            p[len(PUBLIC_ROOT) :]: self.services[svc] for p, svc in prefixes.items()
        }

    def match(self, path: str) -> Upstream | None:
        if not path.startswith(PUBLIC_ROOT):
            return None
        segment = path[len(PUBLIC_ROOT) :].split("/", 1)[0]
        return self._by_segment.get(segment)

    def prefixes_of(self, service: str) -> list[str]:
        return sorted(
            PUBLIC_ROOT + seg for seg, up in self._by_segment.items() if up.service == service
        )
