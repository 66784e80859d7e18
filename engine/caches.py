"""A small per-process cache of things built from a database state (spatial index, catalogue
snapshot, gazetteer): keyed by what the state is, so a newer state simply builds a new entry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class StateCache(Generic[T]):
    """The ``size`` most recently used values by key; thread-safe. ``build`` runs outside the
    lock (two threads may build the same value once each; the last one is kept)."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        built = build()
        with self._lock:
            self._entries[key] = built
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return built
