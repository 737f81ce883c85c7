"""JSON Schema of the eCRF, built by LinkML's own generator."""

from __future__ import annotations

import json

from linkml.generators.jsonschemagen import JsonSchemaGenerator

from ecrf.model import StudyModel


def render(model: StudyModel) -> str:
    roots = [n for n, c in model.view.all_classes().items() if c.tree_root]
    text = JsonSchemaGenerator(model.path, top_class=roots[0] if roots else None).serialize()
    # Re-serialise with sorted keys so that the output is byte-for-byte deterministic.
    return json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
