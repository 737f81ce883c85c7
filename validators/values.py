"""Values that parse but cannot be true: a quantitative lab result written as text, a date outside the span
any record of the trial can carry. Both would otherwise pass every other check in silence (a text result has
no number to compare; a date in year 9999 is a valid calendar date)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.clinical.labresult import TEXT
from ecrf.params import class_parameter
from ecrf.model import Item
from ecrf.registry import Findings, check
from ecrf.table import Table
from ecrf.validators.labs import results_of_combinations

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("LAB-RESULT-NOT-NUMBER", "Result of a quantitative lab test is not a number", "structure", "error", ("lb",),
       "LBORRES of a test the lab catalogue measures as a number holds text that is no number: a decimal comma "
       "(9,4), a thousands separator (1,234), a Unicode minus or full-width digits, a word (POSITIVE), inf or NaN, "
       "a line break or control character. No limit, unit or grade check can look at such a result. A censored "
       "result (<0.5) and the not-done codes (LabResultParsing) are numbers here.",
       reference="schema/labs.yaml (LabTestCode qualitative, LabResultParsing)", fields=("LBORRES",))
def lab_result_not_number(ctx: Context) -> Findings:
    # the rule reads the combination's reading alone: judged per combination, then the rows of those found read
    bad = results_of_combinations(ctx, (pl.col("_r_status") == TEXT) & (pl.col("_qualitative") == False))  # noqa: E712 (null: unknown test)
    f = F.from_frame(bad, "LBORRES", pl.col("lborres"), pl.lit("a number, optionally with <, <=, > or >="),
                     pl.format("{} result is not a number", pl.col("lbtestcd")))
    return {} if f is None else {"lb": f}


@check("DATE-IMPLAUSIBLE", "Date outside the span of the trial's records", "range", "error", (),
       "A full or partial date before DatePlausibility earliest_date or after latest_date (1900-01-01 .. "
       "2099-12-31): placeholders such as 9999-12-31 or 0001-01-01, or a year typed wrong.",
       reference="schema/clinical.yaml (DatePlausibility)")
def date_implausible(ctx: Context) -> Findings:
    lo = str(class_parameter(ctx.model, "DatePlausibility", "earliest_date"))
    hi = str(class_parameter(ctx.model, "DatePlausibility", "latest_date"))
    dates = [(domain, table, item) for domain, table in ctx.tables.items() for item in table.form.items
             if item.kind in ("full_date", "partial_date") and item.name in table.df.columns]
    # The rule reads the text alone and dates repeat (a million lab dates, a few hundred distinct): each item's
    # distinct texts are judged once, all items in one query; then the rows holding a text found out of the span
    # are picked, for the items that have one, in a second query.
    outside = pl.collect_all([_outside(table, item.name, lo, hi) for _, table, item in dates], engine=F.ENGINE)
    found = [(domain, table, item, texts) for (domain, table, item), texts in zip(dates, outside)
             if not texts.is_empty()]
    frames = pl.collect_all([_findings(table, item, texts.to_series(), lo, hi) for _, table, item, texts in found],
                            engine=F.ENGINE)
    parts: dict[str, list[pl.DataFrame]] = {}
    for (domain, *_), f in zip(found, frames):
        if not f.is_empty():
            parts.setdefault(domain, []).append(f)
    return {domain: pl.concat(fs) for domain, fs in parts.items()}


def _outside(table: Table, name: str, lo: str, hi: str) -> pl.LazyFrame:
    """The distinct texts of a date item that are shaped as a date and lie outside lo..hi."""
    c = pl.col(name)
    text = c.cast(pl.Utf8)
    # compare the ISO text: a partial date (YYYY, YYYY-MM) is out when its whole span is out
    shaped = text.str.contains(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$").fill_null(False)
    return table.df.lazy().select(c.unique()).filter(shaped & ((text.str.pad_end(10, "9") < lo) | (text.str.slice(0, 10) > hi)))


def _findings(table: Table, item: Item, outside: pl.Series, lo: str, hi: str) -> pl.LazyFrame:
    """The raw findings on the rows whose date item holds one of the texts `outside`."""
    c = pl.col(item.name)
    bad = table.df.lazy().with_row_index("_idx").filter(c.is_in(outside.implode()))
    return F.raw_query(bad, item.title, c, pl.lit(f"a date from {lo} to {hi}"),
                       pl.format("{} {} is outside the span of the trial's records", pl.lit(item.title), c))
