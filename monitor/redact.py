"""Masking of credentials in any text that is printed, logged or shown on a page.

One function, :func:`mask`, serves every place a URI or a backend's message reaches a user: the
``settings`` command, :class:`monitor.errors.MonitorError` messages (so every backend error), the
app's warnings and the settings table. It hides

- the password of a URI's user info (``https://user:secret@host`` -> ``https://user:***@host``),
- the value of secret-looking query parameters (``?token=...``, ``sig=``, ``api_key=``, ...),
- secret-looking fields of connection strings (``AccountKey=...;``, ``Password=...``),
- bearer tokens (``Bearer ...``),
- and any value registered with :func:`register_secret` (the Cosmos DB key, tokens read from
  settings), wherever it appears.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Iterable

__all__ = ["MASK", "mask", "register_secret", "public_url"]

MASK = "***"
_SECRET_NAMES = (r"(?:access_?token|token|api_?key|apikey|key|secret|client_?secret|password|passwd|pwd|sig|signature"
                 r"|sas|auth|authorization|code|credential|private_?key)")
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s'\"<>]*):(?P<secret>[^/\s'\"<>]*)@")
_QUERY = re.compile(r"(?P<head>[?&;]" + _SECRET_NAMES + r"=)(?P<secret>[^&#\s'\"<>]+)", re.IGNORECASE)
_FIELDS = re.compile(r"(?P<head>\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd|ClientSecret)\s*=\s*)"
                     r"(?P<secret>[^;\s'\"<>]+)", re.IGNORECASE)
_BEARER = re.compile(r"(?P<head>\b(?:Bearer|Basic)\s+)(?P<secret>[A-Za-z0-9\-._~+/]{8,}=*)", re.IGNORECASE)
_MIN_SECRET = 8  # shorter values are too likely to be ordinary words; URIs still mask them by position

_known: set[str] = set()
_lock = threading.Lock()


def register_secret(*values: str | None) -> None:
    """Remember secret values (a key, a token) so :func:`mask` hides them wherever they appear."""
    with _lock:
        for value in values:
            if value and len(str(value)) >= _MIN_SECRET:
                _known.add(str(value))
                decoded = urllib.parse.unquote(str(value))
                if decoded != value and len(decoded) >= _MIN_SECRET:
                    _known.add(decoded)


def _secrets() -> Iterable[str]:
    with _lock:
        return sorted(_known, key=len, reverse=True)


def mask(text: object) -> str:
    """``text`` as a string with every credential it contains replaced by ``***``."""
    out = "" if text is None else str(text)
    if not out:
        return out
    for secret in _secrets():
        if secret in out:
            out = out.replace(secret, MASK)
    out = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", out)
    for pattern in (_QUERY, _FIELDS, _BEARER):
        out = pattern.sub(lambda m: m["head"] + MASK, out)
    return out


def public_url(url: str) -> str:
    """``url`` fit for a link anyone may see: no user info, no query string, no fragment."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
