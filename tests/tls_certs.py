"""Test certificates made with the openssl CLI, the way a self-hosting user makes them.

The CA is a plain `openssl req -x509` (no keyUsage extension, as most home-CA recipes produce);
server certificates are signed by it with `openssl x509 -req` and a subjectAltName. EC P-256 keys
keep generation fast. Everything lives in the caller's temporary directory.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
_NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
_SERVER_EXTENSIONS = """\
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {san}
"""


@dataclass(frozen=True)
class KeyPair:
    cert: Path
    key: Path


def _openssl(*args: str) -> None:
    result = subprocess.run([OPENSSL, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {result.stderr.strip()}")


def make_ca(directory: Path, name: str) -> KeyPair:
    """A self-signed CA certificate and its key: `name`.pem, `name`.key."""
    pair = KeyPair(directory / f"{name}.pem", directory / f"{name}.key")
    _openssl(
        "req", "-x509", "-new", *_NEW_KEY, "-keyout", str(pair.key), "-out", str(pair.cert),
        "-days", "2", "-subj", f"/CN={name}",
    )  # fmt: skip
    return pair


def make_server_cert(directory: Path, name: str, ca: KeyPair, san: str) -> KeyPair:
    """A server certificate signed by `ca`; `san` like "IP:127.0.0.1,DNS:localhost"."""
    pair = KeyPair(directory / f"{name}.pem", directory / f"{name}.key")
    csr, extensions = directory / f"{name}.csr", directory / f"{name}.ext"
    extensions.write_text(_SERVER_EXTENSIONS.format(san=san))
    _openssl("req", "-new", *_NEW_KEY, "-keyout", str(pair.key), "-out", str(csr), "-subj", f"/CN={name}")
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey", str(ca.key),
        "-set_serial", str(secrets.randbits(63)), "-days", "2", "-extfile", str(extensions),
        "-out", str(pair.cert),
    )  # fmt: skip
    return pair


def make_self_signed(directory: Path, name: str, san: str) -> KeyPair:
    """A self-signed server certificate, as HA's own docs suggest making one."""
    pair = KeyPair(directory / f"{name}.pem", directory / f"{name}.key")
    _openssl(
        "req", "-x509", "-new", *_NEW_KEY, "-keyout", str(pair.key), "-out", str(pair.cert),
        "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}",
    )  # fmt: skip
    return pair
