"""Values built once per process — also when many threads ask for them at the same moment.

``functools.cache`` runs its function again for every thread that calls before the first
result is stored. For most values that only wastes time, but not for these:

* SQL statements built from module-level ``aliased`` classes (``engine.queries.public``):
  SQLAlchemy builds an alias's attributes lazily, and threads touching a new alias at once can
  each get the *unaliased* column (SAWarning "Did not locate an expression in selectable for
  attribute 'public'"). Under a first burst of 32 submissions a statement then compared the
  duplicate's category through the report's own — and the cache kept that statement for the
  life of the process.
* the process's one ``Database`` (``engine.environment``): two threads would open two pools,
  and on SQLite two writer queues, the waiting the queue exists to avoid.

``built_once`` builds each value under one process-wide re-entrant lock (a builder may call
another), and reads it without the lock afterwards. Every process-wide cache in the code uses it
(tests/engine/test_once.py holds the code to that).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_BUILDING = threading.RLock()


class BuiltOnce(Generic[P, R]):
    """``build`` wrapped: one result per distinct arguments (hashable, positional and keyword
    kept apart as ``functools.cache`` does), built by exactly one thread."""

    def __init__(self, build: Callable[P, R]) -> None:
        self._build = build
        self._built: dict[Hashable, R] = {}
        functools.update_wrapper(self, build)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
        try:
            return self._built[key]
        except KeyError:
            pass
        with _BUILDING:
            if key not in self._built:
                self._built[key] = self._build(*args, **kwargs)
            return self._built[key]

    def is_built(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Whether the value for these arguments exists (without building it)."""
        key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
        return key in self._built

    def cache_clear(self) -> None:
        """Forget every value built (the command line re-reads its settings per invocation)."""
        with _BUILDING:
            self._built.clear()


def built_once(build: Callable[P, R]) -> BuiltOnce[P, R]:
    """Decorator: ``build``'s value per arguments, built once per process (see module doc)."""
    return BuiltOnce(build)


__all__ = ["BuiltOnce", "built_once"]
