"""KIDNEY-EGFR and KIDNEY-BSA on small exports: clean data gives no finding, a seeded error is caught."""

from helpers import check_findings, write_export

from ecrf.clinical.bsa import mosteller
from ecrf.clinical.egfr import ckid_u25

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}


findings = check_findings


def dm(subjid, sex, age, brthdat="2014-03"):
    return KEY | {"SUBJID": subjid, "COHORT": "SLE", "SEX": sex, "BRTHDAT": brthdat, "AGE": str(age), "AGEU": "YEARS"}


def vs(subjid, visit, visitnum, height, weight):
    return KEY | {"SUBJID": subjid, "VISIT": visit, "VISITNUM": str(visitnum), "VSDAT": "2025-12-11",
                  "HEIGHT": str(height), "WEIGHT": str(weight)}


def lb(subjid, test, result, unit, visitnum=1, lbdat="2025-12-11"):
    return KEY | {"SUBJID": subjid, "VISIT": "SCR", "VISITNUM": str(visitnum), "LBDAT": lbdat, "LBTESTCD": test,
                  "LBORRES": str(result), "LBORRESU": unit}


def egfr_export(tmp_path, egfr_a="51.6", egfr_b="51.6"):
    # 01-001: male, 11 y, 120 cm, creatinine 0.9 mg/dL -> CKiD U25 51.6 (Pierce 2021 test vector).
    # 01-002: same in umol/L (0.9 x 88.4 = 79.56). 01-003: age from a complete birth date at the lab date.
    age_c = (2025 - 2010) + (344 / 365.25)  # 2010-01-01 .. 2025-12-11
    egfr_c = round(ckid_u25("F", 15.94, 160, 1.1), 1)
    assert abs(egfr_c - ckid_u25("F", age_c, 160, 1.1)) < 0.2
    return write_export(tmp_path, {
        "dm": [dm("01-001", "M", 11), dm("01-002", "M", 11), dm("01-003", "F", 15, "2010-01-01")],
        "vs": [vs("01-001", "SCR", 1, 120, 30), vs("01-002", "SCR", 1, 120, 30), vs("01-003", "SCR", 1, 160, 50)],
        "lb": [lb("01-001", "CREAT", 0.9, "mg/dL"), lb("01-001", "EGFR", egfr_a, "mL/min/1.73m2"),
               lb("01-002", "CREAT", 79.56, "umol/L"), lb("01-002", "EGFR", egfr_b, "mL/min/1.73m2"),
               lb("01-003", "CREAT", 1.1, "mg/dL"), lb("01-003", "EGFR", egfr_c, "mL/min/1.73m2")],
    })


def test_egfr_clean(tmp_path):
    assert findings(egfr_export(tmp_path), "KIDNEY-EGFR").is_empty()


def test_egfr_seeded(tmp_path):
    f = findings(egfr_export(tmp_path, egfr_b="70"), "KIDNEY-EGFR")
    assert f.select("subject", "field", "value").rows() == [("01-002", "LBORRES", "70")]


def test_egfr_censored_result_not_compared(tmp_path):
    assert findings(egfr_export(tmp_path, egfr_a=">90"), "KIDNEY-EGFR").is_empty()


def ld(subjid, bsa, seq=1):
    return KEY | {"SUBJID": subjid, "LDSEQ": str(seq), "LDTRT": "FLUDARABINE", "LDDAT": "2026-01-05",
                  "LDDOSE": "29", "LDBSA": str(bsa), "LDBSAMTH": "MOSTELLER"}


def bsa_export(tmp_path, bsa_a=None, bsa_b=None):
    # 01-001 has vital signs at LD (used) and at SCR (ignored); 01-002 only at SCR (the fallback).
    a = bsa_a or round(mosteller(140, 35), 2)
    b = bsa_b or round(mosteller(150, 42), 2)
    return write_export(tmp_path, {
        "vs": [vs("01-001", "SCR", 1, 130, 30), vs("01-001", "LD", 2, 140, 35), vs("01-002", "SCR", 1, 150, 42)],
        "ld": [ld("01-001", a), ld("01-002", b)],
    })


def test_bsa_clean(tmp_path):
    assert findings(bsa_export(tmp_path), "KIDNEY-BSA").is_empty()


def test_bsa_seeded(tmp_path):
    # 1.05 m2 would match the screening visit (130 cm, 30 kg), not the LD visit that the check uses.
    f = findings(bsa_export(tmp_path, bsa_a=round(mosteller(130, 30), 2), bsa_b=1.6), "KIDNEY-BSA")
    assert sorted(f.select("subject", "field").rows()) == [("01-001", "LDBSA"), ("01-002", "LDBSA")]
