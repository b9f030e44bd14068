"""JSON text: ``cells.json_text`` writes exactly what ``json.dumps(..., ensure_ascii=False,
indent=2)`` writes, with the characters the ledger escapes as ``\\uXXXX``, without the standard
library's pure-Python indenting encoder; ``json_pieces`` writes the same text a piece at a time."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from delegation_cli.core.lines import escape_unsafe
from delegation_cli.report.cells import json_pieces, json_text


def reference(data: object) -> str:
    return escape_unsafe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text())
KEYS = st.one_of(st.text(), st.integers(), st.booleans(), st.floats(allow_nan=False))
TREES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.tuples(children, children),
    st.dictionaries(KEYS, children, max_size=4)), max_leaves=30)


@settings(max_examples=500)
@given(TREES)
def test_json_text_is_what_json_dumps_writes(data: object) -> None:
    assert json_text(data) == reference(data)


@settings(max_examples=100)
@given(st.dictionaries(st.text(), TREES, max_size=4), st.text(), st.lists(TREES, max_size=6))
def test_json_pieces_join_into_the_same_text(head: dict[str, object], key: str, items: list[object]) -> None:
    head = {name: value for name, value in head.items() if name != key}
    assert "".join(json_pieces({**head, key: iter(items)})) == reference({**head, key: items})
    assert "".join(json_pieces({**head, key: items})) == reference({**head, key: items})


def test_nothing_in_a_string_acts_and_the_value_comes_back() -> None:
    hostile = {"label\u202e": "a\x1b[31m\u2028b\ud800\"\\", "n": [1, -2, True, None, {}, []]}
    text = json_text(hostile)
    assert text == (
        '{\n  "label\\u202e": "a\\u001b[31m\\u2028b\\ud800\\"\\\\",\n'
        '  "n": [\n    1,\n    -2,\n    true,\n    null,\n    {},\n    []\n  ]\n}\n')
    assert json.loads(text) == hostile


def test_an_empty_mapping_and_an_empty_stream() -> None:
    assert "".join(json_pieces({})) == reference({})
    assert "".join(json_pieces({"entries": iter(())})) == reference({"entries": []})


def test_many_pieces_for_many_items() -> None:
    pieces = list(json_pieces({"schema": "x", "entries": ({"id": str(n)} for n in range(5_000))}))
    assert len(pieces) > 2
    assert json.loads("".join(pieces)) == {"schema": "x", "entries": [{"id": str(n)} for n in range(5_000)]}
