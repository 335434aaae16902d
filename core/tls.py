"""TLS to Home Assistant: one policy for every HA connection (client, Test button, config check)
and certificate failures explained in words that say what to change.

Many HA installs use a self-signed certificate or a home CA. `ca_cert` trusts exactly that file
(the hostname is still checked); `verify_ssl = false` turns checking off, the user's explicit choice.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any
from urllib.parse import urlsplit


class CertificateFileError(ValueError):
    """home_assistant.ca_cert cannot be used; str() says why."""


# OpenSSL X509_V_ERR_* codes of SSLCertVerificationError.verify_code.
_NOT_TRUSTED = frozenset({2, 18, 19, 20, 21})  # no chain to a trusted certificate (self-signed, unknown CA)
_WRONG_NAME = frozenset({62, 64})  # hostname / IP address mismatch
_OUT_OF_DATE = {9: "is not valid yet", 10: "has expired"}


def ssl_context(url: str, *, verify_ssl: bool = True, ca_cert: str = "") -> ssl.SSLContext | None:
    """The TLS policy of HA connections: None for ws:// and http://; otherwise trust exactly `ca_cert`
    when it is set (it wins over verify_ssl), verify nothing when verify_ssl is false, else use the
    system trust store. Raises CertificateFileError when ca_cert cannot be loaded."""
    if urlsplit(url).scheme not in ("wss", "https"):
        return None
    if ca_cert:
        return trusting_only(ca_cert)
    context = ssl.create_default_context()
    if not verify_ssl:  # the user's explicit choice: still encrypted, but anyone could pose as HA
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def trusting_only(ca_cert: str) -> ssl.SSLContext:
    """A context that trusts exactly the certificates in the PEM file `ca_cert` (~ expanded)."""
    try:
        # With a cafile, the system store is not loaded: only the user's CA can vouch for HA.
        context = ssl.create_default_context(cafile=os.path.expanduser(ca_cert))
    except ssl.SSLError:  # an OSError too, so caught first
        raise CertificateFileError(
            f"{ca_cert} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)"
        ) from None
    except OSError as err:
        raise CertificateFileError(f"cannot read {ca_cert}: {err.strerror or err}") from None
    # A home CA made with a plain `openssl req -x509` lacks the key usage extension that Python
    # 3.13's default X509_STRICT demands, so it would be refused; and the file may hold HA's own
    # certificate or an intermediate rather than a root (PARTIAL_CHAIN, default only since 3.13).
    # The user trusts this file explicitly; signatures, validity dates and the hostname are still checked.
    context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


async def explain_rejection(
    err: ssl.SSLCertVerificationError, url: str, *, verify_ssl: bool, ca_cert: str, timeout_s: float
) -> str:
    """Why HA's certificate was rejected, in words that say what to change."""
    code = err.verify_code
    if code in _NOT_TRUSTED:
        fix = (
            f"it is not issued by home_assistant.ca_cert ({ca_cert}): point that key at the PEM file of "
            "the CA that signed HA's certificate (or of the certificate itself), or set verify_ssl = false"
            if ca_cert
            else "set home_assistant.ca_cert to your CA's PEM file, or verify_ssl = false"
        )
        return f"TLS certificate not trusted (self-signed or unknown CA): {fix}"
    if code in _WRONG_NAME:
        host = urlsplit(url).hostname or "?"
        names = await _certificate_names(url, verify_ssl, ca_cert, timeout_s)
        which = f"is for {', '.join(names)}, not {host}" if names else f"is not valid for {host}"
        return (
            f"TLS certificate {which}: use a name the certificate holds in the URL, or reissue the "
            f"certificate with {host} in its subjectAltName"
        )
    if code in _OUT_OF_DATE:
        return (
            f"TLS certificate {_OUT_OF_DATE[code]}: renew HA's certificate (or check this computer's clock)"
        )
    return f"TLS certificate rejected: {err.verify_message or err.reason or err}"


async def _certificate_names(url: str, verify_ssl: bool, ca_cert: str, timeout_s: float) -> list[str]:
    """The names in HA's certificate, read by a second handshake that skips only the name check.

    The failed handshake does not expose the certificate; its chain passed (the name check comes
    last), so the same trust with check_hostname off gets the decoded certificate. [] on any failure.
    """
    parts = urlsplit(url)
    context = ssl_context(url, verify_ssl=verify_ssl, ca_cert=ca_cert)
    if context is None or not parts.hostname:
        return []
    context.check_hostname = False
    cert = None
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 443, ssl=context)
            cert = writer.get_extra_info("peercert")
            writer.close()
            await writer.wait_closed()
    except (OSError, TimeoutError):  # ssl.SSLError is an OSError
        pass
    return _names_in(cert)


def _names_in(cert: Any) -> list[str]:
    """subjectAltName values of a decoded certificate, else its commonName (as browsers once did)."""
    if not isinstance(cert, dict):
        return []
    names = [str(value) for _kind, value in cert.get("subjectAltName", ())]
    if names:
        return names
    return [str(value) for rdn in cert.get("subject", ()) for key, value in rdn if key == "commonName"]
