"""ELIG-PRIOR-THERAPY: the glucocorticoid plus immunomodulator branch of the adequate-treatment criteria, read from
the medication form. Doses are worked by hand from the schema's thresholds and prednisone equivalents."""

from __future__ import annotations

import pytest
from helpers import check_findings, minimal_subject, write_export

from ecrf.model import load_model
from ecrf.params import enum_annotations

RULES = enum_annotations(load_model(), "PriorTreatment")
SID = "01-001"
KEY = {"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": SID}
WEIGHT = 40.0  # kg; screening is 2025-12-11 (minimal_subject), so "3 months before" is 2025-09-11


def med(name, dose, unit="mg", freq="QD", start="2024-01", cat="PRIOR", seq=1):
    return KEY | {"CMSEQ": str(seq), "CMCAT": cat, "CMTRT": name, "CMDECOD": name, "CMDOSE": str(dose),
                  "CMDOSU": unit, "CMDOSFRQ": freq, "CMROUTE": "ORAL", "CMSTDAT": start, "CMONGO": "N"}


def run(tmp_path, meds, cohort="SLE", ieorres="Y", waiver=""):
    data = minimal_subject(SID, COHORT=cohort, WEIGHT=str(WEIGHT))
    crit = str(RULES[cohort]["criterion"]) if cohort in RULES else "IN01"
    data["ie"].append(KEY | {"IETESTCD": crit, "IECAT": "INCLUSION", "IEORRES": ieorres, "IEWAIV": waiver})
    data["cm"] = [m | {"CMSEQ": str(i + 1)} for i, m in enumerate(meds)]
    return check_findings(write_export(tmp_path, data), "ELIG-PRIOR-THERAPY")


def gc_dose(cohort, factor=1.0):
    """mg per day of prednisone-equivalent that just meets the cohort's mg/kg/day, as mg of a drug `factor`."""
    return RULES[cohort]["gc_min_mg_kg_day"] * WEIGHT / factor


MMF = med("MYCOPHENOLATE MOFETIL", 500, freq="BID", start="2024-06")


def test_clean_sle_course_gives_no_finding(tmp_path):
    assert run(tmp_path, [med("PREDNISONE", gc_dose("SLE")), MMF]).is_empty()


def test_dose_below_the_cohort_minimum(tmp_path):
    f = run(tmp_path, [med("PREDNISONE", gc_dose("SLE") - 2), MMF])
    assert f.select("form", "field", "value", "severity", "dvcat").rows() == \
        [("ie", "IEORRES", "Y", "non-important", "eligibility")]
    assert "glucocorticoid dose started by 2025-09-11" in f["message"][0]
    assert "0.95 mg/kg/day" in f["message"][0]  # 38 mg / 40 kg


@pytest.mark.parametrize("drug,factor,unit,freq,dose", [
    ("METHYLPREDNISOLONE", 1.25, "mg", "QD", None),   # 32 mg = 40 mg prednisone
    ("PREDNISONE", 1.0, "mg", "BID", 20),            # 2 x 20 mg a day
    ("PREDNISOLONE", 1.0, "mg/kg", "QD", 1),          # dose already per kg
])
def test_equivalents_frequencies_and_units(tmp_path, drug, factor, unit, freq, dose):
    dose = gc_dose("SLE", factor) if dose is None else dose
    assert run(tmp_path, [med(drug, dose, unit, freq), MMF]).is_empty()


def test_immunomodulator_must_be_on_the_cohorts_list(tmp_path):
    # Hydroxychloroquine counts for systemic sclerosis, not for SLE.
    hcq = med("HYDROXYCHLOROQUINE", 200, start="2024-06")
    f = run(tmp_path, [med("PREDNISONE", gc_dose("SLE")), hcq])
    assert "immunomodulator not found" in f["message"][0]
    assert run(tmp_path, [med("PREDNISONE", gc_dose("SSC")), hcq], cohort="SSC").is_empty()


def test_started_too_recently(tmp_path):
    late = med("MYCOPHENOLATE MOFETIL", 500, freq="BID", start="2025-10-01")
    assert run(tmp_path, [med("PREDNISONE", gc_dose("SLE")), late]).height == 1
    # A partial start date counts from its earliest day: 2025-09 may be 1 September, within the window.
    month = med("MYCOPHENOLATE MOFETIL", 500, freq="BID", start="2025-09")
    assert run(tmp_path, [med("PREDNISONE", gc_dose("SLE")), month]).is_empty()


def test_unconvertible_dose_is_not_counted(tmp_path):
    f = run(tmp_path, [med("PREDNISONE", 60, freq="PRN"), MMF])
    assert "no glucocorticoid dose convertible" in f["message"][0]


@pytest.mark.parametrize("ieorres,waiver", [("Y", "Y"), ("N", "")])
def test_waived_or_not_met_is_left_to_the_form_checks(tmp_path, ieorres, waiver):
    assert run(tmp_path, [MMF], ieorres=ieorres, waiver=waiver).is_empty()


def test_cohorts_without_the_rule_are_not_judged(tmp_path):
    assert run(tmp_path, [], cohort="IGAN").is_empty()


def test_no_medication_form(tmp_path):
    data = minimal_subject(SID, COHORT="SLE", WEIGHT=str(WEIGHT))
    data["ie"].append(KEY | {"IETESTCD": "SLE03", "IECAT": "INCLUSION", "IEORRES": "Y"})
    f = check_findings(write_export(tmp_path, data), "ELIG-PRIOR-THERAPY")
    assert f.height == 1 and "glucocorticoid dose and immunomodulator" in f["message"][0]
