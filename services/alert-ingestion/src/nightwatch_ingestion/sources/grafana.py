"""Grafana alerting's webhook contact point: Alertmanager's payload plus Grafana's own fields.

https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
— per alert ``valueString``, ``dashboardURL``, ``panelURL``, ``silenceURL`` (and ``values``,
``imageURL``); at the top ``orgId``, ``title``, ``state``, ``message``. Same mapping as
Alertmanager; Grafana's links are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nightwatch_ingestion.integrations.schemas import IntegrationAuth
from nightwatch_ingestion.sources.alertmanager import alerts_of, event_of
from nightwatch_ingestion.sources.base import Source, SourceEvent, clean_text, links


class GrafanaSource(Source):
    type = "grafana"

    def parse(self, body: Any, integration: IntegrationAuth) -> list[SourceEvent]:
        group_key = body.get("groupKey") if isinstance(body, Mapping) else None
        events = []
        for alert in alerts_of(body, "Grafana"):
            extra: dict[str, Any] = links(
                dashboard_url=alert.get("dashboardURL"),
                panel_url=alert.get("panelURL"),
                silence_url=alert.get("silenceURL"),
                image_url=alert.get("imageURL"),
            )
            value = clean_text(alert.get("valueString"), 1024)
            if value:
                extra["value_string"] = value
            events.append(event_of(alert, integration, extra_links=extra, group_key=group_key))
        return events


SOURCE = GrafanaSource()
