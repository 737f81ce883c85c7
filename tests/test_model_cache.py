"""The compiled model cache: the same model as a fresh load, rebuilt when any schema file changes."""

from __future__ import annotations

import shutil

from ecrf import model_cache
from ecrf.model import _forms, _load, _sources, schema_path


def _copy_schema(tmp_path):
    d = tmp_path / "schema"
    d.mkdir()
    for f in schema_path().parent.glob("*.yaml"):
        shutil.copy(f, d / f.name)
    return d / schema_path().name


def test_a_cached_model_equals_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.setenv("ECRF_CACHE_DIR", str(tmp_path / "cache"))
    root = _copy_schema(tmp_path)
    fresh = _load.__wrapped__(str(root))  # builds and stores
    assert model_cache.load(root) is not None
    cached = _load.__wrapped__(str(root))  # from the entry
    assert dict(cached.forms) == dict(fresh.forms)
    assert (
        cached.view.get_enum("DeviationCheck").permissible_values.keys()
        == fresh.view.get_enum("DeviationCheck").permissible_values.keys()
    )
    assert dict(_forms(cached.view)) == dict(fresh.forms)  # the merged schema alone gives the same forms


def test_changing_an_imported_file_rebuilds(tmp_path, monkeypatch):
    monkeypatch.setenv("ECRF_CACHE_DIR", str(tmp_path / "cache"))
    root = _copy_schema(tmp_path)
    fresh = _load.__wrapped__(str(root))
    assert len(_sources(root)) == len(list(root.parent.glob("*.yaml"))) and "ae" in fresh.forms
    safety = root.parent / "forms_safety.yaml"
    safety.write_text(
        safety.read_text(encoding="utf-8").replace("Start date; partial", "Onset; partial"), encoding="utf-8"
    )
    assert model_cache.load(root) is None
    again = _load.__wrapped__(str(root))
    assert again.forms["ae"].item("aestdat").description.startswith("Onset")


def test_the_cache_can_be_switched_off_and_a_bad_folder_is_ignored(tmp_path, monkeypatch):
    root = _copy_schema(tmp_path)
    monkeypatch.setenv("ECRF_CACHE_DIR", "off")
    assert model_cache.cache_dir() is None
    assert "ae" in _load.__wrapped__(str(root)).forms
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ECRF_CACHE_DIR", str(blocker / "cache"))
    assert "ae" in _load.__wrapped__(str(root)).forms
    assert model_cache.load(root) is None
