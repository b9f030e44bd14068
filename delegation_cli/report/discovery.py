"""Finding the convention files of ``delegation portfolio`` among the files and folders it is given.

This module owns what is a convention file: every file named on the command line; in a folder
(searched recursively, hidden folders apart), every ``.yaml``/``.yml`` file that the pre-commit
hook takes for a convention too (``store.convention.looks_like_convention``: at least two of a
convention's top-level keys, or YAML that cannot be parsed), ``.pre-commit-config.yaml`` apart.
Any other YAML file is skipped; one that cannot be read to tell is taken (its problem
is then listed); a folder that cannot be searched is reported (:class:`Found`), never a silent
gap.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import DelegationError, fail
from ..core.i18n import _

SKIPPED_NAMES = frozenset((".pre-commit-config.yaml", ".pre-commit-config.yml"))
YAML_SUFFIXES = (".yaml", ".yml")


def looks_like_convention(path: Path) -> bool:
    """Whether a YAML file found in a folder is taken as a convention — the same answer as
    the pre-commit hook's (``store.convention.looks_like_convention``); a file that cannot be
    read to tell is taken (its problem is then listed)."""
    if path.name.lower() in SKIPPED_NAMES:
        return False
    from ..store.convention import looks_like_convention as convention_like

    try:
        return convention_like(path)
    except DelegationError:
        return True


@dataclass(frozen=True)
class Found:
    """What a search of the command's paths found."""

    files: list[Path]
    """The convention files, each once, in the order given (a folder's in sorted order)."""
    unreadable: list[tuple[str, str]]
    """Each folder (among those searched) that could not be listed, and why (its error)."""


def find_conventions(paths: Sequence[str]) -> Found:
    """The convention files named or found in ``paths`` (default: the current folder), and
    the folders that could not be searched; a path that does not exist is a bad argument
    (exit 2)."""
    found: list[Path] = []
    seen: set[str] = set()
    unreadable: list[tuple[str, str]] = []

    def cannot_list(top: Path, error: OSError) -> None:
        folder = top if error.filename is None else Path(os.fsdecode(error.filename))
        unreadable.append((str(folder), error.strerror or str(error)))

    def add(path: Path) -> None:
        key = os.path.normpath(str(path))
        if key not in seen:
            seen.add(key)
            found.append(path)

    for given in paths or ["."]:
        path = Path(given)
        try:
            is_dir = path.is_dir()
            exists = is_dir or os.path.lexists(path)
        except OSError:
            is_dir, exists = False, True
        if not exists:
            raise fail(_("no such file or folder (expected convention files, or folders holding them)"),
                       code="file-missing", path=given)
        if not is_dir:
            add(path)
            continue
        for folder, dirs, files in os.walk(path, onerror=functools.partial(cannot_list, path)):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                candidate = Path(folder) / name
                if name.lower().endswith(YAML_SUFFIXES) and looks_like_convention(candidate):
                    add(candidate)
    return Found(found, unreadable)
