"""Enrolment forms of one synthetic subject: dm, ic, ie, dx, cm, echo."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from functools import lru_cache

from ecrf.example.plan import StudyPlan
from ecrf.example.subjects import Subject
from ecrf.params import annotation_values, enum_annotations

# Criteria set, renal biopsy and autoantibodies that fit each cohort's diagnosis.
_DIAGNOSIS = {
    "SLE": (("SLICC_2012", "EULAR_ACR_2019"), ("LUPUS_NEPHRITIS", "NOT_DONE"), "Y"),
    "MDR_SRNS": (("KDIGO_2021",), ("MCD", "FSGS"), "NA"),
    "IGAN": (("RENAL_BIOPSY",), ("IGAN",), "NA"),
    "SSC": (("ACR_EULAR_2013",), ("NOT_DONE",), "Y"),
    "AAV": (("EMA_2007", "ACR_EULAR_2022"), ("NOT_DONE",), "Y"),
}
# Background treatment by cohort: (name, indication, dose, unit, frequency, route); prednisone for all.
_BACKGROUND = {
    "SLE": [("HYDROXYCHLOROQUINE", "SLE", "200", "mg", "QD", "ORAL"), ("MYCOPHENOLATE MOFETIL", "SLE", "500", "mg", "BID", "ORAL")],
    "MDR_SRNS": [("TACROLIMUS", "NEPHROTIC SYNDROME", "1", "mg", "BID", "ORAL")],
    "IGAN": [("ENALAPRIL", "PROTEINURIA", "5", "mg", "QD", "ORAL")],
    "SSC": [("METHOTREXATE", "SYSTEMIC SCLEROSIS", "10", "mg", "QW", "ORAL")],
    "AAV": [("CYCLOPHOSPHAMIDE", "ANCA VASCULITIS", "500", "mg", "Q4W", "INTRAVENOUS")],
}


@lru_cache(maxsize=8)
def criteria(model, cohort: str) -> tuple[tuple[str, str], ...]:
    """(code, IECAT) of every criterion that applies to the cohort: the EligibilityCriterion codes without a
    cohort annotation (general inclusion, all exclusions) and those annotated with this cohort."""
    enum = model.view.get_enum(model.forms["ie"].item("ietestcd").codelist)
    out = []
    for code, a in ((c, annotation_values(pv)) for c, pv in enum.permissible_values.items()):
        if a.get("cohort") in (None, cohort):
            out.append((code, a["category"]))
    return tuple(out)


def add_enrolment(out: dict, s: Subject, rng: random.Random, plan: StudyPlan) -> None:
    scr = s.visits["SCR"]
    dm = out["dm"]
    dm.add(**s.keys, cohort=dm.code("cohort", s.cohort), phase=dm.code("phase", s.phase),
           doselvl=dm.code("doselvl", s.doselvl), sex=s.sex, brthdat=s.brthdat, age=str(s.age),
           ageu=dm.code("ageu", "YEARS"), height=f"{s.height:.1f}", weight=f"{s.weight:.1f}", chbrpot=s.chbrpot, gilbert="N")
    giver, assent = _consent_band(plan.model, s.age)
    out["ic"].add(**s.keys, icseq="1", icdat=s.consent.isoformat(), icver="2.0",
                  icgiver=out["ic"].code("icgiver", giver), asnt="Y" if assent else "NA",
                  asntdat=s.consent.isoformat() if assent else "")
    for code, cat in criteria(plan.model, s.cohort):
        out["ie"].add(**s.keys, ietestcd=code, iecat=cat, ieorres="Y", iedat=scr.isoformat())
    months_ill = 12 * rng.randint(1, max(1, min(s.age - 2, 6)))
    _diagnosis(out["dx"], s, rng, months_ill)
    _medications(out["cm"], s, rng, months_ill, _induction_mg_kg(plan.model).get(s.cohort))
    out["echo"].add(**s.keys, visit="SCR", visitnum=plan.visitnum("SCR"), echodat=scr.isoformat(),
                    lvef=str(int(plan.thresholds["lvef_min"]) + rng.randint(3, 17)), echoabn="N")


def _consent_band(model, age: int) -> tuple[str, bool]:
    """Who signs (the first giver the band allows: the guardian of a minor, an adult themselves) and whether the
    minor assents, from the schema's ConsentAgeBand for the age at consent."""
    for a in enum_annotations(model, "ConsentAgeBand").values():
        if a["min_age"] <= age < a["max_age"]:
            return str(a["givers"]).split(",")[0].strip(), str(a["assent"]).lower() == "true"
    raise ValueError(f"no ConsentAgeBand for age {age}")


def _diagnosis(dx, s: Subject, rng: random.Random, months_ill: int) -> None:
    crits, biopsies, abpos = _DIAGNOSIS[s.cohort]
    dxdat = _months_before(s.consent, months_ill)
    crit = dx.code("dxcrit", rng.choice(crits))
    biopsy = dx.code("dxbiopsy", rng.choice(biopsies))
    biodat = "" if biopsy == "NOT_DONE" else _months_before(s.consent, rng.randint(3, months_ill))
    if crit == "RENAL_BIOPSY":  # diagnosed by the biopsy itself
        biodat = dxdat
    dx.add(**s.keys, dxseq="1", dxterm=dx.code("dxterm", s.cohort), dxdat=dxdat, dxcrit=crit,
           dxcritmt="Y", dxbiopsy=biopsy, dxbiodat=biodat, dxabpos=abpos)


def _medications(cm, s: Subject, rng: random.Random, months_ill: int, induction: float | None) -> None:
    seq = 0

    def add(**kw):
        nonlocal seq
        seq += 1
        cm.add(**s.keys, cmseq=str(seq), cminvp="N", **kw)  # no other trial's product (ProhibitedMedication)

    if induction is not None:  # the induction course the cohort's adequate-treatment criterion asks for
        dose = math.ceil(s.weight * induction * rng.uniform(1.0, 1.4))
        add(cmcat="PRIOR", cmtrt="PREDNISONE", cmdecod="PREDNISONE", cmindc=s.cohort, cmdose=str(dose), cmdosu="mg",
            cmdosfrq="QD", cmroute="ORAL", cmstdat=_months_before(s.consent, months_ill),
            cmendat=_months_before(s.consent, months_ill - 1), cmongo="N", cmlive="NA")
    # Maintenance prednisone; the start month is often all the family remembers (a valid partial date).
    start = _months_before(s.consent, rng.randint(3, months_ill))
    pred = min(60, round(s.weight * rng.uniform(0.5, 1.0)))
    add(cmcat="CONCOMITANT", cmtrt="PREDNISONE", cmdecod="PREDNISONE", cmindc=s.cohort, cmdose=str(pred),
        cmdosu="mg", cmdosfrq="QD", cmroute="ORAL", cmstdat=start if rng.random() < 0.5 else start + "-15",
        cmongo="Y", cmlive="NA")
    for name, indc, dose, unit, freq, route in _BACKGROUND[s.cohort]:
        add(cmcat="CONCOMITANT", cmtrt=name, cmdecod=name, cmindc=indc, cmdose=dose, cmdosu=cm.code("cmdosu", unit),
            cmdosfrq=cm.code("cmdosfrq", freq), cmroute=cm.code("cmroute", route),
            cmstdat=_months_before(s.consent, rng.randint(3, months_ill)), cmongo="Y", cmlive="NA")
    if s.index % 3 == 0:  # a prior biologic, stopped well before consent
        add(cmcat="PRIOR", cmtrt="RITUXIMAB", cmdecod="RITUXIMAB", cmindc=s.cohort, cmdose="375", cmdosu="mg/m2",
            cmdosfrq="QW", cmroute="INTRAVENOUS", cmstdat=_months_before(s.consent, 8),
            cmendat=_months_before(s.consent, 7), cmongo="N", cmlive="NA")
    if s.index % 4 == 1:  # an inactive vaccine long before screening (exclusion 12 is about live vaccines)
        vaccinated = (s.consent - timedelta(days=rng.randint(60, 120))).isoformat()
        add(cmcat="VACCINE", cmtrt="INFLUENZA VACCINE (INACTIVATED)", cmdecod="INFLUENZA VACCINE",
            cmindc="PROPHYLAXIS", cmdose="1", cmdosu="dose", cmdosfrq="ONCE", cmroute="INTRAMUSCULAR",
            cmstdat=vaccinated,
            cmendat=vaccinated, cmongo="N", cmlive="N")
    # Premedication on the infusion day.
    d0 = s.d0.isoformat()
    add(cmcat="CONCOMITANT", cmtrt="PARACETAMOL", cmdecod="PARACETAMOL", cmindc="PREMEDICATION",
        cmdose=str(min(500, round(s.weight * 15))), cmdosu="mg", cmdosfrq="ONCE", cmroute="ORAL",
        cmstdat=d0, cmendat=d0, cmongo="N", cmlive="NA")


@lru_cache(maxsize=4)
def _induction_mg_kg(model) -> dict[str, float]:
    """Cohort -> glucocorticoid mg/kg/day of its adequate-treatment criterion (PriorTreatment in the schema)."""
    return {c: float(a["gc_min_mg_kg_day"]) for c, a in enum_annotations(model, "PriorTreatment").items()}


def _months_before(d: date, months: int) -> str:
    """Year-month `months` before d, as a partial date YYYY-MM."""
    m = d.year * 12 + d.month - 1 - months
    return f"{m // 12:04d}-{m % 12 + 1:02d}"
