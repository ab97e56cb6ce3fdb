"""The README is the front door and docs/ the manual: the README stays short,
names (with docs/) every command, subcommand and long flag the parser
defines, and its links into docs/ lead to pages that exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from callers.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_LIMIT = 12 * 1024  # bytes


def _manual() -> str:
    return README.read_text(encoding="utf-8") + "".join(
        page.read_text(encoding="utf-8") for page in sorted(DOCS.glob("*.md")))


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...]):
    """(command path, long flags, words a positional choice takes) of this parser and every subparser below it."""
    flags: set[str] = set()
    choices: set[str] = set()
    children = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            children = list(action.choices.items())
        elif action.option_strings:
            flags.update(o for o in action.option_strings if o.startswith("--") and o != "--help")
        elif action.choices:
            choices.update(str(c) for c in action.choices)
    yield path, flags, choices
    for name, child in children:
        yield from _walk(child, path + (name,))


def _parser_names() -> list[tuple[str, str]]:
    """Every (where, name) the manual must mention: commands, positional subcommands, long flags."""
    names = []
    for path, flags, choices in _walk(build_parser(), ("callers",)):
        where = " ".join(path)
        if len(path) > 1:
            names.append((where, path[-1]))
        names += [(where, flag) for flag in sorted(flags)]
        names += [(where, choice) for choice in sorted(choices)]
    return names


def test_readme_is_short():
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size:,} bytes; the front door stays within {README_LIMIT:,}"


def test_the_parser_finds_commands_and_flags():
    names = _parser_names()
    assert ("callers", "import") not in names  # a sanity check of the walk itself: commands come with their path
    assert ("callers import", "import") in names
    assert ("callers import", "--rejects") in names
    assert ("callers db", "recount") in names
    assert ("callers export", "--output") in names


def test_every_command_subcommand_and_flag_is_documented():
    text = _manual()
    missing = [f"{where}: {name}" for where, name in _parser_names()
               if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]
    assert not missing, "named nowhere in README.md or docs/*.md:\n" + "\n".join(missing)


def test_readme_links_into_docs_exist():
    links = re.findall(r"\]\((docs/[^)#\s]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    assert links, "README.md links to no page in docs/"
    broken = sorted({link for link in links if not (ROOT / link).is_file()})
    assert not broken, f"README.md links to missing pages: {broken}"


def test_links_between_docs_pages_exist():
    broken = []
    for page in sorted(DOCS.glob("*.md")):
        for link in re.findall(r"\]\(([^)#\s:]+\.md)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not (page.parent / link).resolve().is_file():
                broken.append(f"{page.name}: {link}")
    assert not broken, "links to missing pages:\n" + "\n".join(broken)


def test_readme_command_table_has_every_command():
    readme = README.read_text(encoding="utf-8")
    commands = [path[1] for path, _, _ in _walk(build_parser(), ("callers",)) if len(path) == 2]
    missing = [c for c in commands if not re.search(rf"^\| `{re.escape(c)}(?![\w-])", readme, re.M)]
    assert not missing, f"commands without a row in README.md's command table: {missing}"
