"""Safety forms of one synthetic subject: adverse events, with CRS and ICANS grading records."""

from __future__ import annotations

import random
from datetime import timedelta

from ecrf.example.plan import StudyPlan
from ecrf.example.score_items import capd_scores, ice_tasks
from ecrf.example.subjects import Subject
from ecrf.params import class_parameter


def add_safety(out: dict, s: Subject, rng: random.Random, plan: StudyPlan) -> None:
    ae = out["ae"]
    seq = 0

    def add_ae(**kw) -> str:
        nonlocal seq
        seq += 1
        ae.add(**s.keys, aeseq=str(seq), aeongo="N", aeout="RECOVERED/RESOLVED", aeacn="NOT APPLICABLE", **kw)
        return str(seq)

    if s.withdrawn is not None:
        _withdrawal(out, s, rng, add_ae)
    if s.index % 2 == 1:  # nausea during lymphodepletion
        start = s.visits["LD"] + timedelta(days=1)
        add_ae(aeterm="Nausea", aedecod="Nausea", aecat="OTHER", aestdat=start.isoformat(),
               aeendat=(start + timedelta(days=1)).isoformat(), aetoxgr="1", aeser="N", aerel="POSSIBLY_RELATED")
    if s.index % 3 != 0:
        return
    # CRS a few days after the infusion, graded daily; grade 2 when low-flow oxygen was needed.
    crs_start = s.d0 + timedelta(days=rng.randint(1, 3))
    days = rng.randint(2, 4)
    peak = 2 if rng.random() < 0.3 else 1
    grades = [1] * days
    grades[days // 2] = peak
    # Oxygen for CRS prolongs the stay after the infusion: a serious event (hospitalisation), known and reported
    # to the sponsor the day it began.
    serious = {"aeser": "Y", "aeawdat": crs_start.isoformat(), "aerptdat": crs_start.isoformat(),
               **_criteria(out["ae"], "aeshosp")} if peak == 2 else {"aeser": "N"}
    aeseq = add_ae(aeterm="Cytokine release syndrome", aedecod="Cytokine release syndrome", aecat="CRS",
                   aestdat=crs_start.isoformat(), aeendat=(crs_start + timedelta(days=days - 1)).isoformat(),
                   aetoxgr=str(peak), aerel="RELATED", **serious)
    crs = out["crs"]
    # Hypotension item, where the form has one: none of these episodes needed fluids or vasopressors.
    hypo = {"crshypo": "N"} if crs.has("crshypo") else {}
    for k, grade in enumerate(grades):
        oxygen = grade == 2
        # Treatment that day (a multi-select, codes in codelist order): antipyretics, and for grade 2 oxygen and
        # tocilizumab. Derived, not drawn, so the random stream of the rest of the export is unchanged.
        treated = {"crstrt": "TOCILIZUMAB,OXYGEN,ANTIPYRETIC" if oxygen else "ANTIPYRETIC"} \
            if crs.has("crstrt") else {}
        crs.add(**s.keys, **hypo, **treated, aeseq=aeseq, crsdat=(crs_start + timedelta(days=k)).isoformat(), crsgr=str(grade),
                crsfever="Y", crstmax=f"{rng.uniform(38.1, 39.8):.1f}", crsvaso="0", crsvsprs="N",
                crsoxy="LOW_FLOW_CANNULA" if oxygen else "NONE", crsflow=f"{rng.uniform(1, 3):.1f}" if oxygen else "")
    # Grade 1 ICANS after the CRS: mild encephalopathy only, scored with ICE or (younger children) CAPD.
    icans_start = crs_start + timedelta(days=days)
    n = rng.randint(1, 2)
    aeseq = add_ae(aeterm="Immune effector cell-associated neurotoxicity syndrome",
                   aedecod="Immune effector cell-associated neurotoxicity syndrome", aecat="ICANS",
                   aestdat=icans_start.isoformat(), aeendat=(icans_start + timedelta(days=n - 1)).isoformat(),
                   aetoxgr="1", aeser="N", aerel="RELATED")
    for k in range(n):
        when = icans_start + timedelta(days=k)
        if s.age_on(when) >= class_parameter(plan.model, "IcansGrading", "ice_min_age"):  # ICE 7-9 and CAPD 1-8 both give grade 1 with nothing else abnormal
            ice = rng.randint(7, 9)
            items = {"icanstool": "ICE", "icescore": str(ice), **_text(ice_tasks(plan.model, ice, rng))}
        else:
            capd = rng.randint(2, 8)
            items = {"icanstool": "CAPD", "capdscore": str(capd), **_text(capd_scores(plan.model, capd, rng))}
        out["icans"].add(**s.keys, aeseq=aeseq, icansdat=when.isoformat(), icansgr="1", **items,
                         icanscon="NORMAL", icansseiz="N", icansoed="N", icansmot="N")


def _criteria(ae, met: str) -> dict[str, str]:
    """The seriousness criteria of a serious event (items with role seriousness): `met` Y, the others N."""
    return {i.name: "Y" if i.name == met else "N" for i in ae.form.items if i.role == "seriousness"}


def _text(items: dict[str, int]) -> dict[str, str]:
    return {k: str(v) for k, v in items.items()}


def _withdrawal(out: dict, s: Subject, rng: random.Random, add_ae) -> None:
    """Withdrawal by the guardian after the last visit, with an infection that began before it followed up to its
    end after it: the follow-up Disposition follow_up_after_end allows."""
    start = max(s.visits.values()) - timedelta(days=rng.randint(1, 5))
    add_ae(aeterm="Upper respiratory tract infection", aedecod="Upper respiratory tract infection", aecat="OTHER",
           aestdat=start.isoformat(), aeendat=(s.withdrawn + timedelta(days=rng.randint(2, 9))).isoformat(),
           aetoxgr="1", aeser="N", aerel="NOT_RELATED")
    ds = out["ds"]
    ds.add(**s.keys, dsdecod=ds.code("dsdecod", "WITHDRAWAL BY PARENT/GUARDIAN"), dsstdat=s.withdrawn.isoformat(),
           dsterm="Family moved abroad")
