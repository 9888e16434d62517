"""MLOps Monitor: page config, optional login, navigation by persona. Nothing else.

Login is on when ``.streamlit/secrets.toml`` has an ``[auth]`` table (Microsoft Entra ID under
``[auth.microsoft]``). Then a signed-out user sees only the sign-in page, and a signed-in user sees the
page groups of the personas that the ``personas`` setting grants to their groups or app roles
(see ``monitor.access``); with no persona, a "no access" page.
"""

import streamlit as st

from monitor.access import AccessPolicy, login_provider
from monitor.config import Settings
from monitor.errors import SettingsError
from ui.cache import secrets_table

st.set_page_config(page_title="MLOps Monitor", page_icon="📈", layout="wide")

# Page groups by persona (monitor.access.PERSONAS), in that order.
PAGES = {
    "business": ("Business", [
        st.Page("pages/business.py", title="Model health", icon="🩺", url_path="health"),
    ]),
    "data_engineering": ("Data engineering", [
        st.Page("pages/data_engineer.py", title="Pipelines & data", icon="🛠️", url_path="pipelines"),
    ]),
    "data_science": ("Data science", [
        st.Page("pages/drift.py", title="Drift", icon="📉", url_path="drift"),
        st.Page("pages/explain.py", title="Explainability", icon="🔍", url_path="explain"),
        st.Page("pages/provenance.py", title="Provenance", icon="🕸️", url_path="provenance"),
        st.Page("pages/models.py", title="Models & onboarding", icon="🧩", url_path="models"),
    ]),
}


def _sign_out() -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{st.user.get('name') or st.user.get('email') or 'unknown'}**")
        st.button("Sign out", on_click=st.logout, key="sign-out")


def _with_home(groups: dict[str, list]) -> dict[str, list]:
    """Serve the root URL by switching to the first page, so that every page keeps its own URL path.

    (Streamlit serves its default page only at the root, so a link to it by name would not be found.)
    """
    first = next(iter(groups.values()))[0]

    def home() -> None:
        st.switch_page(first)

    return {"": [st.Page(home, title=first.title, url_path="home", default=True, visibility="hidden")], **groups}


def _pages() -> dict[str, list] | list:
    auth = secrets_table("auth")
    if auth is None:
        return _with_home({label: pages for label, pages in PAGES.values()})
    try:
        provider = login_provider(auth)
        policy = AccessPolicy.parse(Settings.load(secrets=secrets_table("monitor")).personas)
    except SettingsError as exc:
        st.error(f"**Settings problem.** {exc}")
        st.stop()

    if not st.user.get("is_logged_in"):
        def sign_in() -> None:
            st.title("MLOps Monitor")
            st.write("Drift, explanations, KPIs and provenance of the team's models. Sign in with your work account.")
            label = "Sign in with Microsoft" if provider == "microsoft" else "Sign in"
            st.button(label, on_click=st.login, args=(provider,), type="primary", key="sign-in")

        return [st.Page(sign_in, title="Sign in", icon="🔐", url_path="login")]

    _sign_out()
    personas = policy.personas(st.user)
    if personas:
        return _with_home({PAGES[p][0]: PAGES[p][1] for p in personas})

    def no_access() -> None:
        st.title("No access")
        st.error("You are signed in, but none of your groups or app roles gives access to a page of the monitor. "
                 "Ask the monitor's administrator to map one of them to a persona in the `MONITOR_PERSONAS` setting.")
        with st.expander("Your groups and app roles"):
            st.json({"groups": st.user.get("groups") or [], "roles": st.user.get("roles") or []})

    return [st.Page(no_access, title="No access", icon="⛔", url_path="no-access")]


st.navigation(_pages()).run()
