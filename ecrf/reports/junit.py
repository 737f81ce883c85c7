"""JUnit XML for CI servers: one testsuite per check category, one testcase per check that ran.

A check fails when it has findings at or above the run's --fail-on severity that are not accepted in the
ledger; its <failure> carries the count and the first findings. Findings below the threshold, and accepted
ones, are listed in the testcase's <system-out> so nothing is hidden. Every testsuite carries the audit
header as <properties>.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import polars as pl

from ecrf.audit import Run, audit_header
from ecrf.registry import CATEGORIES
from ecrf.writer import terminal

FIRST = 10  # findings quoted in a failure; the count says how many there are
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0 even as references


def _safe(text) -> str:
    """Text for an XML attribute or element: control characters escaped (as on a terminal), non-characters
    replaced, so no value from the export can make the report unreadable."""
    return _NOT_XML.sub("\ufffd", terminal(text if isinstance(text, str) or text is None else str(text)))


def _line(r: dict) -> str:
    where = " ".join(x for x in (r["subject"], r["visit"], r["form"]) if x)
    row = f" {r['source_file']}:{r['source_row']}" if r["source_row"] else ""
    exp = f"; expected {r['expected']}" if r["expected"] else ""
    status = f" [{r['status']}]" if r.get("status") else ""
    return _safe(f"{r['severity']} {where}{row} {r['field'] or ''}: {r['message']} (seen {r['value']}{exp})"
                    f" fp={r['fingerprint']}{status}")


def _properties(parent: ET.Element, head: dict) -> None:
    props = ET.SubElement(parent, "properties")
    for k, v in head.items():
        ET.SubElement(props, "property", name=k, value=_safe(v if isinstance(v, str) else json.dumps(v)))


def to_junit(run: Run) -> str:
    head = audit_header(run)
    f = run.findings
    bad = run.failing()
    bad_ids = set(bad["fingerprint"].to_list())
    root = ET.Element("testsuites", name=_safe(f"ecrf validate {run.source}"))
    total = fails = 0
    for cat in CATEGORIES:
        checks = sorted((c for c in run.checks_run if c.category == cat), key=lambda c: c.id)
        if not checks:
            continue
        suite = ET.SubElement(root, "testsuite", name=cat, timestamp=head["run_time"][:19])
        _properties(suite, head)
        n_fail, spent = 0, 0.0
        for chk in checks:
            secs = run.result.seconds.get(chk.id, 0.0)
            spent += secs
            case = ET.SubElement(suite, "testcase", classname=f"ecrf.{cat}", name=f"{chk.id}: {chk.title}",
                                 time=f"{secs:.3f}")
            mine = f.filter(pl.col("check_id") == chk.id)
            failing = mine.filter(pl.col("fingerprint").is_in(list(bad_ids)))
            if failing.height:
                n_fail += 1
                rows = failing.head(FIRST).to_dicts()
                more = f"\n... and {failing.height - FIRST} more" if failing.height > FIRST else ""
                fail = ET.SubElement(case, "failure", type=chk.severity,
                                     message=f"{failing.height} finding{'s' if failing.height != 1 else ''} "
                                             f"({chk.severity}) from {chk.id}")
                fail.text = "\n".join(_line(r) for r in rows) + more
            rest = mine.filter(~pl.col("fingerprint").is_in(list(bad_ids)))
            if rest.height:
                out = ET.SubElement(case, "system-out")
                out.text = f"{rest.height} finding(s) that do not fail this run:\n" + \
                    "\n".join(_line(r) for r in rest.head(FIRST).to_dicts())
        suite.set("tests", str(len(checks)))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", f"{spent:.3f}")
        total += len(checks)
        fails += n_fail
    root.set("tests", str(total))
    root.set("failures", str(fails))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
