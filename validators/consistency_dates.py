"""Dates across forms, compared only where their order is certain.

A partial date (YYYY or YYYY-MM) is an interval: 2026-03 may be any day of March. Two dates are compared on
their common precision, so a date is "certainly before" another only when its prefix is smaller; 2026-03 and
2026-03-05 cannot be ordered and give no finding. Dates that do not parse are left out: the column checks
report them.
"""

from __future__ import annotations

import polars as pl

from ecrf import findings as F
from ecrf.engine import shared
from ecrf.table import per_distinct, typed_column


def dated(ctx, domain: str, *items: str) -> pl.DataFrame | None:
    """The form's rows (_idx, subjid, the other columns as text) with each date item as valid ISO text or null;
    `subjid` holds the subject (the item with role subject, else SUBJID). Built in one query once per form and
    items, and kept with the table: some sixty calls per run ask for the same few forms and items."""
    lazy = dated_lazy(ctx, domain, *items)
    if lazy is None:
        return None
    t = ctx.tables[domain]
    return t.memo(("dated", items, id(ctx.model)), lambda: lazy.collect(engine=F.ENGINE))


def dated_lazy(ctx, domain: str, *items: str) -> pl.LazyFrame | None:
    """`dated` as a query not yet run: a check joins and filters it with others and runs them all at once
    (`run_parts`), each eager step costing a query of its own however small the frame."""
    t = ctx.table(domain)
    subject = None if t is None else (t.form.find_role("subject") or "subjid")
    if t is None or subject is None or t.n_rows == 0 or subject not in t.df.columns:
        return None
    return t.df.lazy().with_row_index("_idx") \
        .with_columns(pl.col("_idx").cast(pl.Int64), pl.col(subject).alias("subjid")) \
        .with_columns(_date_expr(t, ctx.model, name) for name in items)


def _date_expr(t, model, name: str) -> pl.Expr:
    """The date item as valid ISO text, else null (null text when the form lacks the item): a full date as the
    typed table reads it (Table.typed), a partial one by the schema's pattern."""
    item = next((i for i in t.form.items if i.name == name), None)
    if item is None or name not in t.df.columns:
        return pl.lit(None, pl.Utf8).alias(name)
    if item.kind == "full_date":
        return per_distinct(t.df, name, typed_column(item).cast(pl.Utf8), pl.Utf8)
    c, pattern = pl.col(name).cast(pl.Utf8), item.pattern or model.view.get_type("partial_date").pattern
    return per_distinct(t.df, name, pl.when(c.str.contains(pattern)).then(c), pl.Utf8)


# The raw findings of offending rows as a query not yet run (findings.from_frame, deferred); see run_parts.
raw = F.raw_query


def run_parts(parts: list[tuple[str, pl.LazyFrame | None]]) -> dict[str, pl.DataFrame]:
    """`collect` of raw findings still to compute: every part run in one call (polars shares their common
    inputs), each costing a fixed ~0.2 ms however small when run alone."""
    todo = [(d, lf) for d, lf in parts if lf is not None]
    frames = pl.collect_all([lf for _, lf in todo], engine=F.ENGINE) if todo else []
    return collect([(d, r) for (d, _), r in zip(todo, frames)])


def date_items(form) -> list[str]:
    return [i.name for i in form.items if i.kind in ("full_date", "partial_date")]


def before(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """a is certainly before b, whatever days the partial dates stand for (null when either is missing)."""
    a, b = a.cast(pl.Utf8), b.cast(pl.Utf8)
    n = pl.min_horizontal(a.str.len_chars(), b.str.len_chars())
    return a.str.slice(0, n) < b.str.slice(0, n)


@shared
def first_consent(ctx) -> pl.DataFrame | None:
    """subjid -> _ic, the first informed consent date (built once per run: five checks read it)."""
    ic = dated_lazy(ctx, "ic", "icdat")
    if ic is None:
        return None
    return ic.filter(pl.col("icdat").is_not_null()).group_by("subjid").agg(pl.col("icdat").min().alias("_ic")) \
        .collect(engine=F.ENGINE)


def earliest(bad: pl.LazyFrame, col: str) -> pl.LazyFrame:
    """One row per subject: its earliest offending record, with _n the number of offending records."""
    return bad.sort(col, "_idx").group_by("subjid", maintain_order=True) \
        .agg(pl.all().first(), pl.len().alias("_n")).sort("_idx")


def collect(parts: list[tuple[str, pl.DataFrame | None]]) -> dict[str, pl.DataFrame]:
    """{form: raw findings}, several parts of one form stacked."""
    out: dict[str, list[pl.DataFrame]] = {}
    for domain, r in parts:
        if r is not None and not r.is_empty():
            out.setdefault(domain, []).append(r)
    return {d: pl.concat(rs, how="diagonal_relaxed") for d, rs in out.items()}
