"""`ecrf`: validate eCRF exports against the study's LinkML model, and generate artifacts from it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ecrf.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, InputError

# --fail-on: which severities fail the run (ecrf.findings.SEVERITY_ORDER ranks them; kept import-light for --help).
FAIL_ON = {"error": 0, "warning": 1, "never": -1}


class EcrfGroup(click.Group):
    """Turns input errors into one line on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as err:
            click.echo(f"ecrf: error: {err}", err=True)
            ctx.exit(EXIT_INPUT_ERROR)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as err:  # a defect in ecrf, not in the data: say so, keep the traceback opt-in
            if os.environ.get("ECRF_DEBUG"):
                raise
            click.echo(f"ecrf: internal error ({type(err).__name__}: {err}); rerun with ECRF_DEBUG=1 "
                       "and report it", err=True)
            ctx.exit(EXIT_INTERNAL_ERROR)


def schema_option(func):
    """`--schema FILE` (or $ECRF_SCHEMA): the study's LinkML schema; the bundled KN5601-K schema by default."""
    return click.option("--schema", "schema", envvar="ECRF_SCHEMA", type=click.Path(path_type=Path, dir_okay=False),
                        help="The study's LinkML schema (default: $ECRF_SCHEMA, else the bundled KN5601-K "
                             "schema).")(func)


@click.group(cls=EcrfGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ecrf")
def main():
    """Check eCRF data exports of the KN5601-K trial (NCT07283315) against its LinkML model.

    \b
    Typical run:
      ecrf example demo_export          # copy the bundled example export
      ecrf validate demo_export         # check it; exit 1 when errors are found
      ecrf generate jsonschema -o kn5601k.schema.json

    Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 input or usage error,
    3 internal error.
    """


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--input-format", help="Read PATH as this format instead of detecting it from the content "
              "(see `ecrf formats`).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="Report format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of the terminal.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True,
              help="Exit with 1 when a finding of this severity or worse is found.")
@click.option("--category", multiple=True,
              type=click.Choice(["structure", "range", "consistency", "deviation"]),
              help="Run only checks of this category (repeatable).")
@schema_option
def validate(path, input_format, fmt, output, fail_on, category, schema):
    """Validate the export at PATH (a folder with one CSV file per form, e.g. dm.csv, ae.csv).

    Every row read is checked; the report shows rows read and rows checked per form, then one finding per
    problem with its check id, subject, visit, field, value seen and value expected.

    \b
    Examples:
      ecrf validate export/
      ecrf validate export/ --format json --output findings.json
      ecrf validate export/ --fail-on warning      # for CI: warnings fail too
      ecrf validate sdtm/ --schema studies/cdisc-msg2/msg2.yaml   # another study

    Checks the study's model cannot support (a form, item, role or parameter it lacks) are listed as not
    applicable in the report.
    """
    from ecrf.engine import validate as run
    from ecrf.model import load_model
    from ecrf.readers import read_export
    from ecrf.registry import registered
    from ecrf.reports import machine, terminal
    from ecrf.writer import protect, write_text

    model = load_model(schema)
    protect(path)
    export = read_export(path, model, input_format)
    checks = [c for c in registered() if not category or c.category in category]
    result = run(model, export, checks)
    if fmt == "json":
        text = machine.to_json(result, str(path))
    elif fmt == "csv":
        text = machine.to_csv(result)
    else:
        text = terminal.render(result, str(path))
    if output:
        write_text(output, text)
        click.echo(f"{result.findings.height} findings written to {output}", err=True)
    else:
        click.echo(text, nl=False)
    from ecrf.findings import SEVERITY_ORDER

    failing = [s for s, rank in SEVERITY_ORDER.items() if rank <= FAIL_ON[fail_on]]
    hit = result.findings.filter(result.findings["severity"].is_in(failing))
    sys.exit(EXIT_FINDINGS if hit.height else EXIT_CLEAN)


@main.command()
@click.argument("artifact", type=click.Choice(["jsonschema", "pandera", "docs", "assumptions"]))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write (default: standard output).")
@schema_option
def generate(artifact, output, schema):
    """Generate ARTIFACT from the schema: jsonschema, pandera (a Python module), docs (data dictionary) or
    assumptions (the register of [CONV] defaults the study team must confirm).

    \b
    Examples:
      ecrf generate jsonschema -o kn5601k.schema.json
      ecrf generate pandera -o kn5601k_pandera.py
      ecrf generate docs -o docs/data-dictionary.md
      ecrf generate assumptions -o docs/assumptions.md
    """
    from ecrf.generators import build
    from ecrf.model import load_model
    from ecrf.writer import write_text

    text = build(artifact, load_model(schema))
    if output:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--subjects", type=click.IntRange(1), help="Generate this many subjects instead of copying the bundled export.")
@click.option("--seed", type=int, default=20251203, show_default=True, help="Random seed for generation.")
@click.option("--clean", is_flag=True, help="Generate without seeded errors.")
@click.option("--format", "fmt", default="csv", show_default=True,
              help="Export format to write (csv, or another format of `ecrf formats` that can be written).")
def example(directory, subjects, seed, clean, fmt):
    """Write an example export to DIRECTORY.

    Without options, copies the bundled KN5601-K example (12 subjects, all five cohorts) with its seeded
    errors listed in seeded_errors.json. With --subjects, generates a fresh export of that size.

    \b
    Examples:
      ecrf example demo_export
      ecrf example big_export --subjects 1000 --clean
    """
    from ecrf.example import write_example

    n = write_example(directory, subjects=subjects, seed=seed, clean=clean, fmt=fmt)
    click.echo(f"wrote {n} files to {directory}", err=True)


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def init(directory):
    """Scaffold a new study in DIRECTORY: a schema skeleton (study.yaml) with the roles the generic checks read,
    a config (ecrf.env, sets ECRF_SCHEMA), a README and a tiny example export.

    \b
    Examples:
      ecrf init my-study && ecrf validate my-study/example_export --schema my-study/study.yaml
    """
    from ecrf.scaffold import init_study

    written = init_study(directory)
    click.echo(f"wrote {len(written)} files to {directory}; next: see {directory}/README.md", err=True)


@main.command()
def formats():
    """List the export formats `ecrf validate` reads (detected from the content; --input-format forces one)."""
    from ecrf.readers import readers

    for r in readers().values():
        click.echo(f"{r.name:14} {r.description}")


from ecrf.cli.catalogue import checks_command  # noqa: E402

main.add_command(checks_command)


if __name__ == "__main__":
    main()
