"""The services' real routes, read from their OpenAPI: each service's app is built the way
`make up` builds it (tools/stack.toml names the factory) and ``app.openapi()`` is read. No
socket or database is touched; the gateway's route tests use these so they cannot drift."""

from __future__ import annotations

import functools
import importlib
import re
import tomllib
import types
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GATEWAY = "api-gateway"
# A path parameter's sample value: every rule in policy.py takes a UUID where it takes an id.
SAMPLE_ID = "7b0e3c2e-1111-4a5b-9c1d-000000000001"
# What a service serves that the gateway deliberately never routes: the probes (each service is
# checked directly by its own orchestrator) and service-to-service routes (docs/gateway.md).
DELIBERATELY_INTERNAL = re.compile(r"/health(/ready)?|/internal/v1/.*")


def _factory_settings(factory: typing.Callable[..., object]) -> type:
    hint = typing.get_type_hints(factory)["settings"]
    if isinstance(hint, types.UnionType):
        return next(t for t in typing.get_args(hint) if t is not type(None))
    return typing.cast(type, hint)


@functools.cache
def service_routes() -> frozenset[tuple[str, str, str]]:
    """(service, method, path template) for every operation of every service but the gateway."""
    stack = tomllib.loads((ROOT / "tools" / "stack.toml").read_text())["services"]
    routes = set()
    for service, spec in stack.items():
        if service == GATEWAY:
            continue
        module, name = spec["module"].split(":")
        factory = getattr(importlib.import_module(module), name)
        settings = _factory_settings(factory)(
            database_url="postgresql://openapi@127.0.0.1:9/never-connected", access_log=False
        )
        for path, operations in factory(settings).openapi()["paths"].items():
            routes.update((service, method.upper(), path) for method in operations)
    return frozenset(routes)


def concrete(template: str) -> str:
    """A request path for a path template: every parameter gets the sample id."""
    return re.sub(r"\{[^}]+\}", SAMPLE_ID, template)
