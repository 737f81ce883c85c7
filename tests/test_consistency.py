"""Cross-form consistency checks on small exports: clean data gives no finding, seeded errors are caught."""

from helpers import check_findings, minimal_subject, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}


def rows_of(f):
    return sorted(f.select("form", "subject", "field", "value").rows())


def merge(*subjects):
    out = {}
    for s in subjects:
        for form, rows in s.items():
            out.setdefault(form, []).extend(rows)
    return out


def subject(subjid="01-001", **forms):
    """A consented (2025-12-10), screened (2025-12-11) SLE subject with a matching diagnosis, plus `forms`."""
    s = minimal_subject(subjid)
    key = KEY | {"SUBJID": subjid}
    s["ie"][0]["IEDAT"] = "2025-12-11"
    s["dx"] = [key | {"DXSEQ": "1", "DXTERM": "SLE", "DXDAT": "2024-06", "DXCRIT": "SLICC_2012", "DXCRITMT": "Y"}]
    for form, rows in forms.items():
        s.setdefault(form, []).extend(key | r for r in rows)
    return s


def cm(seq, cat, start, end="", ongo="N"):
    return {"CMSEQ": str(seq), "CMCAT": cat, "CMTRT": "DRUG", "CMSTDAT": start, "CMENDAT": end, "CMONGO": ongo}


def ae(seq, start, end="", cat="OTHER"):
    return {"AESEQ": str(seq), "AETERM": cat, "AECAT": cat, "AESTDAT": start, "AEENDAT": end, "AETOXGR": "1"}


def ld(seq, day):
    return {"LDSEQ": str(seq), "LDTRT": "FLUDARABINE", "LDDAT": day, "LDDOSE": "30"}


# --- XF-DATE-ORDER -------------------------------------------------------------------------------------------

def test_date_order_clean(tmp_path):
    folder = write_export(tmp_path, subject(
        ld=[ld(1, "2025-12-11"), ld(2, "2025-12-20")],
        ae=[ae(1, "2025-12-10", "2025-12-12"), ae(2, "2025-12")],       # same month as consent: order unknown
        cm=[cm(1, "PRIOR", "2024-01", "2025-11", ongo="N"),             # stopped before consent
            cm(2, "PRIOR", "2025-06", "2025-12", ongo="N"),             # same month as consent: order unknown
            cm(3, "CONCOMITANT", "2024", "", ongo="Y"),                  # started long before, still taken
            cm(4, "CONCOMITANT", "2025-12-10", "2025-12-10"),            # on the consent day
            cm(5, "VACCINE", "2025-01-05", "2025-01-05")]))
    assert check_findings(folder, "XF-DATE-ORDER").is_empty()


def test_date_order_seeded(tmp_path):
    a = subject("01-001", ld=[ld(1, "2025-12-09"), ld(2, "2025-12-05")],   # before screening 2025-12-11
                ae=[ae(1, "2025-12-09"), ae(2, "2025-11")])                   # before consent 2025-12-10
    a["ie"][0]["IEDAT"] = "2025-12-01"                                        # assessed before consent
    b = subject("01-002", cm=[cm(1, "PRIOR", "2025-01", "2026-01"),          # prior, still taken after consent
                              cm(2, "CONCOMITANT", "2025-01", "2025-12-09"),  # concomitant, stopped before
                              cm(3, "CONCOMITANT", "2025-12-20", "2025-12-15")])  # ends before it starts
    b["dx"][0]["DXDAT"] = "2026"                                              # diagnosed after consent
    folder = write_export(tmp_path, merge(a, b))
    f = check_findings(folder, "XF-DATE-ORDER")
    assert rows_of(f) == [
        ("ae", "01-001", "AESTDAT", "2025-11"), ("ae", "01-001", "AESTDAT", "2025-12-09"),
        ("cm", "01-002", "CMENDAT", "2025-12-09"), ("cm", "01-002", "CMENDAT", "2025-12-15"),
        ("cm", "01-002", "CMENDAT", "2026-01"),
        ("dx", "01-002", "DXDAT", "2026"),
        ("ie", "01-001", "IEDAT", "2025-12-01"),
        ("ld", "01-001", "LDDAT", "2025-12-05")]
    ld_msg = f.filter(f["form"] == "ld")["message"][0]
    assert "2 record(s)" in ld_msg and "sv SVSTDAT 2025-12-11" in ld_msg
    assert "ic ICDAT 2025-12-10" in f.filter(f["form"] == "ie")["message"][0]


def test_date_order_skips_unreadable_and_missing_forms(tmp_path):
    s = subject(cm=[cm(1, "CONCOMITANT", "2025-13", "2025-12-01"), cm(2, "PRIOR", "abc", "soon")],
                ae=[ae(1, "2025-02-30x")])
    del s["ic"]
    folder = write_export(tmp_path, s)
    assert check_findings(folder, "XF-DATE-ORDER").is_empty()


# --- XF-CM-ONGOING -------------------------------------------------------------------------------------------

def test_cm_ongoing(tmp_path):
    folder = write_export(tmp_path, subject(cm=[
        cm(1, "CONCOMITANT", "2025-01", "", ongo="Y"), cm(2, "PRIOR", "2024", "2025-01", ongo="N"),   # clean
        cm(3, "CONCOMITANT", "2025-01", "2026-01-05", ongo="Y"),                                        # ended
        cm(4, "CONCOMITANT", "2025-01", "", ongo="N"), cm(5, "CONCOMITANT", "2025-01", "", ongo=""),  # no end
        cm(6, "CONCOMITANT", "2025-01", "", ongo="X")]))       # bad code: the column checks report it
    f = check_findings(folder, "XF-CM-ONGOING")
    assert sorted(f.select("record_key", "field", "value").rows()) == [
        ("SUBJID=01-001|CMSEQ=3", "CMONGO", "Y"), ("SUBJID=01-001|CMSEQ=4", "CMENDAT", None),
        ("SUBJID=01-001|CMSEQ=5", "CMENDAT", None)]


# --- XF-DX-COHORT --------------------------------------------------------------------------------------------

def test_dx_cohort_clean(tmp_path):
    b = subject("01-002")
    b["dm"][0]["COHORT"] = "IGAN"
    b["dx"][0] |= {"DXTERM": "IGAN", "DXCRIT": "RENAL_BIOPSY"}
    folder = write_export(tmp_path, merge(subject("01-001"), b))
    assert check_findings(folder, "XF-DX-COHORT").is_empty()


def test_dx_cohort_seeded(tmp_path):
    a, b, c = subject("01-001"), subject("01-002"), subject("01-003")
    a["dx"][0]["DXTERM"] = "SSC"             # another cohort's disease
    b["dx"][0]["DXCRIT"] = "KDIGO_2021"      # the SRNS criteria for an SLE subject
    del c["dx"]                              # no diagnosis at all
    folder = write_export(tmp_path, merge(a, b, c))
    f = check_findings(folder, "XF-DX-COHORT")
    assert rows_of(f) == [("dm", "01-003", "COHORT", "SLE"), ("dx", "01-001", "DXTERM", "SSC"),
                          ("dx", "01-002", "DXCRIT", "KDIGO_2021")]
    assert "MDR_SRNS" in f.filter(f["field"] == "DXCRIT")["message"][0]


def test_dx_cohort_skips_an_export_without_the_diagnosis_form(tmp_path):
    s = subject("01-001")
    del s["dx"]
    assert check_findings(write_export(tmp_path, s), "XF-DX-COHORT").is_empty()


# --- XF-AFTER-DEATH and XF-AFTER-END -------------------------------------------------------------------------

def test_after_death(tmp_path):
    dead = subject("01-001", dd=[{"DTHDAT": "2026-02-10", "DTHCAUS": "SEPSIS"}],
                   ds=[{"DSDECOD": "DEATH", "DSSTDAT": "2026-02-10"}],
                   ae=[ae(1, "2026-02-01", "2026-02-10"), ae(2, "2026-02")],   # same month: order unknown
                   vs=[{"VISIT": "M3", "VISITNUM": "12", "VSDAT": "2026-02-20"},
                       {"VISIT": "M6", "VISITNUM": "13", "VSDAT": "2026-03-01"}],
                   cm=[cm(1, "CONCOMITANT", "2026-03", "", ongo="Y")])
    alive = subject("01-002", vs=[{"VISIT": "M3", "VISITNUM": "12", "VSDAT": "2026-03-01"}])
    folder = write_export(tmp_path, merge(dead, alive))
    f = check_findings(folder, "XF-AFTER-DEATH")
    assert rows_of(f) == [("cm", "01-001", "CMSTDAT", "2026-03"), ("vs", "01-001", "VSDAT", "2026-02-20")]
    assert "2 record(s)" in f.filter(f["form"] == "vs")["message"][0]
    assert "dd DTHDAT 2026-02-10" in f["message"][0]


def test_after_end_allows_follow_up(tmp_path):
    gone = subject("01-001", ds=[{"DSDECOD": "WITHDRAWAL BY PARENT/GUARDIAN", "DSSTDAT": "2026-02-10"}],
                   ae=[ae(1, "2026-02-01", "2026-02-25"),       # followed up to resolution: allowed
                       ae(2, "2026-02-20", "2026-02-22")],      # started after withdrawal
                   cm=[cm(1, "CONCOMITANT", "2026-02-01", "2026-03-01")],  # end of a medication: allowed
                   dd=[{"DTHDAT": "2026-04-01", "DTHCAUS": "SEPSIS"}],     # survival status: allowed
                   vs=[{"VISIT": "M6", "VISITNUM": "13", "VSDAT": "2026-04-05"}])  # after death: not here
    done = subject("01-002", ds=[{"DSDECOD": "COMPLETED", "DSSTDAT": "2026-02-10"}],
                   vs=[{"VISIT": "M6", "VISITNUM": "13", "VSDAT": "2026-03-01"}])
    folder = write_export(tmp_path, merge(gone, done))
    f = check_findings(folder, "XF-AFTER-END")
    assert rows_of(f) == [("ae", "01-001", "AESTDAT", "2026-02-20")]
    assert "ds DSSTDAT 2026-02-10" in f["message"][0]
    assert rows_of(check_findings(folder, "XF-AFTER-DEATH")) == [("vs", "01-001", "VSDAT", "2026-04-05")]


# --- SAFE-GRADING-NO-AE --------------------------------------------------------------------------------------

def crs(seq, day):
    return {"AESEQ": str(seq), "CRSDAT": day, "CRSGR": "1", "CRSFEVER": "Y"}


def icans(seq, day):
    return {"AESEQ": str(seq), "ICANSDAT": day, "ICANSGR": "1", "ICANSTOOL": "ICE", "ICESCORE": "8"}


def test_grading_without_ae(tmp_path):
    ok = subject("01-001", ae=[ae(1, "2026-01-02", cat="CRS"), ae(2, "2026-01-05", cat="ICANS")],
                 crs=[crs(1, "2026-01-02"), crs(1, "2026-01-03")], icans=[icans(2, "2026-01-05")])
    bad = subject("01-002", ae=[ae(1, "2026-01-02", cat="OTHER"), ae(2, "2026-01-05", cat="CRS")],
                  crs=[crs(1, "2026-01-03"), crs(1, "2026-01-02")],   # AESEQ 1 is not a CRS event
                  icans=[icans(3, "2026-01-06")])                      # no AESEQ 3 at all
    folder = write_export(tmp_path, merge(ok, bad))
    f = check_findings(folder, "SAFE-GRADING-NO-AE")
    assert rows_of(f) == [("crs", "01-002", "AESEQ", "1"), ("icans", "01-002", "AESEQ", "3")]
    crs_f = f.filter(f["form"] == "crs").row(0, named=True)
    assert crs_f["source_row"] == 5 and "2 day(s) from 2026-01-02" in crs_f["message"]
    assert set(f["category"]) == {"deviation"} and set(f["dvcat"]) == {"safety reporting"}
    assert set(f["severity"]) == {"important"}


def test_grading_without_ae_skips_an_export_without_the_ae_form(tmp_path):
    s = subject("01-001", crs=[crs(1, "2026-01-02")])
    assert check_findings(write_export(tmp_path, s), "SAFE-GRADING-NO-AE").is_empty()


def sae(seq, aware, reported, serious="Y"):
    return ae(seq, "2026-01-02") | {"AESER": serious, "AEAWDAT": aware, "AERPTDAT": reported}


def test_sae_late(tmp_path):
    folder = write_export(tmp_path, subject(ae=[
        sae(1, "2026-01-03", "2026-01-03"), sae(2, "2026-01-03", "2026-01-04"),   # same day, next day: on time
        sae(3, "2026-01-03", "2026-01-20", serious="N"),                          # not serious: no deadline
        sae(4, "2026-01-03", ""), sae(5, "not a date", "2026-01-09"),             # cannot judge
        sae(6, "2026-01-03", "2026-01-05"),                                       # two days: late
        sae(7, "2026-01-03", "2026-01-01")]))                                     # reported before awareness
    f = check_findings(folder, "SAFE-SAE-LATE")
    assert sorted(f.select("record_key", "value", "expected").rows()) == [
        ("SUBJID=01-001|AESEQ=6", "2026-01-05", "from 2026-01-03 to 2026-01-04 (AEAWDAT + 1 day(s))"),
        ("SUBJID=01-001|AESEQ=7", "2026-01-01", "from 2026-01-03 to 2026-01-04 (AEAWDAT + 1 day(s))")]
    assert "2 day(s) after awareness" in f.filter(f["record_key"].str.ends_with("6"))["message"][0]
    assert set(f["dvcat"]) == {"safety reporting"}


def test_larger_example_exercises_follow_up_after_withdrawal():
    """The generator's withdrawn subject has an adverse event ending after DSSTDAT, which XF-AFTER-END allows
    (the clean export giving no finding is tested in test_example)."""
    from ecrf.example.generator import generate

    t = generate(30, 5)
    ds = t["ds"]
    assert ds.height == 1 and ds["DSDECOD"][0] == "WITHDRAWAL BY PARENT/GUARDIAN"
    ae = t["ae"].filter(t["ae"]["SUBJID"] == ds["SUBJID"][0])
    assert (ae["AEENDAT"] > ds["DSSTDAT"][0]).any()
    assert generate(12, 5)["ds"].is_empty()
