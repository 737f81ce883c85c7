"""The schema is a normal LinkML project: LinkML's own linter finds nothing in it."""

from click.testing import CliRunner
from linkml.linter.cli import main as linkml_lint

from ecrf.model import schema_path


def test_schema_is_linkml_lint_clean():
    result = CliRunner().invoke(linkml_lint, [str(schema_path())])
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output
