"""`make docs`: the regulation-to-test traceability matrix, docs/traceability.md.

For every rule of docs/rules/*.md (S scoring, O officers, W warnings, G gateway): its source in
the seed regulations (the spec file's seed piece and the section's articles), the modules of
services/ and shared/ that cite its id, and the test functions under tests/ whose names carry
it. tests/unit/docs checks that the committed file is what this script writes, that every rule
is implemented and tested (or listed in NOT_AUTOMATED with a reason) and that no code or test
cites an id the spec does not have. Pure functions over text; `main` does the file I/O.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = "docs/rules"
OUTPUT = "docs/traceability.md"
CODE_DIRS = ("services", "shared")
TESTS_DIR = "tests"
PREFIX_ORDER = "SOWG"

# Rules that no module or test can carry, each with the reason; they count as accounted for.
# None so far: every rule of the spec is cited by code and named by a test.
NOT_AUTOMATED: dict[str, str] = {}

_RULE_LINE = re.compile(r"^([SOWG])(\d+)\.\s+(.*)$")
_ANCHOR_LINE = re.compile(r'^<a id="([a-z0-9]+)"></a>\s*$')
_SECTION = re.compile(r"^##\s+(.*?)\s*$")
_ARTICLES = re.compile(r"\((Art\.\s*[^)]*)\)")
_SECTION_PIECE = re.compile(r"\(seed piece (\d+)\)")
_SOURCE_PIECE = re.compile(r"seed piece (\d+)\s*\(([^,;)]*)")
# Sub-items: "    a. pre-maturity: ..." (W1) or "(a) raises ..." inside the text (W14).
_ITEM_LINE = re.compile(r"^\s+([a-z])\.\s")
_ITEM_INLINE = re.compile(r"(?<![\w(])\(([a-z])\)\s")
# An id: prefix, number, optional sub-item letter, not inside a longer word ("HO1", "W3C").
_ID = re.compile(r"(?<![A-Za-z0-9_])([SOWG])(\d{1,2})([a-z]?)(?![A-Za-z0-9_])")
# A range: W5-W8, W5..W8, W5–W8, W5-8, or letters of one rule, W1d-f. Lists (O26/O34, S3, S4)
# need nothing more: each of their ids matches _ID.
_RANGE = re.compile(
    r"(?<![A-Za-z0-9_])([SOWG])(\d{1,2})([a-z]?)(?:-|–|\.\.)"
    r"(?:(?:\1)?(\d{1,2})([a-z]?)|([a-z]))(?![A-Za-z0-9_])"
)
_TEST_TOKEN = re.compile(r"^([sowg])(\d{1,2})([a-z]?)$")
_TITLE_MAX = 80


@dataclass(frozen=True)
class Rule:
    """One numbered rule of the spec, with where it sits and where it comes from."""

    id: str
    title: str
    file: str
    section: str
    articles: str
    piece: str
    items: tuple[str, ...] = ()
    anchored: bool = False


@dataclass
class Trace:
    """What cites one rule: file -> number of citing lines (code) or of test functions."""

    code: Counter[str] = field(default_factory=Counter)
    tests: Counter[str] = field(default_factory=Counter)


def short_title(text: str) -> str:
    """The rule's first clause: up to the first ':', ';' or '. ' outside parentheses."""
    depth, end = 0, len(text)
    for i, ch in enumerate(text):
        depth += {"(": 1, "{": 1, ")": -1, "}": -1}.get(ch, 0)
        if depth == 0 and (ch in ":;" or (ch == "." and text[i + 1 : i + 2] in (" ", ""))):
            end = i
            break
    title = text[:end].strip()
    if len(title) > _TITLE_MAX:
        title = re.sub(r"\s*\([^()]*\)", "", title).strip()
    if len(title) > _TITLE_MAX and ", " in title:
        title = title.split(", ")[0]
    if len(title) > _TITLE_MAX:
        title = title[:_TITLE_MAX].rsplit(" ", 1)[0] + " …"
    return title


def parse_rules(text: str, file: str) -> list[Rule]:
    """The rules of one spec file, in order."""
    source = re.search(r"^Source:(.*?)(?:\n\n|\Z)", text, flags=re.M | re.S)
    piece_match = _SOURCE_PIECE.search(source.group(1)) if source else None
    file_piece = f"piece {piece_match.group(1)}" if piece_match else ""
    lines = text.splitlines()
    rules: list[Rule] = []
    section, articles, piece = "", "", file_piece
    i = 0
    while i < len(lines):
        heading = _SECTION.match(lines[i])
        if heading:
            section = heading.group(1)
            art = _ARTICLES.search(section)
            articles = art.group(1) if art else ""
            override = _SECTION_PIECE.search(section)
            piece = f"piece {override.group(1)}" if override else file_piece
        rule = _RULE_LINE.match(lines[i])
        if not rule:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith(" ") and lines[j].strip():
            j += 1  # the rule's indented continuation lines
        joined = " ".join([rule.group(3), *(line.strip() for line in lines[i + 1 : j])])
        items = [m.group(1) for line in lines[i + 1 : j] if (m := _ITEM_LINE.match(line))]
        items += _ITEM_INLINE.findall(joined)
        rule_id = rule.group(1) + rule.group(2)
        anchor = _ANCHOR_LINE.match(lines[i - 1]) if i else None
        rules.append(
            Rule(
                id=rule_id,
                title=short_title(joined),
                file=file,
                section=section,
                articles=articles,
                piece=piece,
                items=tuple(sorted(set(items))),
                anchored=bool(anchor and anchor.group(1) == rule_id.lower()),
            )
        )
        i = j
    return rules


def cited_ids(text: str) -> list[str]:
    """Every rule id a text cites, ranges expanded (W5-W8 cites W5, W6, W7 and W8)."""
    found = ["".join(m.groups()) for m in _ID.finditer(text)]
    for m in _RANGE.finditer(text):
        prefix, first, first_item, last, last_item, item_only = m.groups()
        if item_only and first_item and first_item < item_only:  # W1d-f
            found += [
                f"{prefix}{first}{chr(c)}" for c in range(ord(first_item) + 1, ord(item_only) + 1)
            ]
        elif item_only:
            continue
        elif int(first) < int(last):
            found += [f"{prefix}{n}" for n in range(int(first) + 1, int(last))]
            found.append(f"{prefix}{last}{last_item}")
        elif first == last and first_item and last_item and first_item < last_item:  # W1a-W1f
            found += [
                f"{prefix}{first}{chr(c)}" for c in range(ord(first_item) + 1, ord(last_item))
            ]
    return found


def named_test_ids(source: str) -> dict[str, list[str]]:
    """Test function name -> the rule ids its name carries (test_w13_..., test_issue13_o23_...)."""
    named: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            ids = []
            for token in node.name.split("_"):
                m = _TEST_TOKEN.match(token)
                if m:
                    ids.append(m.group(1).upper() + m.group(2) + m.group(3))
            if ids:
                named[node.name] = ids
    return named


def base_id(rule_id: str) -> str:
    """W1e -> W1: a sub-item counts for its rule."""
    return rule_id.rstrip("abcdefghijklmnopqrstuvwxyz")


def known_ids(rules: Iterable[Rule]) -> set[str]:
    """Ids one may cite: every rule and every sub-item of it (W1a..W1f, W14a..W14c)."""
    return {r.id for r in rules} | {r.id + item for r in rules for item in r.items}


def code_files(root: Path) -> Iterator[Path]:
    """The Python modules of services/ and shared/, migrations excluded."""
    for top in CODE_DIRS:
        for path in sorted((root / top).rglob("*.py")):
            if "migrations" not in path.relative_to(root).parts:
                yield path


def suite_files(root: Path) -> Iterator[Path]:
    """The Python files under tests/."""
    yield from sorted((root / TESTS_DIR).rglob("*.py"))


def load_rules(root: Path) -> list[Rule]:
    """Every rule of docs/rules/*.md, in the order S, O, W, G and then by number."""
    rules = []
    for path in sorted((root / RULES_DIR).glob("*.md")):
        rel = path.relative_to(root).as_posix()
        rules += parse_rules(path.read_text(encoding="utf-8"), rel)
    return sorted(rules, key=lambda r: (PREFIX_ORDER.index(r.id[0]), int(r.id[1:])))


def collect(root: Path, rules: list[Rule]) -> dict[str, Trace]:
    """Rule id -> the code files citing it and the test files naming it."""
    traces = {r.id: Trace() for r in rules}
    for path in code_files(root):
        rel = path.relative_to(root).as_posix()
        for line in path.read_text(encoding="utf-8").splitlines():
            for rule_id in {base_id(i) for i in cited_ids(line)}:
                if rule_id in traces:
                    traces[rule_id].code[rel] += 1
    for path in suite_files(root):
        rel = path.relative_to(root).as_posix()
        for ids in named_test_ids(path.read_text(encoding="utf-8")).values():
            for rule_id in {base_id(i) for i in ids}:
                if rule_id in traces:
                    traces[rule_id].tests[rel] += 1
    return traces


def unknown_citations(root: Path, rules: list[Rule]) -> list[tuple[str, int, str]]:
    """(file, line, id) for every id cited in code or tests that the spec does not have."""
    known = known_ids(rules)
    found = []
    for path in [*code_files(root), *suite_files(root)]:
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            found += [(rel, number, i) for i in dict.fromkeys(cited_ids(line)) if i not in known]
        if rel.startswith(TESTS_DIR + "/"):
            for name, ids in named_test_ids(text).items():
                found += [(rel, 0, f"{i} (in {name})") for i in ids if i not in known]
    return found


def seed_source(rule: Rule) -> str:
    """'piece 8, Art. 11-12', or a dash for the project's own rules (no seed article)."""
    parts = [p for p in (rule.piece, rule.articles) if p]
    return ", ".join(parts) if parts else "none (product rule)"


def _cell(counts: Counter[str]) -> str:
    """'`services/warnings/`: `rules.py` (18), `store.py` (2); `shared/`: ...' by folder."""
    folders: dict[str, list[str]] = {}
    for path, n in sorted(counts.items()):
        folder, _, name = path.rpartition("/")
        folders.setdefault(folder, []).append(f"{name} ({n})")
    return "; ".join(f"`{folder}/`: {', '.join(names)}" for folder, names in folders.items())


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render(rules: list[Rule], traces: dict[str, Trace], sources: dict[str, tuple[str, str]]) -> str:
    """docs/traceability.md from the rules, what cites them, and each spec file's Source line."""
    automated = sum(1 for r in rules if traces[r.id].code and traces[r.id].tests)
    out = [
        "# Traceability: rules, seed articles, code and tests",
        "",
        "Generated by `scripts/traceability.py` (`make docs`); do not edit by hand. The unit tests",
        "in `tests/unit/docs/` fail when this file is stale, when a rule has no module citing it",
        "or no test naming it (unless it is marked not automated, with the reason), and when code",
        "or a test cites a rule id that [docs/rules/](rules/) does not have.",
        "",
        "Per rule: its source in the seed regulations (the Chinese originals, outside the",
        "repository: the piece, 篇N, of the seed document and the articles its spec section cites;",
        "the gateway's rules are the product's own), the modules of `services/` and `shared/` that",
        "cite its id (number of citing lines), and the test files with test functions whose names",
        "carry the id (number of such tests). A sub-item (W1e, W14c) counts for its rule.",
        "",
        f"{len(rules)} rules: {automated} implemented and tested, "
        f"{sum(1 for r in rules if r.id in NOT_AUTOMATED)} marked not automated.",
    ]
    for file in dict.fromkeys(r.file for r in rules):
        of_file = [r for r in rules if r.file == file]
        link = file.removeprefix("docs/")
        name, source = sources.get(file, (file, ""))
        span = f"{of_file[0].id}-{of_file[-1].id}"
        out += ["", f"## {name} ({span})", "", f"Spec: [{link}]({link}). Source: "]
        out[-1] += f"{source}." if source else "none in the seed (the product's own rules)."
        section = None
        for rule in of_file:
            if rule.section != section:
                section = rule.section
                if section:
                    out += ["", f"### {section}"]
                out += [
                    "",
                    "| rule | seed | implemented in | tests naming it |",
                    "| --- | --- | --- | --- |",
                ]
            trace = traces[rule.id]
            tests = _cell(trace.tests)
            if rule.id in NOT_AUTOMATED:
                tests = f"not automated: {NOT_AUTOMATED[rule.id]}" + (f"; {tests}" if tests else "")
            out.append(
                f"| [{rule.id}]({link}#{rule.id.lower()}) {_escape(rule.title)} "
                f"| {seed_source(rule)} | {_cell(trace.code) or '**none**'} "
                f"| {tests or '**none**'} |"
            )
    return "\n".join(out) + "\n"


def spec_sources(root: Path) -> dict[str, tuple[str, str]]:
    """Spec file -> (its H1 up to the colon, its seed source: 'seed piece 8 (公司客户...)')."""
    sources = {}
    for path in sorted((root / RULES_DIR).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        h1 = re.search(r"^#\s+([^:\n]+)", text, flags=re.M)
        m = _SOURCE_PIECE.search(text)
        sources[path.relative_to(root).as_posix()] = (
            h1.group(1).strip() if h1 else path.stem,
            f"seed piece {m[1]} ({m[2].strip()})" if m else "",
        )
    return sources


def generate(root: Path = ROOT) -> str:
    """The matrix as it should be committed now."""
    rules = load_rules(root)
    return render(rules, collect(root, rules), spec_sources(root))


def main(argv: list[str] | None = None) -> int:
    """Write docs/traceability.md; with --check, only say whether it is current."""
    args = sys.argv[1:] if argv is None else argv
    text, path = generate(), ROOT / OUTPUT
    if "--check" in args:
        current = path.exists() and path.read_text(encoding="utf-8") == text
        print(f"{OUTPUT} is {'current' if current else 'stale: run make docs'}")
        return 0 if current else 1
    path.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
