"""The quick YAML reading (store/yaml_fast.py) builds exactly what ruamel builds, or declines.

Each case compares, type for type, the data of both readers: where the quick one answers, it
must equal ruamel's (mappings, lists, text, YamlNumber, booleans, nulls); where ruamel refuses
or locates a problem, the quick one must decline (None), so that ruamel's messages stay the
only ones.  The two bundled conventions must be read quickly (else the fast path serves no one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from delegation_cli.core.errors import DelegationError, has_errors
from delegation_cli.store.convention import bounds as convention_bounds
from delegation_cli.store.convention import load_convention
from delegation_cli.store.yaml_fast import read
from delegation_cli.store.yaml_plain import Bounds, compose, construct, top_level_keys

ROOT = Path(__file__).resolve().parent.parent


def typed(data: Any) -> Any:
    """``data`` with every value's exact type: (type name, value), collections made plain."""
    if isinstance(data, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in data.items()])
    if isinstance(data, list):
        return ("list", [typed(v) for v in data])
    return (type(data).__name__, data if data is None or isinstance(data, bool) else str(data))


def by_ruamel(text: str, bounds: Bounds | None = None) -> Any:
    """What the located path builds, or the string "refused" when it finds any problem."""
    try:
        document = compose(text, "t.yaml", bounds or convention_bounds())
        if has_errors(document.problems):
            return "refused"
        return construct(document, "t.yaml")
    except DelegationError:
        return "refused"


def same_or_declined(text: str, bounds: Bounds | None = None) -> Any:
    quick = read(text, bounds or convention_bounds())
    if quick is None:
        return None
    slow = by_ruamel(text, bounds)
    assert slow != "refused", f"ruamel refuses what the quick reading accepted: {text!r}"
    assert typed(quick) == typed(slow), text
    return quick


YAML_FILES = sorted(p for p in ROOT.rglob("*.y*ml") if ".venv" not in p.parts and ".git" not in p.parts
                    and "node_modules" not in p.parts and ".ci" not in p.parts)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository_reads_the_same(path: Path) -> None:
    same_or_declined(path.read_text(encoding="utf-8", errors="replace"))


def test_the_bundled_conventions_are_read_quickly() -> None:
    for name in ("fabrique-numerique-s3.yaml", "incubateur-territoires.yaml"):
        assert same_or_declined((ROOT / "examples" / name).read_text(encoding="utf-8")) is not None


@pytest.mark.parametrize("text", [
    "a: yes\n", "a: on\n", "a: 0x1F\n", "a: 1e3\n", "a: .inf\n", "a: 0217\n", "a: +1\n", "a: 2019-12-09T10:00\n",
    "a: |\n  x\n", "a: >\n  x\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "%YAML 1.2\n---\na: 1\n", "a: 1\na: 2\n",
    "a: \"x\\ty\"\n", "a: 'x\n  y'\n", "a: word\n  more\n", "a: [1, [2]]\n", "a: {b: [1]}\n", "a: {b: 1, b: 2}\n",
    "a: [1,]\n", "a: {b: 1\n", "? a\n: 1\n",
    "a:\tb\n", "a: b: c\n", "true: 1\n", "\"a\": 1\n", "- 1\n", "a: 1\r\nb: 2\r\n", "a: x\u2028y\n",
    "a:\n\t- 1\n", "a: <<\n",
])
def test_what_the_quick_reading_leaves_to_ruamel(text: str) -> None:
    assert read(text, convention_bounds()) is None


def test_what_the_quick_reading_builds() -> None:
    text = ("# a comment\nid: x   # after\nnum: 125000\nd: 0.5\nneg: -3\ndate: 2019-12-09\nt: true\nf: False\nz: null\n"
            "e:\nq: \"a # b\"\ns: 'it''s'\nl: [80, 95]\nempty: []\nm: {}\n"
            "fm: {start: 2020-01-01, name: \"a, b\", q: 'c'}  # x\nteams:\n- id: a\n  name: A b\n"
            "- id: b\n  sub:\n    - 1\n    -\n      k: v\nlast: Émis à Paris, le 9 déc.\n")
    quick = same_or_declined(text)
    assert quick is not None
    assert typed(quick["num"]) == ("YamlNumber", "125000") and quick["e"] is None and quick["s"] == "it's"
    assert quick["teams"][1]["sub"] == ["1", {"k": "v"}]
    assert quick["fm"] == {"start": "2020-01-01", "name": "a, b", "q": "c"}


def testbounds_are_never_passed_quickly() -> None:
    text = "a: [" + ", ".join("1" for _ in range(50)) + "]\n"
    assert read(text, Bounds(depth=50, values=40, chars=10_000)) is None
    deep = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n"
    assert read(deep, convention_bounds()) is None
    assert by_ruamel(deep) == "refused"


_PIECES = st.sampled_from(["a", "b", "é", " ", "-", ":", "#", "'", '"', "0", "1", ".", ",", "[", "]", "{", "}",
                           "!", "&", "*", "?", "|", ">", "%", "@", "`", "~", "e", "x", "T", "\\", "_", "+", "/",
                           "yes", "true", "null", "No", "2019-12-09", "0x", "€"])
_SCALARS = st.lists(_PIECES, min_size=0, max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(_SCALARS, _SCALARS)
def test_any_scalar_reads_the_same_or_is_declined(first: str, second: str) -> None:
    for text in (f"k: {first}\n", f"k:\n  - {first}\n  - {second}\n", f"k: [{first}, {second}]\n",
                 f"k: {{a: {first}, b: {second}}}\n",
                 f"k: {first} # {second}\n", f"k: \"{first}\"\n", f"k: '{first}'\n", f"{first}: {second}\n",
                 f"l:\n- {first}: {second}\n  k: x\n"):
        same_or_declined(text)


_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b_c", "d-e", "id", "x1"]), inner, min_size=1,
                                            max_size=3)),
    max_leaves=8)


def _emit(data: Any, indent: int, step: int, aligned: bool) -> list[str]:
    pad = " " * indent
    if isinstance(data, dict):
        out = []
        for key, value in data.items():
            if isinstance(value, dict | list):
                out.append(f"{pad}{key}:")
                nested = indent if isinstance(value, list) and aligned else indent + step
                out += _emit(value, nested, step, aligned)
            else:
                out.append(f"{pad}{key}: {value}")
        return out
    if isinstance(data, list):
        out = []
        for value in data:
            if isinstance(value, dict | list):
                out.append(f"{pad}-")
                out += _emit(value, indent + step, step, aligned)
            else:
                out.append(f"{pad}- {value}")
        return out
    return [f"{pad}{data}"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "id", "teams"]), _TREES, min_size=1, max_size=3),
       st.sampled_from([2, 4]), st.booleans())
def test_any_block_tree_reads_the_same_or_is_declined(tree: dict[str, Any], step: int, aligned: bool) -> None:
    same_or_declined("\n".join(_emit(tree, 0, step, aligned)) + "\n")


def test_a_convention_with_a_problem_is_read_by_ruamel_with_its_location(tmp_path: Path) -> None:
    """The quick reading serves only a convention without any problem: a warning or an error keeps
    its line and column, as ruamel locates it."""
    text = (ROOT / "examples" / "fabrique-numerique-s3.yaml").read_text(encoding="utf-8")
    broken = text.replace("  total: 750000", "  total: 750000\n  totl: 1")
    path = tmp_path / "c.yaml"
    path.write_text(broken, encoding="utf-8")
    assert read(broken, convention_bounds()) is not None
    problems = load_convention(path).problems
    line = broken.splitlines().index("  totl: 1") + 1
    assert [(p.line, p.column) for p in problems] == [(line, 3)]


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_folder_is_sorted_the_same_without_ruamel(path: Path) -> None:
    """A portfolio or the pre-commit hook looks at every YAML file of a folder: whether it is a
    convention, and which ledger it names, are the same read quickly as read by ruamel."""
    from delegation_cli.store import convention

    text = path.read_text(encoding="utf-8", errors="replace")
    quick = convention._sniffed(text, str(path))
    if not isinstance(quick[1], dict):
        return  # outside the quick reader's subset: ruamel decided, as before
    document = compose(text, str(path), convention_bounds())
    keys = top_level_keys(document.root)
    assert quick[0] == (keys is not None and len(convention.CONVENTION_KEYS & keys) >= 2)
    assert quick[1] == construct(document, str(path))
