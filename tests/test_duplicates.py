"""DUP-RECORD: the same adverse event or medication entered twice under a new sequence number."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}


def ae(subjid, seq, term="Nausea", start="2026-01-02", end="2026-01-05"):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "AETERM": term, "AECAT": "OTHER", "AESTDAT": start,
                  "AEENDAT": end, "AEONGO": "N", "AETOXGR": "1", "AESER": "N", "AEOUT": "RECOVERED/RESOLVED"}


def cm(subjid, seq, name="PARACETAMOL", dose="500", start="2026-01-01", end="2026-01-01"):
    return KEY | {"SUBJID": subjid, "CMSEQ": str(seq), "CMCAT": "CONCOMITANT", "CMTRT": name, "CMDOSE": dose,
                  "CMDOSU": "mg", "CMDOSFRQ": "ONCE", "CMROUTE": "ORAL", "CMSTDAT": start, "CMENDAT": end,
                  "CMONGO": "N"}


# Alike but not the same: another subject, another end date, another dose, a recurrence with an open end.
CLEAN = {"ae": [ae("01-001", 1), ae("01-002", 1), ae("01-001", 2, end="2026-01-06"),
                ae("01-001", 3, start="2026-02-02", end=""), ae("01-001", 4, start="2026-03-02", end="")],
         "cm": [cm("01-001", 1), cm("01-001", 2, dose="250"), cm("01-002", 1), cm("01-001", 3, start="2026-01-02")]}


def rows_of(f):
    return sorted(f.select("subject", "form", "field", "value").rows())


def test_alike_records_are_not_duplicates(tmp_path):
    assert check_findings(write_export(tmp_path, CLEAN), "DUP-RECORD").is_empty()


def test_event_and_medication_entered_twice(tmp_path):
    forms = {"ae": CLEAN["ae"] + [ae("01-001", 7, term="  NAUSEA "), ae("01-002", 2), ae("01-002", 3)],
             "cm": CLEAN["cm"] + [cm("01-001", 9)]}
    f = check_findings(write_export(tmp_path, forms), "DUP-RECORD")
    assert rows_of(f) == [("01-001", "ae", "AESEQ", "7"), ("01-001", "cm", "CMSEQ", "9"),
                          ("01-002", "ae", "AESEQ", "2"), ("01-002", "ae", "AESEQ", "3")]
    assert "same AETERM, AESTDAT, AEENDAT as AESEQ 1" in " ".join(f["message"])
    assert set(f["severity"]) == {"warning"}


def test_a_record_exported_twice_is_left_to_the_key_check(tmp_path):
    forms = {"ae": CLEAN["ae"] + [ae("01-001", 1)], "cm": CLEAN["cm"]}
    folder = write_export(tmp_path, forms)
    assert check_findings(folder, "DUP-RECORD").is_empty()
    assert check_findings(folder, "FORM-DUPKEY").height == 1
