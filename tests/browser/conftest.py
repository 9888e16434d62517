"""Browser-test fixtures: the real app server and headless Chromium (shared with tests/app), an app
started with login configured, and a browser tab that records console errors."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from tests.servers import free_port, running_app

# Streamlit's frontend finds the server's base path by probing `<current path>/_stcore/health` and
# `<current path>/_stcore/host-config` before falling back to `/`: a deep link such as /drift logs two
# 404s that do not affect the page.
BENIGN = [re.compile(r"^https?://[^/]+/[^_][^?]*/_stcore/(health|host-config)$")]

LOGIN_SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "browser-test-cookie-secret"

[auth.microsoft]
client_id = "00000000-0000-0000-0000-000000000001"
client_secret = "browser-test-client-secret"
server_metadata_url = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0/.well-known/openid-configuration"

[monitor]
personas = "grp-bi=business"
"""


@dataclass
class AppPage:
    """A browser tab on the app that records console errors and uncaught page errors."""

    page: object
    base_url: str
    errors: list[str] = field(default_factory=list)

    def open(self, path: str, title: str, timeout: float = 120_000) -> None:
        """Go to ``path`` and wait until the page titled ``title`` has finished running."""
        self.page.goto(self.base_url + path, wait_until="domcontentloaded")
        self.page.locator("h1").filter(has_text=title).first.wait_for(timeout=timeout)
        self.wait_idle(timeout)

    def wait_idle(self, timeout: float = 120_000) -> None:
        """Wait until the script run is over (the app marks its state on the root element)."""
        self.page.locator('.stApp[data-test-script-state="notRunning"]').wait_for(timeout=timeout)

    def exceptions(self) -> list[str]:
        return self.page.locator('[data-testid="stException"]').all_inner_texts()

    def record(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if not any(p.match(url) for p in BENIGN):
            self.errors.append(f"{message.text} ({url})")


@contextmanager
def browser_tab(browser, base_url: str, width: int = 1400, height: int = 1000):
    """A fresh browser context (its own Streamlit session) at ``width`` × ``height``, recording errors."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    app = AppPage(page, base_url)
    page.on("console", app.record)
    page.on("pageerror", lambda exc: app.errors.append(f"uncaught: {exc}"))
    try:
        yield app
    finally:
        context.close()


@pytest.fixture
def app_page(live_app, browser):
    """A fresh browser context (its own Streamlit session) on the live app."""
    with browser_tab(browser, live_app) as app:
        yield app


@pytest.fixture(scope="session")
def login_app(tmp_path_factory):
    """Base URL of a freshly started app with Microsoft Entra ID login configured (nobody signed in)."""
    port = free_port()
    folder = tmp_path_factory.mktemp("login-app")
    secrets = folder / "secrets.toml"
    secrets.write_text(LOGIN_SECRETS.format(port=port))
    with running_app(folder / "app.log", "--secrets.files", str(secrets), port=port) as url:
        yield url


@pytest.fixture
def signed_out_page(login_app, browser):
    """A fresh browser context on the app with login configured."""
    with browser_tab(browser, login_app) as app:
        yield app
