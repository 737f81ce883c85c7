"""JSON Schema of the eCRF, built by LinkML's own generator, for an export mapped to JSON (docs/json-schema.md):

    {"dm": [{"STUDYID": "KN5601-K", "SUBJID": "01-001", "AGE": 10, ...}, ...], "ae": [...], ...}

one array per form, named after its file (dm.csv -> "dm"); one object per row, with the column names as
exported (CDASH, upper case); integer and number items as JSON numbers; a multi-select item an array of
its codes (the cell split at its commas); empty cells left out. The forms every
subject has are required and not empty, so `{}` is not a valid export.
"""

from __future__ import annotations

import json

from linkml.generators.jsonschemagen import JsonSchemaGenerator

from ecrf.model import StudyModel


def render(model: StudyModel) -> str:
    roots = [n for n, c in model.view.all_classes().items() if c.tree_root]
    schema = json.loads(JsonSchemaGenerator(model.path, top_class=roots[0] if roots else None).serialize())
    for form in model.forms.values():
        _export_names(schema["$defs"][form.name], form)
    required = [f.domain for f in model.forms.values() if f.required_form]
    schema["required"] = required
    for d in required:
        schema["properties"][d]["minItems"] = 1
        schema["properties"][d]["type"] = "array"
    # Re-serialise with sorted keys so that the output is byte-for-byte deterministic.
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _export_names(cls: dict, form) -> None:
    """Property names as the export's column headers (the CDASH titles)."""
    title = {i.name: i.title for i in form.items}
    cls["properties"] = {title.get(k, k): v for k, v in cls.get("properties", {}).items()}
    if "required" in cls:
        cls["required"] = [title.get(k, k) for k in cls["required"]]
