"""Time the CSV reader alone, polars' reader (fast path) against the csv-module path, on generated exports,
and check both give the same tables and the same findings.

    .venv/bin/python bench/bench_reader.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import ecrf.readers.csv_folder as csv_folder
from ecrf.engine import validate
from ecrf.example import write_example
from ecrf.model import load_model


def _timed(folder: Path, model, fast: bool):
    original = csv_folder._read_fast
    if not fast:
        csv_folder._read_fast = lambda path: None
    try:
        t = time.perf_counter()
        export = csv_folder.read_csv_folder(folder, model)
        return time.perf_counter() - t, export
    finally:
        csv_folder._read_fast = original


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    model = load_model()
    print("| subjects | rows | csv module s | polars s | speed-up | findings equal |")
    print("|---:|---:|---:|---:|---:|---|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "export"
            write_example(folder, subjects=n)
            slow_s, slow = _timed(folder, model, fast=False)
            fast_s, fast = _timed(folder, model, fast=True)
            for d, t in slow.tables.items():
                assert t.df.equals(fast.tables[d].df), d
            same = validate(model, slow).findings.equals(validate(model, fast).findings)
            rows = sum(t.n_rows for t in fast.tables.values())
            print(f"| {n:,} | {rows:,} | {slow_s:.2f} | {fast_s:.2f} | {slow_s / fast_s:.1f}x | {same} |", flush=True)


if __name__ == "__main__":
    main()
