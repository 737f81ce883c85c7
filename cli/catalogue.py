"""`ecrf checks`: the check catalogue as a table, Markdown, CSV or an Excel workbook."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("checks")
@click.option("--format", "fmt", type=click.Choice(["table", "md", "csv", "xlsx"]), default="table",
              show_default=True, help="Catalogue format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write (default: standard output; required for xlsx).")
@click.option("--schema", "schema", envvar="ECRF_SCHEMA", type=click.Path(path_type=Path, dir_okay=False),
              help="The study's LinkML schema (default: $ECRF_SCHEMA, else the bundled KN5601-K schema); "
                   "checks it cannot support are listed as not applicable.")
def checks_command(fmt, output, schema):
    """List every registered check with its severity, deviation category, forms, fields and reference.

    \b
    Examples:
      ecrf checks
      ecrf checks --format md -o docs/checks.md
      ecrf checks --format xlsx -o checks.xlsx     # for data management sign-off
    """
    import io

    from ecrf import catalogue as C
    from ecrf.writer import write_bytes, write_text
    from ecrf.model import load_model

    model = load_model(schema)
    df = C.catalogue(model)
    if fmt == "xlsx":
        if output is None:
            raise click.UsageError("--format xlsx needs --output FILE")
        buf = io.BytesIO()
        C.to_xlsx(df, buf)
        write_bytes(output, buf.getvalue())  # atomic, like every other output
        click.echo(f"{df.height} checks written to {output}", err=True)
        return
    text = C.to_markdown(df, model) if fmt == "md" else {"csv": C.to_csv, "table": C.to_table}[fmt](df)
    if output:
        write_text(output, text)
        click.echo(f"{df.height} checks written to {output}", err=True)
    else:
        click.echo(text, nl=False)
