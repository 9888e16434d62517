"""Who sees what: the login configuration and the mapping from Entra ID groups or app roles to personas.

The mapping is the ``personas`` setting (``MONITOR_PERSONAS`` or ``personas`` in the ``[monitor]``
secrets table), a list of rules separated by ``;`` (or new lines)::

    grp-bi=business; grp-de=data_engineering,business; MLOps.Admin=*

Each rule is ``<group or app role>=<persona>[,<persona>...]``. The left side is compared, case
sensitively, with every value of the ID-token claims ``groups`` (Entra ID group object ids, or names
when the app registration emits them) and ``roles`` (app role values). ``*`` on the right means every
persona; ``*`` on the left matches every signed-in user. A user's personas are the union over all
matching rules; no match means no access.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from monitor.errors import SettingsError

__all__ = ["PERSONAS", "CLAIMS", "AccessPolicy", "login_provider"]

PERSONAS = ("business", "data_engineering", "data_science")
"""Every persona, in the order their page groups appear."""

CLAIMS = ("groups", "roles")
"""The ID-token claims whose values are matched against the rules."""

_SETTING = "MONITOR_PERSONAS"
_ANY = "*"
_AUTH_SHARED = ("redirect_uri", "cookie_secret")
_AUTH_PROVIDER = ("client_id", "client_secret", "server_metadata_url")


@dataclasses.dataclass(frozen=True)
class AccessPolicy:
    """Rules mapping a group or app role (or ``*``, any signed-in user) to the personas it grants."""

    rules: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> AccessPolicy:
        """Parse the ``personas`` setting.

        Raises :class:`SettingsError` naming ``MONITOR_PERSONAS`` and the faulty rule when a rule has
        no ``=``, an empty side, or an unknown persona.
        """
        rules: dict[str, set[str]] = {}
        for raw in str(text or "").replace("\n", ";").split(";"):
            rule = raw.strip()
            if not rule:
                continue
            claim, sep, right = rule.partition("=")
            claim = claim.strip()
            if not sep:
                raise SettingsError(f"{_SETTING}: rule '{rule}' has no '='; expected '<group or role>=<persona>[,<persona>]'")
            if not claim:
                raise SettingsError(f"{_SETTING}: rule '{rule}' names no group or role before '='")
            personas = {p.strip() for p in right.split(",") if p.strip()}
            if not personas:
                raise SettingsError(f"{_SETTING}: rule '{rule}' grants no persona; use one of {', '.join(PERSONAS)} or *")
            unknown = sorted(personas - set(PERSONAS) - {_ANY})
            if unknown:
                raise SettingsError(f"{_SETTING}: rule '{rule}' names unknown persona(s) {', '.join(unknown)}; "
                                    f"valid: {', '.join(PERSONAS)} or *")
            rules.setdefault(claim, set()).update(PERSONAS if _ANY in personas else personas)
        return cls({claim: frozenset(granted) for claim, granted in rules.items()})

    def personas(self, user: Mapping[str, Any]) -> tuple[str, ...]:
        """The personas granted to a signed-in ``user`` (its ID-token claims), in :data:`PERSONAS` order."""
        values = set(_claim_values(user))
        granted: set[str] = set(self.rules.get(_ANY, ()))
        for claim, personas in self.rules.items():
            if claim in values:
                granted |= personas
        return tuple(p for p in PERSONAS if p in granted)


def login_provider(auth: Mapping[str, Any] | None) -> str | None:
    """The provider name to pass to ``st.login`` for an ``[auth]`` secrets table.

    ``[auth.microsoft]`` (Microsoft Entra ID) is preferred; a single other provider table is used as is;
    provider keys directly in ``[auth]`` mean Streamlit's default provider (``None``). Raises
    :class:`SettingsError` naming the missing keys when the table is incomplete.
    """
    auth = dict(auth or {})
    missing = [f"[auth] {k}" for k in _AUTH_SHARED if not auth.get(k)]
    providers = {name: value for name, value in auth.items() if isinstance(value, Mapping)}
    if "microsoft" in providers:
        name: str | None = "microsoft"
    elif len(providers) == 1:
        name = next(iter(providers))
    elif not providers:
        name = None
    else:
        raise SettingsError(f"[auth] has several providers ({', '.join(sorted(providers))}); add [auth.microsoft] "
                            "or keep only one")
    table = providers[name] if name else auth
    missing += [f"[auth.{name}] {k}" if name else f"[auth] {k}" for k in _AUTH_PROVIDER if not table.get(k)]
    if missing:
        raise SettingsError("login is configured but incomplete, missing: " + ", ".join(missing))
    return name


def _claim_values(user: Mapping[str, Any]) -> Iterable[str]:
    for claim in CLAIMS:
        value = user.get(claim)
        if isinstance(value, str):
            yield value
        elif isinstance(value, Iterable):
            yield from (str(v) for v in value)
