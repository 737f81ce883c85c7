"""Schedule and treatment deviations: visit windows, lymphodepletion day and dose, KN5601-K dose, infusion
without lymphodepletion, and study procedures before consent. Day 0 is the date of KN5601-K infusion number
ProtocolParameters day0_infusion_number; windows, days and doses come from the schema through ecrf.protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.protocol import protocol
from ecrf.table import keyed_like
from ecrf.registry import Findings, check
from ecrf.validators.common import CONV, REG, day0
from ecrf.validators.consistency_dates import raw, run_parts
from ecrf.validators.ld_renal import with_allowed

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("SCHED-VISIT-WINDOW", "Visit outside its window", "deviation", None, ("sv", "ex"),
       "A visit that occurred on a date outside day 0 + VisitCode target_day, minus window_before / plus "
       "window_after (day 0 = first KN5601-K infusion).", reference=f"VisitCode annotations; {CONV}",
       fields=("SVSTDAT",))
def visit_window(ctx: Context) -> Findings:
    sv, d0 = ctx.indexed("sv"), day0(ctx)
    if sv is None or d0 is None:
        return {}
    w = protocol(ctx.model).visit_windows()
    grid = pl.LazyFrame({"visit": list(w), "_t": [x.target_day for x in w.values()],
                         "_b": [x.before for x in w.values()], "_a": [x.after for x in w.values()]})
    d = sv.lazy().filter(pl.col("svstdat").is_not_null()).join(keyed_like(grid, sv, "visit"), on="visit").join(d0.lazy(), on="subjid") \
        .with_columns((pl.col("svstdat") - pl.col("_d0")).dt.total_days().alias("_day"))
    bad = d.filter((pl.col("_day") < pl.col("_t") - pl.col("_b")) | (pl.col("_day") > pl.col("_t") + pl.col("_a")))
    return run_parts([("sv", raw(bad, "SVSTDAT", pl.col("svstdat"),
                                 pl.format("day {} (-{}/+{}): {} to {}", pl.col("_t"), pl.col("_b"), pl.col("_a"),
                                           pl.col("_d0") + pl.duration(days=pl.col("_t") - pl.col("_b")),
                                           pl.col("_d0") + pl.duration(days=pl.col("_t") + pl.col("_a"))),
                                 pl.format("{} on study day {}, outside its window around day {}", pl.col("visit"),
                                           pl.col("_day"), pl.col("_t"))))])


def _ld(ctx) -> tuple[pl.LazyFrame | None, pl.DataFrame | None]:
    """The administrations with their drug's plan (a query not yet run), and day 0."""
    ld, d0 = ctx.indexed("ld"), day0(ctx)
    if ld is None:
        return None, None
    drugs = protocol(ctx.model).lymphodepletion()
    plan = pl.LazyFrame({"ldtrt": list(drugs), "_mg": [x.mg_per_m2_per_day for x in drugs.values()],
                         "_tol": [x.tolerance_pct for x in drugs.values()],
                         "_days": [list(x.days) for x in drugs.values()]})
    return ld.lazy().join(keyed_like(plan, ld, "ldtrt"), on="ldtrt"), d0


@check("SCHED-LD-DAY", "Lymphodepletion on a day the protocol does not plan", "deviation", None, ("ld", "ex"),
       "A fludarabine or cyclophosphamide administration whose date, relative to day 0, is not one of the drug's "
       "planned days (LymphodepletionDrug days).", reference=f"LymphodepletionDrug annotations; {CONV}",
       fields=("LDDAT",))
def ld_day(ctx: Context) -> Findings:
    ld, d0 = _ld(ctx)
    if ld is None or d0 is None:
        return {}
    d = ld.filter(pl.col("lddat").is_not_null()).join(d0.lazy(), on="subjid") \
        .with_columns((pl.col("lddat") - pl.col("_d0")).dt.total_days().alias("_day"))
    bad = d.filter(~pl.col("_days").list.contains(pl.col("_day")))
    return run_parts([("ld", raw(bad, "LDDAT", pl.col("lddat"),
                                 pl.format("study day {}", pl.col("_days").cast(pl.List(pl.Utf8)).list.join(", ")),
                                 pl.format("{} given on study day {} (day 0 = {})", pl.col("ldtrt"), pl.col("_day"),
                                           pl.col("_d0"))))])


@check("SCHED-LD-DOSE", "Lymphodepletion dose outside tolerance", "deviation", None, ("ld",),
       "LDDOSE differs by more than dose_tolerance_pct from the dose due: LymphodepletionDrug mg_per_m2_per_day x "
       "LDBSA, reduced by the dose_factor of LymphodepletionRenalAdjustment (fludarabine: "
       "{LymphodepletionRenalAdjustment.FLU_CRCL_30_70.dose_factor} at {LymphodepletionRenalAdjustment.FLU_CRCL_30_70"
       ".min_crcl}-{LymphodepletionRenalAdjustment.FLU_CRCL_30_70.max_crcl} mL/min, "
       "{LymphodepletionRenalAdjustment.FLU_CRCL_BELOW_30.dose_factor} below "
       "{LymphodepletionRenalAdjustment.FLU_CRCL_BELOW_30.max_crcl}) when the subject's latest eGFR on or before the "
       "administration lies in its band (within KidneyFunctionParameters egfr_tolerance_ml_min of a limit either "
       "band's dose is accepted). Without an eGFR on record only the unadjusted dose is accepted.",
       reference=f"LymphodepletionDrug and LymphodepletionRenalAdjustment annotations; fludarabine label; {CONV}",
       fields=("LDDOSE", "LDBSA"))
def ld_dose(ctx: Context) -> Findings:
    ld, _ = _ld(ctx)
    if ld is None:
        return {}
    d = ld.filter(pl.col("lddose").is_not_null() & pl.col("ldbsa").is_not_null() & pl.col("lddat").is_not_null())
    d = with_allowed(ctx, d.collect(engine=F.ENGINE)).lazy().with_columns((pl.col("_mg") * pl.col("_factor") * pl.col("ldbsa")).alias("_want"))
    d = d.with_columns(((pl.col("lddose") - pl.col("_want")).abs() <= pl.col("_want") * pl.col("_tol") / 100)
                       .alias("_ok"))
    due = pl.format("{} mg ({} mg/m2 x {}{} m2)", pl.col("_want").round(1), pl.col("_mg"),
                    pl.when(pl.col("_factor") < 1).then(pl.format("{} x ", pl.col("_factor"))).otherwise(pl.lit("")),
                    pl.col("ldbsa"))
    # the administrations whose every allowed dose is missed first: the allowed doses are written out for those
    bad = d.filter(~pl.col("_ok").any().over("_idx")).group_by("_idx", maintain_order=True).agg(
        pl.col("_ok").any(), pl.col("ldtrt").first(), pl.col("lddose").first(), pl.col("_tol").first(),
        pl.col("_egfr").first(), pl.col("_egfr_dat").first(), due.str.join(" or ").alias("_due")) \
        .filter(~pl.col("_ok"))
    kidney = pl.when(pl.col("_egfr").is_null()).then(pl.lit("no eGFR on record before it")) \
        .otherwise(pl.format("eGFR {} on {}", pl.col("_egfr"), pl.col("_egfr_dat")))
    return run_parts([("ld", raw(
        bad, "LDDOSE", pl.col("lddose"), pl.format("{} +/- {}%", pl.col("_due"), pl.col("_tol")),
        pl.format("{} dose {} mg is outside {}% of {} ({})", pl.col("ldtrt"), pl.col("lddose"), pl.col("_tol"),
                  pl.col("_due"), kidney)))])


@check("SCHED-EX-DOSE", "KN5601-K dose outside its dose level", "deviation", None, ("ex", "dm"),
       "EXDOSE differs from DoseLevel cells_per_kg (x EXWT when EXDOSU is cells) by more than dose_tolerance_pct; the "
       "level is EXDOSELV, else the subject's DOSELVL.", reference=f"DoseLevel annotations; {CONV}",
       fields=("EXDOSE", "EXDOSU", "EXWT", "EXDOSELV"))
def ex_dose(ctx: Context) -> Findings:
    ex, dm = ctx.indexed("ex"), ctx.indexed("dm")
    if ex is None:
        return {}
    levels = protocol(ctx.model).dose_levels()
    lv = pl.LazyFrame({"_lvl": list(levels), "_cpk": [x.cells_per_kg for x in levels.values()],
                       "_tol": [x.tolerance_pct for x in levels.values()]})
    if dm is not None:
        # eager, as before: of a subject's two dose levels, a lazy plan may pick the other one
        levels_of = dm.select("subjid", pl.col("doselvl").alias("_dl")).unique("subjid", keep="first", maintain_order=True)
        rows = ex.lazy().join(levels_of.lazy(), on="subjid", how="left")
    else:
        rows = ex.lazy().with_columns(pl.lit(None, pl.Utf8).alias("_dl"))
    d = rows.with_columns(pl.coalesce(pl.col("exdoselv").cast(pl.Utf8), pl.col("_dl").cast(pl.Utf8)).alias("_lvl")).join(lv, on="_lvl")
    want = pl.when(pl.col("exdosu") == "cells").then(pl.col("_cpk") * pl.col("exwt")) \
        .when(pl.col("exdosu") == "cells/kg").then(pl.col("_cpk"))
    d = d.with_columns(want.alias("_want")).filter(pl.col("_want").is_not_null() & pl.col("exdose").is_not_null())
    bad = d.filter((pl.col("exdose") - pl.col("_want")).abs() > pl.col("_want") * pl.col("_tol") / 100) \
        .collect(engine=F.ENGINE)
    # the expected dose to three significant digits as Python writes it ("3.5e+09"), worked out here for the few
    # doses found: a Python function inside the query would need the interpreter's lock on polars' threads while
    # the check on the other thread may hold it
    shown = {w: f"{w:.3g}" for w in bad["_want"].unique().to_list()}
    return run_parts([("ex", raw(
        bad.lazy(), "EXDOSE", pl.col("exdose"),
        pl.format("{} {} ({} +/- {}%)", pl.col("_want").replace_strict(shown, return_dtype=pl.Utf8),
                  pl.col("exdosu"), pl.col("_lvl"), pl.col("_tol")),
        pl.format("infusion {} dose {} {} is outside the {} dose", pl.col("exnum"), pl.col("exdose"),
                  pl.col("exdosu"), pl.col("_lvl"))))])


@check("SCHED-EX-NO-LD", "Infusion without completed lymphodepletion", "deviation", None, ("ex", "ld"),
       "The first KN5601-K infusion is not preceded by every planned lymphodepletion administration (each "
       "LymphodepletionDrug on as many dates before day 0 as it has planned days).",
       reference=f"{REG} intervention (Flu/Cy lymphodepletion, then KN5601-K)", fields=("EXSTDAT",))
def ex_without_ld(ctx: Context) -> Findings:
    ex = ctx.indexed("ex")
    if ex is None:
        return {}
    n = protocol(ctx.model).param("day0_infusion_number")
    drugs = protocol(ctx.model).lymphodepletion()
    first = ex.lazy().filter((pl.col("exnum") == n) & pl.col("exstdat").is_not_null())
    need = pl.LazyFrame({"ldtrt": list(drugs), "_need": [len(x.days) for x in drugs.values()]})
    pairs = first.select("_idx", "subjid", "exstdat").join(need, how="cross")
    ld = ctx.indexed("ld")
    if ld is not None:
        got = pairs.join(ld.lazy().select("subjid", pl.col("ldtrt").cast(pl.Utf8), "lddat"), on=["subjid", "ldtrt"], how="left") \
            .filter(pl.col("lddat") < pl.col("exstdat")).group_by("_idx", "ldtrt").agg(pl.col("lddat").n_unique().alias("_got"))
        pairs = pairs.join(got, on=["_idx", "ldtrt"], how="left")
    else:
        pairs = pairs.with_columns(pl.lit(None, pl.UInt32).alias("_got"))
    short = pairs.with_columns(pl.col("_got").fill_null(0)).filter(pl.col("_got") < pl.col("_need"))
    bad = short.group_by("_idx", "exstdat").agg(
        pl.format("{} {}/{}", pl.col("ldtrt"), pl.col("_got"), pl.col("_need")).sort().str.join(", ").alias("_what")) \
        .sort("_idx")
    return run_parts([("ex", raw(bad, "EXSTDAT", pl.col("exstdat"), pl.lit("all planned lymphodepletion days before"),
                                 pl.format("first infusion without completed lymphodepletion (given/planned: {})",
                                           pl.col("_what"))))])


# Study procedures whose dates must not precede the first informed consent.
PROCEDURES = {"sv": ("svstdat", "SVSTDAT"), "vs": ("vsdat", "VSDAT"), "lb": ("lbdat", "LBDAT"),
              "echo": ("echodat", "ECHODAT"), "ld": ("lddat", "LDDAT"), "ex": ("exstdat", "EXSTDAT")}


@check("IC-PROCEDURE-BEFORE-CONSENT", "Study procedure before informed consent", "deviation", None,
       ("ic", *PROCEDURES), "A visit, vital signs, lab, echocardiography, lymphodepletion or infusion date before the "
       "first informed consent date (ICDAT); reported once per subject and form, on the earliest record.",
       reference=f"{REG} general inclusion 1; ICH E6(R3)", fields=tuple(f for _, f in PROCEDURES.values()))
def before_consent(ctx: Context) -> Findings:
    ic = ctx.indexed("ic")
    if ic is None:
        return {}
    first = ic.lazy().filter(pl.col("icdat").is_not_null()).group_by("subjid").agg(pl.col("icdat").min().alias("_ic"))
    parts = []
    for domain, (col, field) in PROCEDURES.items():
        d = ctx.indexed(domain)
        if d is None:
            continue
        # the three columns the finding reads: the join would otherwise copy every column of each form
        early = d.lazy().select("_idx", "subjid", col).filter(pl.col(col).is_not_null()).join(first, on="subjid") \
            .filter(pl.col(col) < pl.col("_ic"))
        bad = early.sort(col, "_idx").group_by("subjid", maintain_order=True) \
            .agg(pl.all().first(), pl.len().alias("_n")).sort("_idx")
        parts.append((domain, raw(bad, field, pl.col(col), pl.format("on or after {}", pl.col("_ic")),
                                  pl.format("{} {} record(s) dated before informed consent {}, earliest {}",
                                            pl.col("_n"), pl.lit(domain), pl.col("_ic"), pl.col(col)))))
    return run_parts(parts)
