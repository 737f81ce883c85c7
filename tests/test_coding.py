"""Dictionary coding on AE (MedDRA) and CM (WHODrug, ATC): formats, completeness, one meaning per code, one
dictionary version per export, the ATC level the study codes to."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}
NAUSEA = {"AELLT": "Nausea", "AELLTCD": "10028813", "AEDECOD": "Nausea", "AEPTCD": "10028813",
          "AESOC": "Gastrointestinal disorders", "AESOCCD": "10017947", "AEDICTV": "27.0"}
CRS = {"AELLT": "Cytokine release syndrome", "AELLTCD": "10052015", "AEDECOD": "Cytokine release syndrome",
       "AEPTCD": "10052015", "AESOC": "Immune system disorders", "AESOCCD": "10021428", "AEDICTV": "27.0"}
PRED = {"CMDECOD": "PREDNISONE", "CMCLAS": "Glucocorticoids", "CMCLASCD": "H02AB", "CMDICTV": "2024 Mar 1"}
UNCODED = dict.fromkeys(NAUSEA, "")


def ae(subjid, seq, coding, term="Nausea"):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "AETERM": term, "AECAT": "OTHER", "AESTDAT": "2026-01-02",
                  "AEENDAT": "2026-01-05", "AEONGO": "N", "AETOXGR": "1", "AESER": "N",
                  "AEOUT": "RECOVERED/RESOLVED"} | coding


def cm(subjid, seq, coding, name="PREDNISONE"):
    return KEY | {"SUBJID": subjid, "CMSEQ": str(seq), "CMCAT": "CONCOMITANT", "CMTRT": name, "CMDOSE": "10",
                  "CMDOSU": "mg", "CMDOSFRQ": "QD", "CMROUTE": "ORAL", "CMSTDAT": "2025-11-01", "CMONGO": "Y"} | coding


CLEAN = {"ae": [ae("01-001", 1, NAUSEA), ae("01-001", 2, CRS, "CRS"), ae("01-002", 1, UNCODED, "Headache"),
                ae("01-002", 2, NAUSEA, "Feeling sick")],
         "cm": [cm("01-001", 1, PRED), cm("01-002", 1, dict.fromkeys(PRED, ""), "HERBAL TEA"),
                cm("01-002", 2, PRED | {"CMCLAS": "", "CMCLASCD": ""})]}
CHECKS = ("CODE-INCOMPLETE", "CODE-CONFLICT", "CODE-DICT-VERSION", "CODE-ATC-LEVEL", "COL-PATTERN")


def found(tmp_path, check_id, ae_rows=(), cm_rows=()):
    folder = write_export(tmp_path, {"ae": CLEAN["ae"] + list(ae_rows), "cm": CLEAN["cm"] + list(cm_rows)})
    f = check_findings(folder, check_id)
    return sorted(f.select("subject", "form", "field", "value").rows()), f


def test_consistent_coding_gives_nothing(tmp_path):
    folder = write_export(tmp_path, CLEAN)
    for c in CHECKS:
        assert check_findings(folder, c).is_empty(), c


def test_code_formats_are_schema_patterns(tmp_path):
    rows, _ = found(tmp_path, "COL-PATTERN", [ae("01-003", 1, NAUSEA | {"AEPTCD": "1002881", "AEDICTV": "27"})],
                    [cm("01-003", 1, PRED | {"CMCLASCD": "H2AB", "CMDICTV": "March 2024"})])
    assert rows == [("01-003", "ae", "AEDICTV", "27"), ("01-003", "ae", "AEPTCD", "1002881"),
                    ("01-003", "cm", "CMCLASCD", "H2AB"), ("01-003", "cm", "CMDICTV", "March 2024")]


def test_a_term_without_its_code_or_level_above(tmp_path):
    rows, f = found(tmp_path, "CODE-INCOMPLETE", [
        ae("01-003", 1, NAUSEA | {"AEDECOD": ""}),  # a PT code without the PT
        ae("01-003", 2, NAUSEA | {"AESOCCD": ""}),  # a SOC without its code
        ae("01-004", 1, NAUSEA | {"AEDECOD": "", "AEPTCD": ""}),  # an LLT without any PT
        ae("01-004", 2, UNCODED | {"AEDECOD": "Nausea", "AEPTCD": "10028813", "AEDICTV": "27.0"}),  # PT, no SOC
    ], [cm("01-003", 1, PRED | {"CMDECOD": ""}),  # an ATC class without the drug it classifies
        cm("01-004", 1, PRED | {"CMCLAS": ""})])  # an ATC code without its class text
    assert rows == [("01-003", "ae", "AEDECOD", ""), ("01-003", "ae", "AESOCCD", ""), ("01-003", "cm", "CMDECOD", ""),
                    ("01-004", "ae", "AEDECOD", ""), ("01-004", "ae", "AESOC", ""), ("01-004", "cm", "CMCLAS", "")]
    assert any("AEPTCD is coded (10028813) but AEDECOD is empty" in m for m in f["message"])


def test_one_code_one_meaning(tmp_path):
    rows, f = found(tmp_path, "CODE-CONFLICT", [
        ae("01-003", 1, NAUSEA | {"AEPTCD": "10047700", "AEDECOD": "Vomiting"}),  # the same LLT coded to another PT
        ae("01-003", 2, CRS | {"AESOC": "Immune system disorder"}),  # a SOC code spelt another way
    ], [cm("01-003", 1, PRED | {"CMCLAS": "Corticosteroids"})])
    # Nausea's LLT is coded the usual way twice: only the odd record is reported; the SOC code and the ATC code are
    # coded two ways once each: both records are.
    assert rows == [("01-001", "ae", "AESOC", "Immune system disorders"), ("01-001", "cm", "CMCLAS", "Glucocorticoids"),
                    ("01-003", "ae", "AEPTCD", "10047700"), ("01-003", "ae", "AESOC", "Immune system disorder"),
                    ("01-003", "cm", "CMCLAS", "Corticosteroids")]
    msg = " ".join(f["message"])
    assert "AELLTCD 10028813 is coded to AEPTCD 10047700 here, but to 10028813 in other records" in msg
    assert "one AESOC for AESOCCD 10021428" in f["expected"].to_list()


def test_dictionary_version_present_and_one_per_export(tmp_path):
    rows, _ = found(tmp_path, "CODE-DICT-VERSION", [ae("01-003", 1, NAUSEA | {"AEDICTV": ""}),
                                                    ae("01-003", 2, CRS | {"AEDICTV": "26.1"}),
                                                    ae("01-003", 3, NAUSEA | {"AEDICTV": ""})],
                    [cm("01-003", 1, PRED | {"CMDICTV": "2023 Sep 1"})])
    assert rows == [("01-003", "ae", "AEDICTV", ""), ("01-003", "ae", "AEDICTV", ""), ("01-003", "ae", "AEDICTV", "26.1"),
                    ("01-003", "cm", "CMDICTV", "2023 Sep 1")]


def test_atc_class_at_the_study_level(tmp_path):
    rows, f = found(tmp_path, "CODE-ATC-LEVEL", [], [
        cm("01-003", 1, PRED | {"CMCLASCD": "H02AB07", "CMCLAS": "prednisone"}),
        cm("01-003", 2, PRED | {"CMCLASCD": "H02", "CMCLAS": "Corticosteroids for systemic use"}),
        cm("01-003", 3, PRED | {"CMCLASCD": "H2AB"})])  # a malformed code is COL-PATTERN's, reported once
    assert rows == [("01-003", "cm", "CMCLASCD", "H02"), ("01-003", "cm", "CMCLASCD", "H02AB07")]
    assert "ATC level 5 code; the study codes to level 4" in " ".join(f["message"])
