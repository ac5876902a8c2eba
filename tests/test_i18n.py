"""One catalog, both languages, no key used in code that the catalog lacks."""
import re
from pathlib import Path

import pytest

from optviz.i18n import CATALOG, LANGUAGES, t
from surfaces import PARAMETERS, SURFACES, get_surface

ROOT = Path(__file__).resolve().parents[1]


def test_every_entry_has_every_language():
    for key, entry in CATALOG.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(text.strip() for text in entry.values()), key


def test_placeholders_agree_between_languages():
    for key, entry in CATALOG.items():
        fields = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert fields["en"] == fields["zh"], key


def test_every_literal_key_in_code_exists():
    used = set()
    for path in [ROOT / "app.py", *ROOT.glob("optviz/**/*.py")]:
        used |= set(re.findall(r'\bt\(\s*"([a-z0-9_.]+)"', path.read_text(encoding="utf-8")))
    assert used, "no keys found: the pattern is out of date"
    assert used - set(CATALOG) == set()


def test_dynamic_keys_exist():
    from optviz.schedules import KINDS as SCHEDULE_KINDS
    from optviz.trajectory import STATUSES
    from optviz.optimizers import CONVENTIONS, HYPERPARAMETERS

    keys = {f"opt.schedule.{k}" for k in SCHEDULE_KINDS} | {f"opt.conv.{c}" for c in CONVENTIONS}
    keys |= {f"opt.{p.name}" for specs in HYPERPARAMETERS.values() for p in specs}
    keys |= {f"view.{v}" for v in ("race", "side", "3d", "loss", "table")}
    keys |= {f"status.{s}" for s in STATUSES} | {f"sweep.status.{s}" for s in STATUSES}
    keys |= {f"explain.status.{s}" for s in STATUSES if s != "running"}
    keys |= {f"surface.{name}" for name in SURFACES}
    keys |= {f"sparam.{p.name}{suffix}" for specs in PARAMETERS.values() for p in specs for suffix in ("", ".help")}
    assert keys - set(CATALOG) == set()


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_descriptions_in_both_languages(name):
    description = get_surface(name).description
    assert set(description) == set(LANGUAGES)
    assert re.search(r"[\u4e00-\u9fff]", description["zh"])


def test_missing_key_is_an_error():
    with pytest.raises(KeyError):
        t("no.such.key")
