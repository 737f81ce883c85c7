"""Time `ecrf validate` on the same generated export as CSV files and as one ODM 1.3.2 file.

    .venv/bin/python bench/bench_odm.py [--sizes 100 1000]

Prints a Markdown table (the figures in docs/odm.md): file size, wall seconds and peak memory of
`ecrf validate PATH --format json --output FILE` in a child process, and whether both give the same findings.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ecrf.example import write_example

ECRF = Path(sys.executable).with_name("ecrf")


def validate(path: Path, report: Path) -> tuple[float, float]:
    cmd = ["/usr/bin/time", "-f", "%M", str(ECRF), "validate", str(path), "--format", "json", "--output", str(report)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"ecrf validate failed on {path}:\n{done.stderr}")
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    a = p.parse_args()
    print("| subjects | format | export MiB | rows read | findings | seconds | peak MiB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.sizes:
            seen = {}
            for fmt in ("csv", "odm"):
                folder = Path(tmp) / f"{fmt}_{n}"
                write_example(folder, subjects=n, fmt=fmt)
                size = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
                report = Path(tmp) / f"{fmt}_{n}.json"
                wall, peak = validate(folder, report)
                data = json.loads(report.read_text())
                seen[fmt] = sorted(f["fingerprint"] for f in data["findings"])
                s = data["summary"]
                print(f"| {n:,} | {fmt} | {size:.1f} | {s['rows_read']:,} | {s['findings']} | {wall:.1f} | {peak:.0f} |")
            assert seen["csv"] == seen["odm"], "CSV and ODM findings differ"


if __name__ == "__main__":
    main()
