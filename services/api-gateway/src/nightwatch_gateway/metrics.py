"""Gateway metrics (beside the core's http_requests_total / http_request_duration_seconds)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PROXIED_REQUESTS = Counter(
    "gateway_requests_total",
    "Requests routed by the gateway, by route class, upstream service and status",
    ["route_class", "service", "status"],
)
UPSTREAM_LATENCY = Histogram(
    "gateway_upstream_latency_seconds",
    "Time until the upstream service answered (headers received)",
    ["service"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter(
    "gateway_rate_limited_total", "Requests refused with 429, by route class", ["route_class"]
)
AUTH_FAILURES = Counter(
    "gateway_auth_failures_total",
    "Requests refused for authentication (401) or authorization (403), by reason",
    ["reason"],
)
RATE_LIMIT_STORE_ERRORS = Counter(
    "gateway_rate_limit_store_errors_total",
    "Rate limit checks skipped because the shared store did not answer (requests let through)",
)
STALE_CREDENTIALS = Counter(
    "gateway_stale_credentials_total",
    "Requests let through on a recently verified credential because the database did not answer",
)
IN_FLIGHT_STORE_ERRORS = Counter(
    "gateway_in_flight_store_errors_total",
    "In-flight leases the shared store (Redis) did not take or give back (it failed, or is left "
    "alone for a few seconds after a failure); the process's own count decided alone",
)
IN_FLIGHT_REFUSED = Counter(
    "gateway_in_flight_refused_total",
    "Requests refused with 429 because their caller already had the most requests in flight, "
    "by what was counted (credential or address)",
    ["scope"],
)
BODY_TIMEOUTS = Counter(
    "gateway_request_body_timeouts_total",
    "Requests answered 408 because their body did not arrive within REQUEST_BODY_TIMEOUT_SECONDS",
)
CREDENTIAL_CHANGES_HEARD = Counter(
    "gateway_credential_changes_heard_total",
    "Committed credential changes (any replica's) announced to this replica; each clears its cache",
)
CREDENTIAL_LISTENER_UP = Gauge(
    "gateway_credential_listener_up",
    "1 while this replica listens for credential changes; 0: other replicas' revocations take "
    "up to CREDENTIAL_CACHE_SECONDS here",
)
