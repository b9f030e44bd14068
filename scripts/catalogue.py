#!/usr/bin/env python3
"""The translation catalogues: extract the messages, merge them into the French catalogue,
compile it, check it (see docs/translating.md).

    python scripts/catalogue.py extract   # delegation_cli/locale/delegation.pot from the sources
    python scripts/catalogue.py update    # merge the template into fr/…/delegation.po (new ones empty)
    python scripts/catalogue.py compile   # fr/…/delegation.mo, the file the program reads
    python scripts/catalogue.py check     # exit 1 listing messages without French or placeholders lost

Babel (a test dependency) does the work; the program itself reads the ``.mo`` with the
standard library's ``gettext``.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "delegation_cli" / "locale"
TEMPLATE = LOCALE / "delegation.pot"
CATALOGUES = {"fr": LOCALE / "fr" / "LC_MESSAGES" / "delegation.po"}
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{[a-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}")


def extract():  # -> babel Catalog
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="delegation", domain="delegation", charset="utf-8")
    method_map = [("delegation_cli/**.py", "python"), ("delegation_cli/templates/**.html", "jinja2")]
    options_map = {"delegation_cli/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",)):
        if message in ("", ("", "")):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context,
                    flags=("python-brace-format",) if PLACEHOLDER.search(str(message)) else ())
    return catalog


def read(path: Path):  # -> babel Catalog
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle, locale=path.parent.parent.name)
    catalog.fuzzy = False  # the header: a fuzzy one would be left out of the .mo, plural forms with it
    return catalog


def problems(template, catalog) -> list[str]:
    """What keeps the catalogue from translating every message the sources hold."""
    out = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        shown = message.id if isinstance(message.id, str) else message.id[0]
        if found is None or not found.string or (isinstance(found.string, tuple) and not all(found.string)):
            out.append(f"no translation: {shown!r}")
            continue
        if found.fuzzy:
            out.append(f"fuzzy translation: {shown!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                out.append(f"placeholders differ: {shown!r} -> {string!r}")
    return out


def compiled(catalog) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    from babel.messages.pofile import write_po

    command = argv[0] if argv else "check"
    template = extract()
    if command == "extract":
        with TEMPLATE.open("wb") as handle:
            write_po(handle, template, width=100, omit_header=False, sort_output=False)
        print(f"{TEMPLATE.relative_to(ROOT)}: {len(template)} messages")
        return 0
    for path in CATALOGUES.values():
        catalog = read(path)
        if command == "update":
            catalog.update(template, update_header_comment=False)
            with path.open("wb") as handle:
                write_po(handle, catalog, width=100, ignore_obsolete=True)
            print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")
        elif command == "compile":
            path.with_suffix(".mo").write_bytes(compiled(catalog))
            print(f"{path.with_suffix('.mo').relative_to(ROOT)}: {len(catalog)} messages")
        elif command == "check":
            found = problems(template, catalog)
            for line in found:
                print(f"{path.relative_to(ROOT)}: {line}")
            if found:
                return 1
        else:
            print(f"unknown command {command!r} (expected extract, update, compile or check)", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
