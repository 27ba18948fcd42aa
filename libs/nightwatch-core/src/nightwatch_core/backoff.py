"""``Backoff``: the one retry-delay policy of every worker, outbox and retried call.

Capped exponential: the delay after the n-th failure is ``base · 2^(n-1)``, at most ``cap``. No
jitter: the delays that matter are stored as a row's next ``run_at`` (the durable outboxes), where
the rows' own due times already spread the retries, and tests fast-forward the injectable clock to
exact due times. ``stamina``/``tenacity`` were weighed and not taken (docs/architecture.md, "One
worker loop, one backoff policy"): they retry a call in-process, while most uses here need the
delay itself, to write into a row or to wait on alongside a wake-up event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

# 2^60 seconds is far past any cap; the bound keeps the power finite for absurd attempt counts.
_MAX_EXPONENT = 60


@dataclass(frozen=True)
class Backoff:
    base: float
    cap: float = math.inf

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0:
            raise ValueError(f"backoff needs base >= 0 and cap >= 0, got {self.base}, {self.cap}")

    def seconds(self, failures: int) -> float:
        """Delay after the ``failures``-th failure in a row (the first failure waits ``base``)."""
        exponent = min(max(failures - 1, 0), _MAX_EXPONENT)
        return min(self.cap, self.base * 2**exponent)

    def delay(self, failures: int) -> timedelta:
        return timedelta(seconds=self.seconds(failures))
