"""The column-level checks as one polars query per form: the engine's fast equivalent of the pandera module.

The generated pandera module (ecrf.generators.pandera_module) stays the published artifact. Running it costs
about a millisecond of fixed overhead per check (373 checks on KN5601-K) plus a collect each; here every check
of a form is one boolean expression, all of a form's expressions are evaluated in one select, and the forms are
collected together. Each expression is the pandera check's own predicate (same regular expressions, same
number and date parsing), and failures come out in pandera's failure-case shape (index, column, check,
failure_case), so the rest of the pipeline does not know which engine ran. tests/test_column_engines.py
proves both give the same failures on the bundled export and on damaged ones.
"""

from __future__ import annotations

import polars as pl

from ecrf import findings as F
from ecrf.model import Item, multi_select_pattern
from ecrf.numbers import integer, number
from ecrf.table import FULL_DATE_RE, PARTIAL_DATE_RE, Table

TYPED_FROM_ROWS = 10_000  # forms this long reuse Table.typed's numbers (see _plan)
FAILURE_SCHEMA = {"index": pl.Int64, "column": pl.Utf8, "check": pl.Utf8, "failure_case": pl.Utf8}


def _full_date_ok(c: pl.Expr) -> pl.Expr:
    return c.str.contains(FULL_DATE_RE) & c.str.to_date("%Y-%m-%d", strict=False).is_not_null()


def _in_range(c: pl.Expr, lo: float | None, hi: float | None, v: pl.Expr | None = None) -> pl.Expr:
    v = number(c) if v is None else v  # finite or null, as the pandera module's _number
    ok = v.is_null()
    if lo is not None:
        return ok | ((v >= lo) & (v <= hi)) if hi is not None else ok | (v >= lo)
    return ok | (v <= hi)


def item_checks(item: Item, typed: pl.Expr | None = None) -> list[tuple[str, pl.Expr]]:
    """(check id, passes) for one item, in the order the pandera module lists them (see pandera_module._checks);
    a null cell passes every check but COL-REQUIRED. `typed`: the item's column of Table.typed, when at hand (an
    integer or decimal item read with the same integer() or number() as here: parsed once, not once more here)."""
    c = pl.col(item.name)
    out: list[tuple[str, pl.Expr]] = []
    if item.required:
        out.append(("COL-REQUIRED", c.is_not_null()))
    if item.kind == "integer":
        out.append(("COL-TYPE", c.is_null() | (integer(c) if typed is None else typed).is_not_null()))
    elif item.kind == "decimal":
        out.append(("COL-TYPE", c.is_null() | (number(c) if typed is None else typed).is_not_null()))
    if item.kind in ("integer", "decimal") and (item.minimum is not None or item.maximum is not None):
        # the range reads an integer item as a number too (as the pandera module does)
        out.append(("COL-RANGE", _in_range(c, item.minimum, item.maximum,
                                           typed if item.kind == "decimal" else None)))
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


def _plan(table: Table) -> tuple[list[tuple[str, str]], pl.LazyFrame]:
    """The form's checks, as (column, check id), and one lazy select of a failure mask per check."""
    present = set(table.df.columns)
    named: list[tuple[str, str]] = []
    masks: list[pl.Expr] = []
    # On a large form, the numbers as the typed view parsed them, beside the text (a million lab rows parse in
    # about 0.1 s a column); on a small one parsing again costs less than joining the typed columns on.
    numeric = [i.name for i in table.form.items if i.kind in ("integer", "decimal") and i.name in present] \
        if table.n_rows >= TYPED_FROM_ROWS else []
    frame = pl.concat([table.df, table.typed.select(pl.col(n).alias(f"_typed_{n}") for n in numeric)],
                      how="horizontal") if numeric else table.df
    for item in table.form.items:
        if item.name not in present:  # an optional item left out of the export: nothing to check
            continue
        typed = pl.col(f"_typed_{item.name}") if item.name in numeric else None
        for cid, ok in item_checks(item, typed):
            masks.append((~ok).alias(f"m{len(named)}"))
            named.append((item.name, cid))
    keys = [k for k in table.form.keys if k in present]
    if keys:  # pandera's uniqueness with report_duplicates="all": every record of a repeated key
        masks.append(pl.struct(keys).is_duplicated().alias(f"m{len(named)}"))
        named.append(("|".join(keys), "FORM-DUPKEY"))
    return named, frame.lazy().select(masks)


def fused_failures(tables: list[Table]) -> list[pl.DataFrame]:
    """For each table, its failure cases: one row per failing cell (per repeated record for FORM-DUPKEY),
    in pandera's shape. Every form's masks are computed in one parallel collect."""
    plans = [_plan(t) for t in tables]
    masks = pl.collect_all([lf for _, lf in plans], engine=F.ENGINE)
    out = []
    for table, (named, _), m in zip(tables, plans, masks):
        counts = m.select(pl.all().sum()).row(0) if m.width else ()
        parts = []
        for j, n in enumerate(counts):
            if not n:
                continue
            column, cid = named[j]
            idx = m.get_column(f"m{j}").arg_true()
            value = (table.df.get_column(column).gather(idx) if cid not in ("COL-REQUIRED", "FORM-DUPKEY")
                     else pl.Series([None] * len(idx), dtype=pl.Utf8))
            parts.append(pl.DataFrame({"index": idx.cast(pl.Int64), "column": pl.Series([column] * len(idx)),
                                       "check": pl.Series([cid] * len(idx)), "failure_case": value},
                                      schema=FAILURE_SCHEMA))
        out.append(pl.concat(parts) if parts else pl.DataFrame(schema=FAILURE_SCHEMA))
    return out
