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
