"""Behaviour preserved: the bundled and a generated 300-subject export give the stored findings.

Only checks present in the stored copy are compared, so a check added later does not break the comparison;
a deliberate change to a stored check or to the example generator means refreshing the copy
(`python tests/baseline.py`, see its docstring) in the same commit.
"""

from __future__ import annotations

import polars as pl
import pytest

from baseline import COLUMNS, EXPORTS, findings, stored


@pytest.mark.parametrize("name", list(EXPORTS))
def test_findings_and_fingerprints_match_the_stored_copy(name):
    before = stored(name)
    assert before.height > 0
    checks = before["check_id"].unique().to_list()
    after = findings(name).filter(pl.col("check_id").is_in(checks))
    after = after.select(pl.col(c).cast(pl.Utf8) for c in COLUMNS)
    b = before.sort(COLUMNS, nulls_last=True).rows()
    a = after.sort(COLUMNS, nulls_last=True).rows()
    missing = [r for r in b if r not in set(a)]
    extra = [r for r in a if r not in set(b)]
    assert (missing, extra) == ([], [])
