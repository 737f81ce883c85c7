"""The readers hold a table's text dictionary-encoded (ecrf.table.TEXT), a quarter of the memory polars text
takes; the checks must find exactly what they find on the same text held as plain polars strings, as a caller who
builds tables itself (and most tests) hands it to them."""

from __future__ import annotations

import dataclasses
import random

import polars as pl
import pytest

from ecrf import engine, table
from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.table import DISTINCT_ROWS, REF, ROW, TEXT, by_distinct, typed_column, typed_in

MODEL = load_model()
KEYS = {"STUDYID", "SITEID", "SUBJID"}
# text a check reads with string functions, joins or parses: numbers that are not, dates that are not, codes
# outside their codelist, cells to trim
ODD = ["abc", "-1", "99999999999", "<5", "2025-99-99", "2025", "1,5", "NaN", " Y ", "NOT_DONE", "UNK"]


def _damage(folder, rng=random.Random(11)):
    for path in sorted(folder.glob("*.csv")):
        df = pl.read_csv(path, infer_schema=False)
        for c in [c for c in df.columns if c not in KEYS and rng.random() < 0.5]:
            mask = pl.Series([rng.random() < 0.3 for _ in range(df.height)], dtype=pl.Boolean)
            df = df.with_columns(pl.when(mask).then(pl.lit(rng.choice(ODD))).otherwise(pl.col(c)).alias(c))
        df.write_csv(path)


def _as_plain_text(export):
    for domain, t in list(export.tables.items()):
        export.tables[domain] = dataclasses.replace(t, df=t.df.with_columns(pl.col(TEXT).cast(pl.Utf8)))
    return export


@pytest.fixture(scope="module", params=["bundled", "damaged"])
def export_dir(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param) / "export"
    write_example(folder)
    if request.param == "damaged":
        _damage(folder)
    return folder


def test_readers_hold_text_dictionary_encoded(export_dir):
    export = read_export(export_dir, MODEL)
    for domain, t in export.tables.items():
        text = {c: d for c, d in t.df.schema.items() if c not in (ROW, REF)}
        assert all(dtype == TEXT for dtype in text.values()), (domain, text)
        assert t.df.schema[ROW] == pl.Int64


def test_checks_find_the_same_on_plain_text(export_dir):
    encoded = engine.validate(MODEL, read_export(export_dir, MODEL))
    plain = engine.validate(MODEL, _as_plain_text(read_export(export_dir, MODEL)))
    assert not encoded.not_applicable and not plain.not_applicable
    assert encoded.findings.height > 100  # the seeded example's findings, more once damaged
    assert encoded.findings.schema == plain.findings.schema
    assert encoded.findings.equals(plain.findings)


@pytest.mark.parametrize("by_code", [True, False])  # encoded text looked up by its code, or matched as text
@pytest.mark.parametrize("dtype", [TEXT, pl.Utf8])
@pytest.mark.parametrize("kind", ["integer", "decimal", "full_date"])
def test_large_tables_type_each_distinct_text_as_every_cell(dtype, kind, by_code, monkeypatch):
    """Table.typed parses a large table's numbers and dates once per distinct text: the same values, nulls and
    type as parsing every cell."""
    if not by_code:
        monkeypatch.setattr(table, "CODES_PER_ROW", 0)
    item = next(i for f in MODEL.forms.values() for i in f.items if i.kind == kind)
    cells = ["12", "-0.5", ".5", "1e9", "1e309", "9,4", " 7", "", None, "2025-01-31", "2025-02-30", "2025-1-1",
             "99999999999999999999", "12", None, "abc", "2025-01-31", "0"]
    df = pl.DataFrame({item.name: cells * (DISTINCT_ROWS // len(cells) + 1)}, schema={item.name: dtype})
    want = df.select(typed_column(item))
    got = df.select(typed_in(df, item))  # (a large table: by distinct text)
    assert got.schema == want.schema and got.equals(want)
    assert want[item.name].null_count() < df.height  # some cells of each kind convert


@pytest.mark.parametrize("by_code", [True, False])
@pytest.mark.parametrize("dtype", [TEXT, pl.Utf8])
def test_text_worked_out_per_distinct_value_as_per_cell(dtype, by_code, monkeypatch):
    """by_distinct (the dated forms' partial dates on a large table): the same text, nulls included."""
    if not by_code:
        monkeypatch.setattr(table, "CODES_PER_ROW", 0)
    cells = ["2025", "2025-02", "2025-13", "25-01", "", None, "2025-02", "x"] * 40
    df = pl.DataFrame({"d": cells}, schema={"d": dtype})
    c = pl.col("d").cast(pl.Utf8)
    expr = pl.when(c.str.contains(r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$")).then(c)
    want = df.select(expr.alias("d"))
    got = df.select(by_distinct(df, "d", expr, pl.Utf8))
    assert got.equals(want) and want["d"].null_count() not in (0, df.height)


def test_a_large_column_without_a_value_types_as_null():
    """No distinct text to look up (an item left empty on every row of a large table)."""
    item = next(i for f in MODEL.forms.values() for i in f.items if i.kind == "decimal")
    df = pl.DataFrame({item.name: [None] * DISTINCT_ROWS}, schema={item.name: TEXT})
    got = df.select(typed_in(df, item))
    assert got.equals(df.select(typed_column(item))) and got[item.name].null_count() == DISTINCT_ROWS
