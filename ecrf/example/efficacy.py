"""Disease activity forms of one synthetic subject, by cohort: sledai, mrss, vas or prot.

Screening scores sit above the registration's entry thresholds (read from schema/) and improve after the
infusion. Item-level forms carry items that add up to their totals; the SLEDAI-2K lab descriptors follow the
lab results generated for the same visit (ecrf.example.visits), so the example agrees with itself.
"""

from __future__ import annotations

import random

from ecrf.example.plan import StudyPlan
from ecrf.example.score_items import mrss_sites, sledai_descriptors, sledai_lab_items, sledai_score, vas_systems
from ecrf.example.subjects import Subject

SCORE_VISITS = ("SCR", "D28", "M3", "M6", "M12")
# Screening activity per cohort: the protocol's entry threshold (if any) plus a margin drawn from this range.
# Proteinuria in tenths of mg/mg: nephrotic range in MDR-SRNS, milder in IgA nephropathy.
ENTRY = {"SLE": "sledai_min", "SSC": "mrss_min", "AAV": "vas_min"}
MARGIN = {"SLE": (2, 14), "SSC": (1, 17), "AAV": (1, 14), "MDR_SRNS": (25, 80), "IGAN": (8, 30)}
PERSISTENT = (0, 4)  # PVAS/BVAS persistent score: low, grumbling disease


def add_efficacy(out: dict, s: Subject, rng: random.Random, plan: StudyPlan) -> None:
    entry = ENTRY.get(s.cohort)
    base = (int(plan.thresholds[entry]) if entry else 0) + rng.randint(*MARGIN[s.cohort])
    adult = int(plan.thresholds["vas_adult_age"])
    labs = _visit_labs(out["lb"], s.subjid) if s.cohort == "SLE" else {}
    left = 1.0  # fraction of the screening activity left: steady improvement after the infusion
    for visit in SCORE_VISITS:
        when = s.visits[visit]
        keys = {**s.keys, "visit": visit, "visitnum": plan.visitnum(visit)}
        if visit != "SCR":
            left *= rng.uniform(0.55, 0.9)
        score = round(base * left)
        if s.cohort == "SLE":
            items = sledai_descriptors(plan.model, score, sledai_lab_items(plan.model, labs.get(visit, [])), rng)
            out["sledai"].add(**keys, sledaidat=when.isoformat(), **items,
                              sledaitot=str(sledai_score(plan.model, items)))
        elif s.cohort == "SSC":
            sites = {k: str(v) for k, v in mrss_sites(plan.model, score, rng).items()}
            out["mrss"].add(**keys, mrssdat=when.isoformat(), **sites, mrsstot=str(score))
        elif s.cohort == "AAV":
            age = s.age_on(when)  # PVAS for children, BVAS for adults, judged at each assessment
            pers = rng.randint(*PERSISTENT)
            systems = {k: str(v) for k, v in vas_systems(plan.model, score, pers, rng).items()}
            out["vas"].add(**keys, vasdat=when.isoformat(), vasinst="PVAS" if age < adult else "BVAS",
                           vasage=str(age), **systems, vastot=str(score), vaspers=str(pers))
        else:
            upcr = base / 10 * left
            out["prot"].add(**keys, protdat=when.isoformat(), protmeth="UPCR_SPOT", protval=f"{upcr:.2f}",
                            protu="mg/mg")
            if visit == "SCR" and s.cohort == "IGAN":  # 24-hour protein as well, for IgA nephropathy 3
                out["prot"].add(**keys, protdat=when.isoformat(), protmeth="URINE_24H",
                                protval=str(round(upcr * 600)), protu="mg/24h")


def _visit_labs(lb, subjid: str) -> dict[str, list[tuple]]:
    """The subject's lab results just written (the tail of the lb rows), by visit, as (source, test, text, unit,
    low, high) for sledai_lab_items."""
    c = lb.cols
    out: dict[str, list[tuple]] = {}
    i = len(c["subjid"]) - 1
    while i >= 0 and c["subjid"][i] == subjid:
        out.setdefault(c["visit"][i], []).append(
            ("lb", c["lbtestcd"][i], c["lborres"][i], c["lborresu"][i], c["lbornrlo"][i], c["lbornrhi"][i]))
        i -= 1
    return out
