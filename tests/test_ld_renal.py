"""SCHED-LD-DOSE with the fludarabine renal adjustment (LymphodepletionRenalAdjustment, schema/protocol.yaml): a
dose reduced as the label requires for the subject's eGFR is no deviation; a dose that is not reduced, reduced
without cause or reduced by the wrong factor is."""

from __future__ import annotations

import pytest

from ecrf.model import load_model
from ecrf.params import class_parameter
from ecrf.protocol import protocol
from helpers import check_findings, minimal_subject, write_export

MODEL = load_model()
P = protocol(MODEL)
FLU = P.lymphodepletion()["FLUDARABINE"]
BANDS = {a.code: a for a in P.renal_adjustments()}
MILD, SEVERE = BANDS["FLU_CRCL_30_70"], BANDS["FLU_CRCL_BELOW_30"]
TOL = class_parameter(MODEL, "KidneyFunctionParameters", "egfr_tolerance_ml_min")
BSA = 1.2


def export(tmp_path, egfr: str | None, factor: float, egfr_date: str = "2025-12-11"):
    forms = minimal_subject()
    key = {k: forms["dm"][0][k] for k in ("STUDYID", "SITEID", "SUBJID")}
    forms["lb"] = [] if egfr is None else [
        key | {"VISIT": "SCR", "VISITNUM": "1", "LBDAT": egfr_date, "LBTESTCD": P.param("egfr_test"),
               "LBORRES": egfr, "LBORRESU": "mL/min/1.73m2"}]
    forms["ld"] = [key | {"LDSEQ": str(i + 1), "LDTRT": "FLUDARABINE", "LDDAT": f"2025-12-2{i}",
                          "LDDOSE": f"{FLU.mg_per_m2_per_day * factor * BSA:.1f}", "LDBSA": str(BSA)}
                   for i in range(3)]
    return write_export(tmp_path, forms)


def dose_findings(tmp_path, *args, **kw):
    return check_findings(export(tmp_path, *args, **kw), "SCHED-LD-DOSE")


def test_the_schema_holds_the_label_reductions():
    assert (MILD.min_egfr, MILD.max_egfr, MILD.dose_factor) == (30, 70, 0.8)
    assert (SEVERE.min_egfr, SEVERE.max_egfr, SEVERE.dose_factor) == (0, 30, 0.5)


@pytest.mark.parametrize("egfr, factor", [
    ("110", 1.0),                                  # normal kidney function: full dose
    (str(MILD.min_egfr + 20), MILD.dose_factor),   # 30-70: reduced by 20%
    (str(SEVERE.max_egfr - 10), SEVERE.dose_factor),  # below 30 (enrolled on a waiver): halved
    (str(MILD.max_egfr - TOL / 2), 1.0),           # at a band limit either dose is accepted
    (str(MILD.max_egfr - TOL / 2), MILD.dose_factor),
    (None, 1.0),                                   # no eGFR on record: the planned dose
])
def test_a_protocol_correct_dose_is_no_finding(tmp_path, egfr, factor):
    assert dose_findings(tmp_path, egfr, factor).is_empty()


@pytest.mark.parametrize("egfr, factor, why", [
    (str(MILD.min_egfr + 20), 1.0, "not reduced at eGFR 50"),
    ("110", MILD.dose_factor, "reduced with normal kidney function"),
    (str(SEVERE.max_egfr - 10), MILD.dose_factor, "reduced by 20% where 50% is due"),
    (None, MILD.dose_factor, "reduced with no eGFR on record"),
])
def test_a_wrong_dose_is_caught(tmp_path, egfr, factor, why):
    f = dose_findings(tmp_path, egfr, factor)
    assert f.height == 3, why
    assert set(f["field"]) == {"LDDOSE"} and set(f["subject"]) == {"01-001"}
    assert set(f["severity"]) == {"important"}


def test_only_an_egfr_before_the_dose_counts(tmp_path):
    """An eGFR dated after lymphodepletion cannot have guided the dose: the reduced dose is unexplained."""
    assert dose_findings(tmp_path, str(MILD.min_egfr + 20), MILD.dose_factor, egfr_date="2026-01-15").height == 3


def test_the_message_names_the_egfr_and_the_dose_due(tmp_path):
    f = dose_findings(tmp_path, "50", 1.0)
    msg = f["message"][0]
    assert "eGFR 50.0 on 2025-12-11" in msg and f"{MILD.dose_factor} x" in f["expected"][0]
