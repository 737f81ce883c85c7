"""Time `ecrf validate` on generated exports of growing size and write docs/performance.md.

    .venv/bin/python bench/bench_validate.py [--sizes 10 1000 10000] [--out docs/performance.md]

Each export is made by ecrf.example (clean, and with the seeded errors), validated in a child process
with `--format json --output`, and timed by wall clock; peak memory is the child's maximum resident set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from ecrf.example import write_example

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sections import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ECRF = Path(sys.executable).with_name("ecrf")
REPEATS_UP_TO = 1000  # small exports are timed best of 3; the largest once


def run_once(folder: Path, report: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of one `ecrf validate` child process."""
    cmd = [str(ECRF), "validate", str(folder), "--format", "json", "--output", str(report)]
    if shutil.which("/usr/bin/time"):
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_kib = int(done.stderr.strip().splitlines()[-1])
    else:  # RUSAGE_CHILDREN keeps the maximum over all children so far: an upper bound, not per run
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode not in (0, 1):
        raise SystemExit(f"ecrf validate failed on {folder}:\n{done.stderr}")
    return wall, peak_kib / 1024


def bench(subjects: int, clean: bool, work: Path) -> dict:
    folder = work / f"{'clean' if clean else 'seeded'}_{subjects}"
    start = time.perf_counter()
    write_example(folder, subjects=subjects, clean=clean)
    generated = time.perf_counter() - start
    report = work / f"{folder.name}.json"
    runs = [run_once(folder, report) for _ in range(3 if subjects <= REPEATS_UP_TO else 1)]
    summary = json.loads(report.read_text())["summary"]
    expected = len(json.loads((folder / "seeded_errors.json").read_text()))
    shutil.rmtree(folder)
    return {"subjects": subjects, "export": "clean" if clean else "seeded", "rows": summary["rows_read"],
            "findings": summary["findings"], "expected": expected, "generate_s": generated,
            "seconds": min(r[0] for r in runs), "runs": len(runs), "peak_mib": max(r[1] for r in runs)}


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), {mem:.1f} GiB memory, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, polars {pl.__version__}")


def render(results: list[dict]) -> str:
    lines = [
        "# Performance of `ecrf validate`",
        "",
        "Wall time and peak memory of `ecrf validate DIR --format json --output FILE` on generated exports of the",
        "KN5601-K example (`ecrf example DIR --subjects N`, clean and with the seeded errors), every check enabled.",
        "",
        "Reproduce with:",
        "",
        "```",
        ".venv/bin/python bench/bench_validate.py",
        "```",
        "",
        f"Machine: {machine()}.",
        "",
        "| subjects | export | rows read | findings (seeded) | seconds | runs | peak MiB |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['subjects']:,} | {r['export']} | {r['rows']:,} | {r['findings']} ({r['expected']}) | "
                     f"{r['seconds']:.1f} | {'best of ' + str(r['runs']) if r['runs'] > 1 else '1'} | "
                     f"{r['peak_mib']:,.0f} |")
    lines += [
        "",
        "Seconds is the whole command: start-up, loading the schema, reading the CSV files, every check and",
        "writing the report. Findings equal the seeded errors listed in `seeded_errors.json` (none when clean).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    a = p.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="ecrf-bench-") as tmp:
        for n in a.sizes:
            for clean in (True, False):
                r = bench(n, clean, Path(tmp))
                print(f"{n:>6} subjects {r['export']:>7}: {r['rows']:>9,} rows, {r['seconds']:6.1f} s, "
                      f"{r['peak_mib']:,.0f} MiB, {r['findings']} findings", flush=True)
                results.append(r)
    write_section(a.out, "validate", render(results))  # other benchmarks' sections stay
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
