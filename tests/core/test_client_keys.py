"""Client keys: made from the randomness handed in, verified against their hash only."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.client_keys import (
    KEY_BYTES,
    hash_client_key,
    key_matches,
    new_client_key,
)

random_bytes = st.binary(min_size=KEY_BYTES, max_size=KEY_BYTES)


@given(random_bytes)
def test_a_key_matches_its_own_hash(seed: bytes) -> None:
    key = new_client_key(seed)

    assert key_matches(key, hash_client_key(key))


@given(random_bytes, random_bytes)
def test_a_key_does_not_match_another_keys_hash(first: bytes, second: bytes) -> None:
    if first != second:
        assert not key_matches(new_client_key(first), hash_client_key(new_client_key(second)))


@given(st.text(max_size=50))
def test_no_key_matches_an_unknown_client(key: str) -> None:
    assert not key_matches(key, None)


@given(random_bytes)
def test_the_stored_hash_does_not_contain_the_key(seed: bytes) -> None:
    key = new_client_key(seed)

    assert key not in hash_client_key(key)
    assert key.removeprefix("hmk_") not in hash_client_key(key)


def test_a_key_is_printable_and_prefixed() -> None:
    key = new_client_key(bytes(range(KEY_BYTES)))

    assert key.startswith("hmk_")
    assert key.isascii() and key.isprintable()
