"""For stand-in upstreams that must answer too late: answer only once the caller has gone.

A handler that sleeps longer than the caller's timeout passes or fails by the machine's speed;
one that waits for the caller to hang up (which it does when its timeout runs out) is late on
any machine, and no later than needed.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.requests import Request

# A caller that never hangs up is a broken test, not a slow one: stop holding after this.
HOLD_AT_MOST_SECONDS = 30.0


async def until_the_caller_hangs_up(request: Request) -> None:
    """Return once the client closed its connection (or after HOLD_AT_MOST_SECONDS)."""

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(disconnected(), timeout=HOLD_AT_MOST_SECONDS)
