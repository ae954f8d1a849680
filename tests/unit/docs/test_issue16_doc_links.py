"""Issue 16: README.md and docs/ hold no broken relative link or anchor, and the README's make
commands name targets the Makefile has."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import doclinks as dl


def test_issue16_relative_links_and_anchors_resolve() -> None:
    assert dl.broken_links(dl.ROOT, dl.doc_files(dl.ROOT)) == []


def test_issue16_readme_make_commands_name_existing_targets() -> None:
    targets = dl.make_targets((dl.ROOT / "Makefile").read_text(encoding="utf-8"))
    named = dl.make_commands((dl.ROOT / "README.md").read_text(encoding="utf-8"))
    assert named, "the README shows its two commands in a ```sh block"
    assert [t for t in named if t not in targets] == []


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Reporting deadlines (Art. 11-12)", "reporting-deadlines-art-11-12"),
        (
            "HTTP contract (stable; other tools depend on these shapes)",
            "http-contract-stable-other-tools-depend-on-these-shapes",
        ),
        ("`make run` and [docs](docs/x.md)", "make-run-and-docs"),
        ("Monthly ranking (seed piece 9)", "monthly-ranking-seed-piece-9"),
        ("组织 tree", "组织-tree"),
    ],
)
def test_issue16_github_slug(heading: str, slug: str) -> None:
    assert dl.github_slug(heading) == slug


def test_issue16_anchors_links_and_code() -> None:
    text = (
        '# Title\n## Part\n## Part\n<a id="w5"></a>\n'
        "See [a](other.md#x), ![img](pic.png) and `[not](code.md)`.\n"
        "```sh\nmake run  # [no](link.md)\n```\n"
        "[ref]: ref.md#part\n"
    )
    assert dl.anchors(text) == {"title", "part", "part-1", "w5"}
    assert [t for _, t in dl.links(text)] == ["other.md#x", "pic.png", "ref.md#part"]
    assert dl.make_commands(text) == ["run"]


def test_issue16_broken_links_are_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n## Here\n", encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[ok](docs/a.md#here) [dir](docs/) [web](https://example.org/x) [self](#a-readme)\n"
        "[gone](docs/b.md) [anchor](docs/a.md#there) [out](../x.md)\n# A readme\n",
        encoding="utf-8",
    )
    assert dl.broken_links(tmp_path, [readme]) == [
        "README.md:2: docs/b.md (no such file)",
        "README.md:2: docs/a.md#there (no such anchor)",
        "README.md:2: ../x.md (outside the repository)",
    ]


def test_issue16_make_targets_and_commands() -> None:
    makefile = ".PHONY: run docs\nX := 1\n$(STAMP): a\nrun: $(STAMP)\n\tmake other\ndocs lint: x\n"
    assert dl.make_targets(makefile) == {"run", "docs", "lint"}
    readme = "```sh\nmake run BENCH_ARGS=--quick && make -s docs\n# make sure\n```\n"
    assert dl.make_commands(readme) == ["run", "docs"]
