"""Safety grading: CRS and ICANS grades against their ASTCT 2019 criteria, AE dates, deaths and maximum grades.

Grading rules come from schema/clinical.yaml (CrsGrading, IcansGrading, AeGrading) and from annotations on
the OxygenSupport, Consciousness and AEOutcome codes. An item left empty is not guessed: it widens the range of
grades accepted, so a finding means no reading of the record supports the recorded grade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.model import ModelLacks
from ecrf.params import class_parameter, enum_annotations
from ecrf.registry import Findings, check
from ecrf.validators.common import type_pattern

if TYPE_CHECKING:
    from ecrf.engine import Context

ASTCT = "Lee BBMT 2019;25:625 (ASTCT consensus)"


def _param(ctx, cls):
    return lambda k: class_parameter(ctx.model, cls, k)


def _grade_map(ctx, enum, key) -> dict[str, int]:
    return {code: a[key] for code, a in enum_annotations(ctx.model, enum).items() if key in a}


def _dead(ctx) -> list[str]:
    dd = ctx.table("dd")
    return [] if dd is None else dd.df["subjid"].drop_nulls().unique().to_list()


def _band(lo: pl.Expr, hi: pl.Expr) -> pl.Expr:
    return pl.when(lo == hi).then(lo.cast(pl.Utf8)).otherwise(pl.concat_str([lo.cast(pl.Utf8), pl.lit("-"), hi.cast(pl.Utf8)]))


def _grade_findings(d: pl.DataFrame, grade: str, field: str, death: int, dead: list[str], what: str,
                    detail: pl.Expr) -> pl.DataFrame | None:
    """Rows whose recorded grade is outside [_lo, _hi], or is the death grade without a death record."""
    g = pl.col(grade)
    is_death = g == death
    bad = d.filter(g.is_not_null() & pl.when(is_death).then(~pl.col("subjid").is_in(dead))
                   .otherwise((g < pl.col("_lo")) | (g > pl.col("_hi"))))
    if bad.is_empty():
        return None
    expected = pl.when(is_death).then(pl.lit(f"a death record (dd) for grade {death}")) \
        .otherwise(pl.concat_str([pl.lit("grade "), _band(pl.col("_lo"), pl.col("_hi"))]))
    message = pl.when(is_death).then(pl.lit(f"{what} grade {death} (death) but the subject has no death record")) \
        .otherwise(pl.concat_str([pl.lit(f"{what} grade "), g.cast(pl.Utf8), pl.lit(" contradicts its criteria ("),
                                  detail, pl.lit(") which give grade "), _band(pl.col("_lo"), pl.col("_hi"))]))
    out = bad.select(pl.col("_idx").cast(pl.Int64), g.cast(pl.Utf8).alias("v"), expected.alias("e"), message.alias("m"))
    return F.raw(_idx=out["_idx"].to_list(), field=field, value=out["v"].to_list(), expected=out["e"].to_list(),
                 message=out["m"].to_list())


def _txt(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Utf8).fill_null("?")


@check("SAFE-CRS-GRADE", "CRS grade contradicts its criteria", "consistency", "error", ("crs", "dd"),
       "ASTCT 2019: the recorded CRS grade must equal the worse of the hypotension grade (hypotension without "
       "vasopressors {CrsGrading.hypotension_no_vasopressor_grade}, one vasopressor with or without vasopressin "
       "{CrsGrading.hypotension_one_vasopressor_grade}, several vasopressors "
       "{CrsGrading.hypotension_multiple_vasopressors_grade}) and the hypoxia grade of the oxygen support "
       "(OxygenSupport crs_hypoxia_grade; for a nasal cannula the recorded flow CRSFLOW decides: up to "
       "{CrsGrading.low_flow_max_l_min} L/min grade {CrsGrading.low_flow_grade}, above it grade "
       "{CrsGrading.high_flow_grade}); fever alone is grade {CrsGrading.fever_only_grade}. Grade "
       "{CrsGrading.death_grade} (death) needs a death record.",
       reference=ASTCT, fields=("CRSGR", "CRSFEVER", "CRSHYPO", "CRSVASO", "CRSVSPRS", "CRSOXY", "CRSFLOW"))
def crs_grade(ctx: Context) -> Findings:
    t = ctx.table("crs")
    if t is None or t.n_rows == 0:
        return {}
    p = _param(ctx, "CrsGrading")
    oxy = _grade_map(ctx, "OxygenSupport", "crs_hypoxia_grade")
    top = p("hypotension_multiple_vasopressors_grade")
    one, none_ = p("hypotension_one_vasopressor_grade"), p("hypotension_no_vasopressor_grade")
    single, multi = p("one_vasopressor_min"), p("multiple_vasopressors_min")
    v, vp, hy, fever = pl.col("crsvaso"), pl.col("crsvsprs"), pl.col("crshypo"), pl.col("crsfever")
    # Hypotension: vasopressin alone counts as one vasopressor; empty items widen the range.
    hyp_lo = (pl.when(v >= multi).then(top).when((v >= single) | (vp == "Y")).then(one)
              .when(hy == "Y").then(none_).otherwise(0))
    hyp_hi = (pl.when(v >= multi).then(top).when(v >= single).then(one).when(v.is_null()).then(top)
              .when((vp == "Y") | vp.is_null()).then(one).when(hy == "N").then(0).otherwise(none_))
    cannulas = [c for c, a in enum_annotations(ctx.model, "OxygenSupport").items() if a.get("cannula")]
    flow = pl.col("crsflow").cast(pl.Float64)
    # A nasal cannula is low- or high-flow by its flow, whichever box was ticked (ASTCT 2019).
    ox = (pl.when(pl.col("crsoxy").is_in(cannulas) & flow.is_not_null())
          .then(pl.when(flow > p("low_flow_max_l_min")).then(p("high_flow_grade")).otherwise(p("low_flow_grade")))
          .otherwise(pl.col("crsoxy").replace_strict(oxy, default=None, return_dtype=pl.Int64)))
    ox_lo, ox_hi = ox.fill_null(0), ox.fill_null(max(oxy.values()))
    fev_lo = pl.when(fever == "Y").then(p("fever_only_grade")).otherwise(0)
    fev_hi = pl.when(fever == "N").then(0).otherwise(p("fever_only_grade"))
    d = t.typed.with_row_index("_idx").with_columns(
        pl.max_horizontal(fev_lo, hyp_lo, ox_lo).alias("_lo"), pl.max_horizontal(fev_hi, hyp_hi, ox_hi).alias("_hi"))
    detail = pl.concat_str([pl.lit("fever "), _txt("crsfever"), pl.lit(", hypotension "), _txt("crshypo"),
                            pl.lit(", vasopressors "), _txt("crsvaso"), pl.lit(", vasopressin "), _txt("crsvsprs"),
                            pl.lit(", oxygen "), _txt("crsoxy"), pl.lit(" at "), _txt("crsflow"), pl.lit(" L/min")])
    f = _grade_findings(d, "crsgr", "CRSGR", p("death_grade"), _dead(ctx), "CRS", detail)
    return {} if f is None else {"crs": f}


@check("SAFE-ICANS-GRADE", "ICANS grade contradicts its criteria", "consistency", "error", ("icans", "dd"),
       "ASTCT 2019: the recorded ICANS grade must equal the worst of its components: ICE from "
       "{IcansGrading.ice_grade1_min} to below {IcansGrading.ice_normal_min} grade 1, from "
       "{IcansGrading.ice_grade2_min} grade 2, from {IcansGrading.ice_grade3_min} grade 3 (or, with the CAPD tool, "
       "CAPD from {IcansGrading.capd_low_min} grade {IcansGrading.capd_low_grade_min} or "
       "{IcansGrading.capd_low_grade_max}, {IcansGrading.capd_positive_min} or more grade "
       "{IcansGrading.capd_positive_grade}); depressed consciousness (Consciousness icans_grade); seizure "
       "({IcansGrading.seizure_grade_min} or {IcansGrading.seizure_grade_max}); cerebral oedema "
       "({IcansGrading.oedema_grade_min} or {IcansGrading.oedema_grade_max}); deep focal motor weakness "
       "({IcansGrading.motor_weakness_grade}). Grade {IcansGrading.death_grade} (death) needs a death record.",
       reference=ASTCT,
       fields=("ICANSGR", "ICANSTOOL", "ICESCORE", "CAPDSCORE", "ICANSCON", "ICANSSEIZ", "ICANSOED", "ICANSMOT"))
def icans_grade(ctx: Context) -> Findings:
    t = ctx.table("icans")
    if t is None or t.n_rows == 0:
        return {}
    p = _param(ctx, "IcansGrading")
    con = _grade_map(ctx, "Consciousness", "icans_grade")
    top = max(con.values())  # an unperformable assessment can mean the highest non-fatal grade
    ice, capd, tool = pl.col("icescore"), pl.col("capdscore"), pl.col("icanstool")
    ice_g = (pl.when(ice >= p("ice_normal_min")).then(0).when(ice >= p("ice_grade1_min")).then(1)
             .when(ice >= p("ice_grade2_min")).then(2).when(ice >= p("ice_grade3_min")).then(3))
    enc_lo = (pl.when(tool == "ICE").then(ice_g)
              .when(tool == "CAPD").then(pl.when(capd >= p("capd_positive_min")).then(p("capd_positive_grade"))
                                         .when(capd >= p("capd_low_min")).then(p("capd_low_grade_min"))
                                         .when(capd.is_not_null()).then(0)))
    enc_hi = (pl.when(tool == "ICE").then(ice_g)
              .when(tool == "CAPD").then(pl.when(capd >= p("capd_positive_min")).then(p("capd_positive_grade"))
                                         .when(capd >= p("capd_low_min")).then(p("capd_low_grade_max"))
                                         .when(capd.is_not_null()).then(0)))
    cg = pl.col("icanscon").replace_strict(con, default=None, return_dtype=pl.Int64)

    def yes(col, lo, hi):  # Y -> [lo, hi], N -> 0, empty -> [0, hi]
        c = pl.col(col)
        return pl.when(c == "Y").then(lo).otherwise(0), pl.when(c == "N").then(0).otherwise(hi)

    seiz = yes("icansseiz", p("seizure_grade_min"), p("seizure_grade_max"))
    oed = yes("icansoed", p("oedema_grade_min"), p("oedema_grade_max"))
    mot = yes("icansmot", p("motor_weakness_grade"), p("motor_weakness_grade"))
    d = t.typed.with_row_index("_idx").with_columns(
        pl.max_horizontal(enc_lo.fill_null(0), cg.fill_null(0), seiz[0], oed[0], mot[0]).alias("_lo"),
        pl.max_horizontal(enc_hi.fill_null(top), cg.fill_null(top), seiz[1], oed[1], mot[1]).alias("_hi"))
    detail = pl.concat_str([pl.lit("tool "), _txt("icanstool"), pl.lit(", ICE "), _txt("icescore"),
                            pl.lit(", CAPD "), _txt("capdscore"), pl.lit(", consciousness "), _txt("icanscon"),
                            pl.lit(", seizure "), _txt("icansseiz"), pl.lit(", oedema "), _txt("icansoed"),
                            pl.lit(", motor weakness "), _txt("icansmot")])
    f = _grade_findings(d, "icansgr", "ICANSGR", p("death_grade"), _dead(ctx), "ICANS", detail)
    return {} if f is None else {"icans": f}


@check("SAFE-AE-DATES", "AE ends before it starts", "consistency", "error", ("ae",),
       "The adverse event's end date (role end_date; KN5601-K AEENDAT) is before its start date (role start_date). "
       "Partial dates are compared at their common precision (2026-03 and 2026-03-05 cannot be ordered and give "
       "no finding).",
       reference="CDASHIG: collect only the precision known", roles=("ae:start_date", "ae:end_date"))
def ae_dates(ctx: Context) -> Findings:
    t = ctx.table("ae")
    if t is None or t.n_rows == 0:
        return {}
    start, end = t.form.role("start_date"), t.form.role("end_date")
    pattern = t.form.item(start).pattern or type_pattern(ctx.model, "partial_date")
    st, en = pl.col(start).cast(pl.Utf8), pl.col(end).cast(pl.Utf8)
    n = pl.min_horizontal(st.str.len_chars(), en.str.len_chars())
    d = t.typed.with_row_index("_idx").filter(st.str.contains(pattern) & en.str.contains(pattern))
    bad = d.filter(en.str.slice(0, n) < st.str.slice(0, n))
    if bad.is_empty():
        return {}
    msg = pl.concat_str([pl.lit("AE end date "), en, pl.lit(" is before its start date "), st])
    out = bad.select(pl.col("_idx").cast(pl.Int64), en.alias("v"),
                     pl.concat_str([pl.lit("on or after "), st]).alias("e"), msg.alias("m"))
    return {"ae": F.raw(_idx=out["_idx"].to_list(), field=t.form.item(end).title, value=out["v"].to_list(),
                        expected=out["e"].to_list(), message=out["m"].to_list())}


def fatal_outcome(model, form) -> tuple[str, list[str]] | None:
    """(item, codes): the form's item whose codelist marks the outcomes that imply death (annotation
    implies_death; KN5601-K AEOUT FATAL), or None."""
    for item in form.items:
        if item.codelist:
            codes = [c for c, a in enum_annotations(model, item.codelist).items() if a.get("implies_death") is True]
            if codes:
                return item.name, codes
    return None


@check("SAFE-AE-DEATH", "Fatal AE and death record disagree", "consistency", "error", ("ae",),
       "An adverse event of the death grade (the item with role toxicity_grade, KN5601-K AETOXGR, at the grade "
       "AeGrading death_grade names) or with an outcome that implies death (its codelist's implies_death codes, KN5601-K AEOUT "
       "FATAL) needs a death record (a death date: the item with role death_date, KN5601-K dd DTHDAT), and a death "
       "date needs such an adverse event. A study without a grade item is judged by the outcome alone.",
       reference="CTCAE v5.0 (grade 5 = death); ICH E2A (results in death)", roles=("*:death_date",))
def ae_death(ctx: Context) -> Findings:
    m = ctx.model
    form = m.forms["ae"]
    grade = form.find_role("toxicity_grade")
    outcome = fatal_outcome(m, form)
    if grade is None and outcome is None:
        raise ModelLacks("the AE form has neither a toxicity grade (role toxicity_grade) nor an outcome codelist "
                         "marking death (annotation implies_death)")
    dd_domain, dd_item = m.item_with_role("death_date")
    ae, dd = ctx.table("ae"), ctx.table(dd_domain)
    if ae is None:
        return {}
    # What marks an event fatal, in the order a finding names it: (item title, what it is, the fatal value or
    # values, whether a row shows it, the value a finding shows)
    signs = []
    if grade is not None:
        death = class_parameter(m, "AeGrading", "death_grade")
        signs.append((form.item(grade).title, "grade", str(death), pl.col(grade) == death, pl.col(grade).cast(pl.Utf8)))
    if outcome is not None:
        item, codes = outcome
        signs.append((form.item(item).title, "outcome", " or ".join(codes), pl.col(item).is_in(codes), pl.col(item)))
    what = " or ".join(f"{kind} {fatal_value}" for _, kind, fatal_value, _, _ in signs)
    which = " or ".join(f"{title} {fatal_value}" for title, _, fatal_value, _, _ in signs)
    subject = form.find_role("subject") or "subjid"
    a = ae.typed.with_row_index("_idx").with_columns(
        sign[3].fill_null(False).alias(f"_sign{k}") for k, sign in enumerate(signs))
    fatal = a.filter(pl.any_horizontal(f"_sign{k}" for k in range(len(signs))))
    dd_subject = m.forms[dd_domain].find_role("subject") or "subjid"
    deaths = None if dd is None else dd.df.with_row_index("_idx").filter(pl.col(dd_item).is_not_null())
    dead = [] if deaths is None else deaths[dd_subject].drop_nulls().unique().to_list()
    out = {}
    bad = fatal.filter(~pl.col(subject).is_in(dead))
    if not bad.is_empty():
        # the first sign the event shows is the field reported
        field = pl.coalesce([pl.when(pl.col(f"_sign{k}")).then(pl.lit(sign[0])) for k, sign in enumerate(signs)])
        value = pl.coalesce([pl.when(pl.col(f"_sign{k}")).then(sign[4]) for k, sign in enumerate(signs)])
        r = bad.select(pl.col("_idx").cast(pl.Int64), field.alias("f"), value.alias("v"))
        out["ae"] = F.raw(_idx=r["_idx"].to_list(), field=r["f"].to_list(), value=r["v"].to_list(),
                          expected=f"a death record ({dd_domain}) for the subject",
                          message=f"fatal adverse event ({what}) but the subject has no death record")
    if deaths is not None and not deaths.is_empty():
        orphan = deaths.filter(~pl.col(dd_subject).is_in(fatal[subject].unique().to_list()))
        if not orphan.is_empty():
            out[dd_domain] = F.raw(_idx=orphan["_idx"].cast(pl.Int64).to_list(),
                                   field=m.forms[dd_domain].item(dd_item).title,
                                   value=orphan[dd_item].to_list(), expected=f"an adverse event with {which}",
                                   message=f"death recorded but the subject has no adverse event of {what}")
    return out


@check("SAFE-AE-MAXGRADE", "AE grade below its daily CRS/ICANS grades", "consistency", "warning", ("ae", "crs", "icans"),
       "AETOXGR of a CRS or ICANS adverse event is the highest grade of the event, so it cannot be lower than any "
       "daily grade recorded for it (crs or icans records with the same SUBJID and AESEQ).",
       reference=ASTCT, fields=("AETOXGR",))
def ae_maxgrade(ctx: Context) -> Findings:
    ae = ctx.table("ae")
    if ae is None or ae.n_rows == 0:
        return {}
    a = ae.typed.with_row_index("_idx")
    found = []
    for domain, grade, title in (("crs", "crsgr", "CRSGR"), ("icans", "icansgr", "ICANSGR")):
        t = ctx.table(domain)
        if t is None or t.n_rows == 0:
            continue
        daily = t.typed.group_by("subjid", "aeseq").agg(pl.col(grade).max().alias("_max")).filter(pl.col("_max").is_not_null())
        bad = a.join(daily, on=["subjid", "aeseq"]).filter(pl.col("aetoxgr") < pl.col("_max"))
        found.append(bad.select(pl.col("_idx").cast(pl.Int64), pl.col("aetoxgr").cast(pl.Utf8).alias("v"),
                                pl.concat_str([pl.lit("at least "), pl.col("_max").cast(pl.Utf8)]).alias("e"),
                                pl.concat_str([pl.lit("AETOXGR "), pl.col("aetoxgr").cast(pl.Utf8),
                                               pl.lit(f" is below the highest daily {title} "),
                                               pl.col("_max").cast(pl.Utf8), pl.lit(f" in {domain}.csv")]).alias("m")))
    r = pl.concat(found) if found else None
    if r is None or r.is_empty():
        return {}
    return {"ae": F.raw(_idx=r["_idx"].to_list(), field="AETOXGR", value=r["v"].to_list(), expected=r["e"].to_list(),
                        message=r["m"].to_list())}
