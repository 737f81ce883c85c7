"""Where the time and memory of `ecrf validate` go, against what a bare polars read of the same export costs:
the floor any design holding the export as polars text would start from.

    .venv/bin/python bench/bench_floor.py DIR [--runs 3]

Time: each phase of a validation in one fresh process (imports, model, reading, record-key order, checks,
findings), best of --runs, beside a bare read of every CSV file as text (`pl.read_csv(infer_schema=False)`).
Memory: resident memory held once every table is read and kept, in fresh processes with jemalloc returning
freed pages at once (so that the figure is what is alive, not what the allocator keeps; the timed runs use
polars' default allocator settings): the CSV files as polars text (what ecrf's tables held until they held
their text dictionary-encoded), the same with every column categorical (4 bytes a cell and one copy of each
distinct value), and ecrf's own reading. Prints Markdown tables for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from child import compile_sources  # noqa: E402

CHILD = r"""
import gc, json, sys, time
T = time.perf_counter
t0 = T()
import polars as pl
from pathlib import Path
def held():
    gc.collect()
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
kind, folder = sys.argv[1], Path(sys.argv[2])
out = {}
if kind in ("text", "categorical"):
    base = held()
    frames = []
    for p in sorted(folder.glob("*.csv")):
        df = pl.read_csv(p, infer_schema=False)
        frames.append(df.with_columns(pl.all().cast(pl.Categorical)) if kind == "categorical" else df)
    out = {"held": held() - base, "seconds": T() - t0}
else:
    t1 = T()
    from ecrf import engine
    from ecrf.model import load_model
    from ecrf.readers import read_export
    from ecrf.readers.order import in_record_key_order
    import ecrf.validators  # noqa: F401  (registers the checks)
    t2 = T()
    model = load_model(None)
    t3 = T()
    base = held()
    export = read_export(folder, model)
    t4 = T()
    out["held"] = held() - base
    export = engine._contiguous(in_record_key_order(export))
    t5 = T()
    last = []  # when the last check's result came back (wall: checks may run on two threads)
    result = engine.validate(model, export, progress=lambda done, total, _: last.append(T()))
    t6 = T()
    out.update(imports=t2 - t0, model=t3 - t2, read=t4 - t3, order=t5 - t4, checks=last[-1] - t5,
               findings=t6 - last[-1], total=t6 - t0)
print(json.dumps(out))
"""


def child(kind: str, folder: Path, held: bool = False) -> dict:
    # Returning freed pages at once slows polars down (ecrf 4.0 -> 5.4 s at 10,000 subjects): only for memory.
    env = dict(os.environ, _RJEM_MALLOC_CONF="dirty_decay_ms:0,muzzy_decay_ms:0") if held else dict(os.environ)
    done = subprocess.run([sys.executable, "-c", CHILD, kind, str(folder)], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{kind} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("folder", type=Path)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    size = sum(f.stat().st_size for f in a.folder.glob("*.csv")) / 2**20
    compile_sources()  # the imports timed as a user's compiled install has them
    timed = {k: [child(k, a.folder) for _ in range(a.runs)] for k in ("ecrf", "text")}
    held = {k: [child(k, a.folder, held=True) for _ in range(a.runs)] for k in ("ecrf", "text", "categorical")}
    bare = min(r["seconds"] for r in timed["text"])
    e = {f: min(r[f] for r in timed["ecrf"]) for f in timed["ecrf"][0]}
    print(f"{a.folder}: {size:.1f} MiB of CSV; best of {a.runs} fresh processes\n")
    print("| phase | seconds | x bare read |\n|---|---:|---:|")
    print(f"| bare read, polars text (with its import) | {bare:.2f} | 1.0x |")
    for f in ("imports", "model", "read", "order", "checks", "findings", "total"):
        print(f"| ecrf: {f} | {e[f]:.2f} | {e[f] / bare:.1f}x |")
    print("\n| held once read | MiB | x export on disk |\n|---|---:|---:|")
    for k, label in (("text", "polars text (bare read)"), ("categorical", "polars categorical"),
                     ("ecrf", "ecrf's tables (dictionary-encoded text, with provenance)")):
        mib = min(r["held"] for r in held[k])
        print(f"| {label} | {mib:.0f} | {mib / size:.1f}x |")


if __name__ == "__main__":
    main()
