"""Time what stable fingerprints and the ledger add to a run, and write that section of docs/performance.md.

    .venv/bin/python bench/bench_ledger.py [--subjects 1000]

On a generated export (seeded errors): sorting every table into record-key order
(`in_record_key_order`), and recording one run in a fresh ledger and then a second (`ledger.record`, which
also hashes every input file). Best of 3, wall clock, in this process.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from ecrf import ledger
from ecrf.audit import Run
from ecrf.engine import validate
from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.readers.order import in_record_key_order

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:ledger -->", "<!-- /bench:ledger -->"


def best(func, n=3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--subjects", type=int, default=1000)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    a = p.parse_args(argv)
    m = load_model()
    with tempfile.TemporaryDirectory(prefix="ecrf-bench-") as tmp:
        folder = Path(tmp) / "export"
        write_example(folder, subjects=a.subjects)
        rows = sum(t.n_rows for t in read_export(folder, m).tables.values())
        sort_s = best(lambda: in_record_key_order(read_export(folder, m)))  # includes the read
        read_s = best(lambda: read_export(folder, m))
        result = validate(m, read_export(folder, m))
        runs = iter(range(100))
        rec_s = best(lambda: ledger.record(Path(tmp) / f"l{next(runs)}.ledger", Run(source=folder, result=result)))
        path = Path(tmp) / "two.ledger"
        ledger.record(path, Run(source=folder, result=result))
        second_s = best(lambda: ledger.record(path, Run(source=folder, result=result)))
    section = "\n".join([
        START,
        "## Stable fingerprints and the ledger",
        "",
        f"On a {a.subjects:,}-subject export ({rows:,} rows, {result.findings.height} findings), best of 3:",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| tables into record-key order (what stable fingerprints cost) | {max(sort_s - read_s, 0):.2f} |",
        f"| recording a run in a new ledger (with the sha256 of every input file) | {rec_s:.2f} |",
        f"| recording a further run (statuses against the previous one) | {second_s:.2f} |",
        "",
        "Reproduce with `.venv/bin/python bench/bench_ledger.py`.",
        END,
    ])
    print(section)
    doc = a.out.read_text(encoding="utf-8") if a.out.exists() else ""
    if START in doc:
        doc = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: section, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + section + "\n"
    a.out.write_text(doc, encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
