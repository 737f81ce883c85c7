"""Status and result pairs on the adverse event form: a flag and the field it implies agree (CDASH AE)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import collect

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("XF-AE-ONGOING", "Adverse event ongoing with an end date", "consistency", "error", ("ae",),
       "AEONGO Y (ongoing at the last contact) with an end date (AEENDAT): one of the two is wrong.",
       reference="CDISC CDASHIG AE (AEONGO, AEENDAT)", fields=("AEONGO", "AEENDAT"))
def ae_ongoing(ctx: Context) -> Findings:
    t = ctx.table("ae")
    if t is None or t.n_rows == 0 or not {"aeongo", "aeendat"} <= set(t.df.columns):
        return {}
    d = t.df.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
    bad = d.filter((pl.col("aeongo") == "Y") & pl.col("aeendat").is_not_null())
    return collect([("ae", F.from_frame(bad, "AEONGO", pl.col("aeongo"), pl.lit("N (an end date is recorded)"),
                                        pl.format("adverse event recorded as ongoing but with end date {}",
                                                  pl.col("aeendat"))))])


@check("XF-SAE-DATES", "Serious adverse event without awareness or report date", "consistency", "error", ("ae",),
       "A serious adverse event (AESER Y) needs the date the investigator became aware of it (AEAWDAT) and the date "
       "it was reported to the sponsor (AERPTDAT); each missing one is reported.",
       reference="ICH E6(R3) safety reporting; CDISC CDASHIG AE", fields=("AEAWDAT", "AERPTDAT"))
def sae_dates(ctx: Context) -> Findings:
    t = ctx.table("ae")
    if t is None or t.n_rows == 0 or "aeser" not in t.df.columns:
        return {}
    d = t.df.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
    serious = d.filter(pl.col("aeser") == "Y")
    parts = []
    for col, title, what in (("aeawdat", "AEAWDAT", "awareness"), ("aerptdat", "AERPTDAT", "sponsor report")):
        missing = serious.filter(pl.col(col).is_null()) if col in d.columns else serious
        parts.append(("ae", F.from_frame(missing, title, pl.lit(""), pl.lit(f"the {what} date"),
                                         pl.format("serious adverse event {} without a {} date ({})",
                                                   pl.col("aeseq"), pl.lit(what), pl.lit(title)))))
    return collect(parts)
