"""A finding on a form without SITEID gets the subject's site as the other forms record it: Demographics first,
then the first record seen; a finding that names its own site keeps it."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest

from ecrf.findings import fill_sites
from ecrf.table import TEXT


@pytest.mark.parametrize("dtype", [TEXT, pl.Utf8])
def test_findings_take_the_site_demographics_records_first(dtype):
    def table(**columns):
        return SimpleNamespace(df=pl.DataFrame(columns, schema={c: dtype for c in columns}))

    tables = {
        "vs": table(subjid=["B", "C", "C", None], siteid=["09", None, "03", "05"]),
        "dm": table(subjid=["A", "B", "A"], siteid=["01", "02", "08"]),
        "ex": table(subjid=["C", "D"], siteid=["04", None]),
        "ic": table(subjid=["A", "E"]),  # no SITEID: says nothing of a site
    }
    f = pl.DataFrame({"subject": ["C", "A", "B", "D", "E", "B", None], "site": [None, None, None, None, None, "07", None],
                      "check_id": ["X"] * 7})
    got = fill_sites(f, tables)
    assert got.columns == f.columns and got["subject"].to_list() == f["subject"].to_list()
    # C: vs is read before ex (dm first, then the tables' order) and its first record with a site is 03
    assert got["site"].to_list() == ["03", "01", "02", None, None, "07", None]
