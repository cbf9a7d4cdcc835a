"""Statistics API clients' keys: made from randomness the caller hands in, stored only hashed.

A key carries 256 random bits, so a plain SHA-256 of it cannot be reversed or guessed by trying
keys; a slow password hash (scrypt, argon2) only matters for keys people choose, and would
cost every API request tens of milliseconds. Comparison is in constant time, and a request
naming an unknown client is checked against a stand-in hash with the same work, so the answer
and its timing do not tell which clients exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from attrs import frozen

from handyman_core.errors import InvalidInput, Unauthorized
from handyman_core.unicode_text import is_storable


@frozen
class ClientAccess:
    """What the store keeps of a statistics client: its key's hash and its consumer keys."""

    key_hash: str
    consumer_keys: frozenset[str]
    """Empty: the client sees every attempt (the operator's own client)."""


KEY_BYTES = 32
KEY_PREFIX = "hmk_"
_UNKNOWN_CLIENT_HASH = hashlib.sha256(b"no such client").hexdigest()


def new_client_key(random_bytes: bytes) -> str:
    """A printable key from `KEY_BYTES` random bytes (from `secrets.token_bytes`)."""
    if len(random_bytes) < KEY_BYTES:
        raise ValueError(f"a client key needs {KEY_BYTES} random bytes")
    return KEY_PREFIX + base64.urlsafe_b64encode(random_bytes[:KEY_BYTES]).decode().rstrip("=")


def hash_client_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_matches(presented: str, stored_hash: str | None) -> bool:
    """Whether `presented` is the key behind `stored_hash`; None (no such client) never
    matches but costs the same."""
    expected = _UNKNOWN_CLIENT_HASH if stored_hash is None else stored_hash
    matches = hmac.compare_digest(hash_client_key(presented), expected)
    return matches and stored_hash is not None


MAX_CLIENT_NAME_LENGTH = 64
MAX_CONSUMER_KEY_LENGTH = 255


def is_client_name(name: str) -> bool:
    """Client names appear in URLs and logs: 1-64 ASCII letters, digits, `.`, `_` or `-`."""
    return (
        0 < len(name) <= MAX_CLIENT_NAME_LENGTH
        and name.isascii()
        and name.replace("-", "").replace("_", "").replace(".", "").isalnum()
    )


def check_client_name(name: str) -> str:
    if not is_client_name(name):
        raise InvalidInput.field(
            "client", f"must be 1 to {MAX_CLIENT_NAME_LENGTH} ASCII letters, digits, . _ or -"
        )
    return name


def check_consumer_key(key: str) -> str:
    """An LMS's oauth_consumer_key as a client may be limited to: what passback params allow."""
    if not key or len(key) > MAX_CONSUMER_KEY_LENGTH or "\x00" in key or not is_storable(key):
        raise InvalidInput.field(
            "consumer_key", f"must be 1 to {MAX_CONSUMER_KEY_LENGTH} characters of text"
        )
    return key


def authorize(access: ClientAccess | None, presented_key: str) -> frozenset[str]:
    """The consumer keys whose attempts the client may read (empty: all), or Unauthorized; an
    unknown client and a wrong key get the same answer after the same work."""
    if not key_matches(presented_key, access.key_hash if access is not None else None):
        raise Unauthorized("The client or its key is not valid")
    assert access is not None
    return access.consumer_keys
