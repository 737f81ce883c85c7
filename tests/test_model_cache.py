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


def test_a_warm_entry_validates_without_importing_linkml(tmp_path):
    """LinkML's import (about 0.2 s) stays off the validation path once the model is cached."""
    import subprocess
    import sys

    from ecrf.example import write_example

    write_example(tmp_path / "export")
    env = {"ECRF_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""}
    code = (
        "import sys\n"
        "from ecrf.model import load_model\n"
        "from ecrf.readers import read_export\n"
        "from ecrf.engine import validate\n"
        "m = load_model()\n"
        f"n = validate(m, read_export({str(tmp_path / 'export')!r}, m)).findings.height\n"
        "print(n, sorted(k for k in sys.modules if k.startswith('linkml')))\n"
    )
    cold = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    warm = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert cold.returncode == 0 and warm.returncode == 0, cold.stderr + warm.stderr
    assert cold.stdout.split()[0] == warm.stdout.split()[0] != "0"  # same findings either way
    assert "linkml_runtime" in cold.stdout and warm.stdout.split(None, 1)[1].strip() == "[]"


def test_the_plain_view_reads_as_schemaview_does(tmp_path, monkeypatch):
    """Every enum, class and type the checks look up by name reads the same through the plain snapshot."""
    monkeypatch.setenv("ECRF_CACHE_DIR", str(tmp_path / "cache"))
    root = _copy_schema(tmp_path)
    _load.__wrapped__(str(root))
    lite = _load.__wrapped__(str(root)).view
    real = lite.full()
    for name, enum in real.all_enums().items():
        mine = lite.get_enum(name)
        assert list(mine.permissible_values) == list(enum.permissible_values), name
        for code, pv in enum.permissible_values.items():
            got = mine.permissible_values[code]
            assert got.description == pv.description
            assert {k: a.value for k, a in got.annotations.items()} == {k: a.value for k, a in pv.annotations.items()}
    for name, cls in real.all_classes().items():
        assert {k: a.value for k, a in lite.get_class(name).annotations.items()} == {
            k: a.value for k, a in (cls.annotations or {}).items()}
    for name, t in real.all_types().items():
        assert (lite.get_type(name).pattern, lite.get_type(name).typeof) == (t.pattern, t.typeof)
    assert lite.get_enum("NoSuchEnum") is None and lite.schema.version == real.schema.version
    assert lite.schema.imports == real.schema.imports  # not in the snapshot: read from SchemaView
