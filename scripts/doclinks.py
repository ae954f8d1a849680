"""`make docs`: every relative link and anchor of README.md and docs/ resolves.

A link resolves when its file or folder exists inside the repository and, for a Markdown file,
its `#anchor` is a heading of that file (slugged as GitHub does) or an explicit `id`/`name`.
Also: every `make <target>` in a fenced ```sh block of the README names a Makefile target.
tests/unit/docs runs the same checks. Pure functions over text; `main` reads the files.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent

_FENCE = re.compile(r"^\s{0,3}(```+|~~~+)\s*([\w+-]*)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ID = re.compile(r"""<[a-zA-Z][^>]*?\b(?:id|name)\s*=\s*["']([^"']+)["']""")
_INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^)]*)?\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_MAKE = re.compile(r"(?:^|[;&|(]\s*|\s)make\s+((?:[^\s;&|)#]+\s*)+)")
_TARGET = re.compile(r"^([A-Za-z0-9_.][A-Za-z0-9_.\- ]*?)\s*::?(?!=)")


def lines_outside_code(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for the lines outside fenced code blocks, code spans blanked."""
    fence = ""
    for number, line in enumerate(text.splitlines(), start=1):
        m = _FENCE.match(line)
        if m and (not fence or m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)):
            fence = "" if fence else m.group(1)
            continue
        if not fence:
            yield number, _CODE_SPAN.sub("``", line)


def fenced_blocks(text: str, language: str) -> Iterator[str]:
    """The lines of every fenced block opened with ```language."""
    fence, lang = "", ""
    for line in text.splitlines():
        m = _FENCE.match(line)
        if m and (not fence or m.group(1)[0] == fence[0]):
            fence, lang = ("", "") if fence else (m.group(1), m.group(2))
            continue
        if fence and lang == language:
            yield line


def github_slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor a Markdown file defines: heading slugs (repeats get -1, -2) and HTML ids."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in lines_outside_code(text):
        found.update(_HTML_ID.findall(line))
        m = _HEADING.match(line)
        if m:
            slug = github_slug(m.group(2))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            found.add(f"{slug}-{n}" if n else slug)
    return found


def links(text: str) -> Iterator[tuple[int, str]]:
    """(line number, target) for every inline link, image and reference definition."""
    for number, line in lines_outside_code(text):
        for m in _INLINE_LINK.finditer(line):
            yield number, m.group(1)
        ref = _REF_DEF.match(line)
        if ref:
            yield number, ref.group(1)


def broken_links(root: Path, files: list[Path]) -> list[str]:
    """'file:line: target (why)' for every relative link that does not resolve."""
    problems = []
    texts: dict[Path, str] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        for number, target in links(text):
            if not target or _SCHEME.match(target):
                continue  # http:, https:, mailto: are not checked (no network)
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / unquote(file_part)).resolve() if file_part else path.resolve()
            why = ""
            if not dest.is_relative_to(root.resolve()):
                why = "outside the repository"
            elif not dest.exists():
                why = "no such file"
            elif anchor and dest.suffix == ".md":
                if dest not in texts:
                    texts[dest] = dest.read_text(encoding="utf-8")
                if unquote(anchor) not in anchors(texts[dest]):
                    why = "no such anchor"
            if why:
                problems.append(f"{rel}:{number}: {target} ({why})")
    return problems


def make_targets(makefile: str) -> set[str]:
    """The targets a Makefile defines (rules' left-hand sides; not variables)."""
    targets: set[str] = set()
    for line in makefile.splitlines():
        m = _TARGET.match(line)
        if m and not line.startswith("\t"):
            targets.update(t for t in m.group(1).split() if not t.startswith("."))
    return targets


def make_commands(markdown: str) -> list[str]:
    """The targets named by `make ...` commands in the ```sh blocks (comments ignored)."""
    named = []
    for line in fenced_blocks(markdown, "sh"):
        command = re.split(r"(?:^|\s)#", line, maxsplit=1)[0]
        for m in _MAKE.finditer(command):
            named += [t for t in m.group(1).split() if not t.startswith("-") and "=" not in t]
    return named


def doc_files(root: Path) -> list[Path]:
    """README.md and every Markdown file under docs/."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def problems(root: Path = ROOT) -> list[str]:
    """Every broken link, and every README make command naming no Makefile target."""
    found = broken_links(root, doc_files(root))
    targets = make_targets((root / "Makefile").read_text(encoding="utf-8"))
    readme = (root / "README.md").read_text(encoding="utf-8")
    found += [
        f"README.md: make {t} (no such Makefile target)"
        for t in make_commands(readme)
        if t not in targets
    ]
    return found


def main() -> int:
    """Print each problem; exit 1 if there is any."""
    found = problems()
    for problem in found:
        print(problem)
    print(f"doc links: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
