"""Who may call what: the admin key always guards admin routes; the API key guards data routes
whenever the server listens on anything but loopback.

The "requires a key" decision is a pure function of the addresses actually bound, so it is
tested directly; key comparison is constant-time (hmac.compare_digest) against both keys.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from core.api.spec import Access
from core.api.validation import ApiError
from core.hosts import LOOPBACK_NAMES, is_loopback
from core.keys import ApiKeys

__all__ = [
    "LOOPBACK_NAMES",
    "authorize",
    "bearer_token",
    "data_key_required",
    "is_loopback",
    "key_matches",
]


def data_key_required(bound_hosts: Iterable[str]) -> bool:
    """The data API needs a key unless every bound address is loopback (no address bound: be safe)."""
    hosts = list(bound_hosts)
    return not hosts or not all(is_loopback(h) for h in hosts)


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _equal(a: str, b: str) -> bool:
    return bool(b) and hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def key_matches(token: str, keys: ApiKeys) -> bool:
    """True for the data or the admin key (both compared, constant time)."""
    is_admin = _equal(token, keys.admin_api_key)
    is_data = _equal(token, keys.api_key)
    return is_admin or is_data


def authorize(access: Access, header: str | None, keys: ApiKeys, key_required: bool) -> None:
    """Return if the request may proceed; raise ApiError 401 (no or wrong key) or 403 (key too weak)."""
    if access is Access.PUBLIC or (access is Access.DATA and not key_required):
        return
    token = bearer_token(header)
    if token is None:
        raise ApiError(401, "unauthorized", "missing 'Authorization: Bearer <key>' header")
    # Compare against both keys every time so timing does not tell which one nearly matched.
    is_admin = _equal(token, keys.admin_api_key)
    is_data = _equal(token, keys.api_key)
    if is_admin:
        return
    if access is Access.DATA and is_data:
        return
    if is_data:
        raise ApiError(403, "forbidden", "this endpoint needs the admin API key")
    raise ApiError(401, "unauthorized", "invalid API key")
