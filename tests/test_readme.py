"""README.md stays true: every `bash` block runs against a fresh stack, and its table list is the
migrations' schema.

The blocks run in order in one shell, as a reader pasting them into one terminal would (a
variable set in one block is there in the next), against a stack `make up` started on free
ports with a throwaway database: the README's ports are moved by the stack's offset. `make up`,
`make down` and `make test` inside a block are the test's own business (it ran `make up` with
this stack's settings; `make test` would run this test again). `curl` fails on an HTTP error
(`--fail-with-body`) and the shell on any failing command (`set -euo pipefail`), so a README
command that stops working fails the test, naming its block. A block that cannot run here says
why on the line before it: `<!-- docs-test: skip (reason) -->`.
"""

from __future__ import annotations

import re
import subprocess

import asyncpg
from nightwatch_core.migrations import libpq_dsn
from nightwatch_core.settings import to_asyncpg_url

from tests.stack_runner import ROOT, Stack, stack_ports, ui_port

README = ROOT / "README.md"
SKIP = re.compile(r"<!-- docs-test: skip \((?P<reason>[^)]+)\) -->\s*$")
FENCE = re.compile(r"^```(?P<lang>\S*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
# Ports a README command may name: the services', the UI's, Prometheus'.
PORTS = (*stack_ports().values(), ui_port(), 9090)
PRELUDE = """set -euo pipefail
curl() { command curl --silent --show-error --fail-with-body --max-time 30 "$@"; }
make() {
  case "${1:-}" in
    up|down|test) echo "(docs test: \\`make $1\\` is the test's own)" ;;
    *) command make "$@" ;;
  esac
}
"""


def bash_blocks(markdown: str) -> list[tuple[int, str, str | None]]:
    """(line number, body, skip reason or None) of every ```bash block."""
    blocks = []
    for match in FENCE.finditer(markdown):
        if match["lang"] != "bash":
            continue
        before = markdown[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        line = markdown.count("\n", 0, match.start()) + 1
        blocks.append((line, match["body"], skip["reason"] if skip else None))
    return blocks


def script_for(markdown: str, offset: int) -> str:
    """One shell script of the runnable blocks, their ports moved by ``offset``."""
    alternatives = "|".join(str(port) for port in PORTS)
    ports = re.compile(rf"\b({alternatives})\b")
    parts = [PRELUDE]
    for line, body, skip in bash_blocks(markdown):
        if skip is None:
            moved = ports.sub(lambda m: str(int(m[1]) + offset), body)
            parts.append(f"echo '>>> README.md line {line}' >&2\n{moved}")
    return "\n".join(parts)


def run_script(script: str, stack: Stack) -> subprocess.CompletedProcess[str]:
    return stack.command(["bash", "-c", script])


def test_every_readme_command_block_runs(running_stack: Stack) -> None:
    offset = int(running_stack.env["STACK_PORT_OFFSET"])
    result = run_script(script_for(README.read_text(), offset), running_stack)
    failed_in = [line for line in result.stderr.splitlines() if line.startswith(">>> ")][-1:]
    assert result.returncode == 0, (
        f"a README command failed ({failed_in}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )


def test_a_failing_readme_command_fails_the_run(running_stack: Stack) -> None:
    offset = int(running_stack.env["STACK_PORT_OFFSET"])
    broken = "```bash\ncurl localhost:8002/api/v1/no-such-route\necho reached\n```\n"
    result = run_script(script_for(broken, offset), running_stack)
    assert result.returncode != 0 and "reached" not in result.stdout
    assert "404" in result.stderr + result.stdout


def test_skipped_blocks_say_why() -> None:
    blocks = bash_blocks(README.read_text())
    assert len([b for b in blocks if b[2] is None]) >= 5  # the curl examples run
    assert all(reason.strip() for _, _, reason in blocks if reason is not None)
    # `make test` is never run by the test; `make up` only through the stack fixture.
    runnable = "\n".join(body for _, body, skip in blocks if skip is None)
    assert "docker " not in runnable, "a docker command needs a skip marker: no engine here"


def readme_tables(markdown: str) -> set[str]:
    """The `schema.table` names in the rows of the section's table."""
    section = markdown.split("\n## Database schema\n", 1)[1].split("\n## ", 1)[0]
    rows = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    return set(re.findall(r"`([a-z_]+\.[a-z_]+)`", rows))


async def test_readme_lists_exactly_the_tables_of_the_migrations(database_url: str) -> None:
    """The throwaway database is built from database/migrations: its tables are the schema."""
    connection = await asyncpg.connect(libpq_dsn(to_asyncpg_url(database_url)))
    try:
        rows = await connection.fetch(
            "SELECT schemaname || '.' || tablename AS name FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
    finally:
        await connection.close()
    actual = {row["name"] for row in rows}
    listed = readme_tables(README.read_text())
    assert listed == actual, (
        f"README.md's 'Database schema' lacks {sorted(actual - listed)} "
        f"and lists {sorted(listed - actual)} that no migration creates"
    )


def test_port_rewrite_moves_only_the_stack_ports() -> None:
    script = script_for("```bash\ncurl localhost:8080/x 18080 80801 8002\n```\n", 1000)
    assert "curl localhost:9080/x 18080 80801 9002" in script
