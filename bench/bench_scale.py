"""`ecrf validate` against a bare polars read of the same files, at growing size, side by side in one run.

    .venv/bin/python bench/bench_scale.py [--sizes 12 1000 10000] [--runs N] [--keep DIR]
                                          [--plot docs/performance-scale.png]

For each size a clean export is generated (`ecrf example DIR --subjects N --clean`) and timed two ways, each in
a fresh child process: `ecrf validate DIR --format json --output FILE` (every check), and a Python process that
reads every CSV of the export with polars as text and nothing else, in turn (ecrf, bare read, ecrf, ...), so
that a slow spell of a shared machine falls on both. The ratio of the two bests is what validation costs beyond
reading; peak memory is the child's maximum resident set (GNU time), set against the export's size. Sizes up to
1,000 subjects are timed best of 3, larger ones once (`--runs N`: N times each, at every size).

Findings are asserted, not just timed: the clean exports must give none, and seeded exports (1,000 and 10,000
subjects when in --sizes, timed too) must give exactly the errors their manifest lists.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from child import alternating  # noqa: E402
from sections import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ECRF = Path(sys.executable).with_name("ecrf")
REPEATS_UP_TO = 1000
SEEDED_SIZES = (1000, 10000)
BARE_READ = "import sys, pathlib, polars as pl\n" \
    "n = sum(pl.read_csv(p, infer_schema=False).height for p in sorted(pathlib.Path(sys.argv[1]).glob('*.csv')))\n" \
    "print(n)"


def export(keep: Path, subjects: int, clean: bool) -> Path:
    folder = keep / f"{'clean' if clean else 'seeded'}_{subjects}"
    if not (folder / "seeded_errors.json").exists():  # reused across runs with --keep
        shutil.rmtree(folder, ignore_errors=True)
        args = [str(ECRF), "example", str(folder), "--subjects", str(subjects)] + (["--clean"] if clean else [])
        subprocess.run(args, check=True, capture_output=True)
    return folder


def _key(d: dict) -> tuple:
    return (d["check_id"], d["subject"], d["form"], d["field"], d["value"] or "")


def measure(folder: Path, subjects: int, work: Path, runs: int | None = None) -> dict:
    runs = runs or (3 if subjects <= REPEATS_UP_TO else 1)
    report = work / f"{folder.name}.json"
    # a portfolio-size export has files over the default per-file limit: allow the largest one, as a user would
    largest = max(p.stat().st_size for p in folder.glob("*.csv"))
    args = [str(ECRF), "validate", str(folder), "--format", "json", "-o", str(report), "--max-file-size", str(largest)]
    (ecrf_s, ecrf_mib, ecrf_cpu, done), (bare_s, bare_mib, bare_cpu, read) = alternating(
        [args, [sys.executable, "-c", BARE_READ, str(folder)]], runs)
    if done.returncode not in (0, 1):
        raise SystemExit(f"ecrf validate failed on {folder}:\n{done.stderr}")
    doc = json.loads(report.read_text())
    manifest = json.loads((folder / "seeded_errors.json").read_text())
    got, want = Counter(map(_key, doc["findings"])), Counter(map(_key, manifest))
    if got != want:
        raise SystemExit(f"{folder.name}: findings differ from the manifest: missing {want - got}, extra {got - want}")
    rows = doc["summary"]["rows_read"]
    if rows != int(read.stdout):
        raise SystemExit(f"{folder.name}: ecrf read {rows} rows, polars {read.stdout.strip()}")
    mb = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
    return {"subjects": subjects, "export": folder.name.split("_")[0], "rows": rows, "mb": mb,
            "findings": len(doc["findings"]), "ecrf_s": ecrf_s, "bare_s": bare_s, "ratio": ecrf_s / bare_s,
            "peak_mib": ecrf_mib, "bare_mib": bare_mib,
            "ecrf_cpu": ecrf_cpu, "bare_cpu": bare_cpu, "runs": runs, "us_per_row": ecrf_s / rows * 1e6}


def render(results: list[dict], plot: Path | None) -> str:
    lines = [
        "## Validation against a bare read, by size",
        "",
        "Each export timed in fresh child processes in one run: `ecrf validate DIR --format json -o FILE` (every",
        "check) against a Python process that reads every CSV of the export with polars as text. Peak memory is",
        "the validating process's maximum resident set; \"x export\" sets it against the CSV files' size on disk.",
        "Findings equal the manifest (none for clean exports, the seeded errors otherwise), asserted by the run.",
        "",
        "| subjects | export | rows | MB | ecrf s | bare read s | ratio | CPU s ecrf / bare | us/row | peak MiB "
        "| x export |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['subjects']:,} | {r['export']} | {r['rows']:,} | {r['mb']:.1f} | {r['ecrf_s']:.2f} | "
            f"{r['bare_s']:.2f} | {r['ratio']:.1f}x | {r['ecrf_cpu']:.1f} / {r['bare_cpu']:.1f} | {r['us_per_row']:.1f} | {r['peak_mib']:,.0f} | "
            f"{r['peak_mib'] * 2**20 / (r['mb'] * 1e6):.1f}x |")
    base = next((r for r in results if r["subjects"] == 1000 and r["export"] == "clean"), None)
    if base is not None:
        per_row = [f"{r['subjects']:,} subjects {r['ecrf_cpu'] / r['rows'] / (base['ecrf_cpu'] / base['rows']):.2f}x"
                   for r in results if r["export"] == "clean" and r["subjects"] > 1000]
        if per_row:
            lines += ["", "Linearity: CPU time per row against 1,000 subjects: " + ", ".join(per_row) + "."]
    default = all(r["runs"] == (3 if r["subjects"] <= REPEATS_UP_TO else 1) for r in results)
    how = "best of 3 up to 1,000 subjects, once above" if default else f"best of {results[0]['runs']}"
    flag = "" if default else f" --runs {results[0]['runs']}"
    how += ", ecrf and the bare read in turn; the machine is shared, so single runs vary"
    lines += ["", "Reproduce with `.venv/bin/python bench/bench_scale.py --sizes "
              + " ".join(str(s) for s in sorted({r['subjects'] for r in results})) + flag + "` (" + how + ")."]
    if plot is not None:
        lines += ["", f"![ecrf validate and a bare read by export size]({plot.name})"]
    return "\n".join(lines) + "\n"


def draw(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clean = sorted((r for r in results if r["export"] == "clean"), key=lambda r: r["rows"])
    rows = [r["rows"] for r in clean]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.loglog(rows, [r["ecrf_s"] for r in clean], "o-", label="ecrf validate")
    left.loglog(rows, [r["bare_s"] for r in clean], "s--", label="bare polars read")
    left.set(xlabel="rows in the export", ylabel="seconds (wall)", title="Time")
    left.legend()
    right.loglog(rows, [r["peak_mib"] for r in clean], "o-", label="ecrf validate peak RSS")
    right.loglog(rows, [r["mb"] * 1e6 / 2**20 * 4 for r in clean], ":", label="4x the export on disk")
    right.set(xlabel="rows in the export", ylabel="MiB", title="Peak memory")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[12, 1000, 10000])
    p.add_argument("--runs", type=int, help="runs of each command at every size (default: 3 up to 1,000 subjects, "
                   "1 above)")
    p.add_argument("--keep", type=Path, help="keep the generated exports here and reuse them on the next run")
    p.add_argument("--out", type=Path, help="write the table into this Markdown file's `scale` section")
    p.add_argument("--plot", type=Path, help="draw the scale curve into this PNG")
    a = p.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="ecrf-scale-") as tmp:
        keep = a.keep or Path(tmp)
        keep.mkdir(parents=True, exist_ok=True)
        for n in a.sizes:
            for clean in (True, False) if n in SEEDED_SIZES else (True,):
                r = measure(export(keep, n, clean), n, Path(tmp), a.runs)
                print(f"{n:>7,} subjects {r['export']:>7}: {r['rows']:>10,} rows {r['mb']:7.1f} MB  ecrf "
                      f"{r['ecrf_s']:6.2f} s  bare {r['bare_s']:5.2f} s  {r['ratio']:4.1f}x  cpu {r['ecrf_cpu']:.1f}/{r['bare_cpu']:.1f}  "
                      f"{r['us_per_row']:5.1f} us/row  {r['peak_mib']:6,.0f} MiB  {r['findings']} findings", flush=True)
                results.append(r)
    if a.plot:
        draw(results, a.plot)
    text = render(results, a.plot)
    if a.out:
        write_section(a.out, "scale", text)
        print(f"wrote {a.out}")
    else:
        print(text)


if __name__ == "__main__":
    main()
