"""SLEDAI-2K descriptors that exclude drug causes (thrombocytopenia, leukopenia): the (record, item) pairs whose
low counts are drug-caused, so recording the descriptor absent is right. Parameters: SledaiDescriptor
drug_cause_item and SledaiDrugExclusion (schema/scores.yaml). Used by SCORE-SLEDAI-LAB.
"""

from __future__ import annotations

import polars as pl

from ecrf.params import class_parameter, enum_annotations

EXCLUSION = "SledaiDrugExclusion"


def drug_cause_items(model) -> dict[str, str]:
    """{descriptor item: item recording a drug cause} for the descriptors that exclude drug causes."""
    return {a["item"]: a["drug_cause_item"] for a in enum_annotations(model, "SledaiDescriptor").values()
            if a.get("drug_cause_item")}


def drug_caused(ctx, d: pl.DataFrame) -> pl.DataFrame:
    """(_idx, item): sledai records (d, indexed) whose drug-excludable descriptor `item` must not be queried as
    absent: a drug cause recorded Y on the form, or the assessment within the window after lymphodepletion."""
    empty = pl.DataFrame(schema={"_idx": pl.Int64, "item": pl.Utf8})
    causes = drug_cause_items(ctx.model)
    if not causes or ctx.model.view.get_class(EXCLUSION) is None:
        return empty
    parts = [d.filter(pl.col(cause).cast(pl.Utf8) == "Y").select("_idx", pl.lit(item).alias("item"))
             for item, cause in causes.items() if cause in d.columns]
    ld = ctx.indexed("ld")
    if ld is not None and "sledaidat" in d.columns:
        window = class_parameter(ctx.model, EXCLUSION, "lymphodepletion_window_days")
        after = (d.select("_idx", "subjid", "sledaidat")
                 .join(ld.select("subjid", "lddat").filter(pl.col("lddat").is_not_null()), on="subjid")
                 .filter(pl.col("lddat") <= pl.col("sledaidat"))
                 .group_by("_idx", "sledaidat").agg(pl.col("lddat").max())
                 .filter((pl.col("sledaidat") - pl.col("lddat")).dt.total_days() <= window))
        parts += [after.select("_idx", pl.lit(item).alias("item")) for item in causes]
    return pl.concat(parts).unique() if parts else empty
