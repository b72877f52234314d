"""The README stays a front door and the documentation site stays whole: the README is short,
its two commands are `make run` and `make test`, its links into docs/ lead somewhere, every
page of docs/ is in mkdocs.yml's nav, and a broken link or anchor fails the strict build."""

import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
README_MAX_LINES = 300
# [text](target) in Markdown, the target without its title.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def code_blocks(markdown: str) -> Iterator[list[str]]:
    """The lines of each fenced code block."""
    block: list[str] | None = None
    for line in markdown.splitlines():
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                yield block
                block = None
        elif block is not None:
            block.append(line)


def slug(heading: str) -> str:
    """The anchor MkDocs (Python-Markdown's toc) gives a heading."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    found = set()
    fenced = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.add(slug(match.group(1)))
    return found


def nav_pages(nav: list[object]) -> Iterator[str]:
    for entry in nav:
        if isinstance(entry, str):
            yield entry
        elif isinstance(entry, dict):
            for value in entry.values():
                if isinstance(value, str):
                    yield value
                elif isinstance(value, list):
                    yield from nav_pages(value)


def mkdocs_config() -> dict[str, object]:
    config: dict[str, object] = yaml.safe_load(MKDOCS_YML.read_text())
    return config


def test_the_readme_is_at_most_300_lines():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; move detail into docs/ (at most {README_MAX_LINES})"
    )


def test_the_readmes_commands_are_make_run_and_make_test():
    blocks = list(code_blocks(README.read_text()))
    commands = [line.strip() for block in blocks for line in block]
    assert "make run" in commands
    assert "make test" in commands
    # The first code block is the two commands, as they are typed.
    assert [line.strip() for line in blocks[0]] == ["make run", "make test"]


def test_the_readmes_links_into_docs_lead_to_pages_and_headings_that_exist():
    targets = [
        target
        for target in LINK.findall(README.read_text())
        if target.startswith("docs/") or target.startswith("#")
    ]
    assert any(target.startswith("docs/") for target in targets)
    for target in targets:
        path, _, anchor = target.partition("#")
        page = ROOT / path if path else README
        assert page.is_file(), f"README links to {target}, which does not exist"
        if anchor and page.suffix == ".md":
            assert anchor in anchors(page), f"README links to {target}: no such heading"


def test_every_docs_page_is_in_the_nav_and_every_nav_entry_is_a_page():
    config = mkdocs_config()
    nav = config["nav"]
    assert isinstance(nav, list)
    in_nav = list(nav_pages(nav))
    pages = sorted(str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md"))
    assert sorted(in_nav) == pages
    assert len(in_nav) == len(set(in_nav)), "a page is in the nav twice"


def test_the_build_is_strict_about_links_and_anchors():
    config = mkdocs_config()
    assert config["strict"] is True
    validation = config["validation"]
    assert isinstance(validation, dict)
    assert validation["nav"] == {
        "omitted_files": "warn",
        "not_found": "warn",
        "absolute_links": "warn",
    }
    assert validation["links"]["not_found"] == "warn"
    assert validation["links"]["anchors"] == "warn"
    site_dir = Path(str(config["site_dir"]))
    assert site_dir.parts[0] == ".run", "the built site stays out of git (.run/ is ignored)"


def build(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(project / "site")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def docs_copy(tmp_path):
    shutil.copy(MKDOCS_YML, tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    return tmp_path


@pytest.mark.parametrize(
    ("link", "complaint"),
    [
        ("[a page](no-such-page.md)", "no-such-page.md"),
        ("[a heading](tasks.md#no-such-heading)", "no-such-heading"),
        ("[here](#no-such-heading-here)", "no-such-heading-here"),
    ],
)
def test_a_broken_link_or_anchor_fails_the_build(docs_copy, link, complaint):
    assert build(docs_copy).returncode == 0
    index = docs_copy / "docs" / "index.md"
    index.write_text(index.read_text() + f"\nSee {link}.\n")
    broken = build(docs_copy)
    assert broken.returncode != 0
    assert complaint in broken.stderr + broken.stdout
