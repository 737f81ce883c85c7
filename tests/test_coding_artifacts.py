"""The coding and seriousness items reach every generated artifact, with their code formats where it has them."""

import csv
import json
from pathlib import Path

from lxml import etree

ART = Path(__file__).resolve().parents[1] / "docs" / "artifacts"
MEDDRA = ("AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AESOC", "AESOCCD", "AEDICTV")
SERIOUS = ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")
WHODRUG = ("CMDECOD", "CMCLAS", "CMCLASCD", "CMDICTV")
ALL = MEDDRA + SERIOUS + WHODRUG


def _props(schema: dict) -> dict:
    out: dict = {}

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.get("properties", {}).items():
                out.setdefault(k, v)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(schema)
    return out


def test_json_schema_carries_codes_and_criteria():
    props = _props(json.loads((ART / "kn5601k.schema.json").read_text(encoding="utf-8")))
    assert set(ALL) <= set(props)
    assert props["AELLTCD"]["pattern"] == "^[0-9]{8}$"
    assert props["CMCLASCD"]["pattern"].startswith("^[ABCDGHJLMNPRSV]")
    assert props["AEDICTV"]["pattern"] and props["CMDICTV"]["pattern"]


def test_redcap_dictionary_and_odm_and_pandera_have_every_item():
    with (ART / "redcap" / "kn5601k-redcap.csv").open(encoding="utf-8") as fh:
        rows = {r[0]: r for r in csv.reader(fh)}
    assert {x.lower() for x in ALL} <= set(rows)
    assert rows["aesdth"][3] == "radio"
    odm = etree.parse(str(ART / "kn5601k-odm.xml"))
    names = {e.get("Name") for e in odm.iter("{*}ItemDef")}
    assert set(ALL) <= names
    pandera = (ART / "kn5601k_pandera.py").read_text(encoding="utf-8")
    assert all(f"'{x.lower()}'" in pandera for x in ALL)
    assert "'aesoccd': _column([pa.Check(matches('^[0-9]{8}$')" in pandera
