"""Clean generated exports of several sizes and seeds give no finding at all, and they hold what the timing,
status and growth rules look at (so "no finding" is not for want of data)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from ecrf.cli.main import main
from ecrf.example import write_example


def _frame(folder: Path, domain: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{domain}.csv", infer_schema=False)


@pytest.mark.parametrize(("subjects", "seed"), [(7, 3), (24, 5), (90, 2026)])
def test_clean_export_of_any_size_has_no_findings(tmp_path, subjects, seed):
    folder = tmp_path / "clean"
    write_example(folder, subjects=subjects, seed=seed, clean=True)
    result = CliRunner().invoke(main, ["validate", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []

    ae, vs, lb, sv = (_frame(folder, d) for d in ("ae", "vs", "lb", "sv"))
    events = ae.filter(pl.col("AECAT").is_in(["CRS", "ICANS"]))
    assert events.height >= subjects // 2 and _frame(folder, "crs").height > 0 and _frame(folder, "icans").height > 0
    heights = vs.filter(pl.col("HEIGHT").is_not_null()).group_by("SUBJID").len()
    assert heights.height == subjects and heights["len"].min() >= 5  # growth followed over the year
    assert lb["LBORRES"].null_count() == 0 and lb["LBSTAT"].null_count() == lb.height
    assert sv.filter((pl.col("SVOCCUR") == "Y") & pl.col("SVSTDAT").is_null()).is_empty()
