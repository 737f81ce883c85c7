"""Stored findings of the bundled and a generated 300-subject export: behaviour preserved across refactors.

Refresh on purpose (after a deliberate change of a check or of the example generator):
    python tests/baseline.py
and commit tests/data/baseline_*.csv with the change that explains the difference.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from ecrf.engine import validate
from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers import read_export

DATA = Path(__file__).parent / "data"
COLUMNS = ["check_id", "subject", "visit", "form", "field", "value", "fingerprint"]
EXPORTS = {"bundled": {}, "generated300": {"subjects": 300, "seed": 20251203}}


def findings(name: str) -> pl.DataFrame:
    """The findings of one of EXPORTS, in a stable order."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / name
        write_example(folder, **EXPORTS[name])
        m = load_model()
        res = validate(m, read_export(folder, m, None))
    return res.findings.select(COLUMNS).sort(COLUMNS, nulls_last=True)


def stored(name: str) -> pl.DataFrame:
    return pl.read_csv(DATA / f"baseline_{name}.csv", infer_schema_length=0)


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    for n in EXPORTS:
        findings(n).write_csv(DATA / f"baseline_{n}.csv")
