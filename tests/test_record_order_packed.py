"""The record-key sort of a large table on one packed key (each column's rank among its distinct values in its
own bits) orders the rows exactly as sorting on the typed columns and the row number does."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import polars as pl
import pytest

from ecrf import table
from ecrf.model import load_model
from ecrf.readers import order
from ecrf.table import FILE, ROW, TEXT, Table

MODEL = load_model()
# texts a key cell may hold in an export: numbers written several ways, dates, text that does not type, empties
TEXTS = {
    "string": ["01-001", "01-002", "01-010", "02-001", "b", "B", "a b", "é", "", None],
    "enum": ["WBC", "NEUT", "LYM", "HGB", "ALT", "wbc", None],
    "decimal": ["1", "1.0", "2", "10", "-3", "0.5", "-0", "nan", "inf", "1e309", "x", "9,4", None],
    "integer": ["1", "2", "10", "01", "-1", "3.0", "x", "99999999999999999999", None],
    "full_date": ["2025-01-31", "2025-02-01", "2024-12-31", "2025-02-30", "2025-1-1", "x", None],
}


def _table(domain: str, rows: int, seed: int, keys: tuple[str, ...] | None = None) -> Table:
    rng = random.Random(seed)
    form = MODEL.forms[domain]
    if keys is not None:
        form = dataclasses.replace(form, keys=keys)
    names = form.keys or tuple(i.name for i in form.items[:4])
    cols = {n: [rng.choice(TEXTS.get(form.item(n).kind, TEXTS["string"])) for _ in range(rows)] for n in names}
    row_numbers = rng.sample(range(2, 2 * rows + 2), rows)  # as a format with its own row order may give them
    df = pl.DataFrame(cols, schema={n: TEXT for n in names}).with_columns(
        pl.Series(ROW, row_numbers, dtype=pl.Int64), pl.lit("x.csv").alias(FILE).cast(TEXT))
    return Table(form, df, Path("x.csv"))


def _by_typed_columns(t: Table, monkeypatch) -> pl.Series | None:
    with monkeypatch.context() as m:
        m.setattr(order, "_packed_key", lambda *a: None)
        return order._permutation(t)


def _packed(t: Table) -> pl.Expr | None:
    keys = [t.form.item(k) for k in t.form.keys if t.form.has(k)]
    items = [] if keys else [i.name for i in t.form.items if i.name in t.df.columns]
    return order._packed_key(t.df, keys, items)


@pytest.mark.parametrize("domain, keys", [("lb", None), ("crs", None), ("cm", None), ("vs", ())])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_packed_key_orders_rows_as_the_typed_columns_do(domain, keys, seed, monkeypatch):
    monkeypatch.setattr(order, "DISTINCT_ROWS", 100)
    t = _table(domain, 3000, seed, keys)
    assert _packed(t) is not None  # (the packed sort ran)
    want = _by_typed_columns(t, monkeypatch)
    got = order._permutation(t)
    assert want is not None and got is not None and got.equals(want)


def test_a_table_in_key_order_is_found_so_without_a_sort(monkeypatch):
    monkeypatch.setattr(order, "DISTINCT_ROWS", 100)
    t = _table("lb", 3000, 5)
    ordered = dataclasses.replace(t, df=t.df[order._permutation(t)])
    assert _packed(ordered) is not None and order._permutation(ordered) is None


@pytest.mark.parametrize("case", ["small table", "plain text", "large dictionary", "more than 64 bits"])
def test_the_columns_are_sorted_as_they_are_where_no_packed_key_fits(case, monkeypatch):
    monkeypatch.setattr(order, "DISTINCT_ROWS", 100)
    t = _table("lb", 3000, 7)
    if case == "small table":
        monkeypatch.setattr(order, "DISTINCT_ROWS", 10_000)
    elif case == "plain text":
        t = dataclasses.replace(t, df=t.df.with_columns(pl.col(TEXT).cast(pl.Utf8)))
    elif case == "large dictionary":
        monkeypatch.setattr(table, "CODES_PER_ROW", 0)
    else:  # row numbers near 2**62 leave no room for the key's ranks
        t = dataclasses.replace(t, df=t.df.with_columns(pl.col(ROW) + 2**62))
    assert _packed(t) is None
    got = order._permutation(t)
    assert got is not None and got.equals(_by_typed_columns(t, monkeypatch))
