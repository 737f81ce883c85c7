"""Score calculators against hand-worked examples, and the score checks on small exports."""

import pytest
from helpers import check_findings, write_export

from ecrf.clinical.scores import (capd_items, capd_total, ice_items, ice_total, lab_abnormal, mrss_items, mrss_total,
                                  sledai_lab_criteria, sledai_total, sledai_weights, vas_items, vas_totals)
from ecrf.model import load_model
from ecrf.protocol import protocol

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}
ADULT = protocol(load_model()).param("vas_adult_age")


def rows_of(f):
    return sorted(f.select("subject", "field", "value").rows())


# --- calculators --------------------------------------------------------------------------------------------

def sledai_items(*present):
    return {i: ("Y" if i in present else "N") for i in sledai_weights()}


def test_sledai_weights_sum_to_105():
    w = sledai_weights()
    assert len(w) == 24 and sum(w.values()) == 105
    assert w["slalop"] == 2  # alopecia weighs 2, not 1


def test_sledai_total_hand_worked():
    # arthritis 4 + proteinuria 4 + rash 2 + low complement 2 + DNA binding 2 + leukopenia 1 = 15
    assert sledai_total(sledai_items("slarth", "slprot", "slrash", "sllowcom", "sldna", "slleuk")) == 15
    # seizure 8 + vasculitis 8 + fever 1 = 17
    assert sledai_total(sledai_items("slseiz", "slvasc", "slfever")) == 17
    assert sledai_total(sledai_items()) == 0
    assert sledai_total(sledai_items(*sledai_weights())) == 105


def test_sledai_total_needs_every_descriptor():
    items = sledai_items("slarth")
    items["slrash"] = ""
    assert sledai_total(items) is None


def test_mrss_total_hand_worked():
    sites = mrss_items()
    assert len(sites) == 17
    # face 2, both fingers 3, both hands 2, the rest 0: 2 + 6 + 4 = 12
    items = {s: 0 for s in sites} | {"mrface": 2, "mrfingr": 3, "mrfingl": 3, "mrhandr": 2, "mrhandl": 2}
    assert mrss_total(items) == 12
    assert mrss_total({s: 3 for s in sites}) == 51
    assert mrss_total({s: 1 for s in sites[:-1]}) is None


def test_vas_totals_hand_worked():
    nw, pe = vas_items()
    assert len(nw) == len(pe) == 9
    # new/worse: general 3 + renal 12 + ENT 4 = 19; persistent: cutaneous 2 + nervous 1 = 3
    items = {i: 0 for i in nw + pe} | {"vasgennw": 3, "vasrennw": 12, "vasentnw": 4, "vascutpe": 2, "vasnerpe": 1}
    assert vas_totals(items) == (19, 3)


def test_vas_system_maxima_sum_to_the_instrument_maxima():
    form = load_model().forms["vas"]
    nw, pe = vas_items()
    assert sum(form.item(i).maximum for i in nw) == 63 == form.item("vastot").maximum
    assert sum(form.item(i).maximum for i in pe) == 33 == form.item("vaspers").maximum


def test_ice_total_hand_worked():
    assert len(ice_items()) == 5
    # oriented to 3 of 4, names 3 objects, follows commands, cannot write, counts back: 3 + 3 + 1 + 0 + 1 = 8
    assert ice_total({"iceorien": 3, "icename": 3, "icecmd": 1, "icewrite": 0, "iceattn": 1}) == 8
    assert ice_total({"iceorien": 3, "icename": 3}) is None
    form = load_model().forms["icans"]
    assert sum(form.item(i).maximum for i in ice_items()) == 10


def test_capd_total_hand_worked():
    items = capd_items()
    assert len(items) == 8
    values = dict(zip(items, [1, 2, 1, 0, 3, 0, 2, 1]))  # 10: delirium (9 or more)
    assert capd_total(values) == 10
    assert capd_total({i: 4 for i in items}) == 32


def test_lab_rules():
    assert lab_abnormal("below", 99, threshold=100) is True
    assert lab_abnormal("below", 100, threshold=100) is False      # < 100, strictly
    assert lab_abnormal("above", 0.5, threshold=0.5) is False      # > 0.5 g/24 h, strictly
    assert lab_abnormal("above", 0.51, threshold=0.5) is True
    assert lab_abnormal("below_lln", 0.8, lo=0.9) is True
    assert lab_abnormal("above_uln", 30, hi=None) is None          # no reference range: not judged


def test_lab_criteria_from_the_schema():
    by = {c.code: c for c in sledai_lab_criteria()}
    assert (by["PLAT_SI"].item, by["PLAT_SI"].threshold, by["PLAT_SI"].unit) == ("slthromb", 100, "10^9/L")
    assert (by["WBC_SI"].item, by["WBC_SI"].threshold) == ("slleuk", 3)
    assert (by["PROT24H_G"].threshold, by["PROT24H_G"].unit) == (0.5, "g/24h")
    assert by["C3"].needs_every_test and by["C4"].needs_every_test and not by["DSDNA"].needs_every_test


# --- the checks ---------------------------------------------------------------------------------------------

def visit_keys(subjid, visit="D28", visitnum="10"):
    return KEY | {"SUBJID": subjid, "VISIT": visit, "VISITNUM": visitnum}


def sledai(subjid, *present, total=None, visit="D28", visitnum="10", **override):
    items = {k.upper(): v for k, v in sledai_items(*present).items()}
    tot = sledai_total(sledai_items(*present)) if total is None else total
    return visit_keys(subjid, visit, visitnum) | {"SLEDAIDAT": "2026-02-01", "SLEDAITOT": str(tot)} | items | override


def test_sledai_total_check(tmp_path):
    folder = write_export(tmp_path, {"sledai": [
        sledai("01-001", "slarth", "slrash"),                         # 6, recorded 6
        sledai("01-002", "slarth", "slrash", total=8),                # 6, recorded 8
        sledai("01-003", "slalop", total=1),                          # alopecia scored 1: wrong
        sledai("01-004", "slarth", total=9, SLRASH=""),               # incomplete: not recomputed
    ]})
    assert rows_of(check_findings(folder, "SCORE-SLEDAI-TOTAL")) == [("01-002", "SLEDAITOT", "8"),
                                                                     ("01-003", "SLEDAITOT", "1")]


def test_sledai_total_clean(tmp_path):
    folder = write_export(tmp_path, {"sledai": [sledai("01-001", "slseiz", "slleuk"), sledai("01-002")]})
    assert check_findings(folder, "SCORE-SLEDAI-TOTAL").is_empty()


def mrss(subjid, scores: dict, total):
    items = {s.upper(): "0" for s in mrss_items()} | {k.upper(): str(v) for k, v in scores.items()}
    return visit_keys(subjid) | {"MRSSDAT": "2026-02-01", "MRSSTOT": str(total)} | items


def test_mrss_total_check(tmp_path):
    folder = write_export(tmp_path, {"mrss": [
        mrss("01-001", {"mrface": 2, "mrfingr": 3}, 5),
        mrss("01-002", {"mrface": 2, "mrfingr": 3}, 6),
        mrss("01-003", {"mrface": "x"}, 6),                           # unreadable site: not recomputed
    ]})
    assert rows_of(check_findings(folder, "SCORE-MRSS-TOTAL")) == [("01-002", "MRSSTOT", "6")]


def vas(subjid, scores: dict, tot, pers, inst="PVAS", age="10", visit="D28", visitnum="10"):
    nw, pe = vas_items()
    items = {i.upper(): "0" for i in nw + pe} | {k.upper(): str(v) for k, v in scores.items()}
    return visit_keys(subjid, visit, visitnum) | {"VASDAT": "2026-02-01", "VASINST": inst, "VASAGE": age,
                                                  "VASTOT": str(tot), "VASPERS": str(pers)} | items


def test_vas_total_check(tmp_path):
    s = {"vasgennw": 2, "vasrennw": 8, "vascutpe": 1}
    folder = write_export(tmp_path, {"vas": [
        vas("01-001", s, 10, 1),
        vas("01-002", s, 12, 1),                                      # new/worse sum 10
        vas("01-003", s, 10, 0),                                      # persistent sum 1
        vas("01-004", s, 10, ""),                                     # persistent total not recorded
    ]})
    assert rows_of(check_findings(folder, "SCORE-VAS-TOTAL")) == [("01-002", "VASTOT", "12"),
                                                                  ("01-003", "VASPERS", "0")]


def dm(subjid, brthdat, cohort="AAV", age="10"):
    return KEY | {"SUBJID": subjid, "COHORT": cohort, "SEX": "F", "BRTHDAT": brthdat, "AGE": age, "AGEU": "YEARS"}


def test_vas_instrument_check(tmp_path):
    folder = write_export(tmp_path, {
        "dm": [dm("01-001", "2008-01-15"), dm("01-002", "2008-03-01"), dm("01-003", "2008")],
        "vas": [
            vas("01-001", {}, 0, 0, inst="BVAS", age=""),             # 18 on 2026-01-15: BVAS right
            vas("01-002", {}, 0, 0, inst="BVAS", age=""),             # still 17 on 2026-02-01: PVAS
            vas("01-003", {}, 0, 0, inst="BVAS", age=""),             # partial birth date, no VASAGE: not judged
            vas("01-003", {}, 0, 0, inst="PVAS", age=str(ADULT), visit="M3", visitnum="12"),  # adult on PVAS
            vas("01-002", {}, 0, 0, inst="BVAS", age="12", visit="SCR", visitnum="1"),  # ELIG-AAV-INSTRUMENT's
            vas("01-004", {}, 0, 0, inst="BVAS", age="12", visit="SCR", visitnum="1"),  # no dm: judged here
        ]})
    assert rows_of(check_findings(folder, "SCORE-VAS-INSTRUMENT")) == [
        ("01-002", "VASINST", "BVAS"), ("01-003", "VASINST", "PVAS"), ("01-004", "VASINST", "BVAS")]
    elig = check_findings(folder, "ELIG-AAV-INSTRUMENT")
    assert rows_of(elig) == [("01-002", "VASINST", "BVAS")]


def icans(subjid, day, tool, ice=None, capd=None, icescore="", capdscore=""):
    items = {}
    if ice is not None:
        items |= {k.upper(): str(v) for k, v in zip(ice_items(), ice)}
    if capd is not None:
        items |= {k.upper(): str(v) for k, v in zip(capd_items(), capd)}
    return KEY | {"SUBJID": subjid, "AESEQ": "2", "ICANSDAT": f"2026-01-{day:02d}", "ICANSGR": "1",
                  "ICANSTOOL": tool, "ICESCORE": icescore, "CAPDSCORE": capdscore, "ICANSCON": "NORMAL",
                  "ICANSSEIZ": "N", "ICANSOED": "N", "ICANSMOT": "N"} | items


def test_ice_total_check(tmp_path):
    folder = write_export(tmp_path, {"icans": [
        icans("01-001", 1, "ICE", ice=[3, 3, 1, 0, 1], icescore="8"),
        icans("01-002", 1, "ICE", ice=[3, 3, 1, 0, 1], icescore="9"),
        icans("01-003", 1, "ICE", ice=[3, 3], icescore="2"),          # incomplete: not recomputed
        icans("01-004", 1, "CAPD", capd=[1] * 8, capdscore="8"),
    ]})
    assert rows_of(check_findings(folder, "SCORE-ICE-TOTAL")) == [("01-002", "ICESCORE", "9")]


def test_capd_total_check(tmp_path):
    folder = write_export(tmp_path, {"icans": [
        icans("01-001", 1, "CAPD", capd=[1, 2, 1, 0, 3, 0, 2, 1], capdscore="10"),
        icans("01-002", 1, "CAPD", capd=[1, 2, 1, 0, 3, 0, 2, 1], capdscore="5"),
        icans("01-003", 1, "ICE", ice=[4, 3, 1, 1, 1], icescore="10"),
    ]})
    assert rows_of(check_findings(folder, "SCORE-CAPD-TOTAL")) == [("01-002", "CAPDSCORE", "5")]


def lb(subjid, test, result, unit="", lo="", hi="", visit="D28", visitnum="10"):
    return visit_keys(subjid, visit, visitnum) | {"LBDAT": "2026-02-01", "LBTESTCD": test, "LBORRES": str(result),
                                                  "LBORRESU": unit, "LBORNRLO": str(lo), "LBORNRHI": str(hi)}


def prot(subjid, meth, value, unit, visitnum="10"):
    return visit_keys(subjid, "D28", visitnum) | {"PROTDAT": "2026-02-01", "PROTMETH": meth, "PROTVAL": str(value),
                                                  "PROTU": unit}


LAB_CLEAN = {
    "sledai": [sledai("01-001", "slthromb", "sllowcom", "sldna", "slprot"), sledai("01-002", "slleuk", "sllowcom")],
    "lb": [lb("01-001", "PLAT", 80, "10^9/L", 150, 450), lb("01-001", "WBC", 5.2, "10^9/L", 4, 12),
           lb("01-001", "C3", 0.9, "g/L", 0.9, 1.8), lb("01-001", "C4", 0.05, "g/L", 0.1, 0.4),
           lb("01-001", "DSDNA", 80, "IU/mL", 0, 30), lb("01-001", "PROT24H", 0.8, "g/24h"),
           lb("01-002", "WBC", 2.5, "10^3/uL", 4, 12), lb("01-002", "PLAT", "<100", "10^9/L"),
           lb("01-002", "C3", 0.5, "g/L", 0.9, 1.8)],          # low C3 alone makes low complement
}


def test_sledai_lab_clean(tmp_path):
    assert check_findings(write_export(tmp_path, LAB_CLEAN), "SCORE-SLEDAI-LAB").is_empty()


def test_sledai_lab_seeded(tmp_path):
    folder = write_export(tmp_path, {
        "sledai": [sledai("01-001", "slthromb", "slleuk"),            # platelets 250: not thrombocytopenia
                   sledai("01-002", "sllowcom"),                      # C3 and C4 both normal
                   sledai("01-003", "sllowcom"),                      # C4 not done: could be low, not judged
                   sledai("01-004"),                                  # proteinuria 600 mg/24h, anti-dsDNA high
                   sledai("01-005", "slprot")],                       # UPCR 0.3 mg/mg: no proteinuria
        "lb": [lb("01-001", "PLAT", 250, "10^9/L", 150, 450), lb("01-001", "WBC", 2.8, "10^9/L", 4, 12),
               lb("01-002", "C3", 1.0, "g/L", 0.9, 1.8), lb("01-002", "C4", 0.2, "g/L", 0.1, 0.4),
               lb("01-003", "C3", 1.0, "g/L", 0.9, 1.8),
               lb("01-004", "DSDNA", 45, "IU/mL", 0, 30),
               lb("01-004", "PLAT", 90, "10^9/L", 150, 450, visit="M3", visitnum="12")],  # other visit
        "prot": [prot("01-004", "URINE_24H", 600, "mg/24h"), prot("01-005", "UPCR_SPOT", 0.3, "mg/mg")],
    })
    assert rows_of(check_findings(folder, "SCORE-SLEDAI-LAB")) == [
        ("01-001", "SLTHROMB", "Y"), ("01-002", "SLLOWCOM", "Y"), ("01-004", "SLDNA", "N"),
        ("01-004", "SLPROT", "N"), ("01-005", "SLPROT", "Y")]


@pytest.mark.parametrize("result,unit", [("<100", "10^9/L"), ("90", "/uL"), ("not done", "")])
def test_sledai_lab_skips_what_it_cannot_compare(tmp_path, result, unit):
    folder = write_export(tmp_path, {"sledai": [sledai("01-001")], "lb": [lb("01-001", "PLAT", result, unit)]})
    assert check_findings(folder, "SCORE-SLEDAI-LAB").is_empty()


def test_score_checks_survive_missing_optional_columns(tmp_path):
    from helpers import write_form

    from ecrf.registry import all_checks

    model = load_model()
    write_form(tmp_path, "sledai", [sledai("01-001", "slthromb")])
    for domain, row in (("lb", lb("01-001", "PLAT", 80)), ("vas", vas("01-002", {}, 0, 0, age="")),
                        ("icans", icans("01-003", 1, "ICE")), ("dm", dm("01-002", "2010-01-01"))):
        write_form(tmp_path, domain, [row], [i.title for i in model.forms[domain].items if i.required])
    for chk in all_checks():
        if chk.id.startswith("SCORE-"):
            assert check_findings(tmp_path, chk.id).is_empty(), chk.id


def test_generated_lab_descriptors_follow_the_labs():
    from ecrf.example.score_items import sledai_lab_items

    got = sledai_lab_items(load_model(), [
        ("lb", "PLAT", "80", "10^9/L", "150", "450"), ("lb", "WBC", "3.4", "10^9/L", "4", "12"),
        ("lb", "C4", "0.05", "g/L", "0.1", "0.4"), ("lb", "DSDNA", "<10", "IU/mL", "0", "30")])
    assert got == {"slprot": "N", "sllowcom": "Y", "sldna": "N", "slthromb": "Y", "slleuk": "N"}


def test_example_score_items_add_up():
    import random

    from ecrf.example.score_items import ice_tasks, sledai_exact, vas_systems

    model, rng = load_model(), random.Random(1)
    assert ice_total(ice_tasks(model, 7, rng)) == 7
    assert vas_totals(vas_systems(model, 63, 33, rng)) == (63, 33)
    items = sledai_exact(model, 4, {"slthromb": "Y"}, rng)
    assert sledai_total(items) == 4 and items["slthromb"] == "Y"
