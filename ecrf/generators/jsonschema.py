"""JSON Schema of the eCRF, built by LinkML's own generator."""

from __future__ import annotations

import json

from linkml.generators.jsonschemagen import JsonSchemaGenerator

from ecrf.model import StudyModel, schema_path


def render(model: StudyModel) -> str:
    text = JsonSchemaGenerator(str(schema_path()), top_class="Export").serialize()
    # Re-serialise with sorted keys so that the output is byte-for-byte deterministic.
    return json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
