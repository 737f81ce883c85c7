"""Lab status and result pairs: not done with a result, an empty result without a not-done status."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01", "VISIT": "D7", "VISITNUM": "4", "LBDAT": "2026-01-27"}


def lb(subjid, test, result, stat="", reason=""):
    return KEY | {"SUBJID": subjid, "LBTESTCD": test, "LBORRES": result, "LBORRESU": "10^9/L" if result else "",
                  "LBSTAT": stat, "LBREASND": reason}


def rows_of(f):
    return sorted(f.select("subject", "field", "value").rows())


CLEAN = [lb("01-001", "WBC", "6.0"), lb("01-001", "NEUT", "", "NOT DONE", "haemolysed sample"),
         lb("01-001", "LYM", "ND", "NOT DONE", "clotted"), lb("01-001", "PLAT", "nd")]


def test_clean_pairs_give_nothing(tmp_path):
    folder = write_export(tmp_path, {"lb": CLEAN})
    assert check_findings(folder, "LAB-NOT-DONE-RESULT").is_empty()
    assert check_findings(folder, "LAB-RESULT-MISSING").is_empty()


def test_not_done_with_a_result(tmp_path):
    folder = write_export(tmp_path, {"lb": CLEAN + [lb("01-002", "WBC", "5.1", "NOT DONE", "lost"),
                                                    lb("01-002", "NEUT", "2.0", "NOT DONE")]})
    f = check_findings(folder, "LAB-NOT-DONE-RESULT")
    assert rows_of(f) == [("01-002", "LBORRES", "2.0"), ("01-002", "LBORRES", "5.1")]
    assert "WBC marked NOT DONE (lost) but a result 5.1 10^9/L is recorded" in f.filter(f["value"] == "5.1")["message"][0]


def test_empty_result_without_status(tmp_path):
    folder = write_export(tmp_path, {"lb": CLEAN + [lb("01-002", "WBC", "")]})
    f = check_findings(folder, "LAB-RESULT-MISSING")
    assert rows_of(f) == [("01-002", "LBORRES", "")]
    assert f["message"][0] == "WBC of D7 on 2026-01-27 has neither a result nor a not-done status"
