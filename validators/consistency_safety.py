"""Safety reporting: a CRS or ICANS graded day by day must belong to a reported adverse event of that category."""

from __future__ import annotations

import polars as pl

from ecrf.registry import check
from ecrf.validators.consistency_dates import collect, dated, to_raw

# Grading form -> (its date item, the AECAT of the adverse event it grades); AESEQ links the two.
GRADING = {"crs": ("crsdat", "CRS"), "icans": ("icansdat", "ICANS")}


@check("SAFE-GRADING-NO-AE", "CRS or ICANS graded but not reported as an adverse event", "deviation", "important",
       ("crs", "icans", "ae"),
       "Every CRS (crs) or ICANS (icans) grading record must link through SUBJID and AESEQ to an adverse event of "
       "the same category (AECAT CRS or ICANS). A graded episode without one is an adverse event that was not "
       "reported; reported once per episode (SUBJID, AESEQ), on its first grading record.",
       reference="ICH E6(R3) safety reporting; ICH E2A; Lee BBMT 2019;25:625 (ASTCT consensus)",
       fields=("AESEQ",), dvcat="safety reporting")
def grading_without_ae(ctx):
    ae = ctx.table("ae")
    reported = pl.DataFrame(schema={"subjid": pl.Utf8, "aeseq": pl.Int64, "aecat": pl.Utf8})
    if ae is not None and ae.n_rows:
        reported = ae.typed.select("subjid", "aeseq", "aecat").filter(pl.col("aeseq").is_not_null())
    parts = []
    for domain, (day, cat) in GRADING.items():
        g = dated(ctx, domain, day)
        if g is None:
            continue
        seq = ctx.table(domain).typed["aeseq"]
        g = g.with_columns(seq.alias("_seq")).filter(pl.col("_seq").is_not_null())
        linked = reported.filter(pl.col("aecat") == cat).select("subjid", pl.col("aeseq").alias("_seq")).unique()
        orphan = g.join(linked, on=["subjid", "_seq"], how="anti")
        if orphan.is_empty():
            continue
        first = orphan.sort(day, "_idx", nulls_last=True).group_by("subjid", "_seq", maintain_order=True) \
            .agg(pl.all().first(), pl.len().alias("_n")).sort("_idx")
        parts.append((domain, to_raw(first, "AESEQ", pl.col("_seq"), pl.lit(f"AESEQ of a {cat} adverse event (ae)"),
                                     pl.format(f"{cat} graded on {{}} day(s) from {{}} under AESEQ {{}}, but the "
                                               f"subject has no {cat} adverse event with that AESEQ",
                                               pl.col("_n"), pl.col(day).fill_null("?"), pl.col("_seq")))))
    return collect(parts)
