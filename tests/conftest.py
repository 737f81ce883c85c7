"""Shared fixtures: the study model and the CLI (helpers for writing exports are in helpers.py)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from ecrf.cli.main import main
from ecrf.model import load_model


@pytest.fixture(scope="session", autouse=True)
def _model_cache_in_a_temporary_folder(tmp_path_factory):
    """Tests load many throw-away schemas: their compiled models go to a folder of this run, not the user's cache."""
    before = os.environ.get("ECRF_CACHE_DIR")
    os.environ["ECRF_CACHE_DIR"] = str(tmp_path_factory.mktemp("ecrf-cache"))
    yield
    if before is None:
        os.environ.pop("ECRF_CACHE_DIR", None)
    else:
        os.environ["ECRF_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
