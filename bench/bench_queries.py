"""Polars queries per phase and per check: the fixed cost of `ecrf validate`, counted rather than timed.

    .venv/bin/python bench/bench_queries.py EXPORT [--top 25]

Every eager polars operation (filter, join, with_columns, ...) runs as a query of its own, and each costs about
0.2 ms however small its frame: on the bundled export that fixed cost is most of the checks' time. Counting the
queries (LazyFrame.collect, the eager operations' internal collect, collect_all) is deterministic, so a change
that removes queries shows here even on a busy machine where seconds do not.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

import polars as pl

from ecrf import engine
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.readers.order import in_record_key_order

COUNT = [0]


def _counted(fn):
    def run(*args, **kwargs):
        COUNT[0] += 1
        return fn(*args, **kwargs)

    return run


def _count_queries() -> None:
    pl.LazyFrame.collect = _counted(pl.LazyFrame.collect)  # type: ignore[method-assign]
    # eager DataFrame operations collect through this private method (polars 2.x); absent elsewhere
    if hasattr(pl.LazyFrame, "_collect_eager"):
        pl.LazyFrame._collect_eager = _counted(pl.LazyFrame._collect_eager)
    pl.collect_all = _counted(pl.collect_all)


def _take() -> int:
    n, COUNT[0] = COUNT[0], 0
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("export", type=Path)
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    engine.THREADED_ROWS = -1  # checks one at a time, so each is measured alone
    model = load_model(None)
    _count_queries()
    phases = {}
    export = read_export(a.export, model)
    phases["read"] = _take()
    export = engine._contiguous(in_record_key_order(export))
    phases["record-key order"] = _take()
    for t in export.tables.values():
        t.typed
    phases["typed views"] = _take()
    per_check: collections.Counter[str] = collections.Counter()

    def progress(done: int, total: int, check_id: str) -> None:
        per_check[check_id] += _take()

    result = engine.validate(model, export, progress=progress)
    phases["checks"] = sum(per_check.values())
    phases["findings (enrich, sort, fingerprints)"] = _take()
    print(f"{a.export}: {result.findings.height} findings")
    for name, n in phases.items():
        print(f"  {name:40s} {n:6d}")
    print(f"  {'total':40s} {sum(phases.values()):6d}")
    print(f"the {a.top} checks with the most queries (a runner's queries under its name):")
    for check_id, n in per_check.most_common(a.top):
        print(f"  {check_id:40s} {n:6d}")


if __name__ == "__main__":
    main()
