"""How msg2.yaml was derived: from the sample's define.xml and the Dataset-JSON files' own metadata.

    python studies/cdisc-msg2/derive_schema.py ../shared/samples/datasetjson/sdtm > studies/cdisc-msg2/msg2.yaml

Kept to show the derivation; the study is the YAML, which may be edited by hand from then on (ecrf needs no
Python for a study).
"""

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/samples/datasetjson/sdtm")
NS = {"o": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
root = ET.parse(SRC / "define.xml").getroot()
mdv = root.find(".//o:MetaDataVersion", NS)
items = {i.get("OID"): i for i in mdv.findall("o:ItemDef", NS)}
cls_ = {c.get("OID"): c for c in mdv.findall("o:CodeList", NS)}
groups = {g.get("Name"): g for g in mdv.findall("o:ItemGroupDef", NS)}
DOMAINS = ["DM", "SUPPDM", "IE", "MH", "SV", "EX", "CM", "VS", "AE", "DS", "DD"]
ROLES = {
    "USUBJID": "subject",
    "SITEID": "site",
    "VISIT": "visit",
    "VISITNUM": "visit_number",
    "DTHDTC": "death_date",
    "BRTHDTC": "birth_date",
    "RFICDTC": "consent_date",
    "RFSTDTC": "reference_start_date",
    "RFPENDTC": "end_of_participation_date",
    "DTHFL": "death_flag",
    "AESER": "serious",
    # the seriousness criteria the sample collects (SDTMIG 3.x: the six of ICH E2A less AESMIE, plus the
    # sponsor-defined cancer and overdose)
    **{c: "seriousness" for c in ("AESCAN", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESOD")},
}


def role(name, dom):
    if name in ROLES:
        return ROLES[name]
    if name == f"{dom}STDTC":
        return "start_date"
    if name == f"{dom}ENDTC":
        return "end_date"
    if name == f"{dom}DTC":
        return "date"
    if name == f"{dom}SEQ":
        return "sequence"
    return None


def text(el):
    t = el.find(".//o:TranslatedText", NS) if el is not None else None
    return (t.text or "").strip() if t is not None else ""


def q(s):
    return json.dumps(s, ensure_ascii=False)


enums = {}
out = []
for dom in DOMAINS:
    g = groups.get(dom)
    meta = json.loads((SRC / f"{dom.lower()}.json").read_text())
    cols = {c["name"]: c for c in meta["columns"]}
    refs = {ir.get("ItemOID"): ir for ir in g.findall("o:ItemRef", NS)} if g is not None else {}
    cname = "".join(w.capitalize() for w in re.findall(r"[A-Za-z]+", meta["label"])) or dom
    keys = [
        c["name"] for c in sorted((c for c in meta["columns"] if c.get("keySequence")), key=lambda c: c["keySequence"])
    ]
    lines = [
        f"  {cname}:",
        f"    description: {q(meta['label'] + ' (SDTM ' + dom + '), ' + (g.get('{%s}Structure' % NS['def']) if g is not None else ''))}",
        f"    annotations: {{domain: {dom.lower()}}}",
        "    attributes:",
    ]
    for c in meta["columns"]:
        n = c["name"]
        oid = c.get("itemOID") or f"IT.{dom}.{n}"
        idef = items.get(oid)
        ref = refs.get(oid)
        a = {"title": n, "description": c.get("label", n)}
        dt = c.get("dataType")
        if dt in ("date", "datetime") or (
            idef is not None and idef.get("DataType") in ("date", "datetime", "partialDate", "partialDatetime")
        ):
            a["range"] = "partial_date"
        elif dt == "integer":
            a["range"] = "integer"
        elif dt in ("float", "double", "decimal"):
            a["range"] = "decimal"
        if idef is not None:
            cl = idef.find("o:CodeListRef", NS)
            if cl is not None and cl.get("CodeListOID") in cls_:
                cdef = cls_[cl.get("CodeListOID")]
                codes = [ci.get("CodedValue") for ci in cdef.findall("o:CodeListItem", NS)] + [
                    ci.get("CodedValue") for ci in cdef.findall("o:EnumeratedItem", NS)
                ]
                if codes and "range" not in a:
                    en = re.sub(r"\W", "", cdef.get("OID").replace("CL.", "")) or "Codes"
                    en = "CL" + en if en[0].isdigit() else en
                    enums[en] = (cdef.get("Name"), codes)
                    a["range"] = en
        if ref is not None and ref.get("Mandatory") == "Yes":
            a["required"] = True
        if n == "DOMAIN":
            a["equals_string"] = dom
        r = role(n, dom)
        if r:
            a["annotations"] = {"role": r}
        body = ", ".join(
            f"{k}: {q(v) if isinstance(v, str) else (json.dumps(v) if not isinstance(v, dict) else '{' + ', '.join(f'{kk}: {vv}' for kk, vv in v.items()) + '}')}"
            for k, v in a.items()
        )
        lines.append(f"      {n.lower()}: {{{body}}}")
    if keys:
        lines += [
            "    unique_keys:",
            f"      {dom.lower()}_key: {{unique_key_slots: [{', '.join(k.lower() for k in keys)}]}}",
        ]
    out.append((dom, cname, "\n".join(lines)))
print("""id: https://w3id.org/ecrf/studies/cdisc-msg2
name: cdisc_msg2
title: CDISC SDTM Metadata Submission Guidelines v2 sample study (CDISCPILOT01)
description: >-
  A second study for ecrf, defined by schema alone: the SDTM datasets of the CDISC MSG v2 sample
  (DM, SUPPDM, IE, MH, SV, EX, CM, VS, AE, DS, DD). Variables, labels, types, keys and mandatory flags come
  from the datasets' own Dataset-JSON metadata; codelists and mandatory flags from the sample's define.xml
  (Define-XML 2.1). Each form's file is named after its domain (dm.json, dm.xpt, dm.csv). Item annotations
  `role` tell the generic checks what an item means (subject, visit, start_date, ...).
license: MIT
version: 0.1.0
see_also:
  - https://github.com/cdisc-org/DataExchange-DatasetJson/tree/master/examples/sdtm
prefixes:
  linkml: https://w3id.org/linkml/
  msg2: https://w3id.org/ecrf/studies/cdisc-msg2/
default_prefix: msg2
default_range: string
imports:
  - linkml:types

types:
  partial_date:
    typeof: string
    description: >-
      An ISO 8601 calendar date, complete or partial (SDTM --DTC without a time part: YYYY, YYYY-MM,
      YYYY-MM-DD). The sample records no times; a --DTC with a time part is reported by COL-DATE, since
      ecrf's date checks work on calendar dates.
    pattern: "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"

classes:
  Export:
    tree_root: true
    description: A whole submission, one list of records per dataset (used for the JSON Schema).
    attributes:""")
for dom, cname, _ in out:
    print(
        f"      {dom.lower()}: {{description: Records of {dom} ({dom.lower()}.json / .xpt)., range: {cname}, multivalued: true, inlined_as_list: true}}"
    )
for _, _, body in out:
    print(body)
print("\nenums:")
for en, (name, codes) in sorted(enums.items()):
    print(f"  {en}:\n    description: {q(name + ' (define.xml CodeList)')}\n    permissible_values:")
    for c in codes:
        print(f"      {q(c)}: {{}}")
