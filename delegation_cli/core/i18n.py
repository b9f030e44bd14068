"""Languages: every text a user reads goes through the gettext catalogues owned here.

Sources are written in English; ``locale/fr/LC_MESSAGES/delegation.po`` holds the French
(``delegation.mo`` beside it is compiled from it with Babel, see ``docs/translating.md``).
This module imports nothing from the package: it sits under every other one.

* :func:`_` translates a message, :func:`ngettext` a message with a count, :func:`N_` only
  marks a constant for extraction (translate it with :func:`_` where it is shown).
  Placeholders are named (``_("team {team} is over its cap").format(team=...)``), so that a
  translation may move them.
* The language is a context variable: a command runs in the language of the locale
  (:func:`locale_language`: ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; English when
  unset or ``C``) or of ``--lang``; the report is rendered in its own (:func:`using`).
* :func:`format_date` and :func:`format_month` write dates the way the language does:
  ``30/06/2020`` and ``juin 2020`` in French, ``2020-06-30`` and ``June 2020`` in English.
"""

from __future__ import annotations

import datetime as dt
import gettext
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LANGUAGES = ("fr", "en")
"""The languages there is a catalogue for (English is the sources' own)."""
DOMAIN = "delegation"
LOCALE_DIR = Path(__file__).parent.parent / "locale"
REPORT_DEFAULT = "fr"
"""The report's language when neither ``--lang`` nor the convention says: it goes to the délégant."""

_LANGUAGE: ContextVar[str | None] = ContextVar("delegation_language", default=None)

MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def locale_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for, as gettext reads it: the first of ``LANGUAGE`` (a
    colon-separated list), ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set; ``fr_FR.UTF-8``
    means ``fr``; English when none is set, for ``C`` and ``POSIX``, and for a language there
    is no catalogue for."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        for item in value.split(":") if name == "LANGUAGE" else (value,):
            code = item.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
        if name != "LANGUAGE":  # LC_ALL=de_DE: a language without catalogue, so English
            return "en"
    return "en"


def language() -> str:
    """The language texts are written in now."""
    chosen = _LANGUAGE.get()
    return chosen if chosen is not None else locale_language()


def set_language(lang: str | None) -> None:
    """Make ``lang`` (or the locale's, for ``None``) the language of the rest of the command."""
    _LANGUAGE.set(lang)


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Write in ``lang`` inside the ``with`` block (the report in its own language)."""
    token = _LANGUAGE.set(lang)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang`` (English: the sources themselves)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language."""
    lang = language()
    text = translations(lang).gettext(message)
    return French(text) if lang == "fr" else text


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count``, in the current language."""
    lang = language()
    text = translations(lang).ngettext(singular, plural, count)
    return French(text) if lang == "fr" else text


_ELISION = re.compile(r"\b([Dd])e (?=[AEIOUYaeiouyÀÂÄÉÈÊËÎÏÔÖÙÛÜàâäéèêëîïôöùûü])")


def elide(text: str) -> str:
    """French elision where a value written into a sentence makes one: « de avril » is
    written « d'avril », « de août » « d'août », « de Affaires juridiques » « d'Affaires
    juridiques » (a vowel after « de »; an h is left as it is, aspirated or not)."""
    return _ELISION.sub(r"\1'", text) if "e " in text else text


class French(str):
    """A French message: formatting it elides « de » before the values that begin with a
    vowel (:func:`elide`), so that no sentence pattern has to know its values' first letter."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> str:  # noqa: A003 - str.format, elided
        return elide(str.format(self, *args, **kwargs))


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (constants)."""
    return message


def format_date(day: dt.date) -> str:
    """``30/06/2020`` in French, ``2020-06-30`` in English."""
    if language() == "fr":
        return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    return day.isoformat()


def format_month(month: str) -> str:
    """``2020-06`` as ``juin 2020`` (French) or ``June 2020`` (English)."""
    year, number = month.split("-")
    return f"{MONTHS[language()][int(number) - 1]} {year}"


def argv_language(argv: list[str]) -> str | None:
    """The language a command line asks for with ``--lang fr`` or ``--lang=fr`` (before a
    ``--``), or ``None``; a value that is not a language is left for the parser to refuse."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--lang="):
            value = arg.removeprefix("--lang=")
        if value is not None and value.lower() in LANGUAGES:
            return value.lower()
    return None
