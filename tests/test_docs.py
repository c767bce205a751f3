"""The documentation travels with the code: every link resolves inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.pricing import REGIMES

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def links(path: Path) -> list[str]:
    return _LINK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_every_relative_link_resolves_to_a_file_in_the_repository(path):
    for link in links(path):
        if re.match(r"^[a-z]+:", link) or link.startswith("#"):
            continue
        target = (path.parent / link.split("#")[0]).resolve()
        assert target.is_relative_to(ROOT), f"{path.name} links {link}, outside the repository"
        assert target.exists(), f"{path.name} links {link}, which does not exist"


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_nothing_a_user_needs_is_linked_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert not [link for link in links(path) if link.startswith(("http://", "https://"))]


def test_the_readme_links_the_rules():
    assert "docs/rules.md" in links(ROOT / "README.md")


def test_the_rules_name_every_pricing_regime_with_its_dates():
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for regime in REGIMES:
        assert re.search(rf"^\| `{regime}` \| [^|]*\d{{4}}-\d{{2}}-\d{{2}}", rules, re.M), regime
