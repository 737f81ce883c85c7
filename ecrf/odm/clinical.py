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
_ITEM = _Q + "ItemData"
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


_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False,
                remove_comments=True, remove_pis=True)


def _precheck(path: Path) -> None:
    """Empty files and DTDs are refused before any parser sees them."""
    if not path.is_file():
        raise InputError(path, "expected an ODM XML file")
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise InputError(path, "file is empty: expected an ODM 1.3.2 XML document", row=1)
    # A DTD can only come before the root element: refuse it before the parser sees its entities.
    root_at = re.search(rb"<[A-Za-z_]", head)
    prolog = (head[: root_at.start()] if root_at else head).upper()
    if b"<!DOCTYPE" in prolog:
        raise InputError(path, DTD_REFUSED, row=prolog.count(b"\n", 0, prolog.index(b"<!DOCTYPE")) + 1)


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


def records(path: Path) -> list[Record]:
    return scan(path)[0]


def locations(path: Path) -> set[str] | None:
    """The LocationOIDs the file's AdminData declares (None: no AdminData Location at all)."""
    return scan(path)[2]


_LEVELS = {_Q + "SubjectData": ("subject", "SubjectKey", None),
           _Q + "StudyEventData": ("event", "StudyEventOID", "StudyEventRepeatKey"),
           _Q + "FormData": ("form", "FormOID", "FormRepeatKey")}


_STREAMED = [_Q + t for t in ("ClinicalData", "SubjectData", "SiteRef", "StudyEventData", "FormData",
                              "ItemGroupData", "Location")]


def _first_element(path: Path) -> None:
    """The root must be an ODM 1.3 <ODM>; said before anything is read."""
    parsing = etree.iterparse(str(path), events=("start",), **_OPTIONS)
    for _, el in parsing:
        # libxml2 reports a broken root (an undeclared prefix) after handing it over
        errors = [e for e in parsing.error_log if e.level >= etree.ErrorLevels.ERROR]
        if errors:
            raise InputError(path, f"not well-formed XML: {errors[0].message}", row=errors[0].line)
        check_root(path, el)
        return


def scan(path: Path) -> tuple[list[Record], bool, set[str] | None]:
    """Every ItemGroupData of every ClinicalData block, merged as ODM says: a record met again with
    TransactionType Update/Upsert/Context changes the first, Remove (at any level) drops what it names, and
    the same record twice otherwise is an input error (a duplicate repeat key). Also: whether the file has
    ClinicalData at all, and the OIDs of the AdminData Locations (sites; None when there are none).
    Streamed: memory holds the records, not the document."""
    path = Path(path)
    _precheck(path)
    out: dict[tuple, Record] = {}
    clinical = False
    sites: set[str] | None = None
    stack: list[tuple[dict, str | None]] = []  # (context, TransactionType in force) per open level
    ctx: dict = {}
    tx: str | None = None
    try:
        _first_element(path)
        # Only the elements that place a record are handed over (ItemData are read from their group).
        for event, el in etree.iterparse(str(path), events=("start", "end"), tag=_STREAMED, **_OPTIONS):
            tag = el.tag
            if event == "start":
                if tag == _Q + "ClinicalData":
                    clinical = True
                    stack.append((ctx, tx))
                    ctx = dict(study=el.get("StudyOID"), subject=None, site=None, event=None, event_rk=None,
                               form=None, form_rk=None)
                    tx = None
                elif tag in _LEVELS and ctx:
                    level, oid_attr, rk_attr = _LEVELS[tag]
                    stack.append((ctx, tx))
                    ctx = dict(ctx, **{level: _need(path, el, oid_attr)})
                    if rk_attr:
                        ctx[f"{level}_rk"] = el.get(rk_attr)
                    tx = el.get("TransactionType") or tx
                    if el.get("TransactionType") == "Remove":
                        _remove(out, ctx, level)
                continue
            if tag == _Q + "Location":
                sites = (sites or set()) | {_need(path, el, "OID")}
            elif tag == _Q + "SiteRef" and ctx.get("subject"):
                ctx["site"] = el.get("LocationOID")
            elif tag == _Q + "ItemGroupData" and ctx:
                _group(path, el, ctx, el.get("TransactionType") or tx, out)
            elif tag in _LEVELS or tag == _Q + "ClinicalData":
                if stack:
                    ctx, tx = stack.pop()
            else:
                continue
            if tag != _Q + "SiteRef":
                # done with this subtree: free it and what came before it
                el.clear(keep_tail=False)
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else exc.lineno
        raise InputError(path, f"not well-formed XML: {exc.msg}", row=line) from None
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read the XML: {exc}") from None
    return list(out.values()), clinical, sites


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
    items = rec.items
    for item in el:
        tag = item.tag
        if tag != _ITEM and not (isinstance(tag, str) and tag.startswith(_ITEM)):
            continue
        get = item.get
        oid = get("ItemOID") or _need(path, item, "ItemOID")
        if get("TransactionType") == "Remove":
            removed.add(oid)
        elif get("IsNull") == "Yes":
            items[oid] = None
        elif tag == _ITEM:
            items[oid] = get("Value")
        else:  # ItemDataString, ItemDataInteger, ...: the value is the element's text
            items[oid] = item.text or ""
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
