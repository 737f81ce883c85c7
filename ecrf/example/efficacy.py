"""Disease activity forms of one synthetic subject, by cohort: sledai, mrss, vas or prot.

Screening scores sit above the registration's entry thresholds (read from schema/) and improve after the
infusion.
"""

from __future__ import annotations

import random

from ecrf.example.plan import StudyPlan
from ecrf.example.subjects import Subject

SCORE_VISITS = ("SCR", "D28", "M3", "M6", "M12")
# Screening activity per cohort: the protocol's entry threshold (if any) plus a margin drawn from this range.
# Proteinuria in tenths of mg/mg: nephrotic range in MDR-SRNS, milder in IgA nephropathy.
ENTRY = {"SLE": "sledai_min", "SSC": "mrss_min", "AAV": "vas_min"}
MARGIN = {"SLE": (2, 14), "SSC": (1, 17), "AAV": (1, 14), "MDR_SRNS": (25, 80), "IGAN": (8, 30)}


def add_efficacy(out: dict, s: Subject, rng: random.Random, plan: StudyPlan) -> None:
    entry = ENTRY.get(s.cohort)
    base = (int(plan.thresholds[entry]) if entry else 0) + rng.randint(*MARGIN[s.cohort])
    adult = int(plan.thresholds["vas_adult_age"])
    left = 1.0  # fraction of the screening activity left: steady improvement after the infusion
    for visit in SCORE_VISITS:
        when = s.visits[visit]
        keys = {**s.keys, "visit": visit, "visitnum": plan.visitnum(visit)}
        if visit != "SCR":
            left *= rng.uniform(0.55, 0.9)
        score = str(round(base * left))
        if s.cohort == "SLE":
            out["sledai"].add(**keys, sledaidat=when.isoformat(), sledaitot=score)
        elif s.cohort == "SSC":
            out["mrss"].add(**keys, mrssdat=when.isoformat(), mrsstot=score)
        elif s.cohort == "AAV":
            age = s.age_on(when)  # PVAS for children, BVAS for adults, judged at each assessment
            out["vas"].add(**keys, vasdat=when.isoformat(), vasinst="PVAS" if age < adult else "BVAS",
                           vasage=str(age), vastot=score, vaspers=str(rng.randint(0, 4)))
        else:
            upcr = base / 10 * left
            out["prot"].add(**keys, protdat=when.isoformat(), protmeth="UPCR_SPOT", protval=f"{upcr:.2f}",
                            protu="mg/mg")
            if visit == "SCR" and s.cohort == "IGAN":  # 24-hour protein as well, for IgA nephropathy 3
                out["prot"].add(**keys, protdat=when.isoformat(), protmeth="URINE_24H",
                                protval=str(round(upcr * 600)), protu="mg/24h")
