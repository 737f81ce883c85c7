"""The column-level checks as one polars query per form: the engine's fast equivalent of the pandera module.

The generated pandera module (ecrf.generators.pandera_module) stays the published artifact. Running it costs
about a millisecond of fixed overhead per check (373 checks on KN5601-K) plus a collect each; here every check
of a form is one boolean expression, all of a form's expressions are evaluated in one select, and the forms are
collected together. Each expression is the pandera check's own predicate (same regular expressions, same
number and date parsing), and failures come out in pandera's failure-case shape (index, column, check,
failure_case), so the rest of the pipeline does not know which engine ran. tests/test_column_engines.py
proves both give the same failures on the bundled export and on damaged ones.

On a large form the checks that read the value (all but COL-REQUIRED and FORM-DUPKEY) judge each distinct value
once: a predicate reads the cell alone, and values repeat (the 10,000-subject lab form: 1.05 M rows, a few
hundred distinct dates, a few thousand results), so parsing numbers and dates and matching patterns on every row
cost most of the query. The rows holding a failing value are then picked, when there are any.
"""

from __future__ import annotations

import polars as pl

from ecrf import findings as F
from ecrf.model import Item, multi_select_pattern
from ecrf.numbers import integer, number
from ecrf.table import FULL_DATE_RE, PARTIAL_DATE_RE, Table

BY_VALUE_FROM_ROWS = 10_000  # forms this long judge each distinct value once (on a small one, every row costs less)
RUNS_FROM_ROWS = 10_000  # forms this long, in record-key order, find repeated keys by runs (`repeated_keys`)
FAILURE_SCHEMA = {"index": pl.Int64, "column": pl.Utf8, "check": pl.Utf8, "failure_case": pl.Utf8}


def _full_date_ok(c: pl.Expr) -> pl.Expr:
    return c.str.contains(FULL_DATE_RE) & c.str.to_date("%Y-%m-%d", strict=False).is_not_null()


def _in_range(c: pl.Expr, lo: float | None, hi: float | None) -> pl.Expr:
    v = number(c)  # finite or null, as the pandera module's _number
    ok = v.is_null()
    if lo is not None:
        return ok | ((v >= lo) & (v <= hi)) if hi is not None else ok | (v >= lo)
    return ok | (v <= hi)


def item_checks(item: Item, c: pl.Expr | None = None) -> list[tuple[str, pl.Expr]]:
    """(check id, passes) for one item, in the order the pandera module lists them (see pandera_module._checks);
    a null cell passes every check but COL-REQUIRED. `c`: the values judged (default: the item's column)."""
    c = pl.col(item.name) if c is None else c
    out: list[tuple[str, pl.Expr]] = []
    if item.required:
        out.append(("COL-REQUIRED", c.is_not_null()))
    if item.kind == "integer":
        out.append(("COL-TYPE", c.is_null() | integer(c).is_not_null()))
    elif item.kind == "decimal":
        out.append(("COL-TYPE", c.is_null() | number(c).is_not_null()))
    if item.kind in ("integer", "decimal") and (item.minimum is not None or item.maximum is not None):
        # the range reads an integer item as a number too (as the pandera module does)
        out.append(("COL-RANGE", _in_range(c, item.minimum, item.maximum)))
    if item.kind == "enum" and item.multivalued:
        out.append(("COL-CODELIST", c.is_null() | c.str.contains(multi_select_pattern(item.codes))))
    elif item.kind == "enum":
        out.append(("COL-CODELIST", c.is_null() | c.is_in(list(item.codes))))
    if item.equals is not None:
        out.append(("COL-CODELIST", c.is_null() | c.is_in([item.equals])))
    if item.kind == "full_date":
        out.append(("COL-DATE", c.is_null() | _full_date_ok(c)))
    elif item.kind == "partial_date":
        out.append(("COL-DATE", c.is_null() | c.str.contains(PARTIAL_DATE_RE) | _full_date_ok(c)))
    elif item.pattern and item.kind == "string":
        out.append(("COL-PATTERN", c.is_null() | c.str.contains(item.pattern)))
    return out


def _plan(table: Table) -> tuple[list[tuple[str, str, bool]], list[pl.LazyFrame]]:
    """The form's checks, as (column, check id, judged by value), and lazy queries: first one select of a failure
    mask per check judged row by row, then per column judged by value, its failing distinct values (a list) per
    check."""
    present = set(table.df.columns)
    by_value = table.n_rows >= BY_VALUE_FROM_ROWS
    named: list[tuple[str, str, bool]] = []
    masks: list[pl.Expr] = []
    queries: list[pl.LazyFrame] = []
    for item in table.form.items:
        if item.name not in present:  # an optional item left out of the export: nothing to check
            continue
        failing: list[pl.Expr] = []
        for cid, ok in item_checks(item):
            j = len(named)
            if by_value and cid != "COL-REQUIRED":  # (a missing value is a row's, not a value's)
                failing.append(pl.col(item.name).filter(~ok).implode().alias(f"v{j}"))
                named.append((item.name, cid, True))
            else:
                masks.append((~ok).alias(f"m{j}"))
                named.append((item.name, cid, False))
        if failing:
            queries.append(table.df.lazy().select(pl.col(item.name).unique()).select(failing))
    keys = [k for k in table.form.keys if k in present]
    if keys and not _runs_of_keys(table):  # pandera's uniqueness with report_duplicates="all": every repeated record
        masks.append(pl.struct(keys).is_duplicated().alias(f"m{len(named)}"))
        named.append(("|".join(keys), "FORM-DUPKEY", False))
    return named, [table.df.lazy().select(masks), *queries]


def _runs_of_keys(table: Table) -> bool:
    """FORM-DUPKEY by runs of equal keys (`repeated_keys`): for a large table in record-key order; on a small one
    hashing every row costs less than the two extra queries."""
    return table.key_ordered and table.n_rows >= RUNS_FROM_ROWS


def repeated_keys(table: Table) -> pl.Series:
    """Positions of every record whose key (as exported) another record repeats, in a table in record-key order.

    There the rows are sorted on the typed key, so records sharing a key sit in one run of neighbours with equal
    typed keys; only rows in such runs are hashed (none in a table of unique keys) instead of every row (the
    10,000-subject lab form: a million)."""
    keys = [k for k in table.form.keys if k in table.df.columns]
    same = pl.all_horizontal(pl.col(k).eq_missing(pl.col(k).shift(1)) for k in keys)
    in_run = table.typed.select((same | same.shift(-1)).fill_null(False)).to_series()
    rows = in_run.arg_true()
    if rows.is_empty():
        return rows
    repeated = table.df.select(keys)[rows].select(pl.struct(keys).is_duplicated()).to_series()
    return rows.filter(repeated)


def fused_failures(tables: list[Table]) -> list[pl.DataFrame]:
    """For each table, its failure cases: one row per failing cell (per repeated record for FORM-DUPKEY),
    in pandera's shape. Every form's masks are computed in one parallel collect."""
    plans = [_plan(t) for t in tables]
    done = iter(pl.collect_all([q for _, queries in plans for q in queries], engine=F.ENGINE))
    out = []
    for table, (named, queries) in zip(tables, plans):
        m = next(done)
        failing = {c: v for q in queries[1:] for c, v in next(done).row(0, named=True).items()}
        parts = []
        for j, (column, cid, by_value) in enumerate(named):
            if by_value:
                bad = failing[f"v{j}"]
                if not bad:
                    continue
                idx = table.df.get_column(column).is_in(bad).arg_true()
            else:
                mask = m.get_column(f"m{j}")
                if not mask.sum():
                    continue
                idx = mask.arg_true()
            value = (table.df.get_column(column).gather(idx) if cid not in ("COL-REQUIRED", "FORM-DUPKEY")
                     else pl.Series([None] * len(idx), dtype=pl.Utf8))
            parts.append(_failures(idx, column, cid, value))
        keys = [k for k in table.form.keys if k in table.df.columns]
        if keys and _runs_of_keys(table):
            idx = repeated_keys(table)
            if not idx.is_empty():
                parts.append(_failures(idx, "|".join(keys), "FORM-DUPKEY", pl.Series([None] * len(idx), dtype=pl.Utf8)))
        out.append(pl.concat(parts) if parts else pl.DataFrame(schema=FAILURE_SCHEMA))
    return out


def _failures(idx: pl.Series, column: str, check_id: str, value: pl.Series) -> pl.DataFrame:
    """Failure cases in pandera's shape: one row per failing cell (row position, column, check, value)."""
    return pl.DataFrame({"index": idx.cast(pl.Int64), "column": pl.Series([column] * len(idx)),
                         "check": pl.Series([check_id] * len(idx)), "failure_case": value}, schema=FAILURE_SCHEMA)
