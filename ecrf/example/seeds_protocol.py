"""Clinical seeds for the schedule, assessment and eligibility checks (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from ecrf.example.coding import cm_coding
from ecrf.example.seeds_clinical import follow_renal_label
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import at_screening as _at_scr
from ecrf.example.seedkit import cohort_subjects as _cohort
from ecrf.example.seedkit import forms as _f
from ecrf.example.seeds_labs import regrade
from ecrf.params import enum_annotations


def _subject_visit(subject: str, visit: str) -> pl.Expr:
    return (pl.col("SUBJID") == subject) & (pl.col("VISIT") == visit)


def _drop_all(ex, form: str, where: pl.Expr) -> None:
    for i in sorted(ex.rows(form, where)["_i"].to_list(), reverse=True):
        ex.drop(form, i)


def _visit_missed(ex, subject, rng, visit="M9"):
    for form in ("sv", "vs", "lb"):
        _drop_all(ex, form, _subject_visit(subject, visit))
    return [("SCHED-VISIT-MISSING", "sv", "VISIT", visit)]


def _vitals_missed(ex, subject, rng, visit="M2"):
    _drop_all(ex, "vs", _subject_visit(subject, visit))
    return [("SCHED-ASSESSMENT-MISSING", "sv", "VISIT", visit)]


def _no_pregnancy_test(ex, subject, rng):
    _drop_all(ex, "lb", (pl.col("SUBJID") == subject) & (pl.col("LBTESTCD") == "HCG"))
    return [("SCHED-PREG-TEST", "dm", "CHBRPOT", "Y")]


def _live_vaccine_on_study(ex, subject, rng):
    when = (ex.day0(subject) + timedelta(days=60)).isoformat()
    cm = ex.rows("cm", pl.col("SUBJID") == subject)
    last = cm.row(cm.height - 1, named=True)
    name = "VARICELLA VACCINE (LIVE)"
    ex.insert_after("cm", last["_i"], {
        "STUDYID": last["STUDYID"], "SITEID": last["SITEID"], "SUBJID": subject,
        "CMSEQ": str(max(int(x) for x in cm["CMSEQ"]) + 1), "CMCAT": "VACCINE", "CMTRT": name,
        **cm_coding(name), "CMINDC": "PROPHYLAXIS", "CMDOSE": "1", "CMDOSU": "dose", "CMDOSFRQ": "ONCE",
        "CMROUTE": "SUBCUTANEOUS", "CMSTDAT": when, "CMENDAT": when, "CMONGO": "N", "CMLIVE": "Y", "CMINVP": "N"})
    return [("CM-PROHIBITED", "cm", "CMTRT", name)]


def _other_trial(ex, subject, rng):
    scr = ex.screening(subject)
    start, end = (scr - timedelta(days=70)).isoformat(), (scr - timedelta(days=40)).isoformat()
    cm = ex.rows("cm", pl.col("SUBJID") == subject)
    last = cm.row(cm.height - 1, named=True)
    name = "INVESTIGATIONAL JAK INHIBITOR (OTHER TRIAL)"
    ex.insert_after("cm", last["_i"], {
        "STUDYID": last["STUDYID"], "SITEID": last["SITEID"], "SUBJID": subject,
        "CMSEQ": str(max(int(x) for x in cm["CMSEQ"]) + 1), "CMCAT": "PRIOR", "CMTRT": name, **cm_coding(name),
        "CMINDC": ex.rows("dm", pl.col("SUBJID") == subject)["COHORT"][0], "CMDOSE": "4", "CMDOSU": "mg",
        "CMDOSFRQ": "QD", "CMROUTE": "ORAL", "CMSTDAT": start, "CMENDAT": end, "CMONGO": "N", "CMLIVE": "NA",
        "CMINVP": "Y"})
    return [("ELIG-OTHER-TRIAL", "cm", "CMTRT", name)] + ex.contradicted(subject, "ELIG-OTHER-TRIAL")


def _screening_lab(test: str):
    return lambda ex: ex.subjects("lb", _at_scr(ex) & (pl.col("LBTESTCD") == test))


def _bilirubin_high(ex, subject, rng):
    row = ex.pick("lb", subject, rng, _at_scr(ex) & (pl.col("LBTESTCD") == "BILI"))
    v = f"{ex.protocol.param('bilirubin_uln_max') * float(row['LBORNRHI']) + 2:.1f}"
    ex.set("lb", row["_i"], LBORRES=v, LBNRIND="HIGH")
    regrade(ex, subject, "BILI")
    return [("ELIG-BILIRUBIN", "lb", "LBORRES", v)] + ex.contradicted(subject, "ELIG-BILIRUBIN")


def _egfr_low(ex, subject, rng):
    """Screening creatinine raised so that the eGFR the site reports with it falls below the minimum. The CKiD U25
    eGFR is inversely proportional to creatinine, so both change by the same factor and stay consistent."""
    scr = _at_scr(ex) & (pl.col("SUBJID") == subject)
    egfr = ex.rows("lb", scr & (pl.col("LBTESTCD") == "EGFR")).row(0, named=True)
    creat = ex.rows("lb", scr & (pl.col("LBTESTCD") == "CREAT")).row(0, named=True)
    target = ex.protocol.param("egfr_min") - 5
    new_creat = round(float(creat["LBORRES"]) * float(egfr["LBORRES"]) / target)
    factor = new_creat / float(creat["LBORRES"])
    v = f"{float(egfr['LBORRES']) / factor:.1f}"
    ex.set("lb", creat["_i"], LBORRES=str(new_creat), LBNRIND="HIGH")
    ex.set("lb", egfr["_i"], LBORRES=v, LBNRIND="LOW")
    regrade(ex, subject, "CREAT")  # the raised baseline changes creatinine's CTCAE grades
    follow_renal_label(ex, subject, float(v))  # the site reduced fludarabine for that eGFR, as the label requires
    return [("ELIG-EGFR", "lb", "LBORRES", v)] + ex.contradicted(subject, "ELIG-EGFR")


def _induction_course(ex) -> pl.Expr:
    return (pl.col("CMCAT") == "PRIOR") & (pl.col("CMDECOD") == "PREDNISONE")


def _induction_only(ex) -> list[str]:
    """Subjects whose induction course is their only glucocorticoid at the cohort's mg/kg/day, so that leaving it
    off the form fails the criterion (the maintenance dose may meet a lower threshold, as in systemic sclerosis)."""
    rules = {c: float(a["gc_min_mg_kg_day"]) for c, a in enum_annotations(ex.model, "PriorTreatment").items()}
    dm = ex.rows("dm").select("SUBJID", "COHORT", pl.col("WEIGHT").cast(pl.Float64))
    gc = ex.rows("cm", pl.col("CMDECOD") == "PREDNISONE").join(dm, on="SUBJID").with_columns(
        (pl.col("CMDOSE").cast(pl.Float64) / pl.col("WEIGHT")).alias("_mgkg"),
        pl.col("COHORT").replace_strict(rules, default=None, return_dtype=pl.Float64).alias("_min"))
    induction = gc.filter(_induction_course(ex))["SUBJID"].unique().to_list()
    enough_without = gc.filter(~_induction_course(ex) & (pl.col("_mgkg") >= pl.col("_min")))["SUBJID"].to_list()
    return [x for x in induction if x not in enough_without]


def _no_induction(ex, subject, rng):
    """The glucocorticoid induction course left off the medication form; the criterion stays recorded as met."""
    _drop_all(ex, "cm", (pl.col("SUBJID") == subject) & _induction_course(ex))
    criteria = [str(a["criterion"]) for a in enum_annotations(ex.model, "PriorTreatment").values()]
    code = ex.rows("ie", (pl.col("SUBJID") == subject) & pl.col("IETESTCD").is_in(criteria))
    return [("ELIG-PRIOR-THERAPY", "ie", "IEORRES", code["IEORRES"][0])]


def _biopsy_not_done(ex, subject, rng):
    row = ex.pick("dx", subject, rng)
    ex.set("dx", row["_i"], DXBIOPSY="NOT_DONE", DXBIODAT="")
    return [("ELIG-BIOPSY", "dx", "DXBIOPSY", "NOT_DONE")] + ex.contradicted(subject, "ELIG-BIOPSY")


def _antibodies_negative(ex, subject, rng):
    row = ex.pick("dx", subject, rng)
    ex.set("dx", row["_i"], DXABPOS="N")
    return [("ELIG-ANTIBODY", "dx", "DXABPOS", "N")] + ex.contradicted(subject, "ELIG-ANTIBODY")


def _proteinuria_low(ex, subject, rng):
    """Every screening measurement below its threshold; the criterion has other branches, so no contradiction."""
    limits = {"mg/mg": f"{ex.protocol.param('upcr_min') * 0.8:.2f}",
              "mg/24h": str(round(ex.protocol.param("protein_24h_min") * 0.8))}
    rows = ex.rows("prot", _at_scr(ex) & (pl.col("SUBJID") == subject))
    for r in rows.iter_rows(named=True):
        ex.set("prot", r["_i"], PROTVAL=limits[r["PROTU"]])
    first = rows.row(0, named=True)
    return [("ELIG-PROTEINURIA", "prot", "PROTVAL", ex.reported("prot", "PROTVAL", limits[first["PROTU"]]))]


def _hiv_positive(ex, subject, rng):
    row = ex.pick("lb", subject, rng, _at_scr(ex) & (pl.col("LBTESTCD") == "HIVAB"))
    ex.set("lb", row["_i"], LBORRES="POSITIVE", LBNRIND="ABNORMAL")
    return [("ELIG-SEROLOGY", "lb", "LBORRES", "POSITIVE")] + ex.contradicted(subject, "ELIG-SEROLOGY")


CLINICAL: tuple = (
    Clinical("SCHED-VISIT-MISSING", _f("sv:M9", "vs:M9", "lb:M9"), _f("sv:M12", "ex"),
             lambda ex: ex.subjects("sv", pl.col("VISIT") == "M9"), _visit_missed,
             "month 9 visit missed: no visit record, the subject seen again at month 12"),
    Clinical("SCHED-ASSESSMENT-MISSING", _f("vs:M2"), _f("sv:M2"),
             lambda ex: ex.subjects("vs", pl.col("VISIT") == "M2"), _vitals_missed,
             "month 2 visit took place without vital signs"),
    Clinical("SCHED-PREG-TEST", _f("lb:HCG"), _f("dm", "ld"), _screening_lab("HCG"), _no_pregnancy_test,
             "girl of childbearing potential lymphodepleted without a pregnancy test"),
    # The two medication seeds add a record each (a form part of their own) and touch no other.
    Clinical("CM-PROHIBITED", _f("cm:CM-PROHIBITED"), _f("sv:SCR", "ex"), lambda ex: ex.subjects("cm"), _live_vaccine_on_study,
             "live varicella vaccine two months after the infusion"),
    Clinical("ELIG-OTHER-TRIAL", _f("cm:ELIG-OTHER-TRIAL"), _f("ie", "sv:SCR"), lambda ex: ex.subjects("cm"), _other_trial,
             "another trial's investigational product stopped 40 days before screening"),
    Clinical("ELIG-BILIRUBIN", _f("lb:BILI"), _f("ie", "dm"), _screening_lab("BILI"), _bilirubin_high,
             "screening bilirubin above 2 x ULN without Gilbert syndrome"),
    Clinical("ELIG-EGFR", _f("lb:EGFR", "lb:CREAT", "ld"), _f("ie", "vs:HEIGHT", "dm"), _screening_lab("EGFR"), _egfr_low,
             "screening eGFR below 30 (creatinine raised with it), no investigator waiver"),
    Clinical("ELIG-PRIOR-THERAPY", _f("cm:ELIG-PRIOR-THERAPY"), _f("ie", "dm", "sv:SCR"),
             _induction_only, _no_induction,
             "glucocorticoid induction course missing from the medication form of a subject whose "
             "adequate-treatment criterion is recorded as met"),
    Clinical("ELIG-BIOPSY", _f("dx"), _f("ie", "dm"), lambda ex: _cohort(ex, "MDR_SRNS"), _biopsy_not_done,
             "MDR-SRNS subject without the renal biopsy the cohort requires"),
    Clinical("ELIG-ANTIBODY", _f("dx"), _f("ie", "dm"), lambda ex: _cohort(ex, "SSC"), _antibodies_negative,
             "systemic sclerosis subject with negative scleroderma antibodies"),
    Clinical("ELIG-PROTEINURIA", _f("prot:SCR"), _f("dm"), lambda ex: _cohort(ex, "IGAN"), _proteinuria_low,
             "IgA nephropathy subject with screening proteinuria below both thresholds"),
    Clinical("ELIG-SEROLOGY", _f("lb:HIVAB"), _f("ie"), _screening_lab("HIVAB"), _hiv_positive,
             "positive HIV antibody at screening"),
)
