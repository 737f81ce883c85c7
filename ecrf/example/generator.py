"""Generate a clean, plausible KN5601-K export of any size from the study model.

    python -m ecrf.example.generator --out DIR [--subjects N] [--seed S] [--clean]
    python -m ecrf.example.generator --rebuild-bundled

Every form of the model gets a table (dd stays header-only; ds holds only the one withdrawal of larger
exports). Codes are checked against the schema's enums as they are written, so a schema change that retires a
code breaks the generator instead of silently producing an invalid example.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import polars as pl

from ecrf.example.coding import code_tables
from ecrf.example.efficacy import add_efficacy
from ecrf.example.enrolment import add_enrolment
from ecrf.example.plan import study_plan
from ecrf.example.rows import Rows
from ecrf.example.safety import add_safety
from ecrf.example.subjects import make_subjects
from ecrf.example.treatment import add_treatment
from ecrf.example.visits import add_visits
from ecrf.model import load_model

BUNDLED_SUBJECTS = 12
BUNDLED_SEED = 20251203


def generate(n_subjects: int, seed: int) -> dict[str, pl.DataFrame]:
    """One frame per form domain (schema order), columns titled as exported, every value text ('' missing)."""
    plan = study_plan(load_model())
    rng = random.Random(seed)
    out = {domain: Rows(form, plan.studyid) for domain, form in plan.model.forms.items()}
    for s in make_subjects(n_subjects, rng, plan):
        for add in (add_enrolment, add_visits, add_treatment, add_efficacy, add_safety):
            add(out, s, rng, plan)
    return code_tables({domain: rows.frame() for domain, rows in out.items()})


def bundled_dir() -> Path:
    return Path(__file__).parent / "bundled"


def rebuild_bundled() -> int:
    """Regenerate ecrf/example/bundled/ (12 subjects, seeded errors); the committed copy must match it."""
    from ecrf.example import write_tables
    from ecrf.example.seeding import seed_errors

    target = bundled_dir()
    for old in list(target.glob("*.csv")) + list(target.glob("*.json")):
        old.unlink()
    tables, manifest = seed_errors(generate(BUNDLED_SUBJECTS, BUNDLED_SEED), BUNDLED_SEED)
    return write_tables(target, tables, manifest)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m ecrf.example.generator", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, help="empty or new folder to write the export to")
    p.add_argument("--subjects", type=int, default=BUNDLED_SUBJECTS)
    p.add_argument("--seed", type=int, default=BUNDLED_SEED)
    p.add_argument("--clean", action="store_true", help="no seeded errors")
    p.add_argument("--rebuild-bundled", action="store_true", help="regenerate ecrf/example/bundled/")
    a = p.parse_args(argv)
    if a.rebuild_bundled:
        print(f"wrote {rebuild_bundled()} files to {bundled_dir()}")
    elif a.out:
        from ecrf.example import write_example

        print(f"wrote {write_example(a.out, subjects=a.subjects, seed=a.seed, clean=a.clean)} files to {a.out}")
    else:
        p.error("give --out DIR or --rebuild-bundled")


if __name__ == "__main__":
    main()
