"""Safety reporting deviations: a CRS or ICANS graded day by day must belong to a reported adverse event of that
category, and a serious adverse event must reach the sponsor within AdverseEvent sae_report_days of awareness."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf.params import class_parameter
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import dated, raw, run_parts
from ecrf.validators.timing import graded_events

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("SAFE-GRADING-NO-AE", "CRS or ICANS graded but not reported as an adverse event", "deviation", None,
       ("crs", "icans", "ae"),
       "Every CRS (crs) or ICANS (icans) grading record (ImmuneEffectorEvent grading_form) must link through SUBJID "
       "and AESEQ to an adverse event of the same category (AECAT CRS or ICANS). A graded episode without one is an adverse event that was not "
       "reported; reported once per episode (SUBJID, AESEQ), on its first grading record.",
       reference="ICH E6(R3) safety reporting; ICH E2A; Lee BBMT 2019;25:625 (ASTCT consensus)",
       fields=("AESEQ",))
def grading_without_ae(ctx: Context) -> Findings:
    ae = ctx.table("ae")
    if ae is None:  # no adverse event form in this export: nothing to link to
        return {}
    reported = ae.typed.lazy().select("subjid", "aeseq", "aecat").filter(pl.col("aeseq").is_not_null())
    parts = []
    # The grading forms, their date items and the AECAT they grade: ImmuneEffectorEvent (schema/timing.yaml).
    for domain, day, cat in ((e.form, e.date, e.category) for e in graded_events(ctx)):
        g, t = dated(ctx, domain, day), ctx.table(domain)
        if g is None or t is None:
            continue
        seq = t.typed["aeseq"]
        graded = g.lazy().with_columns(seq.alias("_seq")).filter(pl.col("_seq").is_not_null())
        linked = reported.filter(pl.col("aecat") == cat).select("subjid", pl.col("aeseq").alias("_seq")).unique()
        orphan = graded.join(linked, on=["subjid", "_seq"], how="anti")
        first = orphan.sort(day, "_idx", nulls_last=True).group_by("subjid", "_seq", maintain_order=True) \
            .agg(pl.all().first(), pl.len().alias("_n")).sort("_idx")
        parts.append((domain, raw(
            first, "AESEQ", pl.col("_seq"), pl.lit(f"AESEQ of a {cat} adverse event (ae)"),
            pl.format(f"{cat} graded on {{}} day(s) from {{}} under AESEQ {{}}, but the subject has no {cat} adverse "
                      "event with that AESEQ", pl.col("_n"), pl.col(day).fill_null("?"), pl.col("_seq")))))
    return run_parts(parts)


@check("SAFE-SAE-LATE", "Serious adverse event reported late", "deviation", None, ("ae",),
       "A serious adverse event (AESER Y) reported to the sponsor (AERPTDAT) more than AdverseEvent sae_report_days "
       "({AdverseEvent.sae_report_days} day(s)) after the investigator became aware of it (AEAWDAT), or reported "
       "before awareness. Events without both dates are not judged.",
       reference="ICH E6(R3); ICH E6(R2) 4.11.1; the window is a [CONV] parameter", fields=("AERPTDAT", "AEAWDAT"))
def sae_late(ctx: Context) -> Findings:
    ae = ctx.table("ae")
    if ae is None or ae.n_rows == 0 or not {"aeawdat", "aerptdat"} <= set(ae.df.columns):
        return {}
    days = class_parameter(ctx.model, "AdverseEvent", "sae_report_days")
    d = ae.typed.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64)) \
        .filter((pl.col("aeser") == "Y") & pl.col("aeawdat").is_not_null() & pl.col("aerptdat").is_not_null()) \
        .with_columns((pl.col("aerptdat") - pl.col("aeawdat")).dt.total_days().alias("_lag"))
    bad = d.filter((pl.col("_lag") > days) | (pl.col("_lag") < 0))
    late = pl.format("serious adverse event reported to the sponsor on {}, {} day(s) after awareness on {} "
                     f"(at most {days})", pl.col("aerptdat"), pl.col("_lag"), pl.col("aeawdat"))
    early = pl.format("serious adverse event reported on {}, before the investigator became aware of it on {}",
                      pl.col("aerptdat"), pl.col("aeawdat"))
    return run_parts([("ae", raw(bad, "AERPTDAT", pl.col("aerptdat"),
                                 pl.format(f"from {{}} to {{}} (AEAWDAT + {days} day(s))", pl.col("aeawdat"),
                                           pl.col("aeawdat") + pl.duration(days=days)),
                                 pl.when(pl.col("_lag") < 0).then(early).otherwise(late)))])
