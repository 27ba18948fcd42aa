"""What to paste into each tool: its inbound URL on the gateway and a ready configuration."""

from __future__ import annotations

INBOUND_PATHS = {
    "alertmanager": "/api/v1/integrations/alertmanager",
    "grafana": "/api/v1/integrations/grafana",
    "pagerduty": "/api/v1/integrations/pagerduty",  # the base: tools post to <base>/v2/enqueue
    "generic": "/api/v1/integrations/generic",
}
KEY_PLACEHOLDER = "<key>"


def inbound_url(public_base_url: str, integration_type: str) -> str:
    return public_base_url.rstrip("/") + INBOUND_PATHS[integration_type]


def snippet(*, integration_type: str, name: str, url: str, key: str = KEY_PLACEHOLDER) -> str:
    if integration_type == "alertmanager":
        return (
            "# alertmanager.yml\n"
            "receivers:\n"
            f"  - name: nightwatch-{name}\n"
            "    webhook_configs:\n"
            f"      - url: {url}\n"
            "        send_resolved: true\n"
            "        http_config:\n"
            "          authorization:\n"
            "            type: Bearer\n"
            f"            credentials: {key}\n"
        )
    if integration_type == "grafana":
        return (
            "Grafana > Alerting > Contact points > New contact point\n"
            "  Integration: Webhook\n"
            f"  URL: {url}\n"
            "  HTTP Method: POST\n"
            "  Optional Webhook settings > Authorization Header - Scheme: Bearer\n"
            f"  Optional Webhook settings > Authorization Header - Credentials: {key}\n"
        )
    if integration_type == "pagerduty":
        return (
            "# Any tool that sends to PagerDuty's Events API v2: change only the base URL\n"
            f"PagerDuty Events API base URL: {url}   (events go to {url}/v2/enqueue)\n"
            f"Integration key / routing_key: {key}\n"
            "# e.g. with PagerDuty's Python client:\n"
            f"#   pagerduty.EventsApiV2Client('{key}', base_url='{url}')"
            ".trigger('Disk full', 'db-1')\n"
        )
    return (
        f"curl -s {url} -H 'Authorization: Bearer {key}' -H 'content-type: application/json' \\\n"
        '  -d \'{"message": "Disk 95% full", "severity": "high", "dedup_key": "disk-db-1"}\'\n'
    )
