"""Derived frames built once although checks ask for them from two threads at a time.

`ecrf validate` runs its checks on two threads (ecrf.engine); checks share derived frames (Context.memo,
Table.memo, Table.typed). Of the threads asking for one key at once, one builds the value and the others wait
for it: building a shared frame twice would double its time and, on a large export, its memory. A build may ask
for other keys; builds never ask for each other in a cycle (on one thread that would recurse forever), so
threads waiting on each other's keys cannot deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, MutableMapping
from typing import Any, Callable


class BuildOnce:
    """A lock per key of a store of built values."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, store: MutableMapping[Any, Any], key: Hashable, build: Callable[[], Any]) -> Any:
        if key in store:
            return store[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in store:
                store[key] = build()
        return store[key]
