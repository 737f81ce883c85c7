"""Results of one panel against each other: a differential count cannot exceed the total it is part of."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.params import enum_annotations
from ecrf.registry import Findings, check
from ecrf.validators.labs import lab_parameter, with_result

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("LAB-PART-TOTAL", "Differential count above its total", "consistency", "error", ("lb",),
       "A count that is part of a total (LabTestCode part_of: neutrophils and lymphocytes of the leukocytes) is "
       "above the total measured in the same panel (subject, visit and date), after conversion to SI units; "
       "censored results are judged on every value they stand for.",
       reference="Haematology: the differential counts are fractions of the total leukocyte count",
       fields=("LBORRES",))
def part_above_total(ctx: Context) -> Findings:
    parts = {c: a["part_of"] for c, a in enum_annotations(ctx.model, "LabTestCode").items() if a.get("part_of")}
    panel = list(parts) + sorted(set(parts.values()))
    # the panel's rows picked before their readings are looked up (with_result)
    d = with_result(ctx, pl.col("lbtestcd").is_in(panel))
    if d is None:
        return {}
    tol = lab_parameter(ctx, "relative_tolerance")
    # lazy to the end, and the parts' and totals' rows only: the two sides below share them (computed once,
    # polars' common subplans), with only the columns either side reads
    si = d.filter(pl.col("_factor").is_not_null() & pl.col("_r_num").is_not_null()).with_columns(
        (pl.col("_r_lo") * pl.col("_factor")).alias("_si_lo"), (pl.col("_r_hi") * pl.col("_factor")).alias("_si_hi"))
    keys = ["subjid", "visitnum", "lbdat"]
    part = si.filter(pl.col("lbtestcd").is_in(list(parts))).with_columns(
        pl.col("lbtestcd").replace_strict(parts, default=None).alias("_total_code"))
    # the totals' rows only (not every result)
    total = si.filter(pl.col("lbtestcd").is_in(sorted(set(parts.values())))).select(
        *keys, pl.col("lbtestcd").cast(pl.Utf8).alias("_total_code"), pl.col("_si_hi").alias("_total_hi"),
        pl.col("lborres").alias("_total_res"), pl.col("lborresu").alias("_total_unit"))
    j = part.join(total, on=[*keys, "_total_code"], how="inner")
    # only what the finding quotes (a wide result would keep every column of the shared rows)
    bad = j.filter(pl.col("_si_lo") > pl.col("_total_hi") * (1 + tol)) \
        .select("_idx", "lbtestcd", "lborres", "lborresu", "_total_code", "_total_res", "_total_unit") \
        .unique("_idx").sort("_idx").collect(engine=F.ENGINE)
    expected = pl.format("at most {} {} ({})", pl.col("_total_res"), pl.col("_total_unit"), pl.col("_total_code"))
    message = pl.format("{} {} {} is above the {} {} {} of the same panel", pl.col("lbtestcd"), pl.col("lborres"),
                        pl.col("lborresu"), pl.col("_total_code"), pl.col("_total_res"), pl.col("_total_unit"))
    f = F.from_frame(bad, "LBORRES", pl.col("lborres"), expected, message)
    return {} if f is None else {"lb": f}
