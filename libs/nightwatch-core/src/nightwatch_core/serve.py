"""How every service process is run, written once: ``python -m nightwatch_core.serve``.

The images run it as their CMD and HEALTHCHECK (services/Dockerfile bakes the service's app
factory and port into ``NIGHTWATCH_APP`` / ``NIGHTWATCH_PORT``), so compose and the Kubernetes
manifests run what the image says; ``make up`` (tools/stack.py) and the benchmarks run it with
the factory and port from tools/stack.toml as arguments.

    python -m nightwatch_core.serve                                  # in an image
    python -m nightwatch_core.serve nightwatch_gateway.main:create_app --host 127.0.0.1 --port 8080
    python -m nightwatch_core.serve --check                          # exit 0 when /health/ready is 200
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request

# One write per response instead of two (nightwatch_core/http_protocol.py).
HTTP_PROTOCOL = "nightwatch_core.http_protocol:HttpToolsProtocol"
# Seconds uvicorn lets in-flight requests finish after SIGTERM before it closes them: shorter
# than Kubernetes' grace period (30 s) and what `make rolling-restart` waits for.
GRACEFUL_SHUTDOWN_SECONDS = 5
CHECK_TIMEOUT_SECONDS = 2.0


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m nightwatch_core.serve", description=__doc__)
    parser.add_argument(
        "app",
        nargs="?",
        default=os.environ.get("NIGHTWATCH_APP"),
        help="the app factory, module:function (default: $NIGHTWATCH_APP)",
    )
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=os.environ.get("NIGHTWATCH_PORT"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not serve: exit 0 when 127.0.0.1:PORT/health/ready answers 200, else 1",
    )
    arguments = parser.parse_args(argv)
    if arguments.port is None:
        parser.error("no port: pass --port or set NIGHTWATCH_PORT")
    if not arguments.check and not arguments.app:
        parser.error("no app factory: pass module:function or set NIGHTWATCH_APP")
    return arguments


def is_ready(port: int) -> bool:
    url = f"http://127.0.0.1:{port}/health/ready"
    try:
        with urllib.request.urlopen(url, timeout=CHECK_TIMEOUT_SECONDS) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def serve(*, app: str, host: str, port: int, workers: int = 1) -> None:
    import uvicorn  # not needed for --check

    uvicorn.run(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the request log is ours, with the request id (structured_logging)
        http=HTTP_PROTOCOL,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    if arguments.check:
        return 0 if is_ready(arguments.port) else 1
    serve(app=arguments.app, host=arguments.host, port=arguments.port, workers=arguments.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
