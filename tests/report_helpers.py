"""Exports and runs for the xlsx and HTML report tests: the bundled example, with a hostile value planted."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def example(cli, folder: Path, cm_date: str | None = None) -> Path:
    """The bundled example export; `cm_date` replaces the malformed CMSTDAT (2024-13) that COL-DATE flags,
    so the finding's value is that text."""
    res = cli("example", folder)
    assert res.exit_code == 0, res.output
    if cm_date is not None:
        path = folder / "cm.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        col = rows[0].index("CMSTDAT")
        hit = [r for r in rows[1:] if r[col] == "2024-13"]
        assert hit, "the example no longer has the malformed date this test plants text in"
        hit[0][col] = cm_date
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return folder


def json_report(cli, export: Path, tmp_path: Path, *extra) -> dict:
    out = tmp_path / "report.json"
    res = cli("validate", export, "--format", "json", "-o", out, *extra)
    assert res.exit_code in (0, 1), res.output
    return json.loads(out.read_text(encoding="utf-8"))
