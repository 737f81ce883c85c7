"""Dates against their visit: an occurred visit has a date, a specimen is near its visit, completion after the
last visit."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}


def sv(subjid, visit, num, day, occur="Y"):
    return KEY | {"SUBJID": subjid, "VISIT": visit, "VISITNUM": str(num), "SVSTDAT": day, "SVOCCUR": occur}


def lb(subjid, visit, num, day, test="WBC", result="6.0"):
    return KEY | {"SUBJID": subjid, "VISIT": visit, "VISITNUM": str(num), "LBDAT": day, "LBTESTCD": test,
                  "LBORRES": result, "LBORRESU": "10^9/L"}


def ds(subjid, code, day):
    return KEY | {"SUBJID": subjid, "DSDECOD": code, "DSSTDAT": day}


def rows_of(f):
    return sorted(f.select("subject", "form", "field", "value").rows())


SV = [sv("01-001", "SCR", 1, "2026-01-02"), sv("01-001", "D7", 4, "2026-01-27"),
      sv("01-001", "M2", 12, "2026-03-22"), sv("01-001", "M3", 13, "", occur="N")]
# Screening specimens up to the no-window days away, D7 one day late (its window is +/-1), M2 three days early.
LB = [lb("01-001", "SCR", 1, "2026-01-09"), lb("01-001", "SCR", 1, "2025-12-26", "NEUT", "3.0"),
      lb("01-001", "D7", 4, "2026-01-28"), lb("01-001", "M2", 12, "2026-03-19")]


def test_clean_dates_give_nothing(tmp_path):
    folder = write_export(tmp_path, {"sv": SV, "lb": LB, "ds": [ds("01-001", "COMPLETED", "2026-03-22")]})
    for cid in ("XF-SV-NO-DATE", "XF-LB-VISIT-DATE", "XF-DS-COMPLETED"):
        assert check_findings(folder, cid).is_empty(), cid


def test_occurred_visit_without_date(tmp_path):
    folder = write_export(tmp_path, {"sv": SV + [sv("01-002", "SCR", 1, ""), sv("01-002", "D1", 3, "", "N")]})
    f = check_findings(folder, "XF-SV-NO-DATE")
    assert rows_of(f) == [("01-002", "sv", "SVSTDAT", "")]
    assert "SCR recorded as taken place" in f["message"][0]


def test_specimen_far_from_its_visit(tmp_path):
    far = [lb("01-001", "SCR", 1, "2025-12-25", "LYM", "2.0"),  # 8 days before screening
           lb("01-001", "D7", 4, "2026-01-29", "NEUT", "3.0"), lb("01-001", "D7", 4, "2026-01-29", "LYM", "2.0"),
           lb("01-001", "M2", 12, "2026-03-18", "NEUT", "3.0"),
           lb("01-001", "M4", 99, "2026-06-01", "NEUT", "3.0")]  # a visit the subject has no record of: not judged
    folder = write_export(tmp_path, {"sv": SV, "lb": LB + far})
    f = check_findings(folder, "XF-LB-VISIT-DATE")
    # The two D7 records of one specimen date are one finding.
    assert rows_of(f) == [("01-001", "lb", "LBDAT", "2025-12-25"), ("01-001", "lb", "LBDAT", "2026-01-29"),
                          ("01-001", "lb", "LBDAT", "2026-03-18")]
    msgs = dict(zip(f["value"], f["message"]))
    assert "2 lab record(s) of visit D7 collected 2026-01-29, 2 day(s) after the visit date 2026-01-27" == \
        msgs["2026-01-29"]
    assert f.filter(f["value"] == "2026-03-18")["expected"][0] == "from 2026-03-19 to 2026-03-25 (M2 date 2026-03-22 -3/+3 days)"


def test_specimen_far_from_its_visit_counted_over_interleaved_records(tmp_path):
    """A specimen's records need not sit together: in record-key order (subject, visit number, test) the two far
    D7 records have a record of the visit date between them, and are still counted on the one finding."""
    d7 = [lb("01-001", "D7", 4, "2026-01-29", "ALT", "20"), lb("01-001", "D7", 4, "2026-01-27", "LYM", "2.0"),
          lb("01-001", "D7", 4, "2026-01-29", "WBC", "6.0")]
    f = check_findings(write_export(tmp_path, {"sv": SV, "lb": LB + d7}), "XF-LB-VISIT-DATE")
    assert rows_of(f) == [("01-001", "lb", "LBDAT", "2026-01-29")]
    assert f["message"][0].startswith("2 lab record(s) of visit D7 collected 2026-01-29")


def test_completed_before_later_visits(tmp_path):
    extra = [sv("01-002", "SCR", 1, "2026-01-02"), sv("01-002", "D7", 4, "2026-01-27")]
    folder = write_export(tmp_path, {"sv": SV + extra,
                                     "ds": [ds("01-001", "COMPLETED", "2026-01-27"),
                                            ds("01-002", "WITHDRAWAL BY SUBJECT", "2026-01-20")]})
    f = check_findings(folder, "XF-DS-COMPLETED")
    assert rows_of(f) == [("01-001", "ds", "DSSTDAT", "2026-01-27")]
    assert f["message"][0] == "COMPLETED dated 2026-01-27, before 1 visit(s) that took place, the last M2 on 2026-03-22"
