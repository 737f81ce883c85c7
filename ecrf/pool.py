"""Work on two threads, its results handed back in the order of the work.

`ecrf validate` reads the CSV files of a folder two at a time and, on small exports, runs its checks two at a
time: Python prepares one piece while polars, without the interpreter's lock, runs the other. Results come back
in the items' order whatever thread finished first, so nothing downstream depends on the threads, and the first
item in order that fails raises its error, as doing them one by one would.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order(fn: Callable[[T], R], items: Sequence[T], ahead: int | None = None,
             weight: Callable[[T], int] | None = None, budget: int = 0) -> Iterator[R]:
    """fn(item) for each item, in order, on two threads (one thread on a one-core machine or for one item).

    ahead: how many items may be started beyond the one being handed on (None: all at once). A started item's
    result is held until it is handed on, so work whose results are large bounds it; an item handed on is let go.
    weight, budget: more items than `ahead` may be started while the weights of the items started and not yet
    taken up add up to at most `budget` (the one being handed on is taken up; before the first is, it counts too):
    small files are read while a large one is parsed.
    When a result raises, or the caller stops early, the items not yet started are not run."""
    if len(items) < 2 or (os.cpu_count() or 1) < 2:
        yield from map(fn, items)
        return
    todo = deque(items)
    started: deque[tuple[Future[R], int]] = deque()

    def top_up(pool: ThreadPoolExecutor) -> None:
        while todo:
            w = weight(todo[0]) if weight is not None else 0
            held = sum(n for _, n in started)
            if ahead is not None and len(started) >= ahead and (weight is None or held + w > budget):
                return
            started.append((pool.submit(fn, todo.popleft()), w))

    with ThreadPoolExecutor(2) as pool:
        top_up(pool)
        try:
            while started:
                fut, _ = started.popleft()
                top_up(pool)
                yield fut.result()
        finally:
            for fut, _ in started:
                fut.cancel()
