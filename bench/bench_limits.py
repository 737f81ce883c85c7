"""Peak memory of `ecrf validate` on a huge form file (refused early at the size limit) and on clean generated
exports read in full, to relate memory to the size of the largest file. Writes the `limits` section of
docs/performance.md.

    .venv/bin/python bench/bench_limits.py [--huge-mib 1024] [--subjects 300 1000]

The huge file: a clean one-subject export whose lb.csv is grown to the size asked by repeating its records.
Each run is a fresh `ecrf validate DIR --format json -o FILE` process; its peak resident memory comes from the
kernel (wait4 rusage, ru_maxrss), its wall time from the clock.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sections import write_section  # noqa: E402

from ecrf import limits  # noqa: E402
from ecrf.example import write_example  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ECRF = Path(sys.executable).with_name("ecrf")


def grow_lab_file(folder: Path, mib: int) -> int:
    """Rewrite lb.csv to at least `mib` MiB: its records again and again, the subject id changed per copy."""
    path = folder / "lb.csv"
    header, *records = path.read_text(encoding="utf-8").splitlines()
    target, written, copy = mib * 1024**2, 0, 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(header + "\n")
        written += len(header) + 1
        while written < target:
            copy += 1
            subject = f"{1 + copy // 999:02d}-{1 + copy % 999:03d}"
            block = "\n".join(r.replace("01-001", subject) for r in records) + "\n"
            fh.write(block)
            written += len(block.encode("utf-8"))
    return path.stat().st_size


def run(folder: Path, out: Path, *extra: str) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak MiB and the last stderr line of one `ecrf validate` process."""
    t = time.perf_counter()
    proc = subprocess.Popen([str(ECRF), "validate", str(folder), "--format", "json", "-o", str(out), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    err = proc.stderr.read().strip().splitlines() if proc.stderr else []
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, seconds, usage.ru_maxrss / 1024, (err[-1] if err else "")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--huge-mib", type=int, default=1024, help="size of the file refused at the default limit")
    p.add_argument("--subjects", type=int, nargs="+", default=[300, 1000],
                   help="clean generated exports read in full (default limit)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    a = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ecrf-bench-limits-") as tmp:
        base = Path(tmp) / "base"
        write_example(base, subjects=1, seed=7, clean=True)
        report = Path(tmp) / "report.json"
        huge = Path(tmp) / "huge"
        subprocess.run(["cp", "-r", str(base), str(huge)], check=True)
        size = grow_lab_file(huge, a.huge_mib)
        code, seconds, peak, line = run(huge, report)
        rows.append((size, "default", code, seconds, peak, line))
        print(rows[-1], flush=True)
        subprocess.run(["rm", "-rf", str(huge)], check=True)
        for n in a.subjects:
            folder = Path(tmp) / f"s{n}"
            write_example(folder, subjects=n, seed=7, clean=True)
            size = max(p.stat().st_size for p in folder.glob("*.csv"))
            code, seconds, peak, line = run(folder, report)
            rows.append((size, f"default; {n:,} subjects", code, seconds, peak, line))
            print(rows[-1], flush=True)
    lines = [
        "# Memory on huge input: the size limit",
        "",
        "`ecrf validate DIR --format json -o FILE` in a fresh process, peak resident memory from the kernel: on a",
        "clean one-subject export whose lb.csv is grown past the default limit, and on clean generated exports",
        "(their largest file, lb.csv, in the first column) read in full.",
        "",
        "Reproduce with:",
        "",
        "```",
        ".venv/bin/python bench/bench_limits.py",
        "```",
        "",
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), Linux {platform.release()}, "
        f"Python {platform.python_version()}.",
        "",
        "| largest file | limit; export | exit | seconds | peak MiB | what happens |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for size, limit, code, seconds, peak, line in rows:
        what = "refused before reading: " + line.split("lb.csv: ", 1)[-1] if code == 2 else "read and checked in full"
        lines.append(f"| {limits.human(size)} | {limit} | {code} | {seconds:.1f} | {peak:,.0f} | {what} |")
    accepted = [(s, pk) for s, _, c, _, pk, _ in rows if c in (0, 1)]
    if len(accepted) >= 2:
        (s1, p1), (s2, p2) = accepted[0], accepted[-1]
        per = (p2 - p1) / ((s2 - s1) / 1024**2)
        lines += ["", f"Memory grows by about {per:.0f} MiB per MiB of the largest file (between the two exports "
                  "read in full; the other forms grow with it), so the default limit bounds a run at roughly "
                  f"{per * limits.DEFAULT_MAX_FILE_SIZE / 1024**3:.1f} GiB plus the rest of the export; a file over "
                  "the limit costs nothing but the start-up. Raise it with `--max-file-size` or "
                  f"`{limits.FILE_SIZE_ENV}` for a genuine export that large, on a machine with the memory."]
    write_section(a.out, "limits", "\n".join(lines))
    print(f"wrote the limits section of {a.out}")


if __name__ == "__main__":
    main()
