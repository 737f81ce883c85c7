"""ODM 1.3.2 ClinicalData, read at the level of the standard (no study knowledge): one record per
ItemGroupData, with its subject, event, form and repeat keys, its items and its line in the file.

Untrusted XML: lxml without entity expansion, DTD loading or network access, and a document that declares a
DTD at all is refused (billion-laughs and external-entity files end here, fast, with one line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ecrf.errors import InputError
from ecrf.odm import NS

ODM2_NS = "http://www.cdisc.org/ns/odm/v2.0"
_Q = "{" + NS + "}"
DTD_REFUSED = "the document declares a DTD (entities); an ODM export has none, and it is not read, for safety"
MERGING = {"Update", "Upsert", "Context"}  # a second occurrence of a record changes the first


@dataclass
class Record:
    """One ItemGroupData: where it sits and its items ({ItemOID: value}, None for IsNull="Yes")."""

    study: str | None
    subject: str | None
    site: str | None
    event: str | None
    event_rk: str | None
    form: str | None
    form_rk: str | None
    group: str
    group_rk: str | None
    line: int
    items: dict[str, str | None] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """SubjectKey/StudyEventOID[RepeatKey]/FormOID[RepeatKey]/ItemGroupOID[RepeatKey], the record's address."""
        def part(oid, rk):
            return f"{oid}[{rk}]" if rk is not None else oid
        parts = [self.subject, part(self.event, self.event_rk), part(self.form, self.form_rk),
                 part(self.group, self.group_rk)]
        return "/".join(p for p in parts if p is not None)

    def key(self) -> tuple:
        return (self.study, self.subject, self.event, self.event_rk, self.form, self.form_rk, self.group,
                self.group_rk)


def parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


def parse(path: Path) -> etree._Element:
    """The ODM 1.3 root element of the file, or an InputError in one line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "expected an ODM XML file")
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise InputError(path, "file is empty: expected an ODM 1.3.2 XML document", row=1)
    # A DTD can only come before the root element: refuse it before the parser sees its entities.
    root_at = re.search(rb"<[A-Za-z_]", head)
    prolog = head[: root_at.start()] if root_at else head
    if b"<!DOCTYPE" in prolog.upper():
        raise InputError(path, DTD_REFUSED, row=prolog.count(b"\n", 0, prolog.upper().index(b"<!DOCTYPE")) + 1)
    try:
        tree = etree.parse(str(path), parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else exc.lineno
        raise InputError(path, f"not well-formed XML: {exc.msg}", row=line) from None
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read the XML: {exc}") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InputError(path, DTD_REFUSED, row=1)
    root = tree.getroot()
    check_root(path, root)
    return root


def check_root(path: Path, root) -> None:
    qn = etree.QName(root)
    if qn.localname != "ODM":
        raise InputError(path, f"not an ODM file: the root element is <{qn.localname}>", row=root.sourceline)
    if qn.namespace == ODM2_NS:
        raise InputError(path, "ODM 2.0 is not read; export the data as ODM 1.3.2 "
                         f"(namespace {NS})", row=root.sourceline)
    if qn.namespace != NS:
        raise InputError(path, f"ODM root in namespace {qn.namespace or '(none)'}; expected ODM 1.3 ({NS})",
                         row=root.sourceline)


def records(path: Path, root=None) -> list[Record]:
    """Every ItemGroupData of every ClinicalData block, merged as ODM says: a record met again with
    TransactionType Update/Upsert/Context changes the first, Remove (at any level) drops what it names, and
    the same record twice otherwise is an input error (a duplicate repeat key)."""
    root = parse(path) if root is None else root
    out: dict[tuple, Record] = {}
    for cd in root.iterchildren(_Q + "ClinicalData"):
        study = cd.get("StudyOID")
        ctx = dict(study=study, subject=None, site=None, event=None, event_rk=None, form=None, form_rk=None)
        _walk(path, cd, ctx, None, out)
    return list(out.values())


_LEVELS = {"SubjectData": ("subject", "SubjectKey", None), "StudyEventData": ("event", "StudyEventOID",
                                                                          "StudyEventRepeatKey"),
           "FormData": ("form", "FormOID", "FormRepeatKey")}


def _walk(path: Path, el, ctx: dict, tx: str | None, out: dict) -> None:
    for child in el.iterchildren(tag=etree.Element):
        qn = etree.QName(child)
        if qn.namespace != NS:
            continue  # vendor extensions (mdsol:, OpenClinica:, redcap:) carry nothing the checks read
        name = qn.localname
        ctx_tx = child.get("TransactionType") or tx
        if name in _LEVELS:
            level, oid_attr, rk_attr = _LEVELS[name]
            sub = dict(ctx)
            sub[level] = _need(path, child, oid_attr)
            if rk_attr:
                sub[f"{level}_rk"] = child.get(rk_attr)
            if name == "SubjectData":
                site = child.find(_Q + "SiteRef")
                sub["site"] = site.get("LocationOID") if site is not None else None
            if child.get("TransactionType") == "Remove":
                _remove(out, sub, level)
                continue
            _walk(path, child, sub, ctx_tx, out)
        elif name == "ItemGroupData":
            _group(path, child, ctx, ctx_tx, out)


def _need(path: Path, el, attr: str) -> str:
    v = el.get(attr)
    if not v:
        raise InputError(path, f"<{etree.QName(el).localname}> without {attr}", row=el.sourceline)
    return v


def _remove(out: dict, ctx: dict, level: str) -> None:
    """Drop the records under a removed subject, event or form (all repeats when no repeat key is given)."""
    names = ["study", "subject", "event", "event_rk", "form", "form_rk"]
    upto = names.index(level) + (2 if level != "subject" else 1)
    want = {n: ctx[n] for n in names[:upto]}
    for k in [k for k, r in out.items()
              if all(getattr(r, n) == v or (n.endswith("_rk") and v is None) for n, v in want.items())]:
        del out[k]


def _group(path: Path, el, ctx: dict, tx: str | None, out: dict) -> None:
    rec = Record(**ctx, group=_need(path, el, "ItemGroupOID"), group_rk=el.get("ItemGroupRepeatKey"),
                 line=el.sourceline or 0)
    removed: set[str] = set()
    for item in el.iterchildren(tag=etree.Element):
        qn = etree.QName(item)
        if qn.namespace != NS or not qn.localname.startswith("ItemData"):
            continue
        oid = _need(path, item, "ItemOID")
        if item.get("TransactionType") == "Remove":
            removed.add(oid)
            continue
        if item.get("IsNull") == "Yes":
            rec.items[oid] = None
        elif qn.localname == "ItemData":
            rec.items[oid] = item.get("Value")
        else:  # ItemDataString, ItemDataInteger, ...: the value is the element's text
            rec.items[oid] = item.text or ""
    k = rec.key()
    if rec.subject is None:
        # CDISC Dataset-XML: ItemGroupData right under ClinicalData, one per dataset row (numbered by
        # data:ItemGroupDataSeq); rows are never merged.
        seq = next((v for a, v in el.attrib.items() if etree.QName(a).localname == "ItemGroupDataSeq"), None)
        rec.group_rk = rec.group_rk or seq
        k = k + (rec.line,)
    if tx == "Remove":
        out.pop(k, None)
        return
    if k in out:
        if tx not in MERGING:
            raise InputError(path, f"record {rec.path} appears twice (lines {out[k].line} and {rec.line}): "
                             "duplicate repeat key", row=rec.line)
        out[k].items.update(rec.items)
        for oid in removed:
            out[k].items.pop(oid, None)
        return
    out[k] = rec
