"""ecrf against the other ways to check the same lab rows, in one command, each as a ratio to a bare read.

    .venv/bin/python bench/bench_compare.py [--subjects 1000] [--runs 3] [--out docs/performance.md]

The lab form (lb.csv) of a clean generated export is checked five ways, each in a fresh child process timed by
wall clock (start-up included, best of --runs) with its peak resident memory:

- bare read: polars reads the file as text, nothing else (the floor);
- ecrf validate: every check, on a folder holding only lb.csv (the forms it lacks are findings of their own);
- pandera module: the module `ecrf generate pandera` writes, used as its docstring says (`check("lb", df)`);
- jsonschema: python-jsonschema with the JSON Schema `ecrf generate jsonschema` writes, one record per row
  (numbers converted where the item is numeric, as an EDC's JSON export would hold them);
- linkml-validate: LinkML's own validator on the same rows (headers as the schema's slot names), class LabResult.

Each tool also says how many problems it found: on clean rows all must find none, or the timing is void.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from child import best  # noqa: E402
from sections import write_section  # noqa: E402

BIN = Path(sys.executable).parent
ECRF = BIN / "ecrf"

BARE = """
import sys, polars as pl
print(pl.read_csv(sys.argv[1], infer_schema=False).height, 0)
"""

PANDERA = """
import sys, polars as pl
sys.path.insert(0, sys.argv[2])
import kn5601k_pandera as k
df = pl.read_csv(sys.argv[1], infer_schema=False)
print(df.height, k.check("lb", df).height)
"""

JSONSCHEMA = """
import json, re, sys, jsonschema, polars as pl
schema = json.load(open(sys.argv[2]))
kinds = json.loads(sys.argv[3])
sub = dict(schema, **{"$ref": "#/$defs/LabResult"})
for k in ("properties", "required", "additionalProperties"):
    sub.pop(k, None)
v = jsonschema.Draft201909Validator(sub, format_checker=jsonschema.FormatChecker())
df = pl.read_csv(sys.argv[1], infer_schema=False).with_columns(pl.all().str.strip_chars())
integer, number = re.compile(kinds.pop("_int")), re.compile(kinds.pop("_num"))
errors = 0
for row in df.iter_rows(named=True):
    rec = {}
    for k, x in row.items():
        if x is None or x == "":
            continue
        kind = kinds.get(k)
        if kind == "integer" and integer.match(x):
            x = int(x)
        elif kind == "decimal" and number.match(x):
            x = float(x)
        rec[k] = x
    errors += sum(1 for _ in v.iter_errors(rec))
print(df.height, errors)
"""


def timed(cmd: list[str], runs: int) -> tuple[float, float, str]:
    wall, peak, _, done = best(cmd, runs, ok=(0, 1))
    return wall, peak, done.stdout


def prepare(work: Path, subjects: int) -> dict[str, Path]:
    from ecrf.model import load_model
    from ecrf.table import INTEGER_RE, NUMBER_RE

    export = work / "export"
    subprocess.run([str(ECRF), "example", str(export), "--subjects", str(subjects), "--clean"], check=True,
                   capture_output=True)
    only_lb = work / "lb_only"
    only_lb.mkdir()
    shutil.copy(export / "lb.csv", only_lb / "lb.csv")
    import polars as pl

    df = pl.read_csv(export / "lb.csv", infer_schema=False)
    df.rename({c: c.lower() for c in df.columns}).write_csv(work / "lb_slots.csv")  # LinkML wants slot names
    subprocess.run([str(ECRF), "generate", "pandera", "-o", str(work / "kn5601k_pandera.py")], check=True,
                   capture_output=True)
    subprocess.run([str(ECRF), "generate", "jsonschema", "-o", str(work / "kn5601k.schema.json")], check=True,
                   capture_output=True)
    kinds = {i.title: i.kind for i in load_model().forms["lb"].items} | {"_int": INTEGER_RE, "_num": NUMBER_RE}
    (work / "kinds.json").write_text(json.dumps(kinds))
    return {"export": export, "only_lb": only_lb}


def compare(subjects: int, runs: int) -> list[dict]:
    from ecrf.model import schema_path

    with tempfile.TemporaryDirectory(prefix="ecrf-compare-") as tmp:
        work = Path(tmp)
        paths = prepare(work, subjects)
        lb = str(paths["only_lb"] / "lb.csv")
        report = work / "report.json"
        py = sys.executable
        tools = [
            ("bare polars read", [py, "-c", BARE, lb]),
            ("ecrf validate (every check)", [str(ECRF), "validate", str(paths["only_lb"]), "--format", "json",
                                             "-o", str(report)]),
            ("generated pandera module", [py, "-c", PANDERA, lb, str(work)]),
            ("python-jsonschema, generated JSON Schema", [py, "-c", JSONSCHEMA, lb, str(work / "kn5601k.schema.json"),
                                                         (work / "kinds.json").read_text()]),
            ("linkml-validate", [str(BIN / "linkml-validate"), "-s", str(schema_path()), "-C", "LabResult",
                                 str(work / "lb_slots.csv")]),
        ]
        results = []
        for name, cmd in tools:
            wall, peak, out = timed(cmd, runs if name != "linkml-validate" else 1)
            if name.startswith("ecrf"):
                doc = json.loads(report.read_text())
                rows = doc["summary"]["rows_read"]
                problems = sum(1 for f in doc["findings"] if f["form"] == "lb")
            elif name == "linkml-validate":
                rows, problems = None, len(re.findall(r"^\[ERROR\]", out, re.M))
            else:
                rows, problems = (int(x) for x in out.split())
            if problems:
                raise SystemExit(f"{name} found {problems} problems in clean lab rows; the comparison is void")
            results.append({"tool": name, "seconds": wall, "peak_mib": peak, "rows": rows, "problems": problems})
            print(f"{name:45} {wall:8.2f} s {peak:7,.0f} MiB", flush=True)
    base = results[0]["seconds"]
    for r in results:
        r["ratio"] = r["seconds"] / base
    return results


def render(results: list[dict], subjects: int, runs: int) -> str:
    rows = next(r["rows"] for r in results if r["rows"])
    lines = [
        "## ecrf against other validators on the same lab rows",
        "",
        f"The lab form of a clean {subjects:,}-subject export ({rows:,} rows), each tool in a fresh child process,",
        f"start-up included (best of {runs}; linkml-validate once). No tool found a problem in these clean rows.",
        "",
        "| tool | seconds | x bare read | peak MiB |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['tool']} | {r['seconds']:.2f} | {r['ratio']:.1f}x | {r['peak_mib']:,.0f} |")
    lines += ["", f"Reproduce with `.venv/bin/python bench/bench_compare.py --subjects {subjects}`. ecrf runs every",
              "check on these rows (column checks, lab units, limits, CTCAE grades, reference ranges, keys); the",
              "pandera module and the JSON Schema carry the column-level checks only, linkml-validate the schema's",
              "slot ranges, enums and patterns."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--subjects", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path, help="write the table into this Markdown file's `compare` section")
    a = p.parse_args(argv)
    text = render(compare(a.subjects, a.runs), a.subjects, a.runs)
    if a.out:
        write_section(a.out, "compare", text)
        print(f"wrote {a.out}")
    else:
        print(text)


if __name__ == "__main__":
    main()
