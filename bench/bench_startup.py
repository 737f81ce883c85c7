"""Start-up cost: `ecrf --help`, and `ecrf validate` of the bundled example with the compiled-model cache off
(the schema loaded through LinkML on every run, as before the cache) and on (a warm entry).

    .venv/bin/python bench/bench_startup.py [--runs 5]

Each command runs in a fresh child process; the figure is the best (lowest) wall time of --runs runs, the
least disturbed by other load on the machine. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ECRF = Path(sys.executable).with_name("ecrf")


def best(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Lowest wall seconds and lowest CPU seconds (user + system) over `runs` child processes."""
    times, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return min(times), min(cpus)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export, cache = Path(tmp) / "bundled", Path(tmp) / "cache"
        subprocess.run([str(ECRF), "example", str(export)], check=True, capture_output=True)
        validate = [str(ECRF), "validate", str(export), "--format", "json", "-o", str(Path(tmp) / "r.json")]
        base = dict(os.environ)
        off, on = base | {"ECRF_CACHE_DIR": "off"}, base | {"ECRF_CACHE_DIR": str(cache)}
        subprocess.run(validate, env=on, capture_output=True)  # warm the cache entry
        rows = [
            ("`ecrf --help`", best([str(ECRF), "--help"], base, a.runs)),
            ("`ecrf validate` bundled, model cache off (LinkML loads the schema)", best(validate, off, a.runs)),
            ("`ecrf validate` bundled, model cache warm", best(validate, on, a.runs)),
        ]
    print(f"| command | best of {a.runs}, wall seconds | CPU seconds |\n|---|---:|---:|")
    for name, (t, cpu) in rows:
        print(f"| {name} | {t:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
