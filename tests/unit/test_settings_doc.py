"""docs/settings.md is generated from the settings object (scripts/settings_doc.py):
it must be exactly what the script renders now, and name every field."""
import dataclasses
import importlib.util
from pathlib import Path

from infra.settings import PER_SOURCE, PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "settings.md"


def _settings_doc():
    spec = importlib.util.spec_from_file_location("settings_doc", ROOT / "scripts" / "settings_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_doc_is_what_the_script_renders():
    assert DOC.read_text() == _settings_doc().render(), (
        "docs/settings.md is stale: run python scripts/settings_doc.py > docs/settings.md")


def test_every_settings_field_has_a_row():
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| `")]
    for f in dataclasses.fields(Settings):
        variable = PER_SOURCE[f.name] + "<SOURCE>" if f.name in PER_SOURCE else PREFIX + f.name.upper()
        assert any(row.startswith(f"| `{variable}` |") for row in rows), f"{variable} ({f.name}) missing"
