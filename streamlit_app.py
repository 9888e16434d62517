"""MLOps Monitor: page config, optional login, navigation by persona. Nothing else.

Login is on when ``.streamlit/secrets.toml`` has an ``[auth]`` table (Microsoft Entra ID under
``[auth.microsoft]``). Then a signed-out user sees only the sign-in page, and a signed-in user sees the
page groups of the personas that the ``personas`` setting grants to their groups or app roles
(see ``monitor.access``); with no persona, a "no access" page. Every page also checks access itself
(``ui.gate.require_access``), so the navigation is not the only gate.
"""

import streamlit as st

from monitor.errors import SettingsError
from monitor.escape import md
from ui.gate import PAGES, SHARED, access, no_access_page, sign_in_page, sign_out_button

st.set_page_config(page_title="MLOps Monitor", page_icon="📈", layout="wide")


def _group(persona: str) -> tuple[str, list]:
    label, pages = PAGES.get(persona, SHARED)
    return label, [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path) for p in pages]


def _with_home(groups: dict[str, list]) -> dict[str, list]:
    """Serve the root URL by switching to the first page, so that every page keeps its own URL path.

    (Streamlit serves its default page only at the root, so a link to it by name would not be found.)
    """
    first = next(iter(groups.values()))[0]

    def home() -> None:
        st.switch_page(first)

    return {"": [st.Page(home, title=first.title, url_path="home", default=True, visibility="hidden")], **groups}


def _pages() -> dict[str, list] | list:
    try:
        granted = access()
    except SettingsError as exc:
        st.error(f"**Settings problem.** {md(exc)}")
        st.stop()
    if not granted.login:
        return _with_home(dict(_group(p) for p in (*PAGES, "shared")))
    if not granted.signed_in:
        def sign_in() -> None:
            sign_in_page(granted.provider)

        return [st.Page(sign_in, title="Sign in", icon=":material/login:", url_path="login")]
    sign_out_button()
    if granted.personas:
        return _with_home(dict(_group(p) for p in (*granted.personas, "shared")))
    return [st.Page(no_access_page, title="No access", icon=":material/block:", url_path="no-access")]


st.navigation(_pages()).run()
