"""Treatment forms of one synthetic subject: lymphodepletion (ld) and the KN5601-K infusion (ex)."""

from __future__ import annotations

import random
from datetime import timedelta

from ecrf.example.plan import StudyPlan
from ecrf.example.subjects import Subject


def add_treatment(out: dict, s: Subject, rng: random.Random, plan: StudyPlan) -> None:
    ld = out["ld"]
    bsa = s.bsa
    # Day by day, the drugs in the schema's order (fludarabine before cyclophosphamide).
    doses = sorted(((day, drug, mg) for drug, (mg, days) in plan.ld_plan.items() for day in days), key=lambda d: d[0])
    for seq, (day, drug, mg_per_m2) in enumerate(doses, start=1):
        ld.add(**s.keys, ldseq=str(seq), ldtrt=ld.code("ldtrt", drug),
               lddat=(s.d0 + timedelta(days=day)).isoformat(), ldday=str(day),
               lddose=f"{mg_per_m2 * bsa:.1f}", ldplan=f"{mg_per_m2:g}", ldbsa=f"{bsa:.2f}",
               ldbsamth=ld.code("ldbsamth", "MOSTELLER"))
    ex = out["ex"]
    ex.add(**s.keys, exnum="1", exstdat=s.d0.isoformat(), exdoselv=s.doselvl,
           exdose=f"{plan.cells_per_kg[s.doselvl]:.1e}".replace("e+0", "e"), exdosu=ex.code("exdosu", "cells/kg"),
           exwt=f"{s.weight:.1f}", excomp="Y")
