"""SCORE-SLEDAI-LAB and drug causes: SLEDAI-2K thrombocytopenia and leukopenia exclude drug causes, so a low count
recorded as absent is not queried after lymphodepletion (SledaiDrugExclusion window) or when the form records a
drug cause; outside the window and without a cause it still is, and a descriptor recorded present against normal
counts is queried whatever the cause."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import check_findings, write_export
from test_scores import KEY, lb, sledai

from ecrf.model import load_model
from ecrf.params import class_parameter

WINDOW = class_parameter(load_model(), "SledaiDrugExclusion", "lymphodepletion_window_days")
ASSESSED = date(2026, 2, 1)  # the date of sledai() and lb() records


def ld(subjid: str, days_before: int) -> dict:
    when = (ASSESSED - timedelta(days=days_before)).isoformat()
    return KEY | {"SUBJID": subjid, "LDSEQ": "1", "LDTRT": "FLUDARABINE", "LDDAT": when, "LDDOSE": "30"}


LOW = [lb("01-001", "PLAT", 60, "10^9/L", 150, 450), lb("01-001", "WBC", 1.8, "10^9/L", 4, 12)]


def findings(tmp_path, sledai_row, ld_rows=(), labs=LOW):
    forms = {"sledai": [sledai_row], "lb": list(labs)}
    if ld_rows:
        forms["ld"] = list(ld_rows)
    return sorted(check_findings(write_export(tmp_path, forms), "SCORE-SLEDAI-LAB")
                  .select("subject", "field", "value").rows())


@pytest.mark.parametrize("days_before", [1, 28, WINDOW])
def test_low_counts_within_the_window_after_lymphodepletion_are_drug_caused(tmp_path, days_before):
    assert findings(tmp_path, sledai("01-001"), [ld("01-001", days_before)]) == []


def test_a_drug_cause_recorded_on_the_form_excuses_the_absent_descriptor(tmp_path):
    assert findings(tmp_path, sledai("01-001", SLTHRDRG="Y", SLLEUDRG="Y")) == []


def test_a_cause_for_one_descriptor_leaves_the_other_queried(tmp_path):
    assert findings(tmp_path, sledai("01-001", SLTHRDRG="Y")) == [("01-001", "SLLEUK", "N")]


@pytest.mark.parametrize("ld_rows", [(), (ld("01-001", WINDOW + 1),), (ld("01-001", -3),)])
def test_without_a_drug_cause_low_counts_recorded_absent_are_queried(tmp_path, ld_rows):
    """No lymphodepletion, lymphodepletion longer ago than the window, or only after the assessment."""
    assert findings(tmp_path, sledai("01-001"), ld_rows) == [("01-001", "SLLEUK", "N"), ("01-001", "SLTHROMB", "N")]


def test_present_against_normal_counts_is_queried_even_after_lymphodepletion(tmp_path):
    normal = [lb("01-001", "PLAT", 250, "10^9/L", 150, 450), lb("01-001", "WBC", 6.0, "10^9/L", 4, 12)]
    assert findings(tmp_path, sledai("01-001", "slthromb", SLTHRDRG="Y"), [ld("01-001", 5)], normal) == [
        ("01-001", "SLTHROMB", "Y")]


def test_other_lab_descriptors_are_not_excused(tmp_path):
    """Only descriptors that exclude drug causes are: high anti-dsDNA recorded absent is queried after LD too."""
    labs = [lb("01-001", "DSDNA", 80, "IU/mL", 0, 30)]
    assert findings(tmp_path, sledai("01-001"), [ld("01-001", 5)], labs) == [("01-001", "SLDNA", "N")]
