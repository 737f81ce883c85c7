"""Every check survives what real exports do to it: optional columns left out, forms exported empty, and values
that are not what the item expects. The run must end in findings (exit 0 or 1), never an internal error (exit 3)."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest
from click.testing import CliRunner

from ecrf.cli.main import main
from ecrf.example import write_example
from ecrf.model import load_model

MODEL = load_model()
KEYS = {"STUDYID", "SITEID", "SUBJID"}
GARBAGE = ["abc", "-1", "0", "99999999999", "<5", ">1e9", "2025-99-99", "2025", "ND", "1,5", "NaN", "inf", "Y"]


def _rewrite(folder, change):
    for path in sorted(folder.glob("*.csv")):
        form = MODEL.forms.get(path.stem)
        if form is not None:
            change(path, form, pl.read_csv(path, infer_schema=False))


def _drop_optional(path, form, df):
    df.select([c for c in df.columns if form.item(c.lower()) is None or form.item(c.lower()).required]) \
        .write_csv(path)


def _header_only(path, form, df):
    df.head(0).write_csv(path)


def _garbage(path, form, df, rng=random.Random(7)):
    for c in [c for c in df.columns if c not in KEYS]:
        if rng.random() < 0.5:
            g = rng.choice(GARBAGE)
            mask = pl.Series([rng.random() < 0.3 for _ in range(df.height)], dtype=pl.Boolean)
            df = df.with_columns(pl.when(mask).then(pl.lit(g)).otherwise(pl.col(c)).alias(c))
    df.write_csv(path)


def _extreme(path, form, df):
    """Every third record carries numbers far beyond any hard limit in its numeric items."""
    numeric = [c for c in df.columns if c not in KEYS and (i := form.item(c.lower())) is not None
               and i.kind in ("integer", "decimal")]
    third = pl.int_range(pl.len()) % 3 == 0
    df.with_columns([pl.when(third).then(pl.lit("99999999999")).otherwise(pl.col(c)).alias(c) for c in numeric]) \
        .write_csv(path)


@pytest.mark.parametrize("change", [_drop_optional, _header_only, _garbage, _extreme])
def test_checks_survive_damaged_exports(tmp_path, change):
    folder = tmp_path / "export"
    write_example(folder)
    _rewrite(folder, change)
    result = CliRunner().invoke(main, ["validate", str(folder), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["rows_read"] == summary["rows_checked"]
