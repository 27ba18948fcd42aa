"""Run the whole stack as local processes, detached: ``make up`` / ``make down`` / ``make status``.

Environment:
  DATABASE_URL        PostgreSQL to use; unset -> an embedded PostgreSQL (pgserver) whose data
                      stays in $STACK_DIR/pgdata between runs.
  STACK_DIR           where pids, logs and embedded data live (default: .stack in the repo).
  STACK_HOST          bind address of the services (default 127.0.0.1).
  ANONYMOUS_LOOPBACK  serve credential-less /api/v1 calls from loopback as `anonymous@loopback`;
                      default true while STACK_HOST is a loopback address, else false (and
                      forced false then: a service reachable from elsewhere is never anonymous).
  STACK_PORT_OFFSET   added to every port (tests run a second stack beside yours).
  REPLICAS            processes per Python service (default 1); above 1 the bundled nginx
                      listens on the service ports and spreads over them (tools/replicas.py).
  STACK_READY_TIMEOUT seconds to wait for every /health/ready (default 90).
  PROMETHEUS_BIN, PROMETHEUS_SCRAPE_INTERVAL: see tools/prometheus_local.py (Prometheus runs on
                      9090 + offset when its binary is present).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

try:  # `python tools/stack.py` puts tools/ on sys.path; tests import it as tools.stack
    import processes
    import prometheus_local
    import replicas
    import webui
except ModuleNotFoundError:
    from tools import processes, prometheus_local, replicas, webui  # type: ignore[no-redef]

# Re-exported: the benches and tools/rolling_restart.py use them as stack.<name>.
ManagedProcess = processes.ManagedProcess
StackConfig = processes.StackConfig
is_alive, pid_file, log_tail = processes.is_alive, processes.pid_file, processes.log_tail
running_pid, start, stop_pid = processes.running_pid, processes.start, processes.stop_pid
wait_ready = processes.wait_ready

ROOT = Path(__file__).resolve().parent.parent
STACK_TOML = ROOT / "tools" / "stack.toml"
EMBEDDED_DB_NAME = "nightwatch"


def load_services() -> dict[str, dict]:
    return tomllib.loads(STACK_TOML.read_text())["services"]


def ui_process(config: StackConfig) -> ManagedProcess:
    """nginx serving the built UI; /api/* goes to the gateway of this same stack."""
    ui = tomllib.loads(STACK_TOML.read_text())["ui"]
    port = ui["port"] + config.port_offset
    gateway_port = load_services()[ui["gateway"]]["port"] + config.port_offset
    main_config = webui.write_config(
        config.state_dir, port=port, gateway=f"127.0.0.1:{gateway_port}"
    )
    ready_url = f"http://127.0.0.1:{port}/health/ready"
    return ManagedProcess(ui["name"], webui.nginx_argv(main_config), port, ready_url)


def service_processes(config: StackConfig, database_url: str) -> list[ManagedProcess]:
    services = load_services()
    base = "http://127.0.0.1:{port}"
    urls = {
        spec["url_env"]: base.format(port=spec["port"] + config.port_offset)
        for spec in services.values()
    }
    processes = []
    for name, spec in services.items():
        port = spec["port"] + config.port_offset
        # The one run command (nightwatch_core/serve.py), the same the images run.
        argv = [sys.executable, "-m", "nightwatch_core.serve", spec["module"]]
        argv += ["--host", config.host, "--port", str(port)]
        defaults = {key: os.environ.get(key, value) for key, value in spec.get("env", {}).items()}
        env = {
            **defaults,
            "DATABASE_URL": database_url,
            "SERVICE_NAME": name,
            "ANONYMOUS_LOOPBACK": anonymous_loopback(config.host),
            **urls,
        }
        processes.append(
            ManagedProcess(name, argv, port, f"http://127.0.0.1:{port}/health/ready", env)
        )
    return processes


def anonymous_loopback(host: str) -> str:
    """The development convenience only while nothing but this machine can reach the services."""
    if not _is_loopback(host):
        return "false"
    return "false" if os.environ.get("ANONYMOUS_LOOPBACK", "").lower() == "false" else "true"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prometheus_process(config: StackConfig) -> ManagedProcess | None:
    """Prometheus scraping this stack, or None when the binary is not installed."""
    binary = prometheus_local.prometheus_binary()
    if binary is None:
        return None
    port = prometheus_local.PROMETHEUS_PORT + config.port_offset
    count = replicas.replica_count()
    ports: dict[str, int | list[int]] = {
        name: spec["port"] + config.port_offset for name, spec in load_services().items()
    }
    if count > 1:  # every replica is a target of its own, not nginx
        ports = {
            name: [replicas.replica_port(int(p), k) for k in range(1, count + 1)]
            for name, p in ports.items()
        }
    argv = prometheus_local.prometheus_argv(
        binary, config.state_dir / "prometheus", ports, prometheus_port=port
    )
    return ManagedProcess("prometheus", argv, port, f"http://127.0.0.1:{port}/-/ready")


def balancer_process(
    config: StackConfig, count: int, drained: frozenset[str] = frozenset()
) -> ManagedProcess:
    """nginx on the service ports in front of ``count`` replicas of each (tools/replicas.py);
    the replicas named in ``drained`` get no new requests (tools/rolling_restart.py)."""
    ports = {name: spec["port"] + config.port_offset for name, spec in load_services().items()}
    gateway = tomllib.loads(STACK_TOML.read_text())["ui"]["gateway"]
    main_config = replicas.write_config(
        config.state_dir,
        host=config.host,
        services=ports,
        gateway=gateway,
        replicas=count,
        drained=drained,
    )
    ready_url = f"http://127.0.0.1:{ports[gateway]}/health/ready"
    return ManagedProcess(replicas.NAME, webui.nginx_argv(main_config), ports[gateway], ready_url)


# ------------------------------------------------------------------ database
def embedded_database_url(config: StackConfig) -> str:
    import pgserver  # only needed when no DATABASE_URL is given

    config.pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(config.pgdata, cleanup_mode=None)  # keep running after we exit
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DB_NAME};")
    uri = server.get_uri(EMBEDDED_DB_NAME)
    return uri


def stop_embedded_database(config: StackConfig) -> bool:
    pid_file = config.pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (ValueError, IndexError):
        return False
    if not is_alive(pid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown: clean, no waiting for clients
    deadline = time.monotonic() + 30
    while is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


def resolve_database_url(config: StackConfig) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return embedded_database_url(config)


def migrate(database_url: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nightwatch_core.migrations",
            "apply",
            "--database-url",
            database_url,
        ],
        cwd=ROOT,
        check=True,
    )


# ------------------------------------------------------------------ commands
def up(config: StackConfig) -> int:
    try:
        webui.build()  # only when web-ui/ changed since the last build
    except subprocess.CalledProcessError as error:
        print(f"web UI build failed ({' '.join(error.cmd)}): see the output above", file=sys.stderr)
        return 1
    database_url = resolve_database_url(config)
    embedded = "DATABASE_URL" not in os.environ
    print(
        f"database: {'embedded PostgreSQL in ' + str(config.pgdata) if embedded else 'DATABASE_URL'}"
    )
    migrate(database_url)
    count = replicas.replica_count()
    processes = service_processes(config, database_url)
    if count > 1:
        processes = [*replicas.expand(processes, count), balancer_process(config, count)]
    for process in processes:
        pid = start(config, process)
        print(f"  {process.name:<22} pid {pid:<7} port {process.port}")
    monitoring = prometheus_process(config)
    if monitoring is None:
        print(
            "  prometheus             not started: no `prometheus` binary "
            "(`make install` as root installs Debian's package)"
        )
    else:
        pid = start(config, monitoring)
        print(f"  {monitoring.name:<22} pid {pid:<7} port {monitoring.port}")
        processes.append(monitoring)
    failed = wait_ready(config, processes)
    if not failed:  # nginx's readiness goes through the gateway: start it once that is up
        ui = ui_process(config)
        processes.append(ui)
        print(f"  {ui.name:<22} pid {start(config, ui):<7} port {ui.port}")
        failed = wait_ready(config, [ui])
    if failed:
        for name in failed:
            print(
                f"\n{name} did not become ready; last log lines "
                f"({config.logs / (name + '.log')}):\n{log_tail(config, name)}",
                file=sys.stderr,
            )
        return 1
    print("\nNightwatch is up:")
    for process in processes:
        hint = {
            "web-ui": "(the console)",
            "prometheus": "(targets: /targets)",
            replicas.NAME: "(nginx on every service port, in front of the replicas)",
        }.get(process.name, "(docs: /docs)")
        print(f"  {process.name:<22} http://127.0.0.1:{process.port}  {hint}")
    print(f"logs: {config.logs}\nstop: make down")
    return 0


def down(config: StackConfig) -> int:
    names = [p.stem for p in config.pids.glob("*.pid")] if config.pids.exists() else []
    for name in names:
        pid = running_pid(config, name)
        if pid:
            stop_pid(pid)
            print(f"stopped {name} (pid {pid})")
        pid_file(config, name).unlink(missing_ok=True)
    if stop_embedded_database(config):
        print("stopped embedded PostgreSQL")
    if not names:
        print("nothing was running")
    return 0


def status(config: StackConfig) -> int:
    ui_name = tomllib.loads(STACK_TOML.read_text())["ui"]["name"]
    started = sorted(p.stem for p in config.pids.glob("*.pid")) if config.pids.exists() else []
    for name in dict.fromkeys([*load_services(), "prometheus", ui_name, *started]):
        pid = running_pid(config, name)
        print(f"{name:<22} {'running pid ' + str(pid) if pid else 'stopped'}")
    return 0


def main(argv: list[str]) -> int:
    commands = {"up": up, "down": down, "status": status}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: python tools/stack.py up|down|status", file=sys.stderr)
        return 2
    return commands[argv[0]](StackConfig.from_env())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
