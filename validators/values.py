"""Values that parse but cannot be true: a quantitative lab result written as text, a date outside the span
any record of the trial can carry. Both would otherwise pass every other check in silence (a text result has
no number to compare; a date in year 9999 is a valid calendar date)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.clinical.labresult import TEXT
from ecrf.params import class_parameter
from ecrf.registry import Findings, check
from ecrf.validators.labs import lab_results

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("LAB-RESULT-NOT-NUMBER", "Result of a quantitative lab test is not a number", "structure", "error", ("lb",),
       "LBORRES of a test the lab catalogue measures as a number holds text that is no number: a decimal comma "
       "(9,4), a thousands separator (1,234), a Unicode minus or full-width digits, a word (POSITIVE), inf or NaN, "
       "a line break or control character. No limit, unit or grade check can look at such a result. A censored "
       "result (<0.5) and the not-done codes (LabResultParsing) are numbers here.",
       reference="schema/labs.yaml (LabTestCode qualitative, LabResultParsing)", fields=("LBORRES",))
def lab_result_not_number(ctx: Context) -> Findings:
    d = lab_results(ctx)
    if d is None:
        return {}
    bad = d.filter((pl.col("_r_status") == TEXT) & (pl.col("_qualitative") == False))  # noqa: E712 (null: unknown test)
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
    out = {}
    for domain, table in ctx.tables.items():
        items = [i for i in table.form.items if i.kind in ("full_date", "partial_date") and i.name in table.df.columns]
        parts = []
        for item in items:
            c = pl.col(item.name)
            # compare the ISO text: a partial date (YYYY, YYYY-MM) is out when its whole span is out
            shaped = c.str.contains(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$").fill_null(False)
            # The rule reads the text alone and dates repeat (a million lab dates, a few hundred distinct): each
            # distinct text is judged once, then the rows holding one found out of the span are picked.
            outside = table.df.select(c.unique()).filter(
                shaped & ((c.str.pad_end(10, "9") < lo) | (c.str.slice(0, 10) > hi))).to_series()
            if outside.is_empty():
                continue
            bad = table.df.with_row_index("_idx").filter(c.is_in(outside.implode()))
            f = F.from_frame(bad.with_columns(pl.col("_idx").cast(pl.Int64)), item.title, c,
                             pl.lit(f"a date from {lo} to {hi}"),
                             pl.format("{} {} is outside the span of the trial's records", pl.lit(item.title), c))
            if f is not None:
                parts.append(f)
        if parts:
            out[domain] = pl.concat(parts)
    return out
