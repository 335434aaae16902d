"""Who may call what: the admin key always guards admin routes; the API key guards data routes
whenever the server listens on anything but loopback.

The "requires a key" decision is a pure function of the addresses actually bound, so it is
tested directly; key comparison is constant-time (hmac.compare_digest) against both keys.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

from core.api.spec import Access
from core.api.validation import ApiError
from core.keys import ApiKeys

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; "", "0.0.0.0", "::" and any other name are not."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a hostname may resolve to anything: treat it as reachable from outside
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


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
