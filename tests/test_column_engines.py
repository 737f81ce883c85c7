"""The fused column query (what `ecrf validate` runs) and the generated pandera module (what is published) give
the same failures, cell for cell, on the bundled export and on exports damaged as real ones are."""

from __future__ import annotations

import polars as pl
import pytest
from test_robustness import _drop_optional, _extreme, _garbage, _header_only, _rewrite

from ecrf.engine import Context
from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers.csv_folder import read_csv_folder
from ecrf.readers.order import in_record_key_order
from ecrf.validators import columns_fused
from ecrf.validators.columns import pandera_failures, run_column_checks
from ecrf.validators.columns_fused import fused_failures

MODEL = load_model()


def _comparable(fc: pl.DataFrame) -> list[tuple]:
    # A duplicate key is a row-level failure: pandera names it by the schema and the key as JSON; the row is what
    # the findings use (column and value come from the form's keys).
    fc = fc.with_columns(pl.col("check").replace({"multiple_fields_uniqueness": "FORM-DUPKEY",
                                                  "not_nullable": "COL-REQUIRED"}))
    fc = fc.with_columns(
        pl.when(pl.col("check") == "FORM-DUPKEY").then(None).otherwise(pl.col("column")).alias("column"),
        pl.when(pl.col("check").is_in(["FORM-DUPKEY", "COL-REQUIRED"])).then(None)
          .otherwise(pl.col("failure_case")).alias("failure_case"))
    return sorted(fc.rows(), key=repr)


def _runs_on_every_form(monkeypatch) -> None:
    # repeated keys are found by runs of equal typed keys in large forms only: forced here on the small ones
    monkeypatch.setattr(columns_fused, "RUNS_FROM_ROWS", 0)


def _assert_engines_agree(folder, ordered: bool = False) -> int:
    """Both engines on the tables as read, or (ordered) in record-key order as `ecrf validate` checks them, where
    FORM-DUPKEY hashes only the runs of equal typed keys (columns_fused.repeated_keys)."""
    export = read_csv_folder(folder, MODEL)
    if ordered:
        export = in_record_key_order(export)
        assert all(t.key_ordered for t in export.tables.values())
    tables = [t for t in export.tables.values() if t.n_rows > 0]
    failures = 0
    for table, fused in zip(tables, fused_failures(tables)):
        want = _comparable(pandera_failures(MODEL, table))
        assert _comparable(fused) == want, table.form.domain
        failures += len(want)
    ctx = Context(MODEL, export)
    by_pandera, by_fused = run_column_checks(ctx, "pandera"), run_column_checks(ctx)
    assert by_pandera.keys() == by_fused.keys()
    for domain in by_pandera:
        assert by_fused[domain].sort(pl.all()).equals(by_pandera[domain].sort(pl.all())), domain
    return failures


@pytest.mark.parametrize("ordered", [False, True])
def test_engines_agree_on_the_bundled_export(tmp_path, ordered, monkeypatch):
    _runs_on_every_form(monkeypatch)
    write_example(tmp_path / "bundled")
    # every column-level check is seeded there (test_example), so each engine has failures to agree on
    assert _assert_engines_agree(tmp_path / "bundled", ordered) >= 8


@pytest.mark.parametrize("ordered", [False, True])
@pytest.mark.parametrize("change", [_drop_optional, _header_only, _garbage, _extreme])
def test_engines_agree_on_damaged_exports(tmp_path, change, ordered, monkeypatch):
    _runs_on_every_form(monkeypatch)
    folder = tmp_path / "export"
    write_example(folder)
    _rewrite(folder, change)
    n = _assert_engines_agree(folder, ordered)
    if change in (_garbage, _extreme):
        assert n > 100  # garbage in about half the columns, numbers beyond every hard limit


def test_a_value_two_columns_share_is_judged_by_each_items_own_rule(tmp_path):
    """Each rule is judged once over the distinct values of every column and form it applies to
    (columns_fused._failing_values): the same text fails only in the columns whose own rule it breaks."""
    folder = tmp_path / "export"
    write_example(folder)
    vs = pl.read_csv(folder / "vs.csv", infer_schema=False)
    first = pl.int_range(pl.len()) == 0
    vs.with_columns(pl.when(first).then(pl.lit("200")).otherwise(pl.col(c)).alias(c)
                    for c in ("SYSBP", "DIABP", "PULSE")).write_csv(folder / "vs.csv")  # DIABP's limit is 180
    dm = pl.read_csv(folder / "dm.csv", infer_schema=False)
    dm.with_columns(pl.when(first).then(pl.lit("Y")).otherwise(pl.col(c)).alias(c)
                    for c in ("SEX", "GILBERT")).write_csv(folder / "dm.csv")  # Y is no sex code
    export = read_csv_folder(folder, MODEL)
    tables = [export.tables["vs"], export.tables["dm"]]
    vs_fail, dm_fail = fused_failures(tables)
    at_first = {(c, k, v) for i, c, k, v in vs_fail.rows() if i == 0} | {(c, k, v) for i, c, k, v in dm_fail.rows()
                                                                        if i == 0}
    assert ("diabp", "COL-RANGE", "200") in at_first and ("sex", "COL-CODELIST", "Y") in at_first
    assert not {(c, k) for c, k, _ in at_first} & {("sysbp", "COL-RANGE"), ("pulse", "COL-RANGE"),
                                                  ("gilbert", "COL-CODELIST")}
    assert _assert_engines_agree(folder) >= 2


def test_rows_without_a_single_value_fail_only_as_missing(tmp_path):
    """Every form's one row holds only empty cells (",,,"): no value for a rule to judge, only COL-REQUIRED and
    repeated empty keys to report, the same by both engines."""
    folder = tmp_path / "export"
    write_example(folder)
    for path in folder.glob("*.csv"):
        header = path.read_text().splitlines()[0]
        path.write_text(header + "\n" + "," * header.count(",") + "\n")
    assert _assert_engines_agree(folder) > 20
    export = read_csv_folder(folder, MODEL)
    checks = {c for fc in fused_failures(list(export.tables.values())) for c in fc["check"].to_list()}
    assert checks == {"COL-REQUIRED"}


@pytest.mark.parametrize("ordered", [False, True])
def test_engines_agree_on_duplicate_and_empty_keys(tmp_path, ordered, monkeypatch):
    _runs_on_every_form(monkeypatch)
    """Repeated keys, including keys with empty parts (null equals null for uniqueness), an empty required
    key cell and a study id other than the one the schema fixes (equals_string), flagged by both."""
    folder = tmp_path / "export"
    write_example(folder)
    lb = pl.read_csv(folder / "lb.csv", infer_schema=False)
    head = lb.head(3).with_columns(pl.lit(None, pl.Utf8).alias("LBTESTCD"))
    other = lb.head(2).with_columns(pl.lit("KN5601-X").alias("STUDYID"))
    pl.concat([lb, head, head, lb.head(2), other]).write_csv(folder / "lb.csv")
    assert _assert_engines_agree(folder, ordered) >= 10


@pytest.mark.parametrize("ordered", [False, True])
def test_a_key_repeated_in_other_words_is_no_duplicate(tmp_path, ordered, monkeypatch):
    _runs_on_every_form(monkeypatch)
    """Visit number 1 written "1", "1.0" and "1" again: the two "1" records repeat a key as exported, the "1.0"
    record does not (the key is compared as exported), though in record-key order all three sit side by side
    and the "1.0" one may lie between the other two."""
    folder = tmp_path / "export"
    write_example(folder)
    lb = pl.read_csv(folder / "lb.csv", infer_schema=False)
    row = lb.filter(pl.col("VISITNUM") == "1").head(1)
    pl.concat([lb, row.with_columns(pl.lit("1.0").alias("VISITNUM")), row]).write_csv(folder / "lb.csv")
    export = read_csv_folder(folder, MODEL)
    if ordered:
        export = in_record_key_order(export)
    table = export.tables["lb"]
    fused = fused_failures([table])[0].filter(pl.col("check") == "FORM-DUPKEY")
    rows = table.df[fused["index"]].filter(pl.col("subjid") == row["SUBJID"][0],
                                           pl.col("lbtestcd") == row["LBTESTCD"][0])
    assert rows["visitnum"].to_list() == ["1", "1"]
    assert _assert_engines_agree(folder, ordered) >= 2
