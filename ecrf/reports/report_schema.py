"""The JSON Schema of `ecrf validate --format json` (docs/report.schema.json), built from the same column
lists the report is built from, so the two cannot drift apart."""

from __future__ import annotations

import json

from ecrf.audit import LEDGER_COLUMNS, STATUSES
from ecrf.findings import COLUMNS
from ecrf.findings import SEVERITIES
from ecrf.registry import CATEGORIES
from ecrf.reports.machine import JSON_SCHEMA_ID

SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
COUNT = {"type": "integer", "minimum": 0}
SCHEMA_HASH = "sha256 over every schema file, name and bytes, in name order"
COUNTS = {"type": "object", "additionalProperties": COUNT}
TEXT = {"type": ["string", "null"]}

FINDING_DOC = {
    "fingerprint": "Stable id of the problem across runs: check, form, record key, field, subject (not the row).",
    "check_id": "Id of the check (see docs/checks.md).",
    "severity": "error or warning; important or non-important for protocol deviations.",
    "category": "structure, range, consistency or deviation.",
    "dvcat": "Protocol-deviation category of a deviation finding, else null.",
    "site": "Site id (SITEID) of the record, else of the subject.", "subject": "Subject id (SUBJID).",
    "visit": "Visit code.", "form": "Form domain (dm, lb, ...).",
    "record_key": "The record's key as KEY=value pairs joined by |.", "field": "Item name as exported.",
    "value": "Value seen.", "expected": "Value expected.", "message": "What is wrong, for the query text.",
    "source_file": "File of the export.", "source_row": "Row in that file as a spreadsheet numbers it (header 1).",
    "source_ref": "Where, in the export format's own terms (an Excel cell, an ODM path); null for CSV.",
    "status": "Ledger status (new, open, reopened, accepted; resolved in `resolved`); null without --ledger.",
    "first_seen": "Time of the first ledger run that saw this fingerprint.",
    "runs_open": "Number of ledger runs in which the finding was present.",
    "accepted_by": "Who accepted the finding (ecrf ledger accept --by).",
    "accepted_reason": "Why (ecrf ledger accept --reason).",
}


def _finding() -> dict:
    props = {c: dict(TEXT) for c in (*COLUMNS, *LEDGER_COLUMNS)}
    props["fingerprint"] = {"type": "string", "pattern": "^[0-9a-f]{16}$"}
    props["check_id"] = {"type": "string"}
    props["severity"] = {"enum": list(SEVERITIES)}
    props["category"] = {"enum": list(CATEGORIES)}
    props["source_row"] = {"type": ["integer", "null"], "minimum": 1}
    props["runs_open"] = {"type": ["integer", "null"], "minimum": 0}
    props["status"] = {"enum": [*STATUSES, None]}
    props["first_seen"] = {"type": ["string", "null"], "format": "date-time"}
    for c, d in FINDING_DOC.items():
        props[c]["description"] = d
    return {"type": "object", "required": list(props), "additionalProperties": False, "properties": props}


def report_schema() -> dict:
    audit = {
        "type": "object",
        "description": "Which tool, schema, options and input bytes produced this report.",
        "required": ["tool", "tool_version", "schema", "run_id", "run_time", "source", "input_format", "options",
                     "ledger", "inputs"],
        "additionalProperties": False,
        "properties": {
            "tool": {"const": "ecrf"},
            "tool_version": {"type": "string"},
            "schema": {"type": "object", "required": ["name", "id", "version", "sha256"],
                       "additionalProperties": False,
                       "properties": {"name": {"type": "string"}, "id": {"type": "string"},
                                      "version": TEXT, "sha256": SHA256 | {"description": SCHEMA_HASH}}},
            "run_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "run_time": {"type": "string", "format": "date-time"},
            "source": {"type": "string", "description": "The export as given on the command line."},
            "input_format": {"type": "string"},
            "options": {"type": "object", "description": "The options of the run as given."},
            "ledger": TEXT,
            "inputs": {"type": "array", "items": {
                "type": "object", "required": ["name", "rows_read", "sha256"], "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "rows_read": COUNT, "sha256": SHA256}}},
        },
    }
    summary = {"type": "object",
               "required": ["rows_read", "rows_checked", "findings", "by_severity", "by_check", "by_subject",
                            "by_status"],
               "additionalProperties": False,
               "properties": {"rows_read": COUNT, "rows_checked": COUNT, "findings": COUNT, "by_severity": COUNTS,
                              "by_check": COUNTS, "by_subject": COUNTS,
                              "by_status": {"type": "object", "propertyNames": {"enum": list(STATUSES)},
                                            "additionalProperties": COUNT}}}
    form = {"type": "object", "required": ["form", "file", "rows_read", "rows_checked"], "additionalProperties": False,
            "properties": {"form": TEXT, "file": {"type": "string"}, "rows_read": COUNT, "rows_checked": COUNT}}
    check = {"type": "object", "required": ["id", "title", "category", "severity", "findings"],
             "additionalProperties": False,
             "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                            "category": {"enum": list(CATEGORIES)}, "severity": {"enum": list(SEVERITIES)},
                            "findings": COUNT}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": JSON_SCHEMA_ID,
        "title": "ecrf validate JSON report",
        "description": "The report of `ecrf validate --format json`: audit header, summary, rows per form, the "
                       "checks that ran, the findings and (with --ledger) the findings resolved since the last run.",
        "type": "object",
        "required": ["audit", "summary", "forms", "checks", "findings", "resolved"],
        "additionalProperties": False,
        "properties": {
            "$schema": {"const": JSON_SCHEMA_ID},
            "audit": audit, "summary": summary,
            "forms": {"type": "array", "items": form},
            "checks": {"type": "array", "items": check},
            "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
            "resolved": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
            "not_applicable": {"type": "array", "description": "Checks the study's model cannot support (a form, "
                               "item, role or parameter it lacks), with the reason; they did not run.",
                               "items": {"type": "object", "required": ["check_id", "reason"],
                                         "additionalProperties": False,
                                         "properties": {"check_id": {"type": "string"},
                                                        "reason": {"type": "string"}}}},
        },
        "$defs": {"finding": _finding()},
    }


def text() -> str:
    return json.dumps(report_schema(), indent=2) + "\n"
