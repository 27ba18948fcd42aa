"""Time-ordered UUIDs (version 7, RFC 9562) for rows written at a high rate.

A random (v4) primary key puts every insert on a random leaf page of the index, so under load
each commit dirties pages all over it (and after a checkpoint writes each one whole to the WAL).
A v7 id starts with the millisecond, so new rows land on the rightmost pages, like a sequence,
yet ids stay unguessable (74 random bits) and can be made by any replica without coordination.
Random bits come from ``os.urandom`` in 4 KiB reads instead of one system call per id.
"""

from __future__ import annotations

import os
import time
import uuid

_RANDOM_CHUNK = 4096
_random = b""
_offset = 0


def _random_bits80() -> int:
    global _random, _offset
    if _offset + 10 > len(_random):
        _random, _offset = os.urandom(_RANDOM_CHUNK), 0
    start = _offset
    _offset += 10
    return int.from_bytes(_random[start : start + 10], "big")


def uuid7() -> uuid.UUID:
    """A new version-7 UUID: 48 bits of Unix milliseconds, version, variant, 74 random bits."""
    millis = time.time_ns() // 1_000_000
    bits = _random_bits80()
    rand_a = bits >> 68  # 12 bits
    rand_b = bits & ((1 << 62) - 1)  # 62 bits
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)
