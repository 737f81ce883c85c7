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
from ecrf.table import typed_column


def dated(ctx, domain: str, *items: str, subjects: pl.Series | None = None) -> pl.DataFrame | None:
    """The form's rows (_idx, subjid, the other columns as text) with each date item as valid ISO text or null;
    `subjid` holds the subject (the item with role subject, else SUBJID). With `subjects`, the rows of those
    subjects only."""
    t = ctx.table(domain)
    subject = None if t is None else (t.form.find_role("subject") or "subjid")
    if t is None or subject is None or t.n_rows == 0 or subject not in t.df.columns:
        return None
    model = ctx.model
    if subjects is not None:
        # A few subjects' rows (those who died or left early): their dates are read for them alone, not for
        # the million rows of the lab form.
        df = t.memo(("dated", subject), lambda: t.df.with_row_index("_idx").with_columns(
            pl.col("_idx").cast(pl.Int64), pl.col(subject).alias("subjid")))
        df = df.filter(pl.col("subjid").is_in(subjects.implode()))
        return df.with_columns(_date_column(t, model, name, df["_idx"]) for name in items)
    # Built in one query once per form and items, and kept with the table: some sixty calls per run ask for the
    # same few forms and items.
    return t.memo(("dated", subject, items, id(model)),
                  lambda: _lazy(t, model, subject, items).collect(engine=F.ENGINE))


def _date_column(t, model, name: str, rows: pl.Series | None = None) -> pl.Series:
    """The date item as valid ISO text, else null (null text when the form lacks the item); of the rows at
    positions `rows` only, if given."""
    n = t.n_rows if rows is None else len(rows)
    item = next((i for i in t.form.items if i.name == name), None)
    if item is None or name not in t.df.columns:
        return pl.Series(name, [None] * n, pl.Utf8)
    if item.kind == "full_date":
        typed = t.typed[name] if rows is None else t.typed[name].gather(rows)
        return typed.cast(pl.Utf8).alias(name)
    c, pattern = pl.col(name), item.pattern or model.view.get_type("partial_date").pattern
    text = t.df.select(name) if rows is None else t.df.select(pl.col(name).gather(rows))
    return text.select(pl.when(c.str.contains(pattern)).then(c).otherwise(None).alias(name)).to_series()


def dated_lazy(ctx, domain: str, *items: str) -> pl.LazyFrame | None:
    """`dated` as a query not yet run: a check joins and filters it with others and runs them all at once
    (`run_parts`), each eager step costing a query of its own however small the frame."""
    t = ctx.table(domain)
    subject = None if t is None else (t.form.find_role("subject") or "subjid")
    if t is None or subject is None or t.n_rows == 0 or subject not in t.df.columns:
        return None
    return _lazy(t, ctx.model, subject, items)


def _lazy(t, model, subject: str, items: tuple[str, ...]) -> pl.LazyFrame:
    return t.df.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64), pl.col(subject).alias("subjid")) \
        .with_columns(_date_expr(t, model, name) for name in items)


def _date_expr(t, model, name: str) -> pl.Expr:
    """`_date_column` as an expression: the same typing of a full date (Table.typed), the same pattern for a
    partial one."""
    item = next((i for i in t.form.items if i.name == name), None)
    if item is None or name not in t.df.columns:
        return pl.lit(None, pl.Utf8).alias(name)
    if item.kind == "full_date":
        return typed_column(item).cast(pl.Utf8).alias(name)
    c, pattern = pl.col(name), item.pattern or model.view.get_type("partial_date").pattern
    return pl.when(c.str.contains(pattern)).then(c).otherwise(None).alias(name)


def raw(bad: pl.LazyFrame, field: str | pl.Expr, value: pl.Expr, expected: pl.Expr, message: pl.Expr) -> pl.LazyFrame:
    """findings.from_frame as a query not yet run: the raw findings of the offending rows `bad`."""
    f = field if isinstance(field, pl.Expr) else pl.lit(field)
    return bad.select(pl.col("_idx").cast(pl.Int64), f.cast(pl.Utf8).alias("field"), value.cast(pl.Utf8).alias("value"),
                      expected.cast(pl.Utf8).alias("expected"), message.cast(pl.Utf8).alias("message"))


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
