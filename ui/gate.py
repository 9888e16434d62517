"""The access guard: who may see which page, enforced by every page itself.

Login is on when ``.streamlit/secrets.toml`` has an ``[auth]`` table. Then each page file calls
:func:`require_access` with its own ``__file__`` before it reads anything: a signed-out visitor gets
the sign-in page, a signed-in user without the page's persona the "no access" page, and the
script stops there. The navigation in ``streamlit_app.py`` only offers the allowed pages, but the
check does not depend on it: a page run any other way (for example by a request that names it
before the navigation exists) still passes through the guard. Settings that cannot be read
close the gate rather than open it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from monitor.access import PERSONAS, AccessPolicy, login_provider
from monitor.config import Settings
from monitor.errors import SettingsError
from monitor.escape import md
from ui.cache import secrets_table

__all__ = ["PageDef", "PAGES", "SHARED", "Access", "access", "persona_of", "require_access", "sign_in_page", "no_access_page",
           "sign_out_button"]


@dataclasses.dataclass(frozen=True)
class PageDef:
    path: str
    title: str
    icon: str
    url_path: str


PAGES: dict[str, tuple[str, list[PageDef]]] = {
    "business": ("Business", [PageDef("pages/business.py", "Model health", ":material/monitor_heart:", "health")]),
    "data_engineering": ("Data engineering", [PageDef("pages/data_engineer.py", "Pipelines & data", ":material/account_tree:", "pipelines")]),
    "data_science": ("Data science", [
        PageDef("pages/performance.py", "Performance", ":material/speed:", "performance"),
        PageDef("pages/drift.py", "Drift", ":material/trending_down:", "drift"),
        PageDef("pages/explain.py", "Explainability", ":material/psychology:", "explain"),
        PageDef("pages/provenance.py", "Provenance", ":material/hub:", "provenance"),
        PageDef("pages/models.py", "Models & onboarding", ":material/extension:", "models"),
    ]),
}
"""Page groups by persona, in :data:`monitor.access.PERSONAS` order."""
assert tuple(PAGES) == PERSONAS

SHARED: tuple[str, list[PageDef]] = ("Everyone", [PageDef("pages/alerts.py", "Alerts", ":material/notifications:", "alerts")])
"""Pages every persona sees (each page then shows what is routed to the visitor's personas)."""
_SHARED_FILES = {Path(p.path).name for p in SHARED[1]}

_PERSONA_OF = {Path(p.path).name: persona for persona, (_, pages) in PAGES.items() for p in pages}


@dataclasses.dataclass(frozen=True)
class Access:
    """The login configuration and what the current visitor may see."""

    login: bool
    provider: str | None = None
    signed_in: bool = False
    personas: tuple[str, ...] = PERSONAS


def access() -> Access:
    """Who the visitor is and which personas they have; every persona when login is off.

    Raises :class:`SettingsError` when login is configured but incomplete, or the persona rules are malformed.
    """
    auth = secrets_table("auth")
    if auth is None:
        return Access(login=False)
    provider = login_provider(auth)
    policy = AccessPolicy.parse(Settings.load(secrets=secrets_table("monitor")).personas)
    if not st.user.get("is_logged_in"):
        return Access(login=True, provider=provider, signed_in=False, personas=())
    return Access(login=True, provider=provider, signed_in=True, personas=policy.personas(st.user))


def persona_of(page_file: str | None) -> str | None:
    """The persona whose group holds the page file (by file name), or None for a file that is no page."""
    return _PERSONA_OF.get(Path(page_file).name) if page_file else None


def require_access(page_file: str | None) -> Access:
    """Stop the script unless the visitor may see ``page_file``; show the sign-in or no-access page instead.

    Call it first in every page file, with ``__file__``.
    """
    try:
        granted = access()
    except SettingsError as exc:
        st.error(f"**Settings problem.** {md(exc)}")
        st.stop()
    if not granted.login:
        return granted
    if not granted.signed_in:
        sign_in_page(granted.provider)
        st.stop()
    shared = page_file is not None and Path(page_file).name in _SHARED_FILES
    if not (persona_of(page_file) in granted.personas or (shared and granted.personas)):
        no_access_page("this page")
        st.stop()
    return granted


def sign_in_page(provider: str | None) -> None:
    st.title("MLOps Monitor")
    st.write("Drift, explanations, KPIs and provenance of the team's models. Sign in with your work account.")
    label = "Sign in with Microsoft" if provider == "microsoft" else "Sign in"
    st.button(label, on_click=st.login, args=(provider,), type="primary", key="sign-in")


def no_access_page(what: str = "a page of the monitor") -> None:
    st.title("No access")
    st.error(f"You are signed in, but none of your groups or app roles gives access to {what}. "
             "Ask the monitor's administrator to map one of them to a persona in the `MONITOR_PERSONAS` setting.")
    with st.expander("Your groups and app roles"):
        st.json({"groups": st.user.get("groups") or [], "roles": st.user.get("roles") or []})


def sign_out_button() -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{md(st.user.get('name') or st.user.get('email') or 'unknown')}**")
        st.button("Sign out", on_click=st.logout, key="sign-out")
