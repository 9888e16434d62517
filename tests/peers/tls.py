"""A self-signed certificate for loopback HTTPS peers (made once per cache folder with openssl)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """Return (cert, key) paths for CN=localhost, creating them with openssl if missing."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    if cert.exists() and key.exists():
        return cert, key
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed; it is needed to make a loopback TLS certificate")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def server_context(folder: Path) -> ssl.SSLContext:
    cert, key = self_signed_cert(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
