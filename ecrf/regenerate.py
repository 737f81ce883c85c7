"""Regenerate every generated file of the repository from the schema and the registry, or check they are
current. Run after changing schema/, a check or the example generator:

    python -m ecrf.regenerate            # rewrite artifacts, docs, check catalogue and the bundled example
    python -m ecrf.regenerate --check    # exit 1 and name the stale files (what CI and the tests check)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ARTIFACTS = {"jsonschema": DOCS / "artifacts" / "kn5601k.schema.json",
             "pandera": DOCS / "artifacts" / "kn5601k_pandera.py",
             "odm": DOCS / "artifacts" / "kn5601k-odm.xml",
             "docs": DOCS / "data-dictionary.md",
             "assumptions": DOCS / "assumptions.md",
             "redcap": DOCS / "artifacts" / "redcap" / "kn5601k-redcap.csv",
             "redcap-arms": DOCS / "artifacts" / "redcap" / "kn5601k-arms.csv",
             "redcap-events": DOCS / "artifacts" / "redcap" / "kn5601k-events.csv",
             "redcap-mapping": DOCS / "artifacts" / "redcap" / "kn5601k-mapping.csv",
             "redcap-repeating": DOCS / "artifacts" / "redcap" / "kn5601k-repeating.csv"}
CATALOGUE = DOCS / "checks.md"
REPORT_SCHEMA = DOCS / "report.schema.json"


def rendered() -> dict[Path, str]:
    """Every generated text file of the repository, freshly rendered, by path."""
    from ecrf import catalogue as C
    from ecrf.generators import build
    from ecrf.reports import report_schema

    out = {path: build(name) for name, path in ARTIFACTS.items()}
    out[CATALOGUE] = C.to_markdown(C.catalogue())
    out[REPORT_SCHEMA] = report_schema.text()
    return out


def bundled_stale() -> list[str]:
    """Files of the bundled example that differ from a fresh generation."""
    from ecrf.example.generator import BUNDLED_SEED, BUNDLED_SUBJECTS, bundled_dir, generate
    from ecrf.example import write_tables
    from ecrf.example.seeding import seed_errors

    with tempfile.TemporaryDirectory() as tmp:
        tables, manifest = seed_errors(generate(BUNDLED_SUBJECTS, BUNDLED_SEED), BUNDLED_SEED)
        write_tables(Path(tmp), tables, manifest)
        fresh = {p.name: p.read_bytes() for p in Path(tmp).iterdir()}
    have = {p.name: p.read_bytes() for p in bundled_dir().iterdir() if p.suffix in (".csv", ".json")}
    return sorted(n for n in fresh.keys() | have.keys() if fresh.get(n) != have.get(n))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ecrf.regenerate", description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    a = p.parse_args(argv)
    if a.check:
        stale = [str(path.relative_to(ROOT)) for path, text in rendered().items()
                 if not path.exists() or path.read_text(encoding="utf-8") != text]
        stale += [f"ecrf/example/bundled/{n}" for n in bundled_stale()]
        for s in stale:
            print(f"stale: {s}")
        print("all generated files are current" if not stale else "run: python -m ecrf.regenerate")
        return 1 if stale else 0
    from ecrf.example.generator import rebuild_bundled
    from ecrf.writer import make_folder, write_text

    # The bundle first: the data dictionary and catalogue do not read it, but its seeds read the schema.
    rebuild_bundled()
    for path, text in rendered().items():
        write_text(make_folder(path.parent) / path.name, text)
        print(f"wrote {path.relative_to(ROOT)}")
    print("wrote ecrf/example/bundled/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
