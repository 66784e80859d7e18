"""Sync route handlers on the thread pool, with nothing after them that waits for it.

FastAPI runs a sync handler on AnyIO's thread pool (``TANGGAP_API_THREADS`` threads) and then,
still inside the request's function-scoped dependencies, validates the handler's answer on that
pool again. The dependencies hold the request's database session — its pooled connection and,
on SQLite, the write lock — until after that validation. Under a burst of requests (measured: 64
concurrent public GETs with 4 threads, 100 with 40) every thread ends up in a handler waiting
for a connection, while the connections are held by requests waiting for a thread to validate
their answer: each waits 30 s (the pool's timeout) and answers 500.

``ThreadedRoute`` wraps each sync handler in a coroutine that runs it on the same pool: FastAPI
then sees an async handler and validates its answer on the event loop, so once a handler has
returned, its request needs no thread to finish and give its connection back.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


def on_thread_pool(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` as a coroutine function that runs it on the thread pool; async handlers and
    generators (streamed answers) as they are. FastAPI reads the wrapped signature and
    annotations (``functools.wraps`` sets ``__wrapped__``)."""
    if (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
        or not inspect.isfunction(endpoint)
    ):
        return endpoint

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run


class ThreadedRoute(APIRoute):
    """An ``APIRoute`` whose sync handler runs through ``on_thread_pool``."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, on_thread_pool(endpoint), **kwargs)
