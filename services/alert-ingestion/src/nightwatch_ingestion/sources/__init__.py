"""Inbound alert formats, one module each behind ``base.Source``, registered here (the only
place that lists them: the inbound routes, the integration types and the docs follow it)."""

from __future__ import annotations

from nightwatch_ingestion.sources import alertmanager, generic, grafana, pagerduty
from nightwatch_ingestion.sources.base import Source

SOURCES: dict[str, Source] = {
    source.type: source
    for source in (alertmanager.SOURCE, grafana.SOURCE, pagerduty.SOURCE, generic.SOURCE)
}
