"""Seconds per check on one export: where `ecrf validate` spends the checks' time.

    .venv/bin/python bench/bench_checks.py EXPORT [--runs 3] [--top 25]

The export is read and put into record-key order once; then the checks run `--runs` times, each time on fresh
tables (no frame a check shared through Context.memo or Table.memo carries over), and each check's best wall
time (`Result.seconds`; a runner's time is shared equally by its checks) is printed, slowest first, with the
sum per run and the CPU time (user + system, all threads) of each run.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time
from pathlib import Path

from ecrf import engine
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.readers.order import in_record_key_order


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("export", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    engine.THREADED_ROWS = -1  # checks one at a time, so each is measured alone
    model = load_model(None)
    export = read_export(a.export, model)
    # put in order and made contiguous once here (engine.validate does it again: then a no-op, outside the checks)
    export = engine._contiguous(in_record_key_order(export))
    tables = {name: (t, dict(t.extra)) for name, t in export.tables.items()}  # the frames as read, before any check
    best: dict[str, float] = {}
    for _ in range(a.runs):
        export.tables.clear()
        for name, (t, extra) in tables.items():
            export.tables[name] = fresh = dataclasses.replace(t, extra=dict(extra))
            fresh.typed  # built before the clock starts, as it is for the checks
        c0, w0 = _cpu(), time.perf_counter()
        result = engine.validate(model, export)
        wall, cpu = time.perf_counter() - w0, _cpu() - c0
        print(f"run: checks {sum(result.seconds.values()):.2f} s, validate {wall:.2f} s wall {cpu:.2f} s CPU, "
              f"{result.findings.height} findings")
        for k, v in result.seconds.items():
            best[k] = min(best.get(k, v), v)
    print(f"sum of each check's best: {sum(best.values()):.2f} s")
    for k, v in sorted(best.items(), key=lambda kv: -kv[1])[: a.top]:
        print(f"  {k:32s} {v:.3f}")


if __name__ == "__main__":
    main()
