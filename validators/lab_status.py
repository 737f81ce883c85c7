"""Lab status and result pairs (CDASH LB): a test marked not done has no result, and a result left empty is
marked not done. The not-done status is LBSTAT (LabStatus); the not-done codes sites type into the result field
(LabResultParsing not_done_codes, e.g. ND) count as no result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.clinical.labresult import not_done_codes
from ecrf.registry import Findings, check
from ecrf.table import per_distinct
from ecrf.validators.consistency_dates import collect

if TYPE_CHECKING:
    from ecrf.engine import Context

REF = "CDISC CDASHIG LB (LBSTAT, LBREASND, LBORRES)"


def _lab(ctx) -> tuple[pl.LazyFrame, pl.Expr] | None:
    """The lb rows as text with _idx, and whether each holds a result (not empty, not a not-done code)."""
    t = ctx.table("lb")
    if t is None or t.n_rows == 0:
        return None
    codes = not_done_codes(ctx.model)
    # lazy: each check's filter reads the columns it needs, the rest are not copied
    d = t.df.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
    # Items the messages quote, as empty text where the study's lab form lacks them.
    d = d.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in ("lbtestcd", "lborresu", "lbreasnd", "visit", "lbdat")
                       if c not in t.df.columns)
    res = pl.col("lborres").cast(pl.Utf8)
    # a result is a result by its text alone: judged once per distinct text (a million results, a few thousand texts)
    has = per_distinct(t.df, "lborres", ~res.str.to_uppercase().is_in(codes), pl.Boolean)
    return d, pl.col("lborres").is_not_null() & has


@check("LAB-NOT-DONE-RESULT", "Lab test marked not done has a result", "consistency", "error", ("lb",),
       "A lab record with a not-done status (LBSTAT) also holds a result (LBORRES other than the not-done codes "
       "LabResultParsing not_done_codes): either the test was done and the status is wrong, or the result belongs "
       "elsewhere.",
       reference=REF, fields=("LBSTAT", "LBORRES"))
def not_done_with_result(ctx: Context) -> Findings:
    got = _lab(ctx)
    if got is None:
        return {}
    d, has_result = got
    bad = d.filter(pl.col("lbstat").is_not_null() & has_result)
    return collect([("lb", F.from_frame(bad, "LBORRES", pl.col("lborres"), pl.lit("no result (LBSTAT is set)"),
                                        pl.format("{} marked {} ({}) but a result {} {} is recorded",
                                                  pl.col("lbtestcd"), pl.col("lbstat"),
                                                  pl.col("lbreasnd").fill_null("no reason given"), pl.col("lborres"),
                                                  pl.col("lborresu").fill_null(""))))])


@check("LAB-RESULT-MISSING", "Lab result empty without a not-done status", "consistency", "error", ("lb",),
       "A lab record has no result (LBORRES empty) and no not-done status (LBSTAT): the result was not entered, or "
       "the test was not done and should say so (LBSTAT NOT DONE, with the reason in LBREASND). A not-done code "
       "typed in the result (LabResultParsing not_done_codes, e.g. ND) counts as the status.",
       reference=REF, fields=("LBSTAT", "LBORRES"))
def result_missing(ctx: Context) -> Findings:
    got = _lab(ctx)
    if got is None:
        return {}
    d, _ = got
    bad = d.filter(pl.col("lborres").is_null() & pl.col("lbstat").is_null())
    return collect([("lb", F.from_frame(bad, "LBORRES", pl.lit(""), pl.lit("a result, or LBSTAT NOT DONE"),
                                        pl.format("{} of {} on {} has neither a result nor a not-done status",
                                                  pl.col("lbtestcd").fill_null("test"), pl.col("visit").fill_null("?"),
                                                  pl.col("lbdat").fill_null("?"))))])
