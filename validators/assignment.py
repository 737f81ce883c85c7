"""Treatment assignment: the dose level infused is the one the subject was assigned (dm DOSELVL)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import collect

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("SCHED-EX-LEVEL", "Infused dose level differs from the assigned one", "deviation", None, ("ex", "dm"),
       "The dose level of an infusion (EXDOSELV) differs from the level assigned to the subject (dm DOSELVL): the "
       "subject received another cohort's dose. SCHED-EX-DOSE checks the dose against the level infused.",
       reference="NCT07283315 intervention (dose escalation and expansion); ICH E6(R3)",
       fields=("EXDOSELV", "DOSELVL"))
def dose_level(ctx: Context) -> Findings:
    ex, dm = ctx.indexed("ex"), ctx.indexed("dm")
    if ex is None or dm is None:
        return {}
    assigned = dm.select("subjid", pl.col("doselvl").cast(pl.Utf8).alias("_assigned")).drop_nulls().unique("subjid", keep="first", maintain_order=True)
    bad = ex.join(assigned, on="subjid").filter(pl.col("exdoselv").is_not_null()
                                                & (pl.col("exdoselv").cast(pl.Utf8) != pl.col("_assigned")))
    return collect([("ex", F.from_frame(bad.sort("_idx"), "EXDOSELV", pl.col("exdoselv"), pl.col("_assigned"),
                                        pl.format("infusion {} on {} at dose level {}, but the subject is assigned {}",
                                                  pl.col("exnum"), pl.col("exstdat"), pl.col("exdoselv"),
                                                  pl.col("_assigned"))))])
