"""Real monitoring tools for the integration tests: Debian's Alertmanager and Prometheus, each
started on a free loopback port with its own state directory, clustering off."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx

from tests.ops.tooling import binary

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def within(seconds: float, what: str, probe: Callable[[], T | None], pause: float = 0.25) -> T:
    """The first truthy value of ``probe`` within the stated bound, else a failure naming it.
    (Alertmanager delivers asynchronously: the bound is part of what is tested.)"""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(pause)


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@contextlib.contextmanager
def process(
    argv: list[str], log_path: Path, ready_url: str, *, verify: ssl.SSLContext | bool = True
) -> Iterator[None]:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            within(
                30, f"{argv[0]} ready", lambda: _ok(ready_url, verify) or proc.poll() is not None
            )
            assert proc.poll() is None, log_path.read_text(errors="replace")[-2000:]
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _ok(url: str, verify: ssl.SSLContext | bool = True) -> bool:
    try:
        return httpx.get(url, timeout=2, verify=verify).status_code == 200
    except httpx.TransportError:
        return False


def alertmanager_config(*, url: str, key: str, repeat_interval: str = "2s") -> str:
    """A webhook receiver pointing at the platform through the gateway, with the key as
    http_config.authorization: exactly what docs/integrations.md tells users to paste."""
    return f"""
route:
  receiver: nightwatch
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: {repeat_interval}
receivers:
  - name: nightwatch
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {key}
"""


@contextlib.contextmanager
def _tool(name: str, state_dir: Path, configs: dict[str, str], *flags: str) -> Iterator[str]:
    """Write the tool's files, start it on a free port with ``flags``; yield its base URL."""
    state_dir.mkdir(parents=True, exist_ok=True)
    for file_name, text in configs.items():
        (state_dir / file_name).write_text(text)
    port = free_port()
    argv = [binary(name), *flags, f"--web.listen-address=127.0.0.1:{port}"]
    base = f"http://127.0.0.1:{port}"
    with process(argv, state_dir / f"{name}.log", f"{base}/-/ready"):
        yield base


def alertmanager(state_dir: Path, config: str) -> contextlib.AbstractContextManager[str]:
    """Alertmanager with clustering off."""
    return _tool(
        "prometheus-alertmanager",
        state_dir,
        {"alertmanager.yml": config},
        f"--config.file={state_dir / 'alertmanager.yml'}",
        f"--storage.path={state_dir / 'data'}",
        "--cluster.listen-address=",
    )


def prometheus(
    state_dir: Path, *, alertmanager_url: str, rule: str
) -> contextlib.AbstractContextManager[str]:
    """Prometheus evaluating ``rule`` every second, sending to the Alertmanager."""
    target = alertmanager_url.removeprefix("http://")
    config = f"""
global:
  evaluation_interval: 1s
rule_files: ['{state_dir / "rules.yml"}']
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['{target}']
"""
    return _tool(
        "prometheus",
        state_dir,
        {"rules.yml": rule, "prometheus.yml": config},
        f"--config.file={state_dir / 'prometheus.yml'}",
        f"--storage.tsdb.path={state_dir / 'data'}",
        # The first evaluation can precede the Alertmanager's discovery (that send is dropped):
        # resend each second instead of Prometheus's default minute.
        "--rules.alert.resend-delay=1s",
    )


@contextlib.contextmanager
def tls_front(state_dir: Path, upstream: str) -> Iterator[tuple[str, Path]]:
    """HTTPS in front of the gateway, as a deployment terminates TLS (Debian's nginx and a
    self-signed certificate made by openssl): PagerDuty's client refuses plain-HTTP base URLs.
    Yields the HTTPS base URL and the certificate to trust."""
    scratch = state_dir / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    cert, key = state_dir / "cert.pem", state_dir / "key.pem"
    made = subprocess.run(
        [
            binary("openssl"),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    (state_dir / "nginx.conf").write_text(
        f"""{user}daemon off;
worker_processes 1;
pid {state_dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {scratch}; proxy_temp_path {scratch};
    fastcgi_temp_path {scratch}; uwsgi_temp_path {scratch}; scgi_temp_path {scratch};
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{ proxy_pass {upstream}; proxy_set_header Host $host; }}
    }}
}}
"""
    )
    argv = [
        binary("nginx"),
        "-e",
        "stderr",
        "-p",
        str(state_dir),
        "-c",
        str(state_dir / "nginx.conf"),
    ]
    base = f"https://127.0.0.1:{port}"
    with process(argv, state_dir / "nginx.log", f"{base}/health", verify=trusting(cert)):
        yield base, cert
