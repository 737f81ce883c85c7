"""Seriousness of an adverse event against its criteria (ICH E2A): serious means at least one criterion is met."""

from __future__ import annotations

import polars as pl

from ecrf import findings as F
from ecrf.registry import check
from ecrf.validators.consistency_dates import collect


@check("XF-AE-SERIOUSNESS", "Seriousness and its criteria disagree", "consistency", "error", (),
       "A serious adverse event (the item with role serious, KN5601-K AESER Y) meets at least one seriousness "
       "criterion (items with role seriousness: AESDTH, AESLIFE, AESHOSP, AESDISAB, AESCONG, AESMIE) recorded Y; a "
       "non-serious event (AESER N) has none recorded Y. Reported on AESER.",
       reference="ICH E2A II.B (serious adverse event); CDISC CDASHIG / SDTMIG AE seriousness criteria",
       roles=("*:serious",))
def seriousness(ctx):
    parts = []
    for domain, form in ctx.model.forms.items():
        flag = form.find_role("serious")
        criteria = [i for i in form.items if i.role == "seriousness"]
        t = ctx.table(domain)
        if flag is None or not criteria or t is None or t.n_rows == 0 or flag not in t.df.columns:
            continue
        d = t.df.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
        met = [pl.col(c.name) == "Y" for c in criteria if c.name in d.columns]
        titles = ", ".join(c.title for c in criteria)
        met_list = pl.concat_str([pl.when(pl.col(c.name) == "Y").then(pl.lit(c.title)) for c in criteria
                                  if c.name in d.columns], separator=", ", ignore_nulls=True)
        d = d.with_columns(pl.any_horizontal(met).fill_null(False).alias("_met") if met else pl.lit(False).alias("_met"),
                           met_list.alias("_which") if met else pl.lit("").alias("_which"))
        title = form.item(flag).title
        none = d.filter((pl.col(flag) == "Y") & ~pl.col("_met"))
        some = d.filter((pl.col(flag) == "N") & pl.col("_met"))
        parts.append((domain, F.from_frame(none, title, pl.col(flag), pl.lit(f"N, or Y with one of {titles} Y"),
                                           pl.lit(f"serious adverse event without a seriousness criterion "
                                                  f"({titles} none Y)"))))
        parts.append((domain, F.from_frame(some, title, pl.col(flag), pl.lit("Y (a seriousness criterion is met)"),
                                           pl.format("adverse event recorded not serious, but meets {}",
                                                     pl.col("_which")))))
    return collect(parts)
