"""Eligibility criteria checked from screening labs, the diagnosis and the medication form: bilirubin (with the
Gilbert syndrome exception), eGFR, renal biopsy, autoantibodies, proteinuria, infection serology and another
trial's intervention. Thresholds and the criteria
they belong to come from the schema (ProtocolParameters, EligibilityCriterion, InfectionExclusion).

Each check declares its violation (`violation=`), so ELIG-IE-CONTRADICTS holds it against the eligibility form,
except proteinuria: IgA nephropathy inclusion 3 has alternatives the eCRF cannot see, so a low proteinuria does not
contradict a criterion met.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.clinical.labresult import comparator, result_number
from ecrf.numbers import number
from ecrf.protocol import protocol
from ecrf.engine import shared
from ecrf.table import keyed_like
from ecrf.registry import Findings, Violation, check
from ecrf.validators.deviation_assessments import negative, positive
from ecrf.validators.common import REG, at_screening, report, screening_dates, subject_cohorts, violation

if TYPE_CHECKING:
    from ecrf.engine import Context


def _screening_test(ctx, test):
    d = at_screening(ctx, "lb")
    return None if d is None else d.filter(pl.col("lbtestcd") == test).with_columns(number("lborres").alias("_v"))


@shared
def v_bilirubin(ctx: Context) -> Violation:
    p = protocol(ctx.model)
    d, dm = _screening_test(ctx, str(p.param("bilirubin_test"))), ctx.indexed("dm")
    if d is None:
        return "lb", None
    k, kg = p.param("bilirubin_uln_max"), p.param("bilirubin_gilbert_uln_max")
    flag = str(p.param("gilbert_item"))
    gilbert = pl.DataFrame(schema={"subjid": pl.Utf8, "_g": pl.Utf8}) if dm is None else \
        dm.select("subjid", pl.col(flag).alias("_g")).unique("subjid", keep="first", maintain_order=True)
    d = d.join(keyed_like(gilbert, d, "subjid"), on="subjid", how="left").with_columns(
        pl.when(pl.col("_g") == "Y").then(pl.lit(kg)).otherwise(pl.lit(k)).alias("_k"))
    bad = d.filter(pl.col("_v").is_not_null() & pl.col("lbornrhi").is_not_null()
                   & (pl.col("_v") > pl.col("_k") * pl.col("lbornrhi")))
    why = pl.when(pl.col("_g") == "Y").then(pl.lit("with Gilbert syndrome")).otherwise(pl.lit("no Gilbert syndrome"))
    return violation("lb", bad, pl.col("lborres"), pl.format("<= {} x ULN ({})", pl.col("_k"), pl.col("_k") * pl.col("lbornrhi")),
                pl.format("total bilirubin {} is above {} x ULN {} at screening ({})", pl.col("lborres"),
                          pl.col("_k"), pl.col("lbornrhi"), why))


@check("ELIG-BILIRUBIN", "Total bilirubin above the inclusion limit", "deviation", None, ("lb", "dm"),
       "Total bilirubin at screening (ProtocolParameters bilirubin_test) is above bilirubin_uln_max "
       "({ProtocolParameters.bilirubin_uln_max}) x the result's ULN, or bilirubin_gilbert_uln_max "
       "({ProtocolParameters.bilirubin_gilbert_uln_max}) x ULN for a subject with Gilbert syndrome (dm GILBERT Y).",
       reference=f"{REG} general inclusion 3", fields=("LBORRES", "LBORNRHI", "GILBERT"),
       violation=v_bilirubin)
def bilirubin(ctx: Context) -> Findings:
    return report(v_bilirubin(ctx), "LBORRES")


def _waived(ctx, criterion):
    ie = ctx.indexed("ie")
    if ie is None:
        return []
    return ie.filter((pl.col("ietestcd") == criterion) & (pl.col("iewaiv") == "Y"))["subjid"].unique().to_list()


@shared
def v_egfr(ctx: Context) -> Violation:
    p = protocol(ctx.model)
    d = _screening_test(ctx, str(p.param("egfr_test")))
    if d is None:
        return "lb", None
    low = p.param("egfr_min")
    criteria = [c for c, a in p.criterion_annotations().items() if "ELIG-EGFR" in str(a.get("checked_by", ""))]
    waived = [s for c in criteria for s in _waived(ctx, c)]
    # A censored result "<15" is below any minimum at or above its bound ("<=15" any minimum above it).
    cmp, bound = comparator("lborres"), result_number("lborres")
    censored = ((cmp == "<") & (bound <= low)) | ((cmp == "<=") & (bound < low))
    below = (pl.col("_v").is_not_null() & (pl.col("_v") < low)) | censored.fill_null(False)
    bad = d.filter(below & ~pl.col("subjid").is_in(waived))
    return violation("lb", bad, pl.col("lborres"), pl.lit(f">= {low} (or an investigator waiver)"),
                pl.format("eGFR {} at screening is below {} without a recorded investigator waiver",
                          pl.col("lborres"), pl.lit(low)))


@check("ELIG-EGFR", "eGFR below the inclusion minimum without a waiver", "deviation", None, ("lb", "ie"),
       "The eGFR reported at screening (ProtocolParameters egfr_test) is below egfr_min "
       "({ProtocolParameters.egfr_min} mL/min/1.73 m2) and the criterion that allows an investigator waiver (general "
       "inclusion 4) has none recorded (IEWAIV Y).",
       reference=f"{REG} general inclusion 4", fields=("LBORRES",),
       violation=v_egfr)
def egfr(ctx: Context) -> Findings:
    return report(v_egfr(ctx), "LBORRES")


def _diagnosis_rule(ctx, annotation):
    """(dx records of subjects in the cohorts whose criteria carry `annotation`, {cohort: annotation value})."""
    dx, c = ctx.indexed("dx"), subject_cohorts(ctx)
    rule = {a["cohort"]: a[annotation] for a in protocol(ctx.model).criterion_annotations().values()
            if annotation in a and a.get("cohort")}
    if dx is None or c is None or not rule:
        return None, rule
    dx = dx.join(c, on="subjid").filter(pl.col("cohort").is_in(list(rule))
                                        & (pl.col("dxterm").is_null() | (pl.col("dxterm") == pl.col("cohort"))))
    return dx, rule


def _first_failing(dx, ok: pl.Expr, recorded: pl.Expr):
    """One record per subject none of whose diagnosis records satisfies `ok`: the first recorded one."""
    meets = dx.filter(ok)["subjid"].unique().to_list()
    return dx.filter(recorded & ~pl.col("subjid").is_in(meets)).sort("_idx").unique("subjid", keep="first").sort("_idx")


@shared
def v_biopsy(ctx: Context) -> Violation:
    dx, rule = _diagnosis_rule(ctx, "biopsy_findings")
    if dx is None:
        return "dx", None
    allowed = pl.DataFrame({"cohort": list(rule), "_ok": [[x.strip() for x in str(v).split(",")] for v in rule.values()]})
    d = dx.join(keyed_like(allowed, dx, "cohort"), on="cohort")
    bad = _first_failing(d, pl.col("_ok").list.contains(pl.col("dxbiopsy").cast(pl.Utf8)).fill_null(False),
                         pl.col("dxbiopsy").is_not_null())
    return violation("dx", bad, pl.col("dxbiopsy"), pl.col("_ok").list.join(" or "),
                pl.format("renal biopsy {} does not show what the {} cohort requires ({})", pl.col("dxbiopsy"),
                          pl.col("cohort"), pl.col("_ok").list.join(" or ")))


@check("ELIG-BIOPSY", "Renal biopsy finding not the one the cohort requires", "deviation", None, ("dx", "dm"),
       "For a cohort whose criterion names biopsy findings (EligibilityCriterion biopsy_findings: MDR-SRNS MCD or "
       "FSGS, IgA nephropathy IGAN), no diagnosis record of the cohort's disease shows one (DXBIOPSY another finding "
       "or NOT_DONE); reported once per subject.",
       reference=f"{REG} MDR-SRNS inclusion 4, IgA nephropathy inclusion 2", fields=("DXBIOPSY",),
       violation=v_biopsy)
def biopsy(ctx: Context) -> Findings:
    return report(v_biopsy(ctx), "DXBIOPSY")


@shared
def v_antibody(ctx: Context) -> Violation:
    dx, rule = _diagnosis_rule(ctx, "antibody_required")
    if dx is None:
        return "dx", None
    need = [c for c, v in rule.items() if str(v).lower() == "true"]
    bad = _first_failing(dx.filter(pl.col("cohort").is_in(need)), pl.col("dxabpos") == "Y",
                         pl.col("dxabpos").is_not_null())
    return violation("dx", bad, pl.col("dxabpos"), pl.lit("Y"),
                pl.format("disease-related autoantibodies recorded as {} in the {} cohort, which requires them positive",
                          pl.col("dxabpos"), pl.col("cohort")))


@check("ELIG-ANTIBODY", "Required autoantibodies not positive", "deviation", None, ("dx", "dm"),
       "For a cohort whose criterion requires positive antibodies (EligibilityCriterion antibody_required: systemic "
       "sclerosis), no diagnosis record of the cohort's disease has DXABPOS Y (N or NA recorded); once per subject.",
       reference=f"{REG} systemic sclerosis inclusion 3", fields=("DXABPOS",),
       violation=v_antibody)
def antibody(ctx: Context) -> Findings:
    return report(v_antibody(ctx), "DXABPOS")


@shared
def v_proteinuria(ctx: Context) -> Violation:
    d, c = at_screening(ctx, "prot"), subject_cohorts(ctx)
    if d is None or c is None:
        return "prot", None
    p = protocol(ctx.model)
    cohorts = [a["cohort"] for a in p.criterion_annotations().values()
               if "ELIG-PROTEINURIA" in str(a.get("checked_by", "")) and a.get("cohort")]
    limits = {"mg/mg": p.param("upcr_min"), "mg/24h": p.param("protein_24h_min")}
    lim = pl.DataFrame({"protu": list(limits), "_min": [float(v) for v in limits.values()]})
    d = d.join(c, on="subjid").filter(pl.col("cohort").is_in(cohorts)).join(keyed_like(lim, d, "protu"), on="protu") \
        .filter(pl.col("protval").is_not_null())
    meets = d.filter(pl.col("protval") >= pl.col("_min"))["subjid"].unique().to_list()
    # One finding per subject, on the first measurement: every measurement is below its threshold.
    bad = d.filter(~pl.col("subjid").is_in(meets)).sort("_idx").unique("subjid", keep="first").sort("_idx")
    return violation("prot", bad, pl.col("protval"), pl.format(">= {} {}", pl.col("_min"), pl.col("protu")),
                pl.format("screening proteinuria below the IgA nephropathy inclusion 3 thresholds (UPCR >= {} mg/mg "
                          "or >= {} mg/24h); eligible only by another branch of the criterion",
                          pl.lit(limits["mg/mg"]), pl.lit(limits["mg/24h"])))


@check("ELIG-PROTEINURIA", "Screening proteinuria below the IgA nephropathy thresholds", "deviation", None,
       ("prot", "dm"),
       "An IgA nephropathy subject's every screening proteinuria measurement is below its threshold, in the unit the "
       "threshold is written in: UPCR (PROTU mg/mg) below upcr_min ({ProtocolParameters.upcr_min}), 24-hour protein "
       "(mg/24h) below protein_24h_min ({ProtocolParameters.protein_24h_min}). Other units are not compared. The "
       "criterion's other branches (eGFR decline, "
       "intolerance) are not collected, so this asks for review.", reference=f"{REG} IgA nephropathy inclusion 3",
       fields=("PROTVAL", "PROTU"))
def proteinuria(ctx: Context) -> Findings:
    return report(v_proteinuria(ctx), "PROTVAL")


@shared
def v_serology(ctx: Context) -> Violation:
    d = at_screening(ctx, "lb")
    if d is None:
        return "lb", None
    infections = protocol(ctx.model).infections()
    # the serology tests' rows only, then their results read (not every screening lab result)
    tests = sorted({t for screen, confirm in infections.values() for t in (*screen, *confirm)})
    d = d.lazy().filter(pl.col("lbtestcd").is_in(tests)) \
        .with_columns(positive(ctx).fill_null(False).alias("_pos"), negative(ctx).fill_null(False).alias("_neg")) \
        .collect(engine=F.ENGINE)
    # the subjects whose confirmatory test is positive, and those whose is shown negative, for every infection at
    # once (three queries in all, not a handful per infection)
    confirming = [(infection, list(confirm)) for infection, (_, confirm) in infections.items() if confirm]
    subjects = pl.collect_all([d.lazy().filter(pl.col("lbtestcd").is_in(confirm) & shown).select(pl.col("subjid").unique())
                               for _, confirm in confirming for shown in (pl.col("_pos"), pl.col("_neg") & ~pl.col("_pos"))],
                              engine=F.ENGINE)
    confirmed = {infection: (subjects[2 * k]["subjid"].to_list(), subjects[2 * k + 1]["subjid"].to_list())
                 for k, (infection, _) in enumerate(confirming)}
    found = []
    for infection, (screen, confirm) in infections.items():
        hits = d.lazy().filter(pl.col("lbtestcd").is_in(list(screen)) & pl.col("_pos"))
        if confirm:
            pos, neg = confirmed[infection]
            # Excluded unless the confirmatory test is shown negative (a result without a range is not).
            hits = hits.filter(~pl.col("subjid").is_in(neg) | pl.col("subjid").is_in(pos)) \
                .with_columns(pl.when(pl.col("subjid").is_in(pos)).then(pl.lit(f"{'/'.join(confirm)} positive"))
                              .otherwise(pl.lit(f"{'/'.join(confirm)} not shown negative")).alias("_conf"))
        else:
            hits = hits.with_columns(pl.lit("").alias("_conf"))
        found.append(hits.with_columns(pl.lit(infection).alias("_inf")).select("_idx", "subjid", "lbtestcd", "lborres",
                                                                              "_inf", "_conf"))
    bad = pl.concat(found).unique("_idx", keep="first", maintain_order=True).sort("_idx")
    return violation("lb", bad, pl.col("lborres"), pl.lit("negative"),
                pl.format("{} {} at screening ({} exclusion) {}", pl.col("lbtestcd"), pl.col("lborres"),
                          pl.col("_inf"), pl.col("_conf")).str.strip_chars())


@check("ELIG-SEROLOGY", "Infection serology excludes the subject", "deviation", None, ("lb",),
       "A screening test of InfectionExclusion is positive (a result text in ProtocolParameters positive_results or a "
       "number above the ULN): HBsAg or HBcAb with HBV DNA positive, HCV antibody with HCV RNA positive, HIV antibody, "
       "syphilis, CMV DNA. A positive HBV or HCV screen whose PCR result is missing or not shown negative (a negative "
       "text, a number within its range, or a result censored below the quantification limit such as <20) is reported "
       "too: eligibility is not shown.",
       reference=f"{REG} exclusion 5", fields=("LBORRES",),
       violation=v_serology)
def serology(ctx: Context) -> Findings:
    return report(v_serology(ctx), "LBORRES")


@shared
def v_other_trial(ctx: Context) -> Violation:
    cm, scr = ctx.indexed("cm"), screening_dates(ctx)
    if cm is None or scr is None:
        return "cm", None
    months = int(protocol(ctx.model).param("other_trial_months"))
    day = "%Y-%m-%d"
    # Only full dates can be placed in the window; ongoing products run up to screening.
    d = cm.filter(pl.col("cminvp").cast(pl.Utf8) == "Y").join(scr, on="subjid").with_columns(
        pl.col("cmstdat").cast(pl.Utf8).str.to_date(day, strict=False).alias("_st"),
        pl.when(pl.col("cmongo").cast(pl.Utf8) == "Y").then(pl.col("_scr"))
        .otherwise(pl.col("cmendat").cast(pl.Utf8).str.to_date(day, strict=False)).alias("_en"),
        pl.col("_scr").dt.offset_by(f"-{months}mo").alias("_from"))
    bad = d.filter((pl.col("_st") <= pl.col("_scr")) & (pl.coalesce("_en", "_st") >= pl.col("_from")))
    return violation("cm", bad, pl.col("cmtrt"), pl.format("none from {} ({} months before screening)", pl.col("_from"),
                                                        pl.lit(months)),
                pl.format("investigational product {} of another trial ({} to {}) within {} months before the "
                          "screening visit {}", pl.col("cmtrt"), pl.col("cmstdat"),
                          pl.col("cmendat").cast(pl.Utf8).fill_null("ongoing"), pl.lit(months), pl.col("_scr")))


@check("ELIG-OTHER-TRIAL", "Another trial's intervention within the exclusion window", "deviation", None, ("cm", "sv"),
       "A medication recorded as another clinical trial's investigational product (CMINVP Y), started on or before "
       "the screening visit and taken within ProtocolParameters other_trial_months "
       "({ProtocolParameters.other_trial_months}) months before it (its end date, or the screening date when "
       "ongoing). After screening it is CM-PROHIBITED's finding.",
       reference=f"{REG} exclusion 14", fields=("CMTRT", "CMINVP"),
       violation=v_other_trial)
def other_trial(ctx: Context) -> Findings:
    return report(v_other_trial(ctx), "CMTRT")

