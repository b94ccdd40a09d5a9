"""What both benchmarks drive their clients with."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any


async def bounded(ids: Iterable[int], fn: Callable[[int], Awaitable[Any]], limit: int) -> None:
    """`fn(i)` for every id, at most `limit` at a time."""
    gate = asyncio.Semaphore(limit)

    async def one(i: int) -> None:
        async with gate:
            await fn(i)

    await asyncio.gather(*(one(i) for i in ids))
