"""Visit forms of one synthetic subject: sv, vs and lb at every visit of the schedule."""

from __future__ import annotations

import random

from ecrf.clinical.egfr import creatinine_mgdl, egfr_expr, protocol_equation
from ecrf.clinical._eval import scalar
from ecrf.example.plan import StudyPlan
from ecrf.example.subjects import Subject
from ecrf.params import class_parameter

LAB_VISITS = ("SCR", "D1", "D4", "D7", "D14", "D28", "M3", "M6", "M12")
# Visits after the infusion when lymphodepletion keeps lymphocytes (and so leukocytes) low.
NADIR_VISITS = {"D1", "D4", "D7", "D14"}

# Example lab panel: test -> (specimen, unit, reference low, reference high, decimals). Illustrative
# paediatric reference ranges of a made-up site laboratory; each result carries its own range, as in an EDC.
LAB_PANEL = {
    "WBC": ("BLOOD", "10^9/L", 4.0, 12.0, 1),
    "NEUT": ("BLOOD", "10^9/L", 1.5, 8.0, 1),
    "LYM": ("BLOOD", "10^9/L", 1.0, 5.0, 2),
    "HGB": ("BLOOD", "g/L", 110, 150, 0),
    "PLAT": ("BLOOD", "10^9/L", 150, 450, 0),
    "ALT": ("SERUM", "U/L", 5, 40, 0),
    "AST": ("SERUM", "U/L", 10, 45, 0),
    "BILI": ("SERUM", "umol/L", 3, 21, 1),
    "CREAT": ("SERUM", "umol/L", 20, 80, 0),
    "ALB": ("SERUM", "g/L", 35, 50, 1),
    "CRP": ("SERUM", "mg/L", 0, 8, 1),
}
# Visits whose vital signs record height (see _vitals): the only ones where an eGFR can be computed.
HEIGHT_VISITS = ("SCR", "LD")
SEROLOGY = ("HBSAG", "HBCAB", "HCVAB", "HIVAB", "SYPHILIS")


def add_visits(out: dict, s: Subject, rng: random.Random, plan: StudyPlan) -> None:
    spo2_min = int(plan.thresholds["spo2_min"])
    for visit in plan.schedule:
        when = s.visits[visit].isoformat()
        keys = {**s.keys, "visit": visit, "visitnum": plan.visitnum(visit)}
        out["sv"].add(**keys, svstdat=when, svoccur="Y")
        _vitals(out["vs"], s, rng, keys, when, spo2_min)
        if visit in LAB_VISITS:
            creatinine = _labs(out["lb"], s, rng, keys, when)
            if visit in HEIGHT_VISITS:
                _egfr(out["lb"], s, keys, when, plan, creatinine)


def _vitals(vs, s: Subject, rng: random.Random, keys: dict, when: str, spo2_min: int) -> None:
    young = s.age < 12
    # Height and weight as used for the lymphodepletion BSA at screening and LD; weight drifts afterwards.
    dosing = keys["visit"] in HEIGHT_VISITS
    vs.add(**keys, vsdat=when, temp=f"{rng.uniform(36.2, 37.4):.1f}",
           sysbp=str(rng.randint(92, 112) if young else rng.randint(100, 124)),
           diabp=str(rng.randint(55, 72) if young else rng.randint(60, 80)),
           pulse=str(rng.randint(80, 115) if young else rng.randint(62, 95)),
           resp=str(rng.randint(18, 26) if young else rng.randint(14, 20)),
           oxysat=str(rng.randint(min(spo2_min + 4, 100), 100)),
           height=f"{s.height:.1f}" if dosing else "",
           weight=f"{s.weight * (1 if dosing else rng.uniform(0.98, 1.02)):.1f}")


def _labs(lb, s: Subject, rng: random.Random, keys: dict, when: str) -> tuple[str, str]:
    """The visit's lab panel; returns the creatinine result and unit, for the eGFR."""
    visit = keys["visit"]
    for test, (spec, unit, lo, hi, dec) in LAB_PANEL.items():
        value = rng.uniform(lo, hi)
        if test == "CREAT":  # creatinine follows body size, for a healthy eGFR of about 100-130
            value = 31 * s.height / 100 * rng.uniform(0.85, 1.15)
        elif visit in NADIR_VISITS and test in ("LYM", "WBC"):
            value = lo * rng.uniform(0.1, 0.7)
        elif rng.random() < 0.08:  # now and then a result just outside the range
            value = rng.choice((lo * 0.85, hi * 1.15))
        text = f"{value:.{dec}f}"
        v = float(text)  # judge the rounded value, as the reader of the export will
        ind = "LOW" if v < lo else "HIGH" if v > hi else "NORMAL"
        lb.add(**keys, lbdat=when, lbtestcd=test, lbspec=spec, lborres=text, lborresu=lb.code("lborresu", unit),
               lbornrlo=_num(lo, dec), lbornrhi=_num(hi, dec), lbnrind=ind)
        if test == "CREAT":
            creatinine = (text, unit)
    if visit != "SCR":
        return creatinine
    for test in SEROLOGY:
        lb.add(**keys, lbdat=when, lbtestcd=lb.code("lbtestcd", test), lbspec="SERUM", lborres="NEGATIVE",
               lbnrind="NORMAL")
    if s.chbrpot == "Y":  # blood pregnancy test for girls of childbearing potential (exclusion 13)
        lb.add(**keys, lbdat=when, lbtestcd="HCG", lbspec="SERUM", lborres="NEGATIVE", lbnrind="NORMAL")
    return creatinine


def _egfr(lb, s: Subject, keys: dict, when: str, plan: StudyPlan, creatinine: tuple[str, str]) -> None:
    """The eGFR the site reports with the creatinine: the protocol's equation from this visit's creatinine (in
    mg/dL), the height measured at the visit, the sex and the age at the lab date (exact from a complete birth
    date, else the completed years recorded in dm), rounded to one decimal."""
    model = plan.model
    scr = creatinine_mgdl(float(creatinine[0]), creatinine[1], model)
    lab_date = s.visits[keys["visit"]]
    full = len(s.brthdat) == 10
    age = (lab_date - s.birth).days / _days_per_year(model) if full else float(s.age)
    value = scalar(egfr_expr(protocol_equation(model), s.sex, age, round(s.height, 1), scr, model))
    lb.add(**keys, lbdat=when, lbtestcd=lb.code("lbtestcd", "EGFR"), lbspec="SERUM", lborres=f"{value:.1f}",
           lborresu=lb.code("lborresu", "mL/min/1.73m2"), lbnrind="NORMAL" if value >= 90 else "LOW")


def _days_per_year(model) -> float:
    return class_parameter(model, "KidneyFunctionParameters", "days_per_year")


def _num(x: float, dec: int) -> str:
    return f"{x:.{dec}f}"
