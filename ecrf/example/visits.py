"""Visit forms of one synthetic subject: sv, vs and lb at every visit of the schedule."""

from __future__ import annotations

import random
from functools import lru_cache

from ecrf.clinical.ctcae import grade
from ecrf.clinical.egfr import creatinine_mgdl, egfr_expr, protocol_equation
from ecrf.clinical._eval import scalar
from ecrf.example.plan import StudyPlan
from ecrf.example.subjects import ADULT_AGE, Subject
from ecrf.params import class_parameter, enum_annotations

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
# Differential counts as shares of the leukocytes drawn for the same panel, so that they never exceed it.
PART_SHARE = {"NEUT": (0.45, 0.65), "LYM": (0.2, 0.33)}
# A made-up CRP assay reporting results below its detection limit as censored text, as many labs do.
CRP_DETECTION_LIMIT = "0.5"
CRP_CENSORED_SHARE = 0.25
# Visits whose vital signs record height (see _vitals): the only ones where an eGFR can be computed.
HEIGHT_VISITS = ("SCR", "LD")
# The example sites' eGFR equation for an adult (CKiD U25 would still apply up to 25 years); children get the
# protocol's. Each eGFR record names its equation (LBMETHOD).
ADULT_EQUATION = "CKD_EPI_2021"
# Later visits where the child is measured again, taller by the growth since screening.
GROWTH_VISITS = ("M3", "M6", "M12")
SEROLOGY = ("HBSAG", "HBCAB", "HCVAB", "HIVAB", "SYPHILIS")


def add_visits(out: dict, s: Subject, rng: random.Random, plan: StudyPlan) -> None:
    spo2_min = int(plan.thresholds["spo2_min"])
    baseline: dict[str, tuple[float, bool]] = {}  # test -> (screening value, above its ULN), for CTCAE grades
    for visit in plan.schedule:
        when = s.visits[visit].isoformat()
        keys = {**s.keys, "visit": visit, "visitnum": plan.visitnum(visit)}
        out["sv"].add(**keys, svstdat=when, svoccur="Y")
        _vitals(out["vs"], s, rng, keys, when, spo2_min, _age_band(plan.model, _age_at(s, s.visits[visit])))
        if visit in LAB_VISITS:
            creatinine = _labs(out["lb"], s, rng, keys, when, baseline, plan.model)
            if visit in HEIGHT_VISITS:
                _egfr(out["lb"], s, keys, when, plan, creatinine)


@lru_cache(maxsize=4)
def _bands(model) -> tuple[dict, ...]:
    return tuple(enum_annotations(model, "VitalSignAgeBand").values())


def _age_band(model, age: int) -> dict:
    """The plausible vital-sign band (schema VitalSignAgeBand) of the subject's age."""
    return next(a for a in _bands(model) if a["min_age"] <= age < a["max_age"])


def _age_at(s: Subject, day) -> int:
    """Completed years at `day` as VS-SOFT reads them: from a complete birth date, else the recorded age."""
    return s.age_on(day) if len(s.brthdat) == 10 else s.age


def _within(rng: random.Random, lo: int, hi: int, band: dict, item: str) -> str:
    """A typical value lo..hi kept inside the age band, so clean data raise no VS-SOFT query."""
    lo, hi = max(lo, band[f"{item}_low"]), min(hi, band[f"{item}_high"])
    return str(rng.randint(int(lo), int(max(lo, hi))))


def _vitals(vs, s: Subject, rng: random.Random, keys: dict, when: str, spo2_min: int, band: dict) -> None:
    young = s.age < 12
    # Height and weight as used for the lymphodepletion BSA at screening and LD; weight drifts afterwards.
    dosing = keys["visit"] in HEIGHT_VISITS
    height = s.height if dosing else _grown(s, keys["visit"]) if keys["visit"] in GROWTH_VISITS else None
    vs.add(**keys, vsdat=when, temp=f"{rng.uniform(36.2, 37.4):.1f}",
           sysbp=_within(rng, *((92, 112) if young else (100, 124)), band, "sysbp"),
           diabp=_within(rng, *((55, 72) if young else (60, 80)), band, "diabp"),
           pulse=_within(rng, *((80, 115) if young else (62, 95)), band, "pulse"),
           resp=_within(rng, *((18, 26) if young else (14, 20)), band, "resp"),
           oxysat=str(rng.randint(min(spo2_min + 4, 100), 100)),
           height="" if height is None else f"{height:.1f}",
           weight=f"{s.weight * (1 if dosing else rng.uniform(0.98, 1.02)):.1f}")


def _grown(s: Subject, visit: str) -> float:
    """Height at a later visit: the screening height plus a typical growth velocity for the age and sex over the
    time since screening (illustrative, well inside the plausible rates of schema GrowthPlausibility)."""
    years = (s.visits[visit] - s.visits["SCR"]).days / 365.25
    return s.height + _velocity(s.age, s.sex) * years


def _velocity(age: int, sex: str) -> float:
    """Rough median height velocity in cm/year (growth-chart shape, not a reference): fast in early childhood,
    slower before puberty, a pubertal spurt, then little."""
    spurt = (11, 13) if sex == "F" else (12, 14)
    if age < 5:
        return 7.0
    if age < spurt[0]:
        return 5.5
    if age <= spurt[1]:
        return 8.0
    return 2.0


def _labs(lb, s: Subject, rng: random.Random, keys: dict, when: str, baseline: dict, model) -> tuple[str, str]:
    """The visit's lab panel with consistent indicators and CTCAE grades; returns the creatinine result and
    unit, for the eGFR. Panel units are the SI units of the catalogue, so values grade as written."""
    visit = keys["visit"]
    drawn: dict[str, float] = {}
    for test, (spec, unit, lo, hi, dec) in LAB_PANEL.items():
        value = rng.uniform(lo, hi)
        if test == "CREAT":  # creatinine follows body size, for a healthy eGFR of about 100-130
            value = 31 * s.height / 100 * rng.uniform(0.85, 1.15)
        elif test in PART_SHARE:  # a share of this panel's leukocytes, low when they are low
            value = drawn["WBC"] * rng.uniform(*PART_SHARE[test])
        elif visit in NADIR_VISITS and test == "WBC":
            value = lo * rng.uniform(0.1, 0.7)
        elif rng.random() < 0.08:  # now and then a result just outside the range
            value = rng.choice((lo * 0.85, hi * 1.15))
        text = f"{value:.{dec}f}"
        v = drawn[test] = float(text)  # judge the rounded value, as the reader of the export will
        ind = "LOW" if v < lo else "HIGH" if v > hi else "NORMAL"
        if test == "CRP" and ind == "NORMAL" and rng.random() < CRP_CENSORED_SHARE:
            text = "<" + CRP_DETECTION_LIMIT
        if visit == "SCR":
            baseline[test] = (v, ind == "HIGH")
        base, high = baseline.get(test, (None, False)) if visit != "SCR" else (None, False)
        g = grade(test, v, lo, hi, base, high, model)
        lb.add(**keys, lbdat=when, lbtestcd=test, lbspec=spec, lborres=text, lborresu=lb.code("lborresu", unit),
               lbornrlo=_num(lo, dec), lbornrhi=_num(hi, dec), lbnrind=ind, lbtoxgr="" if g is None else str(g))
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
    """The eGFR the site reports with the creatinine: the protocol's equation (CKD-EPI 2021 for an adult) from this visit's creatinine (in
    mg/dL), the height measured at the visit, the sex and the age at the lab date (exact from a complete birth
    date, else the completed years recorded in dm), rounded to one decimal."""
    model = plan.model
    scr = creatinine_mgdl(float(creatinine[0]), creatinine[1], model)
    lab_date = s.visits[keys["visit"]]
    full = len(s.brthdat) == 10
    age = (lab_date - s.birth).days / _days_per_year(model) if full else float(s.age)
    equation = ADULT_EQUATION if _age_at(s, lab_date) >= ADULT_AGE else protocol_equation(model)
    value = scalar(egfr_expr(equation, s.sex, age, round(s.height, 1), scr, model))
    lb.add(**keys, lbdat=when, lbtestcd=lb.code("lbtestcd", "EGFR"), lbspec="SERUM", lborres=f"{value:.1f}",
           lborresu=lb.code("lborresu", "mL/min/1.73m2"), lbnrind="NORMAL" if value >= 90 else "LOW",
           lbmethod=lb.code("lbmethod", equation))


def _days_per_year(model) -> float:
    return class_parameter(model, "KidneyFunctionParameters", "days_per_year")


def _num(x: float, dec: int) -> str:
    return f"{x:.{dec}f}"
