"""What the YAML readers build besides text, mappings and lists: :class:`YamlNumber` (no
dependency, so that the quick reading of a convention loads no model)."""

from __future__ import annotations


class YamlNumber(str):
    """The source text of a YAML number, kept as text so that nothing passes through a
    binary float: ``0.1`` stays ``"0.1"`` until a field decides what it is (an amount, a
    year, a code with leading zeros such as ``021701010163``)."""

    __slots__ = ()
