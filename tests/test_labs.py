"""Lab catalogue, result parsing, CTCAE grading and the LAB-* checks on small exports."""

import polars as pl
import pytest
from helpers import check_findings, minimal_subject, write_export

from ecrf.clinical.ctcae import grade, grade_range_exprs, terms
from ecrf.clinical.labcatalogue import catalogue, parse_units
from ecrf.clinical.labresult import CENSORED, EMPTY, NOT_DONE, NUMBER, TEXT, parse

KEY = {"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": "01-001"}


# --- parsing ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, comparator, number, status", [
    ("12.5", None, 12.5, NUMBER),
    (".5", None, 0.5, NUMBER),
    ("5.", None, 5.0, NUMBER),
    ("-1", None, -1.0, NUMBER),
    ("1.2e3", None, 1200.0, NUMBER),
    ("<0.5", "<", 0.5, CENSORED),
    ("< 0.5", "<", 0.5, CENSORED),
    ("  <0.5 ", "<", 0.5, CENSORED),
    ("<=3", "<=", 3.0, CENSORED),
    ("=<3", "<=", 3.0, CENSORED),
    (">1000", ">", 1000.0, CENSORED),
    (">= 1000", ">=", 1000.0, CENSORED),
    ("≥1000", ">=", 1000.0, CENSORED),
    ("≤0.1", "<=", 0.1, CENSORED),
    ("ND", None, None, NOT_DONE),
    ("not done", None, None, NOT_DONE),
    ("NOT DONE", None, None, NOT_DONE),
    ("Not Done", None, None, NOT_DONE),
    ("POSITIVE", None, None, TEXT),
    ("1,5", None, None, TEXT),       # a decimal comma is not guessed
    ("0.5 mg/L", None, None, TEXT),  # a unit in the result is not stripped
    (">", None, None, TEXT),
    ("<<1", None, None, TEXT),
    ("", None, None, EMPTY),
    (None, None, None, EMPTY),
])
def test_parse_awkward_results(text, comparator, number, status):
    r = parse(text)
    assert r["text"] == text  # the original is kept
    assert (r["comparator"], r["status"]) == (comparator, status)
    assert r["number"] == (None if number is None else pytest.approx(number))


# --- catalogue --------------------------------------------------------------------------------------------

def test_catalogue_reads_units_limits_and_loinc():
    c = catalogue()
    assert c["CREAT"].units == {"umol/L": 1.0, "mg/dL": 88.4}
    assert c["HGB"].units["g/dL"] == 10 and c["CRP"].units["mg/dL"] == 10
    assert c["NEUT"].units["/uL"] == pytest.approx(0.001)
    assert c["UPCR"].units["mg/mmol"] == pytest.approx(1 / 113.1, rel=1e-4)
    assert c["WBC"].loinc == "6690-2" and c["ALT"].loinc == "1742-6"
    assert c["ALB"].hard == (5, 70) and c["CRP"].hard == (0, 600)
    assert c["HBSAG"].qualitative and not c["HBSAG"].units
    # Every quantitative test has an SI unit among its allowed units, with factor 1.
    for t in c.values():
        if t.units:
            assert t.units.get(t.si_unit) == 1, t.code
    assert parse_units("10^9/L=1 /uL=0.001") == {"10^9/L": 1.0, "/uL": 0.001}


def test_every_mapped_ctcae_term_exists():
    known = terms()
    for t in catalogue().values():
        for term in t.ctcae:
            assert term in known, (t.code, term)


# --- CTCAE grading, hand-worked ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    # Neutrophils (x10^9/L), LLN 1.5: G1 < LLN, G2 < 1.5, G3 < 1.0, G4 < 0.5.
    (("NEUT", 2.0, 1.5, 8.0), 0),
    (("NEUT", 1.2, 1.5, 8.0), 2),
    (("NEUT", 0.7, 1.5, 8.0), 3),
    (("NEUT", 0.4, 1.5, 8.0), 4),
    (("NEUT", 1.8, 2.0, 8.0), 1),
    # Lymphocytes: 0.3 < 0.5 -> G3; 0.1 < 0.2 -> G4.
    (("LYM", 0.3, 1.0, 5.0), 3),
    (("LYM", 0.1, 1.0, 5.0), 4),
    # Platelets: 60 < 75 -> G2; 20 < 25 -> G4.
    (("PLAT", 60, 150, 450), 2),
    (("PLAT", 20, 150, 450), 4),
    # Haemoglobin (g/L): 105 < LLN 110 -> G1; 90 < 100 -> G2; 75 < 80 -> G3; ULN 150 + 25 -> increased G2.
    (("HGB", 105, 110, 150), 1),
    (("HGB", 90, 110, 150), 2),
    (("HGB", 75, 110, 150), 3),
    (("HGB", 175, 110, 150), 2),
    # ALT, ULN 40, normal baseline: 121 > 3 x 40 -> G2; 201 > 5 x 40 -> G3; 801 > 20 x 40 -> G4.
    (("ALT", 121, 5, 40), 2),
    (("ALT", 201, 5, 40), 3),
    (("ALT", 801, 5, 40), 4),
    # ALT after a high baseline of 100: 160 >= 1.5 x 100 -> G1; 45 -> 0 although above ULN.
    (("ALT", 160, 5, 40, 100, True), 1),
    (("ALT", 45, 5, 40, 100, True), 0),
    # ALT after a normal baseline: the ULN rules apply.
    (("ALT", 45, 5, 40, 30, False), 1),
    # Creatinine (umol/L), ULN 80: 100 -> G1; baseline 40 and 70 > 1.5 x 40 -> G2 although below ULN; 500 > 6 x 80 -> G4.
    (("CREAT", 100, 20, 80), 1),
    (("CREAT", 70, 20, 80, 40), 2),
    (("CREAT", 500, 20, 80), 4),
    # Fibrinogen (g/L), LLN 2: 1.4 < 0.75 x 2 -> G2; 0.45 < 0.5 (absolute) -> G4.
    (("FIBRINO", 1.4, 2.0, 4.0), 2),
    (("FIBRINO", 0.45, 2.0, 4.0), 4),
    # Potassium: 6.2 > 6 -> G3. Sodium: 152 > 150 -> G2.
    (("K", 6.2, 3.5, 5.0), 3),
    (("SODIUM", 152, 135, 145), 2),
    # Not gradable: no mapped term, or a needed limit missing.
    (("CRP", 50, 0, 8), None),
    (("ALT", 50, None, None), None),
])
def test_grade_hand_worked(args, expected):
    test, value, lln, uln, *rest = args
    base = rest[0] if rest else None
    high = rest[1] if len(rest) > 1 else False
    assert grade(test, value, lln, uln, base, high) == expected


def _range(rows, tol=0.005):
    df = pl.DataFrame(rows, schema={"t": pl.Utf8, "lo": pl.Float64, "hi": pl.Float64, "lln": pl.Float64,
                                    "uln": pl.Float64}, orient="row")
    gmin, gmax, ok = grade_range_exprs(pl.col("t"), pl.col("lo"), pl.col("hi"), pl.col("lln"), pl.col("uln"),
                                       pl.lit(None, pl.Float64), pl.lit(False), tol=tol)
    return df.select(gmin.alias("a"), gmax.alias("b"), ok.alias("ok")).rows()


def test_grade_range_tolerance_censoring_and_clinical_grades():
    rows = _range([
        ("ALT", 120.2, 120.2, 5, 40),                # within 0.5% of 3 x ULN: grade 1 or 2
        ("LYM", float("-inf"), 0.5, 1.0, 5.0),     # "<0.5": at least grade 2
        ("HGB", 70, 70, 110, 150),                   # anaemia G3 is the last lab grade; G4 needs clinical facts
        ("NEUT", 3, 3, 1.5, 8),                      # normal
        ("CRP", 3, 3, 0, 8),                         # not mapped
    ])
    assert rows == [(1, 2, True), (2, 4, True), (3, 4, True), (0, 0, True), (None, None, False)]


# --- checks on small exports --------------------------------------------------------------------------------

def lb(test, result, unit, lo="", hi="", ind="", grade_="", visit="D7", visitnum="5", stat=""):
    return KEY | {"VISIT": visit, "VISITNUM": visitnum, "LBDAT": "2026-01-20", "LBTESTCD": test,
                  "LBORRES": result, "LBORRESU": unit, "LBORNRLO": lo, "LBORNRHI": hi, "LBNRIND": ind,
                  "LBTOXGR": grade_, "LBSTAT": stat}


def export(tmp_path, rows):
    forms = minimal_subject()
    forms["lb"] = [r | {"VISITNUM": str(i + 2)} for i, r in enumerate(rows)]  # one key per row
    return write_export(tmp_path, forms)


CLEAN = [
    lb("CREAT", "0.6", "mg/dL", "0.3", "0.9", "NORMAL", "0"),
    lb("CRP", "<0.5", "mg/L", "0", "8", "NORMAL"),
    lb("HGB", "9.5", "g/dL", "11", "15", "LOW", "2"),     # 95 g/L: anaemia grade 2
    lb("LYM", "300", "/uL", "1000", "5000", "LOW", "3"),  # 0.3 x 10^9/L: grade 3
    lb("HBSAG", "NEGATIVE", "", ind="NORMAL"),
    lb("ALT", "ND", "U/L", stat="NOT DONE"),
    lb("ALT", "", "", stat="NOT DONE"),
    lb("K", "5.0", "mmol/L", "3.5", "5.0", "NORMAL", "0"),  # on the ULN: normal, grade 0
]


@pytest.mark.parametrize("check_id", ["LAB-UNIT", "LAB-HARD-LIMIT", "LAB-SOFT", "LAB-NRIND", "LAB-CTCAE"])
def test_clean_results_give_no_finding(tmp_path, check_id):
    assert check_findings(export(tmp_path, CLEAN), check_id).is_empty()


def _one(tmp_path, check_id, rows):
    f = check_findings(export(tmp_path, rows), check_id)
    return f.select("field", "value").rows()


def test_lab_unit(tmp_path):
    rows = [lb("CRP", "5", "g/dL", "0", "8", "NORMAL"),   # not allowed for CRP
            lb("ALB", "40", "", "35", "50", "NORMAL"),    # a number without a unit
            lb("CRP", "5", "mg/dL", "0", "0.8", "HIGH")]  # allowed
    assert sorted(_one(tmp_path, "LAB-UNIT", rows)) == [("LBORRESU", ""), ("LBORRESU", "g/dL")]


def test_lab_hard_limit_after_conversion(tmp_path):
    rows = [lb("CREAT", "30", "mg/dL", "0.3", "0.9", "HIGH"),  # 2652 umol/L > 2500
            lb("CREAT", "2400", "umol/L", "20", "80", "HIGH"),  # within
            lb("CRP", "<0.5", "mg/L", "0", "8", "NORMAL"),       # censored at the lower limit: not below 0
            lb("CRP", ">700", "mg/L", "0", "8", "HIGH"),         # every value it stands for is above 600
            lb("CRP", "<700", "mg/L", "0", "8", "NORMAL"),       # may be within
            lb("ALB", "-1", "g/L", "35", "50", "LOW")]           # below 5
    assert sorted(_one(tmp_path, "LAB-HARD-LIMIT", rows)) == [("LBORRES", "-1"), ("LBORRES", "30"),
                                                              ("LBORRES", ">700")]


def test_undetectable_c4_is_accepted(tmp_path):
    """C4 can be truly undetectable: a censored or zero result is no hard-limit finding, a negative one is."""
    rows = [lb("C4", "<0.01", "g/L", "0.1", "0.4", "LOW"),
            lb("C4", "0", "g/L", "0.1", "0.4", "LOW"),
            lb("C4", "<1", "mg/dL", "10", "40", "LOW"),
            lb("C4", "-0.02", "g/L", "0.1", "0.4", "LOW")]
    assert _one(tmp_path, "LAB-HARD-LIMIT", rows) == [("LBORRES", "-0.02")]


def test_lab_soft_band_apart_from_hard_limits(tmp_path):
    rows = [lb("HGB", "4.5", "g/dL", "11", "15", "LOW"),   # 45 g/L: below the query band of 50
            lb("HGB", "1.5", "g/dL", "11", "15", "LOW"),   # 15 g/L: below the hard limit, not a soft finding
            lb("HGB", "120", "g/L", "110", "150", "NORMAL")]
    assert _one(tmp_path, "LAB-SOFT", rows) == [("LBORRES", "4.5")]


def test_lab_soft_band_one_sided(tmp_path):
    rows = [lb("NEUT", "0", "10^9/L", "1.5", "8", "LOW"),       # expected after lymphodepletion: no lower band
            lb("NEUT", "45", "10^9/L", "1.5", "8", "HIGH"),     # above the band of 30
            lb("CREAT", "8", "umol/L", "20", "60", "LOW")]      # below the band of 10
    assert sorted(_one(tmp_path, "LAB-SOFT", rows)) == [("LBORRES", "45"), ("LBORRES", "8")]


# Numeric tests without a soft band, for the reason the schema gives (LabTestCode comments).
NO_SOFT_BAND = {"DSDNA", "HBVDNA", "HCVRNA", "CMVDNA"}


def test_every_numeric_test_has_a_soft_band():
    c = catalogue()
    missing = {t.code for t in c.values() if t.units and t.soft == (None, None)}
    assert missing == NO_SOFT_BAND


def test_lab_nrind(tmp_path):
    rows = [lb("NEUT", "3.0", "10^9/L", "1.5", "8.0", "HIGH"),      # normal value flagged high
            lb("NEUT", "1.0", "10^9/L", "1.5", "8.0", "NORMAL"),    # low value flagged normal
            lb("NEUT", "1.0", "10^9/L", "1.5", "8.0", "ABNORMAL"),  # fine
            lb("NEUT", "1.5", "10^9/L", "1.5", "8.0", "LOW"),       # on the limit: either
            lb("CRP", "<0.5", "mg/L", "1", "8", "NORMAL"),          # every value it stands for is below 1
            lb("CRP", ">10", "mg/L", "0", "8", "HIGH")]             # fine
    assert sorted(_one(tmp_path, "LAB-NRIND", rows)) == [("LBNRIND", "HIGH"), ("LBNRIND", "NORMAL"),
                                                         ("LBNRIND", "NORMAL")]


def test_lab_ctcae(tmp_path):
    rows = [lb("LYM", "0.3", "10^9/L", "1.0", "5.0", "LOW", "1"),    # grade 3 recorded as 1
            lb("PLAT", "60", "10^9/L", "150", "450", "LOW", "2"),   # fine
            lb("HGB", "70", "g/L", "110", "150", "LOW", "4"),        # G3 by value, G4 is clinical: accepted
            lb("ALT", "121", "U/L", "5", "40", "HIGH", "2"),
            lb("CRP", "50", "mg/L", "0", "8", "HIGH", "3")]          # no CTCAE term: not checked
    assert _one(tmp_path, "LAB-CTCAE", rows) == [("LBTOXGR", "1")]


def test_lab_ctcae_uses_the_baseline(tmp_path):
    # Baseline ALT 100 (HIGH, ULN 40): a later 140 is below 1.5 x baseline, grade 0, although above ULN.
    rows = [lb("ALT", "100", "U/L", "5", "40", "HIGH", "1", visit="SCR"),
            lb("ALT", "140", "U/L", "5", "40", "HIGH", "0"),
            lb("ALT", "140", "U/L", "5", "40", "HIGH", "2", visit="D14")]
    assert _one(tmp_path, "LAB-CTCAE", rows) == [("LBTOXGR", "2")]


def test_lab_ctcae_quotes_its_own_row_after_rows_without_a_result(tmp_path):
    # Rows without a result (not done) are in the table but not among the results the lab checks read: the
    # finding still quotes and points at the row it judged, not the row at its place among the results.
    rows = [lb("ALT", "ND", "U/L", stat="NOT DONE"),
            lb("ALT", "", "", stat="NOT DONE"),
            lb("PLAT", "60", "10^9/L", "150", "450", "LOW", "2"),
            lb("LYM", "0.3", "10^9/L", "1.0", "5.0", "LOW", "1"),       # grade 3 recorded as 1
            lb("PLAT", "61", "10^9/L", "150", "450", "LOW", "2"),
            lb("NEUT", "3.0", "10^9/L", "1.5", "8.0", "NORMAL", "0")]
    f = check_findings(export(tmp_path, rows), "LAB-CTCAE")
    assert f.select("field", "value", "source_row").rows() == [("LBTOXGR", "1", 5)]
    assert f["message"][0].startswith("CTCAE grade 1 recorded for LYM 0.3 10^9/L (LLN 1, ULN 5)")


def test_checks_skip_unreadable_input(tmp_path):
    rows = [lb("CRP", "abc", "mg/L", "x", "8", "HIGH", "9"), lb("WBC", "1,5", "10^9/L", "4", "12", "LOW", "2")]
    d = export(tmp_path, rows)
    for check_id in ("LAB-UNIT", "LAB-HARD-LIMIT", "LAB-SOFT", "LAB-NRIND", "LAB-CTCAE"):
        assert check_findings(d, check_id).is_empty(), check_id


def test_checks_survive_missing_columns(tmp_path):
    forms = minimal_subject()
    write_export(tmp_path, forms)
    from helpers import write_form
    write_form(tmp_path, "lb", [lb("CRP", "700", "mg/L")], columns=["STUDYID", "SITEID", "SUBJID", "VISIT", "VISITNUM",
                                                                    "LBDAT", "LBTESTCD", "LBORRES"])
    for check_id in ("LAB-UNIT", "LAB-NRIND", "LAB-CTCAE", "LAB-SOFT"):
        assert check_findings(tmp_path, check_id).is_empty(), check_id
    # Without a unit the value cannot be converted, so it is not compared with the hard limits either.
    assert check_findings(tmp_path, "LAB-HARD-LIMIT").is_empty()


def test_data_dictionary_shows_the_lab_catalogue_and_vital_bands():
    from ecrf.generators.dictionary import render
    from ecrf.model import load_model

    text = render(load_model())
    assert "## Lab test catalogue" in text and "## CTCAE v5.0 lab grades" in text and "## Vital-sign bands by age" in text
    creat = [line for line in text.splitlines() if line.startswith("| `CREAT` |")][-1]  # the catalogue row
    assert "14682-9" in creat and "umol/L x1, mg/dL x88.4" in creat and "5 to 2500" in creat
    assert "CREATININE_INCREASED" in creat and "domain reference section 3" in creat
    assert any(line.startswith("| `HBSAG` |") and "coded: POSITIVE" in line for line in text.splitlines())
    assert any(line.startswith("| `AGE_8_12` |") and "52 to 115" in line for line in text.splitlines())
    assert "hypokalemia" in text  # the unmapped CTCAE terms are documented


def test_scalar_grade_agrees_with_the_vectorised_range():
    # Exact values without tolerance: the plain-number grade (used by the example generator) is the lowest
    # grade the polars expressions allow, and lies within their range.
    cases = [("NEUT", v, 1.5, 8.0) for v in (0.2, 0.5, 0.9, 1.0, 1.4, 1.5, 2.0)] + \
            [("ALT", v, 5, 40) for v in (30, 40, 41, 120, 121, 200, 201, 800, 801)] + \
            [("HGB", v, 110, 150) for v in (70, 80, 95, 105, 120, 160, 175, 195)] + \
            [("SODIUM", v, 135, 145) for v in (140, 146, 151, 156, 161)]
    rows = _range([(t, v, v, lo, hi) for t, v, lo, hi in cases], tol=0.0)
    for (t, v, lo, hi), (gmin, gmax, ok) in zip(cases, rows):
        g = grade(t, v, lo, hi)
        assert ok and gmin == g and g <= gmax, (t, v, g, gmin, gmax)
