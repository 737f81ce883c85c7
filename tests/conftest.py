"""Shared fixtures: the study model and the CLI (helpers for writing exports are in helpers.py)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ecrf.cli.main import main
from ecrf.model import load_model


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
