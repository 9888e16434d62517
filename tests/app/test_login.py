"""Login and persona access, with AppTest's simulated ``st.user`` and secrets."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import shown

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "microsoft": {
        "client_id": "00000000-0000-0000-0000-000000000001",
        "client_secret": "test-client-secret",
        "server_metadata_url": "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0/"
                               ".well-known/openid-configuration",
    },
}
PERSONAS = "grp-bi=business; grp-de=data_engineering,business; MLOps.Admin=*"
ALL_PAGES = ["pages/business.py", "pages/data_engineer.py", "pages/drift.py", "pages/explain.py",
             "pages/provenance.py", "pages/models.py"]
DATA_SCIENCE = ["pages/drift.py", "pages/explain.py", "pages/provenance.py", "pages/models.py"]


def _app(user: dict | None = None, auth: dict | None = AUTH, personas: str = PERSONAS) -> AppTest:
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=180)
    if auth is not None:
        at.secrets["auth"] = auth
        at.secrets["monitor"] = {"personas": personas}
    if user is not None:
        at.user = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _signed_in(**claims) -> dict:
    return {"is_logged_in": True, "name": "Ada Lovelace", "email": "ada@example.com", **claims}


def _visible(at: AppTest, path: str) -> bool:
    """Whether ``path`` is one of the pages the navigation offers (AppTest refuses to switch to others)."""
    try:
        at.switch_page(path)
    except ValueError:
        return False
    return True


def test_signed_out_user_sees_only_the_sign_in_page():
    at = _app({"is_logged_in": False})
    assert at.title[0].value == "MLOps Monitor"
    assert at.button(key="sign-in").label == "Sign in with Microsoft"
    assert not any(_visible(at, p) for p in ALL_PAGES)


def test_missing_login_flag_counts_as_signed_out():
    at = _app({"email": "someone@example.com"})
    assert at.button(key="sign-in")
    assert not _visible(at, "pages/business.py")


def test_signed_in_user_without_a_mapped_group_sees_no_access():
    at = _app(_signed_in(groups=["grp-unrelated"], roles=[]))
    assert at.title[0].value == "No access"
    assert "MONITOR_PERSONAS" in at.error[0].value
    assert at.sidebar.button(key="sign-out").label == "Sign out"
    assert not any(_visible(at, p) for p in ALL_PAGES)


def test_empty_mapping_gives_nobody_access():
    at = _app(_signed_in(groups=["grp-bi"]), personas="")
    assert at.title[0].value == "No access"


def test_malformed_mapping_stops_with_the_setting_named():
    at = _app(_signed_in(groups=["grp-bi"]), personas="grp-bi=business;grp-de")
    assert "MONITOR_PERSONAS" in at.error[0].value and "grp-de" in at.error[0].value
    assert not at.title  # stopped before any page ran


def test_incomplete_auth_table_says_what_is_missing():
    auth = {**AUTH, "microsoft": {k: v for k, v in AUTH["microsoft"].items() if k != "client_secret"}}
    at = _app(_signed_in(groups=["grp-bi"]), auth=auth)
    assert "[auth.microsoft] client_secret" in shown(at.error[0].value)
    assert not at.title


@pytest.mark.slow
def test_login_off_shows_every_page(demo):
    at = _app(auth=None)
    assert at.title[0].value == "Model health"
    assert all(_visible(at, p) for p in ALL_PAGES)
    assert not at.sidebar.button  # no sign-out without login


@pytest.mark.slow
def test_business_group_sees_business_pages_only(demo):
    at = _app(_signed_in(groups=["grp-bi", "grp-unrelated"]))
    assert at.title[0].value == "Model health"
    assert "Ada Lovelace" in at.sidebar.caption[0].value
    assert not _visible(at, "pages/data_engineer.py")
    assert not any(_visible(at, p) for p in DATA_SCIENCE)
    assert _visible(at, "pages/business.py")


@pytest.mark.slow
def test_data_engineering_group_sees_pipelines_and_business_pages(demo):
    at = _app(_signed_in(groups=["grp-de"]))
    assert _visible(at, "pages/data_engineer.py")
    at.run()
    assert not at.exception and at.title[0].value == "Pipelines & data"
    assert _visible(at, "pages/business.py")
    assert not any(_visible(at, p) for p in DATA_SCIENCE)


@pytest.mark.slow
def test_app_role_with_star_sees_every_page(demo):
    at = _app(_signed_in(roles=["MLOps.Admin"]))
    assert all(_visible(at, p) for p in ALL_PAGES)
