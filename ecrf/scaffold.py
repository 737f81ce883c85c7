"""`ecrf init DIR`: a new study's starting point: a schema skeleton with the roles the generic checks read, a
config that points the command at it, a README, and a tiny export that validates clean."""

from __future__ import annotations

from pathlib import Path

from ecrf.errors import InputError
from ecrf.writer import write_text

SCHEMA = """\
id: https://example.org/{name}
name: {name}
title: {name} eCRF
description: >-
  The eCRF of study {name}: one class per form; a form's export file is named after its `domain` annotation
  (dm.csv, ae.csv, ...). Items carry a `role` annotation where a generic check needs to know what they mean.
license: MIT
version: 0.1.0
prefixes:
  linkml: https://w3id.org/linkml/
  study: https://example.org/{name}/
default_prefix: study
default_range: string
imports:
  - linkml:types

types:
  partial_date:
    typeof: string
    description: An ISO 8601 date, complete or partial (YYYY, YYYY-MM, YYYY-MM-DD).
    pattern: "^[0-9]{{4}}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"

classes:
  Export:
    tree_root: true
    description: A whole export, one list of records per form (the root of the generated JSON Schema).
    attributes:
      dm: {{range: Demographics, multivalued: true, inlined_as_list: true}}
      ae: {{range: AdverseEvent, multivalued: true, inlined_as_list: true}}
  Demographics:
    description: One record per subject.
    annotations: {{domain: dm}}
    attributes:
      subjid: {{title: SUBJID, required: true, pattern: "^[0-9]{{2}}-[0-9]{{3}}$", annotations: {{role: subject}}}}
      siteid: {{title: SITEID, required: true, annotations: {{role: site}}}}
      sex: {{title: SEX, range: Sex}}
      brthdat: {{title: BRTHDAT, range: partial_date, annotations: {{role: birth_date}}}}
    unique_keys:
      dm_key: {{unique_key_slots: [subjid]}}
  AdverseEvent:
    description: One record per adverse event.
    annotations: {{domain: ae}}
    attributes:
      subjid: {{title: SUBJID, required: true, annotations: {{role: subject}}}}
      aeseq: {{title: AESEQ, range: integer, required: true, minimum_value: 1}}
      aeterm: {{title: AETERM, required: true}}
      aestdat: {{title: AESTDAT, range: partial_date, required: true, annotations: {{role: start_date}}}}
      aeendat: {{title: AEENDAT, range: partial_date, annotations: {{role: end_date}}}}
    unique_keys:
      ae_key: {{unique_key_slots: [subjid, aeseq]}}

enums:
  Sex:
    permissible_values:
      F: {{description: Female}}
      M: {{description: Male}}
"""

CONFIG = """\
# Point `ecrf` at this study's schema: `set -a; . ./ecrf.env; set +a` (or pass --schema each time).
ECRF_SCHEMA={schema}
"""

README = """\
# Study {name}

Scaffolded by `ecrf init`. The study is its schema, `study.yaml` (LinkML); no Python is needed.

```sh
set -a; . ./ecrf.env; set +a              # or: --schema study.yaml on each command
ecrf validate example_export              # the tiny export here validates clean
ecrf checks                               # which checks apply to this study, and why the others do not
ecrf generate jsonschema -o study.schema.json
```

Next steps:
- Add a form: a class with `annotations: {{domain: xx}}` (its file is xx.csv), its items as attributes, a
  `unique_keys` entry, and a line under `Export` (the JSON Schema root lists every form).
- Annotate `role` on the items the generic checks read: subject, site, visit, start_date, end_date,
  death_date, birth_date, consent_date.
- Codelists are enums; hard ranges are `minimum_value` / `maximum_value`; formats are `pattern`.
"""

EXPORT = {
    "dm.csv": "SUBJID,SITEID,SEX,BRTHDAT\n01-001,01,F,2015-03\n01-002,01,M,2014\n",
    "ae.csv": "SUBJID,AESEQ,AETERM,AESTDAT,AEENDAT\n01-001,1,Headache,2026-01-10,2026-01-12\n",
}


def init_study(directory: Path) -> list[Path]:
    """Write the skeleton into `directory` (new or empty, so nothing is overwritten); return the files."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InputError(directory, "exists and is not empty; choose a new or empty folder")
    name = "".join(ch if ch.isalnum() else "_" for ch in directory.resolve().name).strip("_").lower() or "study"
    schema = directory / "study.yaml"
    files = {
        schema: SCHEMA.format(name=name),
        directory / "ecrf.env": CONFIG.format(schema=schema.resolve()),
        directory / "README.md": README.format(name=name),
    }
    files |= {directory / "example_export" / n: text for n, text in EXPORT.items()}
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, text)
    return list(files)
