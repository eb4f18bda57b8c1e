"""The one way async code (handlers, jobs, the update processor) reaches the database: off the event loop.

`run(engine, work)` runs `work(session)` as one transaction in a worker thread, started over when SQLite
reports a lock (`storage.db.transaction`), so `work` must not talk to Telegram and must be safe to repeat.
`call(function, ...)` runs a blocking service that opens its own transactions (the digest, the follow-up
round, the weekly summary) the same way. Either way the event loop keeps serving everybody else while a
query waits for SQLite's lock or a matcher rebuilds.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import transaction

__all__ = ["Session", "call", "run"]

T = TypeVar("T")
P = ParamSpec("P")


async def run(engine: Engine, work: Callable[[Session], T], *, executor: Executor | None = None) -> T:
    """`work(session)` as one transaction in a worker thread (`executor`, else asyncio's default pool)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, transaction, engine, work)


async def call(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """A blocking service function (it opens its own transactions) in a worker thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(function, *args, **kwargs))
