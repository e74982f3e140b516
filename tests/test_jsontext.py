"""The hot paths' JSON is json's own: the same values in, the same text out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mfaenv import jsontext

SCALARS = st.none() | st.booleans() | st.integers() | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(VALUES)
def test_dumps_writes_what_json_dumps_writes(value: Any) -> None:
    assert jsontext.dumps(value) == json.dumps(value)
    compact = (",", ":")
    assert jsontext.dumps(value, sort_keys=True, separators=compact) == json.dumps(
        value, sort_keys=True, separators=compact
    )


@given(VALUES)
def test_loads_reads_back_what_json_wrote(value: Any) -> None:
    assert jsontext.loads(json.dumps(value)) == value
    assert jsontext.loads(json.dumps(value, indent=2) + "\n") == value


@given(st.text(max_size=40))
def test_loads_reads_any_text_as_json_loads_does(text: str) -> None:
    try:
        expected: Any = json.loads(text)
    except ValueError as err:
        with pytest.raises(ValueError) as raised:
            jsontext.loads(text)
        assert str(raised.value) == str(err)
    else:
        got = jsontext.loads(text)
        assert got == expected or (got != got and expected != expected)  # NaN


@pytest.mark.parametrize(
    "text", ['{"a": 1} x', "\ufeff{}", '{"a": NaN}', "[1, 2,]", '"\\ud800"', "[" * 100_000]
)
def test_edge_cases_fail_or_pass_exactly_as_json_does(text: str) -> None:
    try:
        expected: Any = json.loads(text)
    except (ValueError, RecursionError) as err:
        with pytest.raises(type(err)):
            jsontext.loads(text)
    else:
        assert repr(jsontext.loads(text)) == repr(expected)
