"""The column-level checks in a few polars queries for all the forms: the engine's fast equivalent of the pandera
module.

The generated pandera module (ecrf.generators.pandera_module) stays the published artifact. Running it costs
about a millisecond of fixed overhead per check (373 checks on KN5601-K) plus a collect each. Here the tests are
the pandera checks' own (same regular expressions, same number and date parsing), and failures come out in
pandera's failure-case shape (index, column, check, failure_case), so the rest of the pipeline does not know
which engine ran. tests/test_column_engines.py proves both give the same failures on the bundled export and on
damaged ones.

COL-REQUIRED and FORM-DUPKEY are judged row by row. Every other check reads the cell's value alone, so each
distinct value of a column is judged once, and each rule once for every column of every form that shares it
(`_failing_values`): values repeat (the 10,000-subject lab form: 1.05 M rows, a few hundred distinct dates, a
few thousand results), and the forms share most rules (a type, a date format, a codelist such as NY). The rows
holding a failing value are then picked, when there are any.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ecrf import findings as F
from ecrf.model import Item, multi_select_pattern
from ecrf.numbers import integer, number
from ecrf.table import FULL_DATE_RE, PARTIAL_DATE_RE, Table

RUNS_FROM_ROWS = 10_000  # forms this long, in record-key order, find repeated keys by runs (`repeated_keys`)
FAILURE_SCHEMA = {"index": pl.Int64, "column": pl.Utf8, "check": pl.Utf8, "failure_case": pl.Utf8}


def _full_date_ok(c: pl.Expr) -> pl.Expr:
    c = c.cast(pl.Utf8)
    return c.str.contains(FULL_DATE_RE) & c.str.to_date("%Y-%m-%d", strict=False).is_not_null()


def _rules(item: Item) -> list[tuple[str, tuple]]:
    """(check id, rule) per check of the item, in the order the pandera module lists them (see
    pandera_module._checks). A rule names its kind of test (see _BULK) and everything the test depends on besides
    the value, so that every column sharing a rule shares its judgement; COL-REQUIRED's rule is empty."""
    out: list[tuple[str, tuple]] = []
    if item.required:
        out.append(("COL-REQUIRED", ()))
    if item.kind in ("integer", "decimal"):
        out.append(("COL-TYPE", (item.kind,)))
    if item.kind in ("integer", "decimal") and (item.minimum is not None or item.maximum is not None):
        # the range reads an integer item as a number too (as the pandera module does)
        out.append(("COL-RANGE", ("range", item.minimum, item.maximum)))
    if item.kind == "enum" and item.multivalued:
        out.append(("COL-CODELIST", ("multi", multi_select_pattern(item.codes))))
    elif item.kind == "enum":
        out.append(("COL-CODELIST", ("codes", *item.codes)))
    if item.equals is not None:
        out.append(("COL-CODELIST", ("equals", item.equals)))
    if item.kind in ("full_date", "partial_date"):
        out.append(("COL-DATE", (item.kind,)))
    elif item.pattern and item.kind == "string":
        out.append(("COL-PATTERN", ("pattern", item.pattern)))
    return out


@dataclass
class _Plan:
    """One form's checks: `named` lists (column, check id, rule key or None) in the pandera module's order, the
    key None for a check judged row by row (COL-REQUIRED, and FORM-DUPKEY when the whole table is hashed)."""

    table: Table
    named: list[tuple[str, str, tuple | None]]
    masks: pl.LazyFrame  # one row: the failing positions of each check judged row by row, as a list
    values: pl.LazyFrame  # one row: each judged column's distinct values, as a list


def _plan(table: Table) -> _Plan:
    present = set(table.df.columns)
    named: list[tuple[str, str, tuple | None]] = []
    masks: list[pl.Expr] = []
    judged: list[str] = []
    for item in table.form.items:
        if item.name not in present:  # an optional item left out of the export: nothing to check
            continue
        for cid, key in _rules(item):
            if cid == "COL-REQUIRED":  # (a missing value is a row's, not a value's)
                masks.append(pl.col(item.name).is_null().arg_true().implode().alias(f"m{len(named)}"))
                named.append((item.name, cid, None))
            else:
                named.append((item.name, cid, key))
                if item.name not in judged:
                    judged.append(item.name)
    keys = [k for k in table.form.keys if k in present]
    if keys and not _runs_of_keys(table):  # pandera's uniqueness with report_duplicates="all": every repeated record
        masks.append(pl.struct(keys).is_duplicated().arg_true().implode().alias(f"m{len(named)}"))
        named.append(("|".join(keys), "FORM-DUPKEY", None))
    values = table.df.lazy().select(pl.col(c).drop_nulls().unique().cast(pl.Utf8).implode() for c in judged)
    return _Plan(table, named, table.df.lazy().select(masks), values)


# The test each kind of rule (a rule's first element) is judged by, all rules of the kind at once.
_BULK = {"integer": "integer", "decimal": "decimal", "range": "range", "multi": "regex", "pattern": "regex",
         "codes": "set", "equals": "set", "full_date": "full_date", "partial_date": "partial_date"}


def _failing_values(plans: list[_Plan], values: list[pl.DataFrame]) -> dict[tuple[int, str, tuple], list]:
    """{(form, column, rule): the column's distinct values that fail the rule}.

    All rules of one kind are judged together over the distinct values of every column and form they apply to,
    each rule's limits, regular expression or codes read from columns beside the value, and a codelist by a join
    with the rules' codes: seven tests instead of one per column and check (389 on KN5601-K, 84 distinct rules),
    each costing a fixed ~0.1 ms however few its values. The tests are the pandera module's: the same regular
    expressions, number and date parsing, limits and codes."""
    rule_of: dict[tuple, int] = {}
    uses: list[tuple[int, str, int]] = []  # (form, column, rule) for every column a rule judges
    for n, plan in enumerate(plans):
        for column, _, key in plan.named:
            if key is not None:
                uses.append((n, column, rule_of.setdefault(key, len(rule_of))))
    if not uses:
        return {}
    keys = list(rule_of)
    params = pl.LazyFrame(
        {"rule": range(len(keys)), "bulk": [_BULK[k[0]] for k in keys],
         "lo": [k[1] if k[0] == "range" else None for k in keys], "hi": [k[2] if k[0] == "range" else None for k in keys],
         "pattern": [k[1] if _BULK[k[0]] == "regex" else None for k in keys]},
        schema={"rule": pl.UInt32, "bulk": pl.Utf8, "lo": pl.Float64, "hi": pl.Float64, "pattern": pl.Utf8})
    codes = pl.LazyFrame([(r, code) for r, k in enumerate(keys) if _BULK[k[0]] == "set" for code in k[1:]],
                         schema={"rule": pl.UInt32, "value": pl.Utf8}, orient="row")
    # every form's distinct values as (form, column, value), each beside the rules that judge its column; collected
    # and split by kind before the tests read it (in one filter with the kind's test, each test would read every
    # value, and a plan would build the frame again for each kind)
    judged = pl.concat([v.lazy().unpivot(variable_name="column", value_name="value").explode("value")
                        .with_columns(pl.lit(n, pl.UInt32).alias("form")) for n, v in enumerate(values) if v.width]) \
        .filter(pl.col("value").is_not_null()) \
        .join(pl.LazyFrame(uses, schema={"form": pl.UInt32, "column": pl.Utf8, "rule": pl.UInt32}, orient="row"),
              on=["form", "column"]).join(params, on="rule").collect(engine=F.ENGINE)
    if judged.is_empty():  # rows without a single value (every cell empty): nothing a rule could fail
        return {}
    v, lo, hi = pl.col("value"), pl.col("lo"), pl.col("hi")
    num = number(v)
    fails = {
        "integer": integer(v).is_null(),
        "decimal": num.is_null(),
        "range": num.is_not_null() & ~((lo.is_null() | (num >= lo)) & (hi.is_null() | (num <= hi))),
        "regex": ~v.cast(pl.Utf8).str.contains(pl.col("pattern")),
        "full_date": ~_full_date_ok(v),
        "partial_date": ~(v.cast(pl.Utf8).str.contains(PARTIAL_DATE_RE) | _full_date_ok(v)),
    }
    failed = [part.lazy().join(codes, on=["rule", "value"], how="anti") if bulk == "set" else part.lazy().filter(fails[bulk])
              for (bulk,), part in judged.partition_by("bulk", as_dict=True).items()]
    found = pl.concat(failed).group_by("form", "column", "rule").agg("value").collect(engine=F.ENGINE)
    return {(n, column, keys[r]): vals for n, column, r, vals in found.iter_rows()}


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
    in pandera's shape. Every form's masks and distinct values are computed in one parallel collect, then every
    rule over the distinct values in one query; the rows holding a failing value are picked last."""
    plans = [_plan(t) for t in tables]
    done = pl.collect_all([q for p in plans for q in (p.masks, p.values)], engine=F.ENGINE)
    masks, values = done[0::2], done[1::2]
    failing = _failing_values(plans, values)
    # the rows holding each failing value, every form's in one parallel collect (a query per column and rule
    # cost ~1 ms each: some 1,200 on a damaged 10,000-subject export)
    found = pl.collect_all([_positions(n, plan, failing) for n, plan in enumerate(plans)], engine=F.ENGINE)
    out = []
    for plan, m, at in zip(plans, masks, found):
        table = plan.table
        parts = []
        for j, (column, cid, key) in enumerate(plan.named):
            if key is None:  # a row's failure (COL-REQUIRED, FORM-DUPKEY): no value to quote
                idx = m.get_column(f"m{j}")[0]
                value = pl.Series([None] * len(idx), dtype=pl.Utf8)
            elif f"i{j}" in at.columns:
                idx, value = at.get_column(f"i{j}")[0], at.get_column(f"v{j}")[0]
            else:
                continue
            if len(idx):
                parts.append(_failures(idx, column, cid, value))
        keys = [k for k in table.form.keys if k in table.df.columns]
        if keys and _runs_of_keys(table):
            idx = repeated_keys(table)
            if not idx.is_empty():
                parts.append(_failures(idx, "|".join(keys), "FORM-DUPKEY", pl.Series([None] * len(idx), dtype=pl.Utf8)))
        out.append(pl.concat(parts) if parts else pl.DataFrame(schema=FAILURE_SCHEMA))
    return out


def _positions(n: int, plan: _Plan, failing: dict[tuple[int, str, tuple], list]) -> pl.LazyFrame:
    """One row: for each column and rule with failing values, the positions holding one (i{j}) and their
    values (v{j}), as lists."""
    exprs = []
    for j, (column, _, key) in enumerate(plan.named):
        bad = failing.get((n, column, key)) if key is not None else None
        if bad is not None:
            hit = pl.col(column).is_in(bad)
            exprs += [hit.arg_true().implode().alias(f"i{j}"), pl.col(column).filter(hit).implode().alias(f"v{j}")]
    return plan.table.df.lazy().select(exprs) if exprs else pl.LazyFrame()


def _failures(idx: pl.Series, column: str, check_id: str, value: pl.Series) -> pl.DataFrame:
    """Failure cases in pandera's shape: one row per failing cell (row position, column, check, value)."""
    return pl.DataFrame({"index": idx.cast(pl.Int64), "column": pl.Series([column] * len(idx)),
                         "check": pl.Series([check_id] * len(idx)), "failure_case": value}, schema=FAILURE_SCHEMA)
