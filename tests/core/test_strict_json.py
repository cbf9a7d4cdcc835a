"""Strict JSON structuring: no coercion between JSON types, except that an integral number is the
integer it is (JSON has one number type, and JSON Schema's "integer" includes 2.0)."""

from __future__ import annotations

import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.strict_json import STRICT_CONVERTER, structure_json


@frozen
class Counted:
    count: int


@given(st.integers(-(2**53), 2**53))
def test_an_integral_float_is_the_integer_it_is(number: int) -> None:
    assert structure_json(STRICT_CONVERTER, {"count": float(number)}, Counted, "") == Counted(
        number
    )


@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not x.is_integer()))
def test_a_float_that_is_not_integral_is_refused(number: float) -> None:
    with pytest.raises(InvalidInput) as raised:
        structure_json(STRICT_CONVERTER, {"count": number}, Counted, "")
    assert raised.value.fields == {"count": "must be an integer"}


@pytest.mark.parametrize("value", [True, False, "1", None, [1], {"n": 1}])
def test_other_json_types_are_not_integers(value: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        structure_json(STRICT_CONVERTER, {"count": value}, Counted, "")
    assert raised.value.fields == {"count": "must be an integer"}
