"""CRS and ICANS in time: not before the infusion, graded within their adverse event, and graded at all."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}
D0 = "2026-01-10"


def ae(subjid, seq, cat="CRS", start="2026-01-12", end="2026-01-14"):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "AETERM": cat, "AECAT": cat, "AESTDAT": start,
                  "AEENDAT": end, "AEONGO": "N" if end else "Y", "AETOXGR": "1", "AESER": "N"}


def crs(subjid, seq, day):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "CRSDAT": day, "CRSGR": "1", "CRSFEVER": "Y",
                  "CRSTMAX": "38.5", "CRSVASO": "0", "CRSVSPRS": "N", "CRSOXY": "NONE"}


def icans(subjid, seq, day):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "ICANSDAT": day, "ICANSGR": "1", "ICANSTOOL": "ICE",
                  "ICESCORE": "8"}


def ex(subjid, day=D0):
    return KEY | {"SUBJID": subjid, "EXNUM": "1", "EXSTDAT": day, "EXDOSE": "1e6", "EXDOSU": "cells/kg"}


def rows_of(f):
    return sorted(f.select("subject", "form", "field", "value").rows())


# Clean: a CRS on days 2-4 graded daily, an ICANS still ongoing, a partial start date that may be after day 0,
# a CRS starting on the day of the infusion, and an AE of another category without grading.
CLEAN = {
    "ae": [ae("01-001", 1), ae("01-001", 2, "ICANS", "2026-01-15", ""), ae("01-002", 1, start="2026-01", end=""),
           ae("01-003", 1, start=D0, end=D0), ae("01-003", 2, "OTHER", "2026-01-01", "2026-01-02")],
    "crs": [crs("01-001", 1, d) for d in ("2026-01-12", "2026-01-13", "2026-01-14")]
    + [crs("01-002", 1, "2026-01-11"), crs("01-003", 1, D0)],
    "icans": [icans("01-001", 2, "2026-01-15"), icans("01-001", 2, "2026-01-20")],
    "ex": [ex("01-001"), ex("01-002"), ex("01-003")],
}
CHECKS = ("SAFE-IEC-BEFORE-INFUSION", "SAFE-GRADING-OUTSIDE-AE", "SAFE-AE-NO-GRADING")


def export(tmp_path, **extra):
    forms = {k: v + extra.get(k, []) for k, v in CLEAN.items()}
    return write_export(tmp_path, forms)


def test_clean_events_give_nothing(tmp_path):
    folder = export(tmp_path)
    for cid in CHECKS:
        assert check_findings(folder, cid).is_empty(), cid


def test_crs_or_icans_before_the_infusion(tmp_path):
    folder = export(tmp_path,
                    ae=[ae("01-004", 1, start="2026-01-09"), ae("01-005", 1, "ICANS", "2025-12", "2026-01-11"),
                        ae("01-006", 1, start="2026-01-12")],
                    crs=[crs("01-004", 1, "2026-01-12"), crs("01-006", 1, "2026-01-12")],
                    icans=[icans("01-005", 1, "2026-01-11")], ex=[ex("01-004"), ex("01-005")])
    f = check_findings(folder, "SAFE-IEC-BEFORE-INFUSION")
    assert rows_of(f) == [("01-004", "ae", "AESTDAT", "2026-01-09"), ("01-005", "ae", "AESTDAT", "2025-12"),
                          ("01-006", "ae", "AESTDAT", "2026-01-12")]
    msgs = dict(zip(f["subject"], f["message"]))
    assert "before the first KN5601-K infusion on 2026-01-10" in msgs["01-004"]
    assert "no KN5601-K infusion" in msgs["01-006"]  # CRS in a subject never infused


def test_without_the_infusion_form_nothing_is_judged(tmp_path):
    forms = {k: v for k, v in CLEAN.items() if k != "ex"}
    forms["ae"] = forms["ae"] + [ae("01-004", 1, start="2025-01-01")]
    folder = write_export(tmp_path, forms)
    assert check_findings(folder, "SAFE-IEC-BEFORE-INFUSION").is_empty()


def test_grading_outside_its_event(tmp_path):
    folder = export(tmp_path,
                    ae=[ae("01-004", 1), ae("01-005", 1, "ICANS", "2026-01-15", "2026-01-16"),
                        ae("01-006", 1, start="2026-01-14", end="2026-01-12")],
                    crs=[crs("01-004", 1, "2026-01-11"), crs("01-004", 1, "2026-01-12"),
                         crs("01-004", 1, "2026-01-16"), crs("01-004", 1, "2026-01-17"),
                         crs("01-006", 1, "2026-01-13")],
                    icans=[icans("01-005", 1, "2026-01-17")], ex=[ex("01-004"), ex("01-005"), ex("01-006")])
    f = check_findings(folder, "SAFE-GRADING-OUTSIDE-AE")
    # One finding per event, on its earliest day outside; an event ending before it starts is SAFE-AE-DATES'.
    assert rows_of(f) == [("01-004", "crs", "CRSDAT", "2026-01-11"), ("01-005", "icans", "ICANSDAT", "2026-01-17")]
    msg = f.filter(f["subject"] == "01-004")["message"][0]
    assert "3 grading day(s) outside" in msg and "2026-01-12 to 2026-01-14" in msg


def test_event_without_grading(tmp_path):
    folder = export(tmp_path, ae=[ae("01-004", 1), ae("01-004", 2, "ICANS", "2026-01-15", "2026-01-16"),
                                  ae("01-005", 3)],
                    crs=[crs("01-005", 1, "2026-01-12")], ex=[ex("01-004"), ex("01-005")])
    f = check_findings(folder, "SAFE-AE-NO-GRADING")
    assert rows_of(f) == [("01-004", "ae", "AESEQ", "1"), ("01-004", "ae", "AESEQ", "2"), ("01-005", "ae", "AESEQ", "3")]
    assert "no daily grading on the icans form" in f.filter(f["value"] == "2")["message"][0]


def test_no_grading_form_in_the_export_is_not_judged(tmp_path):
    forms = {k: v for k, v in CLEAN.items() if k not in ("crs", "icans")}
    folder = write_export(tmp_path, forms)
    assert check_findings(folder, "SAFE-AE-NO-GRADING").is_empty()
