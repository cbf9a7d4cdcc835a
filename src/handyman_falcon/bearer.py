"""Bearer tokens: reading `Authorization: Bearer <token>` and comparing it in constant time."""

from __future__ import annotations

import hmac

import falcon


def bearer_token(req: falcon.Request) -> str | None:
    """The presented token; None when there is no `Bearer` header or it is empty."""
    header = req.get_header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_matches(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def require_token(req: falcon.Request, expected: str, *, what: str) -> None:
    """401 without a token, 403 with a wrong one; `what` names the token ("API token")."""
    presented = bearer_token(req)
    if presented is None:
        article = "An" if what[:1].lower() in "aeiou" else "A"
        raise falcon.HTTPUnauthorized(
            description=f"{article} {what} is required: Authorization: Bearer <token>",
            challenges=["Bearer"],
        )
    if not token_matches(presented, expected):
        raise falcon.HTTPForbidden(description=f"The {what} is not valid")
