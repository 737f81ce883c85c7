"""LAB-PART-TOTAL: a differential count above the leukocytes of its panel, after conversion to SI."""

from helpers import check_findings, minimal_subject, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": "01-001"}


def lb(test, result, unit, visit="D7", visitnum="5", day="2026-01-20"):
    return KEY | {"VISIT": visit, "VISITNUM": visitnum, "LBDAT": day, "LBTESTCD": test, "LBORRES": result,
                  "LBORRESU": unit}


def run(tmp_path, rows):
    forms = minimal_subject()
    forms["lb"] = rows
    return check_findings(write_export(tmp_path, forms), "LAB-PART-TOTAL")


def test_parts_within_their_total_give_nothing(tmp_path):
    rows = [lb("WBC", "5.0", "10^9/L"), lb("NEUT", "3.0", "10^9/L"), lb("LYM", "1500", "/uL"),
            lb("WBC", "1.0", "10^9/L", "D14", "6"), lb("NEUT", "<1.5", "10^9/L", "D14", "6"),  # may be below
            lb("NEUT", "9.0", "10^9/L", "D28", "7")]                                          # no total that day
    assert run(tmp_path, rows).is_empty()


def test_part_above_total_is_caught(tmp_path):
    rows = [lb("WBC", "5.0", "10^9/L"), lb("NEUT", "6.5", "10^9/L"), lb("LYM", "5200", "/uL"),
            lb("WBC", "1.0", "10^3/uL", "D14", "6"), lb("NEUT", "1.0", "10^9/L", "D14", "6")]  # equal: fine
    f = run(tmp_path, rows)
    assert sorted(f.select("field", "value").rows()) == [("LBORRES", "5200"), ("LBORRES", "6.5")]
    assert "above the WBC 5.0" in f["message"][0]
