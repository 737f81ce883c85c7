"""Time reading the same export in every format against reading it from CSV; write a section of
docs/performance.md.

    .venv/bin/python bench/bench_formats.py [--subjects 1000] [--out docs/performance.md]

The seeded example of N subjects is written once per format by `ecrf example --format` (and zipped CSV),
then read with `read_export` in this process (best of 3, schema loaded once): reading only, no checks.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers import read_export, readers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import machine  # noqa: E402
from sections import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def time_read(path: Path, model, repeats: int = 3) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        export = read_export(path, model)
        best = min(best, time.perf_counter() - start)
        rows = sum(t.n_rows for t in export.tables.values())
    return best, rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--subjects", type=int, default=1000)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    a = p.parse_args(argv)
    model = load_model()
    formats = ["csv"] + [n for n, r in readers().items() if r.write is not None and n != "csv"]
    results = []
    with tempfile.TemporaryDirectory(prefix="ecrf-bench-formats-") as tmp:
        for fmt in formats:
            folder = Path(tmp) / fmt
            write_example(folder, subjects=a.subjects, fmt=fmt)
            size = sum(f.stat().st_size for f in folder.iterdir() if f.name != "seeded_errors.json")
            seconds, rows = time_read(folder, model)
            results.append((fmt, rows, size, seconds))
            print(f"{fmt:>13}: {rows:,} rows, {size / 2**20:.1f} MiB, {seconds:.2f} s", flush=True)
    csv_s = results[0][3]
    lines = [
        "## Reading each input format",
        "",
        f"Reading (no checks) the seeded example of {a.subjects:,} subjects written in each format by",
        "`ecrf example DIR --subjects N --format F`, best of 3 in one process, against reading the same rows",
        "from CSV. Reproduce with:",
        "",
        "```",
        f".venv/bin/python bench/bench_formats.py --subjects {a.subjects}",
        "```",
        "",
        f"Machine: {machine()}.",
        "",
        "| format | rows read | size MiB | seconds | vs CSV |",
        "|---|---:|---:|---:|---:|",
    ]
    for fmt, rows, size, seconds in results:
        lines.append(f"| {fmt} | {rows:,} | {size / 2**20:.1f} | {seconds:.2f} | {seconds / csv_s:.2f}x |")
    lines += ["", "The machine was shared with other work while measuring: absolute seconds vary by up to 2x between",
              "runs (CSV took 3.4 s in a quieter one); compare formats within one run.",
              "", "SAS7BDAT is read only (no library here writes it), so it is not in this table.", ""]
    write_section(a.out, "formats", "\n".join(lines))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
