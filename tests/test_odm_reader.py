"""Reading ODM 1.3.2 ClinicalData: the example round-trips, real files of other studies are read or refused in
one line, and bad or hostile input gives a clear error or a finding, never a traceback."""

from __future__ import annotations

import re
import time
from pathlib import Path

import polars as pl
import pytest
import xmlschema
from helpers import assert_same_findings, findings_of, minimal_subject
from lxml import etree

from ecrf.errors import InputError
from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.odm.clinical import records
from ecrf.readers import read_export
from ecrf.readers.odm import write_odm

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / ".." / "shared" / "samples" / "odm"
XSD = ROOT / ".." / "shared" / "standards" / "odm-1.3.2" / "ODM1-3-2.xsd"


def small_export(tmp_path: Path, forms: dict | None = None) -> Path:
    """One clean subject written by the ODM writer; returns the file."""
    forms = forms or minimal_subject()
    model = load_model()
    tables = {}
    for d, rows in forms.items():
        titles = [i.title for i in model.forms[d].items]
        tables[d] = pl.DataFrame([{t: r.get(t) for t in titles} for r in rows], schema={t: pl.Utf8 for t in titles})
    out = tmp_path / "odm"
    out.mkdir()
    write_odm(out, tables, model)
    return out / "export.xml"


def rewrite(path: Path, old: str, new: str, count: int = 1) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def read(path: Path):
    m = load_model()
    return read_export(path, m)


def check_ids(path: Path) -> list[str]:
    return findings_of(path)["check_id"].to_list()


# --- round trip -------------------------------------------------------------------------------------------

def test_written_export_is_valid_odm_1_3_2(tmp_path):
    write_example(tmp_path / "x", fmt="odm")
    errors = list(xmlschema.XMLSchema(str(XSD)).iter_errors(str(tmp_path / "x" / "export.xml")))
    assert not errors, errors[:3]


def test_generated_100_subjects_same_findings_as_csv(tmp_path):
    write_example(tmp_path / "csv", subjects=100, seed=7)
    write_example(tmp_path / "odm", subjects=100, seed=7, fmt="odm")
    assert assert_same_findings(tmp_path / "csv", tmp_path / "odm") > 0


def test_clean_subject_reads_clean_with_keys_from_items(tmp_path):
    path = small_export(tmp_path)
    export = read(path)
    assert export.format == "odm"
    assert export.tables["dm"].df["subjid"].to_list() == ["01-001"]
    assert export.tables["sv"].df["visit"].to_list() == ["SCR"]
    assert not findings_of(path).filter(pl.col("category") == "structure").height


def test_cli_end_to_end_example_then_validate(cli, tmp_path):
    r = cli("example", tmp_path / "demo", "--format", "odm")
    assert r.exit_code == 0
    r = cli("validate", tmp_path / "demo" / "export.xml", "--format", "json", "-o", tmp_path / "f.json")
    assert r.exit_code == 1  # the example's seeded errors
    import json

    data = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    seeded = json.loads((tmp_path / "demo" / "seeded_errors.json").read_text(encoding="utf-8"))
    assert data["summary"]["findings"] == len(seeded)
    assert all(f["source_file"] == "export.xml" and f["source_ref"] for f in data["findings"] if f["form"])


# --- provenance -------------------------------------------------------------------------------------------

def test_findings_name_the_odm_path_item_oid_and_line(tmp_path):
    path = rewrite(small_export(tmp_path), 'ItemOID="IT.DM.AGE" Value="10"', 'ItemOID="IT.DM.AGE" Value="ten"')
    f = findings_of(path).filter(pl.col("field") == "AGE")
    assert f.height >= 1
    row = f.row(0, named=True)
    assert row["source_ref"] == "01-001/SE.SUBJECT/F.DM/IG.DM/IT.DM.AGE"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert 'ItemGroupOID="IG.DM"' in lines[row["source_row"] - 1]


# --- what ODM says about records --------------------------------------------------------------------------

def test_is_null_is_an_empty_value(tmp_path):
    path = rewrite(small_export(tmp_path), '<ItemData ItemOID="IT.DM.SEX" Value="F"/>',
                   '<ItemData ItemOID="IT.DM.SEX" IsNull="Yes"/>')
    assert read(path).tables["dm"].df["sex"].to_list() == [None]
    f = findings_of(path)
    assert f.filter((pl.col("check_id") == "COL-REQUIRED") & (pl.col("field") == "SEX")).height == 1


def test_keys_come_from_the_tree_when_no_item_gives_them(tmp_path):
    path = small_export(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'\s*<ItemData ItemOID="IT\.SV\.(STUDYID|SITEID|SUBJID|VISIT)"[^>]*/>', "", text)
    text = re.sub(r'(<SubjectData[^>]*SubjectKey="01-001">)', r'\1<SiteRef LocationOID="01"/>', text)
    path.write_text(text, encoding="utf-8")
    sv = read(path).tables["sv"].df
    assert sv.select("studyid", "siteid", "subjid", "visit").row(0) == ("KN5601-K", "01", "01-001", "SCR")


def test_key_items_that_contradict_the_tree_are_findings_naming_both(tmp_path):
    forms = minimal_subject()
    forms["sv"].append(dict(forms["sv"][0], VISIT="D7", VISITNUM="5", SVSTDAT="2025-12-20"))
    forms["sv"].append(dict(forms["sv"][0], VISIT="UNS", VISITNUM="5.1", SVSTDAT="2025-12-21"))
    path = small_export(tmp_path, forms)
    assert not findings_of(path).filter(pl.col("check_id") == "ODM-KEY-MISMATCH").height  # agreeing: none
    text = path.read_text(encoding="utf-8")
    # dm's SUBJID item says 01-009 inside SubjectKey 01-001; the D7 record's VISIT item says D14 inside SE.D7;
    # the unscheduled record's VISIT item names a planned visit; SiteRef LOC.02 against SITEID items 01
    text = text.replace('<ItemData ItemOID="IT.DM.SUBJID" Value="01-001"/>',
                        '<ItemData ItemOID="IT.DM.SUBJID" Value="01-009"/>')
    text = re.sub(r'(StudyEventOID="SE\.D7".*?IT\.SV\.VISIT" Value=)"D7"', r'\1"D14"', text, flags=re.S)
    text = re.sub(r'(StudyEventOID="SE\.UNS".*?IT\.SV\.VISIT" Value=)"UNS"', r'\1"D4"', text, flags=re.S)
    text = re.sub(r'(<SubjectData[^>]*>)', r'\1<SiteRef LocationOID="LOC.02"/>', text)
    path.write_text(text, encoding="utf-8")
    f = findings_of(path).filter(pl.col("check_id") == "ODM-KEY-MISMATCH")
    got = sorted(zip(f["form"], f["field"], f["value"], f["expected"], f["severity"]))
    sites = [("ic", "SITEID", "01", "02", "error"), ("ie", "SITEID", "01", "02", "error"),
             ("sv", "SITEID", "01", "02", "error"), ("sv", "SITEID", "01", "02", "error"),
             ("sv", "SITEID", "01", "02", "error")]
    assert got == sorted([("dm", "SITEID", "01", "02", "error"), ("dm", "SUBJID", "01-009", "01-001", "error"),
                          ("sv", "VISIT", "D14", "D7", "error"), ("sv", "VISIT", "D4", "UNS", "error"), *sites])
    dm = f.filter(pl.col("field") == "SUBJID").row(0, named=True)
    assert dm["source_ref"] == "01-001/SE.SUBJECT/F.DM/IG.DM/IT.DM.SUBJID" and "SubjectKey 01-001" in dm["message"]
    # the ItemData is what the checks read
    assert read(path).tables["dm"].df["subjid"].to_list() == ["01-009"]


def test_site_ref_location_of_the_study_build_is_the_site(tmp_path):
    path = small_export(tmp_path)
    text = re.sub(r'\s*<ItemData ItemOID="IT\.[A-Z]+\.SITEID"[^>]*/>', "", path.read_text(encoding="utf-8"))
    path.write_text(re.sub(r'(<SubjectData[^>]*>)', r'\1<SiteRef LocationOID="LOC.01"/>', text), encoding="utf-8")
    export = read(path)
    assert {t.df["siteid"].to_list()[0] for t in export.tables.values() if t.n_rows} == {"01"}
    assert not findings_of(path).filter(pl.col("category") == "structure").height


def test_admin_data_locations_name_the_sites_and_an_undeclared_one_is_reported(tmp_path):
    from ecrf.generators.odm import admin_data

    path = small_export(tmp_path)
    text = re.sub(r'\s*<ItemData ItemOID="IT\.[A-Z]+\.SITEID"[^>]*/>', "", path.read_text(encoding="utf-8"))
    text = re.sub(r'(<SubjectData[^>]*>)', r'\1<SiteRef LocationOID="LOC.01"/>', text)
    adm = etree.tostring(admin_data(load_model(), [("01", "Site 01")])).decode()
    path.write_text(text.replace("<ClinicalData", adm + "<ClinicalData", 1), encoding="utf-8")
    assert not list(xmlschema.XMLSchema(str(XSD)).iter_errors(str(path)))
    assert read(path).tables["dm"].df["siteid"].to_list() == ["01"]
    assert "ODM-UNKNOWN-OID" not in check_ids(path)
    rewrite(path, '<SiteRef LocationOID="LOC.01"/>', '<SiteRef LocationOID="LOC.07"/>')
    f = findings_of(path).filter(pl.col("check_id") == "ODM-UNKNOWN-OID")
    assert f["value"].to_list() == ["LOC.07"] and "LOC.01" in f["expected"][0]
    assert read(path).tables["dm"].df["siteid"].to_list() == ["07"]  # still read, and reported


def test_remove_drops_the_record_and_update_changes_it(tmp_path):
    forms = minimal_subject()
    forms["ie"].append(dict(forms["ie"][0], IETESTCD="IN02"))
    path = small_export(tmp_path, forms)
    assert read(path).tables["ie"].n_rows == 2
    text = path.read_text(encoding="utf-8").replace("</ODM>", """
  <ClinicalData StudyOID="KN5601-K" MetaDataVersionOID="MDV.0.1.0">
    <SubjectData SubjectKey="01-001">
      <StudyEventData StudyEventOID="SE.SUBJECT">
        <FormData FormOID="F.IE">
          <ItemGroupData ItemGroupOID="IG.IE" ItemGroupRepeatKey="2" TransactionType="Remove"/>
        </FormData>
        <FormData FormOID="F.DM">
          <ItemGroupData ItemGroupOID="IG.DM" TransactionType="Update">
            <ItemData ItemOID="IT.DM.HEIGHT" Value="141"/>
            <ItemData ItemOID="IT.DM.CHBRPOT" TransactionType="Remove"/>
          </ItemGroupData>
        </FormData>
      </StudyEventData>
    </SubjectData>
  </ClinicalData>
</ODM>""")
    path.write_text(text, encoding="utf-8")
    export = read(path)
    assert export.tables["ie"].df["ietestcd"].to_list() == ["IN01"]
    dm = export.tables["dm"].df
    assert dm["height"].to_list() == ["141"] and dm["chbrpot"].to_list() == [None] and dm["sex"].to_list() == ["F"]


def test_removing_a_subject_drops_all_its_records(tmp_path):
    path = small_export(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("</ODM>", """
  <ClinicalData StudyOID="KN5601-K" MetaDataVersionOID="MDV.0.1.0">
    <SubjectData SubjectKey="01-001" TransactionType="Remove"/>
  </ClinicalData>
</ODM>"""), encoding="utf-8")
    assert records(path) == []


def test_several_clinical_data_blocks_are_merged(tmp_path):
    one = small_export(tmp_path, minimal_subject("01-001"))
    (tmp_path / "b").mkdir()
    two = small_export(tmp_path / "b", minimal_subject("01-002"))
    block = re.search(r"<ClinicalData.*</ClinicalData>", two.read_text(encoding="utf-8"), re.S).group(0)
    one.write_text(one.read_text(encoding="utf-8").replace("</ODM>", block + "\n</ODM>"), encoding="utf-8")
    assert read(one).tables["dm"].df["subjid"].to_list() == ["01-001", "01-002"]


def test_a_folder_of_odm_files_is_merged_and_each_record_names_its_file(tmp_path):
    one = small_export(tmp_path, minimal_subject("01-001"))
    (tmp_path / "b").mkdir()
    two = small_export(tmp_path / "b", minimal_subject("01-002"))
    two.rename(one.parent / "second.xml")
    dm = read(one.parent).tables["dm"].df
    assert dm.select("subjid", "_file").rows() == [("01-001", "export.xml"), ("01-002", "second.xml")]


def test_medidata_environment_suffix_of_the_study_oid_is_not_part_of_studyid(tmp_path):
    path = small_export(tmp_path)
    text = re.sub(r'\s*<ItemData ItemOID="IT\.DM\.STUDYID"[^>]*/>', "", path.read_text(encoding="utf-8"))
    path.write_text(text.replace('<ClinicalData StudyOID="KN5601-K"', '<ClinicalData StudyOID="KN5601-K(Prod)"'),
                    encoding="utf-8")
    assert read(path).tables["dm"].df["studyid"].to_list() == ["KN5601-K"]


def test_vendor_extensions_are_tolerated(tmp_path):
    path = small_export(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"',
                        '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata"'
                        ' xmlns:OpenClinica="http://www.openclinica.org/ns/odm_ext_v130/v3.1"'
                        ' xmlns:redcap="https://projectredcap.org" redcap:Variable="x"')
    text = re.sub(r'<SubjectData([^>]*)SubjectKey="01-001">',
                  r'<SubjectData\1SubjectKey="01-001" OpenClinica:Status="signed" mdsol:SubjectKeyType="SubjectName">'
                  r'<mdsol:AuditRecord mdsol:Source="x"/>', text, count=1)
    assert "mdsol:AuditRecord" in text
    text = text.replace('<ItemGroupData ItemGroupOID="IG.DM">', '<ItemGroupData ItemGroupOID="IG.DM" mdsol:Submission="SpecifiedItemsOnly">')
    assert "mdsol:Submission" in text
    path.write_text(text, encoding="utf-8")
    assert read(path).tables["dm"].df["sex"].to_list() == ["F"]


# --- unknown OIDs and duplicates --------------------------------------------------------------------------

def test_unknown_item_oid_is_a_finding_naming_it(tmp_path):
    path = rewrite(small_export(tmp_path), '<ItemData ItemOID="IT.DM.SEX" Value="F"/>',
                   '<ItemData ItemOID="IT.DM.SEX" Value="F"/><ItemData ItemOID="IT.DM.EYECOL" Value="blue"/>')
    f = findings_of(path).filter(pl.col("check_id") == "ODM-UNKNOWN-OID")
    assert f.height == 1
    row = f.row(0, named=True)
    assert row["value"] == "IT.DM.EYECOL" and row["subject"] == "01-001" and row["form"] == "dm"
    assert row["source_ref"].endswith("IG.DM/IT.DM.EYECOL")


def test_unknown_item_group_is_counted_reported_and_not_checked(tmp_path):
    path = rewrite(small_export(tmp_path), "</FormData>", """
          <ItemGroupData ItemGroupOID="IG.PK" ItemGroupRepeatKey="1"><ItemData ItemOID="IT.PK.CONC" Value="3"/></ItemGroupData>
          <ItemGroupData ItemGroupOID="IG.PK" ItemGroupRepeatKey="2"><ItemData ItemOID="IT.PK.CONC" Value="4"/></ItemGroupData>
        </FormData>""")
    export = read(path)
    assert list(export.unknown_files.values()) == [2]
    f = findings_of(path)
    unk = f.filter(pl.col("check_id") == "ODM-UNKNOWN-OID")
    assert unk["value"].to_list() == ["IG.PK"] and "2 records not checked" in unk["message"][0]
    assert not f.filter(pl.col("check_id") == "STRUCT-UNKNOWN-FORM").height  # reported once


def test_duplicate_repeat_key_is_an_error_naming_both_lines(tmp_path):
    forms = minimal_subject()
    forms["ie"].append(dict(forms["ie"][0], IETESTCD="IN02"))
    path = rewrite(small_export(tmp_path, forms), 'ItemGroupRepeatKey="2"', 'ItemGroupRepeatKey="1"')
    with pytest.raises(InputError, match=r"IG\.IE\[1\] appears twice \(lines \d+ and \d+\)"):
        read(path)


# --- refused in one line ----------------------------------------------------------------------------------

def _cli_error(cli, path, *args) -> str:
    r = cli("validate", path, *args)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines() if hasattr(r, "stderr") else r.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.output
    return lines[0]


def test_truncated_xml(cli, tmp_path):
    path = small_export(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    msg = _cli_error(cli, path)
    assert "not well-formed XML" in msg and "row" in msg


def test_wrong_namespace(cli, tmp_path):
    path = rewrite(small_export(tmp_path), "http://www.cdisc.org/ns/odm/v1.3", "http://example.org/odm")
    assert "expected ODM 1.3" in _cli_error(cli, path)


def test_odm_2_is_refused(cli):
    assert "ODM 2.0 is not read" in _cli_error(cli, SAMPLES / "convert-pheno-generic" / "generic_odm_v2.xml")


def test_xml_that_is_not_odm(cli, tmp_path):
    p = tmp_path / "other.xml"
    p.write_text('<?xml version="1.0"?><project><name>x</name></project>', encoding="utf-8")
    assert "not an export this tool reads" in _cli_error(cli, p)
    assert "not an ODM file: the root element is <project>" in _cli_error(cli, p, "--input-format", "odm")


def test_empty_file_and_metadata_only_file(cli, tmp_path):
    p = tmp_path / "empty.xml"
    p.write_bytes(b"")
    assert "empty" in _cli_error(cli, p, "--input-format", "odm")
    assert "study metadata only" in _cli_error(cli, ROOT / "docs" / "artifacts" / "kn5601k-odm.xml")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE ODM [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="x" FileType="Snapshot" CreationDateTime="2025-01-01T00:00:00">
 <ClinicalData StudyOID="KN5601-K" MetaDataVersionOID="MDV.0.1.0"><SubjectData SubjectKey="01-001">
  <StudyEventData StudyEventOID="SE.SUBJECT"><FormData FormOID="F.DM"><ItemGroupData ItemGroupOID="IG.DM">
   <ItemData ItemOID="IT.DM.SEX" Value="&lol9;"/></ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData>
</ODM>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE ODM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="x" FileType="Snapshot" CreationDateTime="2025-01-01T00:00:00">
 <ClinicalData StudyOID="KN5601-K" MetaDataVersionOID="MDV.0.1.0"><SubjectData SubjectKey="&xxe;"/></ClinicalData>
</ODM>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entity_attacks_are_refused_fast(cli, tmp_path, text):
    p = tmp_path / "attack.xml"
    p.write_text(text, encoding="utf-8")
    start = time.monotonic()
    msg = _cli_error(cli, p)
    assert time.monotonic() - start < 5
    assert "declares a DTD" in msg and "root:" not in msg


# --- real files of other studies and vendors --------------------------------------------------------------

SAMPLE_FILES = sorted(SAMPLES.glob("*/*.xml"))


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[f"{p.parent.name}/{p.name}" for p in SAMPLE_FILES])
def test_every_real_sample_is_read_record_for_record_or_refused_in_one_line(cli, path):
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
    in_file = len(tree.getroot().findall(".//{*}ItemGroupData")) if tree.getroot() is not None else 0
    try:
        got = records(path)
    except InputError as err:
        assert "\n" not in str(err) and str(path.name) in str(err)
        _cli_error(cli, path)
        return
    assert len(got) == in_file
    r = cli("validate", path)
    assert r.exit_code in (1, 2), r.output   # other studies: findings (unknown OIDs) or a one-line refusal
    assert "Traceback" not in r.output and "internal error" not in r.output


def test_samples_cover_data_metadata_odm2_and_a_broken_file():
    outcome = {}
    for p in SAMPLE_FILES:
        try:
            outcome[p.name] = len(records(p))
        except InputError as err:
            outcome[p.name] = str(err)
    assert outcome["odm-data-snapshot.xml"] == 60
    assert outcome["test_clinical_data_01.xml"] == 4          # two ClinicalData blocks
    assert outcome["test_double_byte_chars.xml"] == 1         # Medidata Rave, IsNull, Japanese text
    assert outcome["lb.xml"] == 83                            # Dataset-XML rows
    assert "ODM 2.0" in outcome["generic_odm_v2.xml"]
    assert "not well-formed" in outcome["test_odm_001.xml"]


def test_rave_is_null_and_double_byte_values():
    (rec,) = records(SAMPLES / "rave-rwslib" / "test_double_byte_chars.xml")
    assert rec.items == {"SURGERY.SURGERYDATE": None, "SURGERY.DEVICETYPE": None, "SURGERY.DEVICE": "日本語のテスト"}
    assert rec.site == "0001" and rec.path == "0001-MH-01 JAN 2000/SUBJECT/SURGERY[1]/SURGERY_LOG_LINE"


_ONE = ('<?xml version="1.0" encoding="UTF-8"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData '
        'StudyOID="KN5601-K" MetaDataVersionOID="MDV.0.1.0"><SubjectData SubjectKey="01-001"><StudyEventData '
        'StudyEventOID="SE.SUBJECT"><FormData FormOID="F.DM"><ItemGroupData ItemGroupOID="IG.DM">{item}'
        '</ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData></ODM>')


@pytest.mark.parametrize("data, message", [
    (_ONE.format(item='<ItemData ItemOID="IT.DM.SEX" Value="\xe9"/>').encode("latin-1"), "not well-formed XML"),
    (_ONE.format(item='<ItemData Value="F"/>').encode(), "<ItemData> without ItemOID"),
    (_ONE.replace(' ItemGroupOID="IG.DM"', "").format(item="").encode(), "<ItemGroupData> without ItemGroupOID"),
    (b'<?xml version="1.0"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">' + b"<a>" * 5000 + b"</a>" * 5000
     + b"</ODM>", "not well-formed XML"),
    (b"\x00\x01garbage" * 100, "not well-formed XML"),
], ids=["bad-encoding", "item-without-oid", "group-without-oid", "too-deep", "binary"])
def test_malformed_content_is_one_line_with_the_line(cli, tmp_path, data, message):
    p = tmp_path / "bad.xml"
    p.write_bytes(data)
    msg = _cli_error(cli, p, "--input-format", "odm")
    assert message in msg and "row" in msg
